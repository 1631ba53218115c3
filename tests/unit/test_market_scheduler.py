"""The market scheduler: each minute, the most important waiting jobs, within the budget, never more."""

from __future__ import annotations

import math
import random

import pytest

from sellerjobs.market.job import MarketJob, MarketStatus, Priority, Provider
from sellerjobs.market.ports import SchedulerRun
from sellerjobs.market.scheduler import hourly_budget
from tests.unit.market_fakes import HOUR, MINUTE, MarketWorld

STOCKX = Provider.STOCKX


def sent_skus(world: MarketWorld) -> list[str]:
    """The skus of every job the scheduler queued, in order, and forget them."""
    return [key.split("|")[1] for batch in world.queue.take() for key in batch.keys]


def backlog(world: MarketWorld, n: int, priority: int = Priority.BACKGROUND, prefix: str = "BG") -> None:
    world.enqueue(*(f"{prefix}-{i:04d}" for i in range(n)), priority=priority)


# ---------------------------------------------------------------- the hourly budget


def test_hourly_budget_allows_a_minute_plus_the_reserve_up_front():
    budget = hourly_budget(STOCKX, 600, manual_reserve=5)

    assert (budget.name, budget.limit, budget.window_s, budget.burst) == ("market-stockx", 600, HOUR, 15)


def test_hourly_budget_burst_never_exceeds_the_hour():
    assert hourly_budget(Provider.EBAY, 3, manual_reserve=5).burst == 3


def test_the_whole_hour_is_allowed_by_its_last_minute():
    start = MarketWorld().start
    for limit in range(1, 3001):
        for reserve in (0, 1, 5):
            budget = hourly_budget(STOCKX, limit, reserve)
            assert budget.allowance(start + 59 * MINUTE) == limit, (limit, reserve)
            assert budget.burst >= min(limit, math.ceil(limit / 60)), (limit, reserve)


# ---------------------------------------------------------------- order


def test_highest_priority_first_then_oldest_across_runs():
    world = MarketWorld(per_hour=60)  # one more call each minute
    scheduler = world.scheduler()
    world.enqueue("BZ-OLD")  # names sort against age: the order must come from the enqueue time
    world.at(1)
    world.enqueue("BA-NEW")
    world.at(2)
    world.enqueue("HZ-OLD", priority=Priority.HOT)
    world.at(3)
    world.enqueue("MZ-OLD", priority=Priority.MANUAL)

    world.at(MINUTE)  # two calls allowed so far
    scheduler.run()
    assert sent_skus(world) == ["MZ-OLD", "HZ-OLD"]

    world.at(MINUTE + 1)  # newer but more important work arrives
    world.enqueue("HA-NEW", priority=Priority.HOT)
    world.enqueue("MA-NEW", priority=Priority.MANUAL)
    order = []
    for minute in range(2, 6):
        world.at(minute * MINUTE)
        scheduler.run()
        order += sent_skus(world)

    assert order == ["MA-NEW", "HA-NEW", "BZ-OLD", "BA-NEW"]


def test_a_deferred_job_keeps_its_place_by_age():
    world = MarketWorld(per_hour=60)
    scheduler = world.scheduler()
    world.enqueue("FIRST")
    world.at(1)
    world.enqueue("SECOND")
    world.at(MINUTE)
    scheduler.run()  # two calls: both go out
    assert sent_skus(world) == ["FIRST", "SECOND"]
    first = world.jobs.stored(STOCKX, "FIRST")
    assert world.jobs.settle(first, MarketStatus.DEFERRED, world.now(), error="the provider answered 429")
    world.at(MINUTE + 1)
    world.enqueue("THIRD")

    world.at(2 * MINUTE)
    scheduler.run()

    assert sent_skus(world) == ["FIRST"]


# ---------------------------------------------------------------- never more than the budget


def test_never_dispatches_more_than_the_allowance_left():
    """Three hours of minutes with random arrivals, other callers and re-runs: a property, seeded."""
    rng = random.Random(20260101)
    world = MarketWorld(per_hour=300, reserve=5)
    scheduler = world.scheduler(batch_size=7)
    budget = world.budget
    pool = [f"SKU-{i:03d}" for i in range(400)]
    spent: dict[str, int] = {}
    dispatched_total = 0
    for minute in range(3 * 60):
        world.at(minute * MINUTE + rng.uniform(0, 5))
        for _ in range(rng.randint(0, 12)):
            world.enqueue(rng.choice(pool), priority=rng.choice([100, 100, 100, 150, 200]))
        if rng.random() < 0.2:  # a worker's catalog lookups take calls outside any reservation
            taken = rng.randint(1, 5)
            if world.limiter.acquire(budget, taken).granted:
                window = budget.window_key(world.clock.now())
                spent[window] = spent.get(window, 0) + taken
        for job in world.jobs.with_status(MarketStatus.RUNNING):  # workers finish some
            if rng.random() < 0.5:
                world.jobs.settle(job, rng.choice([MarketStatus.SUCCEEDED, MarketStatus.DEFERRED]), world.now())
        for _ in range(rng.choice([1, 1, 1, 2])):  # now and then a manual run in the same minute
            now = world.clock.now()
            allowance, before = budget.allowance(now), world.used()
            free = max(0, allowance - before)
            held = min(5, budget.limit - allowance)
            waiting = {j.key: j for j in world.jobs.queued(STOCKX, 10_000)}

            run = scheduler.run()

            after = world.used()
            keys = [key for batch in world.queue.take() for key in batch.keys]
            sent = [waiting[key] for key in keys]
            assert run.dispatched[STOCKX.value] == len(sent) == len(set(keys))
            assert run.read[STOCKX.value] == len(sent)  # nothing races here: what it reads, it dispatches
            assert run.available[STOCKX.value] == free
            assert len(sent) <= free
            assert after == before + len(sent) <= allowance
            left = world.jobs.queued(STOCKX, 10_000)
            # The most important waiting jobs went first: none left behind outranks one sent.
            if sent and left:
                assert max(order_key(j) for j in sent) < min(order_key(j) for j in left)
            # Background and hot work never eats into the calls held for manual refreshes...
            if any(j.priority < Priority.MANUAL for j in sent):
                assert allowance - after >= held
            # ...but nothing is left unspent that could have gone.
            if any(j.priority >= Priority.MANUAL for j in left):
                assert after == allowance
            if left:
                assert allowance - after <= held
            window = budget.window_key(now)
            spent[window] = spent.get(window, 0) + len(sent)
            dispatched_total += len(sent)
    assert all(total <= budget.limit for total in spent.values()), spent
    assert dispatched_total > 2 * budget.limit  # the budget did bind: most hours had a backlog


def order_key(job: MarketJob) -> tuple[int, int, str]:
    return -job.priority, job.enqueued_at, job.key


# ---------------------------------------------------------------- the manual reserve


def test_calls_are_held_back_from_background_and_hot_work_for_manual_refreshes():
    world = MarketWorld(per_hour=600, reserve=5)  # burst 10 + 5
    scheduler = world.scheduler()
    backlog(world, 100)
    backlog(world, 10, priority=Priority.HOT, prefix="HOT")

    first = scheduler.run()
    assert first.dispatched[STOCKX.value] == 10
    assert sent_skus(world) == [f"HOT-{i:04d}" for i in range(10)]
    assert world.used() == 10
    assert scheduler.run().dispatched[STOCKX.value] == 0  # five left, all held

    world.enqueue("M1", "M2", "M3", priority=Priority.MANUAL)
    assert scheduler.run().dispatched[STOCKX.value] == 3
    assert sent_skus(world) == ["M1", "M2", "M3"]
    world.enqueue("M4", "M5", "M6", priority=Priority.MANUAL)
    assert scheduler.run().dispatched[STOCKX.value] == 2  # the budget so far is all out
    assert sent_skus(world) == ["M4", "M5"]
    assert world.used() == world.budget.allowance(world.clock.now()) == 15


def test_hot_work_does_not_get_the_reserve_either():
    world = MarketWorld(per_hour=600, reserve=5)
    backlog(world, 20, priority=Priority.HOT, prefix="HOT")

    run = world.scheduler().run()

    assert run.dispatched[STOCKX.value] == 10
    assert world.used() == 10


def test_after_a_run_sending_background_work_the_reserve_is_still_unspent():
    world = MarketWorld(per_hour=600, reserve=5)
    backlog(world, 20)
    world.enqueue("M1", "M2", "M3", priority=Priority.MANUAL)

    run = world.scheduler().run()

    # Manual refreshes in the same run come out of the background's share, not out of the reserve:
    # the next minute's refreshes still find five calls.
    assert run.dispatched[STOCKX.value] == 10
    assert sent_skus(world)[:4] == ["M1", "M2", "M3", "BG-0000"]
    assert world.budget.allowance(world.clock.now()) - world.used() == 5


def test_manual_refreshes_may_use_everything_allowed_so_far():
    world = MarketWorld(per_hour=600, reserve=5)
    backlog(world, 20, priority=Priority.MANUAL, prefix="M")

    run = world.scheduler().run()

    assert run.dispatched[STOCKX.value] == 15
    assert world.used() == 15


@pytest.mark.parametrize(("seconds", "held"), [
    (0, 5), (1800, 5), (3492, 3), (3504, 1), (3510, 0), (3599, 0),
])
def test_the_reserve_shrinks_to_nothing_as_the_hour_runs_out(seconds: float, held: int):
    world = MarketWorld(per_hour=600, reserve=5)  # allowance 15 + one call every 6 s: all 600 from 58:30
    world.at(seconds)
    allowance = world.budget.allowance(world.clock.now())
    assert world.limiter.acquire(world.budget, allowance - 12).granted  # twelve calls left
    backlog(world, 30)
    scheduler = world.scheduler()

    background = scheduler.run().dispatched[STOCKX.value]
    backlog(world, held + 1, priority=Priority.MANUAL, prefix="M")
    manual = scheduler.run().dispatched[STOCKX.value]

    assert background == 12 - held
    assert manual == held
    assert world.used() == allowance


def test_the_hour_budget_is_fully_used_by_the_end_of_the_hour():
    world = MarketWorld(per_hour=600, reserve=5)
    scheduler = world.scheduler()
    backlog(world, 700)
    budget = world.budget
    total = 0
    for minute in range(60):
        world.at(minute * MINUTE)
        total += scheduler.run().dispatched[STOCKX.value]
        allowance = budget.allowance(world.clock.now())
        assert allowance - world.used() == min(5, budget.limit - allowance), minute  # only the reserve unspent

    assert total == world.used() == budget.limit == 600

    world.at(HOUR)  # a new hour: its own burst, less the reserve
    assert scheduler.run().dispatched[STOCKX.value] == 10
    assert world.used() == 10
    assert world.used(world.start) == 600


# ---------------------------------------------------------------- races


def test_jobs_another_scheduler_started_meanwhile_give_their_calls_back():
    world = MarketWorld(per_hour=600)
    scheduler = world.scheduler()
    backlog(world, 5)

    def other_scheduler(chosen: object) -> None:
        for job in world.jobs.queued(STOCKX, 2):  # the same two oldest jobs, started first elsewhere
            world.jobs.jobs[job.key] = job.moved(MarketStatus.RUNNING, world.now(), started_at=world.now())

    world.jobs.before_start = other_scheduler
    run = scheduler.run()

    assert run.read[STOCKX.value] == 5
    assert run.dispatched[STOCKX.value] == 3
    assert sent_skus(world) == ["BG-0002", "BG-0003", "BG-0004"]
    window = world.budget.window_key(world.clock.now())
    assert world.limiter.acquired == [(window, 5)]
    assert world.limiter.refunds == [(window, 2)]
    assert world.used() == 3


def test_a_job_whose_priority_rose_meanwhile_waits_for_the_next_run_and_its_call_goes_back():
    world = MarketWorld(per_hour=600)
    scheduler = world.scheduler()
    backlog(world, 3)
    world.jobs.before_start = lambda chosen: world.enqueue("BG-0001", priority=Priority.MANUAL)

    run = scheduler.run()

    assert run.dispatched[STOCKX.value] == 2
    assert sent_skus(world) == ["BG-0000", "BG-0002"]
    assert world.used() == 2
    raised = world.jobs.stored(STOCKX, "BG-0001")
    assert (raised.status, raised.priority) == (MarketStatus.PENDING, Priority.MANUAL)
    world.at(MINUTE)
    scheduler.run()
    assert sent_skus(world) == ["BG-0001"]


# ---------------------------------------------------------------- stuck jobs


@pytest.mark.parametrize("stuck_after_s", [600.0, 120.0])
def test_a_job_left_running_goes_back_after_stuck_after_s_and_not_before(stuck_after_s: float):
    world = MarketWorld(per_hour=600)
    scheduler = world.scheduler(stuck_after_s=stuck_after_s)
    world.enqueue("DEAD")
    scheduler.run()
    first = world.queue.take()
    world.at(stuck_after_s / 2)
    world.enqueue("ALIVE")
    scheduler.run()  # started later: not stuck when DEAD is
    alive_started = world.now()
    world.queue.take()
    started = world.jobs.stored(STOCKX, "DEAD").started_at

    for seconds in (stuck_after_s - 1, stuck_after_s):
        world.at(seconds)
        run = scheduler.run()
        assert run.reset_stuck == 0, seconds
        job = world.jobs.stored(STOCKX, "DEAD")
        assert (job.status, job.started_at) == (MarketStatus.RUNNING, started)
    assert world.queue.take() == []

    world.at(stuck_after_s + 1)
    run = scheduler.run()

    assert run.reset_stuck == 1
    job = world.jobs.stored(STOCKX, "DEAD")
    # Back in the queue and, budget allowing, out again in the same run: in a new batch.
    assert job.status is MarketStatus.RUNNING
    assert job.started_at == world.now() != started
    assert job.error == "reset: running too long"
    (again,) = world.queue.take()
    assert again.keys == first[0].keys
    assert again.started_at == world.now()
    assert world.jobs.stored(STOCKX, "ALIVE").started_at == alive_started


# ---------------------------------------------------------------- batches and run records


def test_jobs_go_out_in_batches_of_batch_size():
    world = MarketWorld(per_hour=3600)
    backlog(world, 23)

    world.scheduler(batch_size=10).run()

    batches = world.queue.take()
    assert [len(b.keys) for b in batches] == [10, 10, 3]
    assert [k for b in batches for k in b.keys] == [f"stockx|BG-{i:04d}|" for i in range(23)]
    assert {(b.provider, b.reserved_at, b.started_at) for b in batches} == {(STOCKX, world.now(), world.now())}


def test_the_run_record_counts_per_provider():
    world = MarketWorld(per_hour=600, providers=(Provider.STOCKX, Provider.ALIAS))
    world.at(30)  # allowance 10 + 5
    world.enqueue("A", "B", "C", "D")
    assert world.limiter.acquire(world.budgets[Provider.ALIAS], 6).granted  # spent elsewhere

    run = world.scheduler().run(trigger="manual")

    assert run == SchedulerRun(started_at=world.now(), finished_at=world.now(),
                               dispatched={"stockx": 4, "alias": 0}, read={"stockx": 4, "alias": 0},
                               available={"stockx": 15, "alias": 9}, reset_stuck=0, trigger="manual")
    assert world.jobs.runs == [run]
    assert run.to_api()["trigger"] == "manual"


def test_a_run_with_nothing_left_in_the_budget_reads_nothing():
    world = MarketWorld(per_hour=600)
    backlog(world, 3)
    assert world.limiter.acquire(world.budget, 10).granted

    run = world.scheduler().run()

    assert (run.dispatched, run.read, run.available) == ({"stockx": 0}, {"stockx": 0}, {"stockx": 0})
    assert world.queue.take() == []
    assert len(world.jobs.with_status(MarketStatus.PENDING)) == 3


def test_a_batch_the_queue_refused_leaves_its_jobs_running_until_the_stuck_reset():
    world = MarketWorld(per_hour=600)
    scheduler = world.scheduler()
    backlog(world, 3)
    world.queue.refuse = True

    run = scheduler.run()

    assert run.dispatched[STOCKX.value] == 3
    assert len(world.jobs.with_status(MarketStatus.RUNNING)) == 3
    assert world.queue.sent == []
    assert world.used() == 3  # reserved; no worker will make these calls (the reset costs new ones)

    world.queue.refuse = False
    world.at(599)
    assert scheduler.run().reset_stuck == 0
    assert world.queue.sent == []
    world.at(601)
    assert scheduler.run().reset_stuck == 3
    assert sent_skus(world) == ["BG-0000", "BG-0001", "BG-0002"]
