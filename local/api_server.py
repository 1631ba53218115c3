"""The HTTP API on a local port: API Gateway's routing and JWT authorizer in front of the handlers."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.auth import DevIssuer
from local.http_api import ApiResponse, HttpApi

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
log = logging.getLogger("sellerjobs.local")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "authorization,content-type,idempotency-key",
    "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
    "Access-Control-Max-Age": "600",
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: HttpApi, issuer: DevIssuer) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.issuer = issuer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # function logs tell the story; an access line per request would drown them

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header is the server's clock, as API Gateway's is in AWS: with a time scale
        # that is the stack's clock, so the dashboard's "in 40 s" agrees with the jobs' times.
        now = self.server.api.clock_now
        return super().date_time_string(timestamp if timestamp is not None or now is None else now())

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_OPTIONS(self) -> None:
        self._send(ApiResponse(204, {}, ""))

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(_message(413, "Request Entity Too Large"))
            return
        body = self.rfile.read(length) if length else None
        path = self.path.split("?", 1)[0]
        if path == "/local-issuer/.well-known/jwks.json":
            self._send(ApiResponse(200, {"content-type": "application/json"}, json.dumps(self.server.issuer.jwks())))
            return
        if path in ("", "/"):
            self._send(ApiResponse(302, {"location": "/admin"}, ""))
            return
        headers = {k: v for k, v in self.headers.items()}
        try:
            # Routing and the JWT authorizer (with its refusals) are the API's, as in-process.
            response = self.server.api.call(method, self.path, body=body, headers=headers, issuer=self.server.issuer)
        except Exception:
            # A function that raises is a 500 from API Gateway, not a dropped connection.
            log.exception("%s %s failed", method, self.path)
            response = _message(500, "Internal Server Error")
        self._send(response)

    def _send(self, response: ApiResponse) -> None:
        payload = response.body.encode()
        self.send_response(response.status)
        for key, value in (response.headers | CORS_HEADERS).items():
            if key.lower() not in ("content-length", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


def _message(status: int, message: str) -> ApiResponse:
    # API Gateway's own answers (no route, no valid token) look like this.
    return ApiResponse(status, {"content-type": "application/json"}, json.dumps({"message": message}))


class ApiServer:
    def __init__(self, api: HttpApi, issuer: DevIssuer, host: str = "127.0.0.1", port: int = 3000) -> None:
        self._httpd = _Server((host, port), api, issuer)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="http-api", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
