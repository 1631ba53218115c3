"""What the promotion API answers, as pydantic models: the routes return them, Powertools checks
each answer against its model, and the OpenAPI document is generated from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sellerjobs.jobs.views import HistoryEntryView, View
from sellerjobs.promotions.job import Priority, Status
from sellerjobs.promotions.service import AttemptUnderWay, Outcome
from sellerjobs.promotions.service import Queued as Queued_


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobView(View):
    OMITTED_WHEN_NULL = frozenset({"history"})

    id: str = Field(description="<listingId>_<epoch ms>")
    userId: str
    listingId: str
    adRate: float | int
    campaignId: str | None
    status: Status
    attempts: int
    maxAttempts: int
    nextRetryAt: int | None = Field(description="epoch ms; null once finished")
    createdAt: int
    updatedAt: int
    lastError: str | None
    adId: str | None
    priority: Priority
    history: list[HistoryEntryView] | None = Field(
        None, description="what happened to the job, oldest first (the last 50 entries); single-job reads only")


class JobEnvelope(_View):
    job: JobView


class StatsView(_View):
    total: int = Field(description="unfinished jobs: ready + pending")
    ready: int = Field(description="unfinished jobs due now")
    pending: int = Field(description="unfinished jobs waiting for their next attempt")
    succeeded: int
    failed: int
    cancelled: int


class StatsEnvelope(_View):
    stats: StatsView


class JobPage(_View):
    jobs: list[JobView]
    count: int
    cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")


class Queued(_View):
    """The original answer, unchanged: what happened to the listing's job is said in ``message``."""

    success: Literal[True]
    jobId: str = Field(description="the new job, or the listing's unfinished one")
    message: str
    firstAttemptAt: int | None = Field(None, description="epoch ms of the job's first attempt (a new job)")


class QueuedBatch(_View):
    success: Literal[True]
    jobIds: list[str] = Field(description="one per distinct listing, in the order they were first named")
    count: int = Field(description="distinct jobs: len(jobIds)")
    message: str
    firstAttemptAt: int | None = Field(None, description="epoch ms when the batch's first attempt is due")
    updated: list[str] = Field(description="ids of waiting jobs that now have the adRate and campaignId sent")
    busy: list[str] = Field(description="listings whose job is being attempted right now; their terms are unchanged")
    duplicates: list[str] = Field(description="listings named more than once; each counts once")


def queued(results: Sequence[Queued_], now_ms: int, *, duplicates: Sequence[str] = ()) -> QueuedBatch:
    """What a batch answers: each distinct listing once, and what happened to it."""
    def ids(outcome: Outcome) -> list[str]:
        return [r.job_id for r in results if r.outcome is outcome]

    created, updated, existing = ids(Outcome.CREATED), ids(Outcome.UPDATED), ids(Outcome.EXISTING)
    busy = [r.listing_id for r in results if r.outcome is Outcome.BUSY]
    first = min((r.first_attempt_at for r in results if r.first_attempt_at is not None), default=None)
    notes = [f"Queued {_count(len(created), 'promotion job')}: {first_attempt_note(first, now_ms)}."
             if first is not None else "No new promotion jobs."]
    if updated:
        notes.append(f"{_count(len(updated), 'listing')} already had a waiting job, now using the adRate and "
                     "campaignId sent.")
    if existing:
        notes.append(f"{_count(len(existing), 'listing')} already had a promotion job in progress.")
    if busy:
        notes.append(f"{_count(len(busy), 'listing')} being promoted right now kept their adRate and campaignId; "
                     "send them again in a minute to change them.")
    if duplicates:
        notes.append(f"{_count(len(duplicates), 'listing')} named more than once counted once.")
    job_ids = [r.job_id for r in results]
    return QueuedBatch(success=True, jobIds=job_ids, count=len(job_ids), message=" ".join(notes), firstAttemptAt=first,
                       updated=updated, busy=busy, duplicates=list(duplicates))


def queued_one(result: Queued_, now_ms: int) -> Queued:
    """What a single listing answers; a job being attempted cannot take new terms (409)."""
    if result.outcome is Outcome.BUSY:
        raise AttemptUnderWay(result.listing_id, result.job_id)
    if result.first_attempt_at is not None:
        message = f"Promotion queued: {first_attempt_note(result.first_attempt_at, now_ms)}."
    elif result.outcome is Outcome.UPDATED:
        message = "This listing already had a waiting promotion job; it now uses the adRate and campaignId sent."
    else:
        message = "This listing already has a promotion job in progress."
    return Queued(success=True, jobId=result.job_id, message=message, firstAttemptAt=result.first_attempt_at)


def _count(count: int, thing: str) -> str:
    return f"{count} {thing}" if count == 1 else f"{count} {thing}s"


class JobAction(_View):
    success: Literal[True]
    job: JobView


class Done(_View):
    success: Literal[True]
    message: str


class ConnectionView(_View):
    status: Literal["connected", "not_connected", "revoked"]
    connected: bool
    since: int | None = Field(description="epoch ms: when the token was stored, or found revoked")
    message: str = Field(description="what it means, and what to do")


class ConnectionEnvelope(_View):
    ok: Literal[True]
    connection: ConnectionView


def first_attempt_note(first_attempt_at: int, now_ms: int) -> str:
    """When a new job is first tried, in words: what a front end can show its seller."""
    at = datetime.fromtimestamp(first_attempt_at / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"first attempt at {at} (in {max(0, round((first_attempt_at - now_ms) / 1000))} s); "
            "jobs retry while eBay syncs new listings (usually 1-10 minutes)")
