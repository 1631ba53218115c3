"""Every queue at a glance, counted by state as BullMQ counts a queue, for a cost that does not grow with jobs.

Per family, the counts come from counters kept in step with every status change (one read of a
few items), and what only SQS knows from one ``GetQueueAttributes`` per queue:

* ``promotion``: ``waiting`` (attempts due, waiting for a worker), ``active`` (attempts a worker
  holds) and ``delayed`` (retry timers) are the promotion queue's messages, about one per
  unfinished job; ``unfinished``, ``completed``, ``failed`` and ``cancelled`` are jobs.
* ``categoryFetch``: jobs: ``waiting`` queued, ``active`` processing (a run working or waiting
  for a retry or the Taxonomy budget), ``delayed`` 0 (runs are never delayed), and the finished.
* ``market``: jobs per provider: ``waiting`` pending, ``active`` running, ``delayed`` deferred
  (sent back by a 429 or a spent budget), ``completed`` succeeded, ``failed``.

``total`` is the family's jobs. Each dead-letter queue's depth and the age of its oldest
message, and each queue's pause switch, are given beside.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from sellerjobs.clock import Clock, now_ms
from sellerjobs.jobs.pause import Pause, PauseStore, QueueName

logger = Logger(child=True)


@dataclass(frozen=True)
class QueueDepth:
    visible: int
    delayed: int
    in_flight: int


class QueueStats(Protocol):
    def depth(self, queue_url: str) -> QueueDepth: ...

    def oldest_age_s(self, dead_letter_url: str) -> float | None: ...


@dataclass(frozen=True)
class QueueUrls:
    queue: str
    dead_letter: str


Counts = Mapping[str, int]


@dataclass
class QueuesService:
    promotion_counts: Callable[[], Counts]  # jobs by status: pending, succeeded, failed, cancelled
    category_counts: Callable[[], Counts]  # queued, processing, completed, failed, cancelled
    market_counts: Callable[[], Mapping[str, Counts]]  # per provider: pending, running, ...
    stats: QueueStats
    urls: Mapping[QueueName, QueueUrls]
    pauses: Mapping[QueueName, PauseStore]
    clock: Clock

    def overview(self) -> dict[str, Any]:
        promotions = self.promotion_counts()
        depth = self.stats.depth(self.urls[QueueName.PROMOTION].queue)
        finished = {key: promotions.get(status, 0) for key, status in
                    (("completed", "succeeded"), ("failed", "failed"), ("cancelled", "cancelled"))}
        unfinished = promotions.get("pending", 0)
        fetches = self.category_counts()
        category = {"waiting": fetches.get("queued", 0), "active": fetches.get("processing", 0), "delayed": 0,
                    "completed": fetches.get("completed", 0), "failed": fetches.get("failed", 0),
                    "cancelled": fetches.get("cancelled", 0)}
        market = {provider: {"waiting": c.get("pending", 0), "active": c.get("running", 0),
                             "delayed": c.get("deferred", 0), "completed": c.get("succeeded", 0),
                             "failed": c.get("failed", 0)} for provider, c in self.market_counts().items()}
        return {
            "promotion": {"waiting": depth.visible, "active": depth.in_flight, "delayed": depth.delayed,
                          "unfinished": unfinished, **finished, "total": unfinished + sum(finished.values())},
            "categoryFetch": category | {"total": sum(category.values())},
            "market": {provider: counts | {"total": sum(counts.values())} for provider, counts in market.items()},
            "deadLetters": {name.value: self._dead_letter(name) for name in QueueName},
            "paused": {name.value: _pause(self.pauses[name].get(name)) for name in QueueName},
            "now": now_ms(self.clock),
        }

    def _dead_letter(self, name: QueueName) -> dict[str, Any]:
        url = self.urls[name].dead_letter
        depth = self.stats.depth(url)
        messages = depth.visible + depth.in_flight + depth.delayed
        return {"depth": messages, "oldestAgeSeconds": self.stats.oldest_age_s(url) if messages else None}

    def pause(self, name: QueueName, by: str, reason: str | None) -> Pause:
        pause = Pause(queue=name, by=by, at=now_ms(self.clock), reason=reason)
        self.pauses[name].put(pause)
        logger.warning("Queue paused", extra={"queue": name.value, "by": by, "reason": reason})
        return pause

    def resume(self, name: QueueName, by: str) -> None:
        self.pauses[name].delete(name)
        logger.warning("Queue resumed", extra={"queue": name.value, "by": by})

    def paused(self, name: QueueName) -> Pause | None:
        return self.pauses[name].get(name)


def _pause(pause: Pause | None) -> dict[str, Any] | None:
    return pause.to_api() if pause is not None else None
