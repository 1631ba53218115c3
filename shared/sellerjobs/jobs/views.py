"""What every job family's views share: fields left out when they do not apply, and a history entry."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


class View(BaseModel):
    """An answer's model. Fields named in ``OMITTED_WHEN_NULL`` are left out of the answer when
    they have no value, rather than sent as null: a job listing does not carry a ``history`` key
    it never fills, a history entry only the details its outcome has."""

    model_config = ConfigDict(extra="forbid")
    OMITTED_WHEN_NULL: ClassVar[frozenset[str]] = frozenset()

    # Without a return annotation on purpose: pydantic then documents the model's own fields.
    @model_serializer(mode="wrap")
    def _leave_out_nulls(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        dumped: dict[str, Any] = handler(self)
        if not self.OMITTED_WHEN_NULL:
            return dumped
        return {key: value for key, value in dumped.items() if value is not None or key not in self.OMITTED_WHEN_NULL}


class HistoryEntryView(View):
    """One thing that happened to a job, or the same thing ``count`` times in a row."""

    OMITTED_WHEN_NULL = frozenset({"lastAt", "attempt", "operation", "httpStatus", "errorId", "message",
                                   "nextAttemptAt", "adId", "campaignId", "provider", "by"})

    at: int = Field(description="epoch ms; the first time, when count > 1")
    lastAt: int | None = Field(None, description="epoch ms of the last time, when count > 1")
    count: int = Field(description="how many times in a row")
    outcome: str = Field(description="queued, changed (new adRate or campaign), succeeded, retrying, failed, "
                                     "deferred, recovered, cancelled or retried (market jobs: succeeded, failed, "
                                     "deferred, retrying, reset)")
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
