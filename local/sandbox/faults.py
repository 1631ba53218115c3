"""Injected failures: the next N calls to an operation answer something other than the truth.

These model what the contracts do not promise but production sees: 5xx bursts, gateways that
answer with an empty body, and calls that simply hang until the client gives up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from local.sandbox import alias_errors, stockx_errors
from local.sandbox.ebay_buy_commerce_errors import BROWSE_INTERNAL_ERROR, TAXONOMY_INTERNAL_ERROR
from local.sandbox.ebay_errors import ebay_error, error_response, errors_body
from local.sandbox.responses import empty_response, json_response, raw_response


@dataclass(frozen=True)
class Fault:
    status: int
    body: object | None = None
    error_id: int | None = None
    timeout: bool = False
    empty_body: bool = False


class FaultBook:
    """Queued faults per operation, consumed one per call. Guarded by the sandbox's lock."""

    def __init__(self, operations: Iterable[str] = ()) -> None:
        self._known = set(operations)
        self._queues: dict[str, deque[Fault]] = {}

    def register(self, operations: Iterable[str]) -> None:
        self._known.update(operations)

    def inject(self, operation: str, fault: Fault, times: int = 1) -> None:
        # Unknown names are almost always typos; failing loudly keeps a test from passing vacuously.
        if operation not in self._known:
            raise ValueError(f"unknown operation {operation!r}; known: {sorted(self._known)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if not fault.timeout and not 100 <= fault.status <= 599:
            raise ValueError(f"status {fault.status} is not an HTTP status")
        self._queues.setdefault(operation, deque()).extend([fault] * times)

    def take(self, operation: str) -> Fault | None:
        queue = self._queues.get(operation)
        if not queue:
            return None
        return queue.popleft()

    def pending(self) -> dict[str, int]:
        return {op: len(queue) for op, queue in self._queues.items() if queue}

    def clear(self) -> None:
        self._queues.clear()


# OAuth's token endpoint speaks RFC 6749 errors, not eBay's errors envelope.
_OAUTH_ERRORS = {
    400: ("invalid_request", "request is missing a required parameter or malformed."),
    401: ("invalid_client", "client authentication failed"),
}

# Each eBay API reports its own internal-error id for 5xx.
_INTERNAL_ERROR_IDS = {"ebay_taxonomy": TAXONOMY_INTERNAL_ERROR, "ebay_browse": BROWSE_INTERNAL_ERROR}


def fault_response(fault: Fault, *, dialect: str) -> httpx.Response:
    """What the client sees for a (non-timeout) fault, in the error dialect of the faulted API."""
    if fault.empty_body:
        return empty_response(fault.status)
    if fault.body is not None:
        if isinstance(fault.body, str | bytes):
            return raw_response(fault.status, fault.body)
        return json_response(fault.status, fault.body)
    return default_error_response(fault.status, dialect=dialect, error_id=fault.error_id)


def default_error_response(status: int, *, dialect: str, error_id: int | None = None) -> httpx.Response:
    """A bare ``status`` in the API's own envelope (also used for rate-limit 429s).

    ``error_id`` is an eBay errorId for eBay dialects and the gRPC code for Alias; StockX's
    envelope has no ids, so it is ignored there.
    """
    if dialect == "stockx":
        return stockx_errors.error_response(status)
    if dialect == "alias":
        return alias_errors.error_response(status, code=error_id)
    if dialect == "stockx_oauth":
        if status == 429:
            return stockx_errors.oauth_error(429, "too_many_requests", "rate limit reached; retry later")
        error, description = _OAUTH_ERRORS.get(status, ("server_error", "internal server error"))
        return stockx_errors.oauth_error(status, error, description)
    if error_id is not None:
        return json_response(status, errors_body(ebay_error(error_id)))
    if dialect == "ebay_oauth" and status != 429:
        error, description = _OAUTH_ERRORS.get(status, ("server_error", "internal server error"))
        return json_response(status, {"error": error, "error_description": description})
    return error_response(status, _default_error_id(status, dialect))


def _default_error_id(status: int, dialect: str) -> int:
    if status >= 500:
        return _INTERNAL_ERROR_IDS.get(dialect, 35001)
    return {401: 1001, 403: 1100, 404: 2002, 429: 2001}.get(status, 2004)
