"""Injected failures: the next N calls to an operation answer something other than the truth.

These model what the contracts do not promise but production sees: 5xx bursts, gateways that
answer with an empty body, and calls that simply hang until the client gives up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

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


def fault_response(fault: Fault, *, dialect: str) -> httpx.Response:
    """What the client sees for a (non-timeout) fault, in the error dialect of the faulted API."""
    if fault.empty_body:
        return empty_response(fault.status)
    if fault.body is not None:
        if isinstance(fault.body, str | bytes):
            return raw_response(fault.status, fault.body)
        return json_response(fault.status, fault.body)
    if fault.error_id is not None:
        return json_response(fault.status, errors_body(ebay_error(fault.error_id)))
    if dialect == "ebay_oauth" and fault.status != 429:
        error, description = _OAUTH_ERRORS.get(fault.status, ("server_error", "internal server error"))
        return json_response(fault.status, {"error": error, "error_description": description})
    return error_response(fault.status, _default_error_id(fault.status))


def _default_error_id(status: int) -> int:
    if status >= 500:
        return 35001
    return {401: 1001, 403: 1100, 404: 2002, 429: 2001}.get(status, 2004)
