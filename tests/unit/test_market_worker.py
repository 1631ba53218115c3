"""The market worker: one batch of running jobs, quoted within the reservation and the budget."""

from __future__ import annotations

import pytest

from sellerjobs.market.job import CachedPrice, MarketJob, MarketStatus, Priority, Provider
from sellerjobs.market.ports import BatchMetrics, MarketBatch
from sellerjobs.market.quotes import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderThrottled,
    ProviderTransient,
)
from sellerjobs.market.worker import WorkerSettings
from tests.unit.market_fakes import HOUR, MINUTE, MarketWorld, ProviderCall, quote

STOCKX, ALIAS = Provider.STOCKX, Provider.ALIAS
NO_BUDGET = "market-stockx: no call left in the budget for now"


def job(world: MarketWorld, sku: str, size: str | None = None) -> MarketJob:
    return world.jobs.stored(STOCKX, sku, size)


def statuses(world: MarketWorld, *skus: str) -> list[tuple[MarketStatus, str | None]]:
    return [(job(world, sku).status, job(world, sku).error) for sku in skus]


def called(world: MarketWorld) -> list[str]:
    return [call.sku for call in world.source.calls]


def since_start(world: MarketWorld, calls: list[ProviderCall]) -> list[float]:
    return [call.at - world.start for call in calls]


# ---------------------------------------------------------------- success


def test_a_quote_is_cached_and_the_job_succeeds():
    world = MarketWorld(per_hour=3600)
    figures = quote(ask="110.00", bid="95.50", last="101.25")
    world.source.then("DD1391-100", "10", figures)
    batch = world.dispatch("DD1391-100", size="10")
    world.at(5)

    metrics = world.worker().process(batch)

    done = job(world, "DD1391-100", "10")
    assert (done.status, done.error, done.retry_count) == (MarketStatus.SUCCEEDED, None, 0)
    assert done.completed_at == world.now()
    assert world.prices.get(STOCKX, "DD1391-100", "10") == CachedPrice(
        provider=STOCKX, sku="DD1391-100", size="10", quote=figures, updated_at=world.now())
    assert metrics == BatchMetrics(provider="stockx", started_at=world.now(), size=1, succeeded=1, failed=0,
                                   deferred=0, duration_ms=0, calls=1)
    assert world.used() == 1  # the reservation, spent
    assert world.limiter.refunds == []


def test_each_job_of_a_batch_is_quoted_in_order():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A", "B", "C")

    metrics = world.worker().process(batch)

    assert called(world) == ["A", "B", "C"]
    assert [s for s, _ in statuses(world, "A", "B", "C")] == [MarketStatus.SUCCEEDED] * 3
    assert (metrics.succeeded, metrics.calls) == (3, 3)
    assert len(world.prices.puts) == 3


# ---------------------------------------------------------------- the batch stops


def test_a_429_defers_the_rest_of_the_batch_and_refunds_their_reserved_calls():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A", "B", "C", "D")
    world.source.then("B", None, ProviderThrottled("429 Too Many Requests"))
    world.at(30 * MINUTE)  # the same hour

    metrics = world.worker().process(batch)

    assert called(world) == ["A", "B"]
    assert statuses(world, "A", "B", "C", "D") == [
        (MarketStatus.SUCCEEDED, None),
        (MarketStatus.DEFERRED, "the provider answered 429"),
        (MarketStatus.DEFERRED, "the provider answered 429 earlier in this batch"),
        (MarketStatus.DEFERRED, "the provider answered 429 earlier in this batch"),
    ]
    assert world.limiter.refunds == [(world.budget.window_key(world.start), 2)]
    assert world.used(world.start) == 2
    assert (metrics.succeeded, metrics.failed, metrics.deferred, metrics.calls) == (1, 0, 3, 2)
    # Back in the queue, in their old places.
    assert [j.key for j in world.jobs.queued(STOCKX, 10)] == ["stockx|B|", "stockx|C|", "stockx|D|"]
    assert job(world, "C").started_at is None


def test_a_429_answered_after_the_hour_turned_refunds_into_the_hour_of_the_reservation():
    world = MarketWorld(per_hour=3600)
    world.at(HOUR - 0.25)
    batch = world.dispatch("A", "B", "C")
    world.source.then("A", None, ProviderThrottled("429"))
    world.source.during_call = lambda call: world.clock.advance(0.5)  # the answer takes half a second

    world.worker().process(batch)

    assert world.clock.now() > world.start + HOUR
    assert world.limiter.refunds == [(world.budget.window_key(world.start), 2)]
    assert world.used(world.start) == 1
    assert world.used() == 0


def test_no_budget_left_for_a_catalog_lookup_defers_the_rest():
    world = MarketWorld(per_hour=60)  # one more call each minute
    world.at(2 * MINUTE + 50)  # three allowed so far, a fourth from 3:00
    batch = world.dispatch("A", "B", "C")  # ...and all three reserved
    world.source.catalog_calls = 1  # a sku not seen before costs a lookup first

    metrics = world.worker(WorkerSettings(spacing_s={STOCKX: 3.0})).process(batch)

    # B's quote finds nothing left at 2:59; C is not tried at 3:02, though a call is allowed by then.
    assert [(c.sku, c.kind, c.at - world.start) for c in world.source.calls] == [
        ("A", "catalog", 170.0), ("A", "market", 173.0), ("B", "catalog", 176.0)]
    assert statuses(world, "A", "B", "C") == [
        (MarketStatus.SUCCEEDED, None), (MarketStatus.DEFERRED, NO_BUDGET), (MarketStatus.DEFERRED, NO_BUDGET)]
    assert (metrics.succeeded, metrics.deferred, metrics.calls) == (1, 2, 3)
    assert world.used() == 3
    assert world.limiter.refunds == []


def test_extra_calls_beyond_the_reservation_come_from_the_budget():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A", "B")
    world.source.catalog_calls = 2

    metrics = world.worker().process(batch)

    assert metrics.calls == 6
    assert metrics.succeeded == 2
    assert world.used() == 6
    assert world.limiter.acquired[1:] == [(world.budget.window_key(world.start), 1)] * 4


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize(("error", "message"), [
    (ProviderNotFound("no product with style id DD1391-100"), "not found: no product with style id DD1391-100"),
    (ProviderAuthError("StockX answered 401"), "credentials: StockX answered 401"),
    (ProviderError("StockX answered 400: bad size"), "StockX answered 400: bad size"),
])
def test_a_provider_error_fails_the_job_and_the_batch_goes_on(error: ProviderError, message: str):
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A", "B")
    world.source.then("A", None, error)

    metrics = world.worker().process(batch)

    failed = job(world, "A")
    assert (failed.status, failed.error, failed.retry_count) == (MarketStatus.FAILED, message, 0)
    assert failed.completed_at == world.now()
    assert job(world, "B").status is MarketStatus.SUCCEEDED
    assert world.prices.get(STOCKX, "A", None) is None
    assert (metrics.succeeded, metrics.failed, metrics.deferred, metrics.calls) == (1, 1, 0, 2)
    assert called(world) == ["A", "B"]  # asked once: asking again would get the same answer


def test_a_transient_error_is_retried_with_backoff_then_the_job_fails():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A")
    world.source.then("A", None, *(ProviderTransient("StockX answered 503") for _ in range(4)))

    metrics = world.worker(WorkerSettings(retries=3, retry_backoff_s=1.0)).process(batch)

    assert since_start(world, world.source.calls) == [0.0, 1.0, 3.0, 7.0]  # waits of 1, 2 and 4 s
    failed = job(world, "A")
    assert (failed.status, failed.retry_count) == (MarketStatus.FAILED, 3)
    assert failed.error == "gave up after 3 retries: StockX answered 503"
    assert (metrics.failed, metrics.calls, metrics.duration_ms) == (1, 4, 7000)
    assert world.used() == 4  # one reserved, three more from the budget


def test_a_transient_error_then_a_quote_succeeds_and_counts_its_retries():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A", "B")
    world.source.then("A", None, ProviderTransient("timeout"), ProviderTransient("timeout"), quote())

    metrics = world.worker(WorkerSettings(retries=3, retry_backoff_s=2.0)).process(batch)

    assert since_start(world, world.source.calls) == [0.0, 2.0, 6.0, 6.0]
    assert (job(world, "A").status, job(world, "A").retry_count) == (MarketStatus.SUCCEEDED, 2)
    assert (job(world, "B").status, job(world, "B").retry_count) == (MarketStatus.SUCCEEDED, 0)
    assert (metrics.succeeded, metrics.calls) == (2, 4)


def test_no_retries_means_a_transient_error_fails_at_once():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A")
    world.source.then("A", None, ProviderTransient("timeout"))

    world.worker(WorkerSettings(retries=0)).process(batch)

    assert statuses(world, "A") == [(MarketStatus.FAILED, "gave up after 0 retries: timeout")]
    assert len(world.source.calls) == 1


def test_a_429_on_a_retry_defers():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A", "B")
    world.source.then("A", None, ProviderTransient("503"), ProviderThrottled("429"))

    world.worker().process(batch)

    assert statuses(world, "A", "B") == [
        (MarketStatus.DEFERRED, "the provider answered 429"),
        (MarketStatus.DEFERRED, "the provider answered 429 earlier in this batch")]
    assert job(world, "A").retry_count == 1


# ---------------------------------------------------------------- spacing


def test_calls_to_a_provider_are_spaced():
    world = MarketWorld(per_hour=3600, providers=(STOCKX, ALIAS))
    spaced = world.dispatch("A", "B", "C")
    unspaced = world.dispatch("X", "Y", provider=ALIAS)
    worker = world.worker(WorkerSettings(spacing_s={STOCKX: 0.25}))

    metrics = worker.process(spaced)
    assert since_start(world, world.sources[STOCKX].calls) == [0.0, 0.25, 0.5]  # the first at once
    assert metrics.duration_ms == 500

    worker.process(unspaced)
    assert since_start(world, world.sources[ALIAS].calls) == [0.5, 0.5]


def test_spacing_applies_to_every_call_including_lookups_and_retries():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A")
    world.source.catalog_calls = 1
    world.source.then("A", None, ProviderTransient("503"), quote())

    world.worker(WorkerSettings(spacing_s={STOCKX: 0.5}, retry_backoff_s=1.0)).process(batch)

    assert since_start(world, world.source.calls) == [0.0, 0.5, 2.0]  # lookup, quote, (1 s backoff) quote


# ---------------------------------------------------------------- deliveries


def test_a_redelivered_batch_takes_its_calls_from_the_budget():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A", "B", "C")  # three reserved by the scheduler
    first = job(world, "A")
    assert world.jobs.settle(first, MarketStatus.SUCCEEDED, world.now())  # before the first delivery died

    metrics = world.worker().process(batch, first_delivery=False)

    assert called(world) == ["B", "C"]
    assert metrics.calls == 2
    assert world.used() == 5  # the reservation is not trusted: the dead delivery may have spent it
    assert world.limiter.refunds == []
    assert world.limiter.acquired[1:] == [(world.budget.window_key(world.start), 1)] * 2


def test_a_redelivered_batch_with_no_budget_left_defers():
    world = MarketWorld(per_hour=60)
    world.at(2 * MINUTE)
    batch = world.dispatch("A", "B", "C")  # the whole allowance reserved

    metrics = world.worker().process(batch, first_delivery=False)

    assert world.source.calls == []
    assert statuses(world, "A", "B", "C") == [(MarketStatus.DEFERRED, NO_BUDGET)] * 3
    assert (metrics.deferred, metrics.calls) == (3, 0)
    assert world.used() == 3


def test_jobs_no_longer_this_batchs_are_skipped_without_a_call():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("DONE", "RESET", "MOVED", "MINE")
    now = world.now()
    assert world.jobs.settle(job(world, "DONE"), MarketStatus.SUCCEEDED, now)  # an earlier delivery did it
    assert world.jobs.settle(job(world, "RESET"), MarketStatus.PENDING, now, error="reset: running too long")
    world.at(601)
    moved = job(world, "MOVED")
    assert world.jobs.settle(moved, MarketStatus.PENDING, world.now(), error="reset: running too long")
    (restarted,) = world.jobs.start([job(world, "MOVED")], world.now())  # now another batch's
    before = {sku: job(world, sku) for sku in ("DONE", "RESET", "MOVED")}

    metrics = world.worker().process(batch)

    assert called(world) == ["MINE"]
    assert {sku: job(world, sku) for sku in before} == before
    assert (metrics.size, metrics.succeeded, metrics.failed, metrics.deferred, metrics.calls) == (4, 1, 0, 0, 1)
    assert world.limiter.refunds == [(world.budget.window_key(world.start), 3)]
    assert restarted.started_at != batch.started_at


def test_a_batch_delivered_after_its_jobs_were_reset_refunds_its_whole_reservation_to_its_hour():
    world = MarketWorld(per_hour=3600)
    stale = world.dispatch("A", "B")
    world.at(601)  # the scheduler puts them back and sends them again
    for sku in ("A", "B"):
        assert world.jobs.settle(job(world, sku), MarketStatus.PENDING, world.now(), error="reset: running too long")
    assert world.limiter.acquire(world.budget, 2).granted
    restarted = world.jobs.start([job(world, "A"), job(world, "B")], world.now())
    fresh = MarketBatch(provider=STOCKX, keys=tuple(j.key for j in restarted), reserved_at=world.now(),
                        started_at=world.now())
    world.at(HOUR + 100)
    worker = world.worker()

    late = worker.process(stale)

    assert (late.calls, late.succeeded, late.deferred) == (0, 0, 0)
    assert world.used(world.start) == 2
    assert world.used() == 0
    assert [j.status for j in world.jobs.with_status(MarketStatus.RUNNING)] == [MarketStatus.RUNNING] * 2

    worker.process(fresh)  # the hour turned before it ran: its calls count against the new hour
    assert statuses(world, "A", "B") == [(MarketStatus.SUCCEEDED, None)] * 2
    assert world.used(world.start) == 0
    assert world.used() == 2


def test_the_hour_turning_mid_batch_refunds_the_reservation_and_takes_from_the_new_hour():
    world = MarketWorld(per_hour=3600)
    world.at(HOUR - 1)
    batch = world.dispatch("A", "B", "C")

    metrics = world.worker(WorkerSettings(spacing_s={STOCKX: 0.5})).process(batch)

    assert since_start(world, world.source.calls) == [HOUR - 1, HOUR - 0.5, HOUR]
    old, new = world.budget.window_key(world.start), world.budget.window_key(world.start + HOUR)
    assert world.limiter.refunds == [(old, 1)]
    assert world.limiter.acquired == [(old, 3), (new, 1)]
    assert world.used(world.start) == 2  # two calls made in the old hour
    assert world.used(world.start + HOUR) == 1
    assert metrics.succeeded == 3


# ---------------------------------------------------------------- metrics


def test_the_batch_metrics_are_recorded():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("OK", "GONE", "FLAKY", "THROTTLED", "LATER")
    world.source.then("GONE", None, ProviderNotFound("no such style"))
    world.source.then("FLAKY", None, ProviderTransient("503"), quote())
    world.source.then("THROTTLED", None, ProviderThrottled("429"))
    world.at(10)
    started = world.now()

    metrics = world.worker(WorkerSettings(retry_backoff_s=1.0)).process(batch)

    expected = BatchMetrics(provider="stockx", started_at=started, size=5, succeeded=2, failed=1,
                            deferred=2, duration_ms=1000, calls=5)
    assert metrics == expected
    assert world.jobs.batches == [expected]
    assert world.jobs.recent_batches(10) == [expected]


# ---------------------------------------------------------------- a write during the call


def test_a_refresh_pressed_while_the_job_runs_does_not_leave_it_running():
    world = MarketWorld(per_hour=3600)
    batch = world.dispatch("A")
    service = world.service()

    def seller_presses_refresh(call: ProviderCall) -> None:  # while the background job is being quoted
        service.enqueue(STOCKX, [("A", None)], Priority.MANUAL)

    world.source.during_call = seller_presses_refresh

    metrics = world.worker().process(batch)

    assert world.prices.get(STOCKX, "A", None) is not None
    assert job(world, "A").status is not MarketStatus.RUNNING
    assert metrics.succeeded + metrics.deferred == 1
