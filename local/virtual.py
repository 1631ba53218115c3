"""The whole system in one process and in virtual time: for tests and benchmarks.

moto (in-process), the marketplace sandbox (served on a loopback port, so the handlers' real
httpx clients talk HTTP to it), every function of the template with the environment the
template gives it, the HTTP API in-process, SQS and schedules driven by :class:`Simulation` on a
:class:`ManualClock`. Leaving the context restores the environment and the process clock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto import mock_aws

from local.aws import LOCAL_EBAY_APP, Stack, provision
from local.http_api import ApiResponse, HttpApi
from local.sandbox import MarketplaceSandbox, serve
from local.simulation import Simulation
from local.stack import EXTERNAL_URLS, register_market_clients
from sellerjobs import clock as clock_module
from sellerjobs import wiring
from sellerjobs.api import ADMIN_SCOPE
from sellerjobs.aws import clients
from sellerjobs.clock import ManualClock

AWS_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
}


@dataclass
class VirtualStack:
    stack: Stack
    sim: Simulation
    http: HttpApi
    sandbox: MarketplaceSandbox
    clock: ManualClock

    def call(self, method: str, path: str, user: str | None, body: Any = None, *, admin: bool = False
             ) -> ApiResponse:
        claims: dict[str, Any] | None = None
        if user is not None:
            claims = {"sub": user, "iss": "local", "aud": "sellerjobs-local"}
            if admin:
                claims["scope"] = ADMIN_SCOPE
        return self.http.call(method, path, body=body, claims=claims)

    def reconfigure(self, **env: str) -> None:
        """New settings, as a redeploy would bring: fresh containers, same resources."""
        os.environ.update(env)
        wiring.reset()
        self.sim.attach(clients.sqs())


@contextmanager
def virtual_stack(clock: ManualClock, sandbox: MarketplaceSandbox | None = None,
                  env: dict[str, str] | None = None) -> Iterator[VirtualStack]:
    sandbox = sandbox or MarketplaceSandbox(clock=clock)
    sandbox.add_app(LOCAL_EBAY_APP["clientId"], LOCAL_EBAY_APP["clientSecret"])
    register_market_clients(sandbox)
    saved_env = dict(os.environ)
    previous_clock = clock_module.install(clock)
    os.environ.update(AWS_FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws(), serve(sandbox) as server:
            wiring.reset()
            stack = provision()
            os.environ.update(stack.merged_env() | {name: server.url for name in EXTERNAL_URLS} | {
                "SELLERJOBS_TIME_SCALE": "1",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "EBAY_HTTP_TIMEOUT_SECONDS": "2",
            } | (env or {}))
            wiring.reset()
            http = HttpApi.from_template(stack.template)
            http.clock_now = clock.now
            sim = Simulation(stack=stack, clock=clock, sqs=clients.sqs())
            yield VirtualStack(stack=stack, sim=sim, http=http, sandbox=sandbox, clock=clock)
    finally:
        wiring.reset()
        os.environ.clear()
        os.environ.update(saved_env)
        clock_module.install(previous_clock)
