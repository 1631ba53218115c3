"""Functions in processes of their own, the way Lambda runs them: execution environments.

Each function gets a pool of worker processes (``local/lambda_worker.py``), each started with
exactly the environment its template entry gives it, plus what Lambda itself sets (function
name, region, ``LAMBDA_TASK_ROOT`` ...) and what this machine needs (the moto endpoint, fake
credentials, the time scale). A process is reused while warm; when every one is busy a new one
starts (a real cold start), up to the function's concurrency: its reserved concurrency, the
``MaximumConcurrency`` of its queue's event source, or ``DEFAULT_CONCURRENCY``. A process that
misses its function's timeout is killed, as Lambda discards the environment.

A variable one function reads but only another's template entry defines is therefore missing
here, as it would be in AWS; and each process has its own module state and logger.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.aws import Stack
from local.template import ROOT, Function, Template

WORKER_SCRIPT = Path(__file__).resolve().parent / "lambda_worker.py"
DEFAULT_CONCURRENCY = 4  # functions without a limit of their own: enough for a dashboard and a demo
INIT_TIMEOUT_S = 30.0  # a cold start on a busy 2-core machine; Lambda allows 10 s of INIT
# moto and a shared 2-core machine are several times slower than AWS: an invocation is killed
# after this many times its function's timeout (the handler still sees the real deadline).
LOCAL_TIMEOUT_FACTOR = 3.0
# What the Lambda service sets in every execution environment (beside the function's variables).
RUNTIME = "python3.13"
LogSink = Callable[[str, str], None]  # (function logical id, one line it printed)


class InvocationError(RuntimeError):
    """The handler raised, timed out, or its process died: what Lambda reports as a function error."""


def lambda_variables(function: Function, code_dir: Path, region: str) -> dict[str, str]:
    return {
        "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.logical_id}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME}",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": function.handler,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }


def concurrency_limits(template: Template) -> dict[str, int]:
    """How many environments each function may have at once."""
    limits: dict[str, int] = {}
    for source in template.queue_sources():
        limits[source.function] = max(limits.get(source.function, 0), source.max_concurrency)
    for name, resource in template.of_type("AWS::Serverless::Function").items():
        reserved = resource.get("Properties", {}).get("ReservedConcurrentExecutions")
        if isinstance(reserved, int):
            limits[name] = min(limits.get(name, reserved), reserved)
    return {name: limits.get(name, DEFAULT_CONCURRENCY) for name in template.functions()}


@dataclass
class WorkerSpec:
    """How to start one function's execution environment."""

    function: Function
    env: dict[str, str]
    code_dir: Path
    layers: list[Path]
    python: str = sys.executable
    record_aws: bool = False
    clock: tuple[float, float] | None = None  # (scale, real start) of the local stack's clock
    measure_sleeps: bool = False
    timeout_factor: float = LOCAL_TIMEOUT_FACTOR

    def command(self) -> list[str]:
        command = [self.python, str(WORKER_SCRIPT), "--code-dir", str(self.code_dir), "--handler",
                   self.function.handler, "--function-name", self.function.logical_id,
                   "--memory-mb", str(self.function.memory_mb), "--timeout-s", str(self.function.timeout_s)]
        for layer in self.layers:
            command += ["--layer", str(layer)]
        if self.record_aws:
            command.append("--record-aws")
        if self.clock is not None:
            command += ["--clock-scale", repr(self.clock[0]), "--clock-start", repr(self.clock[1])]
        if self.measure_sleeps:
            command.append("--measure-sleeps")
        return command


@dataclass
class Invocation:
    request_id: str
    ok: bool
    result: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)
    slept_ms: float = 0.0  # deliberate waits inside the invocation (clock sleeps)


_stream_numbers = itertools.count(1)


class WorkerProcess:
    """One execution environment: started (INIT) on creation, then one invocation at a time."""

    def __init__(self, spec: WorkerSpec, on_log: LogSink) -> None:
        self.spec = spec
        stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{next(_stream_numbers):08d}"
        env = spec.env | {"AWS_LAMBDA_LOG_STREAM_NAME": stream}
        started = time.perf_counter()
        self._process = subprocess.Popen(spec.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, env=env, text=True, bufsize=1, cwd=spec.code_dir)
        self.pid = self._process.pid
        self.botocore = ""  # the SDK the handler runs, once it has imported one
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        name = spec.function.logical_id
        assert self._process.stdout is not None and self._process.stderr is not None
        threading.Thread(target=self._read_answers, args=(self._process.stdout,), daemon=True,
                         name=f"answers-{name}-{self.pid}").start()
        self._logs = threading.Thread(target=self._read_logs, args=(self._process.stderr, on_log, name),
                                      daemon=True, name=f"logs-{name}-{self.pid}")
        self._logs.start()
        ready = self._next_answer(INIT_TIMEOUT_S + spec.function.timeout_s)
        self.init_ms = (time.perf_counter() - started) * 1000
        self.init_calls: list[dict[str, Any]] = ready.get("calls", []) if ready else []
        if not ready or not ready.get("ready"):
            self.close()
            error = (ready or {}).get("error") or {"type": "InitError", "message": "the process did not start"}
            raise InvocationError(f"{name} failed to initialise: {error['type']}: {error['message']}\n"
                                  f"{error.get('trace', '')}")

    def _read_answers(self, stream: Any) -> None:
        for line in stream:
            with contextlib.suppress(ValueError):  # a stray line on the answer channel is not an answer
                self._answers.put(json.loads(line))
        self._answers.put(None)  # the process ended

    @staticmethod
    def _read_logs(stream: Any, on_log: LogSink, name: str) -> None:
        for line in stream:
            on_log(name, line.rstrip("\n"))

    def _next_answer(self, timeout_s: float) -> dict[str, Any] | None:
        try:
            answer = self._answers.get(timeout=timeout_s)
        except queue.Empty:
            return None
        if answer is not None and answer.get("botocore"):
            self.botocore = str(answer["botocore"])
        return answer

    def invoke(self, event: dict[str, Any], request_id: str | None = None) -> Invocation:
        request_id = request_id or str(uuid.uuid4())
        timeout_s = float(self.spec.function.timeout_s)
        trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"
        request = {"event": event, "request_id": request_id, "trace_id": trace, "timeout_s": timeout_s}
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request, default=str) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            self.close()
            raise InvocationError(f"{self.spec.function.logical_id}: its process has ended") from exc
        answer = self._next_answer(timeout_s * self.spec.timeout_factor + 1.0)
        if answer is None:
            timed_out = self.alive
            self.close()
            raise InvocationError(f"{self.spec.function.logical_id}: "
                                  + (f"task timed out after {timeout_s:g} s" if timed_out else "its process died"))
        return Invocation(request_id=request_id, ok=bool(answer.get("ok")), result=answer.get("result"),
                          error=answer.get("error"), duration_ms=float(answer.get("duration_ms", 0.0)),
                          calls=answer.get("calls", []), slept_ms=float(answer.get("slept_ms", 0.0)))

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._logs.join(timeout=2)


class FunctionPool:
    """A function's execution environments: warm ones reused, new ones up to ``limit``."""

    def __init__(self, spec: WorkerSpec, limit: int, on_log: LogSink) -> None:
        self.spec = spec
        self.limit = max(1, limit)
        self._on_log = on_log
        self._idle: list[WorkerProcess] = []
        self._count = 0
        self._condition = threading.Condition()
        self.cold_starts = 0
        self._closed = False

    def _acquire(self) -> WorkerProcess:
        with self._condition:
            while True:
                if self._closed:
                    raise InvocationError(f"{self.spec.function.logical_id}: the stack is stopping")
                if self._idle:
                    return self._idle.pop()
                if self._count < self.limit:
                    self._count += 1
                    break
                self._condition.wait()
        try:
            worker = WorkerProcess(self.spec, self._on_log)
        except BaseException:
            with self._condition:
                self._count -= 1
                self._condition.notify()
            raise
        with self._condition:
            self.cold_starts += 1
        return worker

    def _release(self, worker: WorkerProcess) -> None:
        with self._condition:
            if worker.alive and not self._closed:
                self._idle.append(worker)
            else:
                self._count -= 1
            self._condition.notify()
        if not worker.alive or self._closed:
            worker.close()

    def invoke(self, event: dict[str, Any]) -> Invocation:
        worker = self._acquire()
        try:
            return worker.invoke(event)
        finally:
            self._release(worker)

    @property
    def size(self) -> int:
        with self._condition:
            return self._count

    def close(self) -> None:
        with self._condition:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._condition.notify_all()
        for worker in idle:
            worker.close()


def print_log(name: str, line: str) -> None:
    """Default log sink: the function's lines on stdout, prefixed with its name by ``local.logs``."""
    from local import logs

    logs.write_line(name, line)


@dataclass
class ProcessInvoker:
    """Invokes every function of a template in worker processes (see the module docstring).

    ``environment(function)`` gives a function's template environment, resolved; ``local_env`` is
    added to every process (endpoint, credentials, time scale).
    """

    template: Template
    environment: Callable[[str], dict[str, str]]
    local_env: dict[str, str]
    clock: tuple[float, float] | None = None
    on_log: LogSink = print_log
    layers: list[Path] = field(default_factory=lambda: [ROOT / "shared"])
    _pools: dict[str, FunctionPool] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def spec(self, function: Function) -> WorkerSpec:
        code_dir = ROOT / function.code_uri
        region = self.local_env.get("AWS_REGION", "us-east-1")
        env = self.environment(function.logical_id) | lambda_variables(function, code_dir, region) | self.local_env
        return WorkerSpec(function=function, env=env, code_dir=code_dir, layers=self.layers, clock=self.clock,
                          record_aws=True)

    def pool(self, function: Function) -> FunctionPool:
        with self._guard:
            if function.logical_id not in self._pools:
                limit = concurrency_limits(self.template).get(function.logical_id, DEFAULT_CONCURRENCY)
                self._pools[function.logical_id] = FunctionPool(self.spec(function), limit, self.on_log)
            return self._pools[function.logical_id]

    def __call__(self, function: Function, event: dict[str, Any]) -> Any:
        invocation = self.pool(function).invoke(event)
        from local import aws_meter

        aws_meter.observe(function.logical_id, invocation.calls)
        if not invocation.ok:
            error = invocation.error or {}
            raise InvocationError(f"{function.logical_id} failed: {error.get('type')}: {error.get('message')}")
        return invocation.result

    def close(self) -> None:
        with self._guard:
            pools = list(self._pools.values())
        for pool in pools:
            pool.close()


def local_variables(aws_endpoint: str, region: str) -> dict[str, str]:
    """What this machine adds to every function's environment."""
    return {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        # No X-Ray daemon on this machine (make lambda-check runs the tracer against one).
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def external_urls(function_env: dict[str, str], urls: dict[str, str]) -> dict[str, str]:
    """Point the marketplace URLs a function's template entry defines at local servers; never add
    one it does not define."""
    return {name: url for name, url in urls.items() if name in function_env}


def environment_of(stack: Stack, urls: dict[str, str]) -> Callable[[str], dict[str, str]]:
    """A function's template environment, resolved, with its marketplace URLs pointed at ``urls``."""

    def environment(logical_id: str) -> dict[str, str]:
        env = stack.function_env(logical_id)
        return env | external_urls(env, urls)

    return environment

