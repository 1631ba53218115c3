"""``make invoke``: what ``sam local invoke -e`` does, without Docker.

Runs one function's handler with exactly the environment the template gives that function,
against the stack ``make up`` is running, or, when none is, against an embedded one (moto in
this process and a marketplace sandbox on a free port) that lives for this one invocation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from local.aws import LOCAL_EBAY_APP, REGION, Stack, provision
from local.lambda_runtime import invoke
from local.stack import EXTERNAL_URLS, running_stack_state
from local.template import Template
from sellerjobs import clock as clock_module
from sellerjobs import wiring
from sellerjobs.clock import ScaledClock

AWS_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    wiring.reset()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        wiring.reset()


@contextmanager
def _running(state: dict[str, Any], function: str) -> Iterator[dict[str, str]]:
    template = Template.read()
    stack = Stack(template=template, prefix=state["prefix"], parameters=state["parameters"], names=state["names"])
    env = stack.function_env(function) | {k: v for k, v in state["env"].items() if k in EXTERNAL_URLS}
    env |= {"SELLERJOBS_TIME_SCALE": str(state["time_scale"]), "AWS_ENDPOINT_URL": state["aws_endpoint"],
            "POWERTOOLS_TRACE_DISABLED": "true"} | AWS_TEST_CREDENTIALS
    previous = clock_module.install(ScaledClock(float(state["time_scale"]), real_start=float(state["real_start"])))
    try:
        yield env
    finally:
        clock_module.install(previous)


@contextmanager
def _embedded(function: str) -> Iterator[dict[str, str]]:
    from moto import mock_aws

    from local.sandbox import MarketplaceSandbox, serve

    with ExitStack() as stack, _environment(AWS_TEST_CREDENTIALS | {"AWS_ENDPOINT_URL": ""}):
        os.environ.pop("AWS_ENDPOINT_URL", None)
        stack.enter_context(mock_aws())
        sandbox = MarketplaceSandbox()
        sandbox.add_app(LOCAL_EBAY_APP["clientId"], LOCAL_EBAY_APP["clientSecret"])
        server = stack.enter_context(serve(sandbox))
        provisioned = provision()
        env = provisioned.function_env(function) | {name: server.url for name in EXTERNAL_URLS}
        yield env | {"POWERTOOLS_TRACE_DISABLED": "true"} | AWS_TEST_CREDENTIALS


def invoke_file(function: str, event_path: Path) -> Any:
    template = Template.read()
    functions = template.functions()
    if function not in functions:
        raise SystemExit(f"unknown function {function!r}; template.yaml has: {', '.join(sorted(functions))}")
    event = json.loads(event_path.read_text())
    state = running_stack_state()
    target = _running(state, function) if state else _embedded(function)
    with target as env, _environment(env):
        return invoke(functions[function], event)
