"""Per-app call quotas, measured on the sandbox clock.

eBay counts calls per application (client id) and per API; the sandbox does the same per
"operation group" ("oauth", "marketing", "taxonomy", "browse"; "stockx" and "stockx_oauth" per
StockX client; "alias" per access token). By default a sliding window is used so a test can fill
the quota, see 429, move the clock by the window and see calls succeed again; a ``fixed`` limit
counts per clock-aligned window instead (calls per hour from hh:00), as hourly quotas are kept.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    calls: int
    per_seconds: float
    fixed: bool = False


class RateLimiter:
    """Not thread-safe on its own: the sandbox calls it under its state lock."""

    def __init__(self) -> None:
        self._limits: dict[str, RateLimit] = {}
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def set_limit(self, group: str, calls: int, per_seconds: float, fixed: bool = False) -> None:
        if calls < 1 or per_seconds <= 0:
            raise ValueError("a rate limit needs calls >= 1 and per_seconds > 0")
        self._limits[group] = RateLimit(calls, per_seconds, fixed)
        # A new limit starts from a clean slate so earlier traffic does not leak into it.
        for key in [key for key in self._hits if key[0] == group]:
            del self._hits[key]

    def clear_limit(self, group: str) -> None:
        self._limits.pop(group, None)

    def limits(self) -> dict[str, RateLimit]:
        return dict(self._limits)

    def allow(self, group: str, app: str, now: float) -> bool:
        """Count one call by ``app`` in ``group``; False when the call is over quota (and not counted)."""
        limit = self._limits.get(group)
        if limit is None:
            return True
        hits = self._hits.setdefault((group, app), deque())
        start = (now // limit.per_seconds) * limit.per_seconds if limit.fixed else now - limit.per_seconds
        while hits and (hits[0] < start if limit.fixed else hits[0] <= start):
            hits.popleft()
        if len(hits) >= limit.calls:
            return False
        hits.append(now)
        return True
