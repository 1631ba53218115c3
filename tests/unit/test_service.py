"""PromotionService on in-memory fakes (tests.unit.promotion_fakes): enqueue, stats, get, cancel and retry."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest

from sellerjobs.accounts import Connection, ConnectionStatus, NotConnected
from sellerjobs.clock import ManualClock, now_ms
from sellerjobs.errors import Conflict
from sellerjobs.jobs.retry import ExponentialPolicy, Jitter, SyncWindowPolicy
from sellerjobs.promotions.job import TERMINAL, InvalidTransition, PromotionJob, Status
from sellerjobs.promotions.ports import JobMessage, ListingBusy
from sellerjobs.promotions.service import (
    UNDER_WAY_MARGIN_MS,
    ConcurrentUpdate,
    JobNotFound,
    NewPromotion,
    Outcome,
    PromotionService,
    Queued,
    Stats,
    message_for,
)
from tests.unit.promotion_fakes import InMemoryJobRepository, ListQueue

HISTORY_S = 30 * 86400

# ---------------------------------------------------------------- fakes


NO_JITTER = Jitter(ratio=0.0, rng=random.Random(0))


def sync_window_policy() -> SyncWindowPolicy:
    # A one-minute first attempt: these tests are about the service, not the policy's default.
    return SyncWindowPolicy(jitter=NO_JITTER, first_delay_s=60.0)


def exponential_policy() -> ExponentialPolicy:
    return ExponentialPolicy(jitter=NO_JITTER)


def promotion(listing_id: str, rate: str = "5", campaign_id: str | None = None) -> NewPromotion:
    return NewPromotion(listing_id=listing_id, ad_rate=Decimal(rate), campaign_id=campaign_id)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def repo() -> InMemoryJobRepository:
    return InMemoryJobRepository()


@pytest.fixture
def queue() -> ListQueue:
    return ListQueue()


@pytest.fixture
def service(repo: InMemoryJobRepository, queue: ListQueue, clock: ManualClock) -> PromotionService:
    return PromotionService(jobs=repo, queue=queue, policy=sync_window_policy(), clock=clock,
                            stagger_s=5.0, history_s=HISTORY_S)


def finish(repo: InMemoryJobRepository, job: PromotionJob, status: Status, now: int) -> PromotionJob:
    """Move a stored job to a finished state the way a worker would."""
    done = {
        Status.SUCCEEDED: lambda: job.succeed("ad-1", now, HISTORY_S),
        Status.FAILED: lambda: job.fail("eBay 35013: invalid", now, HISTORY_S),
        Status.CANCELLED: lambda: job.cancel(now, HISTORY_S),
    }[status]()
    assert repo.save(job, done)
    return done


# ---------------------------------------------------------------- enqueue


def test_enqueue_single_creates_a_pending_job_and_a_message(service, repo, queue, clock):
    now = now_ms(clock)

    queued = service.enqueue("alice", [promotion("177681098666", "5", "151310691012")])

    assert queued == [Queued(f"177681098666_{now}", Outcome.CREATED, "177681098666")]
    job = repo.get("alice", f"177681098666_{now}")
    assert job is not None
    assert job.status is Status.PENDING
    assert job.attempts == 0
    assert job.max_attempts == 15
    assert job.policy == "sync-window"
    assert job.ad_rate == Decimal("5")
    assert job.campaign_id == "151310691012"
    assert job.created_at == job.updated_at == job.run_started_at == now
    assert job.next_retry_at == now + 60_000
    assert job.version == 0
    assert queue.sent == [JobMessage(user_id="alice", job_id=job.id, version=0, not_before=now + 60_000)]


def test_enqueue_uses_the_policys_name_and_attempts(repo, queue, clock):
    service = PromotionService(jobs=repo, queue=queue, policy=exponential_policy(), clock=clock)

    [queued] = service.enqueue("alice", [promotion("177681098666")])

    job = repo.get("alice", queued.job_id)
    assert job is not None
    assert (job.policy, job.max_attempts) == ("exponential", 5)


def test_enqueue_batch_ids_use_consecutive_milliseconds(service, clock):
    now = now_ms(clock)

    queued = service.enqueue("alice", [promotion(f"17768109866{i}") for i in range(3)])

    assert [q.job_id for q in queued] == [f"17768109866{i}_{now + i}" for i in range(3)]
    assert all(q.created for q in queued)


def test_a_batch_is_first_due_per_ebay_call_not_per_listing(service, repo, queue, clock):
    now = now_ms(clock)

    # One bulk call carries 500 listings: 1,200 listings are three calls' worth.
    queued = service.enqueue("alice", [promotion(str(100000 + i)) for i in range(1200)])

    jobs = [repo.get("alice", q.job_id) for q in queued]
    due = [j.next_retry_at for j in jobs if j]
    assert due == [now + 60_000] * 500 + [now + 65_000] * 500 + [now + 70_000] * 200
    # The answer says when each job is first tried.
    assert [q.first_attempt_at for q in queued] == due
    # One message per job, each carrying its version and due time.
    assert [(m.job_id, m.version, m.not_before) for m in queue.sent] == [
        (j.id, 0, j.next_retry_at) for j in jobs if j]


def test_a_500_listing_batch_is_due_as_soon_as_a_single_listing(service, repo, clock):
    now = now_ms(clock)

    [single] = service.enqueue("alice", [promotion("177681098666")])
    batch = service.enqueue("bob", [promotion(str(100000 + i)) for i in range(500)])

    assert single.first_attempt_at == now + 60_000
    assert {q.first_attempt_at for q in batch} == {now + 60_000}


def test_same_listing_twice_in_one_batch_is_one_job_answered_once(service, repo, queue, clock):
    now = now_ms(clock)

    queued = service.enqueue("alice", [promotion("177681098666", "5"), promotion("177681098667"),
                                       promotion("177681098666", "9")])

    assert [q.job_id for q in queued] == [f"177681098666_{now}", f"177681098667_{now + 1}"]
    assert len(repo.jobs) == 2
    assert len(queue.sent) == 2
    first = repo.get("alice", f"177681098666_{now}")
    assert first is not None and first.ad_rate == Decimal("5")  # the first request wins
    second = repo.get("alice", f"177681098667_{now + 1}")
    assert second is not None and second.next_retry_at == now + 60_000


def test_listing_with_an_unfinished_job_returns_that_job(service, repo, queue, clock):
    # Given a pending job for the listing
    [first] = service.enqueue("alice", [promotion("177681098666")])
    queue.sent.clear()
    clock.advance(10)

    # When it is queued again, alongside a new listing
    queued = service.enqueue("alice", [promotion("177681098666"), promotion("177681098667")])

    # Then the existing job is answered, not created, and gets no second message
    assert queued[0] == Queued(first.job_id, Outcome.EXISTING, "177681098666")
    assert queued[1].created
    assert [m.job_id for m in queue.sent] == [queued[1].job_id]
    assert len(repo.jobs) == 2


# ---------------------------------------------------------------- queueing a listing again


def queue_again(service, clock, seconds, *requests):
    clock.advance(seconds)
    return service.enqueue("alice", list(requests))


def test_a_waiting_job_takes_the_new_rate_and_a_fresh_message(service, repo, queue, clock):
    # Given a job due in 60 s
    [first] = service.enqueue("alice", [promotion("177681098666", "5")])
    old = repo.get("alice", first.job_id)

    # When the seller queues the listing again 10 s later with another rate
    [again] = queue_again(service, clock, 10, promotion("177681098666", "7.5"))

    # Then the same job now bids 7.5, and only a message for its new version will run it
    job = repo.get("alice", first.job_id)
    assert again == Queued(first.job_id, Outcome.UPDATED, "177681098666")
    assert (job.ad_rate, job.version, job.next_retry_at) == (Decimal("7.5"), old.version + 1, old.next_retry_at)
    assert [(m.version, m.not_before) for m in queue.sent] == [(0, old.next_retry_at), (1, old.next_retry_at)]


def test_a_waiting_job_takes_a_new_campaign(service, repo, clock):
    [first] = service.enqueue("alice", [promotion("177681098666", "5", "151310691012")])

    [again] = queue_again(service, clock, 1, promotion("177681098666", "5", "151310691099"))

    assert again.outcome is Outcome.UPDATED
    assert repo.get("alice", first.job_id).campaign_id == "151310691099"


def test_the_same_terms_again_change_nothing(service, repo, queue, clock):
    [first] = service.enqueue("alice", [promotion("177681098666", "5")])

    [again] = queue_again(service, clock, 10, promotion("177681098666", "5.0"))

    assert again.outcome is Outcome.EXISTING
    assert repo.get("alice", first.job_id).version == 0 and len(queue.sent) == 1


def test_a_job_due_now_keeps_its_terms(service, repo, queue, clock):
    # Given a job whose first attempt is due in 60 s
    [first] = service.enqueue("alice", [promotion("177681098666", "5")])

    # When the new rate arrives as the attempt falls due (within the margin)
    [again] = queue_again(service, clock, 60 - UNDER_WAY_MARGIN_MS / 1000 + 1, promotion("177681098666", "9"))

    # Then the worker may hold it: nothing changes, and the answer says so
    assert again.outcome is Outcome.BUSY
    assert repo.get("alice", first.job_id).ad_rate == Decimal("5") and len(queue.sent) == 1


def test_a_job_the_worker_would_take_along_keeps_its_terms(service, repo, clock):
    # Given two of the seller's jobs, the second due 30 s after the first
    service.enqueue("alice", [promotion("177681098666", "5")])
    clock.advance(30)
    [second] = service.enqueue("alice", [promotion("177681098667", "5")])

    # When the first falls due, the worker takes the second along (it is due within a minute)
    [again] = queue_again(service, clock, 30, promotion("177681098667", "9"))

    assert again.outcome is Outcome.BUSY
    assert repo.get("alice", second.job_id).ad_rate == Decimal("5")


def test_a_job_due_soon_but_alone_takes_the_new_terms(service, repo, clock):
    # Due in 20 s, and nothing of the seller's is due now: no attempt can have started.
    service.enqueue("alice", [promotion("177681098666", "5")])

    [again] = queue_again(service, clock, 40, promotion("177681098666", "9"))

    assert again.outcome is Outcome.UPDATED


def test_a_worker_writing_first_wins(service, repo, queue, clock):
    # Given a waiting job that a worker attempts between our read and our write
    [first] = service.enqueue("alice", [promotion("177681098666", "5")])

    def attempt(previous, new):
        repo.before_save = None
        assert repo.save(previous, previous.retry_later("not synced", previous.next_retry_at + 60_000, now_ms(clock)))

    repo.before_save = attempt

    [again] = queue_again(service, clock, 10, promotion("177681098666", "9"))

    assert again.outcome is Outcome.BUSY
    assert repo.get("alice", first.job_id).ad_rate == Decimal("5")


def test_a_batch_answers_each_listing_with_what_happened(service, repo, clock):
    [waiting] = service.enqueue("alice", [promotion("177681098666", "5")])

    answers = queue_again(service, clock, 10, promotion("177681098666", "6"), promotion("177681098667"),
                          promotion("177681098666", "6"))

    assert [(a.listing_id, a.outcome) for a in answers] == [("177681098666", Outcome.UPDATED),
                                                           ("177681098667", Outcome.CREATED)]
    assert answers[0].job_id == waiting.job_id


def test_listing_lock_is_per_user(service, repo):
    service.enqueue("alice", [promotion("177681098666")])

    [queued] = service.enqueue("bob", [promotion("177681098666")])

    assert queued.created


def test_listing_with_only_finished_jobs_gets_a_new_job(service, repo, clock):
    [first] = service.enqueue("alice", [promotion("177681098666")])
    job = repo.get("alice", first.job_id)
    assert job is not None
    finish(repo, job, Status.SUCCEEDED, now_ms(clock))
    clock.advance(1)

    [again] = service.enqueue("alice", [promotion("177681098666")])

    assert again.created
    assert again.job_id != first.job_id


def test_enqueue_answers_ids_even_when_the_queue_is_down(service, repo, queue):
    queue.refuse = True

    queued = service.enqueue("alice", [promotion("177681098666")])

    assert queued[0].created
    assert repo.get("alice", queued[0].job_id) is not None  # the sweeper will send it later


# ---------------------------------------------------------------- get / list


def test_get_returns_the_callers_job(service):
    [queued] = service.enqueue("alice", [promotion("177681098666")])

    assert service.get("alice", queued.job_id).listing_id == "177681098666"


def test_get_unknown_job_is_not_found(service):
    with pytest.raises(JobNotFound) as caught:
        service.get("alice", "177681098666_1")

    assert caught.value.job_id == "177681098666_1"


def test_get_another_users_job_is_not_found(service):
    [queued] = service.enqueue("alice", [promotion("177681098666")])

    with pytest.raises(JobNotFound):
        service.get("bob", queued.job_id)


def test_list_is_scoped_to_the_caller(service):
    service.enqueue("alice", [promotion("177681098666"), promotion("177681098667")])
    service.enqueue("bob", [promotion("177681098668")])

    page = service.list("alice", None, 10, None)

    assert {j.listing_id for j in page.jobs} == {"177681098666", "177681098667"}


# ---------------------------------------------------------------- stats


def test_stats_ready_counts_jobs_due_now_and_total_is_unfinished(service, repo, clock):
    # Given three jobs due at +60 s, +65 s and +70 s, and one finished job of each kind
    queued = []
    for i in range(3):
        queued += service.enqueue("alice", [promotion(str(200000 + i))])
        clock.advance(5)
    for i, status in enumerate([Status.SUCCEEDED, Status.FAILED, Status.CANCELLED]):
        [q] = service.enqueue("alice", [promotion(str(300000 + i))])
        job = repo.get("alice", q.job_id)
        assert job is not None
        finish(repo, job, status, now_ms(clock))
    assert len(queued) == 3

    # When 66 s have passed since the first
    clock.advance(51)
    stats = service.stats("alice")

    # Then two are ready, one is still waiting, and total counts only unfinished jobs
    assert stats == Stats(ready=2, pending=1, succeeded=1, failed=1, cancelled=1)
    assert stats.to_api() == {"total": 3, "ready": 2, "pending": 1, "succeeded": 1, "failed": 1,
                              "cancelled": 1}


def test_stats_are_per_user(service):
    service.enqueue("alice", [promotion("177681098666")])

    assert service.stats("bob").to_api() == {"total": 0, "ready": 0, "pending": 0, "succeeded": 0,
                                             "failed": 0, "cancelled": 0}


@pytest.mark.parametrize(("ready", "pending"), [(0, 0), (3, 0), (0, 4), (2, 5)])
def test_stats_total_is_ready_plus_pending(ready, pending):
    assert Stats(ready=ready, pending=pending, succeeded=9, failed=9, cancelled=9).total == ready + pending


# ---------------------------------------------------------------- cancel


def test_cancel_pending_job(service, repo, queue, clock):
    [queued] = service.enqueue("alice", [promotion("177681098666")])
    queue.sent.clear()
    clock.advance(5)

    cancelled = service.cancel("alice", queued.job_id)

    assert cancelled.status is Status.CANCELLED
    assert cancelled.version == 1
    assert cancelled.updated_at == now_ms(clock)
    assert cancelled.expires_at == now_ms(clock) // 1000 + HISTORY_S
    assert repo.get("alice", queued.job_id) == cancelled
    assert queue.sent == []
    assert service.stats("alice").cancelled == 1
    # The listing is free again.
    assert service.enqueue("alice", [promotion("177681098666")])[0].created


@pytest.mark.parametrize("status", TERMINAL)
def test_cancel_finished_job_is_an_invalid_transition(service, repo, clock, status):
    [queued] = service.enqueue("alice", [promotion("177681098666")])
    job = repo.get("alice", queued.job_id)
    assert job is not None
    done = finish(repo, job, status, now_ms(clock))

    with pytest.raises(InvalidTransition):
        service.cancel("alice", queued.job_id)

    assert repo.get("alice", queued.job_id) == done


def test_cancel_another_users_job_is_not_found(service, repo):
    [queued] = service.enqueue("alice", [promotion("177681098666")])

    with pytest.raises(JobNotFound):
        service.cancel("bob", queued.job_id)

    stored = repo.get("alice", queued.job_id)
    assert stored is not None and stored.status is Status.PENDING


def test_cancel_rereads_when_a_worker_moved_the_job_meanwhile(service, repo, clock):
    # Given a worker that defers the job between the service's read and its write, once
    [queued] = service.enqueue("alice", [promotion("177681098666")])
    raced = []

    def worker_writes_first(previous: PromotionJob, new: PromotionJob) -> None:
        if not raced:
            raced.append(True)
            stored = repo.jobs[(previous.user_id, previous.id)]
            repo.jobs[(previous.user_id, previous.id)] = stored.defer(now_ms(clock) + 1000, now_ms(clock))

    repo.before_save = worker_writes_first

    # When the seller cancels
    cancelled = service.cancel("alice", queued.job_id)

    # Then the cancel is applied on top of the worker's write
    assert cancelled.status is Status.CANCELLED
    assert cancelled.version == 2
    assert repo.saves == 2


def test_cancel_gives_up_when_the_job_keeps_changing(service, repo, clock):
    [queued] = service.enqueue("alice", [promotion("177681098666")])

    def always_bump(previous: PromotionJob, new: PromotionJob) -> None:
        key = (previous.user_id, previous.id)
        repo.jobs[key] = replace(repo.jobs[key], version=repo.jobs[key].version + 1)

    repo.before_save = always_bump

    with pytest.raises(ConcurrentUpdate):
        service.cancel("alice", queued.job_id)

    assert repo.saves == 3


# ---------------------------------------------------------------- retry (re-queue)


def test_retry_failed_job_puts_it_back_with_a_message(service, repo, queue, clock):
    # Given a job that failed after a few attempts
    [queued] = service.enqueue("alice", [promotion("177681098666")])
    job = repo.get("alice", queued.job_id)
    assert job is not None
    job = repo.jobs[(job.user_id, job.id)] = replace(job, attempts=3)
    failed = finish(repo, job, Status.FAILED, now_ms(clock))
    queue.sent.clear()
    clock.advance(3600)
    now = now_ms(clock)

    # When the seller retries it
    again = service.retry("alice", queued.job_id)

    # Then it is pending again with a fresh run, due at once (its listing synced long ago), and
    # a message is queued for it
    assert again.status is Status.PENDING
    assert again.attempts == 0
    assert again.version == failed.version + 1
    assert again.run_started_at == now
    assert again.next_retry_at == now
    assert again.expires_at is None
    assert again.last_error is None
    assert repo.get("alice", queued.job_id) == again
    assert queue.sent == [message_for(again)]
    assert queue.sent[0].version == again.version
    assert service.stats("alice") == Stats(ready=1, pending=0, succeeded=0, failed=0, cancelled=0)


def test_retry_uses_the_current_policy(repo, queue, clock):
    old = PromotionService(jobs=repo, queue=queue, policy=exponential_policy(), clock=clock)
    [queued] = old.enqueue("alice", [promotion("177681098666")])
    job = repo.get("alice", queued.job_id)
    assert job is not None
    finish(repo, job, Status.FAILED, now_ms(clock))

    new = PromotionService(jobs=repo, queue=queue, policy=sync_window_policy(), clock=clock)
    again = new.retry("alice", queued.job_id)

    assert (again.policy, again.max_attempts) == ("sync-window", 15)


@pytest.mark.parametrize("status", [Status.PENDING, Status.SUCCEEDED, Status.CANCELLED])
def test_retry_of_a_job_that_has_not_failed_is_an_invalid_transition(service, repo, queue, clock, status):
    [queued] = service.enqueue("alice", [promotion("177681098666")])
    job = repo.get("alice", queued.job_id)
    assert job is not None
    if status is not Status.PENDING:
        finish(repo, job, status, now_ms(clock))
    queue.sent.clear()

    with pytest.raises(InvalidTransition):
        service.retry("alice", queued.job_id)

    assert queue.sent == []


def test_retry_when_another_job_holds_the_listing_is_refused(service, repo, queue, clock):
    # Given a failed job and a newer pending job for the same listing
    [first] = service.enqueue("alice", [promotion("177681098666")])
    job = repo.get("alice", first.job_id)
    assert job is not None
    finish(repo, job, Status.FAILED, now_ms(clock))
    clock.advance(1)
    [second] = service.enqueue("alice", [promotion("177681098666")])
    queue.sent.clear()

    # When the failed one is retried, then the listing is busy
    with pytest.raises(ListingBusy) as caught:
        service.retry("alice", first.job_id)

    assert caught.value.job_id == second.job_id
    assert queue.sent == []


def test_retry_of_another_users_job_is_not_found(service, repo, clock):
    [queued] = service.enqueue("alice", [promotion("177681098666")])
    job = repo.get("alice", queued.job_id)
    assert job is not None
    finish(repo, job, Status.FAILED, now_ms(clock))

    with pytest.raises(JobNotFound):
        service.retry("bob", queued.job_id)


# ---------------------------------------------------------------- messages


def test_message_for_carries_ids_version_and_due_time(service, repo):
    [queued] = service.enqueue("alice", [promotion("177681098666")])
    job = repo.get("alice", queued.job_id)
    assert job is not None

    message = message_for(job)

    assert message == JobMessage(user_id="alice", job_id=job.id, version=0, not_before=job.next_retry_at or -1)
    assert JobMessage.model_validate_json(message.to_json()) == message


# ---------------------------------------------------------------- the seller's eBay account


@dataclass
class Accounts:
    of: dict[str, Connection] = field(default_factory=dict)

    def connection(self, user_id: str) -> Connection:
        return self.of.get(user_id, Connection(ConnectionStatus.NOT_CONNECTED))


@pytest.mark.parametrize(("connection", "advice"), [
    (Connection(ConnectionStatus.NOT_CONNECTED), "No eBay account is connected"),
    (Connection(ConnectionStatus.REVOKED, since=1), "connect your eBay account again"),
])
def test_queueing_without_a_usable_ebay_account_is_refused_before_anything_is_written(repo, queue, clock,
                                                                                       connection, advice):
    service = PromotionService(jobs=repo, queue=queue, policy=sync_window_policy(), clock=clock,
                               connections=Accounts({"alice": connection}))

    with pytest.raises(NotConnected) as refused:
        service.enqueue("alice", [promotion("177681098666")])

    assert isinstance(refused.value, Conflict) and advice in str(refused.value)
    assert repo.jobs == {} and queue.sent == []


def test_queueing_with_a_connected_account_records_the_job_as_queued(repo, queue, clock):
    service = PromotionService(jobs=repo, queue=queue, policy=sync_window_policy(), clock=clock,
                               connections=Accounts({"alice": Connection(ConnectionStatus.CONNECTED, since=1)}))

    (queued,) = service.enqueue("alice", [promotion("177681098666")])

    job = repo.get("alice", queued.job_id)
    assert job is not None and [(e.outcome, e.next_at) for e in job.history or ()] == [("queued", job.next_retry_at)]
