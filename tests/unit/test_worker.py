"""PromotionWorker on in-memory fakes: grouping, stale messages, outcomes, retries and campaigns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest

from sellerjobs.clock import ManualClock, now_ms
from sellerjobs.jobs.marketplace import ErrorDetail, MarketplaceAuthError, MarketplaceTransient, RequestRejected
from sellerjobs.jobs.pause import Pause, PauseSwitch, QueueName
from sellerjobs.jobs.rate_budget import RateLimited
from sellerjobs.jobs.retry import RetryPolicy
from sellerjobs.promotions.campaigns import CampaignResolver
from sellerjobs.promotions.job import PromotionJob, Status, new_job_id
from sellerjobs.promotions.ports import MAX_ADS_PER_CALL, AdRequest, JobMessage, ListingResult
from sellerjobs.promotions.service import PromotionService, message_for
from sellerjobs.promotions.worker import PromotionWorker, WorkReport
from tests.unit.job_fakes import DictPauses
from tests.unit.promotion_fakes import DictCampaignCache, InMemoryJobRepository, InMemorySellerPolls, ListQueue
from tests.unit.test_service import (
    HISTORY_S,
    exponential_policy,
    promotion,
    sync_window_policy,
)

DEFAULT_CAMPAIGN = "900000000001"

# ---------------------------------------------------------------- fakes


def ok(listing_id: str, ad_id: str | None = None) -> ListingResult:
    return ListingResult(listing_id=listing_id, status_code=201, ad_id=ad_id or f"ad-{listing_id}")


def rejected(listing_id: str, code: int, status: int = 400, message: str = "") -> ListingResult:
    return ListingResult(listing_id=listing_id, status_code=status,
                         errors=(ErrorDetail(error_id=code, message=message or f"message {code}"),))


Responder = Callable[[str, str, AdRequest], ListingResult]


@dataclass
class FakeAds:
    """An in-memory eBay Marketing for promotion jobs.

    Answers each listing with ``respond`` (success by default); ``failures`` are raised, in
    order, by the next ``create_ads`` calls instead of answering.
    """

    respond: Responder = field(default=lambda user, campaign, ad: ok(ad.listing_id))
    failures: list[Exception] = field(default_factory=list)
    campaign_of: dict[str, str] = field(default_factory=dict)  # user -> RUNNING campaign
    ad_ids: dict[str, str] = field(default_factory=dict)  # listing -> existing ad id
    lookup_fails: Exception | None = None
    calls: list[tuple[str, str, list[AdRequest]]] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    campaigns_created: list[tuple[str, str, str]] = field(default_factory=list)

    def create_ads(self, user_id: str, campaign_id: str, ads: Sequence[AdRequest], *,
                   urgent: bool = False) -> list[ListingResult]:
        self.calls.append((user_id, campaign_id, list(ads)))
        if self.failures:
            raise self.failures.pop(0)
        return [self.respond(user_id, campaign_id, ad) for ad in ads]

    def find_ad_id(self, user_id: str, campaign_id: str, listing_id: str) -> str | None:
        self.lookups.append(listing_id)
        if self.lookup_fails is not None:
            raise self.lookup_fails
        return self.ad_ids.get(listing_id)

    def find_campaign(self, user_id: str) -> str | None:
        return self.campaign_of.get(user_id)

    def create_campaign(self, user_id: str, name: str, bid_percentage: str) -> str:
        self.campaigns_created.append((user_id, name, bid_percentage))
        self.campaign_of[user_id] = f"90000000010{len(self.campaigns_created)}"
        return self.campaign_of[user_id]


POLICIES: dict[str, Callable[[], RetryPolicy]] = {
    "sync-window": sync_window_policy,
    "exponential": exponential_policy,
}


def policy_for(name: str) -> RetryPolicy:
    return POLICIES[name]()


@dataclass
class World:
    clock: ManualClock
    repo: InMemoryJobRepository
    queue: ListQueue
    ads: FakeAds
    cache: DictCampaignCache
    worker: PromotionWorker

    def now(self) -> int:
        return now_ms(self.clock)

    def job(self, listing_id: str, *, user_id: str = "alice", campaign_id: str | None = None,
            attempts: int = 0, policy: str = "sync-window", age_s: float = 60.0, version: int = 0,
            status: Status = Status.PENDING, rate: str = "5") -> PromotionJob:
        """A stored job that is due now, ``age_s`` into its run."""
        now = self.now()
        started = now - int(age_s * 1000)
        return self.repo.put(PromotionJob(
            id=new_job_id(listing_id, started), user_id=user_id, listing_id=listing_id,
            ad_rate=Decimal(rate), campaign_id=campaign_id, status=status, attempts=attempts,
            max_attempts=policy_for(policy).max_attempts,
            next_retry_at=None if status.terminal else now, created_at=started, updated_at=started,
            policy=policy, run_started_at=started, listed_at=started, version=version))

    def stored(self, job: PromotionJob) -> PromotionJob:
        found = self.repo.get(job.user_id, job.id)
        assert found is not None
        return found

    def process(self, *jobs: PromotionJob) -> WorkReport:
        return self.worker.process([message_for(j) for j in jobs])


@pytest.fixture
def world() -> World:
    clock = ManualClock()
    repo = InMemoryJobRepository()
    queue = ListQueue()
    ads = FakeAds(campaign_of={"alice": DEFAULT_CAMPAIGN, "bob": "900000000002"})
    cache = DictCampaignCache()
    resolver = CampaignResolver(ads=ads, cache=cache, auto_create=True, name="sellerjobs promoted listings",
                                bid_percentage="5.0")
    worker = PromotionWorker(jobs=repo, queue=queue, ads=ads, campaigns=resolver, policy_for=policy_for,
                             clock=clock, history_s=HISTORY_S)
    return World(clock=clock, repo=repo, queue=queue, ads=ads, cache=cache, worker=worker)


# ---------------------------------------------------------------- invocations side by side


def test_a_seller_polled_by_another_invocation_steps_aside_without_an_attempt(world):
    polls = InMemorySellerPolls()
    world.worker.polls = polls
    mine, theirs = world.job("100001"), world.job("100002", user_id="bob")
    polls.hold("alice", "another invocation", now_ms(world.clock), now_ms(world.clock) + 30_000)

    report = world.process(mine, theirs)

    # Only bob's listing went to eBay; alice's job is untouched and comes round in a few seconds.
    assert [(user, [a.listing_id for a in ads]) for user, _, ads in world.ads.calls] == [("bob", ["100002"])]
    assert report.stepped_aside == 1 and world.stored(mine) == mine
    (again,) = [m for m in world.queue.sent if m.user_id == "alice"]
    assert again.version == mine.version
    assert again.not_before == now_ms(world.clock) + world.worker.step_aside_s * 1000
    # The poll this invocation took is given back; the other invocation's is left alone.
    assert polls.holders == {"alice": ("another invocation", now_ms(world.clock) + 30_000)}


def test_an_expired_poll_is_taken_over(world):
    polls = InMemorySellerPolls()
    world.worker.polls = polls
    job = world.job("100001")
    polls.hold("alice", "an invocation that died", now_ms(world.clock) - 60_000, now_ms(world.clock) - 1)

    report = world.process(job)

    assert report.succeeded == 1 and report.stepped_aside == 0 and polls.holders == {}


# ---------------------------------------------------------------- grouping


def test_jobs_are_grouped_by_seller_and_campaign(world):
    # Given due jobs for two sellers, one of them in two campaigns
    a1 = world.job("100001")
    a2 = world.job("100002")
    a3 = world.job("100003", campaign_id="777")
    b1 = world.job("100004", user_id="bob")

    # When one delivery carries them all
    report = world.process(a1, a2, a3, b1)

    # Then eBay sees one call per (seller, campaign)
    calls = sorted((u, c, [a.listing_id for a in ads]) for u, c, ads in world.ads.calls)
    assert calls == [("alice", "777", ["100003"]), ("alice", DEFAULT_CAMPAIGN, ["100001", "100002"]),
                     ("bob", "900000000002", ["100004"])]
    assert report.ebay_calls == 3
    assert report.succeeded == 4
    assert {world.stored(j).status for j in (a1, a2, a3, b1)} == {Status.SUCCEEDED}
    assert world.stored(a1).ad_id == "ad-100001"
    assert world.queue.sent == []  # finished jobs need no further message


def test_bid_percentage_goes_to_ebay_with_one_decimal(world):
    job = world.job("100001", rate="7")

    world.process(job)

    assert world.ads.calls[0][2] == [AdRequest("100001", "7.0")]


def test_a_large_group_is_split_into_calls_of_at_most_500(world):
    jobs = [world.job(str(200000 + i)) for i in range(MAX_ADS_PER_CALL + 100)]

    report = world.process(*jobs)

    assert [len(ads) for _, _, ads in world.ads.calls] == [500, 100]
    assert report.ebay_calls == 2
    assert report.succeeded == 600


# ---------------------------------------------------------------- stale, duplicate and early messages


def test_message_with_an_old_version_is_skipped(world):
    job = world.job("100001", version=3)

    report = world.worker.process([JobMessage(user_id="alice", job_id=job.id, version=2, not_before=world.now())])

    assert report.stale == 1
    assert world.ads.calls == []
    assert world.stored(job) == job


@pytest.mark.parametrize("status", [Status.SUCCEEDED, Status.FAILED, Status.CANCELLED])
def test_message_for_a_finished_job_is_skipped(world, status):
    job = world.job("100001", status=status)

    report = world.worker.process([JobMessage(user_id="alice", job_id=job.id, version=job.version,
                                              not_before=world.now())])

    assert report.stale == 1
    assert world.ads.calls == []


def test_message_for_an_unknown_job_is_skipped(world):
    report = world.worker.process([JobMessage(user_id="alice", job_id="100001_1", version=0, not_before=world.now())])

    assert report.stale == 1
    assert world.ads.calls == []


def test_duplicate_messages_in_one_delivery_run_the_job_once(world):
    job = world.job("100001")

    report = world.process(job, job)

    assert report.stale == 1
    assert report.succeeded == 1
    assert [len(ads) for _, _, ads in world.ads.calls] == [1]


def test_a_second_delivery_of_the_same_message_does_nothing(world):
    job = world.job("100001")
    message = message_for(job)
    world.worker.process([message])

    report = world.worker.process([message])

    assert report.stale == 1
    assert len(world.ads.calls) == 1


def test_early_message_is_sent_again_without_calling_ebay(world):
    # Given a job due in 20 minutes (longer than SQS can delay)
    job = world.job("100001")
    job = world.repo.put(job.defer(world.now() + 20 * 60_000, world.now()))

    # When its message arrives now
    report = world.process(job)

    # Then it goes round again unchanged
    assert report.early == 1
    assert world.ads.calls == []
    assert world.queue.sent == [message_for(job)]
    assert world.stored(job) == job


def test_a_message_up_to_a_second_early_is_due(world):
    job = world.job("100001")
    job = world.repo.put(job.defer(world.now() + 1000, world.now()))

    report = world.process(job)

    assert report.early == 0
    assert report.succeeded == 1


# ---------------------------------------------------------------- retries


def test_listing_not_synced_yet_is_retried_with_a_later_message(world):
    # Given a young job that eBay does not know yet
    job = world.job("100001", age_s=60.0)
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35048)

    # When it is attempted
    report = world.process(job)

    # Then it waits a minute (sync-window policy, no jitter) and a new message carries the new version
    stored = world.stored(job)
    assert report.retrying == 1
    assert stored.status is Status.PENDING
    assert stored.attempts == 1
    assert stored.version == job.version + 1
    assert stored.next_retry_at == world.now() + 60_000
    assert stored.last_error == "listing not synced yet (eBay 35048)"
    assert world.queue.sent == [JobMessage(user_id="alice", job_id=job.id, version=stored.version,
                                           not_before=world.now() + 60_000)]


def test_exponential_policy_retries_after_two_minutes(world):
    job = world.job("100001", policy="exponential")
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35001, status=500)

    world.process(job)

    assert world.stored(job).next_retry_at == world.now() + 120_000


def test_out_of_attempts_fails_with_the_last_reason(world):
    # Given an exponential job on its fifth and last attempt
    job = world.job("100001", policy="exponential", attempts=4)
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35001, message="Internal error")

    report = world.process(job)

    stored = world.stored(job)
    assert report.failed == 1
    assert stored.status is Status.FAILED
    assert stored.attempts == 5
    assert stored.last_error == "max attempts reached: eBay 35001: Internal error"
    assert stored.expires_at == world.now() // 1000 + HISTORY_S
    assert world.queue.sent == []


def test_listing_still_unknown_after_the_sync_window_fails(world):
    job = world.job("100001", age_s=13 * 60)
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35048, message="invalid or ended")

    world.process(job)

    stored = world.stored(job)
    assert stored.status is Status.FAILED
    assert stored.last_error == "listing not found after the sync window: eBay 35048: invalid or ended"


def test_terminal_listing_error_fails_at_once(world):
    job = world.job("100001")
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35067, message="terms not accepted")

    world.process(job)

    stored = world.stored(job)
    assert (stored.status, stored.last_error) == (Status.FAILED, "eBay 35067: terms not accepted")


def test_missing_answer_for_a_listing_is_retried(world):
    job = world.job("100001")
    other = world.job("100002")
    world.ads.respond = lambda u, c, ad: ok("999999")  # answers for a listing we did not ask about

    report = world.process(job, other)

    assert report.retrying == 2
    assert world.stored(job).last_error == "eBay returned no answer for this listing"


def test_transient_call_failure_retries_every_job_in_the_call(world):
    jobs = [world.job("100001"), world.job("100002")]
    world.ads.failures = [MarketplaceTransient("eBay server error (HTTP 503)")]

    report = world.process(*jobs)

    assert report.retrying == 2
    assert {world.stored(j).attempts for j in jobs} == {1}
    assert world.stored(jobs[0]).last_error == "eBay server error (HTTP 503)"


def test_a_listing_that_syncs_at_minute_4_is_promoted_within_about_a_minute(world):
    # Given eBay that only knows the listing four minutes after it was queued
    service = PromotionService(jobs=world.repo, queue=world.queue, policy=sync_window_policy(),
                               clock=world.clock)
    queued_at = world.now()
    [queued] = service.enqueue("alice", [promotion("177681098666")])
    world.ads.respond = lambda u, c, ad: (ok(ad.listing_id) if world.now() >= queued_at + 240_000
                                          else rejected(ad.listing_id, 35048))

    # When every minute the due messages are delivered
    for _ in range(10):
        world.clock.advance(60)
        due = world.queue.take_due(world.now())
        if due:
            world.worker.process(due)

    # Then it is promoted at minute 4, on its fourth attempt
    job = world.repo.get("alice", queued.job_id)
    assert job is not None
    assert job.status is Status.SUCCEEDED
    assert job.attempts == 4
    assert job.updated_at == queued_at + 240_000
    assert world.queue.sent == []


# ---------------------------------------------------------------- our own rate budget


def test_rate_limited_call_is_deferred_without_counting_an_attempt(world):
    job = world.job("100001", attempts=2)
    world.ads.failures = [RateLimited("ebay-marketing", 42.5)]

    report = world.process(job)

    stored = world.stored(job)
    assert report.deferred == 1
    assert report.retrying == 0
    assert stored.attempts == 2
    assert stored.status is Status.PENDING
    assert stored.next_retry_at == world.now() + 42_500
    assert stored.last_error == "rate budget 'ebay-marketing' exhausted; retry in 42s"
    assert world.queue.sent == [message_for(stored)]


def test_rate_limited_campaign_lookup_is_deferred(world):
    job = world.job("100001")

    class Throttled(FakeAds):
        def find_campaign(self, user_id: str) -> str | None:
            raise RateLimited("ebay-marketing", 10.0)

    world.worker.ads = world.worker.campaigns.ads = Throttled()

    report = world.process(job)

    assert report.deferred == 1
    assert world.stored(job).attempts == 0


def test_a_call_refused_by_our_own_budget_is_not_counted_as_an_ebay_call(world):
    job = world.job("100001")
    world.ads.failures = [RateLimited("ebay-marketing", 30.0)]

    report = world.process(job)

    assert report.ebay_calls == 0


# ---------------------------------------------------------------- credentials


def test_credentials_error_fails_the_jobs(world):
    job = world.job("100001")
    world.ads.failures = [MarketplaceAuthError("eBay refused the seller's authorisation for Marketing (HTTP 401)")]

    report = world.process(job)

    stored = world.stored(job)
    assert report.failed == 1
    assert stored.status is Status.FAILED
    assert stored.last_error == "eBay refused the seller's authorisation for Marketing (HTTP 401)"
    assert world.queue.sent == []


# ---------------------------------------------------------------- campaigns


def test_default_campaign_is_looked_up_once_and_cached(world):
    world.process(world.job("100001"))
    world.ads.campaign_of["alice"] = "changed"

    world.process(world.job("100002"))

    assert [c for _, c, _ in world.ads.calls] == [DEFAULT_CAMPAIGN, DEFAULT_CAMPAIGN]
    assert world.cache.entries == {"alice": DEFAULT_CAMPAIGN}


def test_missing_default_campaign_is_created_when_allowed(world):
    del world.ads.campaign_of["alice"]

    world.process(world.job("100001"))

    assert world.ads.campaigns_created == [("alice", "sellerjobs promoted listings", "5.0")]
    assert world.ads.calls[0][1] == world.cache.entries["alice"]


def test_missing_default_campaign_fails_when_creation_is_disabled(world):
    del world.ads.campaign_of["alice"]
    world.worker.campaigns.auto_create = False
    job = world.job("100001")

    report = world.process(job)

    stored = world.stored(job)
    assert report.failed == 1
    assert stored.status is Status.FAILED
    assert stored.last_error is not None and "no RUNNING COST_PER_SALE campaign" in stored.last_error
    assert world.ads.calls == []


def test_explicit_campaign_that_is_gone_fails_the_job(world):
    # Given a job for a campaign the seller named, which eBay says does not exist
    world.cache.put("alice", DEFAULT_CAMPAIGN)
    job = world.job("100001", campaign_id="555")
    world.ads.failures = [RequestRejected(404, [ErrorDetail(35045, "No campaign with that id")])]

    report = world.process(job)

    # Then the job fails with eBay's reason, and our default campaign is left alone
    stored = world.stored(job)
    assert report.failed == 1
    assert stored.status is Status.FAILED
    assert stored.last_error == "eBay 35045: No campaign with that id"
    assert world.cache.forgotten == []


def test_default_campaign_that_is_gone_is_forgotten_and_the_job_retried(world):
    # Given a cached default campaign that has ended
    world.cache.put("alice", "111")
    job = world.job("100001")
    world.ads.failures = [RequestRejected(400, [ErrorDetail(35035, "Campaign has ended")])]

    report = world.process(job)

    # Then the job retries and the next attempt looks the campaign up afresh
    stored = world.stored(job)
    assert report.retrying == 1
    assert stored.status is Status.PENDING
    assert stored.attempts == 1
    assert world.cache.forgotten == ["alice"]
    world.clock.advance(60)
    world.worker.process(world.queue.take_due(world.now()))
    assert world.ads.calls[-1][1] == DEFAULT_CAMPAIGN
    assert world.stored(job).status is Status.SUCCEEDED


@pytest.mark.parametrize(("campaign_id", "status", "forgotten"), [
    (None, Status.PENDING, ["alice"]),
    ("555", Status.FAILED, []),
])
def test_campaign_problem_on_a_listing_answer(world, campaign_id, status, forgotten):
    job = world.job("100001", campaign_id=campaign_id)
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35046)

    world.process(job)

    assert world.stored(job).status is status
    assert world.cache.forgotten == forgotten


def test_whole_request_rejection_uses_the_outcome_table(world):
    job = world.job("100001", age_s=60.0)
    world.ads.failures = [RequestRejected(400, [ErrorDetail(35048, "invalid")])]

    report = world.process(job)

    assert report.retrying == 1


# ---------------------------------------------------------------- ad already exists


def test_existing_ad_without_an_id_is_looked_up(world):
    # Given eBay saying the ad already exists, without its id
    job = world.job("100001")
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35036)
    world.ads.ad_ids["100001"] = "ad-existing"

    report = world.process(job)

    # Then the job succeeds with the id found by a lookup
    stored = world.stored(job)
    assert report.succeeded == 1
    assert stored.status is Status.SUCCEEDED
    assert stored.ad_id == "ad-existing"
    assert world.ads.lookups == ["100001"]
    assert report.ebay_calls == 2


def test_existing_ad_with_an_id_needs_no_lookup(world):
    job = world.job("100001")
    world.ads.respond = lambda u, c, ad: ListingResult(ad.listing_id, 400, ad_id="ad-sent",
                                                       errors=(ErrorDetail(35036),))

    world.process(job)

    assert world.stored(job).ad_id == "ad-sent"
    assert world.ads.lookups == []


def test_existing_ad_whose_lookup_fails_still_succeeds(world):
    job = world.job("100001")
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35036)
    world.ads.lookup_fails = MarketplaceTransient("timeout")

    world.process(job)

    stored = world.stored(job)
    assert stored.status is Status.SUCCEEDED
    assert stored.ad_id is None


# ---------------------------------------------------------------- storing outcomes


def test_job_cancelled_while_ebay_was_called_is_left_alone(world):
    # Given the seller cancels the job while its eBay call is in flight
    job = world.job("100001")

    def cancel_then_answer(user: str, campaign: str, ad: AdRequest) -> ListingResult:
        current = world.stored(job)
        world.repo.save(current, current.cancel(world.now(), HISTORY_S))
        return rejected(ad.listing_id, 35048)

    world.ads.respond = cancel_then_answer

    report = world.process(job)

    # Then the worker's outcome loses the race: still cancelled, no next message
    assert report.stale == 1
    assert report.retrying == 0
    assert world.stored(job).status is Status.CANCELLED
    assert world.queue.sent == []


def test_outcome_that_cannot_be_stored_is_reported_for_redelivery(world):
    job = world.job("100001")
    world.repo.broken = True

    report = world.process(job)

    assert report.unsaved == {("alice", job.id)}
    assert report.succeeded == 0
    assert world.queue.sent == []


def test_next_attempts_that_cannot_be_queued_are_counted(world):
    jobs = [world.job("100001"), world.job("100002")]
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35048)
    world.queue.refuse = True

    report = world.process(*jobs)

    assert report.unsent == 2
    assert report.retrying == 2  # stored: the sweeper will find them


def test_summary_line_counts_every_outcome(world):
    report = WorkReport(succeeded=1, retrying=2, failed=3, deferred=4, early=5, stale=6, taken_along=8,
                        ebay_calls=7)

    assert report.summary() == ("Batch complete: 1 succeeded, 2 retrying, 3 failed (4 deferred, 5 early, "
                                "6 stale, 8 taken along, 0 handed on, 0 stepped aside, 7 eBay calls)")


# ---------------------------------------------------------------- staggered batches


def test_late_job_of_a_full_batch_still_retries_a_transient_error(world):
    # Given a full 500-listing batch queued under the default sync-window policy
    service = PromotionService(jobs=world.repo, queue=world.queue, policy=sync_window_policy(),
                               clock=world.clock)
    queued = service.enqueue("alice", [promotion(str(300000 + i)) for i in range(500)])
    last = world.repo.get("alice", queued[-1].job_id)
    assert last is not None and last.next_retry_at is not None

    # When its first attempt comes and eBay has an internal error
    world.clock.set(last.next_retry_at / 1000)
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35001, status=500)
    world.worker.process([message_for(last)])

    # Then it is retried, as any job's first transient failure is
    stored = world.stored(last)
    assert stored.attempts == 1
    assert stored.status is Status.PENDING


# ---------------------------------------------------------------- taking a seller's jobs along


def test_a_sellers_jobs_due_within_the_horizon_ride_along_in_the_same_call(world):
    # Given alice has one job due now and two due within the next minute, one due later,
    # and bob has one due within the minute
    world.worker.coalesce_s = 60
    due_now = world.job("100001")
    soon = [world.job("100002"), world.job("100003")]
    later = world.job("100004")
    bobs = world.job("100005", user_id="bob")
    for job, offset_s in ((soon[0], 20), (soon[1], 59), (later, 61), (bobs, 10)):
        world.repo.put(replace(job, next_retry_at=world.now() + offset_s * 1000))

    # When only the due job's message arrives
    report = world.process(due_now)

    # Then one call carries alice's three jobs; the later one and bob's wait for their turn
    assert [[a.listing_id for a in ads] for _, _, ads in world.ads.calls] == [["100001", "100002", "100003"]]
    assert report.taken_along == 2 and report.succeeded == 3
    assert world.stored(later).status is Status.PENDING and world.stored(bobs).status is Status.PENDING


def test_jobs_taken_along_early_are_rescheduled_in_step_with_the_group(world):
    world.worker.coalesce_s = 60
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35048)
    first = world.job("100001")
    early = world.repo.put(replace(world.job("100002"), next_retry_at=world.now() + 40_000))

    world.process(first)

    assert world.stored(first).next_retry_at == world.stored(early).next_retry_at


def test_without_a_horizon_nothing_is_taken_along(world):
    first = world.job("100001")
    other = world.repo.put(replace(world.job("100002"), next_retry_at=world.now() + 10_000))

    report = world.process(first)

    assert report.taken_along == 0
    assert world.stored(other).attempts == 0


def test_the_sync_window_counts_from_when_the_listing_was_queued_not_from_its_stagger_slot(world):
    # Given a job from the end of a big batch: its run began a minute ago (its stagger slot),
    # but its listing was queued with the batch 13 minutes ago
    world.ads.respond = lambda u, c, ad: rejected(ad.listing_id, 35048)
    job = world.job("100001", age_s=60)
    world.repo.put(replace(job, listed_at=world.now() - 13 * 60_000))

    world.process(job)

    # Then eBay still not knowing the listing means it is not coming: the job fails
    stored = world.stored(job)
    assert stored.status is Status.FAILED
    assert stored.last_error is not None and "after the sync window" in stored.last_error


# ---------------------------------------------------------------- history and the pause switch


def test_each_outcome_is_recorded_with_what_ebay_answered(world):
    job = world.job("100001", age_s=60)
    world.ads.respond = lambda user, campaign, ad: rejected(ad.listing_id, 35048, status=200)

    world.process(job)
    world.clock.advance(60)
    world.ads.respond = lambda user, campaign, ad: ok(ad.listing_id, "ad-9")
    world.process(world.stored(job))

    entries = list(world.stored(job).history or ())
    assert [(e.outcome, e.attempt, e.operation, e.error_id, e.http_status) for e in entries] == [
        ("retrying", 1, "bulk_create_ads_by_listing_id", 35048, 200),
        ("succeeded", 2, "bulk_create_ads_by_listing_id", None, 201)]
    assert entries[0].message == "listing not synced yet (eBay 35048)" and entries[0].next_at is not None
    assert (entries[1].ad_id, entries[1].campaign_id) == ("ad-9", DEFAULT_CAMPAIGN)


def test_a_paused_queue_holds_due_jobs_without_calling_ebay_or_spending_attempts(world):
    pauses = DictPauses()
    pauses.put(Pause(QueueName.PROMOTION, by="ops", at=world.now(), reason="eBay outage"))
    world.worker.pause = PauseSwitch(pauses, QueueName.PROMOTION, world.clock, ttl_s=30)
    job = world.job("100001", attempts=2, age_s=120)

    report = world.process(job)

    held = world.stored(job)
    assert world.ads.calls == [] and report.held == 1 and report.ebay_calls == 0
    assert held.attempts == 2 and held.status is Status.PENDING
    assert held.next_retry_at == world.now() + 60_000  # looked at again in a minute
    assert held.age_s(world.now() + 60_000) == job.age_s(world.now())  # its window did not shrink
    assert [m.job_id for m in world.queue.sent] == [job.id]
    assert held.history and held.history[-1].message == "the promotion queue is paused (eBay outage)"


def test_the_pause_switch_is_read_once_per_period_and_resuming_lets_jobs_through(world):
    pauses = DictPauses()
    pauses.put(Pause(QueueName.PROMOTION, by="ops", at=world.now()))
    world.worker.pause = PauseSwitch(pauses, QueueName.PROMOTION, world.clock, ttl_s=30)
    first = world.job("100001")
    world.process(first)
    world.process(world.job("100002"))
    assert pauses.reads == 1  # the second delivery used the cached switch

    pauses.delete(QueueName.PROMOTION)
    world.clock.advance(60)
    report = world.process(world.stored(first))

    assert pauses.reads == 2 and report.succeeded == 1
    assert world.stored(first).attempts == 1


def test_jobs_an_invocation_has_no_time_for_are_handed_on_and_say_why(world):
    job = world.job("100001", attempts=1)

    report = world.worker.process([message_for(job)], time_left_s=5)  # less than the worker's margin

    handed = world.stored(job)
    assert report.handed_on == 1 and world.ads.calls == []
    assert handed.attempts == 1 and handed.history and handed.history[-1].outcome == "deferred"
    assert "ran out of time" in (handed.history[-1].message or "")


def test_a_paused_queue_holds_a_sellers_jobs_even_while_another_invocation_polls_the_seller(world):
    # Holding a job calls nobody: it needs no seller's poll, and leaves the other invocation's alone.
    polls = InMemorySellerPolls()
    world.worker.polls = polls
    polls.hold("alice", "another invocation", now_ms(world.clock), now_ms(world.clock) + 30_000)
    pauses = DictPauses()
    pauses.put(Pause(QueueName.PROMOTION, by="ops", at=world.now()))
    world.worker.pause = PauseSwitch(pauses, QueueName.PROMOTION, world.clock, ttl_s=30)
    job = world.job("100001")

    report = world.process(job)

    assert report.held == 1 and report.stepped_aside == 0 and world.ads.calls == []
    assert polls.holders == {"alice": ("another invocation", now_ms(world.clock) + 30_000)}
