"""Every job family announces its state changes once: the event is stored with the change, its id
comes from the change, and duplicate work recomputes the same id rather than a second event."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sellerjobs.categories.job import FetchStatus
from sellerjobs.clock import ManualClock
from sellerjobs.events.model import JobEvent
from sellerjobs.market.job import MarketStatus, Provider
from sellerjobs.market.worker import WorkerSettings
from sellerjobs.promotions.campaigns import CampaignResolver
from sellerjobs.promotions.events import events_for
from sellerjobs.promotions.ports import JobMessage
from sellerjobs.promotions.service import PromotionService
from sellerjobs.promotions.worker import PromotionWorker
from tests.unit.category_fakes import SETTINGS, ebay_error, leaf_id
from tests.unit.category_fakes import World as CategoryWorld
from tests.unit.market_fakes import MarketWorld, quote
from tests.unit.promotion_fakes import DictCampaignCache, InMemoryJobRepository, ListQueue
from tests.unit.test_service import HISTORY_S, promotion, sync_window_policy
from tests.unit.test_worker import DEFAULT_CAMPAIGN, FakeAds, policy_for, rejected


@dataclass
class ListAnnouncer:
    announced: list[JobEvent] = field(default_factory=list)

    def announce(self, events: Sequence[JobEvent]) -> None:
        self.announced += list(events)


# ---------------------------------------------------------------- promotions


@dataclass
class Promotions:
    ads: FakeAds = field(default_factory=lambda: FakeAds(campaign_of={"alice": DEFAULT_CAMPAIGN}))
    clock: ManualClock = field(default_factory=ManualClock)
    repo: InMemoryJobRepository = field(default_factory=InMemoryJobRepository)
    queue: ListQueue = field(default_factory=ListQueue)
    announcer: ListAnnouncer = field(default_factory=ListAnnouncer)

    def __post_init__(self) -> None:
        self.service = PromotionService(jobs=self.repo, queue=self.queue, policy=sync_window_policy(),
                                        clock=self.clock, events=self.announcer)
        self.worker = PromotionWorker(jobs=self.repo, queue=self.queue, ads=self.ads, policy_for=policy_for,
                                      clock=self.clock, history_s=HISTORY_S, events=self.announcer,
                                      campaigns=CampaignResolver(ads=self.ads, cache=DictCampaignCache(),
                                                                 auto_create=True, name="n", bid_percentage="5.0"))

    def due(self) -> list[JobMessage]:
        self.clock.advance(60)
        return self.queue.take_due(int(self.clock.now() * 1000))


def test_a_promotion_that_succeeds_is_announced_once_even_when_its_message_comes_twice():
    world = Promotions()
    (queued,) = world.service.enqueue("alice", [promotion("177681098666")])
    (message,) = world.due()

    world.worker.process([message])
    world.worker.process([message])  # a duplicate delivery of the same work

    (event,) = world.repo.outbox.values()
    assert event.type == "promotion.succeeded" and event.sellers == ("alice",)
    job = world.repo.get("alice", queued.job_id)
    assert job is not None and event.payload["data"] == job.to_api()
    assert world.announcer.announced == [event]


def test_a_retry_announces_nothing_and_a_failure_is_announced():
    world = Promotions(ads=FakeAds(campaign_of={"alice": DEFAULT_CAMPAIGN},
                                   respond=lambda user, campaign, ad: rejected(ad.listing_id, 35048)))
    world.service.enqueue("alice", [promotion("177681098666")])
    world.worker.process(world.due())  # not synced yet: retried
    assert world.repo.outbox == {}
    world.ads.respond = lambda user, campaign, ad: rejected(ad.listing_id, 35013)  # terminal
    world.worker.process(world.due())
    assert [e.type for e in world.repo.outbox.values()] == ["promotion.failed"]


def test_cancelling_announces_it():
    world = Promotions()
    (queued,) = world.service.enqueue("alice", [promotion("177681098666")])
    world.service.cancel("alice", queued.job_id)
    (event,) = world.announcer.announced
    assert event.type == "promotion.cancelled" and event.payload["data"]["status"] == "cancelled"


def test_the_same_change_recomputed_has_the_same_id():
    world = Promotions()
    (queued,) = world.service.enqueue("alice", [promotion("177681098666")])
    job = world.repo.get("alice", queued.job_id)
    assert job is not None
    now = int(world.clock.now() * 1000)
    succeeded, later = job.succeed("ad-1", now, HISTORY_S), job.succeed("ad-1", now + 5000, HISTORY_S)
    assert events_for(job, succeeded)[0].id == events_for(job, later)[0].id
    assert events_for(job, job.retry_later("x", 1, 1)) == []


# ---------------------------------------------------------------- category fetches


def test_a_fetch_is_announced_completed_once_and_again_after_its_failures_are_retried():
    world = CategoryWorld()
    announcer = ListAnnouncer()
    worker = replace(world.worker(), events=announcer)
    service = replace(world.service(), events=announcer)
    leaves = world.categories(3)
    job = world.add_job(leaves)
    world.taxonomy.fail_next("aspects", ebay_error(62004), on=leaf_id(1))  # fails for good
    worker.run(job.id)
    worker.run(job.id)  # a duplicate message finds nothing to do
    (completed,) = world.jobs.outbox.values()
    data = completed.payload["data"]
    assert completed.type == "category_fetch.completed" and data["status"] == "completed"
    assert (data["processed"], data["failed"], data["errors"][0]["categoryId"]) == (3, 1, leaf_id(1))

    # Its failures retried, the job finishes a second time: a second event, with an id of its own.
    service.retry_failed("alice", job.id)
    worker.run(job.id)
    assert world.jobs.stored(job.id).finishes == 2
    events = list(world.jobs.outbox.values())
    assert len(events) == 2 and events[0].id != events[1].id
    assert events[1].payload["data"]["failed"] == 0
    assert [e.type for e in announcer.announced] == ["category_fetch.completed"] * 2


def test_progress_is_announced_at_most_once_a_minute_while_a_fetch_runs():
    world = CategoryWorld()
    worker = world.worker(replace(SETTINGS, spacing_s=0.5))
    job = world.add_job(world.categories(500))  # 250 s of calls: five runs of 50 s
    worker.run(job.id)
    for _ in range(20):
        messages = world.queue.take()
        if not messages:
            break
        for message in messages:
            worker.run(message.job_id)
    progress = sorted((e for e in world.jobs.outbox.values() if e.type == "category_fetch.progress"),
                      key=lambda e: e.occurred_at)
    assert len(progress) >= 3
    gaps = [b.occurred_at - a.occurred_at for a, b in itertools.pairwise(progress)]
    assert all(gap >= 60_000 for gap in gaps)
    counts = [e.payload["data"]["processed"] for e in progress]
    assert counts == sorted(counts) and 0 < counts[0] < 500
    assert world.jobs.stored(job.id).status is FetchStatus.COMPLETED


def test_cancelling_a_fetch_announces_it():
    world = CategoryWorld()
    announcer = ListAnnouncer()
    service = replace(world.service(), events=announcer)
    job = world.add_job(world.categories(3))
    service.cancel("alice", job.id)
    (event,) = announcer.announced
    assert event.type == "category_fetch.cancelled" and event.sellers == ("alice",)


# ---------------------------------------------------------------- market data


def test_a_new_price_is_announced_to_every_seller_who_asked_while_the_job_waited():
    world = MarketWorld(per_hour=3600)
    service = world.service()
    service.enqueue(Provider.STOCKX, [("DD1391-100", "10")], 150, seller="alice")
    service.enqueue(Provider.STOCKX, [("DD1391-100", "10")], 100, seller="bob")  # deduplicated, bob recorded
    service.price(Provider.STOCKX, "DD1391-100", "10", seller="carol")  # read while it waits
    world.source.then("DD1391-100", "10", quote(ask="110.00"))
    batch = world.dispatch("DD1391-100", size="10")
    announcer = ListAnnouncer()
    worker = replace(world.worker(WorkerSettings()), events=announcer)

    worker.process(batch)
    worker.process(batch)  # redelivered: the job was settled, nothing more

    (event,) = world.jobs.outbox.values()
    assert event.type == "market.price_updated" and event.sellers == ("alice", "bob", "carol")
    assert event.payload["data"]["lowestAsk"] == "110.00" and event.payload["data"]["stale"] is False
    assert "askedBy" not in world.jobs.stored(Provider.STOCKX, "DD1391-100", "10").to_api()
    assert announcer.announced == [event]


def test_a_seller_asking_while_the_job_runs_is_told_too():
    world = MarketWorld(per_hour=3600)
    service = world.service()
    service.enqueue(Provider.STOCKX, [("DD1391-100", None)], 150, seller="alice")
    batch = world.dispatch("DD1391-100")
    world.source.then("DD1391-100", None, quote())
    # bob queues the item after the worker read the job, just before it settles it
    world.jobs.before_settle = lambda job: service.enqueue(Provider.STOCKX, [("DD1391-100", None)], 100,
                                                           seller="bob")
    world.worker().process(batch)
    (event,) = world.jobs.outbox.values()
    assert event.sellers == ("alice", "bob")
    assert world.jobs.stored(Provider.STOCKX, "DD1391-100").status is MarketStatus.SUCCEEDED


def test_a_failed_market_job_is_announced_with_the_job():
    from sellerjobs.market.quotes import ProviderNotFound

    world = MarketWorld(per_hour=3600)
    world.service().enqueue(Provider.STOCKX, [("NOPE-1", None)], 100, seller="alice")
    world.source.then("NOPE-1", None, ProviderNotFound("no such sku"))
    world.worker().process(world.dispatch("NOPE-1"))
    (event,) = world.jobs.outbox.values()
    assert event.type == "market.job_failed" and event.payload["data"]["status"] == "failed"
    assert event.sellers == ("alice",)

