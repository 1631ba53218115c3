"""How a call to the marketplace can fail, as the job families that call it see it.

Promotions and category fetches both call the marketplace on a seller's or the application's
behalf, and both decide what to do next from the same few outcomes: try again later, stop for a
while because the marketplace is throttling us, give up because an authorisation is missing or
revoked, or look at why the marketplace rejected the request. The marketplace adapters raise
these; the domains catch them without knowing how the call was made. Our own budget refusing a
call is ``rate_budget.RateLimited``, not one of these: nothing was sent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorDetail:
    """One error the marketplace listed in its answer: its numeric id and what it said."""

    error_id: int
    message: str = ""
    category: str = ""
    domain: str = ""

    def describe(self) -> str:
        # The marketplace these jobs call is eBay; job histories and API errors name it so.
        return f"eBay {self.error_id}: {self.message}" if self.message else f"eBay error {self.error_id}"


class MarketplaceCallError(Exception):
    """A call to the marketplace did not produce the answers it was made for."""


class MarketplaceTransient(MarketplaceCallError):
    """Timeouts, 429, 5xx, empty or unreadable bodies: try again later."""


class MarketplaceThrottled(MarketplaceTransient):
    """The marketplace answered 429: its own rate limit, not ours. Stop calling for a while."""


class MarketplaceAuthError(MarketplaceCallError):
    """The seller's (or the application's) authorisation is missing, revoked or lacks a scope:
    retrying cannot help."""


class GrantRevoked(MarketplaceAuthError):
    """The marketplace refused the seller's refresh token (``invalid_grant``): the seller must reconnect."""


class RequestRejected(MarketplaceCallError):
    """The marketplace rejected the whole request with errors (e.g. the campaign does not exist)."""

    def __init__(self, status: int, errors: list[ErrorDetail]) -> None:
        summary = "; ".join(e.describe() for e in errors) or f"HTTP {status}"
        super().__init__(summary)
        self.status = status
        self.errors = errors
