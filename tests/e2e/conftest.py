"""End-to-end: the local stack in its own process (`python -m local up`), driven over HTTP only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from local.auth import DevIssuer
from local.stack import free_port
from local.template import ROOT
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, UI_TIMEOUT_MS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

TIME_SCALE = 60.0  # a virtual minute per real second


@dataclass
class SandboxControl:
    """The marketplace sandbox's /_sandbox/ control endpoints."""

    url: str

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.url}/_sandbox/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def publish_listing(self, seller: str, listing_id: str, *, sync_delay_s: float = 0.0,
                        never_syncs: bool = False) -> None:
        self._post("listings", {"seller": seller, "listingId": listing_id, "syncDelaySeconds": sync_delay_s,
                                "neverSyncs": never_syncs})

    def add_seller(self, username: str, refresh_token: str) -> None:
        self._post("sellers", {"username": username, "refreshToken": refresh_token})

    def ads(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/_sandbox/ads", timeout=10).json()["ads"])


@dataclass
class RunningStack:
    api_url: str
    sandbox_url: str
    issuer: DevIssuer
    time_scale: float

    @property
    def sandbox(self) -> SandboxControl:
        return SandboxControl(self.sandbox_url)

    def token(self, user: str, admin: bool = False) -> str:
        return self.issuer.token(user, admin=admin)

    def call(self, method: str, path: str, user: str | None, body: Any = None,
             headers: dict[str, str] | None = None, *, admin: bool = False) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.token(user, admin=admin)}"} if user else {}
        return httpx.request(method, f"{self.api_url}{path}", json=body, headers=auth | (headers or {}), timeout=30)

    def connect(self, user: str) -> None:
        """Make ``user`` an eBay seller in the sandbox with a stored refresh token."""
        token = f"e2e-refresh-token-{user}-000000"
        self.sandbox.add_seller(user, token)
        response = self.call("PUT", "/ebay/credentials", user, {"refreshToken": token})
        assert response.status_code == 200, response.text

    def wait_for(self, predicate: Callable[[], Any], timeout_s: float = 60.0, every_s: float = 0.25) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(every_s)
        raise AssertionError(f"condition not met within {timeout_s} s")


@contextmanager
def running_stack(log_path: Path, time_scale: float = TIME_SCALE) -> Iterator[RunningStack]:
    """`python -m local up` in its own process on free ports, until the block ends."""
    issuer = DevIssuer()  # creates the signing key the stack's process will load
    api_port, sandbox_port = free_port(), free_port()
    env = os.environ | {"PYTHONPATH": os.pathsep.join(["shared", "."]), "SELLERJOBS_TIME_SCALE": str(time_scale)}
    for name in ("AWS_ENDPOINT_URL", "EBAY_API_BASE_URL", "EBAY_AUTH_BASE_URL"):
        env.pop(name, None)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "up", "--port", str(api_port), "--sandbox-port", str(sandbox_port),
             "--no-state"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        running = RunningStack(api_url=f"http://127.0.0.1:{api_port}", sandbox_url=f"http://127.0.0.1:{sandbox_port}",
                               issuer=issuer, time_scale=time_scale)
        try:
            def ready() -> bool:
                if process.poll() is not None:
                    raise AssertionError(f"the stack exited:\n{log_path.read_text()[-3000:]}")
                try:
                    jwks = f"{running.api_url}/local-issuer/.well-known/jwks.json"
                    return httpx.get(jwks, timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            running.wait_for(ready, timeout_s=90)
            yield running
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("stack") / "stack.log") as running:
        yield running


# -- the browser tests' fixtures (Playwright is imported only when a browser test asks) ---------

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: the page refreshes itself every 5 s, and an
    # assertion that gave up after Playwright's default 5 s would race that refresh.
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (own sessionStorage) that fails the test on script errors or CSP violations."""
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(UI_TIMEOUT_MS)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Trusted Type" in text or "TrustedHTML" in text:
            problems.append(f"console: {text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield tab
    context.close()
    assert problems == [], "the page broke its own CSP or threw:\n" + "\n".join(problems)
