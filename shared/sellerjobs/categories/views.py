"""What the category-fetch API answers, as pydantic models: the routes return them and the
OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from sellerjobs.categories.job import FetchMode, FetchStatus


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryError(_View):
    categoryId: str
    categoryName: str
    error: str


class FetchStatusView(_View):
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
