"""Invoking handlers in-process, the way Lambda would: same module, same entry point, a context."""

from __future__ import annotations

import importlib
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.logs import function_scope
from local.template import Function

_counter = itertools.count(1)


@dataclass
class LocalContext:
    """Enough of Lambda's context object for Powertools and our handlers."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/{next(_counter)}"
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def entry_point(function: Function) -> Callable[[dict[str, Any], Any], Any]:
    module = importlib.import_module(function.module)
    handler: Callable[[dict[str, Any], Any], Any] = getattr(module, function.entry_point)
    return handler


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _container(function: Function) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(function.logical_id, threading.Lock())


def invoke(function: Function, event: dict[str, Any]) -> Any:
    """Run one invocation. Each function is one warm container: its invocations take turns,
    as they would on a single Lambda instance, so per-container state is never shared by two
    requests at once."""
    context = LocalContext(function_name=function.logical_id, memory_limit_in_mb=function.memory_mb,
                           timeout_s=function.timeout_s)
    handler = entry_point(function)
    with _container(function), function_scope(function.logical_id):
        return handler(event, context)
