"""Each seller's share of a provider's hour: manual refreshes and first reads, and nobody else notices."""

from __future__ import annotations

import pytest

from sellerjobs.market.job import CachedPrice, MarketStatus, Priority, Provider
from sellerjobs.market.ports import Enqueued
from sellerjobs.market.share import ShareUsed
from tests.unit.market_fakes import HOUR, MINUTE, MarketWorld, quote

STOCKX = Provider.STOCKX



def refresh(world: MarketWorld, seller: str, *skus: str, share: float = 0.1,
            dispatch: bool = False) -> list[Enqueued]:
    service = world.service(seller_share=share, dispatch=dispatch)
    return service.enqueue(STOCKX, [(sku, None) for sku in skus], Priority.MANUAL, seller)


def test_a_sellers_manual_refreshes_stop_at_its_share_of_the_hour_with_a_retry_after():
    world = MarketWorld(per_hour=100)
    # 10% of StockX's 100 calls an hour: ten items.
    refresh(world, "alice", *[f"SKU-{i}" for i in range(10)])
    world.at(10 * MINUTE)
    before = dict(world.jobs.jobs)

    with pytest.raises(ShareUsed) as refused:
        refresh(world, "alice", "ONE-MORE")

    assert refused.value.retry_after_s == pytest.approx(50 * MINUTE)  # when the next clock hour starts
    assert refused.value.field == "provider" and "10 calls" in str(refused.value)
    assert world.jobs.jobs == before  # nothing queued


def test_another_seller_does_not_notice():
    world = MarketWorld(per_hour=100)
    refresh(world, "alice", *[f"SKU-{i}" for i in range(10)])

    (queued,) = refresh(world, "bob", "BOBS-SKU")

    assert queued.created and queued.job.priority == Priority.MANUAL


def test_the_share_comes_back_with_the_next_hour():
    world = MarketWorld(per_hour=100)
    refresh(world, "alice", *[f"SKU-{i}" for i in range(10)])
    world.at(HOUR + 1)

    (queued,) = refresh(world, "alice", "NEXT-HOUR")

    assert queued.created


def test_a_refresh_of_items_already_going_out_first_costs_nothing():
    world = MarketWorld(per_hour=100)
    refresh(world, "bob", "A", "B")  # waiting at 200 already
    refresh(world, "alice", *[f"SKU-{i}" for i in range(9)])

    # Nine of alice's ten calls are spent; refreshing what already waits at 200 is free.
    results = refresh(world, "alice", "A", "B", "SKU-LAST")

    assert [(r.created, r.raised) for r in results] == [(False, False), (False, False), (True, False)]
    with pytest.raises(ShareUsed):
        refresh(world, "alice", "ONE-TOO-MANY")


def test_raising_a_waiting_background_job_costs_a_call_but_a_running_one_does_not():
    world = MarketWorld(per_hour=10)  # 10% of 10: one call
    world.enqueue("WAITING", priority=Priority.BACKGROUND)
    (running,) = world.enqueue("RUNNING", priority=Priority.BACKGROUND)
    world.jobs.start([running], world.now())

    refresh(world, "alice", "RUNNING")  # nothing goes out sooner: free
    refresh(world, "alice", "WAITING")  # jumps the queue: the one call

    with pytest.raises(ShareUsed):
        refresh(world, "alice", "ANOTHER")


def test_reads_of_items_nobody_priced_count_against_the_readers_share_but_stale_prices_are_always_served():
    world = MarketWorld(per_hour=100)
    service = world.service(seller_share=0.1)  # ten calls: five first reads, a catalog lookup and a price each
    stale = CachedPrice(provider=STOCKX, sku="KNOWN", size=None, quote=quote(),
                        updated_at=world.now() - int(2 * HOUR * 1000))
    world.prices.put(stale)
    for i in range(5):
        assert service.price(STOCKX, f"UNKNOWN-{i}", None, "alice").refresh_queued

    with pytest.raises(ShareUsed):
        service.price(STOCKX, "UNKNOWN-5", None, "alice")
    assert service.price(STOCKX, "KNOWN", None, "alice").price == stale  # a stale price: served, refreshed
    assert service.price(STOCKX, "UNKNOWN-5", None, "bob").refresh_queued  # bob's share is untouched
    assert world.jobs.stored(STOCKX, "UNKNOWN-5").status is MarketStatus.PENDING


def test_an_operator_set_share_replaces_the_default():
    world = MarketWorld(per_hour=100)
    service = world.service(seller_share=0.1)

    assert service.set_seller_share(0.02) == 0.02
    refresh(world, "alice", "A", "B")
    with pytest.raises(ShareUsed):
        refresh(world, "alice", "C")
    assert service.overview()["sellerShare"] == 0.02


def test_a_manual_refresh_goes_out_at_once_when_the_budget_allows():
    world = MarketWorld(per_hour=600, reserve=5)
    world.enqueue(*[f"BACKLOG-{i}" for i in range(50)], priority=Priority.BACKGROUND)
    world.scheduler().run()  # the backlog takes what the scheduler may give it now
    world.at(30)

    (queued,) = refresh(world, "alice", "NOW", share=0.5, dispatch=True)

    assert queued.job.status is MarketStatus.RUNNING  # not waiting for the next minute's scheduler run
    assert world.queue.sent[-1].keys == (queued.job.key,)


def test_a_manual_refresh_the_budget_cannot_take_now_waits_for_the_scheduler():
    world = MarketWorld(per_hour=60)  # one call a minute, nothing in reserve
    world.enqueue(*[f"BACKLOG-{i}" for i in range(5)], priority=Priority.BACKGROUND)
    world.scheduler().run()

    (queued,) = refresh(world, "alice", "LATER", share=1.0, dispatch=True)

    assert queued.job.status is MarketStatus.PENDING and queued.job.priority == Priority.MANUAL
    world.at(MINUTE)
    world.scheduler().run()
    assert world.jobs.stored(STOCKX, "LATER").status is MarketStatus.RUNNING
