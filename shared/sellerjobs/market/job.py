"""A market job: refresh one (provider, sku, size) price. At most one is queued or running per key."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any

from sellerjobs.jobs.history import HistoryEntry, Note, appended


class Provider(StrEnum):
    STOCKX = "stockx"
    ALIAS = "alias"
    EBAY = "ebay"


class MarketStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEFERRED = "deferred"  # a provider's 429 sent it back: waiting, like pending

    @property
    def queued(self) -> bool:
        """Waiting for the scheduler."""
        return self in (MarketStatus.PENDING, MarketStatus.DEFERRED)

    @property
    def active(self) -> bool:
        return self.queued or self is MarketStatus.RUNNING


class Priority(IntEnum):
    BACKGROUND = 100  # a stale price noticed on a page
    HOT = 150  # an item just added to an inventory
    MANUAL = 200  # a seller pressed refresh


def dedupe_key(provider: Provider, sku: str, size: str | None) -> str:
    return f"{provider.value}|{sku}|{size or ''}"


@dataclass(frozen=True)
class MarketJob:
    id: str
    provider: Provider
    sku: str
    size: str | None
    priority: int
    status: MarketStatus
    enqueued_at: int  # epoch ms: the wait a priority-ordered queue breaks ties by
    updated_at: int
    retry_count: int = 0
    error: str | None = None
    started_at: int | None = None
    completed_at: int | None = None
    version: int = 0
    # Its attempts (see sellerjobs.jobs.history). None: read from an index, which holds no history.
    history: tuple[HistoryEntry, ...] | None = ()
    # The sellers who queued the item or read its price while this job was waiting: its events go
    # to them. Never shown by the API (market jobs carry no seller data).
    asked_by: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return dedupe_key(self.provider, self.sku, self.size)

    def moved(self, status: MarketStatus, now_ms: int, *, entry: HistoryEntry | None = None,
              **changes: Any) -> MarketJob:
        """The job in ``status``, with ``entry`` added to its history when its history was read
        (a job read from an index changes without touching its history)."""
        history = self.history if entry is None or self.history is None else appended(self.history, entry)
        return replace(self, status=status, updated_at=now_ms, version=self.version + 1, history=history, **changes)

    def started(self, now_ms: int) -> MarketJob:
        """A waiting job handed to a worker."""
        return self.moved(MarketStatus.RUNNING, now_ms, started_at=now_ms)

    def retried(self, now_ms: int) -> MarketJob:
        """A failed job queued again by an operator: it waits as if just queued, its error gone."""
        return self.moved(MarketStatus.PENDING, now_ms, error=None, enqueued_at=now_ms)

    def settled(self, status: MarketStatus, now_ms: int, *, error: str | None = None, retries: int = 0,
                note: Note | None = None) -> MarketJob:
        """A running job moved on by an attempt (succeeded, failed, deferred) or a reset (pending);
        ``note``: what the provider answered, recorded as the attempt."""
        finished = status in (MarketStatus.SUCCEEDED, MarketStatus.FAILED)
        entry = None
        if note is not None:
            entry = HistoryEntry.of(now_ms, status.value, replace(note, message=note.message or error),
                                    attempt=self.retry_count + retries + 1)
        return self.moved(status, now_ms, entry=entry, error=error, retry_count=self.retry_count + retries,
                          completed_at=now_ms if finished else None,
                          started_at=self.started_at if status is MarketStatus.RUNNING else None)

    def asked(self, seller: str) -> MarketJob:
        """The job, with ``seller`` among those its events go to. Not a status change (its times stay),
        but a write all the same: the version moves on, so a worker settling the job meanwhile reads
        it again and announces the outcome to this seller too."""
        return replace(self, asked_by=self.asked_by | {seller}, version=self.version + 1)

    def to_api(self, *, history: bool = False) -> dict[str, Any]:
        view: dict[str, Any] = {"id": self.id, "provider": self.provider.value, "sku": self.sku, "size": self.size,
                "priority": self.priority, "status": self.status.value, "retryCount": self.retry_count,
                "error": self.error, "enqueuedAt": self.enqueued_at, "updatedAt": self.updated_at,
                "startedAt": self.started_at, "completedAt": self.completed_at}
        if history and self.history is not None:
            view["history"] = [entry.to_api() for entry in self.history]
        return view


@dataclass(frozen=True)
class Quote:
    """A provider's market figures for one sku and size, in its currency (None: not offered)."""

    currency: str
    lowest_ask: Decimal | None = None
    highest_bid: Decimal | None = None
    last_sale: Decimal | None = None
    extra: dict[str, Decimal | None] | None = None  # provider-specific figures, e.g. StockX's sellFaster
    reference: str | None = None  # the provider's own id for the product/variant


@dataclass(frozen=True)
class CachedPrice:
    provider: Provider
    sku: str
    size: str | None
    quote: Quote
    updated_at: int  # epoch ms

    def to_api(self, stale_after_ms: int, now_ms: int) -> dict[str, Any]:
        def amount(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {"provider": self.provider.value, "sku": self.sku, "size": self.size,
                "currency": self.quote.currency, "lowestAsk": amount(self.quote.lowest_ask),
                "highestBid": amount(self.quote.highest_bid), "lastSale": amount(self.quote.last_sale),
                "extra": {k: amount(v) for k, v in (self.quote.extra or {}).items()},
                "reference": self.quote.reference, "updatedAt": self.updated_at,
                "stale": now_ms - self.updated_at > stale_after_ms}
