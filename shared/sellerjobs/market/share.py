"""Each seller's share of a provider's hour.

Market jobs and prices are shared by every seller, and so are the providers' hourly budgets
(StockX allows 100 calls an hour). What a seller's requests cost directly — a manual refresh (one
call an item), a read of an item nobody has priced yet (its catalog lookup and its price) — is
therefore counted against that seller's share of the provider's hour, a fixed fraction of the
budget per clock hour. Past it, the seller is told to wait (429 with ``Retry-After``) and nobody
else notices: the rest of the budget stays theirs.

The share is spread over the hour the way the provider's budget is (a small burst, then a steady
flow): at any moment a seller may have used its share of what the provider allows so far. The
provider's budget grows minute by minute, and the calls nobody spent wait for whoever needs them
next; a seller allowed its whole share at once could spend, in the first minutes, the calls that
other sellers' refreshes need in the minutes after. A manual refresh (a few items a seller wants
now) may also take ``manual_burst`` calls at once — as many as the scheduler keeps for manual
refreshes —; reads of unpriced items (which page views make by the thousand) only get the flow.
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
# What a seller may always spend at once, however small its share: one first read.
MIN_BURST = max(FIRST_READ_CALLS.values())


class ShareUsed(TooManyRequests):
    def __init__(self, provider: Provider, limit: int, retry_after_s: float) -> None:
        minutes = max(1, math.ceil(retry_after_s / 60))
        super().__init__(f"you have used your share of {provider.value}'s calls for now ({limit} calls an hour, "
                         f"spread over the hour); try again in {minutes} min", retry_after_s, field="provider")
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
    manual_burst: int = 0  # calls a seller's manual refresh may take at once beyond the share's flow

    def share(self) -> float:
        stored = self.settings.seller_share()
        return stored if stored is not None and valid_share(stored) else self.default_share

    def budget_for(self, provider: Provider, seller: str) -> RateBudget:
        provider_budget = self.budgets[provider]
        share = self.share()
        limit = max(1, math.floor(provider_budget.limit * share))
        # The seller's share of the provider's burst, and the same steady flow (limit per window);
        # on top, what a manual refresh may take at once (reads leave it: see ``take``).
        burst = min(limit, max(MIN_BURST, math.ceil(provider_budget.burst * share)) + self.manual_burst)
        return RateBudget(name=f"{provider_budget.name}-seller-{seller}", limit=limit,
                          window_s=provider_budget.window_s, burst=burst)

    def take(self, provider: Provider, seller: str, calls: int, *, manual: bool) -> RateBudget:
        """Count ``calls`` against the seller's share, or raise ``ShareUsed``. Reads of unpriced
        items (``manual`` False) leave the manual refreshes' burst alone."""
        budget = self.budget_for(provider, seller)
        if calls > 0:
            grant = self.limiter.acquire(budget, calls, headroom=0 if manual else self.manual_burst)
            if not grant.granted:
                raise ShareUsed(provider, budget.limit, grant.retry_after_s)
        return budget

    def give_back(self, budget: RateBudget, calls: int, when: float) -> None:
        if calls > 0:
            self.limiter.refund(budget, calls, when)
