"""Powertools Tracer, created on the first invocation instead of at import.

Creating a Tracer imports the X-Ray SDK (and with it botocore), which would roughly double every
handler's import time. The handlers decorate their functions with this stand-in at import; the
real Tracer is built, and the decorated functions wrapped by it, when the first event arrives.
Tracing itself is unchanged: the same segments, annotations and captured responses.

A decorated route keeps the signature of the function it wraps, with its annotations resolved:
Powertools reads the route's parameter and return types from it, and would otherwise look the
names up in this module instead of the handler's.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

F = TypeVar("F", bound=Callable[..., Any])


class LazyTracer:
    def __init__(self) -> None:
        self._tracer: Tracer | None = None

    @property
    def tracer(self) -> Tracer:
        if self._tracer is None:
            from aws_lambda_powertools import Tracer

            self._tracer = Tracer()
        return self._tracer

    @overload
    def capture_lambda_handler(self, handler: F) -> F: ...

    @overload
    def capture_lambda_handler(self, *, capture_response: bool | None = None,
                               capture_error: bool | None = None) -> Callable[[F], F]: ...

    def capture_lambda_handler(self, handler: F | None = None, *, capture_response: bool | None = None,
                               capture_error: bool | None = None) -> F | Callable[[F], F]:
        decorate = self._deferred("capture_lambda_handler", capture_response, capture_error)
        return decorate(handler) if handler is not None else decorate

    @overload
    def capture_method(self, method: F) -> F: ...

    @overload
    def capture_method(self, *, capture_response: bool | None = None,
                       capture_error: bool | None = None) -> Callable[[F], F]: ...

    def capture_method(self, method: F | None = None, *, capture_response: bool | None = None,
                       capture_error: bool | None = None) -> F | Callable[[F], F]:
        decorate = self._deferred("capture_method", capture_response, capture_error)
        return decorate(method) if method is not None else decorate

    def _deferred(self, decorator: str, capture_response: bool | None,
                  capture_error: bool | None) -> Callable[[F], F]:
        def decorate(target: F) -> F:
            wrapped: Callable[..., Any] | None = None

            @functools.wraps(target)
            def call(*args: Any, **kwargs: Any) -> Any:
                nonlocal wrapped
                if wrapped is None:
                    wrapped = getattr(self.tracer, decorator)(
                        target, capture_response=capture_response, capture_error=capture_error)
                return wrapped(*args, **kwargs)

            # A name only imported for type checkers cannot be resolved: the signature stays as written.
            with contextlib.suppress(NameError, TypeError):
                call.__signature__ = inspect.signature(target, eval_str=True)  # type: ignore[attr-defined]
            return call  # type: ignore[return-value]

        return decorate
