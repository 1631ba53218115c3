"""What the market API does: queue refreshes, serve cached prices, and show how budgets are spent."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sellerjobs.clock import Clock, now_ms
from sellerjobs.errors import NotFound
from sellerjobs.jobs.rate_budget import RateBudget, RateLimiter
from sellerjobs.market.job import CachedPrice, MarketJob, MarketStatus, Priority, Provider, dedupe_key
from sellerjobs.market.ports import Enqueued, JobPage, MarketJobs, PriceCache


class PriceNotFound(NotFound):
    """No price cached, and the provider was asked recently and could not give one."""

    def __init__(self, job: MarketJob, ask_again_in_s: float) -> None:
        where = f"{job.sku} size {job.size}" if job.size else job.sku
        minutes = max(1, math.ceil(ask_again_in_s / 60))
        super().__init__(f"no {job.provider.value} price for {where}: {job.error or job.status.value}; "
                         f"a read in {minutes} min or a manual refresh asks again", field="sku")


@dataclass(frozen=True)
class PriceRead:
    price: CachedPrice | None  # None: never fetched yet; ``job`` is fetching it
    refresh_queued: bool  # a refresh is waiting or running (queued by this read or before it)
    job: MarketJob | None = None


@dataclass
class MarketService:
    jobs: MarketJobs
    prices: PriceCache
    limiter: RateLimiter
    budgets: Mapping[Provider, RateBudget]
    clock: Clock
    stale_after_s: float = 3600.0

    def enqueue(self, provider: Provider, items: Sequence[tuple[str, str | None]], priority: int) -> list[Enqueued]:
        # The same item twice in one request is one job.
        unique = list(dict.fromkeys(items))
        return self.jobs.enqueue(provider, unique, priority, now_ms(self.clock))

    def page(self, status: MarketStatus | None, provider: Provider | None, limit: int, cursor: str | None
             ) -> JobPage:
        return self.jobs.page(status, provider, limit, cursor)

    def price(self, provider: Provider, sku: str, size: str | None) -> PriceRead:
        """The cached price; reading a stale or missing one queues a background refresh, unless
        one is already queued or the provider was asked within the staleness period (a sku the
        provider does not know must not cost a call on every page view)."""
        now = now_ms(self.clock)
        cached = self.prices.get(provider, sku, size)
        if cached is not None and now - cached.updated_at <= self.stale_after_ms:
            return PriceRead(cached, refresh_queued=False)
        key = dedupe_key(provider, sku, size)
        job = self.jobs.get_many([key]).get(key)
        if job is None or not (job.status.active or now - job.updated_at <= self.stale_after_ms):
            (queued,) = self.jobs.enqueue(provider, [(sku, size)], Priority.BACKGROUND, now)
            job = queued.job
        if cached is None and not job.status.active:
            raise PriceNotFound(job, (job.updated_at + self.stale_after_ms - now) / 1000)
        return PriceRead(cached, refresh_queued=job.status.active, job=job)

    @property
    def stale_after_ms(self) -> int:
        return int(self.stale_after_s * 1000)

    def now_ms(self) -> int:
        return now_ms(self.clock)

    def reset_failed(self, limit: int = 1000) -> int:
        return self.jobs.reset_failed(now_ms(self.clock), limit)

    def overview(self, recent: int = 10) -> dict[str, Any]:
        when = self.clock.now()
        budgets = {}
        for provider, budget in self.budgets.items():
            used = self.limiter.used(budget, when)
            budgets[provider.value] = {"limit": budget.limit, "used": used, "remaining": max(0, budget.limit - used),
                                       "allowedNow": budget.allowance(when),
                                       "hourStart": int(budget.window_start(when) * 1000)}
        return {"budgets": budgets, "jobs": self.jobs.counts(),
                "recentRuns": [r.to_api() for r in self.jobs.recent_runs(recent)],
                "recentBatches": [b.to_api() for b in self.jobs.recent_batches(recent)]}
