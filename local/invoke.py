"""``make invoke``: what ``sam local invoke -e`` does, without Docker.

Runs one function's handler in a process of its own (``local/workers.py``) with exactly the
environment the template gives that function, against the stack ``make up`` is running, or,
when none is, against an embedded one (moto's server and a marketplace sandbox on free ports)
that lives for this one invocation.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from local.aws import LOCAL_EBAY_APP, REGION, Stack, provision
from local.stack import EXTERNAL_URLS, free_port, running_stack_state
from local.template import Template
from local.workers import ProcessInvoker, environment_of, local_variables


@contextmanager
def _running(state: dict[str, Any], template: Template) -> Iterator[ProcessInvoker]:
    stack = Stack(template=template, prefix=state["prefix"], parameters=state["parameters"], names=state["names"])
    urls = {k: v for k, v in state["env"].items() if k in EXTERNAL_URLS}
    scale = float(state["time_scale"])
    invoker = ProcessInvoker(template=template, environment=environment_of(stack, urls),
                             local_env=local_variables(state["aws_endpoint"], REGION),
                             clock=(scale, float(state["real_start"])))
    try:
        yield invoker
    finally:
        invoker.close()


@contextmanager
def _embedded(template: Template) -> Iterator[ProcessInvoker]:
    from moto.server import ThreadedMotoServer

    from local.sandbox import MarketplaceSandbox, serve

    saved = dict(os.environ)

    def restore_environment() -> None:
        os.environ.clear()
        os.environ.update(saved)

    with ExitStack() as stack:
        stack.callback(restore_environment)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        stack.callback(server.stop)
        endpoint = f"http://127.0.0.1:{port}"
        httpx.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
        # This process's own clients (provisioning) talk to that server too.
        os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "local",
                           "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})
        sandbox = MarketplaceSandbox()
        sandbox.add_app(LOCAL_EBAY_APP["clientId"], LOCAL_EBAY_APP["clientSecret"])
        sandbox_server = stack.enter_context(serve(sandbox))
        provisioned = provision(template)
        urls = dict.fromkeys(EXTERNAL_URLS, sandbox_server.url)
        invoker = ProcessInvoker(template=template, environment=environment_of(provisioned, urls),
                                 local_env=local_variables(endpoint, REGION))
        stack.callback(invoker.close)
        yield invoker


def invoke_file(function: str, event_path: Path) -> Any:
    template = Template.read()
    functions = template.functions()
    if function not in functions:
        raise SystemExit(f"unknown function {function!r}; template.yaml has: {', '.join(sorted(functions))}")
    event = json.loads(event_path.read_text())
    state = running_stack_state()
    with _running(state, template) if state else _embedded(template) as invoker:
        return invoker(functions[function], event)
