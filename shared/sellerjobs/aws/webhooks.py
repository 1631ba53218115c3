"""Sellers' webhook endpoints and their deliveries in DynamoDB (``EventsTable``), secrets sealed with KMS.

    pk = USER#<userId>      sk = WEBHOOK#<webhookId>    an endpoint: url, events, status, sealed secrets
    pk = USER#<userId>      sk = WEBHOOKS               how many endpoints the user has (at most 10)
    pk = WEBHOOK#<webhookId> sk = DELIVERY#<occurredAt>#<eventId>
                                                        a delivery (or a note): state, attempts, body

An endpoint's items sit under its owner's partition, so every read is scoped to the caller. A
delivery is written once per (endpoint, event); each attempt is recorded with a guard on its
state and attempt count. Index:

    DueDeliveries  dueShard (only while pending), nextAttemptAt: deliveries whose message was lost.

Secrets are encrypted with their own KMS key and an encryption context naming the user, the
endpoint and the purpose, so a ciphertext copied onto another endpoint does not decrypt; opened
secrets are cached in memory per container (a delivery does not cost a KMS call each).
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import cancellation_reasons, error_code, from_item, is_condition_failure, to_item, to_values
from sellerjobs.aws.ebay_accounts import KmsSealer
from sellerjobs.webhooks.model import Delivery, DeliveryState, Webhook, WebhookStatus
from sellerjobs.webhooks.ports import TooManyWebhooks

DUE_DELIVERIES = "DueDeliveries"
DUE_SHARDS = 4
DELIVERY_TTL_S = 14 * 86400  # kept this long after they were last touched
COUNT_SK = "WEBHOOKS"


def _user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _hook_sk(webhook_id: str) -> str:
    return f"WEBHOOK#{webhook_id}"


def _context(user_id: str, webhook_id: str) -> dict[str, str]:
    return {"userId": user_id, "webhookId": webhook_id, "purpose": "webhook-secret"}


@dataclass
class DynamoWebhookStore:
    table: str
    sealer: KmsSealer
    _opened: dict[str, str] = field(default_factory=dict)  # sha256 of a ciphertext -> the secret
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _key(self, user_id: str, webhook_id: str) -> dict[str, Any]:
        return to_item({"pk": _user_pk(user_id), "sk": _hook_sk(webhook_id)})

    def _seal(self, hook: Webhook, secret: str) -> bytes:
        return self.sealer.seal(secret, _context(hook.user_id, hook.id))

    def _open(self, user_id: str, webhook_id: str, sealed: bytes) -> str:
        digest = hashlib.sha256(sealed).hexdigest()
        with self._lock:
            if digest in self._opened:
                return self._opened[digest]
        secret = self.sealer.open(sealed, _context(user_id, webhook_id))
        with self._lock:
            self._opened[digest] = secret
        return secret

    def _hook(self, raw: dict[str, Any], *, with_secrets: bool) -> Webhook:
        item = from_item(raw)
        user_id, webhook_id = item["userId"], item["webhookId"]
        secret = previous = None
        if with_secrets:
            secret = self._open(user_id, webhook_id, bytes(item["secret"]))
            if item.get("previousSecret") is not None:
                previous = self._open(user_id, webhook_id, bytes(item["previousSecret"]))

        def ms(name: str) -> int | None:
            return int(item[name]) if item.get(name) is not None else None

        return Webhook(id=webhook_id, user_id=user_id, url=item["url"], events=tuple(item.get("events") or ()),
                       status=WebhookStatus(item["status"]), created_at=int(item["createdAt"]),
                       updated_at=int(item["updatedAt"]), description=item.get("description"), secret=secret,
                       previous_secret=previous, previous_secret_until=ms("previousSecretUntil"),
                       failing_since=ms("failingSince"), disabled_at=ms("disabledAt"))

    def create(self, hook: Webhook, max_per_user: int) -> None:
        assert hook.secret is not None, "a new endpoint has a secret"
        item = to_item({"pk": _user_pk(hook.user_id), "sk": _hook_sk(hook.id), "type": "webhook",
                        "webhookId": hook.id, "userId": hook.user_id, "url": hook.url, "events": list(hook.events),
                        "description": hook.description, "status": hook.status.value, "createdAt": hook.created_at,
                        "updatedAt": hook.updated_at, "secret": self._seal(hook, hook.secret)})
        try:
            clients.dynamodb().transact_write_items(TransactItems=[
                {"Put": {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": self.table, "Key": to_item({"pk": _user_pk(hook.user_id), "sk": COUNT_SK}),
                            "UpdateExpression": "ADD #n :one",
                            "ConditionExpression": "attribute_not_exists(#n) OR #n < :max",
                            "ExpressionAttributeNames": {"#n": "count"},
                            "ExpressionAttributeValues": to_values({":one": 1, ":max": max_per_user})}},
            ])
        except ClientError as exc:
            reasons = cancellation_reasons(exc) if error_code(exc) == "TransactionCanceledException" else []
            if len(reasons) > 1 and reasons[1].get("Code") == "ConditionalCheckFailed":
                raise TooManyWebhooks(max_per_user) from exc
            raise

    def get(self, user_id: str, webhook_id: str, *, with_secrets: bool = False) -> Webhook | None:
        raw = clients.dynamodb().get_item(TableName=self.table, Key=self._key(user_id, webhook_id),
                                          ConsistentRead=True).get("Item")
        return self._hook(raw, with_secrets=with_secrets) if raw else None

    def for_user(self, user_id: str) -> list[Webhook]:
        response = clients.dynamodb().query(
            TableName=self.table, KeyConditionExpression="pk = :pk AND begins_with(sk, :w)",
            ExpressionAttributeValues=to_values({":pk": _user_pk(user_id), ":w": "WEBHOOK#"}))
        hooks = [self._hook(raw, with_secrets=False) for raw in response.get("Items", [])]
        return sorted(hooks, key=lambda h: h.created_at)

    def delete(self, user_id: str, webhook_id: str) -> bool:
        try:
            clients.dynamodb().transact_write_items(TransactItems=[
                {"Delete": {"TableName": self.table, "Key": self._key(user_id, webhook_id),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Update": {"TableName": self.table, "Key": to_item({"pk": _user_pk(user_id), "sk": COUNT_SK}),
                            "UpdateExpression": "ADD #n :minus", "ExpressionAttributeNames": {"#n": "count"},
                            "ExpressionAttributeValues": to_values({":minus": -1})}},
            ])
            return True
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                reasons = cancellation_reasons(exc)
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    return False
            raise

    def update(self, user_id: str, webhook_id: str, now_ms: int, *, status: WebhookStatus | None = None,
               events: Sequence[str] | None = None, description: str | None = None) -> Webhook | None:
        sets, removes = ["updatedAt = :now"], []
        values: dict[str, Any] = {":now": now_ms}
        if status is WebhookStatus.ACTIVE:
            sets.append("#status = :status")
            removes += ["failingSince", "disabledAt"]  # a fresh start: the three days count again
            values[":status"] = status.value
        elif status is WebhookStatus.DISABLED:
            sets += ["#status = :status", "disabledAt = if_not_exists(disabledAt, :now)"]
            values[":status"] = status.value
        if events is not None:
            sets.append("events = :events")
            values[":events"] = list(events)
        if description is not None:
            sets.append("description = :description")
            values[":description"] = description
        return self._update(user_id, webhook_id, "SET " + ", ".join(sets) + (
            " REMOVE " + ", ".join(removes) if removes else ""), values)

    def _update(self, user_id: str, webhook_id: str, expression: str, values: dict[str, Any],
                condition: str = "attribute_exists(pk)") -> Webhook | None:
        kwargs: dict[str, Any] = {"TableName": self.table, "Key": self._key(user_id, webhook_id),
                                  "UpdateExpression": expression, "ConditionExpression": condition,
                                  "ExpressionAttributeValues": to_values(values), "ReturnValues": "ALL_NEW"}
        if "#status" in expression or "#status" in condition:
            kwargs["ExpressionAttributeNames"] = {"#status": "status"}
        try:
            response = clients.dynamodb().update_item(**kwargs)
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return self._hook(response["Attributes"], with_secrets=False)

    def rotate(self, user_id: str, webhook_id: str, secret: str, now_ms: int, overlap_ms: int) -> Webhook | None:
        current = clients.dynamodb().get_item(TableName=self.table, Key=self._key(user_id, webhook_id),
                                              ConsistentRead=True).get("Item")
        if not current:
            return None
        sealed_now = bytes(from_item(current)["secret"])
        sealed_new = self.sealer.seal(secret, _context(user_id, webhook_id))
        # Guarded by the secret read: two rotations at once cannot both keep "the previous" secret.
        hook = self._update(user_id, webhook_id,
                            "SET secret = :new, previousSecret = :old, previousSecretUntil = :until, updatedAt = :now",
                            {":new": sealed_new, ":old": sealed_now, ":until": now_ms + overlap_ms, ":now": now_ms},
                            condition="secret = :old")
        return None if hook is None else replace(hook, secret=secret)

    def note_failure(self, user_id: str, webhook_id: str, now_ms: int) -> int | None:
        try:
            response = clients.dynamodb().update_item(
                TableName=self.table, Key=self._key(user_id, webhook_id),
                UpdateExpression="SET failingSince = if_not_exists(failingSince, :now)",
                ConditionExpression="attribute_exists(pk)", ReturnValues="ALL_NEW",
                ExpressionAttributeValues=to_values({":now": now_ms}))
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return int(from_item(response["Attributes"])["failingSince"])

    def note_success(self, user_id: str, webhook_id: str) -> None:
        try:
            clients.dynamodb().update_item(TableName=self.table, Key=self._key(user_id, webhook_id),
                                           UpdateExpression="REMOVE failingSince",
                                           ConditionExpression="attribute_exists(pk)")
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def disable(self, user_id: str, webhook_id: str, now_ms: int, failing_since: int) -> bool:
        return self._update(user_id, webhook_id, "SET #status = :disabled, disabledAt = :now, updatedAt = :now",
                            {":disabled": WebhookStatus.DISABLED.value, ":now": now_ms,
                             ":active": WebhookStatus.ACTIVE.value, ":since": failing_since},
                            condition="#status = :active AND failingSince = :since") is not None


def _delivery_sk(occurred_at: int, event_id: str) -> str:
    return f"DELIVERY#{occurred_at:013d}#{event_id}"


# What the deliveries list reads: everything but the body.
_LISTED = ("webhookId, userId, eventId, #type, occurredAt, #state, attempts, nextAttemptAt, lastStatus, lastError, "
           "createdAt, updatedAt, deliveredAt")


@dataclass
class DynamoDeliveryStore:
    table: str

    def _item(self, d: Delivery) -> dict[str, Any]:
        pending = d.state is DeliveryState.PENDING
        return to_item({
            "pk": f"WEBHOOK#{d.webhook_id}", "sk": _delivery_sk(d.occurred_at, d.event_id), "webhookId": d.webhook_id,
            "userId": d.user_id, "eventId": d.event_id, "type": d.type, "occurredAt": d.occurred_at, "body": d.body,
            "state": d.state.value, "attempts": d.attempts, "nextAttemptAt": d.next_attempt_at,
            "lastStatus": d.last_status, "lastError": d.last_error, "createdAt": d.created_at,
            "updatedAt": d.updated_at, "deliveredAt": d.delivered_at,
            "dueShard": str(zlib.crc32(d.webhook_id.encode()) % DUE_SHARDS) if pending else None,
            "expiresAt": d.updated_at // 1000 + DELIVERY_TTL_S,
        })

    @staticmethod
    def _delivery(raw: dict[str, Any]) -> Delivery:
        item = from_item(raw)

        def number(name: str) -> int | None:
            return int(item[name]) if item.get(name) is not None else None

        return Delivery(webhook_id=item["webhookId"], user_id=item["userId"], event_id=item["eventId"],
                        type=item["type"], occurred_at=int(item["occurredAt"]), body=item.get("body", ""),
                        state=DeliveryState(item["state"]), created_at=int(item["createdAt"]),
                        updated_at=int(item["updatedAt"]), attempts=int(item.get("attempts", 0)),
                        next_attempt_at=number("nextAttemptAt"), last_status=number("lastStatus"),
                        last_error=item.get("lastError"), delivered_at=number("deliveredAt"))

    def create(self, delivery: Delivery) -> Delivery | None:
        try:
            clients.dynamodb().put_item(TableName=self.table, Item=self._item(delivery),
                                        ConditionExpression="attribute_not_exists(pk)",
                                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return None
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            old: Any = exc.response.get("Item")
            if old:
                return self._delivery(old)
            return self.get(delivery.webhook_id, delivery.occurred_at, delivery.event_id)

    def get(self, webhook_id: str, occurred_at: int, event_id: str) -> Delivery | None:
        raw = clients.dynamodb().get_item(
            TableName=self.table, ConsistentRead=True,
            Key=to_item({"pk": f"WEBHOOK#{webhook_id}", "sk": _delivery_sk(occurred_at, event_id)})).get("Item")
        return self._delivery(raw) if raw else None

    def record(self, previous: Delivery, new: Delivery) -> bool:
        try:
            clients.dynamodb().put_item(
                TableName=self.table, Item=self._item(new),
                ConditionExpression="#state = :state AND attempts = :attempts",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=to_values({":state": previous.state.value, ":attempts": previous.attempts}))
            return True
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def note(self, note: Delivery) -> None:
        clients.dynamodb().put_item(TableName=self.table, Item=self._item(note))

    def recent(self, webhook_id: str, limit: int) -> list[Delivery]:
        response = clients.dynamodb().query(
            TableName=self.table, KeyConditionExpression="pk = :pk AND begins_with(sk, :d)", ScanIndexForward=False,
            Limit=limit, ProjectionExpression=_LISTED, ExpressionAttributeNames={"#type": "type", "#state": "state"},
            ExpressionAttributeValues=to_values({":pk": f"WEBHOOK#{webhook_id}", ":d": "DELIVERY#"}))
        return [self._delivery(raw) for raw in response.get("Items", [])]

    def overdue(self, before_ms: int, limit: int) -> list[Delivery]:
        found: list[Delivery] = []
        for shard in range(DUE_SHARDS):
            response = clients.dynamodb().query(
                TableName=self.table, IndexName=DUE_DELIVERIES, Limit=limit,
                KeyConditionExpression="dueShard = :s AND nextAttemptAt < :before",
                ExpressionAttributeValues=to_values({":s": str(shard), ":before": before_ms}))
            found += [self._delivery(raw) for raw in response.get("Items", [])]
        found.sort(key=lambda d: d.next_attempt_at or 0)
        return found[:limit]
