"""Bulk actions in the promotion jobs table, beside the jobs they change.

    pk = BULK#<id>  sk = ACTION   the action: filter, limit, progress, cursor, lease

In the jobs' table so that a job's change and the action's ``done`` counter are one transaction
(``DynamoJobRepository.save`` with a ``Tally``). No index holds it. Kept for 30 days (TTL).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import from_item, is_condition_failure, to_item, to_values
from sellerjobs.aws.promotion_jobs import BULK_SK, bulk_pk
from sellerjobs.promotions.bulk import BulkAction, BulkKind, BulkStatus
from sellerjobs.promotions.job import Status
from sellerjobs.promotions.ports import JobFilter

KEEP_S = 30 * 86400
ACTIVE = (BulkStatus.QUEUED.value, BulkStatus.RUNNING.value)


@dataclass
class DynamoBulkActions:
    table: str

    def _key(self, action_id: str) -> dict[str, Any]:
        return to_item({"pk": bulk_pk(action_id), "sk": BULK_SK})

    def create(self, action: BulkAction) -> None:
        where = action.where
        clients.dynamodb().put_item(TableName=self.table, ConditionExpression="attribute_not_exists(pk)", Item=to_item({
            "pk": bulk_pk(action.id), "sk": BULK_SK, "type": "bulk-action", "actionId": action.id,
            "kind": action.kind.value, "limit": action.limit, "by": action.by, "owner": action.owner,
            "status": action.status.value, "createdAt": action.created_at, "updatedAt": action.updated_at,
            "done": 0, "skipped": 0, "expiresAt": action.created_at // 1000 + KEEP_S,
            "filter": json.dumps({"status": where.status.value if where.status else None, "seller": where.seller,
                                  "listingId": where.listing_id, "jobId": where.job_id, "reason": where.reason,
                                  "since": where.since, "until": where.until}, separators=(",", ":"))}))

    def get(self, action_id: str) -> BulkAction | None:
        raw = clients.dynamodb().get_item(TableName=self.table, Key=self._key(action_id),
                                          ConsistentRead=True).get("Item")
        return _action(raw) if raw else None

    def take(self, action_id: str, owner: str, now_ms: int, until_ms: int) -> BulkAction | None:
        try:
            response = clients.dynamodb().update_item(
                TableName=self.table, Key=self._key(action_id), ReturnValues="ALL_NEW",
                UpdateExpression="SET leaseOwner = :owner, leaseUntil = :until, #status = :running, updatedAt = :now",
                ConditionExpression="#status IN (:q, :r) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_values({":owner": owner, ":until": until_ms, ":now": now_ms,
                                                     ":running": BulkStatus.RUNNING.value,
                                                     ":q": ACTIVE[0], ":r": ACTIVE[1]}))
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return _action(response["Attributes"])

    def advance(self, action: BulkAction, owner: str, *, skipped: int, cursor: str | None, status: BulkStatus,
                now_ms: int, release: bool, error: str | None = None) -> bool:
        sets = ["#status = :status", "updatedAt = :now"]
        values: dict[str, Any] = {":status": status.value, ":now": now_ms, ":skipped": skipped, ":owner": owner}
        if cursor is not None:
            sets.append("#cursor = :cursor")
            values[":cursor"] = cursor
        if release:
            sets.append("leaseUntil = :zero")
            values[":zero"] = 0
        if error is not None:
            sets.append("#error = :error")
            values[":error"] = error
        expression = "SET " + ", ".join(sets) + " ADD skipped :skipped"
        if cursor is None:
            expression += " REMOVE #cursor"
        try:
            clients.dynamodb().update_item(
                TableName=self.table, Key=self._key(action.id), UpdateExpression=expression,
                ConditionExpression="leaseOwner = :owner",
                ExpressionAttributeNames={"#status": "status", "#cursor": "cursor"} | (
                    {"#error": "error"} if error is not None else {}),
                ExpressionAttributeValues=to_values(values))
            return True
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def abandon(self, action_id: str, error: str, now_ms: int) -> None:
        clients.dynamodb().update_item(
            TableName=self.table, Key=self._key(action_id),
            UpdateExpression="SET #status = :failed, #error = :error, updatedAt = :now",
            ExpressionAttributeNames={"#status": "status", "#error": "error"},
            ExpressionAttributeValues=to_values({":failed": BulkStatus.FAILED.value, ":error": error, ":now": now_ms}))


def _action(raw: dict[str, Any]) -> BulkAction:
    item = from_item(raw)
    where = json.loads(item["filter"])
    return BulkAction(
        id=item["actionId"], kind=BulkKind(item["kind"]), limit=int(item["limit"]), by=item["by"],
        owner=item.get("owner"), status=BulkStatus(item["status"]), created_at=int(item["createdAt"]),
        updated_at=int(item["updatedAt"]), done=int(item.get("done", 0)), skipped=int(item.get("skipped", 0)),
        cursor=item.get("cursor"), error=item.get("error"),
        where=JobFilter(status=Status(where["status"]) if where.get("status") else None, seller=where.get("seller"),
                        listing_id=where.get("listingId"), job_id=where.get("jobId"), reason=where.get("reason"),
                        since=where.get("since"), until=where.get("until")))
