"""What market jobs need from a price provider, and how a provider's calls fail.

The StockX, Alias and eBay Browse clients in ``sellerjobs.providers`` implement ``QuoteSource``
and raise these errors; the market worker decides from them without knowing how a quote was fetched.
"""

from __future__ import annotations

from typing import Any, Protocol

from sellerjobs.market.job import Provider, Quote


class ProviderError(Exception):
    """A provider call did not give a quote; ``status``: the HTTP status it answered, if it did."""

    def __init__(self, message: str = "", *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ProviderThrottled(ProviderError):
    """429: the provider's own limit. Stop calling it for now."""


class ProviderNotFound(ProviderError):
    """The sku, or the size of it, does not exist at this provider."""


class ProviderAuthError(ProviderError):
    """401/403: our credentials for this provider are missing, wrong or expired for good."""


class ProviderTransient(ProviderError):
    """5xx, timeouts, empty or unreadable answers: worth trying again shortly."""


class OutOfBudget(ProviderError):
    """Our own hourly budget for this provider has no call left for this job."""


class CallGate(Protocol):
    def __call__(self) -> None:
        """Take one call from the provider's budget before each request; raises OutOfBudget."""
        ...


class CatalogCache(Protocol):
    """The provider's ids for a sku (product, variants by size), so a refresh costs one call."""

    def get(self, provider: Provider, sku: str) -> dict[str, Any] | None: ...

    def put(self, provider: Provider, sku: str, value: dict[str, Any]) -> None: ...


class QuoteSource(Protocol):
    provider: Provider

    def quote(self, sku: str, size: str | None, gate: CallGate) -> Quote:
        """The provider's current figures for ``sku`` in ``size`` (any size if None)."""
        ...
