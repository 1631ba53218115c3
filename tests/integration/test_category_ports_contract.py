"""The category-fetch ports held to one contract: the in-memory fakes (tests.unit.category_fakes)
and the DynamoDB adapters (on moto, oversized aspects in a moto S3 bucket) must answer alike.

* ``FetchJobs``: a job and its work items; one worker per job (the lease) and a few runs per
  seller (the slots); each category fetched, postponed or failed once, counted with the change
  and only while the job is active; a job finished once, its events stored with it; failures
  retried by reopening a finished job; the jobs listed, searched a page at a time and counted.
* ``AspectStore``: what a fetched category stored reads back whole, however large.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

import pytest

from sellerjobs.aws import clients
from sellerjobs.aws.aspects import AspectItems, DynamoAspectStore
from sellerjobs.aws.category_fetches import DynamoFetchJobs
from sellerjobs.aws.events import DynamoEventStore, OutboxItems
from sellerjobs.categories.job import (
    AspectRecord,
    Category,
    FailedCategory,
    FetchJob,
    FetchMode,
    FetchStatus,
    RunEntry,
    RunOutcome,
    WorkItem,
)
from sellerjobs.categories.ports import FetchFilter, JobNotActive
from sellerjobs.errors import Invalid
from sellerjobs.events.model import JobEvent
from tests.integration.contracts import IMPLEMENTATIONS, Outboxed, Tables, implementation
from tests.unit.category_fakes import InMemoryAspectStore, InMemoryFetchJobs

NOW = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
BUCKET = "contract-aspects"


@dataclass(kw_only=True)
class Categories(Outboxed):
    """Fetch jobs and the aspects their work stores."""

    jobs: Any
    aspects: Any


def in_memory() -> Categories:
    aspects = InMemoryAspectStore()
    jobs = InMemoryFetchJobs(aspects=aspects)
    return Categories(jobs=jobs, aspects=aspects, outbox=jobs.outbox)


def on_dynamodb(tables: Tables) -> Categories:
    clients.s3().create_bucket(Bucket=BUCKET)
    aspects_table, events = tables("CategoryAspectsTable"), tables("EventsTable")
    return Categories(
        jobs=DynamoFetchJobs(table=tables("CategoryFetchTable"), aspects=AspectItems(aspects_table, BUCKET),
                             outbox=OutboxItems(events)),
        aspects=DynamoAspectStore(aspects_table, BUCKET), outbox=DynamoEventStore(events))


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request: pytest.FixtureRequest) -> Categories:
    return implementation(request, in_memory, on_dynamodb)


@pytest.fixture
def jobs(store: Categories) -> Any:
    return store.jobs


def fetch_job(job_id: str = "job-1", user: str = "alice", at: int = NOW, *, analysed: bool = True,
              total: int = 3) -> FetchJob:
    """A new job as the service creates it: queued, analysed (its categories known) or not yet."""
    return FetchJob(id=job_id, user_id=user, marketplace_id="EBAY_US", status=FetchStatus.QUEUED,
                    mode=FetchMode.PER_CATEGORY, created_at=at, updated_at=at, tree_id="0", tree_version="130",
                    analysed=analysed, total=total if analysed else 0, parent_label="Health & Beauty")


CATEGORIES = [Category("172022", "Face"), Category("172020", "Eyes"), Category("31411", "Fragrances")]


def record(category: Category, job_id: str = "job-1", aspects: list[Any] | None = None) -> AspectRecord:
    return AspectRecord(marketplace_id="EBAY_US", tree_id="0", tree_version="130", category_id=category.category_id,
                        category_name=category.name, fetched_at=NOW + 1, job_id=job_id,
                        aspects=aspects if aspects is not None else [
                            {"localizedAspectName": "Brand", "aspectValues": [{"localizedValue": "Acme"}]}])


def started(jobs: Any, job: FetchJob | None = None, categories: list[Category] = CATEGORIES) -> FetchJob:
    """A job created with its categories and taken by a worker: processing."""
    job = job or fetch_job(total=len(categories))
    jobs.create(job, categories)
    taken = jobs.take_lease(job.id, "run-1", NOW, NOW + MINUTE)
    assert taken is not None
    return taken


def counters(jobs: Any, job_id: str = "job-1") -> tuple[int, int, int]:
    stored = jobs.get(job_id)
    return (stored.processed, stored.success, stored.failed)


def only_counts(jobs: Any, **expected: int) -> None:
    assert {k: v for k, v in jobs.counts().items() if v} == expected


# ---------------------------------------------------------------- creating and reading


def test_a_new_job_reads_back_with_its_work_in_category_order(jobs):
    job = fetch_job()

    jobs.create(job, CATEGORIES)

    assert jobs.get("job-1") == job
    assert jobs.get("job-2") is None
    assert jobs.all_work("job-1") == [WorkItem(category=c) for c in sorted(CATEGORIES, key=lambda c: c.category_id)]
    only_counts(jobs, queued=1)


def test_a_read_tree_gives_the_job_its_work_and_totals(jobs):
    job = fetch_job(analysed=False)
    jobs.create(job, [])

    analysed = replace(job, analysed=True, total=3, mode=FetchMode.BULK, updated_at=NOW + 5)
    assert jobs.add_work(analysed, CATEGORIES) == analysed

    assert jobs.get("job-1") == replace(analysed, status=FetchStatus.PROCESSING)
    assert len(jobs.all_work("job-1")) == 3
    only_counts(jobs, processing=1)


def test_a_tree_read_again_after_a_crash_rewrites_the_same_work(jobs):
    job = fetch_job(analysed=False)
    jobs.create(job, [])
    analysed = replace(job, analysed=True, total=3, updated_at=NOW + 5)
    jobs.add_work(analysed, CATEGORIES)

    jobs.add_work(replace(analysed, updated_at=NOW + 9), CATEGORIES)

    assert jobs.get("job-1").updated_at == NOW + 9
    assert len(jobs.all_work("job-1")) == 3
    only_counts(jobs, processing=1)


def test_a_job_stopped_while_its_tree_was_read_keeps_its_totals(jobs):
    job = fetch_job(analysed=False)
    jobs.create(job, [])
    assert jobs.finish(job, FetchStatus.CANCELLED, NOW + 1)

    with pytest.raises(JobNotActive):
        jobs.add_work(replace(job, analysed=True, total=3, updated_at=NOW + 5), CATEGORIES)

    stored = jobs.get("job-1")
    assert (stored.status, stored.analysed, stored.total) == (FetchStatus.CANCELLED, False, 0)


def some_jobs(jobs: Any) -> dict[str, FetchJob]:
    """Alice: an active job, a completed one, a newer active one; Bob: the newest, active."""
    made = {"a": fetch_job("job-a", at=NOW + 1), "b": fetch_job("job-b", at=NOW + 2),
            "c": fetch_job("job-c", at=NOW + 3), "d": fetch_job("job-d", user="bob", at=NOW + 4)}
    for job in made.values():
        jobs.create(job, [])
    assert jobs.finish(made["b"], FetchStatus.COMPLETED, NOW + 10)
    assert jobs.finish(made["c"], FetchStatus.FAILED, NOW + 11, error="eBay refused the credentials") is True
    jobs.requeue_failures(made["c"], NOW + 12)  # no failures: stays failed
    made = {name: jobs.get(job.id) for name, job in made.items()}
    return made


def test_a_sellers_jobs_come_active_first_then_newest_first(jobs):
    made = some_jobs(jobs)

    assert [j.id for j in jobs.for_user("alice", 10)] == ["job-a", "job-c", "job-b"]
    assert [j.id for j in jobs.for_user("alice", 1)] == ["job-a"]
    assert jobs.for_user("carol", 10) == []
    assert jobs.for_user("bob", 10) == [made["d"]]


def test_the_active_jobs_of_every_seller_are_listed(jobs):
    made = some_jobs(jobs)

    assert jobs.active(10) == [made["a"], made["d"]]
    assert len(jobs.active(1)) == 1


def test_every_sellers_jobs_are_counted_by_status(jobs):
    some_jobs(jobs)

    only_counts(jobs, queued=2, completed=1, failed=1)


# ---------------------------------------------------------------- searching


def search_all(jobs: Any, limit: int = 1, **where: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(50):
        page, cursor = jobs.search(FetchFilter(**where), limit, cursor)
        assert len(page) <= limit
        ids += [j.id for j in page]
        if cursor is None:
            return ids
    raise AssertionError("the cursor never ran out")


def test_a_search_lists_every_sellers_jobs_newest_first(jobs):
    made = some_jobs(jobs)

    assert search_all(jobs) == ["job-d", "job-c", "job-b", "job-a"]
    page, _ = jobs.search(FetchFilter(), 10, None)
    assert page == [made[n] for n in "dcba"]


def test_a_sellers_search_lists_active_jobs_first(jobs):
    some_jobs(jobs)

    assert search_all(jobs, seller="alice") == ["job-a", "job-c", "job-b"]
    assert search_all(jobs, seller="alice", status=FetchStatus.COMPLETED) == ["job-b"]


def test_a_search_filters_by_status_job_time_and_reason(jobs):
    some_jobs(jobs)

    assert search_all(jobs, status=FetchStatus.QUEUED) == ["job-d", "job-a"]
    assert search_all(jobs, job_id="job-b") == ["job-b"]
    assert search_all(jobs, job_id="job-b", seller="bob") == []
    assert search_all(jobs, job_id="job-z") == []
    assert search_all(jobs, since=NOW + 2, until=NOW + 3) == ["job-c", "job-b"]
    assert search_all(jobs, reason="REFUSED") == ["job-c"]


def test_a_search_cursor_is_refused_in_another_sellers_listing(jobs):
    some_jobs(jobs)
    _, cursor = jobs.search(FetchFilter(seller="alice"), 1, None)
    assert cursor is not None

    with pytest.raises(Invalid) as refused:
        jobs.search(FetchFilter(seller="bob"), 1, cursor)
    assert refused.value.field == "cursor"
    with pytest.raises(Invalid):
        jobs.search(FetchFilter(), 1, "not-a-cursor")


# ---------------------------------------------------------------- the lease and the slots


def test_one_worker_holds_a_job_until_its_lease_ends(jobs):
    jobs.create(fetch_job(analysed=False), [])

    taken = jobs.take_lease("job-1", "run-1", NOW, NOW + MINUTE)

    assert taken == replace(fetch_job(analysed=False), lease_owner="run-1", lease_until=NOW + MINUTE)
    assert jobs.take_lease("job-1", "run-2", NOW + MINUTE, NOW + 2 * MINUTE) is None
    assert jobs.take_lease("job-1", "run-1", NOW + 1, NOW + 2 * MINUTE) is not None  # the holder keeps it
    assert jobs.take_lease("job-1", "run-2", NOW + 2 * MINUTE + 1, NOW + 3 * MINUTE).lease_owner == "run-2"
    assert jobs.take_lease("job-9", "run-1", NOW, NOW + MINUTE) is None
    only_counts(jobs, queued=1)  # not analysed: still queued


def test_the_first_lease_of_an_analysed_job_starts_processing_it(jobs):
    jobs.create(fetch_job(), CATEGORIES)

    taken = jobs.take_lease("job-1", "run-1", NOW, NOW + MINUTE)

    assert taken.status is FetchStatus.PROCESSING
    assert jobs.get("job-1").status is FetchStatus.PROCESSING
    only_counts(jobs, processing=1)


def test_a_finished_job_is_not_taken(jobs):
    job = started(jobs)
    jobs.release_lease("job-1", "run-1")
    assert jobs.finish(job, FetchStatus.CANCELLED, NOW + 1)

    assert jobs.take_lease("job-1", "run-2", NOW + 2, NOW + MINUTE) is None


def test_a_released_job_is_free_at_once_and_rests_until_its_resume_time(jobs):
    started(jobs)

    jobs.release_lease("job-1", "run-2", resume_at=NOW + 99)  # not the holder: nothing happens
    assert jobs.take_lease("job-1", "run-2", NOW + 1, NOW + MINUTE) is None

    jobs.release_lease("job-1", "run-1", resume_at=NOW + 5 * MINUTE)
    stored = jobs.get("job-1")
    assert (stored.lease_until, stored.resume_at) == (0, NOW + 5 * MINUTE)
    assert jobs.take_lease("job-1", "run-2", NOW + 2, NOW + MINUTE) is not None


def test_each_run_is_logged_by_the_lease_holder_alike_runs_folded(jobs):
    started(jobs)
    waiting = RunEntry(at=NOW, ended_at=NOW + 10, outcome=RunOutcome.WAITING, reason="categories wait for a retry",
                       resume_at=NOW + MINUTE)

    jobs.release_lease("job-1", "run-1", NOW + MINUTE, run=waiting)
    jobs.release_lease("job-1", "run-9", NOW + MINUTE, run=replace(waiting, outcome=RunOutcome.FAILED))
    jobs.take_lease("job-1", "run-2", NOW + MINUTE, NOW + 2 * MINUTE)
    jobs.release_lease("job-1", "run-2", NOW + 2 * MINUTE, run=replace(waiting, at=NOW + MINUTE,
                                                                       ended_at=NOW + MINUTE + 10, fetched=2))

    assert jobs.run_log("job-1") == (replace(waiting, ended_at=NOW + MINUTE + 10, fetched=2, count=2),)
    assert jobs.run_log("job-9") == ()


def test_a_seller_has_as_many_runs_as_slots(jobs):
    assert jobs.take_slot("alice", "run-1", NOW, NOW + MINUTE, 2) == 0
    assert jobs.take_slot("alice", "run-2", NOW, NOW + MINUTE, 2) == 1
    assert jobs.take_slot("alice", "run-3", NOW, NOW + MINUTE, 2) is None
    assert jobs.take_slot("bob", "run-3", NOW, NOW + MINUTE, 2) == 0
    assert jobs.take_slot("alice", "run-2", NOW + 1, NOW + MINUTE, 2) == 1  # its own slot again

    jobs.release_slot("alice", 0, "run-2")  # not its slot: nothing happens
    assert jobs.take_slot("alice", "run-3", NOW + 2, NOW + MINUTE, 2) is None
    jobs.release_slot("alice", 0, "run-1")
    assert jobs.take_slot("alice", "run-3", NOW + 2, NOW + MINUTE, 2) == 0


def test_a_slot_held_past_its_time_is_free(jobs):
    assert jobs.take_slot("alice", "run-1", NOW, NOW + MINUTE, 1) == 0

    assert jobs.take_slot("alice", "run-2", NOW + MINUTE, NOW + 2 * MINUTE, 1) is None
    assert jobs.take_slot("alice", "run-2", NOW + MINUTE + 1, NOW + 2 * MINUTE, 1) == 0


# ---------------------------------------------------------------- the work


def test_due_work_comes_by_due_time_then_category(jobs):
    job = started(jobs)
    face, eyes, fragrances = (WorkItem(category=c) for c in CATEGORIES)

    assert jobs.postpone(job, eyes, NOW + MINUTE, "eBay 429: too many requests", NOW)

    later = WorkItem(category=eyes.category, due_at=NOW + MINUTE, attempts=1, last_error="eBay 429: too many requests")
    # Category ids are ordered as strings, as they sort in the table's keys.
    assert jobs.due_work("job-1", NOW, 10) == [face, fragrances]
    assert jobs.due_work("job-1", NOW, 1) == [face]
    assert jobs.due_work("job-1", NOW + MINUTE, 10) == [face, fragrances, later]
    assert jobs.all_work("job-1") == [face, fragrances, later]
    assert jobs.next_work_due("job-1") == 0


def test_postponing_work_already_handled_is_refused(jobs):
    job = started(jobs)
    eyes = WorkItem(category=CATEGORIES[1])
    assert jobs.postpone(job, eyes, NOW + MINUTE, "429", NOW)

    assert not jobs.postpone(job, eyes, NOW + 2 * MINUTE, "429", NOW)  # a duplicate delivery
    assert [w.due_at for w in jobs.all_work("job-1")] == [0, 0, NOW + MINUTE]


def test_the_next_work_due_is_the_earliest_left(jobs):
    job = started(jobs, categories=[CATEGORIES[0]])
    face = WorkItem(category=CATEGORIES[0])
    jobs.postpone(job, face, NOW + MINUTE, "429", NOW)
    assert jobs.next_work_due("job-1") == NOW + MINUTE

    jobs.complete(job, [(replace(face, due_at=NOW + MINUTE, attempts=1, last_error="429"), record(face.category))],
                  NOW + MINUTE)

    assert jobs.next_work_due("job-1") is None
    assert jobs.due_work("job-1", NOW + MINUTE, 10) == []


def test_completed_work_stores_its_aspects_and_counts_once(store, jobs):
    job = started(jobs)
    done = [(WorkItem(category=c), record(c)) for c in CATEGORIES[:2]]

    assert jobs.complete(job, done, NOW + 1) == 2
    assert jobs.complete(job, done, NOW + 2) == 0  # a duplicate delivery: neither stored nor counted again

    assert counters(jobs) == (2, 2, 0)
    assert jobs.get("job-1").updated_at == NOW + 1
    assert [w.category for w in jobs.all_work("job-1")] == [CATEGORIES[2]]
    assert store.aspects.get("EBAY_US", "172022") == record(CATEGORIES[0])


def test_completed_work_counts_only_what_was_still_to_do(jobs):
    job = started(jobs)
    face, eyes = (WorkItem(category=c) for c in CATEGORIES[:2])
    jobs.complete(job, [(face, record(face.category))], NOW + 1)

    assert jobs.complete(job, [(face, record(face.category)), (eyes, record(eyes.category))], NOW + 2) == 1
    assert counters(jobs) == (2, 2, 0)


def test_a_stopped_job_stores_and_counts_nothing_more(store, jobs):
    job = started(jobs)
    assert jobs.finish(job, FetchStatus.CANCELLED, NOW + 1)
    face = WorkItem(category=CATEGORIES[0])

    assert jobs.complete(job, [(face, record(face.category))], NOW + 2) == 0
    assert not jobs.fail(job, WorkItem(category=CATEGORIES[1]), "eBay 62005", NOW + 2)

    assert counters(jobs) == (0, 0, 0)
    assert store.aspects.get("EBAY_US", "172022") is None
    assert len(jobs.all_work("job-1")) == 3
    assert jobs.failures("job-1", 10) == []


def test_failed_work_is_recorded_and_counted_once(jobs):
    job = started(jobs)
    face, eyes = (WorkItem(category=c) for c in CATEGORIES[:2])

    long_error = "eBay 62005: invalid category " + "x" * 600
    assert jobs.fail(job, face, long_error, NOW + 1)
    assert jobs.fail(job, eyes, "eBay 62004", NOW + 2)
    assert not jobs.fail(job, eyes, "eBay 62004", NOW + 3)

    assert counters(jobs) == (2, 0, 2)
    assert jobs.failures("job-1", 10) == [FailedCategory(eyes.category, "eBay 62004"),
                                          FailedCategory(face.category, long_error[:500])]
    assert jobs.failures("job-1", 1) == [FailedCategory(eyes.category, "eBay 62004")]
    assert [w.category for w in jobs.all_work("job-1")] == [CATEGORIES[2]]


# ---------------------------------------------------------------- finishing, progress, retrying failures


def test_a_job_finishes_once(jobs):
    job = started(jobs)

    assert jobs.finish(job, FetchStatus.COMPLETED, NOW + 5)
    assert not jobs.finish(job, FetchStatus.FAILED, NOW + 6, error="too late")

    stored = jobs.get("job-1")
    assert (stored.status, stored.updated_at, stored.error) == (FetchStatus.COMPLETED, NOW + 5, None)
    only_counts(jobs, completed=1)


def test_a_queued_job_can_be_stopped(jobs):
    jobs.create(fetch_job(analysed=False), [])

    assert jobs.finish(fetch_job(analysed=False), FetchStatus.FAILED, NOW + 5, error="eBay refused the credentials")

    assert jobs.get("job-1").error == "eBay refused the credentials"
    only_counts(jobs, failed=1)


def test_a_finish_stores_its_events_only_over_the_finishes_it_read(store, jobs):
    job = started(jobs)
    jobs.fail(job, WorkItem(category=CATEGORIES[0]), "eBay 62005", NOW + 1)
    first = JobEvent.create("category_fetch.completed", ["job-1", 0], NOW + 5, {"jobId": "job-1"}, ["alice"])
    assert jobs.finish(job, FetchStatus.COMPLETED, NOW + 5, events=[first])
    jobs.requeue_failures(jobs.get("job-1"), NOW + 6)
    again = JobEvent.create("category_fetch.completed", ["job-1", 1], NOW + 8, {"jobId": "job-1"}, ["alice"])
    stale = JobEvent.create("category_fetch.failed", ["job-1", 0], NOW + 7, {"jobId": "job-1"}, ["alice"])

    # A run that read the job before it was reopened finishes it with the first finish's count: refused.
    assert not jobs.finish(job, FetchStatus.FAILED, NOW + 7, events=[stale])
    assert jobs.finish(jobs.get("job-1"), FetchStatus.COMPLETED, NOW + 8, events=[again])

    assert jobs.get("job-1").finishes == 2
    assert store.stored_events(first.id, again.id, stale.id) == {first.id, again.id}


def test_progress_is_stored_at_most_once_an_interval(store, jobs):
    job = started(jobs)
    events = [JobEvent.create("category_fetch.progress", ["job-1", n], NOW + n, {"jobId": "job-1"}, ["alice"])
              for n in range(4)]

    assert jobs.progress(job, events[0], NOW, 10_000)
    assert not jobs.progress(job, events[1], NOW + 9_999, 10_000)
    assert jobs.progress(job, events[2], NOW + 10_000, 10_000)
    assert not jobs.progress(job, events[2], NOW + 30_000, 10_000)  # the very same event again
    assert jobs.finish(job, FetchStatus.CANCELLED, NOW + 40_000)
    assert not jobs.progress(job, events[3], NOW + 50_000, 10_000)

    assert jobs.get("job-1").progress_at == NOW + 10_000
    assert store.stored_events(*(e.id for e in events)) == {events[0].id, events[2].id}


def test_retrying_failures_reopens_the_finished_job(jobs):
    job = started(jobs)
    face, eyes, fragrances = (WorkItem(category=c) for c in CATEGORIES)
    jobs.fail(job, face, "eBay 62005", NOW + 1)
    jobs.fail(job, eyes, "eBay 62005", NOW + 2)
    jobs.complete(job, [(fragrances, record(fragrances.category))], NOW + 3)
    jobs.release_lease("job-1", "run-1", resume_at=NOW + 4)
    assert jobs.finish(job, FetchStatus.COMPLETED, NOW + 4, error="2 categories failed")

    assert jobs.requeue_failures(jobs.get("job-1"), NOW + MINUTE) == 2

    stored = jobs.get("job-1")
    assert (stored.status, stored.processed, stored.success, stored.failed, stored.error, stored.resume_at,
            stored.updated_at) == (FetchStatus.PROCESSING, 1, 1, 0, None, 0, NOW + MINUTE)
    assert jobs.failures("job-1", 10) == []
    assert jobs.due_work("job-1", NOW + MINUTE, 10) == [WorkItem(category=eyes.category, due_at=NOW + MINUTE),
                                                          WorkItem(category=face.category, due_at=NOW + MINUTE)]
    only_counts(jobs, processing=1)
    assert jobs.finish(stored, FetchStatus.COMPLETED, NOW + 2 * MINUTE)  # and it can finish again


def test_only_a_finished_job_with_failures_is_reopened(jobs):
    job = started(jobs)
    jobs.fail(job, WorkItem(category=CATEGORIES[0]), "eBay 62005", NOW + 1)
    assert jobs.requeue_failures(job, NOW + 2) == 0  # still processing

    jobs.create(fetch_job("job-2"), [])
    assert jobs.finish(fetch_job("job-2"), FetchStatus.COMPLETED, NOW + 3)
    assert jobs.requeue_failures(jobs.get("job-2"), NOW + 4) == 0  # nothing failed

    assert len(jobs.failures("job-1", 10)) == 1
    assert jobs.get("job-2").status is FetchStatus.COMPLETED
    only_counts(jobs, processing=1, completed=1)


# ---------------------------------------------------------------- stored aspects


def test_a_category_never_fetched_has_no_aspects(store):
    assert store.aspects.get("EBAY_US", "172022") is None


def test_aspects_too_large_for_an_item_read_back_whole(store, jobs):
    job = started(jobs)
    rng = random.Random(7)
    # About 1 MB of values that do not compress well: past DynamoDB's item limit even gzipped.
    huge = [{"localizedAspectName": f"Aspect {i}",
             "aspectValues": [{"localizedValue": rng.randbytes(48).hex()} for _ in range(10)]} for i in range(1000)]
    face = CATEGORIES[0]

    assert jobs.complete(job, [(WorkItem(category=face), record(face, aspects=huge))], NOW + 1) == 1

    assert store.aspects.get("EBAY_US", face.category_id) == record(face, aspects=huge)
    assert store.aspects.get("EBAY_GB", face.category_id) is None
