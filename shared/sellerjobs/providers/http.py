"""Sending a request to a market provider, with the gate first and failures translated.

Every provider call passes through ``send`` so that (1) it is taken from the provider's budget
(the ``CallGate``) right before it leaves — an ``OutOfBudget`` from the gate propagates as is —
and (2) what can go wrong becomes one of the ``ProviderError``s the domain knows: 429 is
``ProviderThrottled``; 401/403 ``ProviderAuthError``; 404 ``ProviderNotFound``; timeouts,
transport errors, 5xx and empty or unreadable bodies ``ProviderTransient``.
"""

from __future__ import annotations

from typing import Any

import httpx

from sellerjobs.market.quotes import (
    CallGate,
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderThrottled,
    ProviderTransient,
)

# Provider messages are short and carry no secrets, but a gateway's HTML error page is neither.
_MESSAGE_LIMIT = 200


def send(client: httpx.Client, gate: CallGate | None, name: str, method: str, url: str,
         **kwargs: Any) -> httpx.Response:
    """The provider's response, whatever its status. ``gate`` None: a call outside the provider's
    API budget (StockX's token endpoint, on another host)."""
    if gate is not None:
        gate()
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderTransient(f"{name} did not answer in time ({type(exc).__name__})") from exc
    except httpx.RequestError as exc:  # connection, protocol and body-decoding failures
        raise ProviderTransient(f"could not reach {name} ({type(exc).__name__})") from exc


def checked(response: httpx.Response, name: str) -> httpx.Response:
    """The response if it succeeded; otherwise the ``ProviderError`` its status means."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    detail = f"{name} answered HTTP {status}{_message(response)}"
    if status == 429:
        retry_after = response.headers.get("retry-after", "").strip()
        raise ProviderThrottled(f"{detail}; retry after {retry_after}s" if retry_after.isdigit() else detail,
                                status=status)
    if status in (401, 403):
        raise ProviderAuthError(detail, status=status)
    if status == 404:
        raise ProviderNotFound(detail, status=status)
    if status == 408 or status >= 500:
        raise ProviderTransient(detail, status=status)
    # 400 and the like: our request is wrong, and sending it again will not change that.
    raise ProviderError(detail, status=status)


def json_body(response: httpx.Response, name: str) -> Any:
    """The decoded body; an empty or garbled one is a transient provider fault."""
    if not response.content:
        raise ProviderTransient(f"{name} returned an empty body (HTTP {response.status_code})")
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderTransient(f"{name} returned unreadable JSON (HTTP {response.status_code})") from exc


def json_object(response: httpx.Response, name: str) -> dict[str, Any]:
    body = json_body(response, name)
    if not isinstance(body, dict):
        raise ProviderTransient(f"{name} returned {type(body).__name__} where an object was expected")
    return body


def json_list(response: httpx.Response, name: str) -> list[Any]:
    body = json_body(response, name)
    if not isinstance(body, list):
        raise ProviderTransient(f"{name} returned {type(body).__name__} where a list was expected")
    return body


def _message(response: httpx.Response) -> str:
    """The provider's own words: StockX/Alias ``message``, eBay ``errors[0].message``, OAuth ``error``."""
    try:
        body = response.json() if response.content else None
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        body = errors[0]
    for key in ("message", "error_description", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return f": {value.strip()[:_MESSAGE_LIMIT]}"
    return ""
