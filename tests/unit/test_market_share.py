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


# 10% of StockX's 100 calls an hour is ten calls, spread over the hour the way the provider's
# budget is: two at once (at least one first read's worth), then one every six minutes.
SHARE_FULL = 54 * MINUTE  # by then the whole hour's share is allowed


def test_a_sellers_share_is_spread_over_the_hour_and_past_it_the_seller_gets_a_retry_after():
    world = MarketWorld(per_hour=100)
    refresh(world, "alice", "SKU-1", "SKU-2")
    before = dict(world.jobs.jobs)

    with pytest.raises(ShareUsed) as refused:
        refresh(world, "alice", "ONE-MORE")

    assert refused.value.retry_after_s == pytest.approx(6 * MINUTE)  # the next call of the flow
    assert refused.value.field == "provider" and "10 calls an hour" in str(refused.value)
    assert world.jobs.jobs == before  # nothing queued
    world.at(6 * MINUTE)
    (queued,) = refresh(world, "alice", "ONE-MORE")
    assert queued.created


def test_a_sellers_manual_refreshes_stop_at_its_share_of_the_hour():
    world = MarketWorld(per_hour=100)
    world.at(SHARE_FULL)
    refresh(world, "alice", *[f"SKU-{i}" for i in range(10)])
    before = dict(world.jobs.jobs)

    with pytest.raises(ShareUsed) as refused:
        refresh(world, "alice", "ONE-MORE")

    assert refused.value.retry_after_s == pytest.approx(HOUR - SHARE_FULL)  # when the next clock hour starts
    assert world.jobs.jobs == before


def test_a_seller_spending_its_share_early_leaves_the_providers_hour_to_the_others():
    world = MarketWorld(per_hour=100, reserve=5)
    service = world.service(seller_share=0.2)  # 20 calls an hour, two at once
    world.at(5 * MINUTE)
    accepted = 0
    for i in range(100):  # reads of items nobody priced: a catalog lookup and a price each
        try:
            service.price(STOCKX, f"UNKNOWN-{i}", None, "reader")
            accepted += 1
        except ShareUsed:
            pass

    # 20% of what StockX allows after five minutes (7 + 8 calls): three calls, one first read.
    assert accepted == 1
    # The others' burst of refreshes a few minutes later still finds the hour's unspent calls.
    world.at(11 * MINUTE)
    free = world.budget.allowance(world.clock.now()) - world.used()
    others = [refresh(world, f"seller-{n}", f"SKU-{n}", share=0.2, dispatch=True)[0] for n in range(5)]
    assert free >= 5 + 2 * accepted
    assert all(r.job.status is MarketStatus.RUNNING for r in others)


def test_a_manual_refresh_may_take_the_manual_burst_at_once_but_reads_only_get_the_flow():
    world = MarketWorld(per_hour=100, reserve=5)  # StockX: 7 calls at once, 5 of them kept for refreshes
    service = world.service(seller_share=0.2)  # 2 calls at once, + 5 for a manual refresh

    assert len(refresh(world, "alice", *[f"SKU-{i}" for i in range(7)], share=0.2)) == 7
    assert service.price(STOCKX, "UNKNOWN-0", None, "bob").refresh_queued  # a first read: two calls
    with pytest.raises(ShareUsed):
        service.price(STOCKX, "UNKNOWN-1", None, "bob")  # the next two would dig into the refreshes' burst
    (queued,) = refresh(world, "bob", "BOB-0", share=0.2)  # its manual burst is untouched
    assert queued.created


def test_another_seller_does_not_notice():
    world = MarketWorld(per_hour=100)
    world.at(SHARE_FULL)
    refresh(world, "alice", *[f"SKU-{i}" for i in range(10)])

    (queued,) = refresh(world, "bob", "BOBS-SKU")

    assert queued.created and queued.job.priority == Priority.MANUAL


def test_the_share_comes_back_with_the_next_hour():
    world = MarketWorld(per_hour=100)
    world.at(SHARE_FULL)
    refresh(world, "alice", *[f"SKU-{i}" for i in range(10)])
    world.at(HOUR + 1)

    (queued,) = refresh(world, "alice", "NEXT-HOUR")

    assert queued.created


def test_a_refresh_of_items_already_going_out_first_costs_nothing():
    world = MarketWorld(per_hour=100)
    world.at(SHARE_FULL)
    refresh(world, "bob", "A", "B")  # waiting at 200 already
    refresh(world, "alice", *[f"SKU-{i}" for i in range(9)])

    # Nine of alice's ten calls are spent; refreshing what already waits at 200 is free.
    results = refresh(world, "alice", "A", "B", "SKU-LAST")

    assert [(r.created, r.raised) for r in results] == [(False, False), (False, False), (True, False)]
    with pytest.raises(ShareUsed):
        refresh(world, "alice", "ONE-TOO-MANY")


def test_raising_a_waiting_background_job_costs_a_call_but_a_running_one_does_not():
    world = MarketWorld(per_hour=10)  # 10% of 10: one call (a first read's worth at once: two)
    world.enqueue("WAITING", priority=Priority.BACKGROUND)
    (running,) = world.enqueue("RUNNING", priority=Priority.BACKGROUND)
    world.jobs.start([running], world.now())

    refresh(world, "alice", "RUNNING")  # nothing goes out sooner: free
    refresh(world, "alice", "WAITING")  # jumps the queue: the one call

    with pytest.raises(ShareUsed):
        refresh(world, "alice", "ANOTHER")


def test_reads_of_items_nobody_priced_count_against_the_readers_share_but_stale_prices_are_always_served():
    world = MarketWorld(per_hour=100)
    world.at(SHARE_FULL)
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

    assert service.set_seller_share(0.02) == 0.02  # two calls an hour
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
