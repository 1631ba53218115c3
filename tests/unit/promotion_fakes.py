"""In-memory fakes of the promotion ports (``sellerjobs.promotions.ports``, ``promotions.bulk``).

They keep the contracts the DynamoDB adapters keep (``sellerjobs.aws.promotion_jobs``,
``aws.bulk_actions``, ``aws.ebay_accounts``); tests/integration/test_promotion_ports_contract.py
runs the same tests against both. Unit tests of the promotion service, worker and bulk actions
share them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sellerjobs.events.model import JobEvent
from sellerjobs.promotions.bulk import BulkAction, BulkStatus
from sellerjobs.promotions.job import TERMINAL, PromotionJob, Status
from sellerjobs.promotions.ports import (
    InvalidCursor,
    JobFilter,
    JobKey,
    JobMessage,
    ListingBusy,
    Page,
    Tally,
    TallyRefused,
    UnfinishedCounts,
    require_one_seller,
)


@dataclass
class InMemoryJobRepository:
    """Honours the port's rules: version-guarded saves, one unfinished job per (user, listing),
    finished counters kept in step with status changes."""

    jobs: dict[JobKey, PromotionJob] = field(default_factory=dict)
    locks: dict[tuple[str, str], str] = field(default_factory=dict)  # (user, listing) -> job id
    finished: dict[str, Counter[Status]] = field(default_factory=dict)
    # Test hooks: run before each save (to simulate a racing writer); make saves blow up.
    before_save: Callable[[PromotionJob, PromotionJob], None] | None = None
    broken: bool = False
    saves: int = 0
    # Bulk actions' counters changed with the jobs (see Tally): action id -> field -> count; and
    # which run holds each action (a tally from any other run is refused, as the adapter does).
    tallies: dict[str, Counter[str]] = field(default_factory=dict)
    holders: dict[str, str] = field(default_factory=dict)
    outbox: dict[str, JobEvent] = field(default_factory=dict)  # events stored with saves

    def put(self, job: PromotionJob) -> PromotionJob:
        """Store a job directly (test setup), taking its listing lock if it is unfinished."""
        self.jobs[(job.user_id, job.id)] = job
        if not job.status.terminal:
            self.locks[(job.user_id, job.listing_id)] = job.id
        return job

    def create_many(self, jobs: Sequence[PromotionJob]) -> dict[str, str]:
        require_one_seller(jobs)
        existing: dict[str, str] = {}
        for job in jobs:
            holder = self.locks.get((job.user_id, job.listing_id))
            if holder is not None:
                existing[job.listing_id] = holder
            elif (job.user_id, job.id) in self.jobs:
                existing[job.listing_id] = job.id
            else:
                self.put(job)
        return existing

    def get(self, user_id: str, job_id: str) -> PromotionJob | None:
        return self.jobs.get((user_id, job_id))

    def get_many(self, keys: Iterable[JobKey]) -> dict[JobKey, PromotionJob]:
        return {key: self.jobs[key] for key in keys if key in self.jobs}

    def save(self, previous: PromotionJob, new: PromotionJob, events: Sequence[JobEvent] = (),
             tally: Tally | None = None) -> bool:
        self.saves += 1
        if self.before_save is not None:
            self.before_save(previous, new)
        if self.broken:
            raise RuntimeError("storage is down")
        if new.history is None:
            raise ValueError("a job without its history cannot be written")
        key = (new.user_id, new.id)
        stored = self.jobs.get(key)
        if stored is None or stored.version != previous.version:
            return False
        if tally is not None:
            if self.holders.get(tally.action_id) != tally.owner:
                raise TallyRefused(tally.action_id)
            self.tallies.setdefault(tally.action_id, Counter())[tally.field] += 1
        lock = (new.user_id, new.listing_id)
        if not previous.status.terminal and new.status.terminal:
            if self.locks.get(lock) == new.id:
                del self.locks[lock]
            self.finished.setdefault(new.user_id, Counter())[new.status] += 1
        elif previous.status.terminal and not new.status.terminal:
            holder = self.locks.get(lock)
            if holder is not None and holder != new.id:
                raise ListingBusy(new.listing_id, holder)
            self.locks[lock] = new.id
            self.finished.setdefault(new.user_id, Counter())[previous.status] -= 1
        self.jobs[key] = new
        self.outbox.update({event.id: event for event in events})
        return True

    def count_unfinished(self, user_id: str, now_ms: int) -> UnfinishedCounts:
        due = [j.next_retry_at or 0 for (u, _), j in self.jobs.items() if u == user_id and not j.status.terminal]
        ready = sum(1 for at in due if at <= now_ms)
        return UnfinishedCounts(ready=ready, pending=len(due) - ready)

    def finished_counts(self, user_id: str) -> dict[Status, int]:
        counts = self.finished.get(user_id, Counter())
        return {status: counts[status] for status in TERMINAL}

    def list_jobs(self, user_id: str, status: Status | None, limit: int, cursor: str | None) -> Page:
        """In the adapter's orders: all jobs by id; unfinished ones next due first; finished ones
        most recent first. Positions are keys, as DynamoDB's are."""
        def position(job: PromotionJob) -> tuple[int, str]:
            if status is None:
                return (0, job.id)
            if status.terminal:
                return (-job.updated_at, job.id)
            return (job.next_retry_at or 0, job.id)

        mine = sorted((j for (u, _), j in self.jobs.items() if u == user_id and status in (None, j.status)),
                      key=position)
        return _page(mine, position, limit, cursor, scope=[user_id, status])

    def search(self, where: JobFilter, limit: int, cursor: str | None) -> Page:
        """As the adapter pages through an index: positions are keys, so jobs that leave the
        listing between pages do not shift the next page. Newest first by their time; a listing's
        jobs (asked for by listing or job id) newest created first."""
        by_listing = where.listing_id is not None or where.job_id is not None

        def position(job: PromotionJob) -> tuple[int, str, str]:
            at = job.next_retry_at if job.next_retry_at is not None else job.updated_at
            return (-(job.created_at if by_listing else at), job.user_id, job.id)

        matching = sorted((j for j in self.jobs.values() if where.matches(j)), key=position)
        return _page(matching, position, limit, cursor, scope=[where.status, where.seller, where.listing_id])

    def global_counts(self) -> dict[Status, int]:
        counts = Counter(job.status for job in self.jobs.values())
        return {status: counts[status] for status in Status}

    def due_for_user(self, user_id: str, until_ms: int, limit: int) -> list[PromotionJob]:
        due = [j for (u, _), j in self.jobs.items()
               if u == user_id and not j.status.terminal and (j.next_retry_at or 0) <= until_ms]
        return sorted(due, key=lambda j: j.next_retry_at or 0)[:limit]

    def overdue(self, before_ms: int, limit: int) -> list[PromotionJob]:
        late = [j for j in self.jobs.values()
                if not j.status.terminal and j.next_retry_at is not None and j.next_retry_at < before_ms]
        return sorted(late, key=lambda j: j.next_retry_at or 0)[:limit]


@dataclass
class ListQueue:
    """A DelayQueue that keeps what it was given; ``refuse`` makes every send fail."""

    sent: list[JobMessage] = field(default_factory=list)
    refuse: bool = False

    def send(self, messages: Sequence[JobMessage]) -> list[JobMessage]:
        if self.refuse:
            return list(messages)
        self.sent.extend(messages)
        return []

    def take_due(self, now: int) -> list[JobMessage]:
        """Remove and return the messages whose ``not_before`` has come."""
        due = [m for m in self.sent if m.not_before <= now]
        self.sent = [m for m in self.sent if m.not_before > now]
        return due


@dataclass
class InMemorySellerPolls:
    """Sellers' polls in a dict: (owner, until) per seller."""

    holders: dict[str, tuple[str, int]] = field(default_factory=dict)

    def hold(self, user_id: str, owner: str, now_ms: int, until_ms: int) -> bool:
        current = self.holders.get(user_id)
        if current is not None and current[0] != owner and current[1] >= now_ms:
            return False
        self.holders[user_id] = (owner, until_ms)
        return True

    def release(self, user_id: str, owner: str) -> None:
        if self.holders.get(user_id, ("", 0))[0] == owner:
            del self.holders[user_id]


@dataclass
class DictCampaignCache:
    entries: dict[str, str] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)

    def get(self, user_id: str) -> str | None:
        return self.entries.get(user_id)

    def put(self, user_id: str, campaign_id: str) -> None:
        self.entries[user_id] = campaign_id

    def forget(self, user_id: str) -> None:
        self.forgotten.append(user_id)
        self.entries.pop(user_id, None)


@dataclass
class InMemoryBulkActions:
    """Honours the port: one holder at a time, progress only from the holder; ``done`` is what the
    jobs' own writes counted (the repository's tallies)."""

    repo: InMemoryJobRepository
    actions: dict[str, BulkAction] = field(default_factory=dict)
    lease_until: dict[str, int] = field(default_factory=dict)

    def create(self, action: BulkAction) -> None:
        self.actions[action.id] = action

    def get(self, action_id: str) -> BulkAction | None:
        action = self.actions.get(action_id)
        if action is None:
            return None
        tally = self.repo.tallies.get(action_id)
        return replace(action, done=tally["done"] if tally else 0)

    def take(self, action_id: str, owner: str, now_ms: int, until_ms: int) -> BulkAction | None:
        action = self.get(action_id)
        if action is None or not action.status.active or self.lease_until.get(action_id, 0) >= now_ms:
            return None
        self.repo.holders[action_id] = owner
        self.lease_until[action_id] = until_ms
        self.actions[action_id] = replace(self.actions[action_id], status=BulkStatus.RUNNING, updated_at=now_ms)
        return self.get(action_id)

    def advance(self, action: BulkAction, owner: str, *, skipped: int, cursor: str | None, status: BulkStatus,
                now_ms: int, release: bool, error: str | None = None) -> bool:
        if self.repo.holders.get(action.id) != owner:
            return False
        stored = self.actions[action.id]
        self.actions[action.id] = replace(stored, skipped=stored.skipped + skipped, cursor=cursor, status=status,
                                          updated_at=now_ms, error=stored.error if error is None else error)
        if release:
            self.lease_until[action.id] = 0
        return True

    def abandon(self, action_id: str, error: str, now_ms: int) -> None:
        self.actions[action_id] = replace(self.actions[action_id], status=BulkStatus.FAILED, error=error,
                                          updated_at=now_ms)


def _page(ordered: list[PromotionJob], position: Callable[[PromotionJob], tuple[Any, ...]], limit: int,
          cursor: str | None, scope: list[Any]) -> Page:
    """A page of ``ordered`` after the cursor's position, without histories; the cursor names what
    it pages through (``scope``) and is refused elsewhere, as the adapter refuses another's."""
    after = None
    if cursor:
        try:
            state = json.loads(cursor)
            if state["scope"] != json.loads(json.dumps(scope)):
                raise ValueError("another listing's cursor")
            after = tuple(state["after"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCursor("cursor is not one this API returned for this listing") from exc
    rest = [j for j in ordered if after is None or position(j) > after]
    page = rest[:limit]
    more = len(rest) > limit
    return Page(jobs=[replace(j, history=None) for j in page],
                cursor=json.dumps({"scope": scope, "after": list(position(page[-1]))}) if more else None)
