"""One Lambda execution environment: a process that imports one handler and runs its invocations.

Started by the local stack (``local/workers.py``) and by ``make lambda-check``, always as a script
(``python local/lambda_worker.py ...``) with only the environment its function would have in
Lambda. It needs nothing but the standard library until it imports the handler, so it runs as
well in a clean virtualenv holding only the Lambda runtime's boto3 as in the project's own.

Like the Python runtime it puts the function's code folder first on ``sys.path``, then the layer
folders (Lambda: ``/var/task``, then ``/opt/python``), imports ``<module>.<function>`` once (the
INIT phase) and then answers invocations one at a time. The parent sends one JSON line per
invocation on stdin; answers go back as JSON lines on the file descriptor that was stdout when
the process started. Everything the handler prints (its logs) goes to stderr, which the parent
reads line by line.

With ``--record-aws`` every AWS request the handler's boto3 clients make is reported with the
answer (botocore event hooks), with the parameters that name the resource it touches.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any


class Context:
    """Enough of Lambda's context object for Powertools and the handlers."""

    def __init__(self, function_name: str, memory_mb: int, request_id: str, deadline: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self.invoked_function_arn = f"arn:aws:lambda:{os.environ.get('AWS_REGION', 'us-east-1')}:123456789012:" \
                                    f"function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# -- recording AWS calls ---------------------------------------------------------------------------

_calls: list[dict[str, Any]] = []
# The request parameters that say which resource a call touches (what IAM evaluates).
_NAMING = ("TableName", "IndexName", "QueueUrl", "KeyId", "SecretId", "Bucket", "Key")


def _naming_params(params: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {k: params[k] for k in _NAMING if isinstance(params.get(k), str)}
    if isinstance(params.get("RequestItems"), dict):  # BatchGetItem / BatchWriteItem
        found["RequestItems"] = sorted(params["RequestItems"])
    if isinstance(params.get("TransactItems"), list):  # TransactWriteItems / TransactGetItems
        found["TransactItems"] = [{kind: body.get("TableName")} for item in params["TransactItems"]
                                  for kind, body in item.items()]
    if isinstance(params.get("Entries"), list) and all(isinstance(e, dict) for e in params["Entries"]):
        # PutEvents: the bus of each entry (SQS batch entries name none).
        buses = [{"EventBusName": e["EventBusName"]} for e in params["Entries"] if "EventBusName" in e]
        if buses:
            found["Entries"] = buses
    return found


def _record_aws_calls() -> None:
    import botocore.session

    create_client = botocore.session.Session.create_client

    def before_parameter_build(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        call = {"service": model.service_model.service_name, "operation": model.name,
                "params": _naming_params(params)}
        context["sellerjobs_call"] = call
        _calls.append(call)

    def after_call(parsed: dict[str, Any], context: dict[str, Any], http_response: Any = None, **_: Any) -> None:
        call = context.get("sellerjobs_call")
        if call is None:
            return
        call["status"] = getattr(http_response, "status_code", None)
        if isinstance(parsed, dict) and isinstance(parsed.get("KeyId"), str):
            call["response_key_id"] = parsed["KeyId"]  # a Decrypt names its key only in the answer

    def recording_create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        client.meta.events.register("before-parameter-build", before_parameter_build, unique_id="sellerjobs-call")
        client.meta.events.register("after-call", after_call, unique_id="sellerjobs-answer")
        return client

    botocore.session.Session.create_client = recording_create_client  # type: ignore[method-assign]


_slept = [0.0]


def _runtime_clock(scale: float | None, start: float | None, measure_sleeps: bool) -> Any:
    """The clock the function runs on: the system's, or the local stack's sped-up one; with
    ``measure_sleeps``, one that also adds up how long it slept."""
    from sellerjobs import clock

    if not measure_sleeps:
        return clock.ScaledClock(scale, real_start=start) if scale else clock.SystemClock()

    class MeasuredClock(clock.ScaledClock):  # at scale 1, the system's time
        def sleep(self, seconds: float) -> None:
            began = time.perf_counter()
            super().sleep(seconds)
            _slept[0] += time.perf_counter() - began

    return MeasuredClock(scale or 1.0, real_start=start)


def _runtime(args: argparse.Namespace) -> Callable[[], AbstractContextManager[Any]]:
    """How each invocation is run: with its variables and clock handed to the handler's edge, as
    Lambda's would be (the process environment; the system clock unless the stack is sped up).
    A function without the sellerjobs layer just runs."""
    if importlib.util.find_spec("sellerjobs") is None:
        return nullcontext
    from sellerjobs.environment import Environment, running_in

    runtime = Environment(args.function_name, os.environ,
                          clock=_runtime_clock(args.clock_scale, args.clock_start, args.measure_sleeps))
    return lambda: running_in(runtime)


# -- the loop ----------------------------------------------------------------------------------------

def _answer(channel: Any, message: dict[str, Any]) -> None:
    botocore = sys.modules.get("botocore")
    if botocore is not None:  # which SDK the handler really ran: the layer's or the runtime's
        where = os.path.dirname(os.path.dirname(botocore.__file__ or ""))
        message["botocore"] = f"{botocore.__version__} from {where}"
    channel.write(json.dumps(message, default=str) + "\n")
    channel.flush()


def _error(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": str(exc), "trace": traceback.format_exc()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lambda_worker")
    parser.add_argument("--code-dir", required=True, help="the function's code folder (Lambda: /var/task)")
    parser.add_argument("--layer", action="append", default=[], help="a layer folder (Lambda: /opt/python)")
    parser.add_argument("--handler", default="app.lambda_handler")
    parser.add_argument("--function-name", required=True)
    parser.add_argument("--memory-mb", type=int, default=128)
    parser.add_argument("--timeout-s", type=float, default=3.0)
    parser.add_argument("--record-aws", action="store_true")
    parser.add_argument("--clock-scale", type=float, help="run the system's clock this much faster (local stack)")
    parser.add_argument("--clock-start", type=float, help="the real time the scaled clock started at")
    parser.add_argument("--measure-sleeps", action="store_true",
                        help="report how long the system's clock slept (deliberate waits between provider calls)")
    args = parser.parse_args(argv)

    # Answers keep the real stdout; whatever the handler prints goes to stderr, as log lines.
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)

    # The runtime's search path: code folder, layers, then the interpreter's own site-packages
    # (where the runtime's boto3 lives). This file's own folder is not on it.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [args.code_dir, *args.layer, *[p for p in sys.path if p and os.path.abspath(p) != here]]
    os.chdir(args.code_dir)

    started = time.perf_counter()
    try:
        if args.record_aws:
            _record_aws_calls()
        module_name, function_name = args.handler.rsplit(".", 1)
        handler = getattr(importlib.import_module(module_name), function_name)
        runtime = _runtime(args)
    except BaseException as exc:  # an import that fails is an init error, as Lambda reports it
        _answer(channel, {"ready": False, "error": _error(exc), "calls": _calls})
        return 1
    _answer(channel, {"ready": True, "init_ms": (time.perf_counter() - started) * 1000, "calls": list(_calls)})
    _calls.clear()

    for line in sys.stdin:
        request = json.loads(line)
        os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id") or ""
        context = Context(args.function_name, args.memory_mb, request["request_id"],
                          time.monotonic() + float(request.get("timeout_s") or args.timeout_s))
        began = time.perf_counter()
        try:
            with runtime():
                result = handler(request["event"], context)
            message: dict[str, Any] = {"ok": True, "result": result}
        except BaseException as exc:  # the handler's error is the invocation's answer, not the process's end
            message = {"ok": False, "error": _error(exc)}
        sys.stdout.flush()
        sys.stderr.flush()
        message |= {"duration_ms": (time.perf_counter() - began) * 1000, "calls": list(_calls),
                    "slept_ms": _slept[0] * 1000}
        _calls.clear()
        _slept[0] = 0.0
        _answer(channel, message)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
