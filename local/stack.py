"""The whole system on one machine: moto, the HTTP API, event sources, schedules, the sandbox.

No AWS account and no Docker: AWS services come from moto's server, created from
template.yaml; the real handlers run in worker processes of their own, one pool per function
with exactly the function's template environment (``local/workers.py``), invoked by an API
Gateway emulator, SQS pollers and schedule timers; eBay is the marketplace sandbox (or any server whose base URL is
configured, e.g. eBay's own sandbox). ``time_scale`` speeds everything up for demos: the
system's clock, SQS delays and visibility timeouts, batching windows and schedules all shrink
by the same factor.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx

from local import logs
from local.api_server import ApiServer
from local.auth import STATE_DIR, DevIssuer
from local.aws import LOCAL_EBAY_APP, LOCAL_MARKET_CREDENTIALS, REGION, Stack, provision
from local.event_sources import QueuePoller, ScheduleRunner
from local.events import scheduled_event
from local.http_api import HttpApi
from local.sandbox import MarketplaceSandbox, SandboxServer, serve
from local.template import Template
from local.workers import ProcessInvoker, environment_of, local_variables
from sellerjobs.aws import clients
from sellerjobs.clock import ScaledClock

STATE_FILE = STATE_DIR / "stack.json"
DEV_USERS = ("alice", "bob")
# The environment variables that point the system at a real marketplace instead of the sandbox.
EXTERNAL_URLS = ("EBAY_API_BASE_URL", "EBAY_AUTH_BASE_URL", "STOCKX_BASE_URL", "STOCKX_AUTH_BASE_URL",
                 "ALIAS_BASE_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The sandbox holds the market providers to the hourly limits our budgets assume (per clock
# hour), so overspending would show up as 429s.
MARKET_LIMITS = {"stockx": 100, "alias": 200, "browse": 150}


def register_market_clients(sandbox: MarketplaceSandbox) -> None:
    """Make the sandbox accept the StockX and Alias credentials the local secret holds."""
    stockx, alias = LOCAL_MARKET_CREDENTIALS["stockx"], LOCAL_MARKET_CREDENTIALS["alias"]
    sandbox.add_stockx_client(stockx["clientId"], stockx["clientSecret"], stockx["apiKey"], stockx["refreshToken"])
    sandbox.add_alias_token(alias["token"], "sellerjobs-local")
    for group, per_hour in MARKET_LIMITS.items():
        sandbox.set_rate_limit(group, per_hour, 3600, fixed=True)


def dev_refresh_token(user: str) -> str:
    return f"local-refresh-token-{user}-0000000000"


@dataclass
class LocalStack:
    time_scale: float = 1.0
    api_port: int = 3000
    sandbox_port: int = 3001
    prefix_logs: bool = True
    write_state: bool = True
    # False: no SQS pollers or schedules, only the API (the fuzz benchmark wants to see only
    # what requests themselves change).
    event_sources: bool = True
    issuer: DevIssuer = field(default_factory=DevIssuer)
    sandbox: MarketplaceSandbox = field(init=False)
    stack: Stack = field(init=False)
    env: dict[str, str] = field(default_factory=dict)
    dev_campaigns: dict[str, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _closers: list[Any] = field(default_factory=list)
    _threads: list[Any] = field(default_factory=list)
    api_url: str = ""
    sandbox_url: str = ""
    aws_endpoint: str = ""

    uses_sandbox: bool = True
    invoker: ProcessInvoker | None = None
    clock: ScaledClock = field(default_factory=lambda: ScaledClock(1.0))

    def start(self) -> LocalStack:
        # Decided before the stack sets its own environment (which points at the sandbox).
        self.uses_sandbox = not os.environ.get("EBAY_API_BASE_URL")
        saved_env = dict(os.environ)

        def restore_environment() -> None:
            os.environ.clear()
            os.environ.update(saved_env)
            clients.reset()  # they were made for this stack's moto

        self._closers.append(restore_environment)
        if self.prefix_logs:
            logs.install()
        if not self.uses_sandbox and self.time_scale != 1.0:
            raise ValueError("a real marketplace runs in real time: SELLERJOBS_TIME_SCALE must be 1")
        # The functions run on this clock too: their worker processes are given its scale and start.
        clock = self.clock = ScaledClock(self.time_scale)
        self._start_moto()
        self.sandbox = MarketplaceSandbox(clock=clock)
        self.sandbox.add_app(LOCAL_EBAY_APP["clientId"], LOCAL_EBAY_APP["clientSecret"])
        self.sandbox.auto_publish(60, 600, seed=1)  # any listing id you queue syncs within 1-10 min
        register_market_clients(self.sandbox)
        sandbox_server: SandboxServer = serve(self.sandbox, port=self.sandbox_port)
        self._closers.append(sandbox_server.close)
        self.sandbox_url = sandbox_server.url

        template = Template.read()
        ebay_app = None
        if os.environ.get("EBAY_CLIENT_ID") and os.environ.get("EBAY_CLIENT_SECRET"):
            ebay_app = {"clientId": os.environ["EBAY_CLIENT_ID"], "clientSecret": os.environ["EBAY_CLIENT_SECRET"]}
        self.stack = provision(template, session=self._session(), time_scale=self.time_scale, ebay_app=ebay_app)
        urls = {name: os.environ.get(name) or self.sandbox_url for name in EXTERNAL_URLS}
        self.env = urls | {"SELLERJOBS_TIME_SCALE": str(self.time_scale)}
        # Each function in processes of its own, with its own template environment only.
        self.invoker = ProcessInvoker(
            template=template, environment=environment_of(self.stack, urls),
            local_env=local_variables(self.aws_endpoint, REGION),
            clock=(self.time_scale, clock.real_start))
        self._closers.append(self.invoker.close)

        http = HttpApi.from_template(template, invoker=self.invoker)
        http.clock_now = clock.now
        api = ApiServer(http, self.issuer, port=self.api_port)
        self._closers.append(api.close)
        self.api_url = api.url
        if self.event_sources:
            self._start_event_sources()
        if self.uses_sandbox:
            self._connect_dev_users()
        if self.write_state:
            self._write_state(clock)
        return self

    def _session(self) -> boto3.session.Session:
        return boto3.session.Session(region_name=REGION)

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        port = free_port()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access line per AWS call
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        self._closers.append(server.stop)
        self.aws_endpoint = f"http://127.0.0.1:{port}"
        # moto keeps its state per process, not per server: start from nothing.
        httpx.post(f"{self.aws_endpoint}/moto-api/reset", timeout=10).raise_for_status()
        # Every boto3 client in this process (ours and the handlers') talks to moto.
        os.environ.update({
            "AWS_ENDPOINT_URL": self.aws_endpoint, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        })
        os.environ.pop("AWS_PROFILE", None)

    def _start_event_sources(self) -> None:
        assert self.invoker is not None
        functions = self.stack.functions()
        sqs = self._session().client("sqs")
        for source in self.stack.template.queue_sources():
            poller = QueuePoller(source=source, function=functions[source.function],
                                 queue_url=self.stack.queue_url(source.queue),
                                 queue_arn=self.stack.names[source.queue]["Arn"], sqs=sqs,
                                 scale=self.time_scale, stop=self._stop, invoker=self.invoker)
            self._threads.append(poller.start())
        for schedule in self.stack.template.schedules():
            runner = ScheduleRunner(schedule=schedule, function=functions[schedule.function], scale=self.time_scale,
                                    stop=self._stop, invoker=self.invoker,
                                    event_factory=lambda name: scheduled_event(name, now=self.clock.now()))
            self._threads.append(runner.start())

    def _connect_dev_users(self) -> None:
        """Dev users are sellers in the sandbox with their refresh tokens stored, as after consent."""
        for user in DEV_USERS:
            self.connect(user)
        # alice already promotes with a campaign; bob has none, so his first job creates one.
        self.dev_campaigns["alice"] = self.sandbox.add_campaign("alice", "alice - everyday promotions")

    def connect(self, user: str) -> None:
        """Make ``user`` a seller in the sandbox with a refresh token stored, as after eBay's consent."""
        self.sandbox.add_seller(user, dev_refresh_token(user))
        response = self.call("PUT", "/ebay/credentials", user, {"refreshToken": dev_refresh_token(user)})
        response.raise_for_status()

    def token(self, user: str, admin: bool = False) -> str:
        return self.issuer.token(user, admin=admin)

    def call(self, method: str, path: str, user: str, body: Any = None, *, admin: bool = False) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(user, admin=admin)}"}
        with httpx.Client(base_url=self.api_url, timeout=30) as client:
            return client.request(method, path, json=body, headers=headers)

    def _write_state(self, clock: ScaledClock) -> None:
        STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
        STATE_FILE.write_text(json.dumps({
            "pid": os.getpid(), "api_url": self.api_url, "sandbox_url": self.sandbox_url,
            "aws_endpoint": self.aws_endpoint, "time_scale": self.time_scale, "real_start": clock.real_start,
            "prefix": self.stack.prefix, "names": self.stack.names, "parameters": _jsonable(self.stack.parameters),
            "env": self.env,
        }, indent=2))

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.thread.join(timeout=5)
        for close in reversed(self._closers):
            with contextlib.suppress(Exception):  # shutting down: nothing useful to do with errors
                close()
        if self.write_state and STATE_FILE.exists():
            STATE_FILE.unlink()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, str | int | float | bool | type(None)) else str(v)) for k, v in values.items()}


def running_stack_state(path: Path = STATE_FILE) -> dict[str, Any] | None:
    """The state file of a stack started by ``make up``, if that stack still answers."""
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text())
    try:
        httpx.get(f"{state['api_url']}/local-issuer/.well-known/jwks.json", timeout=1).raise_for_status()
    except httpx.HTTPError:
        return None
    return state
