"""What market scheduling needs from the outside world, as protocols (adapters in aws/, providers/)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import Field, StrictInt

from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.history import Note
from sellerjobs.jobs.messages import MessageBody
from sellerjobs.market.job import CachedPrice, MarketJob, MarketStatus, Provider


@dataclass(frozen=True)
class Enqueued:
    job: MarketJob
    created: bool  # False: the key was already queued or running; this is that job
    raised: bool = False  # its priority was raised to the new one


@dataclass(frozen=True)
class JobPage:
    jobs: list[MarketJob]
    cursor: str | None


@dataclass(frozen=True)
class SchedulerRun:
    started_at: int
    finished_at: int
    dispatched: dict[str, int]
    read: dict[str, int]
    available: dict[str, int]
    reset_stuck: int
    trigger: str  # "schedule" or "manual"

    def to_api(self) -> dict[str, Any]:
        return {"startedAt": self.started_at, "finishedAt": self.finished_at, "dispatched": self.dispatched,
                "read": self.read, "available": self.available, "resetStuck": self.reset_stuck,
                "trigger": self.trigger}

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> SchedulerRun:
        return cls(started_at=data["startedAt"], finished_at=data["finishedAt"], dispatched=data["dispatched"],
                   read=data["read"], available=data["available"], reset_stuck=data["resetStuck"],
                   trigger=data["trigger"])


@dataclass(frozen=True)
class BatchMetrics:
    provider: str
    started_at: int
    size: int
    succeeded: int
    failed: int
    deferred: int
    duration_ms: int
    calls: int

    def to_api(self) -> dict[str, Any]:
        return {"provider": self.provider, "startedAt": self.started_at, "batchSize": self.size,
                "succeeded": self.succeeded, "failed": self.failed, "deferred": self.deferred,
                "durationMs": self.duration_ms, "calls": self.calls}

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> BatchMetrics:
        return cls(provider=data["provider"], started_at=data["startedAt"], size=data["batchSize"],
                   succeeded=data["succeeded"], failed=data["failed"], deferred=data["deferred"],
                   duration_ms=data["durationMs"], calls=data["calls"])


@dataclass(frozen=True)
class MarketFilter:
    """Which market jobs an operator asks for: most recently changed first, ``since`` and ``until``
    (epoch ms, inclusive) bounding that change; ``reason`` is looked for in the error, ignoring case."""

    status: MarketStatus | None = None
    provider: Provider | None = None
    reason: str | None = None
    since: int | None = None
    until: int | None = None

    def matches(self, job: MarketJob) -> bool:
        return ((self.status is None or job.status is self.status)
                and (self.provider is None or job.provider is self.provider)
                and (self.reason is None or self.reason.casefold() in (job.error or "").casefold())
                and (self.since is None or job.updated_at >= self.since)
                and (self.until is None or job.updated_at <= self.until))


class MarketJobs(Protocol):
    def enqueue(self, provider: Provider, items: Sequence[tuple[str, str | None]], priority: int,
                now_ms: int, seller: str | None = None) -> list[Enqueued]:
        """One job per (provider, sku, size): a queued or running one is returned (its priority
        raised if lower), a finished one replaced by a new job. ``seller`` is added to the job's
        ``asked_by`` (the sellers its events go to). ``sellerjobs.market.enqueueing`` decides;
        a store writes what it says."""
        ...

    def get_many(self, keys: Iterable[str]) -> dict[str, MarketJob]: ...

    def queued(self, provider: Provider, limit: int, *, min_priority: int = 0,
               max_priority: int = 999) -> list[MarketJob]:
        """Waiting jobs with a priority in the range: highest priority first, then oldest."""
        ...

    def start(self, jobs: Sequence[MarketJob], now_ms: int) -> list[MarketJob]:
        """Mark jobs running if still queued as read; returns the ones that were."""
        ...

    def settle(self, job: MarketJob, status: MarketStatus, now_ms: int, *, error: str | None = None,
               retries: int = 0, note: Note | None = None, events: Sequence[JobEvent] = ()) -> bool:
        """Move a running job on (succeeded, failed, deferred, or back to pending) as
        ``job.settled`` says, storing ``events`` in the same write. ``note``: what the provider
        answered, recorded as an attempt in the job's history (when it was read)."""
        ...

    def stuck(self, started_before_ms: int, limit: int) -> list[MarketJob]: ...

    def reset_failed(self, now_ms: int, limit: int) -> int: ...

    def page(self, status: MarketStatus | None, provider: Provider | None, limit: int, cursor: str | None
             ) -> JobPage: ...

    def counts(self) -> dict[str, dict[str, int]]:
        """Jobs by provider and status."""
        ...

    def search(self, where: MarketFilter, limit: int, cursor: str | None) -> JobPage:
        """Jobs matching ``where``, most recently changed first, without their histories (a page
        may hold fewer than ``limit`` when filters skipped some)."""
        ...

    def record_run(self, run: SchedulerRun) -> None: ...

    def recent_runs(self, limit: int) -> list[SchedulerRun]: ...

    def record_batch(self, metrics: BatchMetrics) -> None: ...

    def recent_batches(self, limit: int) -> list[BatchMetrics]: ...


class ShareSettings(Protocol):
    """The seller share an operator set (None: the deployment's default)."""

    def seller_share(self) -> float | None: ...

    def set_seller_share(self, share: float) -> None: ...


class Dispatcher(Protocol):
    def dispatch(self, provider: Provider, jobs: Sequence[MarketJob]) -> list[MarketJob]:
        """Reserve calls for these waiting jobs, start them and queue them now; returns the ones
        started (none if the budget has no call for them right now)."""
        ...


class PriceCache(Protocol):
    def get(self, provider: Provider, sku: str, size: str | None) -> CachedPrice | None: ...

    def put(self, price: CachedPrice) -> None: ...


class MarketBatch(MessageBody):
    """A batch of running jobs of one provider, with the calls reserved for them."""

    provider: Provider
    keys: tuple[str, ...]
    reserved_at: StrictInt = Field(alias="reservedAt", description="epoch ms: when the budget was taken (a "
                                   "refund goes back to that hour)")
    # When the scheduler started these jobs. A job reset and dispatched again since carries a
    # later time, so a late redelivery of this batch leaves it to its new batch.
    started_at: StrictInt = Field(alias="startedAt")

    @property
    def not_before(self) -> int:
        return 0  # due at once (a queue message like any other job family's)


class BatchQueue(Protocol):
    def send(self, messages: Sequence[MarketBatch]) -> list[MarketBatch]: ...
