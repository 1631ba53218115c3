"""A market job: refresh one (provider, sku, size) price. At most one is queued or running per key."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any


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

    @property
    def key(self) -> str:
        return dedupe_key(self.provider, self.sku, self.size)

    def moved(self, status: MarketStatus, now_ms: int, **changes: Any) -> MarketJob:
        return replace(self, status=status, updated_at=now_ms, version=self.version + 1, **changes)

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "provider": self.provider.value, "sku": self.sku, "size": self.size,
                "priority": self.priority, "status": self.status.value, "retryCount": self.retry_count,
                "error": self.error, "enqueuedAt": self.enqueued_at, "updatedAt": self.updated_at,
                "startedAt": self.started_at, "completedAt": self.completed_at}


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
