"""The whole system in one process and in virtual time: for tests and benchmarks.

moto (in-process), the marketplace sandbox (served on a loopback port, so the handlers' real
httpx clients talk HTTP to it), every function of the template with the environment the
template gives it, the HTTP API in-process, SQS and schedules driven by :class:`Simulation` on a
:class:`VirtualClock`. With a :class:`CostModel` and a :class:`ProviderLatency` the run has the
capacity a deployment has (invocations take time, concurrency is capped); without, work takes no
time beyond the handlers' own waits, which functional tests that assert exact times want.
Each function runs with its own template environment and the virtual clock, handed to its edge
(``sellerjobs.environment.running_in``); ``services(function)`` bootstraps the same services for
the caller. Leaving the context restores the AWS credentials it set.
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
from local.lambda_runtime import invoke
from local.sandbox import MarketplaceSandbox, serve
from local.sandbox.latency import ProviderLatency
from local.simulation import Simulation
from local.stack import EXTERNAL_URLS, register_market_clients
from local.template import Function, Template
from local.workers import environment_of
from sellerjobs.api import ADMIN_SCOPE
from sellerjobs.aws import app_secrets, clients
from sellerjobs.bootstrap import Services, bootstrap
from sellerjobs.config import Settings
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
        self.overrides.update(env)
        # New environments: what was built from the old ones is not used again.
        self.environments.update(function_environments(self.stack, self.urls, self.overrides, self.clock))
        self.sim.attach()

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """One invocation of ``function`` (a logical id) with ``event``, outside any event source,
        run as the simulation runs it: with its own environment and the virtual clock."""
        return invoke(self.stack.functions()[function], event, variables=self.environments[function])

    def services(self, function: str, overrides: Mapping[str, Any] | None = None) -> Services:
        """What ``function`` (a logical id) is built from, bootstrapped for the caller: its settings,
        the virtual clock, and ``overrides``."""
        environment = self.environments[function]
        return bootstrap(Settings(environment.variables), self.clock, overrides)


def forget_aws_clients() -> None:
    """Drop the AWS clients (and the secrets read through them) made for another AWS endpoint."""
    clients.reset()
    app_secrets.reset()


def function_environments(stack: Stack, urls: dict[str, str], overrides: Mapping[str, str],
                          clock: VirtualClock) -> dict[str, Environment]:
    """Each function's variables as the simulation runs it: its template entry, its marketplace
    URLs pointed at the sandbox, and the ``overrides``. An override of a variable the template
    gives some functions changes only theirs (as a redeploy with that parameter would); one the
    template gives none (this machine's time scale, a test's knob) goes to every function."""
    of = environment_of(stack, urls)
    entries = {name: of(name) for name in stack.functions()}
    templated = {key for entry in entries.values() for key in entry}
    return {name: Environment(name, entry | {k: v for k, v in overrides.items() if k in entry or k not in templated},
                              clock=clock)
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
    # The AWS SDK's own configuration (moto answers whatever the credentials are).
    os.environ.update(AWS_FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws(), serve(sandbox) as server:
            forget_aws_clients()  # made outside this moto
            stack = provision(template)
            urls = dict.fromkeys(EXTERNAL_URLS, server.url)
            overrides = {"POWERTOOLS_TRACE_DISABLED": "true", "EBAY_HTTP_TIMEOUT_SECONDS": "2"} | (env or {})
            environments = function_environments(stack, urls, overrides, clock)
            # Powertools reads its own configuration (service name, metrics namespace, log level)
            # from the process environment, which the functions of this process share: the
            # template's globals give every function the same.
            os.environ.update({key: value for env in environments.values() for key, value in env.variables.items()
                               if key.startswith("POWERTOOLS_")})
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
        forget_aws_clients()
        os.environ.clear()
        os.environ.update(saved_env)
