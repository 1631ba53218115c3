"""``make lambda-check``: the built artifact, run the way the Lambda python3.13 runtime runs it.

After ``make build`` (``sam build`` plus compiled bytecode), this

1. makes a clean python3.13 virtualenv holding only the boto3 the Lambda runtime ships
   (``RUNTIME_BOTO3``) — the runtime's ``site-packages``;
2. copies the built layer (``.aws-sam/build/SharedLayer/python``: Lambda's ``/opt/python``) and,
   when this machine is not arm64, replaces each native package by the x86_64 wheel of the same
   version, saying which;
3. transforms the template with the SAM translator (``.venv-sam``) to get every function's role
   as AWS will create it, and provisions the template's resources in a moto server;
4. starts every function from its build folder in a process of its own (``local/lambda_worker.py``:
   ``app.lambda_handler`` with the code folder, then the layer, then the runtime's packages on
   the path, read-only: no bytecode written), with only its template environment plus what Lambda
   sets and the moto endpoint; tracing on, against a local X-Ray daemon socket;
5. invokes it with every file in ``events/`` that targets it, then hands each queue consumer the
   messages the other functions queued, recording every AWS request (botocore event hooks);
6. checks every request against the function's role and prints a table; exits 1 on an init
   error, a failed invocation, a 5xx, a reported batch failure, a denied request or a trace
   segment too large to send.

``python -m local.lambda_check [--keep-going]`` (``make lambda-check``).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx

from local import iam
from local.aws import ACCOUNT, LOCAL_EBAY_APP, LOCAL_PARAMETERS, REGION, Stack, provision
from local.events import sqs_event
from local.sandbox.webhook_receiver import PREFIX, WebhookReceiver
from local.stack import EXTERNAL_URLS, free_port, register_market_clients
from local.template import ROOT, Function, QueueSource, Template
from local.workers import Invocation, InvocationError, WorkerProcess, WorkerSpec, lambda_variables

# The AWS SDK the Lambda python3.13 runtime ships. AWS documents the runtime's SDK version on its
# "Lambda runtimes" page (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html); a function
# can print boto3.__version__ to confirm it. 1.38.46 is the runtime boto3 our deploy checks ran
# against. AWS updates the runtime's SDK on its own schedule: bump this when the page moves on.
# It matters less than it seems: the layer ships its own boto3/botocore pair
# (shared/requirements.txt), which the runtime's search path puts first, and this check reports
# which botocore the handlers actually imported.
RUNTIME_BOTO3 = "1.38.46"

STATE = ROOT / ".local" / "lambda-check"
BUILD = ROOT / ".aws-sam" / "build"
EVENTS = ROOT / "events"
# Delivered before the other queues: the operators' bulk actions, so the cancel of one queued
# listing (events/admin_jobs.bulk_cancel_listing.json) finds it still pending and writes, before
# the promotion worker promotes the others.
DELIVERED_FIRST = ("BulkActionQueue",)
_WAITING = ("ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessages")
# What the queued work must have done, as its function logs it: a path that answered without
# doing it (a cancel that found nothing pending, a worker that only skipped stale messages)
# would otherwise pass with fewer AWS calls checked than it claims.
OUTCOMES = {
    "BulkActionWorkerFunction": (re.compile(r"Job \S+ cancelled by bulk action"),
                                 "the operator's bulk cancel of a queued listing"),
    "PromotionWorkerFunction": (re.compile(r"Batch complete: [1-9]\d* succeeded"), "an ad created on eBay"),
    "WebhookDeliveryFunction": (re.compile(r"Webhook batch: [1-9]\d* delivered"), "a signed webhook delivered"),
}
# The events name the local stack's sandbox (webhook URLs on its receiver); here it is served on a
# port of its own, put in their place.
EVENTS_SANDBOX_URL = "http://127.0.0.1:3001"
# Functions whose events create what others' events read run first.
FIRST = ("EbayCredentialsFunction", "QueuePromotionFunction", "StartCategoryFetchFunction", "MarketJobsFunction",
         "MarketSchedulerFunction")
EVENT_USER_REFRESH_TOKEN = "v^1.1#i^1#EXAMPLE-REFRESH-TOKEN-0000000000"  # events/ebay_credentials.put.json
XRAY_DATAGRAM_LIMIT = 64 * 1024


def say(text: str) -> None:
    print(text, flush=True)


# -- 1. the runtime ------------------------------------------------------------------------------

def runtime_python(python313: str) -> Path:
    venv = STATE / f"runtime-boto3-{RUNTIME_BOTO3}"
    python = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python313, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-qq", f"boto3=={RUNTIME_BOTO3}"], check=True)
        (venv / ".ready").touch()
    return python


def installed(python: Path) -> str:
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze", "--exclude", "pip"],
                            capture_output=True, text=True, check=True).stdout.split()
    return ", ".join(listed)


# -- 2. the layer --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    record: Path

    @property
    def files(self) -> list[str]:
        return [line.split(",", 1)[0] for line in self.record.read_text().splitlines() if line]


def native_distributions(site: Path) -> list[Distribution]:
    found = []
    for wheel in site.glob("*.dist-info/WHEEL"):
        if "Root-Is-Purelib: false" in wheel.read_text():
            metadata = (wheel.parent / "METADATA").read_text().splitlines()
            fields = dict(line.split(": ", 1) for line in metadata if ": " in line and not line.startswith(" "))
            found.append(Distribution(fields["Name"], fields["Version"], wheel.parent / "RECORD"))
    return sorted(found, key=lambda d: d.name.lower())


def host_layer(python: Path, python313: str) -> tuple[Path, list[str]]:
    """The built layer as this machine can run it; the native packages substituted, if any."""
    opt = STATE / "opt" / "python"
    shutil.rmtree(opt.parent, ignore_errors=True)
    shutil.copytree(BUILD / "SharedLayer" / "python", opt)
    machine = platform.machine().lower()
    if machine in ("aarch64", "arm64"):
        return opt, []
    substituted = []
    for dist in native_distributions(opt):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([str(python), "-m", "pip", "install", "-qq", "--no-deps", "--only-binary=:all:",
                            "--python-version", "3.13", "--implementation", "cp",
                            "--platform", f"manylinux2014_{machine}", "--platform", f"manylinux_2_28_{machine}",
                            "--target", tmp, f"{dist.name}=={dist.version}"], check=True)
            for relative in dist.files:
                (opt / relative).unlink(missing_ok=True)
            shutil.rmtree(dist.record.parent, ignore_errors=True)
            for item in Path(tmp).iterdir():
                target = opt / item.name
                if target.is_dir() and item.is_dir():
                    shutil.copytree(item, target, dirs_exist_ok=True)
                else:
                    shutil.move(str(item), str(target))
        substituted.append(f"{dist.name} {dist.version}")
    # As the build does: the substituted packages' bytecode too.
    subprocess.run([python313, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
                    str(opt)], check=True, stdout=subprocess.DEVNULL)
    return opt, substituted


# -- 3. roles ------------------------------------------------------------------------------------

def roles(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Each function's role statements, from the SAM translator's output, resolved."""
    parameters = {k: v for k, v in stack.parameters.items() if not k.startswith("AWS::")}
    done = subprocess.run([str(ROOT / ".venv-sam" / "bin" / "python"), str(ROOT / "local" / "sam_transform.py"),
                           str(ROOT / "template.yaml"), json.dumps(parameters, default=str)],
                          capture_output=True, text=True, check=True)
    resources = json.loads(done.stdout)["Resources"]
    out = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
        policies = resources[role]["Properties"].get("Policies", [])
        statements = [s for p in policies for s in iam.as_list(p["PolicyDocument"]["Statement"])]
        out[name] = iam.resolve(statements, stack.names, stack.parameters)
    return out


# -- 4-6. running and checking -------------------------------------------------------------------

class XRayDaemon:
    """A UDP socket where a function's X-Ray SDK sends its segments; keeps their sizes."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.sizes: list[int] = []
        threading.Thread(target=self._receive, daemon=True).start()

    @property
    def address(self) -> str:
        host, port = self.socket.getsockname()
        return f"{host}:{port}"

    def _receive(self) -> None:
        while True:
            try:
                data = self.socket.recv(256 * 1024)
            except OSError:
                return
            self.sizes.append(len(data))

    def close(self) -> None:
        self.socket.close()


@dataclass
class Report:
    function: str
    events: int = 0
    answered: int = 0
    calls: int = 0
    denied: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    largest_segment: int = 0
    segments: int = 0
    init_ms: float = 0.0
    botocore: str = ""
    log: list[str] = field(default_factory=list)


def events_by_function(functions: dict[str, Function]) -> dict[str, list[Path]]:
    """events/<function folder>.<case>.json belongs to the function whose CodeUri is functions/<folder>/."""
    folders = {f.code_uri.strip("/").rsplit("/", 1)[-1]: name for name, f in functions.items()}
    found: dict[str, list[Path]] = {name: [] for name in functions}
    for path in sorted(EVENTS.glob("*.json")):
        found[folders[path.name.split(".", 1)[0]]].append(path)
    return found


def answer_problem(invocation: Invocation) -> str | None:
    if not invocation.ok:
        error = invocation.error or {}
        return f"{error.get('type')}: {error.get('message')}"
    result = invocation.result
    if isinstance(result, dict) and "statusCode" in result and int(result["statusCode"]) >= 500:
        return f"HTTP {result['statusCode']}: {str(result.get('body'))[:200]}"
    if isinstance(result, dict) and result.get("batchItemFailures"):
        return f"batch item failures: {result['batchItemFailures']}"
    return None


def check_calls(report: Report, calls: list[dict[str, Any]], statements: list[dict[str, Any]]) -> None:
    report.calls += len(calls)
    for call in calls:
        for request in iam.requested(call, REGION, ACCOUNT):
            if not iam.decide(statements, request):
                report.denied.append(f"{request.action} on {request.resource}")


class Checker:
    def __init__(self, stack: Stack, python: Path, opt: Path, sandbox_url: str,
                 receiver: WebhookReceiver) -> None:
        self.stack = stack
        self.python = python
        self.opt = opt
        self.sandbox_url = sandbox_url
        self.receiver = receiver
        self.secrets: dict[str, list[str]] = {}  # webhook receiver name -> the secrets it was told
        self.workers: dict[str, WorkerProcess] = {}
        self.daemons: dict[str, XRayDaemon] = {}
        self.reports: dict[str, Report] = {}
        self.statements = roles(stack)
        self.functions = stack.template.functions()

    def environment(self, function: Function, daemon: XRayDaemon) -> dict[str, str]:
        code_dir = BUILD / function.logical_id
        env = self.stack.function_env(function.logical_id)
        env |= {name: self.sandbox_url for name in EXTERNAL_URLS if name in env}
        return env | lambda_variables(function, code_dir, REGION) | {
            "AWS_ENDPOINT_URL": self.stack.extra_env["AWS_ENDPOINT_URL"],
            "AWS_ACCESS_KEY_ID": "lambda-check", "AWS_SECRET_ACCESS_KEY": "lambda-check",
            "AWS_SESSION_TOKEN": "lambda-check",
            # Lambda's code and layer folders are read-only: nothing compiles bytecode to disk.
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_XRAY_DAEMON_ADDRESS": daemon.address, "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        }

    def start(self, name: str) -> None:
        function = self.functions[name]
        report = self.reports[name] = Report(name)
        daemon = self.daemons[name] = XRayDaemon()
        spec = WorkerSpec(function=function, env=self.environment(function, daemon), code_dir=BUILD / name,
                          layers=[self.opt / "lib" / "python3.13" / "site-packages", self.opt], python=str(self.python),
                          record_aws=True)
        try:
            worker = self.workers[name] = WorkerProcess(spec, lambda _, line: report.log.append(line))
        except InvocationError as exc:
            report.failures.append(str(exc).splitlines()[0])
            return
        report.init_ms = worker.init_ms
        check_calls(report, worker.init_calls, self.statements[name])

    def invoke(self, name: str, event: dict[str, Any], label: str) -> None:
        report = self.reports[name]
        worker = self.workers.get(name)
        if worker is None:
            return
        report.events += 1
        try:
            invocation = worker.invoke(event)
        except InvocationError as exc:
            report.failures.append(f"{label}: {exc}")
            self.workers.pop(name)
            return
        problem = answer_problem(invocation)
        if problem:
            report.failures.append(f"{label}: {problem}")
        else:
            report.answered += 1
            self._learn_secret(invocation.result)
        check_calls(report, invocation.calls, self.statements[name])

    def _learn_secret(self, result: Any) -> None:
        """A webhook's secret, shown once in the answer that made or rotated it, told to the
        sandbox's receiver, which then verifies the deliveries' signatures with it (``standardwebhooks``)."""
        try:
            body = json.loads(result["body"]) if isinstance(result, dict) and "body" in result else None
        except (TypeError, ValueError):
            return
        if isinstance(body, dict) and isinstance(body.get("secret"), str) and PREFIX in str(body.get("url")):
            name = str(body["url"]).split(PREFIX, 1)[1].strip("/")
            self.secrets.setdefault(name, []).append(body["secret"])
            self.receiver.set_secrets(name, self.secrets[name])

    def check_webhooks(self) -> None:
        """Every delivery the receiver got carried a signature it verified with the secret it was told."""
        report = self.reports.get("WebhookDeliveryFunction")
        for name in self.secrets:
            summary = self.receiver.summary(name)
            if report is not None and summary["invalid"]:
                report.failures.append(f"{summary['invalid']} of {summary['received']} deliveries to {name} "
                                       "did not verify (standardwebhooks)")

    def deliver_queued(self, sqs: Any, wait_s: float = 180.0) -> None:
        """Each queue consumer once more, with the messages the other functions sent it.

        Messages still delayed (a promotion's first attempt waits two minutes) are waited for, up to
        ``wait_s``: that invocation is the one that reaches eBay, KMS and Secrets Manager. A queue
        holding more than a batch is delivered batch by batch (both bulk actions run).
        """
        deadline = time.monotonic() + wait_s
        sources = sorted(self.stack.template.queue_sources(), key=lambda s: s.queue not in DELIVERED_FIRST)
        for source in sources:
            url = self.stack.queue_url(source.queue)
            delivered = False
            while time.monotonic() < deadline:
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, source.batch_size),
                                               AttributeNames=["All"], WaitTimeSeconds=1).get("Messages", [])
                if messages:
                    self.invoke(source.function, sqs_event([self._record(source, m) for m in messages]),
                                f"{len(messages)} message(s) from {source.queue}")
                    delivered = True
                    continue
                if delivered:
                    break  # what the consumer sent on (a next attempt) is not waited for
                if not self._waiting(sqs, url):
                    break
            if not delivered and self._waiting(sqs, url):
                # The consumer's path through AWS would go unchecked: fail rather than pass on less.
                self.reports[source.function].failures.append(
                    f"messages in {source.queue} were never delivered within {wait_s:.0f} s")

    @staticmethod
    def _waiting(sqs: Any, url: str) -> bool:
        """Messages visible or still delayed (both: a delay can run out during a receive's wait,
        and moto's long poll then answers empty)."""
        answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(_WAITING))["Attributes"]
        return any(answer.get(name, "0") != "0" for name in _WAITING)

    def _record(self, source: QueueSource, message: dict[str, Any]) -> dict[str, Any]:
        return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"], "attributes": message.get("Attributes", {}), "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
                "eventSourceARN": self.stack.names[source.queue]["Arn"], "awsRegion": REGION}

    def finish(self) -> None:
        for name, worker in self.workers.items():
            worker.close()
            report = self.reports[name]
            report.botocore = worker.botocore
            time.sleep(0.05)  # the last segments are in flight
            daemon = self.daemons[name]
            report.segments = len(daemon.sizes)
            report.largest_segment = max(daemon.sizes, default=0)
            if any("Message too long" in line for line in report.log):
                report.failures.append("a trace segment was too large to send (Message too long)")
            if report.largest_segment >= XRAY_DATAGRAM_LIMIT:
                report.failures.append(f"a trace segment of {report.largest_segment} bytes")
        for name, (pattern, meaning) in OUTCOMES.items():
            if name in self.reports and not any(pattern.search(line) for line in self.reports[name].log):
                self.reports[name].failures.append(f"never logged {meaning} ({pattern.pattern!r})")
        for daemon in self.daemons.values():
            daemon.close()


def table(reports: list[Report]) -> list[str]:
    rows = [("function", "events", "answered", "AWS calls", "denied", "init ms", "largest trace segment")]
    rows += [(r.function, str(r.events), str(r.answered), str(r.calls), str(len(r.denied)), f"{r.init_ms:.0f}",
              f"{r.largest_segment / 1024:.1f} KB ({r.segments} sent)") for r in reports]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
             for row in rows]
    return [lines[0], "  ".join("-" * w for w in widths), *lines[1:]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.lambda_check", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    if not (BUILD / "template.yaml").exists():
        say("no build: run `make build` first")
        return 2
    python313 = subprocess.run([str(ROOT / ".ci" / "find-python"), "3.13"], capture_output=True, text=True,
                               check=True).stdout.strip()
    started = time.monotonic()
    STATE.mkdir(parents=True, exist_ok=True)
    python = runtime_python(python313)
    say(f"runtime: python3.13 with only the Lambda runtime's SDK: {installed(python)}")
    opt, substituted = host_layer(python, python313)
    if substituted:
        say(f"layer: this machine is {platform.machine()}, the layer is built for arm64: substituted the "
            f"{platform.machine()} wheels of the same versions for {', '.join(substituted)}")
    else:
        say("layer: the built layer as it is (this machine is arm64)")

    from moto.server import ThreadedMotoServer

    from local.sandbox import MarketplaceSandbox, serve

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    httpx.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    session = boto3.session.Session(region_name=REGION, aws_access_key_id="lambda-check",
                                    aws_secret_access_key="lambda-check")
    sandbox = MarketplaceSandbox()
    sandbox.add_app(LOCAL_EBAY_APP["clientId"], LOCAL_EBAY_APP["clientSecret"])
    sandbox.add_seller("user123", EVENT_USER_REFRESH_TOKEN)
    sandbox.auto_publish(0, 0)
    register_market_clients(sandbox)
    checker: Checker | None = None
    try:
        with serve(sandbox) as sandbox_server, _endpoint(endpoint):
            stack = provision(Template.read(), session=session, parameters=LOCAL_PARAMETERS)
            stack.extra_env = {"AWS_ENDPOINT_URL": endpoint}
            checker = Checker(stack, python, opt, sandbox_server.url, sandbox.webhooks)
            events = events_by_function(checker.functions)
            order = [*FIRST, *sorted(n for n in checker.functions if n not in FIRST)]
            for name in order:
                checker.start(name)
                for path in events[name]:
                    text = path.read_text().replace(EVENTS_SANDBOX_URL, sandbox_server.url)
                    checker.invoke(name, json.loads(text), path.name)
            checker.deliver_queued(session.client("sqs", endpoint_url=endpoint))
            checker.check_webhooks()
            checker.finish()
    finally:
        moto.stop()
    assert checker is not None
    reports = [checker.reports[name] for name in order]
    for report in reports:
        (STATE / f"{report.function}.log").write_text("\n".join(report.log) + "\n")
    say("")
    for line in table(reports):
        say(line)
    botocores = sorted({r.botocore for r in reports if r.botocore})
    say(f"\nbotocore the handlers ran: {', '.join(botocores) or 'none imported'}")
    problems = [(r.function, p) for r in reports for p in [*r.failures, *(f"denied: {d}" for d in r.denied)]]
    for function, problem in problems:
        say(f"FAILED {function}: {problem}")
    total_calls = sum(r.calls for r in reports)
    denied = sum(len(r.denied) for r in reports)
    say(f"\n{len(reports)} functions, {sum(r.events for r in reports)} invocations, "
        f"{sum(r.answered for r in reports)} answered; {total_calls} AWS calls, {denied} denied by the roles; "
        f"logs in {STATE.relative_to(ROOT)}/; {time.monotonic() - started:.0f} s")
    say("lambda-check: " + ("passed" if not problems else f"FAILED ({len(problems)} problems)"))
    return 1 if problems else 0


class _endpoint:
    """This process's own boto3 clients (provisioning) talk to the moto server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        import os

        for key, value in {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "lambda-check",
                           "AWS_SECRET_ACCESS_KEY": "lambda-check", "AWS_DEFAULT_REGION": REGION}.items():
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value

    def __exit__(self, *exc: object) -> None:
        import os

        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


if __name__ == "__main__":
    sys.exit(main())
