"""The whole system in one process and in virtual time: for tests and benchmarks.

moto (in-process), the marketplace sandbox (served on a loopback port, so the handlers' real
httpx clients talk HTTP to it), every function of the template with the environment the
template gives it, the HTTP API in-process, SQS and schedules driven by :class:`Simulation` on a
:class:`VirtualClock`. With a :class:`CostModel` and a :class:`ProviderLatency` the run has the
capacity a deployment has (invocations take time, concurrency is capped); without, work takes no
time beyond the handlers' own waits, which functional tests that assert exact times want.
Leaving the context restores the environment and the process clock.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto import mock_aws

from local.aws import LOCAL_EBAY_APP, Stack, provision
from local.capacity import CostModel, VirtualClock
from local.http_api import ApiResponse, HttpApi
from local.sandbox import MarketplaceSandbox, serve
from local.sandbox.latency import ProviderLatency
from local.simulation import Simulation
from local.stack import EXTERNAL_URLS, register_market_clients
from local.template import Function, Template
from local.workers import environment_of
from sellerjobs import clock as clock_module
from sellerjobs import wiring
from sellerjobs.api import ADMIN_SCOPE
from sellerjobs.environment import Environment

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
    clock: VirtualClock
    sandbox_url: str = ""  # the sandbox served on loopback (its webhook receiver: <url>/hooks/<name>)
    urls: dict[str, str] = field(default_factory=dict)  # the marketplace URLs, pointed at the sandbox
    overrides: dict[str, str] = field(default_factory=dict)  # this machine's settings and the caller's
    environments: dict[str, Environment] = field(default_factory=dict)  # each function's, by logical id

    def call(self, method: str, path: str, user: str | None, body: Any = None, *, admin: bool = False,
             headers: dict[str, str] | None = None) -> ApiResponse:
        claims: dict[str, Any] | None = None
        if user is not None:
            claims = {"sub": user, "iss": "local", "aud": "sellerjobs-local"}
            if admin:
                claims["scope"] = ADMIN_SCOPE
        return self.http.call(method, path, body=body, claims=claims, headers=headers)

    def reconfigure(self, **env: str) -> None:
        """New settings, as a redeploy would bring: fresh containers, same resources."""
        os.environ.update(env)
        self.overrides.update(env)
        self.environments.update(function_environments(self.stack, self.urls, self.overrides))
        wiring.reset()
        self.sim.attach()


def function_environments(stack: Stack, urls: dict[str, str], overrides: Mapping[str, str]
                          ) -> dict[str, Environment]:
    """Each function's variables as the simulation runs it: its template entry, its marketplace
    URLs pointed at the sandbox, and the ``overrides``. An override of a variable the template
    gives some functions changes only theirs (as a redeploy with that parameter would); one the
    template gives none (this machine's time scale, a test's knob) goes to every function."""
    of = environment_of(stack, urls)
    entries = {name: of(name) for name in stack.functions()}
    templated = {key for entry in entries.values() for key in entry}
    return {name: Environment(name, entry | {k: v for k, v in overrides.items() if k in entry or k not in templated})
            for name, entry in entries.items()}


def _api_invoker(sim: Simulation) -> Any:
    def run(function: Function, event: dict[str, Any]) -> Any:
        log = sim.run(function.logical_id, event)
        # What API Gateway answers when the function did not: a timeout, or a runtime that died.
        if log.timed_out:
            return {"statusCode": 503, "body": json.dumps({"message": "Service Unavailable"})}
        if log.crashed:
            return {"statusCode": 502, "body": json.dumps({"message": "Internal Server Error"})}
        return log.result

    return run


@contextmanager
def virtual_stack(clock: VirtualClock, sandbox: MarketplaceSandbox | None = None,
                  env: dict[str, str] | None = None, *, costs: CostModel | None = None,
                  latency: ProviderLatency | None = None, template: Template | None = None) -> Iterator[VirtualStack]:
    sandbox = sandbox or MarketplaceSandbox(clock=clock)
    if latency is not None:
        sandbox.latency = latency
    # Provider latency is charged to the invocation that made the call, never to the event loop.
    sandbox.wait = clock.spend
    sandbox.add_app(LOCAL_EBAY_APP["clientId"], LOCAL_EBAY_APP["clientSecret"])
    register_market_clients(sandbox)
    saved_env = dict(os.environ)
    previous_clock = clock_module.install(clock)
    os.environ.update(AWS_FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws(), serve(sandbox) as server:
            wiring.reset()
            stack = provision(template)
            urls = dict.fromkeys(EXTERNAL_URLS, server.url)
            overrides = {"SELLERJOBS_TIME_SCALE": "1", "POWERTOOLS_TRACE_DISABLED": "true",
                         "EBAY_HTTP_TIMEOUT_SECONDS": "2"} | (env or {})
            # The handlers read each function's own variables (``environments``); the process
            # environment has them all, for what the caller itself builds from them.
            os.environ.update(stack.merged_env() | urls | overrides)
            environments = function_environments(stack, urls, overrides)
            wiring.reset()
            sim = Simulation.of(stack, clock, costs, environments)
            http = HttpApi.from_template(stack.template)
            http.clock_now = clock.now
            http.invoker = _api_invoker(sim)
            try:
                yield VirtualStack(stack=stack, sim=sim, http=http, sandbox=sandbox, clock=clock,
                                   sandbox_url=server.url, urls=urls, overrides=overrides,
                                   environments=environments)
            finally:
                sim.close()
    finally:
        wiring.reset()
        os.environ.clear()
        os.environ.update(saved_env)
        clock_module.install(previous_clock)
