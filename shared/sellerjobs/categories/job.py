"""A category fetch job, and the unit of its work: one leaf category."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sellerjobs.jobs.history import MAX_MESSAGE_CHARS


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

    def to_api(self, errors: list[FailedCategory] | None = None,
               runs: Iterable[RunEntry] | None = None) -> dict[str, Any]:
        """The seed's status shape, plus the marketplace, mode, fatal error, when it goes on (a job
        waiting for a category's retry or the Taxonomy budget) and, when read, its run log."""
        view = {
            "jobId": self.id, "marketplaceId": self.marketplace_id, "mode": self.mode.value,
            "totalCategories": self.total, "processed": self.processed, "success": self.success,
            "failed": self.failed, "status": self.status.value, "createdAt": self.created_at,
            "updatedAt": self.updated_at, "parentCategory": self.parent_label, "error": self.error,
            "errors": [{"categoryId": f.category.category_id, "categoryName": f.category.name, "error": f.error}
                       for f in errors or []],
            "resumeAt": self.resume_at if self.status.active and self.resume_at else None,
        }
        if runs is not None:
            view["runs"] = [run.to_api() for run in runs]
        return view


class RunOutcome(StrEnum):
    COMPLETED = "completed"  # the job's last category was done
    CONTINUED = "continued"  # the run's time was up with work left: the next run started at once
    WAITING = "waiting"  # nothing due: categories wait for their retry
    DEFERRED = "deferred"  # the Taxonomy budget or eBay's 429 said wait
    FAILED = "failed"  # the job failed (e.g. eBay refused our credentials)
    STOPPED = "stopped"  # the job stopped under the run (cancelled)


@dataclass(frozen=True)
class RunEntry:
    """One run of a job's worker, or several alike in a row (``count``), folded into one."""

    at: int  # epoch ms the (first) run started
    ended_at: int  # epoch ms the (last) run ended
    outcome: RunOutcome
    fetched: int = 0
    failed: int = 0
    retried: int = 0
    ebay_calls: int = 0
    reason: str | None = None  # why it waits, was deferred or failed; what a tree read found
    resume_at: int | None = None  # epoch ms: when the job has something to do again
    count: int = 1

    def same_as(self, other: RunEntry) -> bool:
        return (self.outcome, self.reason) == (other.outcome, other.reason)

    def folded(self, later: RunEntry) -> RunEntry:
        return replace(self, ended_at=later.ended_at, fetched=self.fetched + later.fetched,
                       failed=self.failed + later.failed, retried=self.retried + later.retried,
                       ebay_calls=self.ebay_calls + later.ebay_calls, resume_at=later.resume_at,
                       count=self.count + later.count)

    def to_store(self) -> dict[str, Any]:
        optional = (("f", self.fetched), ("x", self.failed), ("r", self.retried), ("c", self.ebay_calls),
                    ("m", _short(self.reason)), ("n", self.resume_at), ("k", self.count if self.count != 1 else None))
        return {"t": self.at, "e": self.ended_at, "o": self.outcome.value} | {k: v for k, v in optional if v}

    @classmethod
    def from_store(cls, raw: dict[str, Any]) -> RunEntry:
        return cls(at=int(raw["t"]), ended_at=int(raw["e"]), outcome=RunOutcome(raw["o"]), fetched=raw.get("f", 0),
                   failed=raw.get("x", 0), retried=raw.get("r", 0), ebay_calls=raw.get("c", 0), reason=raw.get("m"),
                   resume_at=raw.get("n"), count=raw.get("k", 1))

    def to_api(self) -> dict[str, Any]:
        return {"startedAt": self.at, "endedAt": self.ended_at, "runs": self.count, "outcome": self.outcome.value,
                "fetched": self.fetched, "failed": self.failed, "retried": self.retried,
                "ebayCalls": self.ebay_calls, "reason": self.reason, "resumeAt": self.resume_at}


def _short(text: str | None) -> str | None:
    return text if text is None or len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS - 1] + "…"


def dump_runs(entries: Iterable[RunEntry]) -> str:
    return json.dumps([entry.to_store() for entry in entries], separators=(",", ":"), ensure_ascii=False)


def load_runs(text: str | None) -> tuple[RunEntry, ...]:
    return tuple(RunEntry.from_store(raw) for raw in json.loads(text)) if text else ()


def new_job_id(now_ms: int, rng: random.Random | None = None) -> str:
    """``job-<epoch ms>-<6 random characters>``, the original system's format."""
    rng = rng or random.SystemRandom()
    return f"job-{now_ms}-{''.join(rng.choices(string.ascii_lowercase + string.digits, k=6))}"
