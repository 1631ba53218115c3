"""Market jobs, their counters, run records, cached prices and provider catalog ids in DynamoDB.

    pk = MJOB#<provider|sku|size>   sk = JOB      the key's current job (one at a time)
    pk = COUNTS                     sk = JOBS     jobs by "<provider>#<status>", kept in step
    pk = RUNS                       sk = <ms>#id  scheduler runs (expire after a week)
    pk = BATCHES                    sk = <ms>#id  worker batch metrics (expire after a week)
    pk = PRICE#<provider|sku|size>  sk = PRICE    the cached price
    pk = CATALOG#<provider>|<sku>   sk = CATALOG  the provider's ids for a sku
    pk = SETTINGS                   sk = MARKET   settings an operator changed (the seller share)

A job's item holds its attempts (``history``, see sellerjobs.jobs.history) and the sellers its
events go to (``askedBy``); the indexes project every other attribute (``SUMMARY``), so a job
read from one comes without them and is changed with an update that leaves them as they are.

Indexes (all sparse, all projecting the job but its history and sellers):

    Queue     queueKey = provider (only while pending/deferred), queueSort = "<999 - priority>#<enqueued
              at>#<key>": the next jobs to dispatch are the first items, so the scheduler reads only
              as many as it dispatches.
    Running   runningShard (only while running), startedAt: jobs a dead worker left behind.
    ByStatus  statusKey = status, statusSort = "<updated at>#<key>": the listing API.

Every status change is a transaction with the counters item and a version guard on the job;
settling a job also stores its events in the outbox (``EventsTable``) in that transaction.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import cancellation_reasons, error_code, from_item, to_item, to_values
from sellerjobs.aws.events import OutboxItems
from sellerjobs.aws.merged_query import Partition, merged_page
from sellerjobs.clock import Clock
from sellerjobs.errors import Invalid
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs import history
from sellerjobs.jobs.history import Note
from sellerjobs.market.enqueueing import Enqueueing, enqueue_requests, enqueueing
from sellerjobs.market.job import CachedPrice, MarketJob, MarketStatus, Provider, Quote, dedupe_key
from sellerjobs.market.ports import BatchMetrics, Enqueued, JobPage, MarketFilter, SchedulerRun
from sellerjobs.market.quotes import CatalogCache

QUEUE, RUNNING, BY_STATUS = "Queue", "Running", "ByStatus"
COUNTS_KEY = {"pk": "COUNTS", "sk": "JOBS"}
JOBS_PER_TRANSACTION = 99  # + the counters item
RECORD_TTL_S = 7 * 86400
QUEUED = (MarketStatus.PENDING.value, MarketStatus.DEFERRED.value)
# What the indexes hold of a job (template.yaml lists the same names; a test keeps them in step).
SUMMARY = ("jobId", "provider", "sku", "size", "priority", "status", "enqueuedAt", "updatedAt", "retryCount",
           "error", "startedAt", "completedAt", "version")


def _job_pk(key: str) -> str:
    return f"MJOB#{key}"


def _queue_sort(priority: int, enqueued_at: int, key: str) -> str:
    return f"{999 - priority:03d}#{enqueued_at:013d}#{key}"


@dataclass
class DynamoMarketJobs:
    table: str
    outbox: OutboxItems | None = None  # where settling a job stores its events

    # -- mapping -----------------------------------------------------------------------------

    def _values(self, job: MarketJob) -> dict[str, Any]:
        status = job.status
        return {
            "pk": _job_pk(job.key), "sk": "JOB", "jobId": job.id, "provider": job.provider.value, "sku": job.sku,
            "size": job.size, "priority": job.priority, "status": status.value, "enqueuedAt": job.enqueued_at,
            "updatedAt": job.updated_at, "retryCount": job.retry_count, "error": job.error,
            "startedAt": job.started_at, "completedAt": job.completed_at, "version": job.version,
            "queueKey": job.provider.value if status.queued else None,
            "queueSort": _queue_sort(job.priority, job.enqueued_at, job.key) if status.queued else None,
            "runningShard": "running" if status is MarketStatus.RUNNING else None,
            "statusKey": status.value, "statusSort": f"{job.updated_at:013d}#{job.key}",
            "history": history.dumps(job.history) if job.history is not None else None,
            "askedBy": sorted(job.asked_by) or None,
        }

    @staticmethod
    def _job(raw: dict[str, Any], *, full: bool = True) -> MarketJob:
        """``full``: the item as the table holds it; else an index's copy, without the history."""
        item = from_item(raw)
        return MarketJob(
            id=item["jobId"], provider=Provider(item["provider"]), sku=item["sku"], size=item.get("size"),
            priority=int(item["priority"]), status=MarketStatus(item["status"]),
            enqueued_at=int(item["enqueuedAt"]), updated_at=int(item["updatedAt"]),
            retry_count=int(item.get("retryCount", 0)), error=item.get("error"),
            started_at=int(item["startedAt"]) if item.get("startedAt") is not None else None,
            completed_at=int(item["completedAt"]) if item.get("completedAt") is not None else None,
            version=int(item.get("version", 0)), history=history.loads(item.get("history")) if full else None,
            asked_by=frozenset(item.get("askedBy") or ()))

    def _put(self, job: MarketJob, condition: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(self._values(job)),
                               "ConditionExpression": condition}
        if values:
            put["ExpressionAttributeValues"] = to_values(values)
            put["ExpressionAttributeNames"] = {"#status": "status", "#v": "version"}
        return {"Put": put}

    def _update(self, new: MarketJob, old: MarketJob) -> dict[str, Any]:
        """``old`` becomes ``new`` if it is still as read. An update, not a put: a job read from an
        index (no history, no ``askedBy``) changes without touching the history and the sellers
        stored with it. ``askedBy`` only grows while a job lives, so it is never removed here."""
        values = {k: v for k, v in self._values(new).items() if k not in ("pk", "sk")}
        if new.history is None:
            del values["history"]
        if values["askedBy"] is None:
            del values["askedBy"]
        kept = {k: v for k, v in values.items() if v is not None}
        gone = [k for k, v in values.items() if v is None]
        names = {f"#a{i}": name for i, name in enumerate(kept)} | {f"#g{i}": name for i, name in enumerate(gone)}
        expression = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(kept)))
        if gone:
            expression += " REMOVE " + ", ".join(f"#g{i}" for i in range(len(gone)))
        return {"Update": {
            "TableName": self.table, "Key": to_item({"pk": _job_pk(new.key), "sk": "JOB"}),
            "UpdateExpression": expression, "ConditionExpression": "#v = :v AND #status = :s",
            "ExpressionAttributeNames": names | {"#v": "version", "#status": "status"},
            "ExpressionAttributeValues": to_values({f":a{i}": v for i, v in enumerate(kept.values())}
                                                   | {":v": old.version, ":s": old.status.value})}}

    def _counts(self, deltas: dict[str, int]) -> dict[str, Any]:
        deltas = {k: v for k, v in deltas.items() if v}
        names = {f"#c{i}": name for i, name in enumerate(deltas)}
        values = {f":c{i}": delta for i, delta in enumerate(deltas.values())}
        return {"Update": {"TableName": self.table, "Key": to_item(COUNTS_KEY),
                           "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(deltas))),
                           "ExpressionAttributeNames": names, "ExpressionAttributeValues": to_values(values)}}

    # -- enqueueing --------------------------------------------------------------------------

    def enqueue(self, provider: Provider, items: Sequence[tuple[str, str | None]], priority: int,
                now_ms: int, seller: str | None = None) -> list[Enqueued]:
        requests = enqueue_requests(provider, items, priority, now_ms, seller)
        results: dict[str, Enqueued] = {}
        pending = list(requests)
        for attempt in range(5):
            if not pending:
                break
            current = self.get_many(pending)
            writes: list[tuple[str, dict[str, Any], Enqueued, dict[str, int]]] = []
            for key in pending:
                read = current.get(key)
                step = enqueueing(read, requests[key], uuid.uuid4().hex)
                if not step.write:
                    results[key] = step.result
                    continue
                writes.append((key, self._put_enqueued(step, read), step.result, self._moved_counts(step)))
            pending = []
            for start in range(0, len(writes), JOBS_PER_TRANSACTION):
                chunk = writes[start:start + JOBS_PER_TRANSACTION]
                for key, outcome in self._write_chunk(chunk):
                    if outcome is None:  # someone else changed this key meanwhile: look again
                        pending.append(key)
                    else:
                        results[key] = outcome
            if attempt:
                time.sleep(0.02 * attempt)
        return [results[key] for key in requests if key in results]

    def _put_enqueued(self, step: Enqueueing, read: MarketJob | None) -> dict[str, Any]:
        """The job ``step`` makes, written only over the key's job as read (or none): if another
        writer changed it meanwhile, the condition fails and the key is read and decided again."""
        if read is None:
            return self._put(step.job, "attribute_not_exists(pk)")
        return self._put(step.job, "#v = :v AND #status = :s", {":v": read.version, ":s": read.status.value})

    @staticmethod
    def _moved_counts(step: Enqueueing) -> dict[str, int]:
        provider = step.job.provider.value
        deltas: dict[str, int] = {}
        if step.result.created:
            deltas[f"{provider}#{step.job.status.value}"] = 1
        if step.replaces is not None:  # the finished job it replaces is no longer counted
            deltas[f"{provider}#{step.replaces.value}"] = -1
        return deltas

    def _write_chunk(self, chunk: list[tuple[str, dict[str, Any], Enqueued, dict[str, int]]]
                     ) -> list[tuple[str, Enqueued | None]]:
        """Write what can be written; report the keys whose condition failed (they are retried)."""
        remaining = list(chunk)
        done: list[tuple[str, Enqueued | None]] = []
        while remaining:
            totals: dict[str, int] = {}
            for _, _, _, deltas in remaining:
                for name, delta in deltas.items():
                    totals[name] = totals.get(name, 0) + delta
            items = [put for _, put, _, _ in remaining]
            if any(totals.values()):
                items.append(self._counts(totals))
            try:
                clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                return done + [(key, outcome) for key, _, outcome, _ in remaining]
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = cancellation_reasons(exc)
                failed = {i for i, r in enumerate(reasons[:len(remaining)])
                          if r.get("Code") == "ConditionalCheckFailed"}
                if not failed:
                    time.sleep(0.05)  # a conflict with a concurrent transaction: try the same again
                    continue
                done += [(remaining[i][0], None) for i in sorted(failed)]
                remaining = [w for i, w in enumerate(remaining) if i not in failed]
        return done

    # -- reading -----------------------------------------------------------------------------

    def get_many(self, keys: Iterable[str]) -> dict[str, MarketJob]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, MarketJob] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {self.table: {"ConsistentRead": True, "Keys": [
                to_item({"pk": _job_pk(k), "sk": "JOB"}) for k in wanted[start:start + 100]]}}
            for pause in (0.0, 0.05, 0.1, 0.2, 0.4):
                time.sleep(pause)
                response = clients.dynamodb().batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table, []):
                    job = self._job(raw)
                    found[job.key] = job
                request = dict(response.get("UnprocessedKeys") or {})
                if not request:
                    break
        return found

    def queued(self, provider: Provider, limit: int, *, min_priority: int = 0,
               max_priority: int = 999) -> list[MarketJob]:
        if limit <= 0:
            return []
        low, high = f"{999 - max_priority:03d}#", f"{999 - min_priority:03d}#~"
        response = clients.dynamodb().query(
            TableName=self.table, IndexName=QUEUE, Limit=limit,
            KeyConditionExpression="queueKey = :p AND queueSort BETWEEN :lo AND :hi",
            ExpressionAttributeValues=to_values({":p": provider.value, ":lo": low, ":hi": high}))
        return [self._job(raw, full=False) for raw in response.get("Items", [])]

    def stuck(self, started_before_ms: int, limit: int) -> list[MarketJob]:
        response = clients.dynamodb().query(
            TableName=self.table, IndexName=RUNNING, Limit=limit,
            KeyConditionExpression="runningShard = :r AND startedAt < :before",
            ExpressionAttributeValues=to_values({":r": "running", ":before": started_before_ms}))
        return [self._job(raw, full=False) for raw in response.get("Items", [])]

    def page(self, status: MarketStatus | None, provider: Provider | None, limit: int, cursor: str | None
             ) -> JobPage:
        """Jobs newest first: of one status, or of every status (one query per status, merged).

        The cursor is the position (``statusSort``) of the last job shown; the next page is what
        sorts below it, whatever status it has now.
        """
        after = _decode_cursor(cursor) if cursor else None
        found: list[tuple[str, MarketJob]] = []
        # Below the lowest job a query read without reaching its end, another status's jobs may
        # still be unread: a page never reaches past the highest such point.
        unread_below: str | None = None
        for each in [status] if status is not None else list(MarketStatus):
            values: dict[str, Any] = {":s": each.value}
            kwargs: dict[str, Any] = {"TableName": self.table, "IndexName": BY_STATUS, "Limit": limit,
                                      "ScanIndexForward": False, "KeyConditionExpression": "statusKey = :s"}
            if after is not None:
                kwargs["KeyConditionExpression"] += " AND statusSort < :after"
                values[":after"] = after
            if provider is not None:
                kwargs["FilterExpression"] = "provider = :p"
                values[":p"] = provider.value
            kwargs["ExpressionAttributeValues"] = to_values(values)
            response = clients.dynamodb().query(**kwargs)
            found.extend((raw["statusSort"]["S"], self._job(raw, full=False)) for raw in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if last:
                stop = str(last["statusSort"]["S"])
                unread_below = max(unread_below or stop, stop)
        found.sort(key=lambda entry: entry[0], reverse=True)
        if unread_below is not None:
            found = [entry for entry in found if entry[0] >= unread_below]
        shown = found[:limit]
        more = len(found) > limit or unread_below is not None
        position = shown[-1][0] if shown else unread_below
        return JobPage(jobs=[job for _, job in shown],
                       cursor=_encode_cursor(position) if more and position is not None else None)

    def search(self, where: MarketFilter, limit: int, cursor: str | None) -> JobPage:
        low = f"{where.since:013d}#" if where.since is not None else None
        high = f"{where.until:013d}#~" if where.until is not None else None
        statuses = [where.status] if where.status is not None else list(MarketStatus)
        partitions = [Partition(status.value, BY_STATUS, "statusKey", status.value, "statusSort", low, high)
                      for status in statuses]
        taken, next_cursor = merged_page(self.table, partitions, limit, cursor)
        jobs = [self._job(raw, full=False) for _, raw in taken]
        return JobPage(jobs=[job for job in jobs if where.matches(job)], cursor=next_cursor)

    def counts(self) -> dict[str, dict[str, int]]:
        item = from_item(clients.dynamodb().get_item(TableName=self.table, Key=to_item(COUNTS_KEY)).get("Item") or {})
        out: dict[str, dict[str, int]] = {p.value: {s.value: 0 for s in MarketStatus} for p in Provider}
        for name, value in item.items():
            if "#" in name:
                provider, status = name.split("#", 1)
                if provider in out and status in out[provider]:
                    out[provider][status] = int(value)
        return out

    # -- moving jobs -------------------------------------------------------------------------

    def start(self, jobs: Sequence[MarketJob], now_ms: int) -> list[MarketJob]:
        moves = [(job, job.started(now_ms)) for job in jobs]
        return self._move(moves)

    def settle(self, job: MarketJob, status: MarketStatus, now_ms: int, *, error: str | None = None,
               retries: int = 0, note: Note | None = None, events: Sequence[JobEvent] = ()) -> bool:
        new = job.settled(status, now_ms, error=error, retries=retries, note=note)
        return bool(self._move([(job, new)], events))

    def reset_failed(self, now_ms: int, limit: int) -> int:
        failed = self.page(MarketStatus.FAILED, None, limit, None).jobs
        moves = [(job, job.retried(now_ms)) for job in failed]
        return len(self._move(moves))

    def _move(self, moves: Sequence[tuple[MarketJob, MarketJob]], events: Sequence[JobEvent] = ()) -> list[MarketJob]:
        """``events`` only with a single move: they are stored if it is."""
        if events and len(moves) != 1:
            raise ValueError("events belong to a single job's move")
        moved: list[MarketJob] = []
        for start in range(0, len(moves), JOBS_PER_TRANSACTION):
            remaining = list(moves[start:start + JOBS_PER_TRANSACTION])
            for _ in range(3):
                if not remaining:
                    break
                deltas: dict[str, int] = {}
                items = []
                for old, new in remaining:
                    deltas[f"{old.provider.value}#{old.status.value}"] = \
                        deltas.get(f"{old.provider.value}#{old.status.value}", 0) - 1
                    deltas[f"{new.provider.value}#{new.status.value}"] = \
                        deltas.get(f"{new.provider.value}#{new.status.value}", 0) + 1
                    items.append(self._update(new, old))
                if any(deltas.values()):
                    items.append(self._counts(deltas))
                items += [self._outbox().put(event) for event in events]
                try:
                    clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                    moved += [new for _, new in remaining]
                    break
                except ClientError as exc:
                    if error_code(exc) != "TransactionCanceledException":
                        raise
                    reasons = cancellation_reasons(exc)
                    failed = {i for i, r in enumerate(reasons[:len(remaining)])
                              if r.get("Code") == "ConditionalCheckFailed"}
                    # Those moved on meanwhile (another scheduler, a duplicate delivery): drop them.
                    remaining = [m for i, m in enumerate(remaining) if i not in failed]
        return moved

    def _outbox(self) -> OutboxItems:
        if self.outbox is None:
            raise RuntimeError("this repository was given events but no outbox table (EVENTS_TABLE)")
        return self.outbox

    # -- run records -------------------------------------------------------------------------

    def record_run(self, run: SchedulerRun) -> None:
        clients.dynamodb().put_item(TableName=self.table, Item=to_item({
            # Two schedulers may start in the same millisecond: neither record may replace the other.
            "pk": "RUNS", "sk": f"{run.started_at:013d}#{uuid.uuid4().hex[:8]}", "run": json.dumps(run.to_api()),
            "expiresAt": run.started_at // 1000 + RECORD_TTL_S}))

    def recent_runs(self, limit: int) -> list[SchedulerRun]:
        return [SchedulerRun.from_api(data) for data in self._recent("RUNS", "run", limit)]

    def record_batch(self, metrics: BatchMetrics) -> None:
        clients.dynamodb().put_item(TableName=self.table, Item=to_item({
            "pk": "BATCHES", "sk": f"{metrics.started_at:013d}#{uuid.uuid4().hex[:8]}",
            "metrics": json.dumps(metrics.to_api()), "expiresAt": metrics.started_at // 1000 + RECORD_TTL_S}))

    def recent_batches(self, limit: int) -> list[BatchMetrics]:
        return [BatchMetrics.from_api(data) for data in self._recent("BATCHES", "metrics", limit)]

    def _recent(self, pk: str, attribute: str, limit: int) -> list[dict[str, Any]]:
        """The newest records of a kind, as the JSON they were stored as."""
        response = clients.dynamodb().query(
            TableName=self.table, KeyConditionExpression="pk = :pk", ScanIndexForward=False, Limit=limit,
            ExpressionAttributeValues=to_values({":pk": pk}))
        return [json.loads(from_item(raw)[attribute]) for raw in response.get("Items", [])]


_POSITION = re.compile(r"[0-9]{13}#.{1,200}")


def _encode_cursor(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode()


def _decode_cursor(cursor: str) -> str:
    try:
        position = base64.urlsafe_b64decode(cursor.encode()).decode()
        if _POSITION.fullmatch(position):
            return position
    except (ValueError, binascii.Error):
        pass
    raise Invalid("cursor is not one this API returned", field="cursor")


@dataclass
class DynamoPriceCache:
    table: str

    def get(self, provider: Provider, sku: str, size: str | None) -> CachedPrice | None:
        key = dedupe_key(provider, sku, size)
        item = from_item(clients.dynamodb().get_item(
            TableName=self.table, Key=to_item({"pk": f"PRICE#{key}", "sk": "PRICE"})).get("Item") or {})
        if not item:
            return None

        def amount(name: str) -> Decimal | None:
            value = item.get(name)
            return None if value is None else Decimal(str(value))

        extra = {k: (None if v is None else Decimal(v)) for k, v in json.loads(item.get("extra", "{}")).items()}
        return CachedPrice(provider=provider, sku=sku, size=size, updated_at=int(item["updatedAt"]), quote=Quote(
            currency=item.get("currency", "USD"), lowest_ask=amount("lowestAsk"), highest_bid=amount("highestBid"),
            last_sale=amount("lastSale"), extra=extra, reference=item.get("reference")))

    def put(self, price: CachedPrice) -> None:
        quote = price.quote
        clients.dynamodb().put_item(TableName=self.table, Item=to_item({
            "pk": f"PRICE#{dedupe_key(price.provider, price.sku, price.size)}", "sk": "PRICE",
            "provider": price.provider.value, "sku": price.sku, "size": price.size, "currency": quote.currency,
            # As text: DynamoDB keeps a number's value, not its digits ("110.00" would read back "110").
            "lowestAsk": _text(quote.lowest_ask), "highestBid": _text(quote.highest_bid),
            "lastSale": _text(quote.last_sale),
            "extra": json.dumps({k: (None if v is None else str(v)) for k, v in (quote.extra or {}).items()}),
            "reference": quote.reference, "updatedAt": price.updated_at}))


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


@dataclass
class DynamoCatalogCache(CatalogCache):
    table: str
    clock: Clock
    ttl_s: int = 7 * 86400

    def get(self, provider: Provider, sku: str) -> dict[str, Any] | None:
        item = from_item(clients.dynamodb().get_item(
            TableName=self.table, Key=to_item({"pk": f"CATALOG#{provider.value}|{sku}", "sk": "CATALOG"})
        ).get("Item") or {})
        # DynamoDB's TTL deletes expired items late (up to days), so expiry is checked on read too.
        if not item or int(item.get("expiresAt", 0)) < self.clock.now():
            return None
        value: dict[str, Any] = json.loads(gzip.decompress(bytes(item["value"])))
        return value

    def put(self, provider: Provider, sku: str, value: dict[str, Any]) -> None:
        clients.dynamodb().put_item(TableName=self.table, Item=to_item({
            "pk": f"CATALOG#{provider.value}|{sku}", "sk": "CATALOG",
            "value": gzip.compress(json.dumps(value, separators=(",", ":")).encode(), mtime=0),
            "expiresAt": int(self.clock.now()) + self.ttl_s}))


@dataclass
class DynamoShareSettings:
    table: str

    def seller_share(self) -> float | None:
        item = from_item(clients.dynamodb().get_item(
            TableName=self.table, Key=to_item({"pk": "SETTINGS", "sk": "MARKET"})).get("Item") or {})
        value = item.get("sellerShare")
        return None if value is None else float(value)

    def set_seller_share(self, share: float) -> None:
        clients.dynamodb().update_item(
            TableName=self.table, Key=to_item({"pk": "SETTINGS", "sk": "MARKET"}),
            UpdateExpression="SET sellerShare = :s", ExpressionAttributeValues=to_values({":s": Decimal(str(share))}))
