"""Bulk actions: retry every failed job, or cancel every pending one, that a filter matches.

After an eBay outage an operator retries thousands of failed jobs at once; a seller retries their
own. The request only stores the action and queues it; a worker does the work a page at a time,
through the same indexes as the operators' job search (never a scan), with progress an operator
can watch (matched = done + skipped).

* **Exactly once per job.** Each job's change and the action's ``done`` counter are one
  transaction (``Tally``), so a crash between them cannot count a job twice or not at all. A job
  the action changed leaves the status it was matched by, so a page read again after a crash
  does not find it; one read again through a listing finds the action named in its history
  and is not counted again.
* **One run at a time.** A run holds the action's lease while it works; a duplicate delivery
  finds it held and leaves. A run that dies loses its lease after ``lease_s``, and the message
  that started it comes back and resumes from the stored cursor.
* **Bounded.** A run works until its time is up, stores its place, queues the next run and
  returns; ``limit`` caps how many jobs the action may touch.
"""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from pydantic import Field

from sellerjobs.clock import Clock, now_ms
from sellerjobs.errors import NotFound
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.messages import MessageBody
from sellerjobs.promotions import events as promotion_events
from sellerjobs.promotions.job import PromotionJob, Status
from sellerjobs.promotions.ports import DelayQueue, JobFilter, JobRepository, ListingBusy, Tally, TallyRefused
from sellerjobs.promotions.service import PromotionService, message_for

logger = Logger(child=True)


class BulkKind(StrEnum):
    RETRY = "retry"  # failed jobs start over
    CANCEL = "cancel"  # pending jobs stop

    @property
    def status(self) -> Status:
        """The status the jobs it changes have."""
        return Status.FAILED if self is BulkKind.RETRY else Status.PENDING


class BulkStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self in (BulkStatus.QUEUED, BulkStatus.RUNNING)


@dataclass(frozen=True)
class BulkAction:
    id: str
    kind: BulkKind
    where: JobFilter
    limit: int  # the most jobs it may match
    by: str  # who asked
    owner: str | None  # the seller whose own jobs these are; None: an operator's, across sellers
    status: BulkStatus
    created_at: int
    updated_at: int
    done: int = 0
    skipped: int = 0
    cursor: str | None = None  # where the next page starts
    error: str | None = None

    @property
    def matched(self) -> int:
        return self.done + self.skipped

    @property
    def marker(self) -> str:
        """What the history of a job this action changed says, so a second look recognises it."""
        return f"bulk action {self.id}"

    def to_api(self) -> dict[str, Any]:
        where = self.where
        return {"id": self.id, "action": self.kind.value, "status": self.status.value, "by": self.by,
                "filter": {key: value for key, value in (
                    ("status", where.status.value if where.status else None), ("seller", where.seller),
                    ("listingId", where.listing_id), ("reason", where.reason), ("since", where.since),
                    ("until", where.until)) if value is not None},
                "limit": self.limit, "matched": self.matched, "done": self.done, "skipped": self.skipped,
                "createdAt": self.created_at, "updatedAt": self.updated_at, "error": self.error}


class BulkActionNotFound(NotFound):
    def __init__(self, action_id: str) -> None:
        super().__init__(f"bulk action {action_id} not found", field="actionId")


class BulkMessage(MessageBody):
    """Run this bulk action (its next page, from where the last run stopped)."""

    action_id: str = Field(alias="bulkActionId", min_length=1, max_length=128)
    # Not part of the body: bulk messages are due at once.
    not_before: int = Field(0, exclude=True)

    @property
    def group(self) -> str:
        return self.action_id


class BulkActions(Protocol):
    def create(self, action: BulkAction) -> None: ...

    def get(self, action_id: str) -> BulkAction | None: ...

    def take(self, action_id: str, owner: str, now_ms: int, until_ms: int) -> BulkAction | None:
        """Hold an active action until ``until_ms``; None when another run holds it or it is over."""
        ...

    def advance(self, action: BulkAction, owner: str, *, skipped: int, cursor: str | None, status: BulkStatus,
                now_ms: int, release: bool, error: str | None = None) -> bool:
        """Store a page's progress (``done`` is counted with each job): add ``skipped``, move the
        cursor, set the status, and let go of the action if ``release``. False when ``owner`` no
        longer holds it (nothing stored)."""
        ...

    def abandon(self, action_id: str, error: str, now_ms: int) -> None:
        """Mark an action that never ran as failed."""
        ...


class BulkQueue(Protocol):
    def send(self, messages: list[BulkMessage]) -> list[BulkMessage]: ...


@dataclass(frozen=True)
class BulkRequest:
    kind: BulkKind
    where: JobFilter
    limit: int


@dataclass
class BulkActionService:
    """What the API does with bulk actions: start one, count what it would match, read one."""

    actions: BulkActions
    jobs: JobRepository
    queue: BulkQueue
    clock: Clock
    history_s: int = 30 * 86400
    rng: random.Random = field(default_factory=random.SystemRandom)

    def start(self, request: BulkRequest, *, by: str, owner: str | None) -> BulkAction:
        now = now_ms(self.clock)
        action = BulkAction(id=f"bulk-{now}-{''.join(self.rng.choices(string.ascii_lowercase + string.digits, k=6))}",
                            kind=request.kind, where=_scoped(request.where, request.kind, owner), limit=request.limit,
                            by=by, owner=owner, status=BulkStatus.QUEUED, created_at=now, updated_at=now)
        self.actions.create(action)
        if self.queue.send([BulkMessage(action_id=action.id)]):
            # Stored but not queued: say so on the action rather than leave it waiting forever.
            self.actions.abandon(action.id, "could not be queued; start it again", now)
            raise RuntimeError(f"bulk action {action.id} could not be queued")
        logger.info("Bulk action queued", extra={"bulk_action_id": action.id, "action": action.kind.value,
                                                 "by": by, "owner": owner, "limit": action.limit})
        return action

    def preview(self, request: BulkRequest, *, owner: str | None, page_size: int = 100) -> tuple[int, bool]:
        """How many jobs the action would match now (at most its limit), and whether more do."""
        where = _scoped(request.where, request.kind, owner)
        matched, cursor = 0, None
        while True:
            page = self.jobs.search(where, min(page_size, request.limit - matched + 1), cursor)
            matched += len(page.jobs)
            cursor = page.cursor
            if matched > request.limit:
                return request.limit, True
            if cursor is None:
                return matched, False

    def get(self, action_id: str, *, owner: str | None) -> BulkAction:
        """``owner``: the seller asking (only their own actions); None: an operator (any)."""
        action = self.actions.get(action_id)
        if action is None or (owner is not None and action.owner != owner):
            raise BulkActionNotFound(action_id)
        return action


def _scoped(where: JobFilter, kind: BulkKind, owner: str | None) -> JobFilter:
    """The filter as the action runs it: only jobs it can change, only the seller's own."""
    return replace(where, status=kind.status, seller=owner if owner is not None else where.seller)


@dataclass
class BulkRun:
    action_id: str
    done: int = 0
    skipped: int = 0
    pages: int = 0
    completed: bool = False
    held_elsewhere: bool = False  # another run holds it, or it is over
    continued: bool = False

    def summary(self) -> str:
        return (f"Bulk run of {self.action_id}: {self.done} done, {self.skipped} skipped over {self.pages} pages"
                f"{', completed' if self.completed else ''}{', continued' if self.continued else ''}")


@dataclass
class BulkWorker:
    actions: BulkActions
    jobs: JobRepository
    promotions: PromotionService
    job_queue: DelayQueue
    continuations: BulkQueue
    clock: Clock
    page_size: int = 100
    lease_s: float = 120.0
    run_s: float = 60.0

    def run(self, action_id: str) -> BulkRun:
        report = BulkRun(action_id)
        owner = uuid.uuid4().hex
        deadline = self.clock.now() + self.run_s
        now = now_ms(self.clock)
        action = self.actions.take(action_id, owner, now, now + int(self.lease_s * 1000))
        if action is None:
            report.held_elsewhere = True
            logger.info("Bulk run skipped: another run holds the action, or it is over",
                        extra={"bulk_action_id": action_id})
            return report
        tally = Tally(action.id, owner)
        while True:
            remaining = action.limit - action.matched
            page = self.jobs.search(action.where, max(1, min(self.page_size, remaining)), action.cursor)
            jobs = page.jobs[:max(0, remaining)]
            done = skipped = 0
            requeued: list[PromotionJob] = []
            announced: list[JobEvent] = []
            try:
                for job in jobs:
                    outcome, changed = self._apply(action, job, tally, announced)
                    done += outcome == "done"
                    skipped += outcome == "skipped"
                    if changed is not None and not changed.status.terminal:
                        requeued.append(changed)
            except TallyRefused:
                logger.warning("Bulk run stopped: it lost its hold on the action", extra={"bulk_action_id": action.id})
                return report
            finally:
                # The events of the page's changes are stored with them; the relay hears of them at once.
                if announced:
                    self.promotions.events.announce(announced)
            last = page.cursor is None or action.matched + done + skipped >= action.limit
            out_of_time = not last and self.clock.now() >= deadline
            status = BulkStatus.COMPLETED if last else BulkStatus.RUNNING
            if not self.actions.advance(action, owner, skipped=skipped, cursor=page.cursor, status=status,
                                        now_ms=now_ms(self.clock), release=last or out_of_time):
                logger.warning("Bulk run stopped: it lost its hold on the action", extra={"bulk_action_id": action.id})
                return report
            # The jobs are stored with their next attempt: a lost send is recovered by the sweeper.
            self.job_queue.send([message_for(job) for job in requeued])
            action = replace(action, done=action.done + done, skipped=action.skipped + skipped, cursor=page.cursor,
                             status=status)
            report.done, report.skipped, report.pages = report.done + done, report.skipped + skipped, report.pages + 1
            if last:
                report.completed = True
                break
            if out_of_time:
                # Released above; the next run starts from the stored cursor. If this send fails, the
                # message that started this run is not acknowledged and comes back to do it.
                if self.continuations.send([BulkMessage(action_id=action.id)]):
                    raise RuntimeError(f"could not queue the next run of bulk action {action.id}")
                report.continued = True
                break
        logger.info(report.summary(), extra={"bulk_action_id": action.id, "done": report.done,
                                             "skipped": report.skipped, "completed": report.completed})
        return report

    def _apply(self, action: BulkAction, listed: PromotionJob, tally: Tally,
               announced: list[JobEvent]) -> tuple[str, PromotionJob | None]:
        """"done", "skipped" or "counted" (changed by this action before: already counted)."""
        job = self.jobs.get(listed.user_id, listed.id)  # with its history, as it is now
        if job is None:
            return "skipped", None
        if any(entry.message == action.marker for entry in job.history or ()):
            return "counted", None
        if job.status is not action.kind.status or not action.where.matches(job):
            return "skipped", None
        now = now_ms(self.clock)
        if action.kind is BulkKind.RETRY:
            new = self.promotions.requeued(job, now, action.by, reason=action.marker)
        else:
            new = self.promotions.cancelled(job, now, action.by, reason=action.marker)
        events = promotion_events.events_for(job, new)  # a cancelled job says so, as any other cancel
        try:
            saved = self.jobs.save(job, new, events, tally=tally)
        except ListingBusy:
            return "skipped", None
        if not saved:
            return "skipped", None  # changed meanwhile: a worker or the seller got there first
        announced.extend(events)
        logger.info(f"Job {job.id} {'retried' if action.kind is BulkKind.RETRY else 'cancelled'} by bulk action",
                    extra={"job_id": job.id, "listing_id": job.listing_id, "user_id": job.user_id,
                           "bulk_action_id": action.id, "by": action.by})
        return "done", new
