"""What the category-fetch API answers, as pydantic models: the routes return them and the
OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sellerjobs.categories.job import FetchMode, FetchStatus
from sellerjobs.jobs.views import View


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryError(_View):
    categoryId: str
    categoryName: str
    error: str


class RunView(_View):
    """One run of the job's worker, or several alike in a row (``runs``)."""

    startedAt: int
    endedAt: int
    runs: int
    outcome: Literal["completed", "continued", "waiting", "deferred", "failed", "stopped"]
    fetched: int
    failed: int
    retried: int
    ebayCalls: int
    reason: str | None
    resumeAt: int | None


class FetchStatusView(View):
    OMITTED_WHEN_NULL = frozenset({"runs"})

    jobId: str
    marketplaceId: str
    mode: FetchMode
    totalCategories: int
    processed: int
    success: int
    failed: int
    status: FetchStatus
    createdAt: int
    updatedAt: int
    parentCategory: str
    error: str | None
    errors: list[CategoryError]
    resumeAt: int | None = Field(None, description="epoch ms: an active job waiting (a category's retry, the "
                                                   "Taxonomy budget) goes on then")
    runs: list[RunView] | None = Field(None, description="the run log, oldest first (single-job reads)")


class FetchStarted(_View):
    ok: Literal[True]
    jobId: str
    totalCategories: int
    message: str
    parentCategory: str


class FetchStatusEnvelope(_View):
    ok: Literal[True]
    status: FetchStatusView


class FetchRequeued(_View):
    ok: Literal[True]
    status: FetchStatusView
    requeued: int


class FetchList(_View):
    ok: Literal[True]
    jobs: list[FetchStatusView]
    count: int


class StoredAspects(_View):
    ok: Literal[True]
    marketplaceId: str
    categoryTreeId: str
    categoryTreeVersion: str
    categoryId: str
    categoryName: str
    aspects: list[dict[str, Any]]
    fetchedAt: int
