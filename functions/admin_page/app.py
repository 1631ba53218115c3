"""GET /admin and GET /admin/assets/{file}: the dashboard, a static page and its files.

The page carries no data and no token: everything it shows comes from the authorized JSON API,
which the browser calls on the same origin with ``Authorization: Bearer <jwt>``. That is why
these two routes alone are deployed without the JWT authorizer.

The page holds markup only; its script (ES modules) and stylesheet are files under
``static/assets/``, so the Content-Security-Policy allows scripts and styles from this origin
alone, with no inline code and no hashes to keep in step. The assets route answers only the
names of the files in that folder, read once per container: a name is a dictionary key, never
a path joined onto the disk, so ``..`` or an encoded slash finds nothing. Every answer is
``no-store``: a browser never runs a module left over from an earlier deploy beside newer ones.
"""

from __future__ import annotations

import functools
import pathlib
from dataclasses import dataclass
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api
from sellerjobs.errors import NotFound
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

STATIC = pathlib.Path(__file__).parent / "static"
PAGE_FILE = STATIC / "index.html"
ASSETS = STATIC / "assets"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    # The page builds its DOM with textContent only; any string-to-HTML sink would throw.
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


@dataclass(frozen=True)
class StaticFile:
    body: str
    content_type: str

    @classmethod
    def read(cls, path: pathlib.Path) -> StaticFile:
        return cls(body=path.read_text(encoding="utf-8"), content_type=CONTENT_TYPES[path.suffix])

    def response(self) -> Response[str]:
        return Response(status_code=200, content_type=self.content_type, body=self.body,
                        headers=dict(SECURITY_HEADERS))


@functools.cache
def page() -> StaticFile:
    """The page, read once per container (on the first request, not at import)."""
    return StaticFile.read(PAGE_FILE)


@functools.cache
def assets() -> dict[str, StaticFile]:
    """The files the page loads, by file name: the only names the assets route answers."""
    return {path.name: StaticFile.read(path) for path in sorted(ASSETS.iterdir())
            if path.is_file() and path.suffix in (".js", ".css")}


@app.get("/admin")
@tracer.capture_method(capture_response=False)  # the ~90 KB page would not fit an X-Ray segment
def admin_page() -> Response[str]:
    return page().response()


@app.get("/admin/assets/<file>")
@tracer.capture_method
def admin_asset(file: Annotated[str, Path(description="A script or stylesheet of the page, e.g. main.js")]
                ) -> Response[str]:
    asset = assets().get(file)
    if asset is None:
        raise NotFound("no such file")
    return asset.response()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
