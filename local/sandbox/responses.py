"""Small helpers for building and reading HTTP bodies, shared by every fake."""

from __future__ import annotations

import json
from typing import Any

import httpx

JSONDict = dict[str, Any]


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def empty_response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    """A response with no body at all (eBay's 201s, injected empty-body faults)."""
    return httpx.Response(status, headers=headers)


def raw_response(status: int, body: str | bytes) -> httpx.Response:
    """A non-JSON body, e.g. the HTML page a gateway might answer with."""
    content = body.encode() if isinstance(body, str) else body
    return httpx.Response(status, content=content, headers={"Content-Type": "text/plain; charset=utf-8"})


class BodyError(ValueError):
    """The request body could not be read as the JSON the operation expects."""


def read_json(request: httpx.Request) -> Any:
    """Decode a JSON request body; raise :class:`BodyError` when it is missing or malformed."""
    if not request.content:
        raise BodyError("request body is empty")
    try:
        return json.loads(request.content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BodyError(f"request body is not valid JSON: {exc}") from exc


def read_json_object(request: httpx.Request) -> JSONDict:
    body = read_json(request)
    if not isinstance(body, dict):
        raise BodyError("request body must be a JSON object")
    return body


def base_url(request: httpx.Request) -> str:
    """scheme://host[:port] the client used, so Location headers and hrefs point back at us."""
    return f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
