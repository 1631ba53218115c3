"""The live local stack's functions run as Lambda runs them: each in processes of its own, with
only its template environment, warm processes reused and new ones started up to its concurrency."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from local.aws import REGION, Stack, provision
from local.events import scheduled_event
from local.stack import free_port
from local.template import ROOT, Function, Template
from local.workers import (
    FunctionPool,
    InvocationError,
    ProcessInvoker,
    WorkerSpec,
    concurrency_limits,
    environment_of,
    lambda_variables,
    local_variables,
)

EVENTS = ROOT / "events"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    httpx.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    yield endpoint
    server.stop()


def provisioned(endpoint: str, template: Template, monkeypatch: pytest.MonkeyPatch) -> Stack:
    for key, value in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                       "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    return provision(template, prefix=f"iso{free_port()}")


def invoker_for(stack: Stack, endpoint: str, lines: list[tuple[str, str]] | None = None) -> ProcessInvoker:
    def keep(name: str, line: str) -> None:
        if lines is not None:
            lines.append((name, line))

    return ProcessInvoker(template=stack.template, environment=environment_of(stack, {}),
                          local_env=local_variables(endpoint, REGION), on_log=keep)


def test_a_handler_reading_a_variable_its_template_entry_does_not_give_fails(moto_endpoint, monkeypatch):
    # Given a template where the status function lost PROMOTION_JOBS_TABLE, which other
    # functions' entries still define (run together in one process, it would still find it)
    template = Template.read()
    variables = template.raw["Resources"]["PromotionStatusFunction"]["Properties"]["Environment"]["Variables"]
    del variables["PROMOTION_JOBS_TABLE"]
    assert any("PROMOTION_JOBS_TABLE" in f.environment for f in template.functions().values())
    stack = provisioned(moto_endpoint, template, monkeypatch)
    lines: list[tuple[str, str]] = []
    invoker = invoker_for(stack, moto_endpoint, lines)
    event = json.loads((EVENTS / "promotion_status.stats.json").read_text())
    try:
        # When it answers a request
        answer = invoker(template.functions()["PromotionStatusFunction"], event)
        # (the event's seller connects an eBay account first: queueing needs one)
        invoker(template.functions()["EbayCredentialsFunction"],
                json.loads((EVENTS / "ebay_credentials.put.json").read_text()))
        queued = invoker(template.functions()["QueuePromotionFunction"],
                         json.loads((EVENTS / "queue_promotion.single.json").read_text()))
    finally:
        invoker.close()  # also waits for the processes' last log lines
    # Then it fails, its log naming the variable; a function that is given it still works
    assert answer["statusCode"] == 500
    assert any("PROMOTION_JOBS_TABLE" in line for name, line in lines if name == "PromotionStatusFunction")
    assert queued["statusCode"] == 202


def test_a_process_gets_its_template_environment_and_nothing_from_another_function(moto_endpoint, monkeypatch):
    stack = provisioned(moto_endpoint, Template.read(), monkeypatch)
    invoker = invoker_for(stack, moto_endpoint)
    for name, function in stack.template.functions().items():
        env = invoker.spec(function).env
        machine = set(local_variables(moto_endpoint, REGION)) | set(lambda_variables(function, ROOT, REGION))
        assert set(env) - machine == set(stack.function_env(name)), name
        assert "PATH" in env and "HOME" not in env  # nothing from this shell leaks in


def test_logs_carry_their_own_function_and_request(moto_endpoint, monkeypatch):
    stack = provisioned(moto_endpoint, Template.read(), monkeypatch)
    lines: list[tuple[str, str]] = []
    invoker = invoker_for(stack, moto_endpoint, lines)
    functions = stack.template.functions()
    names = ["MarketSchedulerFunction", "PromotionSweeperFunction"]
    pools = {name: invoker.pool(functions[name]) for name in names}
    try:
        with ThreadPoolExecutor(4) as executor:
            runs = [(name, executor.submit(pools[name].invoke, scheduled_event("EveryMinute")))
                    for name in names for _ in range(3)]
            requests = {name: set() for name in names}
            for name, run in runs:
                invocation = run.result()
                assert invocation.ok, invocation.error
                requests[name].add(invocation.request_id)
    finally:
        invoker.close()
    logged = [(name, json.loads(line)) for name, line in lines if line.startswith('{"level"')]
    assert {name for name, _ in logged} == set(names)
    for name, record in logged:
        assert record["function_name"] == name
        assert record["function_request_id"] in requests[name]


# -- the pool: warm reuse, cold starts up to the concurrency, timeouts -------------------------------

HANDLER = '''
import os, time

def lambda_handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "remaining_ms": context.get_remaining_time_in_millis(),
            "name": context.function_name}
'''


@pytest.fixture
def sleeper(tmp_path: Path) -> WorkerSpec:
    (tmp_path / "app.py").write_text(HANDLER)
    function = Function(logical_id="SleepFunction", code_uri=str(tmp_path), handler="app.lambda_handler",
                        timeout_s=2, memory_mb=128)
    return WorkerSpec(function=function, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, code_dir=tmp_path,
                      layers=[], timeout_factor=1.0)


def test_a_warm_process_is_reused(sleeper):
    pool = FunctionPool(sleeper, limit=3, on_log=lambda *_: None)
    try:
        first, second = pool.invoke({}), pool.invoke({})
        assert first.result["pid"] == second.result["pid"]
        assert first.result["name"] == "SleepFunction" and 0 < first.result["remaining_ms"] <= 2000
        assert pool.cold_starts == 1
    finally:
        pool.close()


def test_busy_processes_make_a_new_one_start_up_to_the_limit(sleeper):
    pool = FunctionPool(sleeper, limit=2, on_log=lambda *_: None)
    try:
        with ThreadPoolExecutor(4) as executor:
            results = list(executor.map(lambda _: pool.invoke({"sleep": 0.5}), range(4)))
        assert len({r.result["pid"] for r in results}) == 2  # four at once, never more than two processes
        assert pool.cold_starts == 2 and pool.size == 2
    finally:
        pool.close()


def test_an_invocation_over_the_timeout_loses_its_process(sleeper):
    pool = FunctionPool(sleeper, limit=1, on_log=lambda *_: None)
    try:
        first = pool.invoke({}).result["pid"]
        with pytest.raises(InvocationError, match="timed out"):
            pool.invoke({"sleep": 5})
        assert pool.invoke({}).result["pid"] != first  # a fresh environment: a real cold start
    finally:
        pool.close()


def test_concurrency_comes_from_the_template():
    template = Template.read()
    limits = concurrency_limits(template)
    for source in template.queue_sources():
        assert limits[source.function] == source.max_concurrency
    assert limits["QueuePromotionFunction"] >= 2



