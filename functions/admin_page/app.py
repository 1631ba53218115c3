"""GET /admin: the operator/seller dashboard, one self-contained static HTML page.

The page carries no data and no token: everything it shows comes from the authorized JSON API,
which the browser calls on the same origin with ``Authorization: Bearer <jwt>``. That is why
this route alone is deployed without the JWT authorizer.

The page's script and style are inline, so the Content-Security-Policy allows exactly those
blocks by their SHA-256 hashes, computed from the served text when the page is first loaded
(never ``'unsafe-inline'``). Editing ``static/index.html`` therefore needs no hash bookkeeping.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

PAGE_FILE = Path(__file__).parent / "static" / "index.html"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"

# The text between the tags is what the browser hashes, byte for byte (UTF-8).
_INLINE = {kind: re.compile(rf"<{kind}(?:\s[^>]*)?>(.*?)</{kind}\s*>", re.DOTALL | re.IGNORECASE)
           for kind in ("script", "style")}


@dataclass(frozen=True)
class Page:
    html: str
    headers: dict[str, str]


def csp_hash(text: str) -> str:
    """A CSP hash source for one inline block: ``'sha256-<base64>'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy(html: str) -> str:
    hashes = {kind: " ".join(csp_hash(block) for block in pattern.findall(html)) or "'none'"
              for kind, pattern in _INLINE.items()}
    return "; ".join([
        "default-src 'none'",
        f"script-src {hashes['script']}",
        f"style-src {hashes['style']}",
        "connect-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        # The page builds its DOM with textContent only; any string-to-HTML sink would throw.
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ])


@functools.cache
def page() -> Page:
    """The page and its headers, read once per container (on the first request, not at import)."""
    html = PAGE_FILE.read_text(encoding="utf-8")
    return Page(html=html, headers={
        "Content-Security-Policy": content_security_policy(html),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    })


@app.get("/admin")
@tracer.capture_method(capture_response=False)  # the ~90 KB page would not fit an X-Ray segment
def admin_page() -> Response[str]:
    served = page()
    return Response(status_code=200, content_type=HTML_CONTENT_TYPE, body=served.html,
                    headers=dict(served.headers))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
