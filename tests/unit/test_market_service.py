"""The market service: queueing refreshes, serving cached prices, and the overview of budgets and work."""

from __future__ import annotations

import pytest

from sellerjobs.errors import NotFound
from sellerjobs.market.job import CachedPrice, MarketStatus, Priority, Provider
from sellerjobs.market.quotes import ProviderNotFound
from sellerjobs.market.service import PriceNotFound
from sellerjobs.market.views import Overview
from tests.unit.market_fakes import HOUR, MINUTE, MarketWorld, quote

STOCKX, ALIAS = Provider.STOCKX, Provider.ALIAS


def cache_price(world: MarketWorld, sku: str, size: str | None, age_ms: int) -> CachedPrice:
    price = CachedPrice(provider=STOCKX, sku=sku, size=size, quote=quote(), updated_at=world.now() - age_ms)
    world.prices.put(price)
    return price


# ---------------------------------------------------------------- enqueue


def test_the_same_item_twice_in_one_request_is_one_job():
    world = MarketWorld()
    items: list[tuple[str, str | None]] = [("DD1391-100", "10"), ("DD1391-100", "10"), ("555088 134", None),
                                           ("DD1391-100", "10")]

    results = world.service().enqueue(STOCKX, items, Priority.HOT)

    assert world.jobs.enqueue_calls == [(STOCKX, [("DD1391-100", "10"), ("555088 134", None)], Priority.HOT)]
    assert [(r.job.sku, r.job.size, r.created) for r in results] == [("DD1391-100", "10", True),
                                                                    ("555088 134", None, True)]
    assert len(world.jobs.jobs) == 2


# ---------------------------------------------------------------- prices


def test_a_fresh_price_is_served_without_queueing_a_refresh():
    world = MarketWorld()
    cached = cache_price(world, "A", "10", age_ms=int(HOUR * 1000))  # exactly stale_after_s old: still fresh

    read = world.service(stale_after_s=HOUR).price(STOCKX, "A", "10")

    assert (read.price, read.refresh_queued) == (cached, False)
    assert world.jobs.jobs == {}


def test_a_stale_price_is_served_and_a_background_refresh_queued():
    world = MarketWorld()
    cached = cache_price(world, "A", "10", age_ms=int(HOUR * 1000) + 1)

    read = world.service(stale_after_s=HOUR).price(STOCKX, "A", "10")

    assert (read.price, read.refresh_queued) == (cached, True)
    queued = world.jobs.stored(STOCKX, "A", "10")
    assert (queued.status, queued.priority) == (MarketStatus.PENDING, Priority.BACKGROUND)


def test_reading_a_stale_price_does_not_lower_a_waiting_refresh():
    world = MarketWorld()
    cache_price(world, "A", None, age_ms=2 * int(HOUR * 1000))
    service = world.service()
    service.enqueue(STOCKX, [("A", None)], Priority.MANUAL)

    read = service.price(STOCKX, "A", None)

    assert read.refresh_queued
    assert world.jobs.stored(STOCKX, "A").priority == Priority.MANUAL
    assert len(world.jobs.jobs) == 1
    assert world.jobs.enqueue_calls == [(STOCKX, [("A", None)], Priority.MANUAL)]  # the read wrote nothing


def test_the_staleness_in_the_answer_agrees_with_the_service():
    world = MarketWorld()
    service = world.service(stale_after_s=600.0)
    for age_ms, stale in ((600_000, False), (600_001, True)):
        cache_price(world, "A", None, age_ms=age_ms)
        read = service.price(STOCKX, "A", None)
        assert read.refresh_queued is stale and read.price is not None
        assert read.price.to_api(service.stale_after_ms, service.now_ms())["stale"] is stale


def test_a_price_never_cached_queues_a_refresh_and_answers_with_its_job():
    world = MarketWorld()
    service = world.service()

    first = service.price(STOCKX, "DD1391-100", "10.5")
    again = service.price(STOCKX, "DD1391-100", "10.5")  # asked again: still the one job
    other_size = service.price(STOCKX, "DD1391-100", None)

    assert first.price is None and first.refresh_queued and first.job is not None
    assert (first.job.status, first.job.priority) == (MarketStatus.PENDING, Priority.BACKGROUND)
    assert again.job == first.job
    assert other_size.job is not None and other_size.job.id != first.job.id
    assert len(world.jobs.jobs) == 2


def _a_failed_fetch(world: MarketWorld, sku: str) -> None:
    batch = world.dispatch(sku)
    world.source.then(sku, None, ProviderNotFound("StockX answered HTTP 404"))
    world.worker().process(batch)
    assert world.jobs.stored(STOCKX, sku).status is MarketStatus.FAILED


def test_a_sku_the_provider_just_could_not_price_is_not_found_and_not_asked_again_on_every_read():
    world = MarketWorld()
    _a_failed_fetch(world, "NO-SUCH-SKU")
    service = world.service(stale_after_s=HOUR)
    calls = len(world.jobs.enqueue_calls)

    with pytest.raises(PriceNotFound) as caught:
        service.price(STOCKX, "NO-SUCH-SKU", None)

    assert isinstance(caught.value, NotFound)  # the API answers 404
    assert str(caught.value) == ("no stockx price for NO-SUCH-SKU: not found: StockX answered HTTP 404; "
                                 "a read in 60 min or a manual refresh asks again")
    assert len(world.jobs.enqueue_calls) == calls  # nothing queued, nothing written

    world.clock.advance(HOUR + 1)  # a staleness period later it is worth asking again
    read = service.price(STOCKX, "NO-SUCH-SKU", None)
    assert read.refresh_queued and read.job is not None and read.job.status is MarketStatus.PENDING


def test_a_stale_price_whose_refresh_just_failed_is_served_without_queueing_another():
    world = MarketWorld()
    cached = cache_price(world, "A", None, age_ms=2 * int(HOUR * 1000))
    _a_failed_fetch(world, "A")
    calls = len(world.jobs.enqueue_calls)

    read = world.service(stale_after_s=HOUR).price(STOCKX, "A", None)

    assert (read.price, read.refresh_queued) == (cached, False)
    assert len(world.jobs.enqueue_calls) == calls


# ---------------------------------------------------------------- the overview


def test_the_overview_shows_budgets_jobs_runs_and_batches():
    world = MarketWorld(per_hour=600, providers=(STOCKX, ALIAS))
    service = world.service()
    service.enqueue(STOCKX, [("A", None), ("B", None), ("C", None)], Priority.BACKGROUND)
    service.enqueue(ALIAS, [("A", None)], Priority.MANUAL)
    scheduler = world.scheduler(batch_size=2, stuck_after_s=HOUR)
    scheduler.run()
    world.worker().process(world.queue.take()[0])  # A and B
    world.at(30 * MINUTE)
    scheduler.run(trigger="manual")

    overview = service.overview(recent=1)

    Overview.model_validate({"ok": True, **overview})  # the documented answer
    hour_start = int(world.start * 1000)
    assert overview["budgets"] == {
        "stockx": {"limit": 600, "used": 3, "remaining": 597, "allowedNow": 310, "hourStart": hour_start},
        "alias": {"limit": 600, "used": 1, "remaining": 599, "allowedNow": 310, "hourStart": hour_start},
    }
    assert overview["jobs"]["stockx"] == {"pending": 0, "running": 1, "succeeded": 2, "failed": 0, "deferred": 0}
    assert overview["jobs"]["alias"]["running"] == 1
    assert overview["jobs"]["ebay"] == dict.fromkeys(("pending", "running", "succeeded", "failed", "deferred"), 0)
    assert [run["trigger"] for run in overview["recentRuns"]] == ["manual"]  # the newest only
    assert [(b["batchSize"], b["succeeded"], b["calls"]) for b in overview["recentBatches"]] == [(2, 2, 2)]


def test_the_overview_of_a_new_hour_starts_from_nothing_used():
    world = MarketWorld(per_hour=600)
    assert world.limiter.acquire(world.budget, 10).granted
    world.at(HOUR + 1)

    budget = world.service().overview()["budgets"]["stockx"]

    assert budget == {"limit": 600, "used": 0, "remaining": 600, "allowedNow": 10,
                      "hourStart": int((world.start + HOUR) * 1000)}


def test_reset_failed_puts_failed_jobs_back_in_the_queue():
    world = MarketWorld()
    service = world.service()
    jobs = [e.job for e in service.enqueue(STOCKX, [("A", None), ("B", None)], Priority.BACKGROUND)]
    for running in world.jobs.start(jobs, world.now()):
        assert world.jobs.settle(running, MarketStatus.FAILED, world.now(), error="credentials: 401")
    world.at(MINUTE)

    assert service.reset_failed() == 2

    again = world.jobs.queued(STOCKX, 10)
    assert [(j.sku, j.error, j.enqueued_at) for j in again] == [("A", None, world.now()), ("B", None, world.now())]
