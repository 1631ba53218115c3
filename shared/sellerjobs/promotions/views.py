"""What the promotion API answers, as pydantic models: the OpenAPI document is generated from
these, and the tests check the handlers' answers against them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HistoryEntryView(_View):
    """One thing that happened to a job, or the same thing ``count`` times in a row."""

    at: int = Field(description="epoch ms; the first time, when count > 1")
    lastAt: int | None = Field(None, description="epoch ms of the last time, when count > 1")
    count: int = Field(description="how many times in a row")
    outcome: str = Field(description="queued, succeeded, retrying, failed, deferred, recovered, cancelled or "
                                     "retried (market jobs: succeeded, failed, deferred, retrying, reset)")
    attempt: int | None = Field(None, description="the attempt number (the last one, when count > 1)")
    operation: str | None = Field(None, description="the marketplace call, e.g. bulk_create_ads_by_listing_id")
    httpStatus: int | None = None
    errorId: int | None = Field(None, description="the marketplace's error id, e.g. eBay's 35048")
    message: str | None = None
    nextAttemptAt: int | None = Field(None, description="epoch ms: when the job is tried next")
    adId: str | None = None
    campaignId: str | None = None
    provider: str | None = None
    by: str | None = Field(None, description="who asked for it (a user id), when a person did")


class JobView(_View):
    id: str = Field(description="<listingId>_<epoch ms>")
    userId: str
    listingId: str
    adRate: float | int
    campaignId: str | None
    status: Literal["pending", "succeeded", "failed", "cancelled"]
    attempts: int
    maxAttempts: int
    nextRetryAt: int | None = Field(description="epoch ms; null once finished")
    createdAt: int
    updatedAt: int
    lastError: str | None
    adId: str | None
    priority: Literal["normal", "high"]
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
    success: Literal[True]
    jobId: str
    message: str
    firstAttemptAt: int | None = Field(None, description="epoch ms of the job's first attempt (a new job)")


class QueuedBatch(_View):
    success: Literal[True]
    jobIds: list[str]
    count: int
    message: str
    firstAttemptAt: int | None = Field(None, description="epoch ms when the batch's first attempt is due")


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


class FieldError(_View):
    field: str
    message: str


class ErrorView(_View):
    success: Literal[False]
    ok: Literal[False]
    error: str
    errors: list[FieldError] | None = None


class GatewayError(_View):
    """What API Gateway itself answers (no valid token, no such route)."""

    message: str


def first_attempt_note(first_attempt_at: int, now_ms: int) -> str:
    """When a new job is first tried, in words: what a front end can show its seller."""
    at = datetime.fromtimestamp(first_attempt_at / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"first attempt at {at} (in {max(0, round((first_attempt_at - now_ms) / 1000))} s); "
            "jobs retry while eBay syncs new listings (usually 1-10 minutes)")
