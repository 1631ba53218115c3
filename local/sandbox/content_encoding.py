"""Compressed bodies: ``Content-Encoding: gzip`` on request, and gzip files as payloads.

eBay gzips large Taxonomy answers when the client sends ``Accept-Encoding: gzip``; httpx (like any
HTTP client) then decompresses transparently. ``fetch_item_aspects`` is different: its payload *is*
a gzip file (``application/octet-stream``) that the client must decompress itself.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import httpx

# Level 6 is zlib's default trade-off; the sandbox caches the compressed bytes anyway.
_LEVEL = 6


def accepts_gzip(request: httpx.Request) -> bool:
    """True when Accept-Encoding allows gzip (explicitly or via ``*``) with a non-zero q-value."""
    allowed: dict[str, float] = {}
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if not coding:
            continue
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
        allowed[coding.strip().lower()] = q
    if "gzip" in allowed:
        return allowed["gzip"] > 0
    return allowed.get("*", 0.0) > 0


def compress(data: bytes) -> bytes:
    # mtime=0 keeps the bytes identical for identical input, so responses are deterministic.
    return gzip.compress(data, compresslevel=_LEVEL, mtime=0)


def json_bytes(body: object) -> bytes:
    """Compact JSON, as httpx's ``json=`` would encode it."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def json_response_maybe_gzip(
    request: httpx.Request, body: bytes, *, compressed: Callable[[], bytes] | None = None
) -> httpx.Response:
    """200 with a pre-serialised JSON ``body``, gzip-encoded when the client accepts it.

    ``compressed`` supplies (typically cached) gzip bytes of ``body`` for large, unchanging answers.
    """
    if not accepts_gzip(request):
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    encoded = compressed() if compressed is not None else compress(body)
    headers = {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Content-Length": str(len(encoded)),
        "Vary": "Accept-Encoding",
    }
    return httpx.Response(200, content=encoded, headers=headers)


def gzip_file_response(data: bytes, filename: str) -> httpx.Response:
    """200 whose payload is a gzip file (not a transfer encoding): the client gunzips it itself."""
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    return httpx.Response(200, content=data, headers=headers)
