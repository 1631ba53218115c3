"""A category fetch job, and the unit of its work: one leaf category."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class FetchStatus(StrEnum):
    QUEUED = "queued"  # created; the worker has not started (or is still reading the tree)
    PROCESSING = "processing"
    COMPLETED = "completed"  # every category was processed (some may have failed)
    FAILED = "failed"  # a fatal error stopped the job (e.g. eBay refused our credentials)
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        return self in (FetchStatus.QUEUED, FetchStatus.PROCESSING)


class FetchMode(StrEnum):
    AUTO = "auto"  # decided once the categories are known
    PER_CATEGORY = "per_category"  # one get_item_aspects_for_category call per category
    BULK = "bulk"  # one fetch_item_aspects download for the whole tree


@dataclass(frozen=True)
class Category:
    category_id: str
    name: str


@dataclass(frozen=True)
class WorkItem:
    """A category still to fetch: due at ``due_at`` (epoch ms), after ``attempts`` failed tries."""

    category: Category
    due_at: int = 0
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class FailedCategory:
    category: Category
    error: str


@dataclass(frozen=True)
class AspectRecord:
    """What the autofill reads: a leaf category's item aspects, as eBay gave them."""

    marketplace_id: str
    tree_id: str
    tree_version: str
    category_id: str
    category_name: str
    aspects: list[dict[str, Any]]
    fetched_at: int
    job_id: str

    def to_api(self) -> dict[str, Any]:
        return {"marketplaceId": self.marketplace_id, "categoryTreeId": self.tree_id,
                "categoryTreeVersion": self.tree_version, "categoryId": self.category_id,
                "categoryName": self.category_name, "aspects": self.aspects, "fetchedAt": self.fetched_at}


@dataclass(frozen=True)
class FetchJob:
    id: str
    user_id: str
    marketplace_id: str
    status: FetchStatus
    mode: FetchMode
    created_at: int
    updated_at: int
    parent_category_id: str | None = None
    parent_label: str = ""
    max_categories: int | None = None
    tree_id: str | None = None
    tree_version: str = ""
    analysed: bool = False  # the leaf categories have been listed as work items
    total: int = 0
    processed: int = 0
    success: int = 0
    failed: int = 0
    error: str | None = None
    lease_owner: str | None = None
    lease_until: int = 0
    resume_at: int = 0  # epoch ms: nothing to do before then (a retry's backoff, a spent budget)
    finishes: int = 0  # how often the job has finished (retrying failures reopens it): its events' version
    progress_at: int = 0  # epoch ms: when its last progress event was stored
    extra: dict[str, Any] = field(default_factory=dict)

    def touched(self, now_ms: int, **changes: Any) -> FetchJob:
        return replace(self, updated_at=now_ms, **changes)

    def to_api(self, errors: list[FailedCategory] | None = None) -> dict[str, Any]:
        """The seed's status shape, plus the marketplace, mode and fatal error."""
        return {
            "jobId": self.id, "marketplaceId": self.marketplace_id, "mode": self.mode.value,
            "totalCategories": self.total, "processed": self.processed, "success": self.success,
            "failed": self.failed, "status": self.status.value, "createdAt": self.created_at,
            "updatedAt": self.updated_at, "parentCategory": self.parent_label, "error": self.error,
            "errors": [{"categoryId": f.category.category_id, "categoryName": f.category.name, "error": f.error}
                       for f in errors or []],
        }


def new_job_id(now_ms: int, rng: random.Random | None = None) -> str:
    """``job-<epoch ms>-<6 random characters>``, the original system's format."""
    rng = rng or random.SystemRandom()
    return f"job-{now_ms}-{''.join(rng.choices(string.ascii_lowercase + string.digits, k=6))}"
