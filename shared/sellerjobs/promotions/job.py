"""The promotion job and its life cycle.

    pending --(ad created / already exists)--> succeeded
    pending --(retryable error)--> pending (attempts + 1, later nextRetryAt)
    pending --(terminal error / out of attempts)--> failed --(retry)--> pending
    pending --(cancel)--> cancelled

Every transition returns a new job with ``version`` + 1 and an entry added to its history.
Repositories write a transition only if the stored version is still the one it was computed
from, so a duplicate SQS delivery or a racing worker can never apply the same step twice, nor
record it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sellerjobs.errors import Conflict
from sellerjobs.jobs.history import HistoryEntry, Note, appended


class Status(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self is not Status.PENDING


TERMINAL = tuple(s for s in Status if s.terminal)


class Priority(StrEnum):
    """``high`` jobs may use the part of eBay's call budget that ``normal`` ones leave alone."""

    NORMAL = "normal"
    HIGH = "high"


class HistoryNotRead(RuntimeError):
    """A job read from a listing (an index without the history) cannot change: writing it would
    drop its history. Read it by its key first."""


class InvalidTransition(Conflict):
    def __init__(self, job: PromotionJob, action: str) -> None:
        super().__init__(f"cannot {action} job {job.id}: it is {job.status}", field="jobId")
        self.job = job
        self.action = action


@dataclass(frozen=True)
class PromotionJob:
    id: str
    user_id: str
    listing_id: str
    ad_rate: Decimal
    campaign_id: str | None
    status: Status
    attempts: int
    max_attempts: int
    next_retry_at: int | None  # epoch ms; None once finished
    created_at: int
    updated_at: int
    policy: str
    run_started_at: int  # epoch ms; when the current run of attempts began (reset by a retry)
    listed_at: int  # epoch ms; when the listing was handed to us: the start of eBay's sync delay
    version: int = 0
    last_error: str | None = None
    ad_id: str | None = None
    expires_at: int | None = None  # epoch seconds (DynamoDB TTL); set when finished
    priority: Priority = Priority.NORMAL
    # What happened to the job (see sellerjobs.jobs.history). None: read from a listing without it.
    history: tuple[HistoryEntry, ...] | None = ()

    @property
    def bid_percentage(self) -> str:
        """eBay wants a string with exactly one decimal: 5 -> "5.0"."""
        return f"{self.ad_rate:.1f}"

    def age_s(self, now_ms: int) -> float:
        """Seconds into the current run of attempts; what the retry policy's total window measures."""
        return (now_ms - self.run_started_at) / 1000

    def sync_age_s(self, now_ms: int) -> float:
        """Seconds since the listing was queued: how long eBay has had to sync it.

        Not the run's age: the 400th listing of a batch waits for its stagger slot, but its
        listing was published with the others and syncs with them.
        """
        return (now_ms - self.listed_at) / 1000

    def _next(self, now_ms: int, entry: HistoryEntry, **changes: object) -> PromotionJob:
        if self.history is None:
            raise HistoryNotRead(f"job {self.id} was read without its history")
        return replace(self, version=self.version + 1, updated_at=now_ms,
                       history=appended(self.history, entry), **changes)  # type: ignore[arg-type]

    def _finish(self, status: Status, now_ms: int, history_s: int, entry: HistoryEntry,
                **changes: object) -> PromotionJob:
        return self._next(now_ms, entry, status=status, next_retry_at=None,
                          expires_at=now_ms // 1000 + history_s, **changes)

    def _require_pending(self, action: str) -> None:
        if self.status is not Status.PENDING:
            raise InvalidTransition(self, action)

    def succeed(self, ad_id: str | None, now_ms: int, history_s: int, *, campaign_id: str | None = None,
                note: Note | None = None) -> PromotionJob:
        self._require_pending("complete")
        entry = HistoryEntry.of(now_ms, Status.SUCCEEDED.value, note, attempt=self.attempts + 1, ad_id=ad_id,
                                campaign_id=campaign_id)
        return self._finish(Status.SUCCEEDED, now_ms, history_s, entry, attempts=self.attempts + 1,
                            ad_id=ad_id, last_error=None)

    def retry_later(self, error: str, next_retry_at: int, now_ms: int, *, note: Note | None = None) -> PromotionJob:
        self._require_pending("retry")
        entry = HistoryEntry.of(now_ms, "retrying", _with_message(note, error), attempt=self.attempts + 1,
                                next_at=next_retry_at)
        return self._next(now_ms, entry, attempts=self.attempts + 1, last_error=error, next_retry_at=next_retry_at)

    def fail(self, error: str, now_ms: int, history_s: int, *, counts_attempt: bool = True,
             note: Note | None = None) -> PromotionJob:
        self._require_pending("fail")
        attempts = self.attempts + (1 if counts_attempt else 0)
        entry = HistoryEntry.of(now_ms, Status.FAILED.value, _with_message(note, error),
                                attempt=attempts if counts_attempt else None)
        return self._finish(Status.FAILED, now_ms, history_s, entry, last_error=error, attempts=attempts)

    def defer(self, next_retry_at: int, now_ms: int, reason: str | None = None, *,
              note: Note | None = None) -> PromotionJob:
        """Move the next attempt without counting one (our own rate budget, a lost message)."""
        self._require_pending("defer")
        entry = HistoryEntry.of(now_ms, "deferred", _with_message(note, reason), next_at=next_retry_at)
        return self._next(now_ms, entry, next_retry_at=next_retry_at,
                          last_error=reason if reason is not None else self.last_error)

    def hold(self, next_retry_at: int, now_ms: int, reason: str, *, by: str | None = None) -> PromotionJob:
        """Move the next attempt while the queue is paused, spending neither an attempt nor time of
        the job's windows: its retry window and its listing's sync window start that much later,
        so a job held through an eBay outage is tried as if the outage had not happened."""
        self._require_pending("hold")
        held_ms = max(0, next_retry_at - max(now_ms, self.next_retry_at or now_ms))
        entry = HistoryEntry.of(now_ms, "deferred", Note(message=reason, by=by), next_at=next_retry_at)
        return self._next(now_ms, entry, next_retry_at=next_retry_at, run_started_at=self.run_started_at + held_ms,
                          listed_at=self.listed_at + held_ms)

    def change_terms(self, ad_rate: Decimal, campaign_id: str | None, now_ms: int) -> PromotionJob:
        """A waiting job takes a new bid and campaign for its next attempts."""
        self._require_pending("change")
        entry = HistoryEntry.of(now_ms, "changed", Note(message=f"adRate {_number(ad_rate)}"),
                                campaign_id=campaign_id, next_at=self.next_retry_at)
        return self._next(now_ms, entry, ad_rate=ad_rate, campaign_id=campaign_id)

    def recover(self, now_ms: int) -> PromotionJob:
        """Due again now: its queue message was lost (the sweeper found it overdue)."""
        self._require_pending("recover")
        entry = HistoryEntry.of(now_ms, "recovered", Note(message="overdue: its queue message was lost"),
                                next_at=now_ms)
        return self._next(now_ms, entry, next_retry_at=now_ms)

    def cancel(self, now_ms: int, history_s: int, *, by: str | None = None, reason: str | None = None) -> PromotionJob:
        self._require_pending("cancel")
        entry = HistoryEntry.of(now_ms, Status.CANCELLED.value, Note(by=by, message=reason))
        return self._finish(Status.CANCELLED, now_ms, history_s, entry)

    def requeue(self, now_ms: int, next_retry_at: int, max_attempts: int, policy: str, *,
                by: str | None = None, reason: str | None = None) -> PromotionJob:
        """A failed job starts over: fresh attempts, fresh sync window."""
        if self.status is not Status.FAILED:
            raise InvalidTransition(self, "retry")
        entry = HistoryEntry.of(now_ms, "retried", Note(by=by, message=reason), next_at=next_retry_at)
        return self._next(now_ms, entry, status=Status.PENDING, attempts=0, max_attempts=max_attempts,
                          next_retry_at=next_retry_at, run_started_at=now_ms, listed_at=now_ms, policy=policy,
                          expires_at=None, last_error=None, ad_id=None)

    def to_api(self, *, history: bool = False) -> dict[str, Any]:
        """The job as the status endpoints show it (the original system's field names), with its
        history when asked for and read."""
        view: dict[str, Any] = {
            "id": self.id,
            "userId": self.user_id,
            "listingId": self.listing_id,
            "adRate": _number(self.ad_rate),
            "campaignId": self.campaign_id,
            "status": self.status.value,
            "attempts": self.attempts,
            "maxAttempts": self.max_attempts,
            "nextRetryAt": self.next_retry_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "lastError": self.last_error,
            "adId": self.ad_id,
            "priority": self.priority.value,
        }
        if history and self.history is not None:
            view["history"] = [entry.to_api() for entry in self.history]
        return view


def _with_message(note: Note | None, message: str | None) -> Note:
    """The note, carrying our reason as its message when the call gave none."""
    note = note or Note()
    return note if note.message else replace(note, message=message)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def new_job_id(listing_id: str, now_ms: int) -> str:
    """``<listingId>_<epoch ms>``, the id format existing front ends already parse."""
    return f"{listing_id}_{now_ms}"
