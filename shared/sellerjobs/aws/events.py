"""The event outbox in DynamoDB (``EventsTable``), the relay queue, and the EventBridge bus.

    pk = EVENT#<eventId>  sk = EVENT   an event: its type, payload (as sent), sellers, when it was
                                       stored and, once the bus accepted it, when it was published

Writers add an event's ``Put`` to the transaction that stores the state change it announces
(``OutboxItems.put``); the item is written once (``attribute_not_exists``). Indexes:

    Unpublished  unpublishedShard (only until published), occurredAt: what the sweep publishes when
                 an announcement was lost. Sharded so no index partition takes every write.
    RecentIds    recentDay = "YYYY-MM-DD", recentSort = "<occurredAt>#<id>": the latest events,
                 for GET /admin/events, one day's partition at a time. Keys only: marking an
                 event published then costs this index nothing (a full copy would be rewritten
                 with every event), and the page's events are read by key.

Events expire a week after they were stored (TTL), long after the relay has published them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from sellerjobs.aws import clients
from sellerjobs.aws.delay_queue import SqsDelayQueue
from sellerjobs.aws.dynamo import from_item, is_condition_failure, to_item, to_values
from sellerjobs.events.model import EVENT_SOURCE, JobEvent, StoredEvent
from sellerjobs.events.ports import RelayMessage

logger = Logger(child=True)

UNPUBLISHED = "Unpublished"
RECENT = "RecentIds"
EVENT_TTL_S = 7 * 86400
SHARDS = 4
IDS_PER_MESSAGE = 50  # event ids per relay message
PUT_EVENTS_LIMIT = 10  # EventBridge's entries per PutEvents call
BATCH_GET_LIMIT = 100


def _pk(event_id: str) -> str:
    return f"EVENT#{event_id}"


def _day(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d")


@dataclass
class OutboxItems:
    """The outbox as writers see it: one transaction item per event."""

    table: str

    def put(self, event: JobEvent) -> dict[str, Any]:
        return {"Put": {
            "TableName": self.table,
            "Item": to_item({
                "pk": _pk(event.id), "sk": "EVENT", "eventId": event.id, "type": event.type,
                "occurredAt": event.occurred_at, "body": event.body, "sellers": list(event.sellers),
                "unpublishedShard": str(zlib.crc32(event.id.encode()) % SHARDS),
                "recentDay": _day(event.occurred_at), "recentSort": f"{event.occurred_at:013d}#{event.id}",
                "expiresAt": event.occurred_at // 1000 + EVENT_TTL_S,
            }),
            "ConditionExpression": "attribute_not_exists(pk)",
        }}


def _stored(raw: dict[str, Any]) -> StoredEvent:
    item = from_item(raw)
    event = JobEvent(id=item["eventId"], type=item["type"], occurred_at=int(item["occurredAt"]), body=item["body"],
                     sellers=tuple(item.get("sellers") or ()))
    published = item.get("publishedAt")
    return StoredEvent(event=event, published_at=int(published) if published is not None else None)


@dataclass
class DynamoEventStore:
    table: str

    def put(self, event: JobEvent) -> bool:
        """Store an event on its own (not part of a state change's write); False if it exists."""
        try:
            clients.dynamodb().put_item(**OutboxItems(self.table).put(event)["Put"])
            return True
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def get_many(self, event_ids: Sequence[str]) -> dict[str, StoredEvent]:
        wanted = list(dict.fromkeys(event_ids))
        found: dict[str, StoredEvent] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            request: dict[str, Any] = {self.table: {
                # Consistent: the relay is told about an event right after the write that stored it.
                "ConsistentRead": True,
                "Keys": [to_item({"pk": _pk(i), "sk": "EVENT"}) for i in wanted[start:start + BATCH_GET_LIMIT]]}}
            for _ in range(6):
                response = clients.dynamodb().batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table, []):
                    stored = _stored(raw)
                    found[stored.event.id] = stored
                request = dict(response.get("UnprocessedKeys") or {})
                if not request:
                    break
            else:
                raise RuntimeError("DynamoDB left event keys unprocessed after several tries")
        return found

    def mark_published(self, event_id: str, now_ms: int) -> None:
        try:
            clients.dynamodb().update_item(
                TableName=self.table, Key=to_item({"pk": _pk(event_id), "sk": "EVENT"}),
                UpdateExpression="SET publishedAt = if_not_exists(publishedAt, :now) REMOVE unpublishedShard",
                ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues=to_values({":now": now_ms}))
        except ClientError as exc:
            if not is_condition_failure(exc):  # expired meanwhile: nothing left to mark
                raise

    def unpublished(self, before_ms: int, limit: int) -> list[StoredEvent]:
        found: list[StoredEvent] = []
        for shard in range(SHARDS):
            response = clients.dynamodb().query(
                TableName=self.table, IndexName=UNPUBLISHED, Limit=limit,
                KeyConditionExpression="unpublishedShard = :s AND occurredAt < :before",
                ExpressionAttributeValues=to_values({":s": str(shard), ":before": before_ms}))
            found += [_stored(raw) for raw in response.get("Items", [])]
        found.sort(key=lambda s: s.event.occurred_at)
        return found[:limit]

    def recent(self, now_ms: int, limit: int) -> list[StoredEvent]:
        ids: list[str] = []
        day = datetime.fromtimestamp(now_ms / 1000, UTC)
        # Today's partition first, then the days before it, until enough were found (a week at most).
        for back in range(EVENT_TTL_S // 86400 + 1):
            if len(ids) >= limit:
                break
            response = clients.dynamodb().query(
                TableName=self.table, IndexName=RECENT, Limit=limit - len(ids), ScanIndexForward=False,
                KeyConditionExpression="recentDay = :d",
                ExpressionAttributeValues=to_values({":d": (day - timedelta(days=back)).strftime("%Y-%m-%d")}))
            ids += [raw["pk"]["S"].removeprefix("EVENT#") for raw in response.get("Items", [])]
        found = self.get_many(ids)
        # In the index's order; an event that expired between the two reads is left out.
        return [found[i] for i in ids if i in found]


@dataclass
class SqsEventAnnouncer:
    """Writers tell the relay about stored events through its queue, many ids per message."""

    queue: SqsDelayQueue[RelayMessage]

    def announce(self, events: Sequence[JobEvent]) -> None:
        ids = [e.id for e in events]
        messages = [RelayMessage(event_ids=tuple(ids[i:i + IDS_PER_MESSAGE]))
                    for i in range(0, len(ids), IDS_PER_MESSAGE)]
        if messages and self.queue.send(messages):
            # Stored all the same: the relay's sweep publishes them within a couple of minutes.
            logger.warning("Could not tell the relay about stored events; the sweep will publish them",
                           extra={"event_ids": ids[:20]})


@dataclass
class EventBridgeBus:
    """The template's custom bus: ``source`` "sellerjobs", ``detail-type`` the event type, and as
    ``detail`` the payload webhooks receive plus the sellers the event is for."""

    bus_name: str

    def publish(self, events: Sequence[JobEvent]) -> set[str]:
        refused: set[str] = set()
        for start in range(0, len(events), PUT_EVENTS_LIMIT):
            chunk = list(events[start:start + PUT_EVENTS_LIMIT])
            entries: list[Any] = [{
                "Source": EVENT_SOURCE, "DetailType": e.type, "EventBusName": self.bus_name,
                "Time": datetime.fromtimestamp(e.occurred_at / 1000, UTC),
                "Detail": json.dumps(e.payload | {"sellers": list(e.sellers)}, separators=(",", ":"))}
                for e in chunk]
            try:
                response = clients.events().put_events(Entries=entries)
            except ClientError:
                logger.warning("PutEvents failed", exc_info=True)
                refused.update(e.id for e in chunk)
                continue
            answers = response.get("Entries", [])
            for index, event in enumerate(chunk):
                # One answer per entry, in order; one missing counts as refused.
                if index >= len(answers) or answers[index].get("ErrorCode"):
                    refused.add(event.id)
        return refused
