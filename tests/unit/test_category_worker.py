"""CategoryFetchWorker on in-memory fakes: ticks, leases, reading the tree, per-category and bulk runs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sellerjobs.categories.job import AspectRecord, Category, FailedCategory, FetchJob, FetchMode, FetchStatus, WorkItem
from sellerjobs.categories.ports import FetchMessage
from sellerjobs.categories.worker import BULK_BATCH, WORK_PAGE, CategoryFetchWorker, RunReport
from sellerjobs.jobs.marketplace import (
    ErrorDetail,
    MarketplaceAuthError,
    MarketplaceCallError,
    MarketplaceThrottled,
    MarketplaceTransient,
    RequestRejected,
)
from sellerjobs.jobs.rate_budget import RateLimited
from tests.unit.category_fakes import SETTINGS, Call, World, aspect, ebay_error, flat_tree, leaf_id

T0 = 1_767_225_600_000  # the ManualClock's start, in epoch ms
SPACING_MS = int(SETTINGS.spacing_s * 1000)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def worker(world) -> CategoryFetchWorker:
    return world.worker()


def aspect_calls(world: World) -> list[str]:
    return [c.arg for c in world.taxonomy.ops("aspects")]


def record_for(job: FetchJob, category: Category) -> AspectRecord:
    return AspectRecord("EBAY_US", "0", "130", category.category_id, category.name, [], T0, job.id)


def drive(world: World, worker: CategoryFetchWorker, job_id: str, max_steps: int = 500) -> FetchJob:
    """Deliver queued messages, and tick every minute when there are none, until the job has finished."""
    for _ in range(max_steps):
        job = world.jobs.stored(job_id)
        if not job.status.active:
            return job
        messages = world.queue.take()
        if not messages:
            world.clock.advance(60)
            worker.tick()
            continue
        for message in messages:
            worker.run(message.job_id)
    raise AssertionError("the job did not finish")


# ---------------------------------------------------------------- tick


def test_tick_sends_one_message_per_active_job_that_is_not_waiting(world, worker):
    # Given five jobs: two ready, one waiting for its resume time, two finished
    ready = world.add_job([Category("1", "a")], job_id="job-1-ready1", created_at=T0 - 3)
    resumed = world.add_job([Category("1", "a")], job_id="job-2-ready2", created_at=T0 - 2)
    world.jobs.put(replace(resumed, resume_at=T0))  # its wait is over (due exactly now)
    waiting = world.add_job([Category("1", "a")], job_id="job-3-waits1", created_at=T0 - 1)
    world.jobs.put(replace(waiting, resume_at=T0 + 30_000))
    for n, status in enumerate([FetchStatus.COMPLETED, FetchStatus.CANCELLED]):
        done = world.add_job([Category("1", "a")], job_id=f"job-{4 + n}-done{n}0")
        world.jobs.put(replace(done, status=status))

    # When the minute's tick runs
    sent = worker.tick()

    # Then only the two ready jobs get a message
    assert sent == 2
    assert world.queue.sent == [FetchMessage(job_id=ready.id, not_before=T0, user_id="alice"),
                                FetchMessage(job_id=resumed.id, not_before=T0, user_id="alice")]

    # And once the waiting job's time has come, it gets one too
    world.queue.take()
    world.clock.advance(30)
    assert worker.tick() == 3
    assert {m.job_id for m in world.queue.sent} == {ready.id, resumed.id, waiting.id}


def test_tick_counts_only_the_messages_the_queue_took(world, worker):
    world.add_job([Category("1", "a")])
    world.queue.refuse = True

    assert worker.tick() == 0


# ---------------------------------------------------------------- the lease


def test_a_run_skips_a_job_another_run_holds(world, worker):
    # Given a job another run leased for a minute
    job = world.add_job(world.categories(2))
    assert world.jobs.take_lease(job.id, "other-run", T0, T0 + 60_000) is not None

    # When a second message arrives
    report = worker.run(job.id)

    # Then it does nothing and leaves the lease alone
    assert report.skipped
    assert world.taxonomy.calls == []
    stored = world.jobs.stored(job.id)
    assert (stored.lease_owner, stored.lease_until) == ("other-run", T0 + 60_000)

    # And once that lease has run out (the other run crashed), a run takes over
    world.clock.advance(61)
    taken_over = worker.run(job.id)
    assert not taken_over.skipped and taken_over.completed


@pytest.mark.parametrize("status", [FetchStatus.COMPLETED, FetchStatus.FAILED, FetchStatus.CANCELLED])
def test_a_run_skips_a_finished_job(world, worker, status):
    job = world.add_job(world.categories(2))
    world.jobs.put(replace(world.jobs.stored(job.id), status=status))

    report = worker.run(job.id)

    assert report.skipped
    assert world.taxonomy.calls == []
    assert world.jobs.stored(job.id).status is status


def test_a_run_of_an_analysed_queued_job_shows_it_processing(world, worker):
    job = world.add_job(world.categories(3))
    world.taxonomy.fail_next("aspects", RateLimited("taxonomy", 10.0))

    worker.run(job.id)

    assert world.jobs.stored(job.id).status is FetchStatus.PROCESSING


# ---------------------------------------------------------------- reading the tree


def test_an_unanalysed_job_has_its_tree_read_and_its_leaves_capped(world, worker):
    # Given a whole-tree job (created queued, unanalysed) capped at 4 of 10 leaves
    leaves = world.categories(10)
    job = world.add_job(None, max_categories=4, mode=FetchMode.PER_CATEGORY)
    # (our budget refuses the first aspects call, so the run stops right after reading the tree)
    world.taxonomy.fail_next("aspects", RateLimited("taxonomy", 10.0))

    # When the worker runs it
    report = worker.run(job.id)

    # Then the tree was read once and the first 4 leaves became work
    assert [c.operation for c in world.taxonomy.calls] == ["tree", "aspects"]
    stored = world.jobs.stored(job.id)
    assert (stored.analysed, stored.total, stored.status, stored.mode) == (
        True, 4, FetchStatus.PROCESSING, FetchMode.PER_CATEGORY)
    assert world.jobs.work_of(job.id) == [WorkItem(category=c) for c in leaves[:4]]
    assert report.ebay_calls == 1


def test_an_analysed_job_fetches_only_its_leaves(world, worker):
    world.categories(10)
    job = world.add_job(None, max_categories=4, mode=FetchMode.PER_CATEGORY)

    report = worker.run(job.id)

    assert aspect_calls(world) == [leaf_id(i) for i in range(4)]
    assert report.completed
    stored = world.jobs.stored(job.id)
    assert (stored.total, stored.processed, stored.success, stored.status) == (4, 4, 4, FetchStatus.COMPLETED)


def test_a_run_does_not_read_the_tree_of_an_analysed_job(world, worker):
    job = world.add_job(world.categories(2))

    worker.run(job.id)

    assert world.taxonomy.ops("tree") == []


@pytest.mark.parametrize(("max_categories", "mode"), [
    (None, FetchMode.BULK),  # the whole tree
    (10, FetchMode.BULK),
    (5, FetchMode.BULK),  # exactly bulk_share (0.5) of the tree
    (4, FetchMode.PER_CATEGORY),  # just under it
    (1, FetchMode.PER_CATEGORY),
])
def test_auto_mode_is_bulk_when_the_job_covers_enough_of_the_tree(world, worker, max_categories, mode):
    world.categories(10)
    job = world.add_job(None, max_categories=max_categories, mode=FetchMode.AUTO)

    report = worker.run(job.id)

    assert world.jobs.stored(job.id).mode is mode
    expected_calls = ["tree", "all_aspects"] if mode is FetchMode.BULK else ["tree"] + ["aspects"] * max_categories
    assert [c.operation for c in world.taxonomy.calls] == expected_calls
    assert report.completed


def test_bulk_share_comes_from_the_settings(world):
    world.categories(10)
    job = world.add_job(None, max_categories=4, mode=FetchMode.AUTO)

    world.worker(replace(SETTINGS, bulk_share=0.4)).run(job.id)

    assert world.jobs.stored(job.id).mode is FetchMode.BULK


@pytest.mark.parametrize(("max_categories", "mode"), [(None, FetchMode.PER_CATEGORY), (1, FetchMode.BULK)])
def test_an_explicit_mode_is_kept_whatever_the_share(world, worker, max_categories, mode):
    world.categories(4)
    job = world.add_job(None, max_categories=max_categories, mode=mode)

    worker.run(job.id)

    assert world.jobs.stored(job.id).mode is mode


@pytest.mark.parametrize(("error", "wait_ms"), [
    (RateLimited("taxonomy", 42.0), 42_000),
    (MarketplaceThrottled("eBay rate limit reached (HTTP 429)"), 60_000),
    (MarketplaceTransient("eBay server error (HTTP 503)"), 30_000),
], ids=["budget", "ebay-429", "transient"])
def test_a_tree_that_cannot_be_read_now_defers_the_job(world, worker, error, wait_ms):
    world.categories(4)
    job = world.add_job(None)
    world.taxonomy.fail_next("tree", error)

    report = worker.run(job.id)

    assert report.deferred and report.resume_at == T0 + wait_ms
    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.analysed, stored.resume_at) == (FetchStatus.QUEUED, False, T0 + wait_ms)
    assert world.queue.sent == []


@pytest.mark.parametrize(("error", "reason"), [
    (MarketplaceAuthError("eBay refused the application's token (HTTP 401)"),
     "eBay refused the application's token (HTTP 401)"),
    (ebay_error(62000, 404, "no such tree"), "eBay refused the request: eBay 62000: no such tree"),
], ids=["credentials", "request"])
def test_a_tree_eBay_refuses_fails_the_job_with_the_reason(world, worker, error, reason):
    world.categories(4)
    job = world.add_job(None)
    world.taxonomy.fail_next("tree", error)

    report = worker.run(job.id)

    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.error) == (FetchStatus.FAILED, reason)
    assert not report.completed
    assert world.jobs.finishes == [(job.id, FetchStatus.FAILED)]


def test_a_budget_refusal_while_reading_the_tree_is_not_an_ebay_call(world, worker):
    world.categories(4)
    job = world.add_job(None)
    world.taxonomy.fail_next("tree", RateLimited("taxonomy", 42.0))

    report = worker.run(job.id)

    assert report.deferred
    assert report.ebay_calls == 0


def test_a_job_cancelled_while_its_tree_is_read_stops_the_run_cleanly(world, worker):
    # Given a whole-tree job, and the seller cancelling it while the worker reads its tree
    world.categories(4)
    job = world.add_job(None, mode=FetchMode.PER_CATEGORY)

    def cancel_during_the_tree(call: Call) -> None:
        if call.operation == "tree":
            world.jobs.finish(world.jobs.stored(job.id), FetchStatus.CANCELLED, call.at_ms)

    world.taxonomy.on_call = cancel_during_the_tree

    # When a run processes it (storing the work finds the job stopped)
    report = worker.run(job.id)

    # Then the run stops without an error, asks eBay nothing more and leaves the job cancelled
    assert [c.operation for c in world.taxonomy.calls] == ["tree"]
    assert (report.fetched, report.ebay_calls, report.completed, report.deferred) == (0, 1, False, False)
    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.analysed, stored.total) == (FetchStatus.CANCELLED, False, 0)
    assert world.jobs.finishes == [(job.id, FetchStatus.CANCELLED)]
    # And hands back the lease and the budget, with nothing queued
    assert stored.lease_until == 0 and world.budget.count == 1
    assert world.queue.sent == []


# ---------------------------------------------------------------- one call per category


@pytest.mark.parametrize("spacing_s", [0.25, 0.5])
def test_calls_are_spaced_by_the_settings_on_the_clock(world, spacing_s):
    job = world.add_job(world.categories(4))

    world.worker(replace(SETTINGS, spacing_s=spacing_s)).run(job.id)

    step = int(spacing_s * 1000)
    assert [c.at_ms for c in world.taxonomy.ops("aspects")] == [T0, T0 + step, T0 + 2 * step, T0 + 3 * step]


def test_the_first_call_after_reading_the_tree_is_spaced(world, worker):
    world.categories(2)
    job = world.add_job(None, mode=FetchMode.PER_CATEGORY)

    worker.run(job.id)

    assert [(c.operation, c.at_ms) for c in world.taxonomy.calls] == [
        ("tree", T0), ("aspects", T0 + SPACING_MS), ("aspects", T0 + 2 * SPACING_MS)]


def test_each_category_is_fetched_and_stored_once(world, worker):
    # Given a job of four categories, two of which have aspects (the others answer 204)
    leaves = world.categories(4)
    world.taxonomy.aspects_by_category = {leaf_id(0): [aspect("Brand", "Acme")], leaf_id(2): [aspect("Colour")]}
    job = world.add_job(leaves)

    # When a run processes it
    report = worker.run(job.id)

    # Then each was fetched and stored once, as eBay gave it, and counted
    assert aspect_calls(world) == [c.category_id for c in leaves]
    assert dict(world.aspects.writes) == {c.category_id: 1 for c in leaves}
    first = world.aspects.get("EBAY_US", leaf_id(0))
    assert first is not None
    assert (first.category_name, first.aspects, first.tree_id, first.tree_version, first.job_id, first.fetched_at) \
        == ("Leaf 0", [aspect("Brand", "Acme")], "0", "130", job.id, T0)
    empty = world.aspects.get("EBAY_US", leaf_id(1))
    assert empty is not None and empty.aspects == []
    stored = world.jobs.stored(job.id)
    assert (stored.processed, stored.success, stored.failed, stored.status) == (4, 4, 0, FetchStatus.COMPLETED)
    assert world.jobs.work_of(job.id) == []
    # And the run reports it; nothing is left to pass on
    assert (report.fetched, report.failed, report.retried, report.ebay_calls, report.completed) == (4, 0, 0, 4, True)
    assert world.queue.sent == []
    assert "4 fetched" in report.summary() and "completed" in report.summary()


def test_a_run_stops_at_its_time_and_passes_the_rest_on_at_once(world):
    # Given runs of one second, calls a quarter of a second apart, and eight categories
    leaves = world.categories(8)
    job = world.add_job(leaves)
    worker = world.worker(replace(SETTINGS, run_s=1.0))

    # When one run works on them
    report = worker.run(job.id)

    # Then it fetched what fits into its second and queued the next run for now
    assert aspect_calls(world) == [leaf_id(i) for i in range(5)]
    assert report.fetched == 5 and not report.completed and report.resume_at == 0
    assert world.queue.sent == [FetchMessage(job_id=job.id, not_before=T0 + 1_000, user_id="alice")]
    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.processed, stored.lease_until) == (FetchStatus.PROCESSING, 5, 0)

    # And the next run goes on where it stopped, fetching nothing twice
    world.queue.take()
    second = worker.run(job.id)
    assert aspect_calls(world) == [c.category_id for c in leaves]
    assert second.completed and world.jobs.stored(job.id).status is FetchStatus.COMPLETED
    assert world.queue.sent == []


def test_a_run_whose_time_ends_with_its_last_category_completes_the_job(world):
    # Given five categories and a run that has time for exactly five calls
    job = world.add_job(world.categories(5))
    worker = world.worker(replace(SETTINGS, run_s=1.0))

    report = worker.run(job.id)

    assert report.fetched == 5
    assert report.completed
    assert world.queue.sent == []


def test_no_call_starts_after_the_runs_time_even_after_its_spacing(world):
    # Given runs of one second, calls a quarter of a second apart that each take an eighth
    job = world.add_job(world.categories(8))
    worker = world.worker(replace(SETTINGS, run_s=1.0))
    world.taxonomy.on_call = lambda call: world.clock.advance(0.125)

    # When a run works on them
    report = worker.run(job.id)

    # Then the last call started before the second was up; the next (at 1.125 s) is left to the next run
    assert [c.at_ms for c in world.taxonomy.ops("aspects")] == [T0, T0 + 375, T0 + 750]
    assert report.fetched == 3 and not report.completed
    assert world.queue.sent == [FetchMessage(job_id=job.id, not_before=T0 + 875, user_id="alice")]


def test_more_than_a_page_of_work_is_done_in_one_run(world, worker):
    leaves = world.categories(WORK_PAGE * 2 + 3)
    job = world.add_job(leaves)

    report = worker.run(job.id)

    assert report.fetched == len(leaves) and report.completed


# ---------------------------------------------------------------- per-category errors


def test_a_transient_error_postpones_the_category_and_the_others_go_on(world, worker):
    # Given three categories, the second of which eBay fails once
    leaves = world.categories(3)
    job = world.add_job(leaves)
    error = MarketplaceTransient("eBay server error (HTTP 503)")
    world.taxonomy.fail_next("aspects", error, on=leaf_id(1))

    # When a run processes them
    report = worker.run(job.id)

    # Then the others are fetched, and the failed one is due again after the first backoff
    failed_at = T0 + SPACING_MS
    assert aspect_calls(world) == [leaf_id(0), leaf_id(1), leaf_id(2)]
    assert world.jobs.work_of(job.id) == [WorkItem(leaves[1], due_at=failed_at + 30_000, attempts=1,
                                                   last_error="eBay server error (HTTP 503)")]
    assert (report.fetched, report.retried, report.failed) == (2, 1, 0)
    # And the job waits for it, unfinished, until exactly then
    assert not report.completed and report.resume_at == failed_at + 30_000
    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.processed, stored.resume_at) == (FetchStatus.PROCESSING, 2, failed_at + 30_000)
    assert world.jobs.finishes == []
    assert world.queue.sent == []
    assert worker.tick() == 0  # nothing to do before the retry is due

    # When the retry is due, the tick starts the run that fetches it and completes the job
    world.clock.set((failed_at + 30_000) / 1000)
    assert worker.tick() == 1
    last = worker.run(job.id)
    assert last.completed and world.jobs.stored(job.id).success == 3


def test_a_category_failing_every_attempt_backs_off_and_is_recorded_failed_with_its_name(world, worker):
    # Given a category eBay fails three times in a row (max_attempts = 3)
    leaves = world.categories(3)
    job = world.add_job(leaves)
    world.taxonomy.fail_next("aspects", *(MarketplaceTransient(f"eBay timeout {n}") for n in (1, 2, 3)),
                             on=leaf_id(1))

    # When runs go on at each retry's due time
    first = worker.run(job.id)
    due_1 = first.resume_at
    world.clock.set(due_1 / 1000)
    second = worker.run(job.id)
    due_2 = second.resume_at
    world.clock.set(due_2 / 1000)
    third = worker.run(job.id)

    # Then the waits were 30 s and 60 s (retry_backoff_s * 2 ** (attempt - 1))
    assert due_1 == T0 + SPACING_MS + 30_000
    assert due_2 == due_1 + 60_000
    assert [c.at_ms for c in world.taxonomy.ops("aspects") if c.arg == leaf_id(1)] == [T0 + SPACING_MS, due_1, due_2]
    # And after the third attempt it is failed, with its name and the last reason, and the job completes
    assert (third.failed, third.retried, third.completed) == (1, 0, True)
    assert (second.failed, second.retried) == (0, 1)
    assert world.jobs.failures(job.id, 10) == [FailedCategory(Category(leaf_id(1), "Leaf 1"), "eBay timeout 3")]
    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.processed, stored.success, stored.failed) == (FetchStatus.COMPLETED, 3, 2, 1)


def test_max_attempts_comes_from_the_settings(world):
    job = world.add_job(world.categories(1))
    world.taxonomy.fail_next("aspects", MarketplaceTransient("eBay timeout"))

    report = world.worker(replace(SETTINGS, max_attempts=1)).run(job.id)

    assert report.failed == 1 and report.completed


@pytest.mark.parametrize("error", [
    ebay_error(62005, 404, "Invalid category ID"),
    ebay_error(62004, 400),
    ebay_error(62009, 400),
    RequestRejected(400, [ErrorDetail(error_id=12345, message="something else")]),
    RequestRejected(409, []),
], ids=["62005", "62004", "62009", "other-400", "409-no-errors"])
def test_a_permanent_ebay_error_fails_the_category_at_once(world, worker, error):
    leaves = world.categories(3)
    job = world.add_job(leaves)
    world.taxonomy.fail_next("aspects", error, on=leaf_id(1))

    report = worker.run(job.id)

    assert aspect_calls(world).count(leaf_id(1)) == 1
    assert (report.failed, report.retried, report.fetched, report.completed) == (1, 0, 2, True)
    assert world.jobs.failures(job.id, 10) == [FailedCategory(leaves[1], str(error))]


@pytest.mark.parametrize("error", [
    MarketplaceTransient("eBay did not answer in time (ReadTimeout)"),
    RequestRejected(503, [ErrorDetail(error_id=10001, message="busy")]),
    MarketplaceCallError("something odd"),
], ids=["transient", "request-5xx", "call-error"])
def test_a_non_permanent_error_is_retried(world, worker, error):
    job = world.add_job(world.categories(1))
    world.taxonomy.fail_next("aspects", error)

    report = worker.run(job.id)

    assert (report.retried, report.failed, report.completed) == (1, 0, False)
    [item] = world.jobs.work_of(job.id)
    assert (item.attempts, item.last_error) == (1, str(error))


def test_a_failure_without_a_message_is_named_by_its_type(world):
    job = world.add_job(world.categories(1))
    world.taxonomy.fail_next("aspects", MarketplaceTransient())

    world.worker(replace(SETTINGS, max_attempts=1)).run(job.id)

    assert world.jobs.failures(job.id, 1)[0].error == "MarketplaceTransient"


# ---------------------------------------------------------------- whole-run errors


def test_our_budget_running_out_defers_the_run(world, worker):
    # Given four categories, and our Taxonomy budget refusing the third call for 42 s
    leaves = world.categories(4)
    job = world.add_job(leaves)
    world.taxonomy.fail_next("aspects", RateLimited("taxonomy", 42.0), on=leaf_id(2))

    # When a run processes them
    report = worker.run(job.id)

    # Then it stops there, without counting the refused call or blaming the category
    refused_at = T0 + 2 * SPACING_MS
    assert report.deferred and report.resume_at == refused_at + 42_000
    assert (report.fetched, report.ebay_calls, report.retried, report.failed) == (2, 2, 0, 0)
    assert aspect_calls(world) == [leaf_id(0), leaf_id(1), leaf_id(2)]
    assert world.jobs.work_of(job.id) == [WorkItem(leaves[2]), WorkItem(leaves[3])]
    # And the job waits (released with its resume time), with no message to run again now
    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.resume_at, stored.lease_until) == (FetchStatus.PROCESSING, refused_at + 42_000, 0)
    assert world.queue.sent == []
    assert not report.completed
    assert "deferred" in report.summary()
    assert worker.tick() == 0
    world.clock.set((refused_at + 42_000) / 1000)
    assert worker.tick() == 1


def test_ebays_429_defers_the_run_by_the_throttled_wait(world):
    leaves = world.categories(4)
    job = world.add_job(leaves)
    world.taxonomy.fail_next("aspects", MarketplaceThrottled("eBay rate limit reached (HTTP 429)"), on=leaf_id(1))

    report = world.worker(replace(SETTINGS, throttled_wait_s=90.0)).run(job.id)

    throttled_at = T0 + SPACING_MS
    assert report.deferred and report.resume_at == throttled_at + 90_000
    assert (report.fetched, report.ebay_calls, report.retried) == (1, 2, 0)  # the 429 was a call eBay answered
    assert world.jobs.work_of(job.id)[0] == WorkItem(leaves[1])  # not an attempt of the category
    assert world.jobs.stored(job.id).resume_at == throttled_at + 90_000
    assert world.queue.sent == []


def test_refused_credentials_fail_the_whole_job_with_the_reason(world, worker):
    leaves = world.categories(4)
    job = world.add_job(leaves)
    error = MarketplaceAuthError("eBay refused the application's token (HTTP 401)")
    world.taxonomy.fail_next("aspects", error, on=leaf_id(1))

    report = worker.run(job.id)

    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.error) == (FetchStatus.FAILED, "eBay refused the application's token (HTTP 401)")
    assert aspect_calls(world) == [leaf_id(0), leaf_id(1)]  # no call after it
    assert (stored.processed, stored.failed) == (1, 0)
    assert world.jobs.finishes == [(job.id, FetchStatus.FAILED)]
    assert not report.completed
    assert world.queue.sent == []


def test_a_job_cancelled_meanwhile_stops_at_the_next_page(world, worker):
    # Given more than a page of categories, and the seller cancelling during the third call
    leaves = world.categories(WORK_PAGE + 5)
    job = world.add_job(leaves)

    def cancel_on_third_call(call: Call) -> None:
        if call.operation == "aspects" and len(world.taxonomy.ops("aspects")) == 3:
            world.jobs.finish(world.jobs.stored(job.id), FetchStatus.CANCELLED, call.at_ms)

    world.taxonomy.on_call = cancel_on_third_call

    # When a run processes the job
    report = worker.run(job.id)

    # Then it finishes the page it had and stops; the cancelled job counts nothing more
    assert len(aspect_calls(world)) == WORK_PAGE
    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.processed) == (FetchStatus.CANCELLED, 2)
    assert report.fetched == 2 and not report.completed
    assert world.jobs.finishes == [(job.id, FetchStatus.CANCELLED)]
    assert world.queue.sent == []


# ---------------------------------------------------------------- completion and resuming


def test_a_job_is_completed_once_and_a_duplicate_message_does_nothing(world, worker):
    job = world.add_job(world.categories(3))

    first = worker.run(job.id)
    duplicate = worker.run(job.id)

    assert first.completed
    assert duplicate.skipped and not duplicate.completed
    assert world.jobs.finishes == [(job.id, FetchStatus.COMPLETED)]
    assert len(aspect_calls(world)) == 3


def test_an_overlapping_run_after_a_lease_ran_out_counts_nothing_twice(world):
    # Given leases of one second, and a first run that stalls two seconds in its first eBay call
    leaves = world.categories(4)
    job = world.add_job(leaves)
    worker = world.worker(replace(SETTINGS, lease_s=1.0))
    reports: list[RunReport] = []

    def stall_and_let_another_run_in(call: Call) -> None:
        world.taxonomy.on_call = None
        world.clock.advance(2)
        reports.append(worker.run(job.id))  # a redelivered message finds the lease expired

    world.taxonomy.on_call = stall_and_let_another_run_in

    # When both runs finish
    first = worker.run(job.id)

    # Then the second did the work and completed the job; the first counted nothing and completed nothing
    [second] = reports
    assert (second.fetched, second.completed) == (4, True)
    assert (first.fetched, first.completed) == (0, False)
    stored = world.jobs.stored(job.id)
    assert (stored.total, stored.processed, stored.success, stored.status) == (4, 4, 4, FetchStatus.COMPLETED)
    assert dict(world.aspects.writes) == {c.category_id: 1 for c in leaves}
    assert world.jobs.finishes == [(job.id, FetchStatus.COMPLETED)]


def test_a_crashed_run_is_resumed_without_fetching_stored_categories_again(world, worker):
    # Given a run that crashes on the third category
    leaves = world.categories(4)
    job = world.add_job(leaves)
    world.taxonomy.fail_next("aspects", RuntimeError("the function crashed"), on=leaf_id(2))
    with pytest.raises(RuntimeError):
        worker.run(job.id)

    # Then the lease and the budget were handed back, and what was stored stays stored
    assert world.jobs.stored(job.id).lease_until == 0
    assert world.budget.count == 1
    assert world.jobs.stored(job.id).processed == 2

    # When the job is run again (no waiting for the lease)
    report = worker.run(job.id)

    # Then only the category in flight and the rest are fetched
    assert not report.skipped and report.completed
    assert aspect_calls(world) == [leaf_id(0), leaf_id(1), leaf_id(2), leaf_id(2), leaf_id(3)]
    assert dict(world.aspects.writes) == {c.category_id: 1 for c in leaves}
    assert world.jobs.stored(job.id).success == 4


def test_a_job_with_no_work_left_is_completed_without_calling_ebay(world, worker):
    # Given a job whose last category was stored just before its run crashed
    leaves = world.categories(1)
    job = world.add_job(leaves)
    [item] = world.jobs.all_work(job.id)
    world.jobs.complete(job, [(item, record_for(job, item.category))], T0)

    report = worker.run(job.id)

    assert report.completed and report.ebay_calls == 0
    assert world.jobs.stored(job.id).status is FetchStatus.COMPLETED


def test_a_job_runs_to_completion_through_ticks_and_continuations(world):
    # Given 40 categories, runs of 2 s, one category failing once and one failing for good
    leaves = world.categories(40)
    job = world.add_job(leaves)
    world.taxonomy.fail_next("aspects", MarketplaceTransient("eBay timeout"), on=leaf_id(5))
    world.taxonomy.fail_next("aspects", ebay_error(62005, 404), on=leaf_id(7))
    worker = world.worker(replace(SETTINGS, run_s=2.0))

    done = drive(world, worker, job.id)

    assert (done.status, done.processed, done.success, done.failed) == (FetchStatus.COMPLETED, 40, 39, 1)
    assert aspect_calls(world).count(leaf_id(5)) == 2
    assert sorted(set(aspect_calls(world))) == [c.category_id for c in leaves]
    assert len(aspect_calls(world)) == 41
    assert world.jobs.finishes == [(job.id, FetchStatus.COMPLETED)]


# ---------------------------------------------------------------- bulk


def test_bulk_downloads_every_aspect_once(world, worker):
    # Given a bulk job of four leaves of a six-leaf tree, and eBay's file listing leaves with aspects
    leaves = world.categories(6)
    job = world.add_job(leaves[:4], mode=FetchMode.BULK)
    world.taxonomy.bulk_entries = [
        (leaf_id(0), "Leaf 0", [aspect("Brand")]),
        (leaf_id(5), "Leaf 5", [aspect("Size")]),  # not in this job
        (leaf_id(1), "", [aspect("Colour")]),  # eBay omits the name
        (leaf_id(3), "Leaf 3 (renamed)", [aspect("Type")]),
    ]  # leaf 2 is missing: it has no aspects

    # When a run processes it
    report = worker.run(job.id)

    # Then one download served every category, and nothing else was asked of eBay
    assert [c.operation for c in world.taxonomy.calls] == ["all_aspects"]
    assert (report.ebay_calls, report.fetched, report.completed) == (1, 4, True)
    stored = {cid: (r.category_name, r.aspects) for (_, cid), r in world.aspects.records.items()}
    assert stored == {
        leaf_id(0): ("Leaf 0", [aspect("Brand")]),
        leaf_id(1): ("Leaf 1", [aspect("Colour")]),  # the tree's name
        leaf_id(2): ("Leaf 2", []),
        leaf_id(3): ("Leaf 3 (renamed)", [aspect("Type")]),
    }
    job_now = world.jobs.stored(job.id)
    assert (job_now.status, job_now.processed, job_now.success) == (FetchStatus.COMPLETED, 4, 4)
    assert world.jobs.finishes == [(job.id, FetchStatus.COMPLETED)]


def test_bulk_stores_in_batches_of_at_most_bulk_batch(world, worker):
    # Given 70 categories, 65 of them in the file
    leaves = world.categories(70)
    world.taxonomy.aspects_by_category = {c.category_id: [aspect("Brand")] for c in leaves[:65]}
    job = world.add_job(leaves, mode=FetchMode.BULK)

    report = worker.run(job.id)

    assert world.jobs.completions == [BULK_BATCH, BULK_BATCH, 70 - 2 * BULK_BATCH]
    assert report.fetched == 70 and report.completed
    assert dict(world.aspects.writes) == {c.category_id: 1 for c in leaves}


def test_bulk_stores_while_the_file_streams_in(world, worker):
    # Given 70 categories, and a file that notes how many were stored before each entry is read
    leaves = world.categories(70)
    job = world.add_job(leaves, mode=FetchMode.BULK)
    stored_before: list[int] = []

    def streamed():
        for c in leaves:
            stored_before.append(world.jobs.stored(job.id).success)
            yield c.category_id, c.name, [aspect("Brand")]

    world.taxonomy.bulk_entries = streamed()

    # When a run processes it
    worker.run(job.id)

    # Then each batch was stored as soon as it was read, not after the whole file
    assert stored_before[BULK_BATCH - 1] == 0
    assert stored_before[BULK_BATCH] == BULK_BATCH
    assert stored_before[2 * BULK_BATCH] == 2 * BULK_BATCH
    assert world.jobs.stored(job.id).success == 70


@pytest.mark.parametrize(("error", "wait_ms"), [
    (MarketplaceTransient("eBay's aspects file broke off (ReadError)"), 30_000),
    (MarketplaceThrottled("eBay rate limit reached (HTTP 429)"), 60_000),
    (RateLimited("taxonomy", 42.0), 42_000),
], ids=["transient", "ebay-429", "budget"])
def test_a_download_breaking_off_keeps_what_was_stored_and_defers(world, worker, error, wait_ms):
    # Given 70 categories with aspects, and a file that breaks off after 40 of them
    leaves = world.categories(70)
    world.taxonomy.aspects_by_category = {c.category_id: [aspect("Brand")] for c in leaves}
    job = world.add_job(leaves, mode=FetchMode.BULK)
    world.taxonomy.break_bulk_after(40, error)

    # When a run processes it
    report = worker.run(job.id)

    # Then the 40 read are stored and counted, and the job waits
    assert report.fetched == 40 and report.deferred and report.resume_at == T0 + wait_ms
    assert set(world.aspects.writes) == {c.category_id for c in leaves[:40]}
    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.processed, stored.resume_at) == (FetchStatus.PROCESSING, 40, T0 + wait_ms)
    assert len(world.jobs.work_of(job.id)) == 30
    assert not report.completed

    # And the next run downloads again and stores only the rest
    world.clock.set((T0 + wait_ms) / 1000)
    again = worker.run(job.id)
    assert again.fetched == 30 and again.completed
    assert dict(world.aspects.writes) == {c.category_id: 1 for c in leaves}
    assert len(world.taxonomy.ops("all_aspects")) == 2


def test_refused_credentials_during_the_download_fail_the_job_and_keep_what_was_stored(world, worker):
    leaves = world.categories(40)
    world.taxonomy.aspects_by_category = {c.category_id: [aspect("Brand")] for c in leaves}
    job = world.add_job(leaves, mode=FetchMode.BULK)
    world.taxonomy.break_bulk_after(35, MarketplaceAuthError("eBay refused the application's token (HTTP 403)"))

    worker.run(job.id)

    stored = world.jobs.stored(job.id)
    assert (stored.status, stored.error, stored.success) == (
        FetchStatus.FAILED, "eBay refused the application's token (HTTP 403)", 35)


def test_a_bulk_job_with_nothing_left_completes_without_a_download(world, worker):
    leaves = world.categories(1)
    job = world.add_job(leaves, mode=FetchMode.BULK)
    [item] = world.jobs.all_work(job.id)
    world.jobs.complete(job, [(item, record_for(job, item.category))], T0)

    report = worker.run(job.id)

    assert report.completed
    assert world.taxonomy.calls == []


def test_a_whole_tree_is_read_and_fetched_in_bulk_by_one_run(world, worker):
    world.taxonomy.trees["0"] = flat_tree(12)
    job = world.add_job(None, mode=FetchMode.AUTO)

    report = worker.run(job.id)

    stored = world.jobs.stored(job.id)
    assert (stored.mode, stored.total, stored.success, stored.status) == (FetchMode.BULK, 12, 12, FetchStatus.COMPLETED)
    assert report.ebay_calls == 2 and report.completed


def test_a_budget_refusal_of_the_download_is_not_an_ebay_call(world, worker):
    job = world.add_job(world.categories(3), mode=FetchMode.BULK)
    world.taxonomy.break_bulk_after(0, RateLimited("taxonomy", 42.0))

    report = worker.run(job.id)

    assert report.deferred
    assert report.ebay_calls == 0


def test_the_download_after_reading_the_tree_is_spaced(world, worker):
    world.categories(4)
    job = world.add_job(None, mode=FetchMode.AUTO)

    worker.run(job.id)

    assert [(c.operation, c.at_ms) for c in world.taxonomy.calls] == [
        ("tree", T0), ("all_aspects", T0 + SPACING_MS)]


def test_a_download_that_would_start_after_the_runs_time_is_left_to_the_next_run(world):
    # Given a whole-tree job, and a tree that takes the run's whole second to read
    world.categories(4)
    job = world.add_job(None, mode=FetchMode.AUTO)
    worker = world.worker(replace(SETTINGS, run_s=1.0))

    def slow_tree(call: Call) -> None:
        if call.operation == "tree":
            world.clock.advance(1.0)

    world.taxonomy.on_call = slow_tree

    # When a run processes it
    report = worker.run(job.id)

    # Then it stores the work and passes the download on to a run of its own, at once
    assert [c.operation for c in world.taxonomy.calls] == ["tree"]
    assert (report.ebay_calls, report.fetched, report.completed, report.deferred) == (1, 0, False, False)
    assert world.jobs.stored(job.id).mode is FetchMode.BULK
    assert world.queue.sent == [FetchMessage(job_id=job.id, not_before=T0 + 1_000, user_id="alice")]

    # And the next run downloads the file
    world.queue.take()
    assert worker.run(job.id).completed
    assert [c.operation for c in world.taxonomy.calls] == ["tree", "all_aspects"]


# ---------------------------------------------------------------- handing back the budget


def scenario_completes(world: World) -> None:
    pass


def scenario_budget(world: World) -> None:
    world.taxonomy.fail_next("aspects", RateLimited("taxonomy", 5.0))


def scenario_credentials(world: World) -> None:
    world.taxonomy.fail_next("aspects", MarketplaceAuthError("revoked"))


def scenario_tree_fails(world: World) -> None:
    world.taxonomy.fail_next("tree", MarketplaceTransient("eBay server error (HTTP 500)"))


@pytest.mark.parametrize("scenario", [scenario_completes, scenario_budget, scenario_credentials, scenario_tree_fails])
def test_the_budget_and_the_lease_are_handed_back_after_every_run(world, worker, scenario):
    world.categories(3)
    job = world.add_job(None, mode=FetchMode.PER_CATEGORY)
    scenario(world)

    worker.run(job.id)

    assert world.budget.count == 1
    assert world.jobs.stored(job.id).lease_until == 0


def test_the_budget_and_the_lease_are_handed_back_after_an_unexpected_error(world, worker):
    job = world.add_job(world.categories(3), mode=FetchMode.BULK)
    world.taxonomy.break_bulk_after(1, KeyError("categoryAspects"))

    with pytest.raises(KeyError):
        worker.run(job.id)

    assert world.budget.count == 1
    assert world.jobs.stored(job.id).lease_until == 0


def test_a_worker_without_a_budget_to_release_runs(world):
    job = world.add_job(world.categories(2))
    worker = CategoryFetchWorker(jobs=world.jobs, taxonomy=world.taxonomy, queue=world.queue, clock=world.clock,
                                 settings=SETTINGS)

    assert worker.run(job.id).completed


# ---------------------------------------------------------------- taking turns between users


def test_one_user_cannot_hold_every_run_slot_another_users_job_still_runs(world):
    worker = world.worker(replace(SETTINGS, user_slots=2))
    # Given alice's two runs hold her two slots (e.g. two long fetches under way)
    assert world.jobs.take_slot("alice", "run-a", world.now(), world.now() + 60_000, 2) == 0
    assert world.jobs.take_slot("alice", "run-b", world.now(), world.now() + 60_000, 2) == 1
    third = world.add_job(world.categories(2), job_id="job-1-alice3", user_id="alice")
    bobs = world.add_job(world.categories(2), job_id="job-2-bob001", user_id="bob")

    # When alice's third job and bob's job get their runs
    waiting = worker.run(third.id, "alice")
    running = worker.run(bobs.id, "bob")

    # Then alice's waits for the next tick, untouched; bob's runs
    assert waiting.skipped and waiting.waiting_for_slot and waiting.fetched == 0
    assert world.jobs.stored(third.id).lease_owner is None
    assert running.completed and running.fetched == 2


def test_a_run_gives_its_slot_back_and_a_dead_runs_slot_frees_itself_when_its_lease_ends(world):
    worker = world.worker(replace(SETTINGS, user_slots=1))
    first = world.add_job(world.categories(1), job_id="job-1-first1")
    second = world.add_job(world.categories(1), job_id="job-2-secnd2")

    assert worker.run(first.id, "alice").completed
    assert world.jobs.slots == {}  # given back

    # A run that died holds its slot until its lease time has passed.
    assert world.jobs.take_slot("alice", "dead-run", world.now(), world.now() + 120_000, 1) == 0
    assert worker.run(second.id, "alice").waiting_for_slot
    world.clock.advance(121)
    assert worker.run(second.id, "alice").completed


def test_a_message_without_its_owner_still_finds_the_users_slots(world):
    worker = world.worker(replace(SETTINGS, user_slots=1))
    job = world.add_job(world.categories(1), user_id="carol")
    assert world.jobs.take_slot("carol", "other", world.now(), world.now() + 60_000, 1) == 0

    assert worker.run(job.id).waiting_for_slot  # the owner was read from the job


def test_the_tick_lets_users_take_turns(world, worker):
    for n in range(3):
        world.add_job([Category("1", "a")], job_id=f"job-{n}-alice{n}", user_id="alice", created_at=T0 - 10 + n)
    world.add_job([Category("1", "a")], job_id="job-9-bob000", user_id="bob", created_at=T0 - 1)
    world.add_job([Category("1", "a")], job_id="job-8-carol0", user_id="carol", created_at=T0)

    worker.tick()

    assert [(m.user_id, m.job_id) for m in world.queue.sent] == [
        ("alice", "job-0-alice0"), ("bob", "job-9-bob000"), ("carol", "job-8-carol0"),
        ("alice", "job-1-alice1"), ("alice", "job-2-alice2")]
    assert {m.group for m in world.queue.sent} == {"alice", "bob", "carol"}
