"""Function logs on one terminal: every line prefixed with the function that wrote it.

Functions run in processes of their own (``local/workers.py``), whose lines arrive here with the
function's name; handlers run in-process (tests, ``bench``) mark their thread with it instead. A
stdout wrapper prefixes complete lines with the name — what CloudWatch would hold in one log
group per function, interleaved.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_current = threading.local()


@contextmanager
def function_scope(name: str) -> Iterator[None]:
    previous = getattr(_current, "name", None)
    _current.name = name
    try:
        yield
    finally:
        _current.name = previous


def current_function() -> str | None:
    """The function whose invocation this thread is running, if any."""
    return getattr(_current, "name", None)


class PrefixedStdout:
    def __init__(self, target: TextIO, width: int = 26) -> None:
        self._target = target
        self._width = width
        self._lock = threading.Lock()
        self._pending = threading.local()

    def write(self, text: str) -> int:
        buffer = getattr(self._pending, "text", "") + text
        *lines, rest = buffer.split("\n")
        self._pending.text = rest
        if lines:
            name = getattr(_current, "name", None) or "stack"
            with self._lock:
                for line in lines:
                    self._target.write(f"{name:<{self._width}}| {line}\n")
                self._target.flush()
        return len(text)

    def write_as(self, name: str, line: str) -> None:
        with self._lock:
            self._target.write(f"{name:<{self._width}}| {line}\n")
            self._target.flush()

    def flush(self) -> None:
        if not getattr(self._target, "closed", False):
            self._target.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return getattr(self._target, "encoding", "utf-8")


def write_line(name: str, line: str) -> None:
    """A line a function printed in a process of its own, prefixed with its name if prefixing is on."""
    out = sys.stdout
    if isinstance(out, PrefixedStdout):
        out.write_as(name, line)
    else:
        out.write(line + "\n")
        out.flush()


def install(target: TextIO | None = None) -> None:
    """Prefix stdout (sent to ``target`` if given, e.g. a log file).

    Call before handlers are imported: loggers keep the stream they start with.
    """
    if not isinstance(sys.stdout, PrefixedStdout):
        sys.stdout = PrefixedStdout(target or sys.stdout)


def uninstall() -> None:
    if isinstance(sys.stdout, PrefixedStdout):
        sys.stdout.flush()
        sys.stdout = sys.__stdout__
