"""Rate budgets: how many calls a provider allows us right now.

A budget is ``limit`` calls per ``window_s`` (an hour for market providers, for instance). To
keep the first minute of a window from burning the whole window, the allowance grows linearly
through the window, starting from a burst: a token bucket whose level can be checked with one
conditional write (``used + n <= allowance(now)``) instead of a read-modify-write loop. The
arithmetic lives here; the atomic counter lives in ``aws.rate_buckets``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RateBudget:
    name: str
    limit: int
    window_s: float = 3600.0
    burst: int = 1

    def window_start(self, now: float) -> float:
        return math.floor(now / self.window_s) * self.window_s

    def window_key(self, now: float) -> str:
        return f"{self.name}#{int(self.window_start(now))}"

    def allowance(self, now: float) -> int:
        """Calls that may have been made so far in the current window."""
        elapsed = now - self.window_start(now)
        return min(self.limit, self.burst + math.floor(self.limit * elapsed / self.window_s))

    def held_back(self, now: float, reserve: int) -> int:
        """Calls of the current allowance kept for more urgent callers: ``reserve``, shrinking to
        nothing as the window's budget runs out, so the last calls of a window are never wasted."""
        return max(0, min(reserve, self.limit - self.allowance(now)))

    def wait_for(self, used: int, n: int, now: float) -> float:
        """Seconds until ``n`` more calls fit, given ``used`` so far in this window."""
        needed = used + n
        if needed <= self.allowance(now):
            return 0.0
        start = self.window_start(now)
        if needed > self.limit:
            return start + self.window_s - now  # next window
        # Solve burst + limit * elapsed / window >= needed for elapsed, rounded up to a whole
        # second: at whole seconds the allowance is computed exactly, so waiting this long is
        # always enough (a fractional instant can floor one call short).
        elapsed = (needed - self.burst) * self.window_s / self.limit
        return float(max(1, math.ceil(start + elapsed - now)))


@dataclass(frozen=True)
class Grant:
    granted: bool
    retry_after_s: float = 0.0


class RateLimiter(Protocol):
    """Takes calls out of a shared budget; the port behind which the DynamoDB counter sits."""

    def acquire(self, budget: RateBudget, n: int = 1, *, headroom: int = 0) -> Grant:
        """Take ``n`` calls if they fit, leaving ``budget.held_back(now, headroom)`` calls of the
        current allowance to more urgent callers (who pass less headroom)."""
        ...

    def refund(self, budget: RateBudget, n: int, when: float) -> None: ...

    def used(self, budget: RateBudget, when: float) -> int:
        """Calls taken so far in the window ``when`` falls in."""
        ...


class RateLimited(Exception):
    """Our own budget says no: wait ``retry_after_s`` and try again; not the provider's fault."""

    def __init__(self, budget: str, retry_after_s: float) -> None:
        super().__init__(f"rate budget {budget!r} exhausted; retry in {retry_after_s:.0f}s")
        self.budget = budget
        self.retry_after_s = retry_after_s
