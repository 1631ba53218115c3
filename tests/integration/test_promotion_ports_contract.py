"""The promotion ports held to one contract: the in-memory fakes (tests.unit.promotion_fakes) and
the DynamoDB adapters (on moto) must answer alike.

* ``JobRepository``: one unfinished job per (seller, listing); version-guarded saves that keep the
  listing's lock, the counters, the outbox and a bulk action's tally in step, or write nothing;
  the seller's jobs counted, listed and paged; due and overdue jobs soonest first; every seller's
  jobs searched by filter, a page at a time.
* ``BulkActions``: one holder at a time, progress only from the holder, ``done`` counted by the
  jobs' own writes.
* ``SellerPolls``: a seller's poll held by one owner until it expires.
* ``CampaignCache``: the seller's campaign remembered, replaced and forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest

from sellerjobs.aws.bulk_actions import DynamoBulkActions
from sellerjobs.aws.ebay_accounts import DynamoCampaignCache
from sellerjobs.aws.events import DynamoEventStore, OutboxItems
from sellerjobs.aws.promotion_jobs import DynamoJobRepository, DynamoSellerPolls
from sellerjobs.clock import ManualClock
from sellerjobs.errors import Invalid
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.history import HistoryEntry
from sellerjobs.promotions.bulk import BulkAction, BulkKind, BulkStatus
from sellerjobs.promotions.job import PromotionJob, Status, new_job_id
from sellerjobs.promotions.ports import JobFilter, ListingBusy, Page, Tally, TallyRefused, UnfinishedCounts
from tests.integration.contracts import IMPLEMENTATIONS, Outboxed, Tables, implementation
from tests.unit.promotion_fakes import (
    DictCampaignCache,
    InMemoryBulkActions,
    InMemoryJobRepository,
    InMemorySellerPolls,
)

NOW = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
HISTORY_S = 30 * 86400


@dataclass(kw_only=True)
class Promotions(Outboxed):
    """A job repository and the bulk actions beside it."""

    jobs: Any
    actions: Any


def in_memory() -> Promotions:
    jobs = InMemoryJobRepository()
    return Promotions(jobs=jobs, actions=InMemoryBulkActions(jobs), outbox=jobs.outbox)


def on_dynamodb(tables: Tables) -> Promotions:
    table, events = tables("PromotionJobsTable"), tables("EventsTable")
    return Promotions(jobs=DynamoJobRepository(table=table, outbox=OutboxItems(events)),
                      actions=DynamoBulkActions(table=table), outbox=DynamoEventStore(events))


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request: pytest.FixtureRequest) -> Promotions:
    return implementation(request, in_memory, on_dynamodb)


@pytest.fixture
def jobs(store: Promotions) -> Any:
    return store.jobs


def job(listing: str, user: str = "alice", at: int = NOW, due: int | None = None) -> PromotionJob:
    """A new job as the service creates it: pending, first due a minute after it was queued."""
    return PromotionJob(id=new_job_id(listing, at), user_id=user, listing_id=listing, ad_rate=Decimal("5"),
                        campaign_id=None, status=Status.PENDING, attempts=0, max_attempts=15,
                        next_retry_at=due if due is not None else at + MINUTE, created_at=at, updated_at=at,
                        policy="sync-window", run_started_at=at, listed_at=at,
                        history=(HistoryEntry.of(at, "queued"),))


def listed(page_jobs: list[PromotionJob]) -> list[str]:
    return [j.id for j in page_jobs]


def all_pages(read: Any, limit: int, *, bare: bool = True) -> list[str]:
    """Every page of a listing, in order: each at most ``limit`` long, until the cursor runs out;
    ``bare``: its jobs come without their histories."""
    ids: list[str] = []
    cursor = None
    for _ in range(50):
        page: Page = read(limit, cursor)
        assert len(page.jobs) <= limit
        assert not bare or all(j.history is None for j in page.jobs)
        ids += listed(page.jobs)
        cursor = page.cursor
        if cursor is None:
            return ids
    raise AssertionError("the cursor never ran out")


def finish(jobs: Any, stored: PromotionJob, status: Status, at: int) -> PromotionJob:
    done = {Status.SUCCEEDED: lambda: stored.succeed("ad-1", at, HISTORY_S),
            Status.FAILED: lambda: stored.fail("eBay 35048: listing 1 is invalid or has ended", at, HISTORY_S),
            Status.CANCELLED: lambda: stored.cancel(at, HISTORY_S)}[status]()
    assert jobs.save(stored, done)
    return done


# ---------------------------------------------------------------- creating


def test_new_jobs_read_back_whole_and_only_by_their_seller(jobs):
    first, second = job("100001"), job("100002", user="bob")

    assert jobs.create_many([first]) == {}
    assert jobs.create_many([second]) == {}

    assert jobs.get("alice", first.id) == first
    assert jobs.get("bob", second.id) == second
    assert jobs.get("bob", first.id) is None
    assert jobs.get_many([("alice", first.id), ("bob", second.id), ("bob", first.id), ("alice", "nope_1")]) == {
        ("alice", first.id): first, ("bob", second.id): second}


def test_one_call_stores_one_sellers_jobs(jobs):
    with pytest.raises(ValueError, match="one seller"):
        jobs.create_many([job("100001"), job("100002", user="bob")])

    assert jobs.get("alice", job("100001").id) is None


def test_a_listing_with_an_unfinished_job_gets_no_second_one(jobs):
    first = job("100001")
    jobs.create_many([first])

    # (One call stores one seller's jobs: the answer names listings.)
    again = jobs.create_many([job("100001", at=NOW + 5), job("100002", at=NOW + 5)])
    theirs = jobs.create_many([job("100001", user="bob", at=NOW + 5)])

    assert again == {"100001": first.id}
    assert theirs == {}  # another seller's listing is theirs
    assert jobs.get("alice", new_job_id("100001", NOW + 5)) is None
    assert jobs.get("alice", new_job_id("100002", NOW + 5)) is not None
    assert jobs.get("bob", new_job_id("100001", NOW + 5)) is not None


def test_storing_the_same_job_again_answers_the_job(jobs):
    first = job("100001")
    jobs.create_many([first])

    assert jobs.create_many([first]) == {"100001": first.id}
    assert jobs.count_unfinished("alice", NOW) == UnfinishedCounts(ready=0, pending=1)


def test_a_finished_job_frees_its_listing(jobs):
    first = job("100001")
    jobs.create_many([first])
    finish(jobs, first, Status.SUCCEEDED, NOW + MINUTE)

    assert jobs.create_many([job("100001", at=NOW + 2 * MINUTE)]) == {}


def test_a_large_batch_is_stored_whole(jobs):
    batch = [job(str(200000 + i), at=NOW + i) for i in range(120)]
    jobs.create_many(batch[:10])

    existing = jobs.create_many([job(str(200000 + i), at=NOW + 1000 + i) for i in range(5)] + batch[10:])

    assert existing == {str(200000 + i): batch[i].id for i in range(5)}
    assert jobs.count_unfinished("alice", NOW) == UnfinishedCounts(ready=0, pending=120)
    assert jobs.global_counts()[Status.PENDING] == 120


# ---------------------------------------------------------------- saving


def test_a_save_applies_only_over_the_version_it_read(jobs):
    first = job("100001")
    jobs.create_many([first])
    later = first.retry_later("eBay 35048", NOW + 2 * MINUTE, NOW + MINUTE)

    assert jobs.save(first, later)
    # A duplicate delivery read the same version and tries to apply its own change: refused.
    assert not jobs.save(first, first.defer(NOW + 5 * MINUTE, NOW + MINUTE))
    assert jobs.get("alice", first.id) == later


def test_a_job_never_stored_is_not_saved(jobs):
    ghost = job("100001")

    assert not jobs.save(ghost, ghost.defer(NOW + MINUTE, NOW))
    assert jobs.get("alice", ghost.id) is None


def test_a_job_read_without_its_history_cannot_be_written(jobs):
    first = job("100001")
    jobs.create_many([first])

    with pytest.raises(ValueError):
        jobs.save(first, replace(first, version=1, history=None))
    assert jobs.get("alice", first.id) == first


def test_finishing_frees_the_listing_and_counts_the_finish(jobs):
    a, b, c, d = (job(str(100001 + i), at=NOW + i) for i in range(4))
    jobs.create_many([a, b, c, d])

    finish(jobs, a, Status.SUCCEEDED, NOW + MINUTE)
    finish(jobs, b, Status.FAILED, NOW + MINUTE)
    finish(jobs, c, Status.CANCELLED, NOW + MINUTE)

    assert jobs.finished_counts("alice") == {Status.SUCCEEDED: 1, Status.FAILED: 1, Status.CANCELLED: 1}
    assert jobs.finished_counts("bob") == {Status.SUCCEEDED: 0, Status.FAILED: 0, Status.CANCELLED: 0}
    assert jobs.global_counts() == {Status.PENDING: 1, Status.SUCCEEDED: 1, Status.FAILED: 1, Status.CANCELLED: 1}
    assert jobs.count_unfinished("alice", NOW + 10 * MINUTE) == UnfinishedCounts(ready=1, pending=0)


def test_a_failed_job_requeued_takes_its_listing_back(jobs):
    first = job("100001")
    jobs.create_many([first])
    failed = finish(jobs, first, Status.FAILED, NOW + MINUTE)

    requeued = failed.requeue(NOW + 2 * MINUTE, NOW + 3 * MINUTE, 15, "sync-window", by="alice")
    assert jobs.save(failed, requeued)

    assert jobs.finished_counts("alice")[Status.FAILED] == 0
    assert jobs.global_counts()[Status.PENDING] == 1 and jobs.global_counts()[Status.FAILED] == 0
    assert jobs.create_many([job("100001", at=NOW + 4 * MINUTE)]) == {"100001": first.id}


def test_a_failed_job_is_not_requeued_while_another_holds_its_listing(jobs):
    first = job("100001")
    jobs.create_many([first])
    failed = finish(jobs, first, Status.FAILED, NOW + MINUTE)
    newer = job("100001", at=NOW + 2 * MINUTE)
    jobs.create_many([newer])

    with pytest.raises(ListingBusy) as refused:
        jobs.save(failed, failed.requeue(NOW + 3 * MINUTE, NOW + 4 * MINUTE, 15, "sync-window"))

    assert (refused.value.listing_id, refused.value.job_id) == ("100001", newer.id)
    assert jobs.get("alice", first.id) == failed
    assert jobs.finished_counts("alice")[Status.FAILED] == 1


def test_a_saves_events_are_stored_with_it_and_only_with_it(store, jobs):
    first = job("100001")
    jobs.create_many([first])
    done = first.succeed("ad-1", NOW + MINUTE, HISTORY_S)
    announced = JobEvent.create("promotion.succeeded", [first.id, done.version], NOW + MINUTE, {"jobId": first.id},
                                ["alice"])
    stale = JobEvent.create("promotion.cancelled", [first.id, 1], NOW + MINUTE, {"jobId": first.id}, ["alice"])

    assert jobs.save(first, done, events=[announced])
    assert not jobs.save(first, first.cancel(NOW + MINUTE, HISTORY_S), events=[stale])

    assert store.stored_events(announced.id, stale.id) == {announced.id}


def test_a_change_counts_on_the_bulk_action_its_run_holds(store, jobs):
    a, b = job("100001"), job("100002", at=NOW + 1)
    jobs.create_many([a, b])
    store.actions.create(action())
    store.actions.take("bulk-1", "run-1", NOW, NOW + MINUTE)

    cancelled = [JobEvent.create("promotion.cancelled", [j.id], NOW + 1, {"jobId": j.id}, ["alice"]) for j in (a, b)]

    assert jobs.save(a, a.cancel(NOW + 1, HISTORY_S), [cancelled[0]], tally=Tally("bulk-1", "run-1"))
    with pytest.raises(TallyRefused):
        jobs.save(b, b.cancel(NOW + 1, HISTORY_S), [cancelled[1]], tally=Tally("bulk-1", "run-0"))

    # Refused whole: neither the job, nor its event, nor the counters changed.
    assert jobs.get("alice", b.id) == b
    assert store.stored_events(*(e.id for e in cancelled)) == {cancelled[0].id}
    assert store.actions.get("bulk-1").done == 1
    assert jobs.finished_counts("alice")[Status.CANCELLED] == 1


# ---------------------------------------------------------------- counting and listing


def test_unfinished_jobs_are_counted_as_due_or_waiting(jobs):
    jobs.create_many([job("100001", due=NOW), job("100002", due=NOW + MINUTE), job("100003", due=NOW + 1)])
    jobs.create_many([job("100004", user="bob", due=NOW)])

    assert jobs.count_unfinished("alice", NOW) == UnfinishedCounts(ready=1, pending=2)
    assert jobs.count_unfinished("alice", NOW + MINUTE) == UnfinishedCounts(ready=3, pending=0)
    assert jobs.count_unfinished("carol", NOW) == UnfinishedCounts(ready=0, pending=0)


def listing_fixture(jobs: Any) -> dict[str, PromotionJob]:
    """Alice: three pending jobs due at different times, two succeeded and one failed; Bob: one.
    Every job has its own time (due or finished): 1 s_old, 2 p_soon, 3 s_new, 4 f, 5 p_mid, 6 bob,
    9 p_late (minutes)."""
    made = {name: job(listing, at=NOW + i, due=NOW + due) for i, (name, listing, due) in enumerate([
        ("p_late", "100005", 9 * MINUTE), ("p_soon", "100002", 2 * MINUTE), ("p_mid", "100009", 5 * MINUTE),
        ("s_old", "100001", MINUTE), ("s_new", "100007", MINUTE), ("f", "100003", MINUTE)])}
    jobs.create_many(list(made.values()))
    made["bob"] = job("100004", user="bob", due=NOW + 6 * MINUTE)
    jobs.create_many([made["bob"]])
    made["s_old"] = finish(jobs, made["s_old"], Status.SUCCEEDED, NOW + MINUTE)
    made["s_new"] = finish(jobs, made["s_new"], Status.SUCCEEDED, NOW + 3 * MINUTE)
    made["f"] = finish(jobs, made["f"], Status.FAILED, NOW + 4 * MINUTE)
    return made


def test_a_sellers_jobs_are_listed_by_id_without_their_histories(jobs):
    made = listing_fixture(jobs)

    page = jobs.list_jobs("alice", None, 10, None)

    mine = sorted((j for name, j in made.items() if name != "bob"), key=lambda j: j.id)
    assert page.jobs == [replace(j, history=None) for j in mine]
    assert all_pages(lambda limit, cursor: jobs.list_jobs("alice", None, limit, cursor), 2) == [j.id for j in mine]


def test_unfinished_jobs_are_listed_next_due_first(jobs):
    made = listing_fixture(jobs)

    expected = [made[n].id for n in ("p_soon", "p_mid", "p_late")]
    assert listed(jobs.list_jobs("alice", Status.PENDING, 10, None).jobs) == expected
    assert all_pages(lambda limit, cursor: jobs.list_jobs("alice", Status.PENDING, limit, cursor), 2) == expected


def test_finished_jobs_are_listed_most_recent_first(jobs):
    made = listing_fixture(jobs)

    expected = [made["s_new"].id, made["s_old"].id]
    assert listed(jobs.list_jobs("alice", Status.SUCCEEDED, 10, None).jobs) == expected
    assert all_pages(lambda limit, cursor: jobs.list_jobs("alice", Status.SUCCEEDED, limit, cursor), 1) == expected
    assert jobs.list_jobs("alice", Status.CANCELLED, 10, None) == Page(jobs=[], cursor=None)


def test_a_listing_cursor_is_refused_in_another_listing(jobs):
    listing_fixture(jobs)
    cursor = jobs.list_jobs("alice", Status.PENDING, 1, None).cursor
    assert cursor is not None

    for user, status in (("bob", Status.PENDING), ("alice", Status.SUCCEEDED)):
        with pytest.raises(Invalid) as refused:
            jobs.list_jobs(user, status, 1, cursor)
        assert refused.value.field == "cursor"
    with pytest.raises(Invalid):
        jobs.list_jobs("alice", Status.PENDING, 1, "not-a-cursor")


def test_due_jobs_come_soonest_first_with_their_histories(jobs):
    made = listing_fixture(jobs)

    due = jobs.due_for_user("alice", NOW + 5 * MINUTE, 10)

    assert due == [made["p_soon"], made["p_mid"]]
    assert jobs.due_for_user("alice", NOW + 10 * MINUTE, 2) == [made["p_soon"], made["p_mid"]]
    assert jobs.due_for_user("alice", NOW + MINUTE, 10) == []


def test_overdue_jobs_of_every_seller_come_oldest_first_with_their_histories(jobs):
    made = listing_fixture(jobs)

    assert jobs.overdue(NOW + 7 * MINUTE, 10) == [made["p_soon"], made["p_mid"], made["bob"]]
    assert jobs.overdue(NOW + 10 * MINUTE, 2) == [made["p_soon"], made["p_mid"]]
    assert jobs.overdue(NOW + 2 * MINUTE, 10) == []  # due *before* the time


# ---------------------------------------------------------------- searching across sellers


def search_all(jobs: Any, limit: int = 2, **where: Any) -> list[str]:
    # A search by listing or job reads the jobs by key, and the adapter leaves their histories on.
    bare = "listing_id" not in where and "job_id" not in where
    return all_pages(lambda size, cursor: jobs.search(JobFilter(**where), size, cursor), limit, bare=bare)


def test_a_search_lists_every_sellers_jobs_newest_first(jobs):
    made = listing_fixture(jobs)
    by_time = sorted(made.values(), key=lambda j: -(j.next_retry_at or j.updated_at))

    assert search_all(jobs) == [j.id for j in by_time]
    assert search_all(jobs, limit=100) == [j.id for j in by_time]


def test_a_search_filters_by_status_and_seller(jobs):
    made = listing_fixture(jobs)

    assert search_all(jobs, status=Status.PENDING) == [made[n].id for n in ("p_late", "bob", "p_mid", "p_soon")]
    assert search_all(jobs, status=Status.SUCCEEDED) == [made["s_new"].id, made["s_old"].id]
    assert search_all(jobs, seller="bob") == [made["bob"].id]
    assert search_all(jobs, seller="alice", status=Status.FAILED) == [made["f"].id]


def test_a_search_bounds_the_time_and_looks_for_the_reason(jobs):
    made = listing_fixture(jobs)

    assert search_all(jobs, since=NOW + 2 * MINUTE, until=NOW + 5 * MINUTE) == [
        made[n].id for n in ("p_mid", "f", "s_new", "p_soon")]
    assert search_all(jobs, reason="HAS ENDED") == [made["f"].id]
    assert search_all(jobs, reason="HAS ENDED", status=Status.SUCCEEDED) == []


def test_a_search_by_listing_or_job_finds_the_listings_jobs_newest_created_first(jobs):
    first = job("100001", at=NOW)
    jobs.create_many([first])
    jobs.create_many([job("100001", user="bob", at=NOW + 5, due=NOW + 10 * MINUTE)])  # due last, created between
    finish(jobs, first, Status.FAILED, NOW + MINUTE)
    again = job("100001", at=NOW + 2 * MINUTE, due=NOW + 3 * MINUTE)
    jobs.create_many([again, job("100002")])

    assert search_all(jobs, listing_id="100001") == [again.id, new_job_id("100001", NOW + 5), first.id]
    assert search_all(jobs, listing_id="100001", seller="alice") == [again.id, first.id]
    assert search_all(jobs, job_id=first.id) == [first.id]
    assert search_all(jobs, job_id=first.id, status=Status.PENDING) == []
    assert search_all(jobs, job_id="100001_7") == []
    assert search_all(jobs, job_id="no-such-job") == []


def test_unfinished_jobs_of_every_seller_list_by_next_attempt_across_many_minutes(jobs):
    # Due times minutes apart and a second apart, over half an hour; every page size lists them
    # in the same order, and the bounds cut anywhere.
    dues = [1, 4, 6, 6.5, 11, 16, 29, 5.5, 9.99, 10, 10.01, 15]
    made = [job(f"2000{i:02d}", user="bob" if i % 3 else "alice", due=NOW + int(d * MINUTE))
            for i, d in enumerate(dues)]
    for seller in ("alice", "bob"):
        jobs.create_many([j for j in made if j.user_id == seller])
    finish(jobs, made[7], Status.CANCELLED, NOW + MINUTE)  # no longer unfinished
    pending = sorted((j for j in made if j is not made[7]), key=lambda j: j.next_retry_at or 0, reverse=True)

    for size in (1, 2, 3, 100):
        assert search_all(jobs, limit=size, status=Status.PENDING) == [j.id for j in pending], size
    since, until = NOW + 6 * MINUTE, NOW + 11 * MINUTE
    assert search_all(jobs, limit=2, status=Status.PENDING, since=since, until=until) == [
        j.id for j in pending if since <= (j.next_retry_at or 0) <= until]


def test_a_search_cursor_is_refused_in_another_search(jobs):
    listing_fixture(jobs)
    cursor = jobs.search(JobFilter(status=Status.PENDING), 1, None).cursor
    assert cursor is not None

    with pytest.raises(Invalid) as refused:
        jobs.search(JobFilter(status=Status.FAILED), 1, cursor)
    assert refused.value.field == "cursor"


# ---------------------------------------------------------------- bulk actions


def action(action_id: str = "bulk-1", at: int = NOW) -> BulkAction:
    return BulkAction(id=action_id, kind=BulkKind.CANCEL, where=JobFilter(status=Status.PENDING, reason="35048"),
                      limit=500, by="ops", owner=None, status=BulkStatus.QUEUED, created_at=at, updated_at=at)


@pytest.fixture
def actions(store: Promotions) -> Any:
    return store.actions


def test_an_action_reads_back_as_created(actions):
    actions.create(action())

    assert actions.get("bulk-1") == action()
    assert actions.get("bulk-2") is None


def test_one_run_holds_an_action_until_its_lease_ends(actions):
    actions.create(action())

    taken = actions.take("bulk-1", "run-1", NOW + 1, NOW + MINUTE)

    assert taken == replace(action(), status=BulkStatus.RUNNING, updated_at=NOW + 1)
    assert actions.take("bulk-1", "run-2", NOW + 2, NOW + MINUTE) is None
    assert actions.take("bulk-1", "run-1", NOW + 2, NOW + MINUTE) is None  # the holder does not take it twice
    assert actions.take("bulk-1", "run-2", NOW + MINUTE + 1, NOW + 2 * MINUTE) is not None
    assert actions.take("bulk-9", "run-1", NOW, NOW + MINUTE) is None


def test_progress_is_stored_only_from_the_holder(actions):
    actions.create(action())
    taken = actions.take("bulk-1", "run-1", NOW, NOW + MINUTE)

    assert not actions.advance(taken, "run-2", skipped=5, cursor="c2", status=BulkStatus.RUNNING, now_ms=NOW + 2,
                               release=False)
    assert actions.advance(taken, "run-1", skipped=2, cursor="c1", status=BulkStatus.RUNNING, now_ms=NOW + 3,
                           release=False, error="page 1: 2 jobs had moved on")
    assert actions.advance(taken, "run-1", skipped=1, cursor="c2", status=BulkStatus.RUNNING, now_ms=NOW + 4,
                           release=False)

    assert actions.get("bulk-1") == replace(action(), status=BulkStatus.RUNNING, skipped=3, cursor="c2",
                                            updated_at=NOW + 4, error="page 1: 2 jobs had moved on")


def test_a_released_action_is_taken_again_at_once_and_a_finished_one_never(actions):
    actions.create(action())
    taken = actions.take("bulk-1", "run-1", NOW, NOW + MINUTE)

    assert actions.advance(taken, "run-1", skipped=0, cursor="c1", status=BulkStatus.RUNNING, now_ms=NOW + 1,
                           release=True)
    again = actions.take("bulk-1", "run-2", NOW + 2, NOW + MINUTE)
    assert again is not None and again.cursor == "c1"

    assert actions.advance(again, "run-2", skipped=0, cursor=None, status=BulkStatus.COMPLETED, now_ms=NOW + 3,
                           release=True)
    assert actions.get("bulk-1").cursor is None
    assert actions.take("bulk-1", "run-3", NOW + 4, NOW + MINUTE) is None


def test_an_abandoned_action_has_failed_and_says_why(actions):
    actions.create(action())

    actions.abandon("bulk-1", "could not be queued; start it again", NOW + 5)

    assert actions.get("bulk-1") == replace(action(), status=BulkStatus.FAILED, updated_at=NOW + 5,
                                            error="could not be queued; start it again")
    assert actions.take("bulk-1", "run-1", NOW + 6, NOW + MINUTE) is None


# ---------------------------------------------------------------- sellers' polls


@pytest.fixture(params=IMPLEMENTATIONS)
def polls(request: pytest.FixtureRequest) -> Any:
    return implementation(request, InMemorySellerPolls,
                          lambda tables: DynamoSellerPolls(table=tables("PromotionJobsTable")))


def test_a_free_poll_is_taken_and_kept_by_its_owner(polls):
    assert polls.hold("alice", "a", NOW, NOW + 60_000)
    assert polls.hold("alice", "a", NOW + 1_000, NOW + 61_000)


def test_a_held_poll_refuses_another_owner_until_it_expires(polls):
    assert polls.hold("alice", "a", NOW, NOW + 60_000)
    assert not polls.hold("alice", "b", NOW + 59_000, NOW + 119_000)
    assert not polls.hold("alice", "b", NOW + 60_000, NOW + 120_000)  # held through its last millisecond
    assert polls.hold("bob", "b", NOW + 59_000, NOW + 119_000)  # sellers are independent
    assert polls.hold("alice", "b", NOW + 60_001, NOW + 120_000)


def test_only_the_owner_releases(polls):
    assert polls.hold("alice", "a", NOW, NOW + 60_000)
    polls.release("alice", "b")
    assert not polls.hold("alice", "b", NOW, NOW + 60_000)
    polls.release("alice", "a")
    assert polls.hold("alice", "b", NOW, NOW + 60_000)
    polls.release("carol", "a")  # nobody's poll: nothing to release, no error


# ---------------------------------------------------------------- the campaign cache


@pytest.fixture(params=IMPLEMENTATIONS)
def campaigns(request: pytest.FixtureRequest) -> Any:
    return implementation(request, DictCampaignCache, lambda tables: DynamoCampaignCache(
        table=tables("EbayAccountsTable"), clock=ManualClock(NOW / 1000), marketplace_id="EBAY_US", ttl_s=3600))


def test_a_sellers_campaign_is_remembered_replaced_and_forgotten(campaigns):
    assert campaigns.get("alice") is None

    campaigns.put("alice", "900000000001")
    campaigns.put("bob", "900000000002")
    assert (campaigns.get("alice"), campaigns.get("bob")) == ("900000000001", "900000000002")

    campaigns.put("alice", "900000000003")
    assert campaigns.get("alice") == "900000000003"

    campaigns.forget("alice")
    campaigns.forget("carol")  # nothing remembered: nothing to forget, no error
    assert (campaigns.get("alice"), campaigns.get("bob")) == (None, "900000000002")
