"""What category fetching needs from the outside world, as protocols (adapters in aws/ and ebay/)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import Field, StrictInt

from sellerjobs.categories.job import (
    AspectRecord,
    Category,
    FailedCategory,
    FetchJob,
    FetchStatus,
    RunEntry,
    WorkItem,
)
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.messages import MessageBody


class JobNotActive(Exception):
    """The job was no longer active (cancelled, or finished by another run) when a change to it
    was to be stored, so the change was not made: whoever made it should stop working on the job."""


@dataclass(frozen=True)
class TreeRef:
    tree_id: str
    version: str


class Taxonomy(Protocol):
    """eBay's Taxonomy API. Raises ``sellerjobs.jobs.marketplace`` exceptions or ``RateLimited``."""

    def default_tree(self, marketplace_id: str) -> TreeRef: ...

    def subtree(self, tree_id: str, category_id: str) -> dict[str, Any]: ...

    def tree(self, tree_id: str) -> dict[str, Any]: ...

    def aspects(self, tree_id: str, category_id: str) -> list[dict[str, Any]]: ...

    def all_aspects(self, tree_id: str) -> Iterator[tuple[str, str, list[dict[str, Any]]]]: ...


@dataclass(frozen=True)
class FetchFilter:
    """Which category fetches an operator asks for, across sellers: newest created first, ``since``
    and ``until`` (epoch ms, inclusive) bounding when they were created; ``reason`` is looked for
    in the job's error, ignoring case."""

    status: FetchStatus | None = None
    seller: str | None = None
    job_id: str | None = None
    reason: str | None = None
    since: int | None = None
    until: int | None = None

    def matches(self, job: FetchJob) -> bool:
        return ((self.status is None or job.status is self.status)
                and (self.seller is None or job.user_id == self.seller)
                and (self.job_id is None or job.id == self.job_id)
                and (self.reason is None or self.reason.casefold() in (job.error or "").casefold())
                and (self.since is None or job.created_at >= self.since)
                and (self.until is None or job.created_at <= self.until))


class FetchJobs(Protocol):
    def create(self, job: FetchJob, categories: Sequence[Category]) -> None:
        """Store a new job and, if known, its categories as work items due now."""
        ...

    def add_work(self, job: FetchJob, categories: Sequence[Category]) -> FetchJob:
        """The worker has read the tree: store the work items and the job's new totals.

        Raises ``JobNotActive`` if the job stopped meanwhile (the seller cancelled it while its tree
        was read): its totals stay as they were. Work items may have been written already; a
        stopped job's work is never read, as with the work a cancelled job leaves behind anyway."""
        ...

    def get(self, job_id: str) -> FetchJob | None: ...

    def for_user(self, user_id: str, limit: int) -> list[FetchJob]:
        """Active jobs first, then finished ones, newest first."""
        ...

    def active(self, limit: int) -> list[FetchJob]: ...

    def search(self, where: FetchFilter, limit: int, cursor: str | None) -> tuple[list[FetchJob], str | None]:
        """Every seller's jobs matching ``where``, a page at a time (a page may hold fewer than
        ``limit`` when filters skipped some), and the next page's cursor."""
        ...

    def failures(self, job_id: str, limit: int) -> list[FailedCategory]: ...

    def take_lease(self, job_id: str, owner: str, now_ms: int, until_ms: int) -> FetchJob | None:
        """Become the only worker of an active job until ``until_ms``; None if another holds it."""
        ...

    def release_lease(self, job_id: str, owner: str, resume_at: int = 0, run: RunEntry | None = None) -> None:
        """Let go of the job; the tick leaves it alone until ``resume_at`` (epoch ms). ``run``: the
        run's entry, added to the job's run log in the same write (folded into the last entry
        when it says the same, the log bounded)."""
        ...

    def run_log(self, job_id: str) -> tuple[RunEntry, ...]: ...

    def counts(self) -> dict[str, int]:
        """Every seller's jobs by status (counters kept in step with each change)."""
        ...

    def take_slot(self, user_id: str, owner: str, now_ms: int, until_ms: int, slots: int) -> int | None:
        """One of the user's ``slots`` run slots until ``until_ms`` (a free or expired one); its number,
        or None when the user's runs hold all of them."""
        ...

    def release_slot(self, user_id: str, slot: int, owner: str) -> None: ...

    def due_work(self, job_id: str, now_ms: int, limit: int) -> list[WorkItem]: ...

    def all_work(self, job_id: str) -> list[WorkItem]: ...

    def next_work_due(self, job_id: str) -> int | None:
        """When the earliest remaining work item is due (epoch ms); None when none remains."""
        ...

    def complete(self, job: FetchJob, done: Sequence[tuple[WorkItem, AspectRecord]], now_ms: int) -> int:
        """Store aspects, drop the work items and count them, atomically; returns how many
        were still pending (a duplicate delivery finds them gone and counts nothing)."""
        ...

    def postpone(self, job: FetchJob, item: WorkItem, due_at: int, error: str, now_ms: int) -> bool: ...

    def fail(self, job: FetchJob, item: WorkItem, error: str, now_ms: int) -> bool: ...

    def finish(self, job: FetchJob, status: FetchStatus, now_ms: int, error: str | None = None,
               events: Sequence[JobEvent] = ()) -> bool:
        """Move an active job to a final status, once: False if it was no longer active. With
        ``events``, the write also stores them and counts the finish (``finishes``), and succeeds
        only while the job has finished as often as ``job`` says."""
        ...

    def progress(self, job: FetchJob, event: JobEvent, now_ms: int, interval_ms: int) -> bool:
        """Store a progress event of an active job, unless one was stored within ``interval_ms``
        (or this very one already was); True if stored."""
        ...

    def requeue_failures(self, job: FetchJob, now_ms: int) -> int: ...


class AspectStore(Protocol):
    def get(self, marketplace_id: str, category_id: str) -> AspectRecord | None: ...


class FetchMessage(MessageBody):
    """Work on this job (no sooner than ``not_before``)."""

    job_id: str = Field(alias="jobId", min_length=1)
    not_before: StrictInt = Field(0, alias="notBefore", description="epoch ms")
    # The job's owner, when the sender knew it; not part of which message it is.
    user_id: str = Field("", alias="userId")

    @property
    def group(self) -> str:
        """The tenant SQS fair queues keep from crowding out the others: the job's owner."""
        return self.user_id or self.job_id


class FetchQueue(Protocol):
    def send(self, messages: Sequence[FetchMessage]) -> list[FetchMessage]: ...
