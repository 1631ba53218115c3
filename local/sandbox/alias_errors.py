"""Alias's error envelope, the gRPC-gateway shape: ``{"code": 5, "message": "...", "details": []}``.

``code`` is a gRPC status code, not the HTTP status; clients should branch on it. The HTTP status
follows the usual gRPC-to-HTTP mapping, which is also how a bare injected status picks its code.
"""

from __future__ import annotations

import httpx

from local.sandbox.responses import json_response

INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
ABORTED = 10
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16
UNKNOWN = 2

_CODE_FOR_STATUS = {
    400: INVALID_ARGUMENT,
    401: UNAUTHENTICATED,
    403: PERMISSION_DENIED,
    404: NOT_FOUND,
    409: ABORTED,
    429: RESOURCE_EXHAUSTED,
    500: INTERNAL,
    503: UNAVAILABLE,
    504: DEADLINE_EXCEEDED,
}

_DEFAULT_MESSAGES = {
    INVALID_ARGUMENT: "invalid argument",
    DEADLINE_EXCEEDED: "deadline exceeded",
    NOT_FOUND: "not found",
    PERMISSION_DENIED: "permission denied",
    RESOURCE_EXHAUSTED: "too many requests",
    ABORTED: "conflict",
    INTERNAL: "internal error",
    UNAVAILABLE: "service unavailable",
    UNAUTHENTICATED: "unauthenticated",
    UNKNOWN: "unknown error",
}


def code_for_status(status: int) -> int:
    return _CODE_FOR_STATUS.get(status, UNKNOWN)


def error_response(status: int, message: str | None = None, *, code: int | None = None) -> httpx.Response:
    """An error in Alias's envelope; ``code`` defaults to the gRPC code matching ``status``."""
    grpc_code = code_for_status(status) if code is None else code
    body = {"code": grpc_code, "message": message or _DEFAULT_MESSAGES.get(grpc_code, "error"), "details": []}
    return json_response(status, body)
