"""Which environment variables settings are read from, and what is built once per environment.

In Lambda a container runs one function, so its process environment is that function's
template environment and everything built from it is built once per container. The in-process
simulation runs every function of the template in one process; it names, per invocation, the
environment that function would have (``running_in``), so settings are read from exactly the
function's template entry — a handler reading a variable its entry does not give fails there as
it would in AWS — and what is built from them is built once per function, never shared with a
function configured differently. Outside such a scope (Lambda, tools, tests) the process
environment is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Environment:
    name: str  # whose it is (a function's logical id): what is built from it is kept under this name
    variables: Mapping[str, str]


# A context variable, not a global: each invocation thread of a simulation has its own.
_current: ContextVar[Environment | None] = ContextVar("sellerjobs_environment", default=None)
_caches: list[dict[Any, Any]] = []


def variables() -> Mapping[str, str]:
    """The variables settings are read from now."""
    current = _current.get()
    return os.environ if current is None else current.variables


@contextmanager
def running_in(environment: Environment) -> Iterator[None]:
    """Read settings from ``environment`` (in this thread) until the block ends."""
    token = _current.set(environment)
    try:
        yield
    finally:
        _current.reset(token)


def once_per_environment(factory: Callable[P, T]) -> Callable[P, T]:
    """Like ``functools.cache``, with one cache per environment."""
    results: dict[Any, T] = {}
    _caches.append(results)

    @wraps(factory)
    def cached(*args: P.args, **kwargs: P.kwargs) -> T:
        current = _current.get()
        key = (current.name if current is not None else None, args, tuple(sorted(kwargs.items())))
        if key not in results:
            results[key] = factory(*args, **kwargs)
        return results[key]

    return cached


def forget() -> None:
    """Forget everything built (the environment changed: a redeploy, a test's new settings)."""
    for results in _caches:
        results.clear()
