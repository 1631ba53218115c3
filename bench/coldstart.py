"""Cold starts as Lambda pays them: a fresh process, the handler's import and its first invocation.

Runs the *built* artifact (``make build``: ``.aws-sam/build``) the way ``make lambda-check`` does —
a python3.13 with only the Lambda runtime's boto3, the built layer (native packages swapped for
this machine's wheels of the same versions), each function's build folder, read-only (no
bytecode written) — against a moto server. For every handler, in a fresh process each time:

* **import**: process start until the handler module is imported (Lambda's INIT);
* **cold**: import plus the first invocation with the function's first ``events/`` file;
* **warm**: a second invocation in the same process.

Next to it, in the same run and alternating with each handler, a baseline handler
(``bench/coldstart_baseline``: Powertools Logger, a boto3 client, one DynamoDB GetItem) is
measured the same way. Medians of ``--runs`` (at least 5). Each figure twice: with the bytecode
the build ships, and without any (every import compiled, as a build without ``.pyc`` does on
read-only ``/opt``). Deliberate waits inside an invocation (the system clock's ``sleep``: the
market worker's and category worker's spacing between provider calls) are measured and left
out of the figures. Target: every handler's cold start at most 1.3x the baseline's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import emit, fmt, say
from local.template import ROOT, Function, Template

TARGET_RATIO = 1.3
MIN_RUNS = 5
BASELINE = "Baseline"
BASELINE_DIR = ROOT / "bench" / "coldstart_baseline"


@dataclass
class Samples:
    import_ms: list[float] = field(default_factory=list)
    cold_ms: list[float] = field(default_factory=list)
    warm_ms: list[float] = field(default_factory=list)
    slept_ms: list[float] = field(default_factory=list)

    def medians(self) -> dict[str, float]:
        return {name: statistics.median(values) if values else 0.0
                for name, values in (("import_ms", self.import_ms), ("cold_ms", self.cold_ms),
                                     ("warm_ms", self.warm_ms), ("slept_ms", self.slept_ms))}


def without_bytecode(source: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def first_event(function: Function) -> dict[str, Any]:
    folder = function.code_uri.strip("/").rsplit("/", 1)[-1]
    return dict(json.loads(sorted((ROOT / "events").glob(f"{folder}.*.json"))[0].read_text()))


class Bench:
    def __init__(self, handlers: list[str]) -> None:
        from local import lambda_check

        self.lambda_check = lambda_check
        self.handlers = handlers
        python313 = subprocess.run([str(ROOT / ".ci" / "find-python"), "3.13"], capture_output=True, text=True,
                                   check=True).stdout.strip()
        self.python = lambda_check.runtime_python(python313)
        self.opt, self.substituted = lambda_check.host_layer(self.python, python313)
        self.functions = Template.read().functions()
        self.state = lambda_check.STATE / "coldstart"
        self.state.mkdir(parents=True, exist_ok=True)
        # The same code without any bytecode: what a build that ships no .pyc runs.
        self.opt_source = without_bytecode(self.opt, self.state / "opt-source" / "python")
        self.code_source = {name: without_bytecode(lambda_check.BUILD / name, self.state / "source" / name)
                            for name in [*handlers]}
        self.code_source[BASELINE] = without_bytecode(BASELINE_DIR, self.state / "source" / BASELINE)
        self.baseline_compiled = self.state / "compiled" / BASELINE
        shutil.rmtree(self.baseline_compiled, ignore_errors=True)
        shutil.copytree(BASELINE_DIR, self.baseline_compiled, ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([python313, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
                        str(self.baseline_compiled)], check=True, stdout=subprocess.DEVNULL)

    def spec(self, name: str, env: dict[str, str], compiled: bool) -> Any:
        from local.workers import WorkerSpec, lambda_variables

        opt = self.opt if compiled else self.opt_source
        if name == BASELINE:
            function = Function(logical_id=BASELINE, code_uri=str(BASELINE_DIR), handler="app.lambda_handler",
                                timeout_s=10, memory_mb=128)
            code_dir = self.baseline_compiled if compiled else self.code_source[BASELINE]
        else:
            function = self.functions[name]
            code_dir = self.lambda_check.BUILD / name if compiled else self.code_source[name]
        return WorkerSpec(function=function, env=env | lambda_variables(function, code_dir, "us-east-1"),
                          code_dir=code_dir, layers=[opt / "lib" / "python3.13" / "site-packages", opt],
                          python=str(self.python), measure_sleeps=name != BASELINE)

    def measure(self, name: str, env: dict[str, str], event: dict[str, Any], compiled: bool,
                samples: Samples) -> None:
        from local.workers import WorkerProcess

        worker = WorkerProcess(self.spec(name, env, compiled), lambda *_: None)
        try:
            first = worker.invoke(event)
            second = worker.invoke(event)
        finally:
            worker.close()
        if not first.ok:
            raise RuntimeError(f"{name}: {first.error}")
        samples.import_ms.append(worker.init_ms)
        samples.slept_ms.append(first.slept_ms)
        samples.cold_ms.append(worker.init_ms + first.duration_ms - first.slept_ms)
        samples.warm_ms.append(second.duration_ms - second.slept_ms)


def run(runs: int, only: list[str] | None = None) -> dict[str, Any]:
    import logging

    import boto3
    import httpx
    from moto.server import ThreadedMotoServer

    from local.aws import LOCAL_EBAY_APP, LOCAL_PARAMETERS, REGION, provision
    from local.sandbox import MarketplaceSandbox, serve
    from local.stack import EXTERNAL_URLS, free_port, register_market_clients

    if not (ROOT / ".aws-sam" / "build" / "template.yaml").exists():
        raise SystemExit("bench coldstart measures the build: run `make build` first")
    functions = Template.read().functions()
    handlers = sorted(only or functions)
    bench = Bench(handlers)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, Samples]] = {v: {n: Samples() for n in [BASELINE, *handlers]}
                                              for v in ("compiled", "source")}
    try:
        httpx.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
        sandbox = MarketplaceSandbox()
        sandbox.add_app(LOCAL_EBAY_APP["clientId"], LOCAL_EBAY_APP["clientSecret"])
        sandbox.add_seller("user123", bench.lambda_check.EVENT_USER_REFRESH_TOKEN)
        register_market_clients(sandbox)
        with serve(sandbox) as server, bench.lambda_check._endpoint(endpoint):
            session = boto3.session.Session(region_name=REGION)
            stack = provision(Template.read(), session=session, parameters=LOCAL_PARAMETERS, prefix="coldstart")
            local = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                     "AWS_SESSION_TOKEN": "bench", "PYTHONDONTWRITEBYTECODE": "1", "POWERTOOLS_TRACE_DISABLED": "true"}
            baseline_env = local | {"BASELINE_TABLE": stack.table_name("PromotionJobsTable"),
                                    "POWERTOOLS_SERVICE_NAME": "baseline"}

            def env_of(name: str) -> dict[str, str]:
                env = stack.function_env(name)
                return env | {k: server.url for k in EXTERNAL_URLS if k in env} | local

            for _ in range(runs):
                for variant, compiled in (("compiled", True), ("source", False)):
                    for name in handlers:  # the baseline right before each handler: alternating
                        bench.measure(BASELINE, baseline_env, {}, compiled, results[variant][BASELINE])
                        bench.measure(name, env_of(name), first_event(functions[name]), compiled,
                                      results[variant][name])
    finally:
        moto.stop()
    summary: dict[str, Any] = {"runs": runs, "target_ratio": TARGET_RATIO, "python": "3.13",
                               "substituted_wheels": bench.substituted, "variants": {}}
    for variant, by_name in results.items():
        medians = {name: samples.medians() for name, samples in by_name.items()}
        base = medians[BASELINE]
        rows = {name: m | {"cold_ratio": m["cold_ms"] / base["cold_ms"],
                           "import_ratio": m["import_ms"] / base["import_ms"]} for name, m in medians.items()}
        summary["variants"][variant] = {"baseline": base, "handlers": {n: rows[n] for n in handlers},
                                        "all_within_target": all(rows[n]["cold_ratio"] <= TARGET_RATIO
                                                                 for n in handlers)}
    return summary


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench coldstart")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=MIN_RUNS, help=f"fresh processes per handler (>= {MIN_RUNS} "
                                                                    "for the published figure)")
    parser.add_argument("--only", action="append", help="a function's logical id (repeatable)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    result = run(args.runs, args.only)
    result["seconds"] = round(time.monotonic() - started, 1)
    for variant, title in (("compiled", "with the bytecode the build ships"),
                           ("source", "without bytecode (every import compiled)")):
        data = result["variants"][variant]
        rows = [("handler", "import ms", "x", "cold ms", "x baseline", "warm ms", "waits left out ms")]
        base = data["baseline"]
        rows.append(("baseline (Logger + boto3 + GetItem)", fmt(base["import_ms"]), "1.00", fmt(base["cold_ms"]),
                     "1.00", fmt(base["warm_ms"]), "0"))
        rows += [(name, fmt(h["import_ms"]), fmt(h["import_ratio"], 2), fmt(h["cold_ms"]), fmt(h["cold_ratio"], 2),
                  fmt(h["warm_ms"]), fmt(h["slept_ms"])) for name, h in data["handlers"].items()]
        emit(f"coldstart-{variant}", data, as_json=False,
             title=f"coldstart {title}: median of {args.runs} fresh processes, Python 3.13, runtime boto3",
             table=rows, notes=[f"target: every handler's cold start <= {TARGET_RATIO}x the baseline's: "
                                f"{'met' if data['all_within_target'] else 'NOT MET'}"])
    if args.json:
        say(json.dumps(result))
    return 0

