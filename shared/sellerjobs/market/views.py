"""What the market API answers, as pydantic models: the routes return them and the OpenAPI
document is generated from them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sellerjobs.jobs.views import HistoryEntryView, View
from sellerjobs.market.job import MarketStatus, Provider


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MarketJobView(View):
    OMITTED_WHEN_NULL = frozenset({"history"})

    id: str
    provider: Provider
    sku: str
    size: str | None
    priority: int
    status: MarketStatus
    retryCount: int
    error: str | None
    enqueuedAt: int
    updatedAt: int
    startedAt: int | None
    completedAt: int | None
    history: list[HistoryEntryView] | None = Field(
        None, description="its attempts, oldest first (the last 50); read by key only")


class Enqueued(_View):
    ok: Literal[True]
    queued: list[str]  # new jobs
    deduplicated: list[str]  # already queued or running: those jobs' ids
    raised: list[str]  # deduplicated jobs whose priority went up
    jobs: list[MarketJobView]


class MarketJobPage(_View):
    ok: Literal[True]
    jobs: list[MarketJobView]
    cursor: str | None


class PriceView(_View):
    provider: Provider
    sku: str
    size: str | None
    currency: str
    lowestAsk: str | None
    highestBid: str | None
    lastSale: str | None
    extra: dict[str, str | None]
    reference: str | None
    updatedAt: int
    stale: bool


class PriceEnvelope(_View):
    ok: Literal[True]
    price: PriceView
    refreshQueued: bool


class PricePending(_View):
    """No price cached yet: the job fetching it."""

    ok: Literal[True]
    price: None
    refreshQueued: Literal[True]
    job: MarketJobView


class Budget(_View):
    limit: int
    used: int
    remaining: int
    allowedNow: int
    hourStart: int


class SchedulerRunView(_View):
    startedAt: int
    finishedAt: int
    dispatched: dict[str, int]
    read: dict[str, int]
    available: dict[str, int]
    resetStuck: int
    trigger: Literal["schedule", "manual"]


class BatchMetricsView(_View):
    provider: Provider
    startedAt: int
    batchSize: int
    succeeded: int
    failed: int
    deferred: int
    durationMs: int
    calls: int


class Overview(_View):
    ok: Literal[True]
    budgets: dict[str, Budget]
    sellerShare: float | None = Field(None, description="share of each provider's hourly calls one seller may cause")
    sellerCallsPerHour: dict[str, int] | None = Field(None, description="that share, in calls, per provider")
    jobs: dict[str, dict[str, int]]
    recentRuns: list[SchedulerRunView]
    recentBatches: list[BatchMetricsView]


class SchedulerRan(_View):
    ok: Literal[True]
    run: SchedulerRunView


class FailedReset(_View):
    ok: Literal[True]
    reset: int


class MarketSettingsView(_View):
    sellerShare: float


class SettingsChanged(_View):
    ok: Literal[True]
    settings: MarketSettingsView
