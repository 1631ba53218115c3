"""Bulk retry and cancel on in-memory fakes: what they match, exactly once, resumable, scoped."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest

from sellerjobs.clock import ManualClock, now_ms
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.history import HistoryEntry
from sellerjobs.promotions.bulk import (
    BulkAction,
    BulkActionNotFound,
    BulkActionService,
    BulkKind,
    BulkMessage,
    BulkRequest,
    BulkStatus,
    BulkWorker,
)
from sellerjobs.promotions.job import PromotionJob, Status
from sellerjobs.promotions.ports import JobFilter
from sellerjobs.promotions.service import PromotionService
from tests.unit.promotion_fakes import InMemoryBulkActions, InMemoryJobRepository, ListQueue
from tests.unit.test_service import HISTORY_S, sync_window_policy

NOT_SYNCED = "listing not found after the sync window: eBay 35048: listing 1 is invalid"


class Crash(BaseException):
    """The worker's process dies (not an error the code could catch)."""


@dataclass
class BulkQueue:
    sent: list[BulkMessage] = field(default_factory=list)

    def send(self, messages: list[BulkMessage]) -> list[BulkMessage]:
        self.sent += messages
        return []


@dataclass
class World:
    clock: ManualClock
    repo: InMemoryJobRepository
    actions: InMemoryBulkActions
    job_queue: ListQueue
    bulk_queue: BulkQueue
    service: BulkActionService
    worker: BulkWorker

    def job(self, listing: str, user: str = "alice", status: Status = Status.FAILED,
            error: str = NOT_SYNCED) -> PromotionJob:
        now = now_ms(self.clock)
        finished = status.terminal
        return self.repo.put(PromotionJob(
            id=f"{listing}_{now}", user_id=user, listing_id=listing, ad_rate=Decimal(5), campaign_id=None,
            status=status, attempts=12 if finished else 1, max_attempts=15, next_retry_at=None if finished else now,
            created_at=now - 900_000, updated_at=now, policy="sync-window", run_started_at=now - 900_000,
            listed_at=now - 900_000, version=3, last_error=error if status is Status.FAILED else None,
            history=(HistoryEntry.of(now - 900_000, "queued"),)))

    def start(self, kind: BulkKind = BulkKind.RETRY, limit: int = 100, owner: str | None = None,
              **where: object) -> BulkAction:
        request = BulkRequest(kind=kind, where=JobFilter(**where), limit=limit)  # type: ignore[arg-type]
        return self.service.start(request, by=owner or "ops", owner=owner)

    def action(self, action_id: str) -> BulkAction:
        found = self.actions.get(action_id)
        assert found is not None
        return found

    def stored(self, job: PromotionJob) -> PromotionJob:
        found = self.repo.get(job.user_id, job.id)
        assert found is not None
        return found


@pytest.fixture
def world() -> Iterator[World]:
    clock = ManualClock()
    repo = InMemoryJobRepository()
    actions = InMemoryBulkActions(repo)
    job_queue, bulk_queue = ListQueue(), BulkQueue()
    promotions = PromotionService(jobs=repo, queue=job_queue, policy=sync_window_policy(), clock=clock,
                                  history_s=HISTORY_S)
    service = BulkActionService(actions=actions, jobs=repo, queue=bulk_queue, clock=clock)
    worker = BulkWorker(actions=actions, jobs=repo, promotions=promotions, job_queue=job_queue,
                        continuations=bulk_queue, clock=clock, page_size=2, lease_s=120, run_s=60)
    yield World(clock, repo, actions, job_queue, bulk_queue, service, worker)


def test_a_bulk_retry_requeues_every_matching_failed_job_and_counts_them(world):
    matching = [world.job(str(100001 + i), user=user) for i, user in enumerate(["alice", "bob", "carol"])]
    other_reason = world.job("100010", error="eBay 35067: terms not accepted")
    pending = world.job("100011", status=Status.PENDING)

    action = world.start(reason="SYNC window")  # any case
    report = world.worker.run(action.id)

    stored = world.action(action.id)
    assert report.completed and stored.status is BulkStatus.COMPLETED
    assert (stored.matched, stored.done, stored.skipped) == (3, 3, 0)
    assert {world.stored(j).status for j in matching} == {Status.PENDING}
    assert world.stored(other_reason).status is Status.FAILED and world.stored(pending) == pending
    assert sorted(m.job_id for m in world.job_queue.sent) == sorted(j.id for j in matching)
    history = world.stored(matching[0]).history
    assert history
    entry = history[-1]
    assert (entry.outcome, entry.by, entry.message) == ("retried", "ops", f"bulk action {action.id}")


def test_a_bulk_cancel_stops_pending_jobs_only(world):
    pending = [world.job(str(100001 + i), status=Status.PENDING) for i in range(3)]
    failed = world.job("100009")

    action = world.start(BulkKind.CANCEL)
    world.worker.run(action.id)

    assert {world.stored(j).status for j in pending} == {Status.CANCELLED}
    assert world.stored(failed).status is Status.FAILED
    assert world.action(action.id).done == 3


def test_a_sellers_own_bulk_retry_never_touches_another_sellers_job(world):
    mine = world.job("100001", user="alice")
    theirs = world.job("100002", user="bob")

    # Even a filter naming the other seller's listing stays within the caller's own jobs.
    action = world.start(owner="alice", listing_id="100002")
    world.worker.run(action.id)
    everything = world.start(owner="alice")
    world.worker.run(everything.id)

    assert world.stored(theirs).status is Status.FAILED
    assert world.stored(mine).status is Status.PENDING
    assert world.action(action.id).matched == 0 and world.action(everything.id).done == 1
    with pytest.raises(BulkActionNotFound):
        world.service.get(everything.id, owner="bob")
    assert world.service.get(everything.id, owner=None).id == everything.id  # operators see every action


def test_at_most_limit_jobs_are_touched(world):
    for i in range(5):
        world.job(str(100001 + i))

    action = world.start(limit=3)
    world.worker.run(action.id)

    stored = world.action(action.id)
    assert (stored.matched, stored.done, stored.status) == (3, 3, BulkStatus.COMPLETED)
    assert sum(1 for j in world.repo.jobs.values() if j.status is Status.FAILED) == 2


def test_a_duplicate_delivery_while_a_run_holds_the_action_does_nothing(world):
    for i in range(3):
        world.job(str(100001 + i))
    action = world.start()
    taken = world.actions.take(action.id, "another-run", now_ms(world.clock), now_ms(world.clock) + 120_000)
    assert taken is not None

    report = world.worker.run(action.id)

    assert report.held_elsewhere and world.action(action.id).matched == 0
    assert world.job_queue.sent == []


def test_a_delivery_after_completion_counts_nothing_twice(world):
    for i in range(3):
        world.job(str(100001 + i))
    action = world.start()
    world.worker.run(action.id)

    again = world.worker.run(action.id)

    assert again.held_elsewhere
    assert (world.action(action.id).done, world.action(action.id).skipped) == (3, 0)


def test_a_run_that_dies_mid_page_is_resumed_and_counts_every_job_once(world):
    jobs = [world.job(str(100001 + i)) for i in range(5)]
    action = world.start()
    saves = 0

    def crash_on_the_fourth(previous: PromotionJob, new: PromotionJob) -> None:
        nonlocal saves
        saves += 1
        if saves == 4:
            raise Crash

    world.repo.before_save = crash_on_the_fourth
    with pytest.raises(Crash):
        world.worker.run(action.id)
    world.repo.before_save = None
    # The message comes back after its visibility timeout, once the dead run's hold has lapsed.
    assert world.worker.run(action.id).held_elsewhere
    world.clock.advance(121)
    report = world.worker.run(action.id)

    stored = world.action(action.id)
    assert report.completed
    assert (stored.matched, stored.done, stored.skipped) == (5, 5, 0)
    assert {world.stored(j).status for j in jobs} == {Status.PENDING}
    assert all(sum(1 for e in world.stored(j).history or () if e.outcome == "retried") == 1 for j in jobs)


def test_a_run_out_of_time_stores_its_place_and_queues_the_next(world):
    for i in range(5):
        world.job(str(100001 + i))
    world.worker.run_s = 0  # every page is the run's last
    action = world.start()
    world.bulk_queue.sent.clear()

    first = world.worker.run(action.id)
    assert first.continued and world.bulk_queue.sent == [BulkMessage(action_id=action.id)]
    assert world.action(action.id).matched == 2 and world.action(action.id).status is BulkStatus.RUNNING
    while world.action(action.id).status is BulkStatus.RUNNING:
        world.worker.run(action.id)

    assert (world.action(action.id).done, world.action(action.id).status) == (5, BulkStatus.COMPLETED)


def test_a_job_changed_meanwhile_is_skipped(world):
    jobs = [world.job(str(100001 + i)) for i in range(2)]
    action = world.start()

    def seller_retried_it_first(previous: PromotionJob, new: PromotionJob) -> None:
        if previous.id == jobs[0].id and previous.version == 3:
            world.repo.jobs[(previous.user_id, previous.id)] = replace(previous, version=4)

    world.repo.before_save = seller_retried_it_first
    world.worker.run(action.id)

    assert (world.action(action.id).done, world.action(action.id).skipped) == (1, 1)


def test_preview_counts_what_would_match_up_to_the_limit(world):
    for i in range(4):
        world.job(str(100001 + i))

    assert world.service.preview(BulkRequest(BulkKind.RETRY, JobFilter(), limit=10), owner=None) == (4, False)
    assert world.service.preview(BulkRequest(BulkKind.RETRY, JobFilter(), limit=3), owner=None) == (3, True)
    assert world.service.preview(BulkRequest(BulkKind.RETRY, JobFilter(), limit=10), owner="bob") == (0, False)
    assert world.repo.saves == 0 and world.bulk_queue.sent == []


@dataclass
class ListAnnouncer:
    announced: list[JobEvent] = field(default_factory=list)

    def announce(self, events: Sequence[JobEvent]) -> None:
        self.announced += list(events)


def test_a_bulk_cancel_announces_each_cancelled_job_as_a_cancel_by_the_seller_would(world):
    announcer = ListAnnouncer()
    world.worker.promotions.events = announcer
    pending = [world.job(str(100001 + i), status=Status.PENDING) for i in range(3)]

    world.worker.run(world.start(BulkKind.CANCEL).id)

    # Stored with each change (in the same save), then told to the relay, one event per job.
    assert sorted(world.repo.outbox) == sorted(e.id for e in announcer.announced)
    assert [(e.type, e.sellers) for e in announcer.announced] == [("promotion.cancelled", ("alice",))] * 3
    assert {json.loads(e.body)["data"]["id"] for e in announcer.announced} == {j.id for j in pending}


def test_a_bulk_retry_announces_nothing(world):
    # A failed job queued again has not finished: there is nothing to announce until it does.
    announcer = ListAnnouncer()
    world.worker.promotions.events = announcer
    world.job("100001")

    world.worker.run(world.start().id)

    assert announcer.announced == [] and world.repo.outbox == {}
