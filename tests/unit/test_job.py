"""The promotion job's life cycle: transitions, guards and the API shape."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from sellerjobs.errors import Conflict
from sellerjobs.jobs.history import HistoryEntry, Note
from sellerjobs.promotions.job import (
    TERMINAL,
    HistoryNotRead,
    InvalidTransition,
    PromotionJob,
    Status,
    new_job_id,
)

T0 = 1_767_225_600_000  # epoch ms
HISTORY_S = 30 * 86400


def make_job(**changes: object) -> PromotionJob:
    job = PromotionJob(
        id=f"177681098666_{T0}", user_id="alice", listing_id="177681098666", ad_rate=Decimal("5"),
        campaign_id=None, status=Status.PENDING, attempts=0, max_attempts=15, next_retry_at=T0 + 60_000,
        created_at=T0, updated_at=T0, policy="sync-window", run_started_at=T0, listed_at=T0, version=0,
    )
    return replace(job, **changes)  # type: ignore[arg-type]


def failed_job() -> PromotionJob:
    return make_job(status=Status.FAILED, attempts=5, next_retry_at=None, last_error="boom",
                    expires_at=T0 // 1000 + HISTORY_S, version=4, run_started_at=T0)


def job_in(status: Status) -> PromotionJob:
    if status is Status.PENDING:
        return make_job()
    return make_job(status=status, next_retry_at=None, expires_at=T0 // 1000 + HISTORY_S, version=3)


# ---------------------------------------------------------------- states


def test_only_pending_is_unfinished():
    assert not Status.PENDING.terminal
    assert TERMINAL == (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)


def test_invalid_transition_is_a_conflict_naming_the_job_and_its_state():
    job = job_in(Status.SUCCEEDED)

    with pytest.raises(InvalidTransition) as caught:
        job.cancel(T0, HISTORY_S)

    assert isinstance(caught.value, Conflict)
    assert caught.value.job is job
    assert caught.value.action == "cancel"
    assert str(caught.value) == f"cannot cancel job {job.id}: it is succeeded"


# ---------------------------------------------------------------- succeed


def test_succeed_finishes_the_job():
    now = T0 + 61_500
    job = make_job(attempts=2, last_error="listing not synced yet", version=2)

    done = job.succeed("ad-1", now, HISTORY_S)

    assert done.status is Status.SUCCEEDED
    assert done.version == 3
    assert done.updated_at == now
    assert done.attempts == 3
    assert done.ad_id == "ad-1"
    assert done.last_error is None
    assert done.next_retry_at is None
    assert done.expires_at == now // 1000 + HISTORY_S
    assert job.status is Status.PENDING  # the original is untouched (frozen)


def test_succeed_without_an_ad_id_is_still_success():
    done = make_job().succeed(None, T0, HISTORY_S)

    assert done.status is Status.SUCCEEDED
    assert done.ad_id is None


# ---------------------------------------------------------------- retry_later / defer


def test_retry_later_counts_an_attempt_and_moves_the_next_one():
    now = T0 + 60_000

    later = make_job(attempts=1, version=1).retry_later("eBay 35001: internal", now + 60_000, now)

    assert later.status is Status.PENDING
    assert later.attempts == 2
    assert later.version == 2
    assert later.updated_at == now
    assert later.next_retry_at == now + 60_000
    assert later.last_error == "eBay 35001: internal"
    assert later.expires_at is None


def test_defer_moves_the_next_attempt_without_counting_one():
    now = T0 + 60_000

    deferred = make_job(attempts=2, version=5, last_error="old").defer(now + 30_000, now, "rate budget")

    assert deferred.attempts == 2
    assert deferred.version == 6
    assert deferred.updated_at == now
    assert deferred.next_retry_at == now + 30_000
    assert deferred.last_error == "rate budget"
    assert deferred.status is Status.PENDING


def test_defer_without_a_reason_keeps_the_last_error():
    deferred = make_job(last_error="eBay 35048").defer(T0 + 1, T0)

    assert deferred.last_error == "eBay 35048"


# ---------------------------------------------------------------- fail


def test_fail_finishes_the_job_and_counts_the_attempt():
    now = T0 + 120_999

    failed = make_job(attempts=4, version=4).fail("eBay 35013: invalid", now, HISTORY_S)

    assert failed.status is Status.FAILED
    assert failed.attempts == 5
    assert failed.version == 5
    assert failed.updated_at == now
    assert failed.last_error == "eBay 35013: invalid"
    assert failed.next_retry_at is None
    assert failed.expires_at == now // 1000 + HISTORY_S


def test_fail_can_leave_the_attempt_count_alone():
    failed = make_job(attempts=4).fail("no campaign", T0, HISTORY_S, counts_attempt=False)

    assert failed.attempts == 4


# ---------------------------------------------------------------- cancel


def test_cancel_from_pending():
    now = T0 + 5_000

    cancelled = make_job(attempts=1, version=1).cancel(now, 7 * 86400)

    assert cancelled.status is Status.CANCELLED
    assert cancelled.version == 2
    assert cancelled.updated_at == now
    assert cancelled.attempts == 1
    assert cancelled.next_retry_at is None
    assert cancelled.expires_at == now // 1000 + 7 * 86400


@pytest.mark.parametrize("status", TERMINAL)
def test_cancel_only_from_pending(status):
    with pytest.raises(InvalidTransition):
        job_in(status).cancel(T0, HISTORY_S)


# ---------------------------------------------------------------- every transition needs pending


@pytest.mark.parametrize("status", TERMINAL)
@pytest.mark.parametrize(("action", "step"), [
    ("complete", lambda j: j.succeed("ad", T0, HISTORY_S)),
    ("retry", lambda j: j.retry_later("e", T0 + 1, T0)),
    ("fail", lambda j: j.fail("e", T0, HISTORY_S)),
    ("defer", lambda j: j.defer(T0 + 1, T0)),
    ("cancel", lambda j: j.cancel(T0, HISTORY_S)),
])
def test_finished_jobs_do_not_move(status, action, step):
    with pytest.raises(InvalidTransition) as caught:
        step(job_in(status))

    assert caught.value.action == action


# ---------------------------------------------------------------- requeue


def test_requeue_starts_a_failed_job_over():
    now = T0 + 3_600_000
    job = replace(failed_job(), ad_id="stale", policy="exponential", max_attempts=5)

    again = job.requeue(now, now + 60_000, max_attempts=15, policy="sync-window")

    assert again.status is Status.PENDING
    assert again.version == job.version + 1
    assert again.updated_at == now
    assert again.attempts == 0
    assert again.max_attempts == 15
    assert again.policy == "sync-window"
    assert again.run_started_at == now
    assert again.listed_at == now  # a fresh sync window too: the seller may have relisted
    assert again.next_retry_at == now + 60_000
    assert again.expires_at is None
    assert again.last_error is None
    assert again.ad_id is None
    assert again.created_at == job.created_at
    assert again.id == job.id


@pytest.mark.parametrize("status", [Status.PENDING, Status.SUCCEEDED, Status.CANCELLED])
def test_requeue_only_from_failed(status):
    with pytest.raises(InvalidTransition) as caught:
        job_in(status).requeue(T0, T0 + 60_000, 15, "sync-window")

    assert caught.value.action == "retry"


def test_age_is_measured_from_the_current_run():
    job = make_job(run_started_at=T0)

    assert job.age_s(T0 + 90_500) == 90.5
    # A re-queued job's age starts again at zero.
    assert failed_job().requeue(T0 + 10_000, T0 + 70_000, 15, "sync-window").age_s(T0 + 10_000) == 0.0


# ---------------------------------------------------------------- eBay and API shapes


@pytest.mark.parametrize(("rate", "expected"), [
    (Decimal("5"), "5.0"),
    (Decimal("5.0"), "5.0"),
    (Decimal("5.5"), "5.5"),
    (Decimal("2"), "2.0"),
    (Decimal("100"), "100.0"),
])
def test_bid_percentage_has_exactly_one_decimal(rate, expected):
    assert make_job(ad_rate=rate).bid_percentage == expected


@pytest.mark.parametrize(("rate", "expected"), [
    (Decimal("5"), 5),
    (Decimal("5.0"), 5),
    (Decimal("5.5"), 5.5),
    (Decimal("100.0"), 100),
])
def test_to_api_ad_rate_is_an_int_when_whole(rate, expected):
    value = make_job(ad_rate=rate).to_api()["adRate"]

    assert value == expected
    assert type(value) is type(expected)


def test_to_api_uses_the_original_field_names():
    job = make_job(campaign_id="151310691012", attempts=2, last_error="eBay 35048", version=7)

    assert job.to_api() == {
        "id": f"177681098666_{T0}",
        "userId": "alice",
        "listingId": "177681098666",
        "adRate": 5,
        "campaignId": "151310691012",
        "status": "pending",
        "attempts": 2,
        "maxAttempts": 15,
        "nextRetryAt": T0 + 60_000,
        "createdAt": T0,
        "updatedAt": T0,
        "lastError": "eBay 35048",
        "adId": None,
        "priority": "normal",
    }


def test_to_api_status_is_a_plain_string():
    status = job_in(Status.CANCELLED).to_api()["status"]

    assert status == "cancelled"
    assert type(status) is str


def test_new_job_id_is_listing_and_epoch_ms():
    assert new_job_id("177681098666", 1734392400000) == "177681098666_1734392400000"


# ---------------------------------------------------------------- history


NOT_SYNCED = Note(operation="bulk_create_ads_by_listing_id", http_status=200, error_id=35048)


def test_every_transition_adds_to_the_history_what_happened():
    job = make_job(history=(HistoryEntry.of(T0, "queued", next_at=T0 + 60_000),))

    job = job.retry_later("listing not synced yet (eBay 35048)", T0 + 120_000, T0 + 60_000, note=NOT_SYNCED)
    job = job.defer(T0 + 130_000, T0 + 120_000, "our Marketing call budget is spent")
    job = job.succeed("ad-1", T0 + 130_000, HISTORY_S, campaign_id="151310691012",
                      note=Note(operation="bulk_create_ads_by_listing_id", http_status=201))

    assert [(e.outcome, e.attempt, e.error_id, e.next_at) for e in job.history or ()] == [
        ("queued", None, None, T0 + 60_000),
        ("retrying", 1, 35048, T0 + 120_000),
        ("deferred", None, None, T0 + 130_000),
        ("succeeded", 2, None, None),
    ]
    last = (job.history or ())[-1]
    assert (last.ad_id, last.campaign_id, last.http_status) == ("ad-1", "151310691012", 201)
    assert (job.history or ())[1].message == "listing not synced yet (eBay 35048)"


def test_failing_cancelling_and_retrying_say_who_and_why():
    failed = make_job().fail("eBay 35067: terms not accepted", T0 + 1, HISTORY_S, note=Note(error_id=35067))
    retried = failed.requeue(T0 + 2, T0 + 60_002, 15, "sync-window", by="ops")
    cancelled = retried.cancel(T0 + 3, HISTORY_S, by="alice")

    assert [(e.outcome, e.by, e.error_id) for e in cancelled.history or ()] == [
        ("failed", None, 35067), ("retried", "ops", None), ("cancelled", "alice", None)]


def test_new_terms_are_recorded_with_the_attempt_they_wait_for():
    job = make_job(next_retry_at=T0 + 60_000)

    changed = job.change_terms(Decimal("7.5"), "151310691099", T0 + 10_000)

    entry = (changed.history or ())[-1]
    assert (entry.outcome, entry.message, entry.campaign_id, entry.next_at) == (
        "changed", "adRate 7.5", "151310691099", T0 + 60_000)
    assert changed.attempts == job.attempts and changed.version == job.version + 1


def test_a_job_read_without_its_history_cannot_change():
    listed = make_job(history=None)

    with pytest.raises(HistoryNotRead):
        listed.cancel(T0, HISTORY_S)


def test_hold_moves_the_attempt_and_the_windows_without_counting_an_attempt():
    job = make_job(attempts=3, next_retry_at=T0 + 60_000, last_error="listing not synced yet (eBay 35048)")

    held = job.hold(T0 + 60_000 + 60_000, T0 + 60_000, "the promotion queue is paused", by="ops")

    assert held.attempts == 3 and held.next_retry_at == T0 + 120_000
    # The minute the job waited for the queue is a minute its windows did not lose.
    assert (held.run_started_at, held.listed_at) == (T0 + 60_000, T0 + 60_000)
    assert held.age_s(T0 + 120_000) == job.age_s(T0 + 60_000)
    assert held.last_error == job.last_error
    entry = (held.history or ())[-1]
    assert (entry.outcome, entry.by, entry.message) == ("deferred", "ops", "the promotion queue is paused")


def test_to_api_shows_the_history_only_when_asked_and_read():
    job = make_job(history=(HistoryEntry.of(T0, "queued", next_at=T0 + 60_000),))

    assert "history" not in job.to_api()
    assert job.to_api(history=True)["history"] == [{"at": T0, "count": 1, "outcome": "queued",
                                                   "nextAttemptAt": T0 + 60_000}]
    assert "history" not in make_job(history=None).to_api(history=True)
