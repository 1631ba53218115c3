"""eBay's error objects and what can go wrong calling eBay, as plain data.

This module imports no HTTP library, so domain code can reason about eBay outcomes without
depending on how they were fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EbayError:
    """One entry of eBay's ``{"errors": [...]}`` envelope."""

    error_id: int
    message: str = ""
    category: str = ""
    domain: str = ""

    @classmethod
    def parse(cls, raw: Any) -> EbayError:
        if not isinstance(raw, dict):
            return cls(error_id=0, message=str(raw)[:200])
        try:
            error_id = int(raw.get("errorId") or 0)
        except (TypeError, ValueError):
            error_id = 0
        return cls(
            error_id=error_id,
            message=str(raw.get("longMessage") or raw.get("message") or "")[:500],
            category=str(raw.get("category") or ""),
            domain=str(raw.get("domain") or ""),
        )

    def describe(self) -> str:
        return f"eBay {self.error_id}: {self.message}" if self.message else f"eBay error {self.error_id}"


def parse_errors(payload: Any) -> list[EbayError]:
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
        return [EbayError.parse(e) for e in payload["errors"]]
    return []


@dataclass(frozen=True)
class ListingResult:
    """eBay's answer for one listing of a bulk ad request."""

    listing_id: str
    status_code: int
    ad_id: str | None = None
    errors: tuple[EbayError, ...] = field(default_factory=tuple)


class EbayCallError(Exception):
    """A call to eBay did not produce per-listing answers."""


class EbayTransientError(EbayCallError):
    """Timeouts, 429, 5xx, empty or unreadable bodies: try again later."""


class EbayThrottled(EbayTransientError):
    """eBay answered 429: its own rate limit, not ours. Stop calling for a while."""


class EbayCredentialsError(EbayCallError):
    """The seller's eBay authorisation is missing, revoked or lacks a scope: retrying cannot help."""


class EbayGrantRevoked(EbayCredentialsError):
    """eBay refused the seller's refresh token (``invalid_grant``): the seller must reconnect."""


class EbayRequestError(EbayCallError):
    """eBay rejected the whole request with errors (e.g. the campaign does not exist)."""

    def __init__(self, status: int, errors: list[EbayError]) -> None:
        summary = "; ".join(e.describe() for e in errors) or f"HTTP {status}"
        super().__init__(summary)
        self.status = status
        self.errors = errors
