"""How a function is run: the variables it was given, its clock, and what is built once for it.

In Lambda a container runs one function, so its process environment is that function's
template environment, its clock is the system's, and what is built from them is built once per
container. A runner that plays functions itself (the in-process simulation, the local stack's
worker processes, tests) says, per invocation, which function it plays and how (``running_in``):
the variables of exactly that function's template entry — a handler reading a variable its entry
does not give fails there as it would in AWS — the clock it runs on, and any adapter it replaces.
What the edge builds from them is built once per function and never shared with a function run
differently. Outside such a scope (Lambda, tools) the process environment and the system clock
are used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from sellerjobs.clock import Clock

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Environment:
    name: str  # whose it is (a function's logical id): what is built from it is kept under this name
    variables: Mapping[str, str]
    clock: Clock | None = None  # None: the system clock
    overrides: Mapping[str, Any] = field(default_factory=dict)  # adapters replaced, by builder name


# A context variable, not a global: each invocation thread of a simulation has its own.
_current: ContextVar[Environment | None] = ContextVar("sellerjobs_environment", default=None)


def current() -> Environment | None:
    """How the function running now is run, if its runner said so."""
    return _current.get()


def variables() -> Mapping[str, str]:
    """The variables settings are read from now."""
    found = _current.get()
    return os.environ if found is None else found.variables


@contextmanager
def running_in(environment: Environment) -> Iterator[None]:
    """Run as ``environment`` says (in this thread) until the block ends."""
    token = _current.set(environment)
    try:
        yield
    finally:
        _current.reset(token)


def once_per_environment(factory: Callable[P, T]) -> Callable[P, T]:
    """Like ``functools.cache``, with one cache per environment; an environment replaced by a
    new one under the same name (a redeploy) gets a fresh build."""
    results: dict[Any, tuple[Environment | None, T]] = {}

    @wraps(factory)
    def cached(*args: P.args, **kwargs: P.kwargs) -> T:
        found = _current.get()
        key = (found.name if found is not None else None, args, tuple(sorted(kwargs.items())))
        kept = results.get(key)
        if kept is None or kept[0] is not found:
            kept = results[key] = (found, factory(*args, **kwargs))
        return kept[1]

    # Like functools.cache's: for a process whose own environment changed (a tool, a test).
    cached.cache_clear = results.clear  # type: ignore[attr-defined]
    return cached

