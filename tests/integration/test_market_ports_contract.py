"""The market ports' contract: the in-memory fakes the unit tests use and the DynamoDB adapters
(on moto) answer every call alike, so a unit test of the market domain tests what runs in AWS."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest
from moto import mock_aws

from local.aws import provision
from local.template import Template
from sellerjobs.aws import clients
from sellerjobs.aws.events import DynamoEventStore, OutboxItems
from sellerjobs.aws.market import DynamoCatalogCache, DynamoMarketJobs, DynamoPriceCache, DynamoShareSettings
from sellerjobs.clock import ManualClock
from sellerjobs.errors import Invalid
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.history import Note
from sellerjobs.market.job import CachedPrice, MarketJob, MarketStatus, Priority, Provider, Quote
from sellerjobs.market.ports import BatchMetrics, MarketFilter, MarketJobs, PriceCache, SchedulerRun, ShareSettings
from sellerjobs.market.quotes import CatalogCache
from tests.integration.test_market import just_before
from tests.unit.market_fakes import InMemoryMarketJobs, InMemoryPriceCache, InMemoryShareSettings
from tests.unit.provider_fakes import MemoryCatalog

NOW = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
STOCKX, ALIAS, EBAY = Provider.STOCKX, Provider.ALIAS, Provider.EBAY
PENDING, RUNNING, SUCCEEDED, FAILED, DEFERRED = (MarketStatus.PENDING, MarketStatus.RUNNING,
                                                 MarketStatus.SUCCEEDED, MarketStatus.FAILED, MarketStatus.DEFERRED)


@dataclass
class Ports:
    jobs: MarketJobs
    prices: PriceCache
    shares: ShareSettings
    catalog: CatalogCache
    stored_events: Callable[[Sequence[str]], set[str]]  # which of these event ids the outbox holds


def in_memory() -> Iterator[Ports]:
    jobs = InMemoryMarketJobs()
    yield Ports(jobs=jobs, prices=InMemoryPriceCache(), shares=InMemoryShareSettings(), catalog=MemoryCatalog(),
                stored_events=lambda ids: set(ids) & set(jobs.outbox))


@functools.cache
def market_tables() -> Template:
    """Only the tables these adapters use, as the template declares them."""
    resources = Template.read().resources
    return Template({"Resources": {name: resources[name] for name in ("MarketTable", "EventsTable")}})


def dynamodb() -> Iterator[Ports]:
    with mock_aws():
        clients.reset()  # no client made before moto started may reach these tables
        try:
            stack = provision(market_tables())
            table, events = stack.table_name("MarketTable"), stack.table_name("EventsTable")
            store = DynamoEventStore(events)
            yield Ports(jobs=DynamoMarketJobs(table, outbox=OutboxItems(events)), prices=DynamoPriceCache(table),
                        shares=DynamoShareSettings(table),
                        catalog=DynamoCatalogCache(table, ManualClock(NOW / 1000)),
                        stored_events=lambda ids: set(store.get_many(list(ids))))
        finally:
            clients.reset()


@pytest.fixture(params=["in-memory", "dynamodb"])
def ports(request: pytest.FixtureRequest) -> Iterator[Ports]:
    yield from (in_memory() if request.param == "in-memory" else dynamodb())


@pytest.fixture
def jobs(ports: Ports) -> MarketJobs:
    return ports.jobs


@pytest.fixture
def adapter() -> Iterator[Ports]:
    """The DynamoDB adapters alone, for what only they face: writers racing between read and write."""
    yield from dynamodb()


def one(jobs: MarketJobs, sku: str = "DD1391-100", size: str | None = "10", *, priority: int = Priority.HOT,
        now: int = NOW, seller: str | None = None, provider: Provider = STOCKX) -> MarketJob:
    (result,) = jobs.enqueue(provider, [(sku, size)], priority, now, seller)
    return result.job


def stored(jobs: MarketJobs, job: MarketJob) -> MarketJob:
    return jobs.get_many([job.key])[job.key]


def finished(jobs: MarketJobs, job: MarketJob, status: MarketStatus, now: int, error: str | None = None) -> MarketJob:
    (running,) = jobs.start([job], now)
    assert jobs.settle(running, status, now, error=error)
    return stored(jobs, running)


def summary(job: MarketJob) -> tuple[str, int, str, int]:
    return job.sku, job.priority, job.status.value, job.version


# ---------------------------------------------------------------- enqueue


def test_an_item_without_a_job_gets_a_new_pending_job(jobs):
    (result,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.HOT, NOW, "alice")

    assert (result.created, result.raised) == (True, False)
    job = result.job
    assert (job.provider, job.sku, job.size, job.priority, job.status) == (STOCKX, "DD1391-100", "10",
                                                                          Priority.HOT, PENDING)
    assert (job.enqueued_at, job.updated_at, job.version, job.retry_count, job.error) == (NOW, NOW, 0, 0, None)
    assert job.asked_by == frozenset({"alice"})
    assert stored(jobs, job) == job


def test_the_same_item_again_is_the_same_job_and_nothing_changes(jobs):
    first = one(jobs)

    (again,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.HOT, NOW + MINUTE)

    assert (again.created, again.raised, again.job) == (False, False, first)
    assert stored(jobs, first) == first


def test_a_higher_priority_raises_the_job_in_place(jobs):
    first = one(jobs, priority=Priority.BACKGROUND)

    (raised,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.MANUAL, NOW + MINUTE)

    assert (raised.created, raised.raised) == (False, True)
    assert raised.job == replace(first, priority=Priority.MANUAL, updated_at=NOW + MINUTE, version=1)
    assert stored(jobs, first) == raised.job


def test_a_lower_priority_never_lowers_the_job(jobs):
    first = one(jobs, priority=Priority.MANUAL)

    (lower,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.BACKGROUND, NOW + MINUTE)

    assert (lower.created, lower.raised, lower.job) == (False, False, first)
    assert stored(jobs, first).priority == Priority.MANUAL


def test_a_running_job_is_raised_and_stays_running(jobs):
    (running,) = jobs.start([one(jobs, priority=Priority.BACKGROUND)], NOW)

    (raised,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.MANUAL, NOW + MINUTE)

    assert (raised.created, raised.raised) == (False, True)
    assert summary(stored(jobs, running)) == ("DD1391-100", Priority.MANUAL, "running", running.version + 1)
    assert jobs.queued(STOCKX, 10) == []


def test_every_seller_who_asks_is_added_to_asked_by(jobs):
    first = one(jobs, seller="alice")

    (bob,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.BACKGROUND, NOW + MINUTE, "bob")
    (alice,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.HOT, NOW + MINUTE, "alice")
    (carol,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.MANUAL, NOW + 2 * MINUTE, "carol")

    assert (bob.created, bob.raised, bob.job.version, bob.job.priority) == (False, False, 1, Priority.HOT)
    assert bob.job.updated_at == first.updated_at  # not a status change
    assert alice.job == bob.job  # already asking: nothing written
    assert (carol.raised, carol.job.version) == (True, 2)
    assert stored(jobs, first).asked_by == frozenset({"alice", "bob", "carol"})


@pytest.mark.parametrize("status", [SUCCEEDED, FAILED])
def test_a_finished_job_is_replaced_by_a_new_job_with_the_next_version(jobs, status):
    old = finished(jobs, one(jobs, seller="alice"), status, NOW, error="gave up" if status is FAILED else None)

    (again,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.BACKGROUND, NOW + MINUTE, "bob")

    assert again.created
    job = again.job
    assert job.id != old.id
    assert (job.status, job.version, job.priority, job.error) == (PENDING, old.version + 1, Priority.BACKGROUND, None)
    assert (job.enqueued_at, job.updated_at, job.asked_by) == (NOW + MINUTE, NOW + MINUTE, frozenset({"bob"}))
    assert stored(jobs, job) == job
    assert jobs.counts()["stockx"] == {"pending": 1, "running": 0, "succeeded": 0, "failed": 0, "deferred": 0}


def test_a_stale_write_over_a_replaced_job_is_refused(jobs):
    (running,) = jobs.start([one(jobs)], NOW)
    assert jobs.settle(running, SUCCEEDED, NOW)
    jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.HOT, NOW + MINUTE)

    assert not jobs.settle(running, FAILED, NOW + MINUTE, error="late")  # the old job's delivery, again
    assert stored(jobs, running).status is PENDING


def test_the_same_item_twice_in_one_call_is_one_job_answered_once(jobs):
    items: list[tuple[str, str | None]] = [("A", "9"), ("B", None), ("A", "9"), ("B", "")]

    results = jobs.enqueue(STOCKX, items, Priority.HOT, NOW)

    assert [(r.job.sku, r.job.size, r.created) for r in results] == [("A", "9", True), ("B", None, True)]
    assert jobs.counts()["stockx"]["pending"] == 2


def test_one_call_answers_in_the_order_of_the_items_whatever_each_did(jobs):
    one(jobs, "B", None, priority=Priority.BACKGROUND)
    one(jobs, "C", None, priority=Priority.MANUAL)

    results = jobs.enqueue(STOCKX, [("C", None), ("A", None), ("B", None)], Priority.HOT, NOW + MINUTE)

    assert [(r.job.sku, r.created, r.raised) for r in results] == [("C", False, False), ("A", True, False),
                                                                  ("B", False, True)]


def test_the_same_sku_at_another_provider_or_size_is_another_job(jobs):
    first = one(jobs, "A", "9")

    others = [one(jobs, "A", "9", provider=ALIAS), one(jobs, "A", "10"), one(jobs, "A", None)]

    assert len({first.id, *(job.id for job in others)}) == 4
    assert jobs.counts()["stockx"]["pending"] == 3
    assert jobs.counts()["alias"]["pending"] == 1


def test_more_items_than_one_transaction_holds_are_all_queued(jobs):
    items: list[tuple[str, str | None]] = [(f"SKU-{i:03d}", None) for i in range(150)]

    results = jobs.enqueue(EBAY, items, Priority.BACKGROUND, NOW)

    assert [r.job.sku for r in results] == [sku for sku, _ in items]
    assert all(r.created for r in results)
    assert jobs.counts()["ebay"]["pending"] == 150


def test_a_job_raised_by_someone_else_between_the_read_and_the_write_is_read_again(adapter):
    jobs = adapter.jobs
    first = one(jobs, priority=Priority.BACKGROUND)
    other = functools.partial(jobs.enqueue, STOCKX, [("DD1391-100", "10")], Priority.MANUAL, NOW + 1, "bob")

    with just_before("TransactWriteItems", other) as overtaken:
        (result,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.HOT, NOW + 2, "alice")

    assert overtaken[0]
    assert (result.created, result.raised) == (False, False)  # read again: already higher, alice added
    assert (result.job.id, result.job.priority, result.job.version) == (first.id, Priority.MANUAL, 2)
    assert stored(jobs, first).asked_by == frozenset({"alice", "bob"})


def test_a_job_finished_between_the_read_and_the_write_is_replaced_and_counted_once(adapter):
    jobs = adapter.jobs
    (running,) = jobs.start([one(jobs, priority=Priority.BACKGROUND)], NOW)

    with just_before("TransactWriteItems", lambda: jobs.settle(running, SUCCEEDED, NOW + 1)) as overtaken:
        (result,) = jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.MANUAL, NOW + 2)

    assert overtaken[0]
    assert (result.created, result.job.status, result.job.version) == (True, PENDING, running.version + 2)
    assert result.job.id != running.id
    assert jobs.counts()["stockx"] == {"pending": 1, "running": 0, "succeeded": 0, "failed": 0, "deferred": 0}


# ---------------------------------------------------------------- get_many


def test_get_many_finds_the_jobs_it_has_and_leaves_out_the_others(jobs):
    a, b = one(jobs, "A", None), one(jobs, "B", None)

    found = jobs.get_many([a.key, "stockx|NOPE|", b.key, a.key])

    assert found == {a.key: a, b.key: b}
    assert jobs.get_many([]) == {}


# ---------------------------------------------------------------- queued


def test_queued_reads_highest_priority_first_then_oldest_then_by_key(jobs):
    one(jobs, "OLD-BG", None, priority=Priority.BACKGROUND, now=NOW)
    one(jobs, "NEW-MANUAL", None, priority=Priority.MANUAL, now=NOW + 2 * MINUTE)
    one(jobs, "B-HOT", None, priority=Priority.HOT, now=NOW + MINUTE)
    one(jobs, "A-HOT", None, priority=Priority.HOT, now=NOW + MINUTE)
    one(jobs, "OLDER-HOT", None, priority=Priority.HOT, now=NOW)
    one(jobs, "OTHER-PROVIDER", None, priority=Priority.MANUAL, provider=ALIAS)

    queued = jobs.queued(STOCKX, 10)

    assert [j.sku for j in queued] == ["NEW-MANUAL", "OLDER-HOT", "A-HOT", "B-HOT", "OLD-BG"]
    assert [j.sku for j in jobs.queued(STOCKX, 2)] == ["NEW-MANUAL", "OLDER-HOT"]
    assert jobs.queued(STOCKX, 0) == []


def test_queued_keeps_to_the_priority_bounds_inclusive(jobs):
    for priority in (99, 100, 150, 200, 201):
        one(jobs, f"P{priority}", None, priority=priority)

    assert [j.priority for j in jobs.queued(STOCKX, 10, min_priority=100, max_priority=200)] == [200, 150, 100]
    assert [j.priority for j in jobs.queued(STOCKX, 10, max_priority=149)] == [100, 99]
    assert [j.priority for j in jobs.queued(STOCKX, 10, min_priority=201)] == [201]
    assert jobs.queued(STOCKX, 10, min_priority=151, max_priority=199) == []


def test_queued_holds_pending_and_deferred_jobs_only(jobs):
    one(jobs, "PENDING", None)
    (running,) = jobs.start([one(jobs, "DEFERRED", None)], NOW)
    assert jobs.settle(running, DEFERRED, NOW + 1)
    jobs.start([one(jobs, "RUNNING", None)], NOW)
    finished(jobs, one(jobs, "DONE", None), SUCCEEDED, NOW)

    assert sorted(j.sku for j in jobs.queued(STOCKX, 10)) == ["DEFERRED", "PENDING"]


def test_a_raised_job_moves_up_the_queue_and_keeps_its_place_by_age(jobs):
    one(jobs, "OLD", None, priority=Priority.BACKGROUND, now=NOW)
    one(jobs, "NEW", None, priority=Priority.MANUAL, now=NOW + MINUTE)

    jobs.enqueue(STOCKX, [("OLD", None)], Priority.MANUAL, NOW + 2 * MINUTE)

    assert [j.sku for j in jobs.queued(STOCKX, 10)] == ["OLD", "NEW"]


# ---------------------------------------------------------------- start and settle


def test_start_runs_the_jobs_still_as_read(jobs):
    a, b = one(jobs, "A", None), one(jobs, "B", None)

    started = jobs.start([a, b], NOW + MINUTE)

    assert [(j.sku, j.status, j.started_at, j.updated_at, j.version) for j in started] == [
        ("A", RUNNING, NOW + MINUTE, NOW + MINUTE, 1), ("B", RUNNING, NOW + MINUTE, NOW + MINUTE, 1)]
    assert stored(jobs, a).status is RUNNING
    assert jobs.counts()["stockx"]["running"] == 2


def test_start_refuses_a_stale_version_and_starts_the_rest(jobs):
    a, b = one(jobs, "A", None), one(jobs, "B", None)
    jobs.enqueue(STOCKX, [("A", None)], Priority.MANUAL, NOW + 1)  # raised since it was read

    started = jobs.start([a, b], NOW + MINUTE)

    assert [j.sku for j in started] == ["B"]
    assert stored(jobs, a).status is PENDING
    assert jobs.start([b], NOW + 2 * MINUTE) == []  # started already


def test_start_reads_from_the_queue_index_are_started_too(jobs):
    one(jobs, "A", None)

    started = jobs.start(jobs.queued(STOCKX, 10), NOW + MINUTE)

    assert [j.sku for j in started] == ["A"]
    assert stored(jobs, started[0]).status is RUNNING


def test_settle_moves_a_running_job_and_records_the_attempt(jobs):
    (running,) = jobs.start([one(jobs)], NOW)

    assert jobs.settle(running, FAILED, NOW + MINUTE, error="not found: gone", retries=2,
                       note=Note(http_status=404, provider="stockx"))

    job = stored(jobs, running)
    assert (job.status, job.error, job.retry_count, job.completed_at, job.started_at, job.version) == (
        FAILED, "not found: gone", 2, NOW + MINUTE, None, running.version + 1)
    assert job.history is not None
    assert [(e.outcome, e.attempt, e.http_status, e.message) for e in job.history] == [
        ("failed", 3, 404, "not found: gone")]
    assert jobs.counts()["stockx"] == {"pending": 0, "running": 0, "succeeded": 0, "failed": 1, "deferred": 0}


def test_settle_refuses_a_stale_version_and_stores_no_events(ports, jobs):
    (running,) = jobs.start([one(jobs)], NOW)
    first = JobEvent.create("market.price.changed", ["1"], NOW, {"sku": "DD1391-100"}, ["alice"])
    second = JobEvent.create("market.price.changed", ["2"], NOW, {"sku": "DD1391-100"}, ["alice"])

    assert jobs.settle(running, SUCCEEDED, NOW + 1, events=[first])
    assert not jobs.settle(running, FAILED, NOW + 2, error="late", events=[second])  # a duplicate delivery

    assert stored(jobs, running).status is SUCCEEDED
    assert ports.stored_events([first.id, second.id]) == {first.id}


def test_settle_refuses_a_job_changed_since_it_was_read(jobs):
    (running,) = jobs.start([one(jobs, seller="alice")], NOW)
    jobs.enqueue(STOCKX, [("DD1391-100", "10")], Priority.HOT, NOW + 1, "bob")  # bob asks while it runs

    assert not jobs.settle(running, SUCCEEDED, NOW + 2)

    again = stored(jobs, running)
    assert again.asked_by == frozenset({"alice", "bob"})
    assert jobs.settle(again, SUCCEEDED, NOW + 3)


def test_a_deferred_job_goes_back_to_the_queue_keeping_its_age(jobs):
    (running,) = jobs.start([one(jobs, now=NOW)], NOW + MINUTE)

    assert jobs.settle(running, DEFERRED, NOW + 2 * MINUTE, error="throttled")

    (queued,) = jobs.queued(STOCKX, 10)
    assert (queued.status, queued.enqueued_at, queued.started_at, queued.completed_at) == (DEFERRED, NOW, None, None)


# ---------------------------------------------------------------- stuck


def test_stuck_lists_jobs_running_since_before_a_time_oldest_first(jobs):
    jobs.start([one(jobs, "LATE", None)], NOW + 3 * MINUTE)
    jobs.start([one(jobs, "FIRST", None)], NOW)
    jobs.start([one(jobs, "SECOND", None)], NOW + MINUTE)
    one(jobs, "WAITING", None)

    assert [j.sku for j in jobs.stuck(NOW + 2 * MINUTE, 10)] == ["FIRST", "SECOND"]
    assert [j.sku for j in jobs.stuck(NOW + 2 * MINUTE, 1)] == ["FIRST"]
    assert jobs.stuck(NOW, 10) == []  # started at the time itself: not before it


# ---------------------------------------------------------------- page


def several(jobs: MarketJobs) -> None:
    """Six jobs of two providers changed a minute apart, two of them failed, one succeeded."""
    made = {sku: one(jobs, sku, None, provider=provider, now=NOW + i * MINUTE) for i, (sku, provider) in enumerate(
        [("A", STOCKX), ("B", ALIAS), ("C", STOCKX), ("D", ALIAS), ("E", STOCKX), ("F", STOCKX)])}
    finished(jobs, made["C"], FAILED, NOW + 10 * MINUTE, error="credentials: 401")
    finished(jobs, made["D"], FAILED, NOW + 11 * MINUTE, error="not found: gone")
    finished(jobs, made["E"], SUCCEEDED, NOW + 12 * MINUTE)


def every_page(read: Callable[[str | None], Any]) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = read(cursor)
        pages.append([j.sku for j in page.jobs])
        cursor = page.cursor
        if cursor is None or len(pages) > 20:
            return pages


def test_a_page_of_one_status_is_newest_first(jobs):
    several(jobs)

    assert [j.sku for j in jobs.page(PENDING, None, 10, None).jobs] == ["F", "B", "A"]
    assert [j.sku for j in jobs.page(FAILED, None, 10, None).jobs] == ["D", "C"]
    assert [j.sku for j in jobs.page(FAILED, ALIAS, 10, None).jobs] == ["D"]
    assert jobs.page(RUNNING, None, 10, None).jobs == []


def test_a_page_without_a_status_lists_every_status_newest_first(jobs):
    several(jobs)

    assert [j.sku for j in jobs.page(None, None, 10, None).jobs] == ["E", "D", "C", "F", "B", "A"]
    assert [j.sku for j in jobs.page(None, STOCKX, 10, None).jobs] == ["E", "C", "F", "A"]


@pytest.mark.parametrize(("status", "provider", "expected"), [
    (None, None, ["E", "D", "C", "F", "B", "A"]),
    (PENDING, None, ["F", "B", "A"]),
    (None, STOCKX, ["E", "C", "F", "A"]),
    (PENDING, STOCKX, ["F", "A"]),
])
def test_pages_go_through_every_job_once_in_order(jobs, status, provider, expected):
    several(jobs)

    pages = every_page(lambda cursor: jobs.page(status, provider, 2, cursor))

    assert [sku for page in pages for sku in page] == expected
    assert all(len(page) <= 2 for page in pages)


def test_index_reads_hold_neither_history_nor_sellers(jobs):
    finished(jobs, one(jobs, "DONE", None, seller="alice"), FAILED, NOW, error="gave up")
    jobs.start([one(jobs, "RUNNING", None, seller="alice")], NOW)
    one(jobs, "WAITING", None, seller="alice")

    read = [*jobs.page(None, None, 10, None).jobs, *jobs.search(MarketFilter(), 10, None).jobs,
            *jobs.queued(STOCKX, 10), *jobs.stuck(NOW + 1, 10)]

    assert len(read) == 8
    assert {(job.history, job.asked_by) for job in read} == {(None, frozenset())}


def test_a_job_moved_from_an_index_read_keeps_its_history_and_sellers(jobs):
    (running,) = jobs.start([one(jobs, seller="alice")], NOW)
    assert jobs.settle(running, FAILED, NOW + 1, error="gave up", note=Note(http_status=500))

    assert jobs.reset_failed(NOW + MINUTE, 10) == 1  # reads the failed job from an index
    (queued,) = jobs.queued(STOCKX, 10)
    (started,) = jobs.start([queued], NOW + 2 * MINUTE)
    assert jobs.settle(started, SUCCEEDED, NOW + 3 * MINUTE)

    job = stored(jobs, running)
    assert (job.status, job.version, job.asked_by) == (SUCCEEDED, running.version + 4, frozenset({"alice"}))
    assert job.history is not None
    assert [(e.outcome, e.http_status) for e in job.history] == [("failed", 500)]


@pytest.mark.parametrize("cursor", ["nonsense", "MTIz", "!!!"])
def test_a_page_refuses_a_cursor_it_did_not_give(jobs, cursor):
    one(jobs)

    with pytest.raises(Invalid) as refused:
        jobs.page(None, None, 10, cursor)
    assert refused.value.field == "cursor"


# ---------------------------------------------------------------- search


def test_a_search_filters_by_status_provider_reason_and_time(jobs):
    several(jobs)

    def found(**where: Any) -> list[str]:
        return [j.sku for j in jobs.search(MarketFilter(**where), 10, None).jobs]

    assert found() == ["E", "D", "C", "F", "B", "A"]
    assert found(status=FAILED) == ["D", "C"]
    assert found(provider=ALIAS) == ["D", "B"]
    assert found(reason="CREDENTIALS") == ["C"]
    assert found(since=NOW + MINUTE, until=NOW + 5 * MINUTE) == ["F", "B"]
    assert found(since=NOW + 11 * MINUTE) == ["E", "D"]
    assert found(until=NOW) == ["A"]
    assert found(status=PENDING, provider=STOCKX, until=NOW + 4 * MINUTE) == ["A"]


def test_a_search_pages_through_every_match_once_without_histories(jobs):
    several(jobs)

    pages = every_page(lambda cursor: jobs.search(MarketFilter(), 2, cursor))

    assert [sku for page in pages for sku in page] == ["E", "D", "C", "F", "B", "A"]
    assert all(job.history is None for job in jobs.search(MarketFilter(), 10, None).jobs)


def test_a_search_refuses_a_cursor_it_did_not_give(jobs):
    one(jobs)

    with pytest.raises(Invalid) as refused:
        jobs.search(MarketFilter(), 10, "nonsense")
    assert refused.value.field == "cursor"


# ---------------------------------------------------------------- counts and reset_failed


def test_counts_are_by_provider_and_status_with_every_one_named(jobs):
    assert jobs.counts() == {p.value: {s.value: 0 for s in MarketStatus} for p in Provider}

    several(jobs)

    counts = jobs.counts()
    assert counts["stockx"] == {"pending": 2, "running": 0, "succeeded": 1, "failed": 1, "deferred": 0}
    assert counts["alias"] == {"pending": 1, "running": 0, "succeeded": 0, "failed": 1, "deferred": 0}
    assert counts["ebay"] == {s.value: 0 for s in MarketStatus}


def test_reset_failed_puts_failed_jobs_back_in_the_queue_up_to_the_limit(jobs):
    several(jobs)

    assert jobs.reset_failed(NOW + 20 * MINUTE, 1) == 1

    (reset,) = [j for j in jobs.queued(ALIAS, 10) if j.sku == "D"]  # the most recently failed first
    assert (reset.status, reset.error, reset.enqueued_at, reset.updated_at) == (PENDING, None, NOW + 20 * MINUTE,
                                                                                NOW + 20 * MINUTE)
    assert jobs.reset_failed(NOW + 21 * MINUTE, 10) == 1
    assert jobs.reset_failed(NOW + 22 * MINUTE, 10) == 0
    assert jobs.counts()["stockx"]["failed"] == 0
    assert jobs.counts()["stockx"]["pending"] == 3


# ---------------------------------------------------------------- run records


def test_runs_are_read_back_newest_first(jobs):
    runs = [SchedulerRun(started_at=NOW + i * MINUTE, finished_at=NOW + i * MINUTE + 900,
                         dispatched={"stockx": i}, read={"stockx": i + 1}, available={"stockx": 10 - i},
                         reset_stuck=i % 2, trigger="schedule" if i else "manual") for i in range(3)]
    for run in runs:
        jobs.record_run(run)

    assert jobs.recent_runs(10) == runs[::-1]
    assert jobs.recent_runs(2) == runs[:0:-1]


def test_two_runs_started_in_the_same_millisecond_are_both_kept(jobs):
    run = SchedulerRun(started_at=NOW, finished_at=NOW + 5, dispatched={}, read={}, available={}, reset_stuck=0,
                       trigger="schedule")

    jobs.record_run(run)
    jobs.record_run(replace(run, trigger="manual"))

    assert sorted(r.trigger for r in jobs.recent_runs(10)) == ["manual", "schedule"]


def test_batches_are_read_back_newest_first(jobs):
    batches = [BatchMetrics(provider=p.value, started_at=NOW + i * MINUTE, size=10, succeeded=7, failed=1, deferred=2,
                            duration_ms=1200 + i, calls=11) for i, p in enumerate([STOCKX, ALIAS, STOCKX])]
    for batch in batches:
        jobs.record_batch(batch)

    assert jobs.recent_batches(10) == batches[::-1]
    assert jobs.recent_batches(1) == batches[2:]


# ---------------------------------------------------------------- the price cache


def shown(price: CachedPrice | None) -> dict[str, Any] | None:
    """A price as the API shows it (a quote without extra figures reads back with none, as {})."""
    return None if price is None else price.to_api(stale_after_ms=MINUTE, now_ms=NOW)


def test_a_price_is_read_back_as_it_was_put_and_replaced_by_the_next(ports):
    prices = ports.prices
    price = CachedPrice(provider=STOCKX, sku="DD1391-100", size="10", updated_at=NOW, quote=Quote(
        currency="USD", lowest_ask=Decimal("110.00"), highest_bid=None, last_sale=Decimal("101.5"),
        extra={"sellFaster": Decimal("108"), "earnMore": None}, reference="5e6a1e57"))
    assert prices.get(STOCKX, "DD1391-100", "10") is None

    prices.put(price)
    assert prices.get(STOCKX, "DD1391-100", "10") == price
    assert prices.get(ALIAS, "DD1391-100", "10") is None
    assert prices.get(STOCKX, "DD1391-100", "11") is None

    newer = replace(price, updated_at=NOW + MINUTE, quote=Quote(currency="EUR"))
    prices.put(newer)
    assert shown(prices.get(STOCKX, "DD1391-100", "10")) == shown(newer)


def test_a_price_keeps_its_digits_as_the_provider_gave_them(ports):
    price = CachedPrice(provider=STOCKX, sku="DD1391-100", size="10", updated_at=NOW, quote=Quote(
        currency="USD", lowest_ask=Decimal("110.00"), highest_bid=Decimal("95.50"), last_sale=Decimal("1E+2")))

    ports.prices.put(price)

    read = shown(ports.prices.get(STOCKX, "DD1391-100", "10"))
    assert read is not None and (read["lowestAsk"], read["highestBid"]) == ("110.00", "95.50")


def test_dynamodb_stores_amounts_as_text_which_keeps_their_digits():
    # DynamoDB normalises numbers (110.00 is stored and read back as 110); moto does not, so what
    # is checked here is that amounts are not stored as numbers at all.
    for ports in dynamodb():
        ports.prices.put(CachedPrice(provider=STOCKX, sku="DD1391-100", size="10", updated_at=NOW,
                                     quote=Quote(currency="USD", lowest_ask=Decimal("110.00"))))
        table = ports.prices.table  # type: ignore[attr-defined]
        item = clients.dynamodb().get_item(TableName=table, Key={"pk": {"S": "PRICE#stockx|DD1391-100|10"},
                                                                  "sk": {"S": "PRICE"}})["Item"]
        assert item["lowestAsk"] == {"S": "110.00"}


def test_a_price_without_a_size_or_figures(ports):
    price = CachedPrice(provider=EBAY, sku="555088 134", size=None, updated_at=NOW, quote=Quote(currency="USD"))

    ports.prices.put(price)

    assert shown(ports.prices.get(EBAY, "555088 134", None)) == shown(price)


# ---------------------------------------------------------------- share settings and the catalog


def test_the_seller_share_is_none_until_set_and_then_the_last_set(ports):
    assert ports.shares.seller_share() is None

    ports.shares.set_seller_share(0.25)
    ports.shares.set_seller_share(0.1)

    assert ports.shares.seller_share() == 0.1


def test_catalog_ids_are_kept_per_provider_and_sku(ports):
    ids = {"productId": "5e6a1e57", "variants": {"10": "v-10", "10.5": "v-105"}}
    assert ports.catalog.get(STOCKX, "DD1391-100") is None

    ports.catalog.put(STOCKX, "DD1391-100", ids)
    ports.catalog.put(ALIAS, "DD1391-100", {"catalogId": "a-1"})

    assert ports.catalog.get(STOCKX, "DD1391-100") == ids
    assert ports.catalog.get(ALIAS, "DD1391-100") == {"catalogId": "a-1"}
    assert ports.catalog.get(STOCKX, "OTHER") is None


def test_dynamodb_forgets_a_catalog_entry_after_its_time_to_live_on_the_clock():
    clock = ManualClock(NOW / 1000)
    for ports in dynamodb():
        catalog = DynamoCatalogCache(ports.prices.table, clock, ttl_s=3600)  # type: ignore[attr-defined]
        catalog.put(STOCKX, "DD1391-100", {"productId": "5e6a1e57"})
        clock.advance(3599)
        assert catalog.get(STOCKX, "DD1391-100") == {"productId": "5e6a1e57"}
        clock.advance(2)
        assert catalog.get(STOCKX, "DD1391-100") is None
