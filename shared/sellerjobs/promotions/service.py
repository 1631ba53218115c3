"""What the promotion API does: queue, look up, count, list, cancel and re-queue jobs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from sellerjobs.accounts import Connection, NotConnected
from sellerjobs.clock import Clock, now_ms
from sellerjobs.errors import Conflict, NotFound
from sellerjobs.events.ports import EventAnnouncer, NoAnnouncer
from sellerjobs.jobs.history import HistoryEntry
from sellerjobs.jobs.retry import RetryPolicy, first_due_offset
from sellerjobs.promotions import events as promotion_events
from sellerjobs.promotions.job import Priority, PromotionJob, Status, new_job_id
from sellerjobs.promotions.ports import MAX_ADS_PER_CALL, DelayQueue, JobFilter, JobMessage, JobRepository, Page

# An attempt due this soon may already have begun (SQS delivers up to a second early) or may
# begin before a change to the job is written.
UNDER_WAY_MARGIN_MS = 5_000


class JobNotFound(NotFound):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"promotion job {job_id} not found", field="jobId")
        self.job_id = job_id


class AttemptUnderWay(Conflict):
    """The listing's job cannot take new terms now: eBay may be creating its ad this moment."""

    def __init__(self, listing_id: str, job_id: str) -> None:
        super().__init__(f"listing {listing_id} is being promoted right now (job {job_id}) and keeps its adRate "
                         "and campaignId; send the change again in a minute", field="listingId")


@dataclass(frozen=True)
class NewPromotion:
    listing_id: str
    ad_rate: Decimal
    campaign_id: str | None = None
    priority: Priority = Priority.NORMAL


class Outcome(StrEnum):
    CREATED = "created"  # a new job
    EXISTING = "existing"  # the listing already had an unfinished job with these terms
    UPDATED = "updated"  # the listing's waiting job now has the adRate and campaignId asked for
    BUSY = "busy"  # the listing's job is being attempted: its terms stay as they were


@dataclass(frozen=True)
class Queued:
    job_id: str
    outcome: Outcome = Outcome.CREATED
    listing_id: str = ""
    # Epoch ms of the job's first attempt (a job created now); None for an existing job.
    first_attempt_at: int | None = field(default=None, compare=False)

    @property
    def created(self) -> bool:
        return self.outcome is Outcome.CREATED


@dataclass(frozen=True)
class Stats:
    ready: int
    pending: int
    succeeded: int
    failed: int
    cancelled: int

    @property
    def total(self) -> int:
        # As in the original system: total counts unfinished jobs only.
        return self.ready + self.pending

    def to_api(self) -> dict[str, int]:
        return {"total": self.total, "ready": self.ready, "pending": self.pending,
                "succeeded": self.succeeded, "failed": self.failed, "cancelled": self.cancelled}


class Connections(Protocol):
    def connection(self, user_id: str) -> Connection: ...


@dataclass
class PromotionService:
    jobs: JobRepository
    queue: DelayQueue
    policy: RetryPolicy
    clock: Clock
    stagger_s: float = 5.0
    history_s: int = 30 * 86400
    # Where queueing checks that the seller has a usable eBay account (None: not checked).
    connections: Connections | None = None
    # The worker takes a seller's jobs due within this long along with a due one.
    coalesce_s: float = 60.0
    events: EventAnnouncer = field(default_factory=NoAnnouncer)

    @property
    def first_delay_s(self) -> float:
        """A new job's first attempt comes this long after queueing: the policy's, so the two agree."""
        return self.policy.first_delay_s

    def enqueue(self, user_id: str, requests: Sequence[NewPromotion]) -> list[Queued]:
        """One answer per listing, in the order the listings were first named.

        A listing that already has an unfinished job keeps it: with the same terms nothing
        changes; with another adRate or campaignId a waiting job takes the new terms (and a
        fresh queue message, the old one is stale by its version), unless an attempt may be
        under way right now (see :meth:`_attempt_may_be_under_way`).

        Raises ``NotConnected`` (nothing queued) when the seller has no usable eBay account:
        a job queued then would only fail at its first attempt.
        """
        if self.connections is not None:
            connection = self.connections.connection(user_id)
            if not connection.usable:
                raise NotConnected(connection)
        now = now_ms(self.clock)
        distinct: dict[str, NewPromotion] = {}
        for request in requests:
            distinct.setdefault(request.listing_id, request)  # the first naming of a listing counts
        fresh: dict[str, PromotionJob] = {}
        for request in distinct.values():
            # Consecutive milliseconds keep ids unique and ordered within a batch.
            created_at = now + len(fresh)
            # One bulk eBay call carries up to 500 listings, so a batch is spread per call, not per
            # listing: the first 500 are due together, the next 500 one stagger later.
            call = len(fresh) // MAX_ADS_PER_CALL
            due = now + int(first_due_offset(call, self.first_delay_s, self.stagger_s) * 1000)
            # A job's retry windows open when its slot does.
            run_start = due - int(self.first_delay_s * 1000)
            fresh[request.listing_id] = PromotionJob(
                id=new_job_id(request.listing_id, created_at), user_id=user_id,
                listing_id=request.listing_id, ad_rate=request.ad_rate, campaign_id=request.campaign_id,
                status=Status.PENDING, attempts=0, max_attempts=self.policy.max_attempts,
                next_retry_at=due, created_at=created_at, updated_at=created_at,
                policy=self.policy.name, run_started_at=run_start, listed_at=created_at,
                priority=request.priority, history=(HistoryEntry.of(created_at, "queued", next_at=due),),
            )
        existing = self.jobs.create_many(list(fresh.values()))
        answers: list[Queued] = []
        changed: list[PromotionJob] = []
        for request in distinct.values():
            if request.listing_id not in existing:
                new = fresh[request.listing_id]
                answers.append(Queued(new.id, Outcome.CREATED, request.listing_id, first_attempt_at=new.next_retry_at))
                continue
            outcome, updated = self._requeue(user_id, existing[request.listing_id], request, now)
            answers.append(Queued(existing[request.listing_id], outcome, request.listing_id))
            if updated is not None:
                changed.append(updated)
        created = [job for job in fresh.values() if job.listing_id not in existing]
        # The jobs are durable now. If a send fails the sweeper re-enqueues them once overdue,
        # so the caller still gets its ids rather than an error for work that will happen.
        self.queue.send([message_for(job) for job in created + changed])
        return answers

    def _requeue(self, user_id: str, job_id: str, request: NewPromotion, now: int
                 ) -> tuple[Outcome, PromotionJob | None]:
        """The listing's unfinished job, given the request's terms if they differ and it can take them."""
        job = self.jobs.get(user_id, job_id)
        if job is None or job.status.terminal or (job.ad_rate, job.campaign_id) == (request.ad_rate,
                                                                                     request.campaign_id):
            return Outcome.EXISTING, None
        if self._attempt_may_be_under_way(job, now):
            return Outcome.BUSY, None
        changed = job.change_terms(request.ad_rate, request.campaign_id, now)
        # A failed guard means a worker wrote the job since we read it: an attempt just ran.
        return (Outcome.UPDATED, changed) if self.jobs.save(job, changed) else (Outcome.BUSY, None)

    def _attempt_may_be_under_way(self, job: PromotionJob, now: int) -> bool:
        """Whether the worker may hold this job at this moment.

        An attempt starts when the job's message is due, or when another of the seller's jobs is
        due and the worker takes this one along (it takes jobs due within ``coalesce_s``). The
        job's terms go to eBay with that attempt: changing them meanwhile could leave an ad
        created at the old rate while the job shows the new one.
        """
        due = job.next_retry_at
        if due is None or due <= now + UNDER_WAY_MARGIN_MS:
            return True
        if due > now + int(self.coalesce_s * 1000) + UNDER_WAY_MARGIN_MS:
            return False
        return bool(self.jobs.due_for_user(job.user_id, now + UNDER_WAY_MARGIN_MS, limit=1))

    def now_ms(self) -> int:
        return now_ms(self.clock)

    def get(self, user_id: str, job_id: str) -> PromotionJob:
        job = self.jobs.get(user_id, job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    def stats(self, user_id: str) -> Stats:
        unfinished = self.jobs.count_unfinished(user_id, now_ms(self.clock))
        finished = self.jobs.finished_counts(user_id)
        return Stats(ready=unfinished.ready, pending=unfinished.pending,
                     succeeded=finished.get(Status.SUCCEEDED, 0), failed=finished.get(Status.FAILED, 0),
                     cancelled=finished.get(Status.CANCELLED, 0))

    def list(self, user_id: str, status: Status | None, limit: int, cursor: str | None) -> Page:
        return self.jobs.list_jobs(user_id, status, limit, cursor)

    def cancel(self, user_id: str, job_id: str, *, by: str | None = None) -> PromotionJob:
        """``by``: who cancelled it, when not the job's seller (an operator)."""
        return self._transition(user_id, job_id, lambda job, now: self.cancelled(job, now, by or user_id))

    def retry(self, user_id: str, job_id: str, *, by: str | None = None) -> PromotionJob:
        """``by``: who queued it again, when not the job's seller (an operator)."""
        requeued = self._transition(user_id, job_id, lambda job, now: self.requeued(job, now, by or user_id))
        self.queue.send([message_for(requeued)])
        return requeued

    def cancelled(self, job: PromotionJob, now: int, by: str, *, reason: str | None = None) -> PromotionJob:
        return job.cancel(now, self.history_s, by=by, reason=reason)

    def requeued(self, job: PromotionJob, now: int, by: str, *, reason: str | None = None) -> PromotionJob:
        # Tried at once: a failed job's listing was handed to us at least one attempt ago, most
        # often a whole retry window ago, so the first delay's wait for eBay's sync is spent.
        return job.requeue(now, now, self.policy.max_attempts, self.policy.name, by=by, reason=reason)

    def search(self, where: JobFilter, limit: int, cursor: str | None) -> Page:
        """Jobs of every seller (an operator's view), without their histories."""
        return self.jobs.search(where, limit, cursor)

    def global_counts(self) -> dict[Status, int]:
        return self.jobs.global_counts()

    def _transition(self, user_id: str, job_id: str,
                    step: Callable[[PromotionJob, int], PromotionJob]) -> PromotionJob:
        # A worker may write the job between our read and our write (a retry bumps its
        # version). Re-read and re-apply a few times; a real conflict surfaces as
        # InvalidTransition naming the job's current state.
        for _ in range(_TRANSITION_TRIES):
            job = self.get(user_id, job_id)
            new = step(job, now_ms(self.clock))
            events = promotion_events.events_for(job, new)
            if self.jobs.save(job, new, events):
                self.events.announce(events)
                return new
        raise ConcurrentUpdate(job_id)


class ConcurrentUpdate(Conflict):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"promotion job {job_id} is changing too fast; try again", field="jobId")
        self.job_id = job_id


_TRANSITION_TRIES = 3


def message_for(job: PromotionJob) -> JobMessage:
    """The queue message that runs the job's next attempt."""
    assert job.next_retry_at is not None, "only unfinished jobs are queued"
    return JobMessage(user_id=job.user_id, job_id=job.id, version=job.version, not_before=job.next_retry_at)
