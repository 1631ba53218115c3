"""Each seller's share of a provider's hour.

Market jobs and prices are shared by every seller, and so are the providers' hourly budgets
(StockX allows 100 calls an hour). What a seller's requests cost directly — a manual refresh (one
call an item), a read of an item nobody has priced yet (its catalog lookup and its price) — is
therefore counted against that seller's share of the provider's hour, a fixed fraction of the
budget per clock hour. Past it, the seller is told to wait (429 with ``Retry-After``) and nobody
else notices: the rest of the budget stays theirs.
Background refreshes of stale prices are not counted: they wait their turn in the queue anyway.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from sellerjobs.errors import TooManyRequests
from sellerjobs.jobs.rate_budget import RateBudget, RateLimiter
from sellerjobs.market.job import Provider
from sellerjobs.market.ports import ShareSettings

MIN_SHARE, MAX_SHARE = 0.0, 1.0  # exclusive, inclusive
# What the first price of an item costs: StockX and Alias look the sku up in their catalogs first.
FIRST_READ_CALLS = {Provider.STOCKX: 2, Provider.ALIAS: 2, Provider.EBAY: 1}


class ShareUsed(TooManyRequests):
    def __init__(self, provider: Provider, limit: int, retry_after_s: float) -> None:
        minutes = max(1, math.ceil(retry_after_s / 60))
        super().__init__(f"you have used your share of {provider.value}'s calls this hour ({limit} calls); "
                         f"try again in {minutes} min", retry_after_s, field="provider")
        self.provider = provider
        self.limit = limit


def valid_share(value: float) -> bool:
    return MIN_SHARE < value <= MAX_SHARE


@dataclass
class SellerShares:
    limiter: RateLimiter
    budgets: Mapping[Provider, RateBudget]
    settings: ShareSettings
    default_share: float

    def share(self) -> float:
        stored = self.settings.seller_share()
        return stored if stored is not None and valid_share(stored) else self.default_share

    def budget_for(self, provider: Provider, seller: str) -> RateBudget:
        provider_budget = self.budgets[provider]
        limit = max(1, math.floor(provider_budget.limit * self.share()))
        # The whole share is usable from the start of the hour: a seller's refreshes come in bursts.
        return RateBudget(name=f"{provider_budget.name}-seller-{seller}", limit=limit,
                          window_s=provider_budget.window_s, burst=limit)

    def take(self, provider: Provider, seller: str, calls: int) -> RateBudget:
        """Count ``calls`` against the seller's share, or raise ``ShareUsed``."""
        budget = self.budget_for(provider, seller)
        if calls > 0:
            grant = self.limiter.acquire(budget, calls)
            if not grant.granted:
                raise ShareUsed(provider, budget.limit, grant.retry_after_s)
        return budget

    def give_back(self, budget: RateBudget, calls: int, when: float) -> None:
        if calls > 0:
            self.limiter.refund(budget, calls, when)
