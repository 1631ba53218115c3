"""The ports every job family shares, held to one contract: the in-memory fakes and the DynamoDB
adapters (on moto) must answer alike.

* ``RateLimiter``: calls are taken from a window's budget only while they fit its allowance (less
  what is held back for more urgent callers); a refusal says how long to wait; refunds give calls
  back to the window they were taken from.
* ``PauseStore``: one switch per queue, read back as it was stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from sellerjobs.aws.queue_control import DynamoPauseStore
from sellerjobs.aws.rate_buckets import DynamoRateLimiter
from sellerjobs.clock import ManualClock
from sellerjobs.jobs.pause import Pause, QueueName
from sellerjobs.jobs.rate_budget import Grant, RateBudget
from tests.integration.contracts import IMPLEMENTATIONS, implementation
from tests.unit.job_fakes import DictPauses
from tests.unit.market_fakes import InMemoryRateLimiter

HOUR_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z, the start of an hour window
NOW_MS = 1_767_225_600_000


# ---------------------------------------------------------------- rate limiter


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(HOUR_START)


@pytest.fixture(params=IMPLEMENTATIONS)
def limiter(request: pytest.FixtureRequest, clock: ManualClock) -> Any:
    return implementation(request, lambda: InMemoryRateLimiter(clock=clock),
                          lambda tables: DynamoRateLimiter(table=tables("RateBucketsTable"), clock=clock))


def test_a_window_opens_with_its_burst_and_refuses_the_call_after_it(limiter, clock):
    budget = RateBudget("stockx", limit=3600, burst=5)

    assert [limiter.acquire(budget).granted for _ in range(6)] == [True] * 5 + [False]
    assert limiter.used(budget, clock.now()) == 5


def test_a_refusal_says_when_the_calls_fit(limiter, clock):
    budget = RateBudget("stockx", limit=3600, burst=5)  # one more call a second
    assert limiter.acquire(budget, 4).granted

    refused = limiter.acquire(budget, 3)

    assert refused == Grant(False, budget.wait_for(4, 3, clock.now())) == Grant(False, 2.0)
    clock.advance(2)
    assert limiter.acquire(budget, 3).granted
    assert limiter.used(budget, clock.now()) == 7


def test_a_refusal_asks_for_at_least_a_second(limiter, clock):
    budget = RateBudget("alias", limit=3600, burst=1)
    assert limiter.acquire(budget).granted
    clock.advance(0.5)  # the next call fits at 1 s; half of it has passed

    assert limiter.acquire(budget) == Grant(False, 1.0)


def test_the_allowance_grows_through_the_window(limiter, clock):
    budget = RateBudget("ebay", limit=60, window_s=60, burst=1)
    clock.advance(30)  # allowance 1 + 30

    assert limiter.acquire(budget, 31).granted
    assert not limiter.acquire(budget).granted
    clock.advance(1)
    assert limiter.acquire(budget).granted


def test_more_than_the_allowance_is_refused_without_taking_anything(limiter, clock):
    budget = RateBudget("stockx", limit=100, window_s=100, burst=10)

    refused = limiter.acquire(budget, 11)

    assert refused == Grant(False, budget.wait_for(0, 11, clock.now())) == Grant(False, 1.0)
    assert limiter.used(budget, clock.now()) == 0


def test_a_refusal_of_more_than_the_allowance_counts_the_calls_already_used(limiter, clock):
    budget = RateBudget("stockx", limit=3600, burst=5)  # one more call a second
    assert limiter.acquire(budget, 5).granted

    refused = limiter.acquire(budget, 10)  # 15 calls fit after 10 s, not after 5

    assert refused == Grant(False, 10.0)
    clock.advance(9)
    assert not limiter.acquire(budget, 10).granted
    clock.advance(1)
    assert limiter.acquire(budget, 10).granted


def test_headroom_keeps_calls_for_urgent_callers(limiter, clock):
    budget = RateBudget("ebay", limit=3600, burst=10)

    # Ordinary callers leave 4 calls of the allowance alone; urgent ones (no headroom) take them.
    assert limiter.acquire(budget, 6, headroom=4).granted
    assert not limiter.acquire(budget, 1, headroom=4).granted
    assert limiter.acquire(budget, 4).granted
    assert not limiter.acquire(budget).granted


def test_a_refund_gives_calls_back_to_the_window_they_came_from(limiter, clock):
    budget = RateBudget("stockx", limit=10, window_s=60, burst=10)
    taken_at = clock.now()
    assert limiter.acquire(budget, 10).granted
    assert not limiter.acquire(budget).granted

    limiter.refund(budget, 4, taken_at)

    assert limiter.used(budget, taken_at) == 6
    assert [limiter.acquire(budget).granted for _ in range(5)] == [True] * 4 + [False]


def test_each_window_and_each_budget_counts_on_its_own(limiter, clock):
    stockx = RateBudget("stockx", limit=10, window_s=60, burst=10)
    alias = RateBudget("alias", limit=10, window_s=60, burst=10)
    first = clock.now()
    assert limiter.acquire(stockx, 10).granted
    assert limiter.acquire(alias, 3).granted

    clock.advance(60)
    assert limiter.acquire(stockx, 10).granted

    # A refund into the past window does not give the new one more calls.
    limiter.refund(stockx, 5, first)
    assert not limiter.acquire(stockx).granted
    assert (limiter.used(stockx, first), limiter.used(stockx, clock.now()), limiter.used(alias, first)) == (5, 10, 3)


def test_nothing_used_reads_zero(limiter, clock):
    assert limiter.used(RateBudget("stockx", limit=10), clock.now()) == 0


# ---------------------------------------------------------------- pause switch


@pytest.fixture(params=IMPLEMENTATIONS)
def pauses(request: pytest.FixtureRequest) -> Any:
    return implementation(request, DictPauses, lambda tables: DynamoPauseStore(table=tables("PromotionJobsTable")))


def test_a_queue_nobody_paused_has_no_pause(pauses):
    assert pauses.get(QueueName.PROMOTION) is None


def test_a_pause_reads_back_as_stored(pauses):
    pause = Pause(queue=QueueName.PROMOTION, by="ops-1", at=NOW_MS, reason="eBay maintenance")

    pauses.put(pause)

    assert pauses.get(QueueName.PROMOTION) == pause
    assert pauses.get(QueueName.MARKET) is None


def test_a_pause_without_a_reason_reads_back_without_one(pauses):
    pauses.put(Pause(queue=QueueName.MARKET, by="ops-1", at=NOW_MS))

    assert pauses.get(QueueName.MARKET) == Pause(queue=QueueName.MARKET, by="ops-1", at=NOW_MS, reason=None)


def test_pausing_again_replaces_the_pause(pauses):
    pauses.put(Pause(queue=QueueName.CATEGORY_FETCH, by="ops-1", at=NOW_MS, reason="first"))

    pauses.put(Pause(queue=QueueName.CATEGORY_FETCH, by="ops-2", at=NOW_MS + 1))

    assert pauses.get(QueueName.CATEGORY_FETCH) == Pause(queue=QueueName.CATEGORY_FETCH, by="ops-2", at=NOW_MS + 1)


def test_resuming_removes_the_pause_and_resuming_again_is_harmless(pauses):
    pauses.put(Pause(queue=QueueName.PROMOTION, by="ops-1", at=NOW_MS))
    pauses.put(Pause(queue=QueueName.MARKET, by="ops-1", at=NOW_MS))

    pauses.delete(QueueName.PROMOTION)
    pauses.delete(QueueName.PROMOTION)

    assert pauses.get(QueueName.PROMOTION) is None
    assert pauses.get(QueueName.MARKET) is not None
