"""Promotion jobs in DynamoDB.

One table, keyed by seller so that every read is scoped to its owner:

    pk = USER#<userId>  sk = JOB#<jobId>          the job
    pk = USER#<userId>  sk = LISTING#<listingId>  lock: the listing's one unfinished job
    pk = USER#<userId>  sk = STATS                finished counters (succeeded/failed/cancelled)
    pk = COUNTS         sk = SHARD#<n>            every seller's jobs by status, in shards

A job's item holds its history (``history``, a JSON list, see sellerjobs.jobs.history). No index
copies it: the indexes project every other attribute (``SUMMARY``) or only the keys, so a write
that grows the history costs the indexes nothing more. Jobs read from an index therefore come
without their history (``history`` None) and are read again by key before they change.

Global secondary indexes:

    ByUserStatus  userStatus = "<userId>#<status>", statusAt = next attempt (unfinished) or
                  finish time (finished). Lists a seller's jobs by status, and counts unfinished
                  jobs that are due / not yet due without touching finished history. Its key
                  moves on every attempt (the seller's listing is ordered by next attempt).
    Unfinished    dueShard, sweepAt = the next attempt rounded up to ``LEASE_MS`` (its lease),
                  keys only — sparse: only unfinished jobs carry ``dueShard``. The sweeper's view
                  of overdue jobs and the operators' of every seller's unfinished ones; both read
                  the jobs by key and order them by their exact next attempt. An attempt that
                  stays within the job's lease writes nothing here. Sharded so no single index
                  partition takes every write.
    Finished      finishedKey = "<status>#<shard>", finishedAt — sparse: finished jobs only, by
                  status across sellers (the operators' view of failures), newest first. Written
                  once per job, when it finishes.
    ByListing     listingId, createdAt, keys only: a listing's jobs across sellers. Its keys never
                  change, so it costs one write per job.

What a job costs in write units (one per started KB of an item or of an index's copy, twice in a
transaction; a job's item stays under 1 KB unless its history grows long): created, 2 for the
job and 2 for its lock (one transaction, with a counter shard shared by the batch) and 1 in each
of ByUserStatus, Unfinished and ByListing; each attempt that leaves it pending, 1 for the item
and 2 for ByUserStatus (delete and put), plus 2 for Unfinished when the next attempt passes the
lease; finished, 2 for the item, 2 for the lock, 2 for the seller's counters, 2 for a counter
shard, 2 to leave ByUserStatus's pending list and enter its finished one, 1 to leave Unfinished
and 1 to enter Finished, and the events of the change in the outbox.

Status changes that touch the lock or the counters are transactions, so the counters can never
drift from the jobs and a listing is never locked by a finished job. The global counters are
spread over ``COUNT_SHARDS`` items (one item takes about 1,000 writes a second); any shard may
take any change, and their sum is the count. The events a change announces are written into the
outbox (``EventsTable``) by the same transaction, as is the entry it adds to the job's history
(which is part of the job's own item).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import (
    cancellation_reasons,
    error_code,
    from_item,
    is_condition_failure,
    to_item,
    to_values,
)
from sellerjobs.aws.events import OutboxItems
from sellerjobs.aws.merged_query import Partition, merged_page
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs import history
from sellerjobs.promotions.job import TERMINAL, Priority, PromotionJob, Status
from sellerjobs.promotions.ports import (
    InvalidCursor,
    JobFilter,
    JobKey,
    ListingBusy,
    Page,
    Tally,
    TallyRefused,
    UnfinishedCounts,
    require_one_seller,
)

BY_USER_STATUS = "ByUserStatus"
UNFINISHED = "Unfinished"
FINISHED = "Finished"
BY_LISTING = "ByListing"
# Two items per job (job + lock) and one counter update; DynamoDB allows 100 per transaction.
JOBS_PER_TRANSACTION = 49
BATCH_GET_LIMIT = 100
_TRANSACTION_ROUNDS = 6
COUNT_SHARDS = 8
COUNTS_PK = "COUNTS"
# An unfinished job's place in the Unfinished index: its next attempt time rounded up to this
# step. A job tried every minute keeps its place for several attempts, where an exact time
# would move it (a delete and a put in the index) on every one.
LEASE_MS = 5 * 60_000
# What the indexes that project more than keys hold of a job: everything but its history.
# (template.yaml lists the same names; a test keeps the two in step.)
SUMMARY = ("jobId", "userId", "listingId", "adRate", "campaignId", "status", "attempts", "maxAttempts",
           "nextRetryAt", "createdAt", "updatedAt", "policy", "runStartedAt", "listedAt", "version",
           "lastError", "adId", "expiresAt", "priority")


def _user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _job_sk(job_id: str) -> str:
    return f"JOB#{job_id}"


def _lock_sk(listing_id: str) -> str:
    return f"LISTING#{listing_id}"


STATS_SK = "STATS"
BULK_SK = "ACTION"


def bulk_pk(action_id: str) -> str:
    return f"BULK#{action_id}"


@dataclass
class DynamoJobRepository:
    table: str
    due_shards: int = 4
    outbox: OutboxItems | None = None  # where the events of a status change go (same transaction)

    # -- mapping -----------------------------------------------------------------------------

    def _to_item(self, job: PromotionJob) -> dict[str, Any]:
        if job.history is None:
            # A job from a listing would lose its history here; the domain refuses to change one.
            raise ValueError(f"job {job.id} was read without its history and cannot be written")
        unfinished = not job.status.terminal
        return to_item({
            "pk": _user_pk(job.user_id), "sk": _job_sk(job.id), "type": "promotion-job",
            "jobId": job.id, "userId": job.user_id, "listingId": job.listing_id, "adRate": job.ad_rate,
            "campaignId": job.campaign_id, "status": job.status.value, "attempts": job.attempts,
            "maxAttempts": job.max_attempts, "nextRetryAt": job.next_retry_at, "createdAt": job.created_at,
            "updatedAt": job.updated_at, "policy": job.policy, "runStartedAt": job.run_started_at,
            "listedAt": job.listed_at,
            "version": job.version, "lastError": job.last_error, "adId": job.ad_id,
            "expiresAt": job.expires_at, "priority": job.priority.value,
            "userStatus": f"{job.user_id}#{job.status.value}",
            "statusAt": job.next_retry_at if unfinished else job.updated_at,
            "dueShard": self._shard(job.id) if unfinished else None,
            "sweepAt": lease(job.next_retry_at) if unfinished and job.next_retry_at is not None else None,
            "finishedKey": None if unfinished else f"{job.status.value}#{self._shard(job.id)}",
            "finishedAt": None if unfinished else job.updated_at,
            "history": history.dumps(job.history),
        })

    def _shard(self, job_id: str) -> str:
        return str(zlib.crc32(job_id.encode()) % self.due_shards)

    @staticmethod
    def _from_item(raw: dict[str, Any], *, full: bool = True) -> PromotionJob:
        """``full``: the item as the table holds it; else an index's copy, without the history."""
        item = from_item(raw)
        return PromotionJob(
            id=item["jobId"], user_id=item["userId"], listing_id=item["listingId"],
            ad_rate=Decimal(item["adRate"]), campaign_id=item.get("campaignId"),
            status=Status(item["status"]), attempts=int(item["attempts"]),
            max_attempts=int(item["maxAttempts"]), next_retry_at=_int_or_none(item.get("nextRetryAt")),
            created_at=int(item["createdAt"]), updated_at=int(item["updatedAt"]), policy=item["policy"],
            run_started_at=int(item["runStartedAt"]), listed_at=int(item.get("listedAt") or item["createdAt"]),
            version=int(item["version"]),
            last_error=item.get("lastError"), ad_id=item.get("adId"),
            expires_at=_int_or_none(item.get("expiresAt")),
            priority=Priority(item.get("priority") or Priority.NORMAL.value),
            history=history.loads(item.get("history")) if full else None,
        )

    def _lock_put(self, job: PromotionJob) -> dict[str, Any]:
        return {"Put": {
            "TableName": self.table,
            "Item": to_item({"pk": _user_pk(job.user_id), "sk": _lock_sk(job.listing_id),
                             "type": "listing-lock", "jobId": job.id}),
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }}

    def _job_put(self, job: PromotionJob, *, expected_version: int | None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table, "Item": self._to_item(job)}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#v = :v"
            put["ExpressionAttributeNames"] = {"#v": "version"}
            put["ExpressionAttributeValues"] = to_values({":v": expected_version})
        return put

    # -- writes ------------------------------------------------------------------------------

    def create_many(self, jobs: Sequence[PromotionJob]) -> dict[str, str]:
        require_one_seller(jobs)
        existing: dict[str, str] = {}
        for start in range(0, len(jobs), JOBS_PER_TRANSACTION):
            existing.update(self._create_chunk(list(jobs[start:start + JOBS_PER_TRANSACTION])))
        return existing

    def _create_chunk(self, chunk: list[PromotionJob]) -> dict[str, str]:
        existing: dict[str, str] = {}
        for round_ in range(_TRANSACTION_ROUNDS):
            if not chunk:
                return existing
            items: list[dict[str, Any]] = []
            for job in chunk:
                items.append({"Put": self._job_put(job, expected_version=None)})
                items.append(self._lock_put(job))
            items.append(self._global_count(chunk[0].id, {Status.PENDING: len(chunk)}))
            try:
                clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                return existing
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = cancellation_reasons(exc)
                busy = self._busy_listings(chunk, reasons)
                if not busy and not _only_conflicts(reasons):
                    raise
                existing.update(busy)
                # Drop the listings that are already being promoted and try the rest again;
                # a pure conflict (a concurrent writer) just needs a short pause.
                chunk = [j for j in chunk if j.listing_id not in busy]
                if not busy:
                    time.sleep(0.05 * (2 ** round_))
        raise RuntimeError("could not store promotion jobs: DynamoDB kept cancelling the transaction")

    @staticmethod
    def _busy_listings(chunk: list[PromotionJob], reasons: list[dict[str, Any]]) -> dict[str, str]:
        busy: dict[str, str] = {}
        for index, job in enumerate(chunk):
            lock_reason = reasons[2 * index + 1] if len(reasons) > 2 * index + 1 else {}
            if lock_reason.get("Code") == "ConditionalCheckFailed":
                holder = from_item(lock_reason.get("Item") or {}).get("jobId")
                busy[job.listing_id] = str(holder) if holder else "unknown"
            job_reason = reasons[2 * index] if len(reasons) > 2 * index else {}
            if job_reason.get("Code") == "ConditionalCheckFailed" and job.listing_id not in busy:
                # The very same job id already exists: an earlier delivery of this request.
                busy[job.listing_id] = job.id
        return busy

    def save(self, previous: PromotionJob, new: PromotionJob, events: Sequence[JobEvent] = (),
             tally: Tally | None = None) -> bool:
        finishing = not previous.status.terminal and new.status.terminal
        reopening = previous.status.terminal and not new.status.terminal
        if not finishing and not reopening and tally is None and not events:
            try:
                clients.dynamodb().put_item(**self._job_put(new, expected_version=previous.version))
                return True
            except ClientError as exc:
                if is_condition_failure(exc):
                    return False
                raise
        items: list[dict[str, Any]] = [{"Put": self._job_put(new, expected_version=previous.version)}]
        if finishing:
            items.append({"Delete": {
                "TableName": self.table,
                "Key": to_item({"pk": _user_pk(new.user_id), "sk": _lock_sk(new.listing_id)}),
                "ConditionExpression": "attribute_not_exists(pk) OR jobId = :id",
                "ExpressionAttributeValues": to_values({":id": new.id}),
            }})
            items.append(self._count(new.user_id, new.status, +1))
            items.append(self._global_count(new.id, {Status.PENDING: -1, new.status: +1}))
        elif reopening:
            items.append(self._lock_put(new))
            items.append(self._count(new.user_id, previous.status, -1))
            items.append(self._global_count(new.id, {previous.status: -1, Status.PENDING: +1}))
        tally_at = len(items)  # the tally's place among the transaction's items (its cancellation reason)
        if tally is not None:
            items.append(self._tally(tally))
        # Last, so the reasons of a cancelled transaction keep their places.
        items += [_outbox(self.outbox).put(event) for event in events]
        try:
            clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return True
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            if reopening and len(reasons) > 1 and reasons[1].get("Code") == "ConditionalCheckFailed":
                holder = from_item(reasons[1].get("Item") or {}).get("jobId", "unknown")
                raise ListingBusy(new.listing_id, str(holder)) from exc
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            tally_reason = reasons[tally_at] if tally is not None and len(reasons) > tally_at else {}
            if tally is not None and tally_reason.get("Code") == "ConditionalCheckFailed":
                raise TallyRefused(tally.action_id) from exc
            raise

    def _global_count(self, job_id: str, deltas: dict[Status, int]) -> dict[str, Any]:
        shard = zlib.crc32(job_id.encode()) % COUNT_SHARDS
        names = {f"#s{i}": status.value for i, status in enumerate(deltas)}
        values = {f":d{i}": delta for i, delta in enumerate(deltas.values())}
        return {"Update": {
            "TableName": self.table,
            "Key": to_item({"pk": COUNTS_PK, "sk": f"SHARD#{shard}"}),
            "UpdateExpression": "ADD " + ", ".join(f"#s{i} :d{i}" for i in range(len(deltas))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_values(values),
        }}

    def _tally(self, tally: Tally) -> dict[str, Any]:
        """Count the change on a bulk action, only while its worker still holds it."""
        return {"Update": {
            "TableName": self.table,
            "Key": to_item({"pk": bulk_pk(tally.action_id), "sk": BULK_SK}),
            "UpdateExpression": "ADD #field :one",
            "ConditionExpression": "leaseOwner = :owner",
            "ExpressionAttributeNames": {"#field": tally.field},
            "ExpressionAttributeValues": to_values({":one": 1, ":owner": tally.owner}),
        }}

    def global_counts(self) -> dict[Status, int]:
        """Every seller's jobs by status: the sum of the counter shards (one read)."""
        response = clients.dynamodb().query(
            TableName=self.table, KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_values({":pk": COUNTS_PK}))
        totals = dict.fromkeys(Status, 0)
        for raw in response.get("Items", []):
            item = from_item(raw)
            for status in Status:
                totals[status] += int(item.get(status.value, 0))
        return totals

    def _count(self, user_id: str, status: Status, delta: int) -> dict[str, Any]:
        return {"Update": {
            "TableName": self.table,
            "Key": to_item({"pk": _user_pk(user_id), "sk": STATS_SK}),
            "UpdateExpression": "ADD #s :d",
            "ExpressionAttributeNames": {"#s": status.value},
            "ExpressionAttributeValues": to_values({":d": delta}),
        }}

    # -- reads -------------------------------------------------------------------------------

    def get(self, user_id: str, job_id: str) -> PromotionJob | None:
        response = clients.dynamodb().get_item(
            TableName=self.table, Key=to_item({"pk": _user_pk(user_id), "sk": _job_sk(job_id)}),
            ConsistentRead=True)
        raw = response.get("Item")
        return self._from_item(raw) if raw else None

    def get_many(self, keys: Iterable[JobKey]) -> dict[JobKey, PromotionJob]:
        found = (self._from_item(raw) for raw in self._get_raw(keys))
        return {(job.user_id, job.id): job for job in found}

    def _get_raw(self, keys: Iterable[JobKey], *, consistent: bool = True) -> list[dict[str, Any]]:
        """The items of ``keys``. Consistent unless told: a message sent right after a write must
        see that write, or the worker would take it for a stale duplicate."""
        wanted = list(dict.fromkeys(keys))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            request: dict[str, Any] = {self.table: {
                "ConsistentRead": consistent,
                "Keys": [to_item({"pk": _user_pk(u), "sk": _job_sk(j)}) for u, j in wanted[start:start + 100]],
            }}
            for pause in (0.0, 0.05, 0.1, 0.2, 0.4, 0.8):
                time.sleep(pause)
                response = clients.dynamodb().batch_get_item(RequestItems=request)
                found += response.get("Responses", {}).get(self.table, [])
                request = dict(response.get("UnprocessedKeys") or {})
                if not request:
                    break
            else:
                raise RuntimeError("DynamoDB left keys unprocessed after several retries")
        return found

    def _read_listed(self, keys: Iterable[JobKey]) -> list[dict[str, Any]]:
        """Jobs for a listing: as current as an index's copy would be (eventually consistent)."""
        return self._get_raw(keys, consistent=False)

    def count_unfinished(self, user_id: str, now_ms: int) -> UnfinishedCounts:
        # One query over the caller's unfinished jobs, returning only their due times: two
        # COUNT queries (due / not due) could count a job that moves between them twice.
        ready = pending = 0
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table, "IndexName": BY_USER_STATUS, "KeyConditionExpression": "userStatus = :k",
                "ProjectionExpression": "statusAt",
                "ExpressionAttributeValues": to_values({":k": f"{user_id}#{Status.PENDING.value}"})}
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = clients.dynamodb().query(**kwargs)
            for item in response.get("Items", []):
                if int(item["statusAt"]["N"]) <= now_ms:
                    ready += 1
                else:
                    pending += 1
            start = response.get("LastEvaluatedKey")
            if not start:
                return UnfinishedCounts(ready=ready, pending=pending)

    def finished_counts(self, user_id: str) -> dict[Status, int]:
        response = clients.dynamodb().get_item(
            TableName=self.table, Key=to_item({"pk": _user_pk(user_id), "sk": STATS_SK}))
        item = from_item(response.get("Item") or {})
        return {status: int(item.get(status.value, 0)) for status in TERMINAL}

    def list_jobs(self, user_id: str, status: Status | None, limit: int, cursor: str | None) -> Page:
        kwargs: dict[str, Any] = {"TableName": self.table, "Limit": limit}
        if status is None:
            kwargs |= {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                       "ExpressionAttributeValues": to_values({":pk": _user_pk(user_id), ":prefix": "JOB#"}),
                       # A listing does not show histories: leave them in the table.
                       "ProjectionExpression": ", ".join(f"#{n}" for n in ("pk", "sk", *SUMMARY)),
                       "ExpressionAttributeNames": {f"#{n}": n for n in ("pk", "sk", *SUMMARY)}}
            owner = ("pk", _user_pk(user_id))
        else:
            kwargs |= {"IndexName": BY_USER_STATUS, "KeyConditionExpression": "userStatus = :k",
                       "ExpressionAttributeValues": to_values({":k": f"{user_id}#{status.value}"}),
                       # Unfinished: next due first. Finished: most recent first.
                       "ScanIndexForward": not status.terminal}
            owner = ("userStatus", f"{user_id}#{status.value}")
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, owner)
        response = clients.dynamodb().query(**kwargs)
        jobs = [self._from_item(raw, full=False) for raw in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return Page(jobs=jobs, cursor=_encode_cursor(last) if last else None)

    def due_for_user(self, user_id: str, until_ms: int, limit: int) -> list[PromotionJob]:
        response = clients.dynamodb().query(
            TableName=self.table, IndexName=BY_USER_STATUS, Limit=limit, ScanIndexForward=True,
            KeyConditionExpression="userStatus = :k AND statusAt <= :until", ProjectionExpression="pk, sk",
            ExpressionAttributeValues=to_values({":k": f"{user_id}#{Status.PENDING.value}", ":until": until_ms}))
        # Read by key: the index has no histories and may lag the last write.
        found = self.get_many(_job_key(raw) for raw in response.get("Items", []))
        return sorted((j for j in found.values() if not j.status.terminal), key=lambda j: j.next_retry_at or 0)

    def overdue(self, before_ms: int, limit: int) -> list[PromotionJob]:
        # Every job due before the time has a lease at or before the lease of the time itself.
        # The jobs of that last lease may not be due yet: they are read, and left out.
        keys: list[tuple[int, JobKey]] = []
        for shard in range(self.due_shards):
            response = clients.dynamodb().query(
                TableName=self.table, IndexName=UNFINISHED, Limit=limit, ScanIndexForward=True,
                KeyConditionExpression="dueShard = :s AND sweepAt <= :lease",
                ExpressionAttributeValues=to_values({":s": str(shard), ":lease": lease(before_ms)}))
            keys += [(int(raw["sweepAt"]["N"]), _job_key(raw)) for raw in response.get("Items", [])]
        keys.sort()
        # Half the price of consistent reads, and safe: a job read before its last write looks
        # due too early, and re-queuing it is a write on that older version, which is refused.
        found = (self._from_item(raw) for raw in self._get_raw((key for _, key in keys), consistent=False))
        late = [j for j in found if not j.status.terminal and (j.next_retry_at or 0) < before_ms]
        return sorted(late, key=lambda j: j.next_retry_at or 0)[:limit]

    # -- across sellers ----------------------------------------------------------------------

    def search(self, where: JobFilter, limit: int, cursor: str | None) -> Page:
        if where.job_id is not None or where.listing_id is not None:
            return self._search_listing(where, limit, cursor)
        taken, next_cursor = merged_page(self.table, self._partitions(where), limit, cursor)
        jobs = [self._from_item(raw, full=False) for _, raw in taken]
        return Page(jobs=[job for job in jobs if where.matches(job)], cursor=next_cursor)

    def _partitions(self, where: JobFilter) -> list[Partition]:
        statuses = [where.status] if where.status is not None else list(Status)
        if where.seller is not None:
            return [Partition(f"u.{status.value}", BY_USER_STATUS, "userStatus", f"{where.seller}#{status.value}",
                              "statusAt", where.since, where.until) for status in statuses]
        partitions: list[Partition] = []
        for status in statuses:
            for shard in range(self.due_shards):
                if status is Status.PENDING:
                    if shard == 0:  # one partition over every shard
                        partitions.append(_UnfinishedJobs("pending", None, "status", Status.PENDING.value,
                                                          "nextRetryAt", where.since, where.until,
                                                          shards=self.due_shards, read=self._read_listed))
                else:
                    partitions.append(Partition(f"{status.value}.{shard}", FINISHED, "finishedKey",
                                                f"{status.value}#{shard}", "finishedAt", where.since, where.until))
        return partitions

    def _search_listing(self, where: JobFilter, limit: int, cursor: str | None) -> Page:
        listing_id, created = where.listing_id, None
        if where.job_id is not None:
            listing_id, _, suffix = where.job_id.rpartition("_")
            if where.listing_id not in (None, listing_id) or not suffix.isdigit():
                return Page(jobs=[], cursor=None)  # no job has that id
            created = int(suffix)
        assert listing_id is not None
        partition = Partition("l", BY_LISTING, "listingId", listing_id, "createdAt", created, created)
        taken, next_cursor = merged_page(self.table, [partition], limit, cursor)
        keys = [_job_key(raw) for _, raw in taken]
        found = self.get_many(keys)
        jobs = [found[key] for key in keys if key in found]
        return Page(jobs=[job for job in jobs if where.matches(job)], cursor=next_cursor)


def _job_key(raw: dict[str, Any]) -> JobKey:
    """(user id, job id) from an item's table keys."""
    return (raw["pk"]["S"].removeprefix("USER#"), raw["sk"]["S"].removeprefix("JOB#"))


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _outbox(outbox: OutboxItems | None) -> OutboxItems:
    if outbox is None:
        raise RuntimeError("this repository was given events but no outbox table (EVENTS_TABLE)")
    return outbox


def _only_conflicts(reasons: list[dict[str, Any]]) -> bool:
    codes = {r.get("Code") for r in reasons} - {"None", None}
    return bool(codes) and codes <= {"TransactionConflict"}


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str, owner: tuple[str, str]) -> dict[str, Any]:
    """A cursor is an opaque position; it must point into the caller's own listing."""
    attr, expected = owner
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(key, dict) and key.get(attr) == {"S": expected} and {"pk", "sk"} <= key.keys():
            return key
    except (ValueError, binascii.Error):
        pass
    raise InvalidCursor("cursor is not one this API returned for this listing")


def lease(due_ms: int) -> int:
    """The job's place in the Unfinished index: its next attempt time, rounded up to a lease."""
    return -(-due_ms // LEASE_MS) * LEASE_MS


@dataclass(frozen=True)
class _UnfinishedJobs(Partition):
    """Every seller's unfinished jobs, latest next attempt first, as one partition of a search.

    The Unfinished index orders jobs by lease only (and holds only keys), so the jobs are read by
    key a whole lease at a time and sorted by their next attempt; every job of a later lease is
    due later, so the jobs of the leases read so far come before all others. The position a page
    ends at is the last job's next attempt time and keys.
    """

    shards: int = 1
    read: Callable[[Iterable[JobKey]], list[dict[str, Any]]] | None = None  # the jobs by key

    def query(self, table: str, limit: int, start: dict[str, Any] | None, projection: str | None) -> dict[str, Any]:
        assert self.read is not None
        high, after = self.high, None
        if start:
            after = _order(start)
            high = after[0] if high is None else min(int(high), after[0])
        low = None if self.low is None else int(self.low)
        taken: list[dict[str, Any]] = []
        at = None if high is None else lease(int(high))
        while True:
            at = self._previous_lease(table, at)
            if at is None or (low is not None and at < lease(low)):
                return {"Items": _first(taken, limit)}
            for raw in self.read(self._keys_of_lease(table, at)):
                due = raw.get("nextRetryAt", {}).get("N")
                if raw.get("status") != {"S": Status.PENDING.value} or due is None:
                    continue  # finished since the index was read
                if (low is not None and int(due) < low) or (high is not None and int(due) > int(high)):
                    continue
                if after is not None and _order(raw) >= after:
                    continue
                taken.append(raw)
            if len(taken) >= limit:
                # The next page goes on from this page's last job (merged_page keeps its place).
                return {"Items": _first(taken, limit), "LastEvaluatedKey": {"more": True}}
            at -= 1  # below the lease just read

    def _previous_lease(self, table: str, at_most: int | None) -> int | None:
        """The latest lease at or before ``at_most`` any unfinished job holds (None: no such job)."""
        found: list[int] = []
        for shard in range(self.shards):
            kwargs: dict[str, Any] = {
                "TableName": table, "IndexName": UNFINISHED, "Limit": 1, "ScanIndexForward": False,
                "KeyConditionExpression": "dueShard = :s", "ExpressionAttributeValues": to_values({":s": str(shard)})}
            if at_most is not None:
                kwargs["KeyConditionExpression"] += " AND sweepAt <= :at"
                kwargs["ExpressionAttributeValues"] = to_values({":s": str(shard), ":at": at_most})
            found += [int(raw["sweepAt"]["N"]) for raw in clients.dynamodb().query(**kwargs).get("Items", [])]
        return max(found, default=None)

    def _keys_of_lease(self, table: str, at: int) -> list[JobKey]:
        keys: list[JobKey] = []
        for shard in range(self.shards):
            start: dict[str, Any] | None = None
            while True:
                kwargs: dict[str, Any] = {
                    "TableName": table, "IndexName": UNFINISHED,
                    "KeyConditionExpression": "dueShard = :s AND sweepAt = :at",
                    "ExpressionAttributeValues": to_values({":s": str(shard), ":at": at})}
                if start:
                    kwargs["ExclusiveStartKey"] = start
                response = clients.dynamodb().query(**kwargs)
                keys += [_job_key(raw) for raw in response.get("Items", [])]
                start = response.get("LastEvaluatedKey")
                if not start:
                    break
        return keys


def _order(raw: dict[str, Any]) -> tuple[int, str, str]:
    """A job's place in a listing of unfinished jobs: by next attempt, then by its keys."""
    return (int(raw["nextRetryAt"]["N"]), raw["pk"]["S"], raw["sk"]["S"])


def _first(items: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    return sorted(items, key=_order, reverse=True)[:limit]


POLL_SK = "POLL"


@dataclass(frozen=True)
class DynamoSellerPolls:
    """A seller's poll as one item beside its jobs: taken with a conditional put (free, expired
    or already ours), given back with a conditional delete. It carries no status, so none of the
    table's indexes holds it."""

    table: str

    def hold(self, user_id: str, owner: str, now_ms: int, until_ms: int) -> bool:
        try:
            clients.dynamodb().put_item(
                TableName=self.table,
                Item=to_item({"pk": _user_pk(user_id), "sk": POLL_SK, "pollOwner": owner, "pollUntil": until_ms}),
                ConditionExpression="attribute_not_exists(pk) OR pollUntil < :now OR pollOwner = :owner",
                ExpressionAttributeValues=to_values({":now": now_ms, ":owner": owner}))
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def release(self, user_id: str, owner: str) -> None:
        try:
            clients.dynamodb().delete_item(
                TableName=self.table, Key=to_item({"pk": _user_pk(user_id), "sk": POLL_SK}),
                ConditionExpression="pollOwner = :owner", ExpressionAttributeValues=to_values({":owner": owner}))
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
