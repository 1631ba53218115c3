"""A job event: the announcement of one stored state change, as operators and sellers receive it.

Every event has the same payload, ``{"type", "id", "timestamp", "data"}``, where ``data`` is the
job (or price) exactly as the HTTP API shows it. The payload is serialised once, when the event
is created, and stored as text: the bus, every webhook attempt and every redelivery carry the
very same bytes, so a signature computed on one attempt describes what the receiver gets.

An event's id is derived from the state change it announces (the job and the version the change
produced), never drawn at random: a duplicate delivery of the work that recomputes the change
recomputes the same id, and the conditional write that stores the change refuses to store it
twice, so a seller never sees one change announced under two ids.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

# EventBridge's "source" of every event this system puts on its bus.
EVENT_SOURCE = "sellerjobs"


class EventType(StrEnum):
    """The event types sellers subscribe to and operators route on (the names are the contract)."""

    PROMOTION_SUCCEEDED = "promotion.succeeded"
    PROMOTION_FAILED = "promotion.failed"
    PROMOTION_CANCELLED = "promotion.cancelled"
    CATEGORY_FETCH_COMPLETED = "category_fetch.completed"
    CATEGORY_FETCH_FAILED = "category_fetch.failed"
    CATEGORY_FETCH_CANCELLED = "category_fetch.cancelled"
    CATEGORY_FETCH_PROGRESS = "category_fetch.progress"
    MARKET_PRICE_UPDATED = "market.price_updated"
    MARKET_JOB_FAILED = "market.job_failed"


# Sent to one endpoint when its owner asks (POST /webhooks/{id}/test); never on the bus.
WEBHOOK_TEST = "webhook.test"
# Not sent anywhere: the note an endpoint's deliveries list shows when it was disabled.
WEBHOOK_DISABLED = "webhook.disabled"


def event_id(*source: object) -> str:
    """``evt_`` and 26 base32 characters of a hash of what the event announces (deterministic)."""
    digest = hashlib.sha256("|".join(str(part) for part in source).encode()).digest()
    return "evt_" + base64.b32encode(digest).decode().lower()[:26]


def iso_timestamp(epoch_ms: int) -> str:
    """2026-01-01T00:00:05.123Z: ISO 8601 in UTC, to the millisecond."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class JobEvent:
    id: str
    type: str
    occurred_at: int  # epoch ms: when the state change was stored
    body: str  # the payload as it is sent, {"type", "id", "timestamp", "data"}
    sellers: tuple[str, ...] = ()  # whose webhooks receive it (market events: everyone who asked)

    @classmethod
    def create(cls, kind: str, source: Sequence[object], occurred_at: int, data: Mapping[str, Any],
               sellers: Sequence[str]) -> JobEvent:
        identifier = event_id(kind, *source)
        payload = {"type": kind, "id": identifier, "timestamp": iso_timestamp(occurred_at), "data": dict(data)}
        return cls(id=identifier, type=kind, occurred_at=occurred_at,
                   body=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                   sellers=tuple(dict.fromkeys(sellers)))

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value

    @property
    def timestamp(self) -> str:
        return iso_timestamp(self.occurred_at)


@dataclass(frozen=True)
class StoredEvent:
    """An event as the outbox holds it: published to the bus yet or not."""

    event: JobEvent
    published_at: int | None = None  # epoch ms; None while the bus has not accepted it

    def to_api(self) -> dict[str, Any]:
        return {"id": self.event.id, "type": self.event.type, "timestamp": self.event.timestamp,
                "sellers": list(self.event.sellers), "publishedAt": self.published_at,
                "data": self.event.payload.get("data")}
