"""Kinds of failure that the HTTP API maps to status codes, in one place.

Domain exceptions subclass one of these; ``sellerjobs.api`` turns each kind into its status
code, so no handler needs a try/except ladder.
"""

from __future__ import annotations


class NotFound(Exception):
    """404: missing, or owned by someone else (we do not reveal which)."""


class Conflict(Exception):
    """409: the request is valid but the resource's state does not allow it."""


class TooManyRequests(Exception):
    """429: the caller used up its share of something shared; ``retry_after_s`` says when it may
    ask again. ``field`` names what the share is of (e.g. ``provider``)."""

    def __init__(self, message: str, retry_after_s: float, field: str) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.field = field


class Invalid(ValueError):
    """400: the request itself is wrong; ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
