"""Invoking handlers in-process, the way Lambda would: same module, same entry point, a context.

A simulation that runs several invocations of one function at once gives each execution
environment its own copy of the handler module (``environment`` > 0), so module state such as
Powertools' batch processor is never shared by two invocations, as in separate Lambda
environments; the shared layer (``sellerjobs``) stays one copy per process.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from local.logs import function_scope
from local.template import Function
from sellerjobs.environment import Environment, running_in

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
    # Where the remaining time is read from: real time by default, a virtual clock in a simulation.
    now: Callable[[], float] = field(default=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/{next(_counter)}"
        self._deadline = self.now() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self.now()) * 1000))


def entry_point(function: Function, environment: int = 0) -> Callable[[dict[str, Any], Any], Any]:
    if environment == 0:
        module = importlib.import_module(function.module)
    else:
        module = _environment_copy(function, environment)
    handler: Callable[[dict[str, Any], Any], Any] = getattr(module, function.entry_point)
    return handler


_copies_guard = threading.Lock()


def _environment_copy(function: Function, environment: int) -> Any:
    """The handler module loaded again under a name of its own, for another execution environment."""
    name = f"{function.module}__environment_{environment}"
    with _copies_guard:
        if name in sys.modules:
            return sys.modules[name]
        original = importlib.import_module(function.module)
        spec = importlib.util.spec_from_file_location(name, original.__file__)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _container(function: Function) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(function.logical_id, threading.Lock())


def invoke(function: Function, event: dict[str, Any], *, environment: int | None = None,
           now: Callable[[], float] = time.monotonic, variables: Environment | None = None) -> Any:
    """Run one invocation. Without ``environment`` the function is one warm container: its
    invocations take turns, as they would on a single Lambda instance, so per-container state is
    never shared by two requests at once. With one, that environment's copy of the handler runs
    (a simulation, which runs one invocation at a time itself, decides which). With
    ``variables``, the handler's settings come from those (the function's template environment)
    instead of the process environment."""
    context = LocalContext(function_name=function.logical_id, memory_limit_in_mb=function.memory_mb,
                           timeout_s=function.timeout_s, now=now)
    with ExitStack() as scope:
        if variables is not None:
            scope.enter_context(running_in(variables))
        if environment is not None:
            scope.enter_context(function_scope(function.logical_id))
            return entry_point(function, environment)(event, context)
        handler = entry_point(function)
        scope.enter_context(_container(function))
        scope.enter_context(function_scope(function.logical_id))
        return handler(event, context)
