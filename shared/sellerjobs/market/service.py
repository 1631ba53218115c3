"""What the market API does: queue refreshes, serve cached prices, and show how budgets are spent."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sellerjobs.clock import Clock, now_ms
from sellerjobs.errors import NotFound
from sellerjobs.jobs.rate_budget import RateBudget, RateLimiter
from sellerjobs.market.job import CachedPrice, MarketJob, MarketStatus, Priority, Provider, dedupe_key
from sellerjobs.market.ports import Dispatcher, Enqueued, JobPage, MarketJobs, PriceCache
from sellerjobs.market.share import FIRST_READ_CALLS, SellerShares


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
    shares: SellerShares | None = None  # None: sellers' requests are not counted
    # Manual refreshes are dispatched at once through this (None: they wait for the scheduler).
    dispatcher: Dispatcher | None = None

    def enqueue(self, provider: Provider, items: Sequence[tuple[str, str | None]], priority: int,
                seller: str | None = None) -> list[Enqueued]:
        """Queue (or deduplicate) the items. A manual refresh (priority 200) costs the seller one
        call of its share per item it sends out sooner, and goes out at once if the budget allows."""
        unique = list(dict.fromkeys(items))  # the same item twice in one request is one job
        manual = priority >= Priority.MANUAL
        charged, share = 0, None
        if manual and seller is not None and self.shares is not None:
            current = self.jobs.get_many(dedupe_key(provider, sku, size) for sku, size in unique)
            charged = sum(1 for sku, size in unique if _costs_a_call(current.get(dedupe_key(provider, sku, size)),
                                                                     priority))
            share = self.shares.take(provider, seller, charged, manual=True)
        results = self.jobs.enqueue(provider, unique, priority, now_ms(self.clock), seller)
        if share is not None and self.shares is not None:
            used = sum(1 for r in results if r.created or (r.raised and r.job.status.queued))
            self.shares.give_back(share, charged - used, self.clock.now())
        if manual and self.dispatcher is not None:
            started = {job.key: job for job in self.dispatcher.dispatch(
                provider, [r.job for r in results if r.job.status.queued])}
            results = [replace(r, job=started.get(r.job.key, r.job)) for r in results]
        return results

    def page(self, status: MarketStatus | None, provider: Provider | None, limit: int, cursor: str | None
             ) -> JobPage:
        return self.jobs.page(status, provider, limit, cursor)

    def price(self, provider: Provider, sku: str, size: str | None, seller: str | None = None) -> PriceRead:
        """The cached price; reading a stale or missing one queues a background refresh, unless
        one is already queued or the provider was asked within the staleness period (a sku the
        provider does not know must not cost a call on every page view). Reading an item nobody
        has priced yet costs the seller one call of its share."""
        now = now_ms(self.clock)
        cached = self.prices.get(provider, sku, size)
        if cached is not None and now - cached.updated_at <= self.stale_after_ms:
            return PriceRead(cached, refresh_queued=False)
        key = dedupe_key(provider, sku, size)
        job = self.jobs.get_many([key]).get(key)
        if job is None or not (job.status.active or now - job.updated_at <= self.stale_after_ms):
            share = None
            cost = FIRST_READ_CALLS[provider]
            if cached is None and seller is not None and self.shares is not None:
                share = self.shares.take(provider, seller, cost, manual=False)
            (queued,) = self.jobs.enqueue(provider, [(sku, size)], Priority.BACKGROUND, now, seller)
            if share is not None and self.shares is not None and not queued.created:
                self.shares.give_back(share, cost, self.clock.now())
            job = queued.job
        elif job.status.active and seller is not None and seller not in job.asked_by:
            # Read while its refresh waits: the new price (or the failure) is announced to this seller too.
            (queued,) = self.jobs.enqueue(provider, [(sku, size)], Priority.BACKGROUND, now, seller)
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

    def set_seller_share(self, share: float) -> float:
        if self.shares is None:
            raise RuntimeError("seller shares are not configured")
        self.shares.settings.set_seller_share(share)
        return self.shares.share()

    def overview(self, recent: int = 10) -> dict[str, Any]:
        when = self.clock.now()
        budgets = {}
        for provider, budget in self.budgets.items():
            used = self.limiter.used(budget, when)
            budgets[provider.value] = {"limit": budget.limit, "used": used, "remaining": max(0, budget.limit - used),
                                       "allowedNow": budget.allowance(when),
                                       "hourStart": int(budget.window_start(when) * 1000)}
        shares = {}
        if self.shares is not None:
            shares = {"sellerShare": self.shares.share(),
                      "sellerCallsPerHour": {p.value: self.shares.budget_for(p, "-").limit for p in self.budgets}}
        return {"budgets": budgets, **shares, "jobs": self.jobs.counts(),
                "recentRuns": [r.to_api() for r in self.jobs.recent_runs(recent)],
                "recentBatches": [b.to_api() for b in self.jobs.recent_batches(recent)]}


def _costs_a_call(job: MarketJob | None, priority: int) -> bool:
    """Would queueing this item at ``priority`` send a call out sooner than it would go anyway?"""
    if job is None or not job.status.active:
        return True  # a new job
    return job.status.queued and job.priority < priority  # raised ahead of the queue
