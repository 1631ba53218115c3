"""Serve a sandbox over real HTTP on loopback, for the local stack and end-to-end tests.

The adapter is thin on purpose: turn the http.server request into an ``httpx.Request``, call
``sandbox.handle`` and write the ``httpx.Response`` back, so in-process and over-HTTP behaviour
cannot drift apart.

Run standalone: ``python -m local.sandbox --port 8765 [--scale 30]``.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

from local.sandbox.app import MarketplaceSandbox
from local.sandbox.ebay_errors import error_response
from sellerjobs.clock import Clock, ScaledClock, SystemClock

log = logging.getLogger(__name__)

# Hop-by-hop and length headers are the server's business, not the fake's.
_SKIPPED_RESPONSE_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: MarketplaceSandbox) -> None:
        super().__init__(address, _Handler)
        self.sandbox = sandbox
        # Set on close so handlers holding a connection open (timeout faults) let go at once.
        self.closing = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API; every answer has a length
    timeout = 60  # idle keep-alive connections do not pin a thread forever
    # Headers and body go out in separate writes; with Nagle on, each keep-alive request stalls ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request stderr line http.server writes by default."""

    def do_GET(self) -> None:
        self._relay()

    def do_HEAD(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def do_PUT(self) -> None:
        self._relay()

    def do_DELETE(self) -> None:
        self._relay()

    def do_PATCH(self) -> None:
        self._relay()

    def _relay(self) -> None:
        # httpx always sends Content-Length for in-memory bodies; chunked uploads are not needed here.
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = httpx.Request(
            self.command, f"http://{host}{self.path}", headers=list(self.headers.items()), content=body
        )
        sandbox = self.server.sandbox
        try:
            response = sandbox.handle(request)
        except httpx.TimeoutException:
            # An injected timeout: say nothing until the client has given up, then hang up.
            self.server.closing.wait(sandbox.timeout_sleep_s)
            self.close_connection = True
            return
        except Exception:
            log.exception("sandbox failed on %s %s", self.command, self.path)
            response = error_response(500, 2003)
        # httpx decodes a gzip body as soon as the response exists; under a gzip header the
        # wire needs it encoded again.
        content = response.read()
        if response.headers.get("content-encoding", "").lower() == "gzip":
            content = gzip.compress(content, mtime=0)
        self.send_response(response.status_code)
        for name, value in response.headers.multi_items():
            if name.lower() not in _SKIPPED_RESPONSE_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)


class SandboxServer:
    """A running server; ``url`` is its base (``http://127.0.0.1:PORT``). Use as a context manager."""

    def __init__(self, sandbox: MarketplaceSandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self._httpd = _Server((host, port), sandbox)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        self._closed = False

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._httpd.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def serve(sandbox: MarketplaceSandbox, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Start serving ``sandbox`` in a daemon thread; port 0 picks a free port."""
    return SandboxServer(sandbox, host, port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the marketplace sandbox over HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--scale", type=float, default=1.0, help="clock speed-up (e.g. 30: a minute in 2 s)")
    args = parser.parse_args(argv)
    clock: Clock = ScaledClock(args.scale) if args.scale != 1.0 else SystemClock()
    server = serve(MarketplaceSandbox(clock=clock), args.host, args.port)
    print(f"marketplace sandbox listening on {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
