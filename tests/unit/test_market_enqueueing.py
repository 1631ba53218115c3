"""Queueing an item: what happens to the job its key already has (the rule every repository follows)."""

from __future__ import annotations

import pytest

from sellerjobs.market.enqueueing import EnqueueRequest, enqueue_requests, enqueueing
from sellerjobs.market.job import MarketJob, MarketStatus, Priority, Provider

NOW = 1_767_225_600_000
LATER = NOW + 60_000
STOCKX = Provider.STOCKX


def request(priority: int = Priority.HOT, seller: str | None = None, *, sku: str = "DD1391-100",
            size: str | None = "10", now_ms: int = LATER) -> EnqueueRequest:
    return EnqueueRequest(provider=STOCKX, sku=sku, size=size, priority=priority, now_ms=now_ms, seller=seller)


def current(status: MarketStatus = MarketStatus.PENDING, priority: int = Priority.HOT, *, version: int = 3,
            asked_by: frozenset[str] = frozenset()) -> MarketJob:
    return MarketJob(id="old", provider=STOCKX, sku="DD1391-100", size="10", priority=priority, status=status,
                     enqueued_at=NOW, updated_at=NOW + 5, version=version, asked_by=asked_by,
                     error="gave up" if status is MarketStatus.FAILED else None)


# ---------------------------------------------------------------- a new job


def test_an_item_without_a_job_gets_a_new_pending_job():
    step = enqueueing(None, request(Priority.MANUAL, "alice"), "new")

    assert (step.write, step.result.created, step.result.raised, step.replaces) == (True, True, False, None)
    assert step.job == MarketJob(id="new", provider=STOCKX, sku="DD1391-100", size="10", priority=Priority.MANUAL,
                                 status=MarketStatus.PENDING, enqueued_at=LATER, updated_at=LATER, version=0,
                                 asked_by=frozenset({"alice"}))


def test_a_job_queued_by_no_seller_is_asked_by_nobody():
    assert enqueueing(None, request(seller=None), "new").job.asked_by == frozenset()


@pytest.mark.parametrize("status", [MarketStatus.SUCCEEDED, MarketStatus.FAILED])
def test_a_finished_job_is_replaced_by_a_new_job_with_the_next_version(status: MarketStatus):
    old = current(status, Priority.MANUAL, asked_by=frozenset({"bob"}))

    step = enqueueing(old, request(Priority.BACKGROUND, "alice"), "new")

    assert (step.write, step.result.created, step.replaces) == (True, True, status)
    job = step.job
    assert (job.id, job.version, job.status, job.priority) == ("new", old.version + 1, MarketStatus.PENDING,
                                                               Priority.BACKGROUND)
    assert (job.enqueued_at, job.updated_at, job.error, job.retry_count) == (LATER, LATER, None, 0)
    assert job.asked_by == frozenset({"alice"})  # the old job's sellers heard its outcome already


# ---------------------------------------------------------------- a job waiting or running


@pytest.mark.parametrize("status", [MarketStatus.PENDING, MarketStatus.DEFERRED, MarketStatus.RUNNING])
@pytest.mark.parametrize("priority", [Priority.BACKGROUND, Priority.HOT])
def test_a_waiting_or_running_job_at_the_same_or_a_higher_priority_is_kept_and_nothing_written(
        status: MarketStatus, priority: int):
    old = current(status, Priority.HOT)

    step = enqueueing(old, request(priority), "new")

    assert (step.write, step.result.created, step.result.raised, step.job, step.replaces) == (
        False, False, False, old, None)


@pytest.mark.parametrize("status", [MarketStatus.PENDING, MarketStatus.DEFERRED, MarketStatus.RUNNING])
def test_a_priority_is_raised_never_lowered(status: MarketStatus):
    old = current(status, Priority.HOT)

    lower = enqueueing(old, request(Priority.BACKGROUND), "new")
    higher = enqueueing(old, request(Priority.MANUAL), "new")

    assert lower.job.priority == Priority.HOT
    assert (higher.write, higher.result.created, higher.result.raised, higher.replaces) == (True, False, True, None)
    assert higher.job == MarketJob(id="old", provider=STOCKX, sku="DD1391-100", size="10", priority=Priority.MANUAL,
                                   status=status, enqueued_at=NOW, updated_at=LATER, version=old.version + 1)


def test_a_raised_job_keeps_its_enqueue_time_so_it_stays_behind_older_jobs_of_its_new_priority():
    assert enqueueing(current(), request(Priority.MANUAL), "new").job.enqueued_at == NOW


def test_a_raise_adds_the_seller():
    old = current(priority=Priority.BACKGROUND, asked_by=frozenset({"bob"}))

    step = enqueueing(old, request(Priority.MANUAL, "alice"), "new")

    assert step.result.raised
    assert step.job.asked_by == frozenset({"alice", "bob"})


@pytest.mark.parametrize("priority", [Priority.BACKGROUND, Priority.HOT])
def test_a_new_seller_grows_asked_by_without_a_raise(priority: int):
    old = current(priority=Priority.HOT, asked_by=frozenset({"bob"}))

    step = enqueueing(old, request(priority, "alice"), "new")

    assert (step.write, step.result.created, step.result.raised) == (True, False, False)
    assert step.job.asked_by == frozenset({"alice", "bob"})
    assert step.job.version == old.version + 1  # a worker settling it meanwhile must read it again
    assert (step.job.priority, step.job.updated_at, step.job.id) == (Priority.HOT, old.updated_at, "old")


def test_a_seller_already_asking_changes_nothing():
    old = current(asked_by=frozenset({"alice"}))

    step = enqueueing(old, request(Priority.HOT, "alice"), "new")

    assert (step.write, step.job) == (False, old)


def test_the_job_of_another_key_is_refused():
    with pytest.raises(ValueError, match="not the job of"):
        enqueueing(current(), request(sku="OTHER"), "new")


def test_a_missing_size_and_an_empty_one_are_the_same_key():
    old = MarketJob(id="old", provider=STOCKX, sku="A", size=None, priority=Priority.HOT,
                    status=MarketStatus.PENDING, enqueued_at=NOW, updated_at=NOW)

    assert enqueueing(old, request(sku="A", size=""), "new").job == old


# ---------------------------------------------------------------- several items in one call


def test_an_item_named_twice_in_one_call_is_one_request_in_first_named_order():
    items: list[tuple[str, str | None]] = [("B", None), ("A", "9"), ("B", ""), ("A", "9"), ("C", None)]

    requests = enqueue_requests(STOCKX, items, Priority.HOT, NOW, "alice")

    assert list(requests) == ["stockx|B|", "stockx|A|9", "stockx|C|"]
    assert requests["stockx|B|"] == EnqueueRequest(provider=STOCKX, sku="B", size=None, priority=Priority.HOT,
                                                   now_ms=NOW, seller="alice")
