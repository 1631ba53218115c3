"""What the operators' console answers, as models for the OpenAPI document and the contract tests."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sellerjobs.categories.views import FetchStatusView
from sellerjobs.market.views import MarketJobView
from sellerjobs.promotions.views import JobView


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PromotionSearchPage(_View):
    ok: Literal[True]
    family: Literal["promotion"]
    jobs: list[JobView]
    count: int
    cursor: str | None = Field(description="pass as ?cursor= (with the same filters) for the next page; null on "
                                           "the last. A page may hold fewer jobs than limit when filters skip some")


class FetchSearchPage(_View):
    ok: Literal[True]
    family: Literal["category_fetch"]
    jobs: list[FetchStatusView]
    count: int
    cursor: str | None


class MarketSearchPage(_View):
    ok: Literal[True]
    family: Literal["market"]
    jobs: list[MarketJobView]
    count: int
    cursor: str | None


class BulkFilterView(_View):
    status: Literal["failed", "pending"]
    seller: str | None = None
    listingId: str | None = None
    reason: str | None = None
    since: int | None = None
    until: int | None = None


class BulkActionView(_View):
    id: str
    action: Literal["retry", "cancel"]
    status: Literal["queued", "running", "completed", "failed"]
    by: str = Field(description="who started it")
    filter: BulkFilterView
    limit: int
    matched: int = Field(description="jobs looked at so far: done + skipped")
    done: int = Field(description="jobs retried or cancelled")
    skipped: int = Field(description="jobs that had changed meanwhile (or whose listing another job holds)")
    createdAt: int
    updatedAt: int
    error: str | None


class BulkStarted(_View):
    ok: Literal[True]
    success: Literal[True]
    bulkActionId: str
    bulkAction: BulkActionView
    message: str


class BulkPreview(_View):
    ok: Literal[True]
    success: Literal[True]
    dryRun: Literal[True]
    matched: int = Field(description="jobs the action would match now, at most limit")
    more: bool = Field(description="more jobs match than limit")
    limit: int


class BulkActionEnvelope(_View):
    ok: Literal[True]
    bulkAction: BulkActionView


class StateCounts(_View):
    waiting: int
    active: int
    delayed: int
    completed: int
    failed: int
    total: int


class PromotionCounts(StateCounts):
    unfinished: int = Field(description="unfinished jobs (waiting, active and delayed count queue messages)")
    cancelled: int


class FetchCounts(StateCounts):
    cancelled: int


class MarketCounts(_View):
    stockx: StateCounts
    alias: StateCounts
    ebay: StateCounts


class DeadLetter(_View):
    depth: int = Field(description="messages in the dead-letter queue")
    oldestAgeSeconds: float | None = Field(description="age of the oldest (of up to 10 looked at); null when empty")


class PauseView(_View):
    by: str
    at: int
    reason: str | None


class QueueNames(_View):
    promotion: DeadLetter
    categoryFetch: DeadLetter
    market: DeadLetter


class Paused(_View):
    promotion: PauseView | None
    categoryFetch: PauseView | None
    market: PauseView | None


class QueuesView(_View):
    ok: Literal[True]
    promotion: PromotionCounts
    categoryFetch: FetchCounts
    market: MarketCounts
    deadLetters: QueueNames
    paused: Paused
    now: int = Field(description="the server's clock (epoch ms)")


class QueuePaused(_View):
    ok: Literal[True]
    queue: Literal["promotion", "categoryFetch", "market"]
    paused: PauseView | None = Field(description="null once resumed")
    message: str
