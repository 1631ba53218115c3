"""Pausing a queue: an operator's switch that every worker of the queue reads.

The switch is one small item per queue. Workers read it at most every ``ttl_s`` per container
(a paused queue takes up to that long to stop everywhere, and costs one read per container and
period, not one per job); the API that flips it reads it afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sellerjobs.clock import Clock


class QueueName(StrEnum):
    PROMOTION = "promotion"
    CATEGORY_FETCH = "categoryFetch"
    MARKET = "market"


@dataclass(frozen=True)
class Pause:
    queue: QueueName
    by: str  # the operator's user id
    at: int  # epoch ms
    reason: str | None = None

    def describe(self) -> str:
        return f"the {self.queue.value} queue is paused" + (f" ({self.reason})" if self.reason else "")

    def to_api(self) -> dict[str, Any]:
        return {"by": self.by, "at": self.at, "reason": self.reason}


class PauseStore(Protocol):
    def get(self, queue: QueueName) -> Pause | None: ...

    def put(self, pause: Pause) -> None: ...

    def delete(self, queue: QueueName) -> None: ...


@dataclass
class PauseSwitch:
    """Whether one queue is paused, as its workers ask: cached for ``ttl_s``."""

    store: PauseStore
    queue: QueueName
    clock: Clock
    ttl_s: float = 30.0
    _read: tuple[float, Pause | None] | None = field(default=None, repr=False)

    def current(self) -> Pause | None:
        now = self.clock.now()
        if self._read is None or now - self._read[0] >= self.ttl_s:
            self._read = (now, self.store.get(self.queue))
        return self._read[1]
