"""Kinds of failure that the HTTP API maps to status codes, in one place.

Domain exceptions subclass one of these; ``sellerjobs.api`` turns each kind into its status
code and its ``field`` into the ``errors`` entry of the answer, so no handler needs a
try/except ladder and every refusal names what it is about.
"""

from __future__ import annotations


class _Refusal(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(_Refusal):
    """404: missing, or owned by someone else (we do not reveal which)."""


class Conflict(_Refusal):
    """409: the request is valid but the resource's state does not allow it."""


class Invalid(_Refusal, ValueError):
    """400: the request itself is wrong; ``field`` names the culprit."""


class TooManyRequests(_Refusal):
    """429: the caller used up its share of something shared; ``retry_after_s`` says when it may
    ask again. ``field`` names what the share is of (e.g. ``provider``)."""

    def __init__(self, message: str, retry_after_s: float, field: str) -> None:
        super().__init__(message, field)
        self.retry_after_s = retry_after_s
