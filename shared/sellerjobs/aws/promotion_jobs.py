"""Promotion jobs in DynamoDB.

One table, keyed by seller so that every read is scoped to its owner:

    pk = USER#<userId>  sk = JOB#<jobId>          the job
    pk = USER#<userId>  sk = LISTING#<listingId>  lock: the listing's one unfinished job
    pk = USER#<userId>  sk = STATS                finished counters (succeeded/failed/cancelled)

Two global secondary indexes:

    ByUserStatus  userStatus = "<userId>#<status>", statusAt = next attempt (unfinished) or
                  finish time (finished). Lists a seller's jobs by status, and counts unfinished
                  jobs that are due / not yet due without touching finished history.
    DueJobs       dueShard, nextRetryAt — sparse: only unfinished jobs carry ``dueShard``. The
                  sweeper's view of overdue jobs. Sharded so no single index partition takes
                  every write.

Status changes that touch the lock or the counters are transactions, so the counters can never
drift from the jobs and a listing is never locked by a finished job. The events a change
announces are written into the outbox (``EventsTable``) by the same transaction.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from collections.abc import Iterable, Sequence
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
from sellerjobs.events.model import JobEvent
from sellerjobs.promotions.job import TERMINAL, Priority, PromotionJob, Status
from sellerjobs.promotions.ports import InvalidCursor, JobKey, ListingBusy, Page, UnfinishedCounts

BY_USER_STATUS = "ByUserStatus"
DUE_JOBS = "DueJobs"
JOBS_PER_TRANSACTION = 50  # two items each (job + lock); DynamoDB allows 100 per transaction
BATCH_GET_LIMIT = 100
_TRANSACTION_ROUNDS = 6


def _user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _job_sk(job_id: str) -> str:
    return f"JOB#{job_id}"


def _lock_sk(listing_id: str) -> str:
    return f"LISTING#{listing_id}"


STATS_SK = "STATS"


@dataclass
class DynamoJobRepository:
    table: str
    due_shards: int = 4
    outbox: OutboxItems | None = None  # where the events of a status change go (same transaction)

    # -- mapping -----------------------------------------------------------------------------

    def _to_item(self, job: PromotionJob) -> dict[str, Any]:
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
        })

    def _shard(self, job_id: str) -> str:
        return str(zlib.crc32(job_id.encode()) % self.due_shards)

    @staticmethod
    def _from_item(raw: dict[str, Any]) -> PromotionJob:
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

    def save(self, previous: PromotionJob, new: PromotionJob, events: Sequence[JobEvent] = ()) -> bool:
        finishing = not previous.status.terminal and new.status.terminal
        reopening = previous.status.terminal and not new.status.terminal
        if not finishing and not reopening and not events:
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
        elif reopening:
            items.append(self._lock_put(new))
            items.append(self._count(new.user_id, previous.status, -1))
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
            raise

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
        wanted = list(dict.fromkeys(keys))
        found: dict[JobKey, PromotionJob] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            request: dict[str, Any] = {self.table: {
                # Consistent: a message sent right after a write must see that write, or the
                # worker would take it for a stale duplicate.
                "ConsistentRead": True,
                "Keys": [to_item({"pk": _user_pk(u), "sk": _job_sk(j)}) for u, j in wanted[start:start + 100]],
            }}
            for pause in (0.0, 0.05, 0.1, 0.2, 0.4, 0.8):
                time.sleep(pause)
                response = clients.dynamodb().batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table, []):
                    job = self._from_item(raw)
                    found[(job.user_id, job.id)] = job
                request = dict(response.get("UnprocessedKeys") or {})
                if not request:
                    break
            else:
                raise RuntimeError("DynamoDB left keys unprocessed after several retries")
        return found

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
                       "ExpressionAttributeValues": to_values({":pk": _user_pk(user_id), ":prefix": "JOB#"})}
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
        jobs = [self._from_item(raw) for raw in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return Page(jobs=jobs, cursor=_encode_cursor(last) if last else None)

    def due_for_user(self, user_id: str, until_ms: int, limit: int) -> list[PromotionJob]:
        response = clients.dynamodb().query(
            TableName=self.table, IndexName=BY_USER_STATUS, Limit=limit, ScanIndexForward=True,
            KeyConditionExpression="userStatus = :k AND statusAt <= :until",
            ExpressionAttributeValues=to_values({":k": f"{user_id}#{Status.PENDING.value}", ":until": until_ms}))
        return [self._from_item(raw) for raw in response.get("Items", [])]

    def overdue(self, before_ms: int, limit: int) -> list[PromotionJob]:
        found: list[PromotionJob] = []
        for shard in range(self.due_shards):
            response = clients.dynamodb().query(
                TableName=self.table, IndexName=DUE_JOBS, Limit=limit, ScanIndexForward=True,
                KeyConditionExpression="dueShard = :s AND nextRetryAt < :before",
                ExpressionAttributeValues=to_values({":s": str(shard), ":before": before_ms}))
            found.extend(self._from_item(raw) for raw in response.get("Items", []))
        found.sort(key=lambda j: j.next_retry_at or 0)
        return found[:limit]


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
