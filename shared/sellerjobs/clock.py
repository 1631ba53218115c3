"""Where domain code gets the time.

Nothing in the domain calls ``time.time()`` directly: it asks a :class:`Clock`. Production
uses :class:`SystemClock`; tests and simulations use :class:`ManualClock` and move time
forward themselves, so a day of retries runs in milliseconds. The local stack runs a
:class:`ScaledClock` so a demo can play ten minutes of eBay sync delay in twenty seconds.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of this clock's time pass (spacing between calls to a provider)."""
        ...


def now_ms(clock: Clock) -> int:
    """The clock's time in epoch milliseconds, the unit the API speaks."""
    return int(clock.now() * 1000)


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that only moves when told to. Thread-safe, for servers under test."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Nobody waits: the time simply moves on."""
        if seconds > 0:
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += seconds

    def set(self, when: float) -> None:
        with self._lock:
            if when < self._now:
                raise ValueError("a clock cannot go backwards")
            self._now = when


class ScaledClock:
    """Real time, sped up: from ``real_start`` on, ``scale`` seconds pass per real second.

    Based on the wall clock (not a monotonic one) so that separate processes given the same
    ``real_start`` and ``scale`` agree on the time, as the local stack's tools need.
    """

    def __init__(self, scale: float, real_start: float | None = None) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self.real_start = time.time() if real_start is None else real_start

    def now(self) -> float:
        return self.real_start + (time.time() - self.real_start) * self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.scale)


def real_seconds(clock: Clock, seconds: float) -> float:
    """How long ``seconds`` of ``clock`` last in real time. AWS counts some times in real seconds
    (an SQS delay, a message's age); on a sped-up clock they shrink (or grow) to match."""
    return seconds / _scale(clock)


def clock_seconds(clock: Clock, real: float) -> float:
    """How many seconds of ``clock`` pass in ``real`` real seconds."""
    return real * _scale(clock)


def _scale(clock: Clock) -> float:
    # Only a ScaledClock runs at another pace than real time; a manual or virtual clock's SQS is
    # driven by its own loop, in its own seconds.
    return clock.scale if isinstance(clock, ScaledClock) else 1.0
