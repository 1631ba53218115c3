"""Sending a request to eBay: rate budget first, then httpx, with failures translated.

Every eBay call passes through here so that (1) it is counted against the app's shared rate
budget before it leaves, and (2) timeouts, connection errors, 429 and 5xx all become
``EbayTransientError`` — the one thing callers need to know about them is "try again later".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from sellerjobs.ebay.errors import EbayError, EbayTransientError, parse_errors
from sellerjobs.jobs.rate_budget import RateBudget, RateLimited, RateLimiter


def new_client(base_url: str, timeout_s: float) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=httpx.Timeout(timeout_s, connect=min(3.0, timeout_s)),
                        headers={"Accept": "application/json"})


@dataclass
class BudgetedHttp:
    client: httpx.Client
    limiter: RateLimiter | None
    budget: RateBudget
    calls: int = 0

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self.limiter is not None:
            grant = self.limiter.acquire(self.budget)
            if not grant.granted:
                raise RateLimited(self.budget.name, grant.retry_after_s)
        self.calls += 1
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise EbayTransientError(f"eBay did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise EbayTransientError(f"could not reach eBay ({type(exc).__name__})") from exc
        if response.status_code == 429:
            raise EbayTransientError("eBay rate limit reached (HTTP 429)")
        if response.status_code >= 500:
            raise EbayTransientError(f"eBay server error (HTTP {response.status_code}){_first_error(response)}")
        return response


def json_body(response: httpx.Response) -> Any:
    """The decoded body; an empty or garbled body is a transient eBay fault."""
    if not response.content:
        raise EbayTransientError(f"eBay returned an empty body (HTTP {response.status_code})")
    try:
        return response.json()
    except ValueError as exc:
        raise EbayTransientError(f"eBay returned unreadable JSON (HTTP {response.status_code})") from exc


def errors_of(response: httpx.Response) -> list[EbayError]:
    try:
        return parse_errors(response.json()) if response.content else []
    except ValueError:
        return []


def _first_error(response: httpx.Response) -> str:
    errors = errors_of(response)
    return f": {errors[0].describe()}" if errors else ""
