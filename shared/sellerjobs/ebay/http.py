"""Sending a request to eBay: rate budget first, then httpx, with failures translated.

Every eBay call passes through here so that (1) it is counted against the app's shared rate
budget before it leaves, and (2) timeouts, connection errors, 429 and 5xx all become
``MarketplaceTransient`` — the one thing callers need to know about them is "try again later".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from sellerjobs.clock import Clock
from sellerjobs.ebay.errors import parse_errors
from sellerjobs.jobs.marketplace import ErrorDetail, MarketplaceThrottled, MarketplaceTransient
from sellerjobs.jobs.rate_budget import RateBudget, RateLimited, RateLimiter


def new_client(base_url: str, timeout_s: float) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=httpx.Timeout(timeout_s, connect=min(3.0, timeout_s)),
                        headers={"Accept": "application/json"})


@dataclass
class BudgetedHttp:
    client: httpx.Client
    limiter: RateLimiter | None
    budget: RateBudget
    clock: Clock | None = None  # when reserved calls were taken: a refund goes back to that window
    # Calls taken from the shared budget in blocks of this many: one DynamoDB write per block
    # instead of per call. ``release()`` gives back what a run did not use.
    reserve: int = 1
    calls: int = 0
    _reserved: int = 0
    _reserved_at: float = 0.0

    def send(self, method: str, url: str, *, headroom: int = 0, **kwargs: Any) -> httpx.Response:
        """``headroom``: calls of the budget's current allowance this call must leave for more
        urgent ones (0: it may take the last)."""
        self._take_one(headroom)
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise MarketplaceTransient(f"eBay did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise MarketplaceTransient(f"could not reach eBay ({type(exc).__name__})") from exc
        return _checked(response)

    @contextmanager
    def stream(self, method: str, url: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A response whose body is read as it arrives (for files too big to hold in memory)."""
        self._take_one()
        try:
            with self.client.stream(method, url, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                yield _checked(response)
        except httpx.TimeoutException as exc:
            raise MarketplaceTransient(f"eBay did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise MarketplaceTransient(f"could not reach eBay ({type(exc).__name__})") from exc

    def release(self, when: float) -> None:
        """Give unused reserved calls back to the shared budget."""
        if self.limiter is not None and self._reserved > 0:
            self.limiter.refund(self.budget, self._reserved, self._reserved_at or when)
        self._reserved = 0

    def _take_one(self, headroom: int = 0) -> None:
        if self.limiter is not None and self._reserved == 0:
            for block in dict.fromkeys((max(1, self.reserve), 1)):
                grant = self.limiter.acquire(self.budget, block, headroom=headroom)
                if grant.granted:
                    self._reserved = block
                    self._reserved_at = self.clock.now() if self.clock is not None else 0.0
                    break
            else:
                raise RateLimited(self.budget.name, grant.retry_after_s)
        if self.limiter is not None:
            self._reserved -= 1
        self.calls += 1


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code == 429:
        raise MarketplaceThrottled("eBay rate limit reached (HTTP 429)")
    if response.status_code >= 500:
        raise MarketplaceTransient(f"eBay server error (HTTP {response.status_code}){_first_error(response)}")
    return response


def json_body(response: httpx.Response) -> Any:
    """The decoded body; an empty or garbled body is a transient eBay fault."""
    if not response.content:
        raise MarketplaceTransient(f"eBay returned an empty body (HTTP {response.status_code})")
    try:
        return response.json()
    except ValueError as exc:
        raise MarketplaceTransient(f"eBay returned unreadable JSON (HTTP {response.status_code})") from exc


def errors_of(response: httpx.Response) -> list[ErrorDetail]:
    try:
        return parse_errors(response.json()) if response.content else []
    except ValueError:
        return []


def _first_error(response: httpx.Response) -> str:
    errors = errors_of(response)
    return f": {errors[0].describe()}" if errors else ""
