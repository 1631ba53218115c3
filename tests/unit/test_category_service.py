"""CategoryFetchService on in-memory fakes: start, status, cancel, retry-failed and stored aspects."""

from __future__ import annotations

import re

import pytest

from sellerjobs.categories.job import AspectRecord, Category, FetchJob, FetchMode, FetchStatus, WorkItem
from sellerjobs.categories.ports import FetchMessage
from sellerjobs.categories.service import MAX_ERRORS_SHOWN, AspectsNotFound, FetchNotFound
from sellerjobs.errors import Conflict, Invalid, NotFound
from sellerjobs.jobs.marketplace import ErrorDetail, MarketplaceAuthError, MarketplaceTransient, RequestRejected
from tests.unit.category_fakes import SUBTREE_LEAVES, World, ebay_error, flat_tree, leaf_id


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def service(world):
    return world.service()


def operations(world: World) -> list[str]:
    return [c.operation for c in world.taxonomy.calls]


def settle(world: World, job: FetchJob, failed: int = 0) -> FetchJob:
    """Process a job's work the way the worker would: the first ``failed`` categories fail, then finish."""
    now = world.now()
    items = world.jobs.all_work(job.id)
    for item in items[:failed]:
        assert world.jobs.fail(job, item, f"eBay 62005: category {item.category.category_id} is gone", now)
    for item in items[failed:]:
        record = AspectRecord("EBAY_US", "0", "130", item.category.category_id, item.category.name, [], now, job.id)
        assert world.jobs.complete(job, [(item, record)], now) == 1
    assert world.jobs.finish(job, FetchStatus.COMPLETED, now)
    return world.jobs.stored(job.id)


# ---------------------------------------------------------------- start


def test_start_with_a_parent_reads_the_subtree_at_once(world, service):
    now = world.now()

    # When a seller starts a fetch of Health & Beauty, at most 4 categories
    started = service.start("alice", "EBAY_US", "26395", 4, FetchMode.AUTO)

    # Then the job is stored analysed, with the subtree's first 4 leaves as work due now
    job = world.jobs.stored(started.job.id)
    assert re.fullmatch(rf"job-{now}-[a-z0-9]{{6}}", job.id)
    assert job == started.job
    assert (job.user_id, job.marketplace_id, job.status, job.analysed, job.total) == (
        "alice", "EBAY_US", FetchStatus.QUEUED, True, 4)
    assert job.parent_label == "Health & Beauty (26395)"
    assert (job.parent_category_id, job.max_categories, job.tree_id, job.tree_version) == ("26395", 4, "0", "130")
    assert job.mode is FetchMode.PER_CATEGORY  # auto: a subtree is fetched category by category
    assert (job.created_at, job.updated_at, job.processed) == (now, now, 0)
    assert world.jobs.work_of(job.id) == [WorkItem(category=c) for c in SUBTREE_LEAVES[:4]]
    # And a message starts the worker at once; no aspects are fetched here
    assert world.queue.sent == [FetchMessage(job_id=job.id, not_before=now, user_id="alice")]
    assert operations(world) == ["default_tree", "subtree"]
    assert "4 categories" in started.message


def test_start_with_a_parent_and_no_limit_takes_every_leaf_of_the_subtree(world, service):
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)

    assert started.job.total == len(SUBTREE_LEAVES)
    # (work is kept in category-id order, as the adapter's sort key keeps it)
    assert [w.category for w in world.jobs.work_of(started.job.id)] == sorted(SUBTREE_LEAVES,
                                                                              key=lambda c: c.category_id)


def test_start_with_a_leaf_as_parent_fetches_that_category(world, service):
    started = service.start("alice", "EBAY_US", "31411", None, FetchMode.AUTO)

    assert started.job.parent_label == "Fragrances (31411)"
    assert [w.category for w in world.jobs.work_of(started.job.id)] == [Category("31411", "Fragrances")]


@pytest.mark.parametrize("mode", [FetchMode.BULK, FetchMode.PER_CATEGORY])
def test_an_explicit_mode_is_kept(world, service, mode):
    started = service.start("alice", "EBAY_US", "26395", None, mode)

    assert world.jobs.stored(started.job.id).mode is mode


def test_start_without_a_parent_leaves_the_tree_to_the_worker(world, service):
    now = world.now()

    started = service.start("alice", "EBAY_US", None, 100, FetchMode.AUTO)

    job = world.jobs.stored(started.job.id)
    assert (job.status, job.analysed, job.total, job.mode) == (FetchStatus.QUEUED, False, 0, FetchMode.AUTO)
    assert job.parent_label == "All categories (EBAY_US)"
    assert (job.max_categories, job.tree_id) == (100, "0")
    assert world.jobs.work_of(job.id) == []
    assert world.queue.sent == [FetchMessage(job_id=job.id, not_before=now, user_id="alice")]
    assert operations(world) == ["default_tree"]  # the whole tree is not read by the API
    assert "being read" in started.message


def test_each_start_is_a_new_job(service):
    first = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    second = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)

    assert first.job.id != second.job.id


# ---------------------------------------------------------------- bad input


def assert_nothing_written(world: World) -> None:
    assert world.jobs.jobs == {}
    assert world.queue.sent == []


@pytest.mark.parametrize("error_id", [62002, 62003])
def test_an_unknown_marketplace_is_invalid_marketplace_id(world, service, error_id):
    world.taxonomy.fail_next("default_tree", ebay_error(error_id, 400, "Invalid marketplace"))

    with pytest.raises(Invalid) as caught:
        service.start("alice", "EBAY_XX", None, None, FetchMode.AUTO)

    assert caught.value.field == "marketplaceId"
    assert f"eBay {error_id}" in str(caught.value)
    assert_nothing_written(world)


def test_an_unknown_category_is_invalid_parent_category_id(world, service):
    # Given eBay's answer for a category the tree lacks (404, 62005)

    with pytest.raises(Invalid) as caught:
        service.start("alice", "EBAY_US", "999999", None, FetchMode.AUTO)

    assert caught.value.field == "parentCategoryId"
    assert "62005" in str(caught.value)
    assert_nothing_written(world)


def test_a_4xx_without_a_known_error_id_is_still_the_callers_fault(world, service):
    world.taxonomy.fail_next("subtree", RequestRejected(409, []))

    with pytest.raises(Invalid) as caught:
        service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)

    assert caught.value.field == "parentCategoryId"
    assert_nothing_written(world)


@pytest.mark.parametrize("operation", ["default_tree", "subtree"])
@pytest.mark.parametrize("error", [
    MarketplaceTransient("eBay server error (HTTP 503)"),
    RequestRejected(500, [ErrorDetail(error_id=62000, message="internal")]),
    MarketplaceAuthError("eBay refused the application's token (HTTP 401)"),
], ids=["transient-5xx", "request-error-500", "credentials"])
def test_ebay_failing_is_not_a_bad_request(world, service, operation, error):
    world.taxonomy.fail_next(operation, error)

    with pytest.raises(type(error)) as caught:
        service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)

    assert not isinstance(caught.value, Invalid)
    assert_nothing_written(world)


# ---------------------------------------------------------------- status


def test_status_of_an_own_job_without_failures(world, service):
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)

    job, errors = service.status("alice", started.job.id)

    assert job == world.jobs.stored(started.job.id)
    assert errors == []


def test_status_lists_failed_categories_with_their_names(world, service):
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    settle(world, started.job, failed=2)

    job, errors = service.status("alice", started.job.id)

    assert (job.status, job.processed, job.success, job.failed) == (FetchStatus.COMPLETED, 6, 4, 2)
    assert [(e.category, e.error) for e in errors] == [
        (Category("172020", "Eyes"), "eBay 62005: category 172020 is gone"),
        (Category("172022", "Face"), "eBay 62005: category 172022 is gone")]


def test_status_shows_at_most_a_hundred_errors(world, service):
    world.taxonomy.trees["0"] = flat_tree(MAX_ERRORS_SHOWN + 20)
    started = service.start("alice", "EBAY_US", "0", None, FetchMode.AUTO)
    settle(world, started.job, failed=MAX_ERRORS_SHOWN + 20)

    job, errors = service.status("alice", started.job.id)

    assert job.failed == MAX_ERRORS_SHOWN + 20
    assert len(errors) == MAX_ERRORS_SHOWN
    assert errors[0].category.category_id == leaf_id(0)


def test_list_returns_the_callers_jobs(world, service):
    mine = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    service.start("bob", "EBAY_US", "26395", None, FetchMode.AUTO)

    assert [j.id for j in service.list("alice")] == [mine.job.id]


# ---------------------------------------------------------------- another user's job


@pytest.mark.parametrize("action", ["status", "cancel", "retry_failed"])
def test_another_users_job_does_not_exist_for_you(world, service, action):
    # Given Alice's job, finished with a failure (so retry-failed would otherwise be allowed)
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    before = settle(world, started.job, failed=1)
    sent = list(world.queue.sent)

    # When Bob asks about it
    with pytest.raises(FetchNotFound) as caught:
        getattr(service, action)("bob", started.job.id)

    # Then it is not found, and nothing changed
    assert isinstance(caught.value, NotFound)
    assert world.jobs.stored(started.job.id) == before
    assert world.queue.sent == sent


@pytest.mark.parametrize("action", ["status", "cancel", "retry_failed"])
def test_an_unknown_job_is_not_found(service, action):
    with pytest.raises(FetchNotFound, match="job-1-nothere"):
        getattr(service, action)("alice", "job-1-nothere")


# ---------------------------------------------------------------- cancel


def test_cancel_stops_an_active_job(world, service):
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    world.clock.advance(3)

    cancelled = service.cancel("alice", started.job.id)

    assert cancelled.status is FetchStatus.CANCELLED
    assert cancelled.updated_at == world.now()
    assert world.jobs.stored(started.job.id) == cancelled


@pytest.mark.parametrize("finished", ["completed", "cancelled"])
def test_cancel_of_a_finished_job_is_a_conflict(world, service, finished):
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    if finished == "completed":
        settle(world, started.job)
    else:
        service.cancel("alice", started.job.id)
    before = world.jobs.stored(started.job.id)

    with pytest.raises(Conflict, match=f"already {finished}"):
        service.cancel("alice", started.job.id)

    assert world.jobs.stored(started.job.id) == before


# ---------------------------------------------------------------- retry failed


def test_retry_failed_requeues_only_the_failures(world, service):
    # Given a completed job of 6 categories, 2 of which failed
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    settle(world, started.job, failed=2)
    world.queue.take()
    world.clock.advance(60)
    now = world.now()

    # When the seller retries the failures
    job, requeued = service.retry_failed("alice", started.job.id)

    # Then those two are work again, due now, and the job is back in progress
    assert requeued == 2
    assert world.jobs.work_of(job.id) == [WorkItem(Category("172020", "Eyes"), due_at=now),
                                         WorkItem(Category("172022", "Face"), due_at=now)]
    assert (job.status, job.processed, job.success, job.failed) == (FetchStatus.PROCESSING, 4, 4, 0)
    assert job == world.jobs.stored(started.job.id)
    assert world.jobs.failures(job.id, 10) == []
    # And the worker is told at once
    assert world.queue.sent == [FetchMessage(job_id=job.id, not_before=now, user_id="alice")]


def test_retry_failed_of_a_job_failed_for_good_reopens_it(world, service):
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    item = world.jobs.all_work(started.job.id)[0]
    world.jobs.fail(started.job, item, "eBay 62005", world.now())
    world.jobs.finish(started.job, FetchStatus.FAILED, world.now(), error="eBay refused our credentials")

    job, requeued = service.retry_failed("alice", started.job.id)

    assert requeued == 1
    assert (job.status, job.error, job.failed) == (FetchStatus.PROCESSING, None, 0)


@pytest.mark.parametrize("state", ["queued", "processing"])
def test_retry_failed_while_active_is_a_conflict(world, service, state):
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    item = world.jobs.all_work(started.job.id)[0]
    world.jobs.fail(started.job, item, "eBay 62005", world.now())  # something failed already
    if state == "processing":
        world.jobs.take_lease(started.job.id, "worker", world.now(), world.now() + 1000)
    world.queue.take()
    before = world.jobs.stored(started.job.id)

    with pytest.raises(Conflict, match=f"still {state}"):
        service.retry_failed("alice", started.job.id)

    assert world.jobs.stored(started.job.id) == before
    assert world.queue.sent == []


def test_retry_failed_with_nothing_failed_is_a_conflict(world, service):
    started = service.start("alice", "EBAY_US", "26395", None, FetchMode.AUTO)
    settle(world, started.job)
    world.queue.take()

    with pytest.raises(Conflict, match="no failed categories"):
        service.retry_failed("alice", started.job.id)

    assert world.jobs.stored(started.job.id).status is FetchStatus.COMPLETED
    assert world.queue.sent == []


# ---------------------------------------------------------------- stored aspects


def test_stored_aspects_are_returned(world, service):
    record = AspectRecord("EBAY_US", "0", "130", "172020", "Eyes", [{"localizedAspectName": "Brand"}],
                          world.now(), "job-1-aaaaaa")
    world.aspects.put(record)

    assert service.stored_aspects("EBAY_US", "172020") == record


def test_missing_aspects_are_not_found(world, service):
    world.aspects.put(AspectRecord("EBAY_GB", "3", "1", "172020", "Eyes", [], world.now(), "job-1-aaaaaa"))

    with pytest.raises(AspectsNotFound) as caught:
        service.stored_aspects("EBAY_US", "172020")

    assert isinstance(caught.value, NotFound)
    assert "172020" in str(caught.value) and "EBAY_US" in str(caught.value)
