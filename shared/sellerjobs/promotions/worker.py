"""One delivery of promotion messages: decide which jobs are due, ask eBay, record outcomes.

Due jobs are grouped by (seller, campaign) so each group costs one bulk eBay call (up to 500
listings) instead of one call per listing. Every outcome is written with a version guard before
the next message is sent, which makes the whole step safe to repeat: a duplicate delivery finds
the job already moved on and does nothing; a crash after eBay created the ad but before the
write is retried, and eBay's "ad already exists" (35036) completes the job.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from aws_lambda_powertools import Logger

from sellerjobs.clock import Clock, now_ms
from sellerjobs.events.model import JobEvent
from sellerjobs.events.ports import EventAnnouncer, NoAnnouncer
from sellerjobs.jobs.history import Note
from sellerjobs.jobs.marketplace import (
    MarketplaceAuthError,
    MarketplaceCallError,
    MarketplaceThrottled,
    MarketplaceTransient,
    RequestRejected,
)
from sellerjobs.jobs.pause import Pause, PauseSwitch
from sellerjobs.jobs.rate_budget import RateLimited
from sellerjobs.jobs.retry import RetryPolicy
from sellerjobs.promotions import events as promotion_events
from sellerjobs.promotions.campaigns import CampaignResolver, NoCampaign
from sellerjobs.promotions.job import Priority, PromotionJob
from sellerjobs.promotions.outcomes import (
    Decision,
    Verdict,
    classify_listing,
    classify_request_errors,
)
from sellerjobs.promotions.ports import (
    MAX_ADS_PER_CALL,
    AdRequest,
    AdsGateway,
    DelayQueue,
    JobKey,
    JobMessage,
    JobRepository,
    ListingResult,
    SellerPolls,
)
from sellerjobs.promotions.service import message_for

logger = Logger(child=True)

# SQS delays are whole seconds; a message up to a second early is due.
EARLY_SLACK_MS = 1000
# The eBay calls a job's history names.
BULK_CREATE = "bulk_create_ads_by_listing_id"
GET_ADS = "get_ads"
DEFAULT_CAMPAIGN = "default campaign"  # finding (or creating) the seller's RUNNING campaign


@dataclass(frozen=True)
class _Defer:
    """Not an attempt: our own rate budget said wait, or this invocation ran out of time."""

    delay_s: float
    reason: str | None  # None: keep the job's last error
    why: str | None = None  # for the job's history, when the reason is not the job's error


HANDED_ON = "not attempted: this invocation ran out of time; another one takes it at once"


@dataclass(frozen=True)
class _Hold:
    """Not an attempt, not even time spent: the queue is paused."""

    pause: Pause
    recheck_s: float


Step = Decision | _Defer | _Hold


@dataclass
class WorkReport:
    succeeded: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0
    held: int = 0  # the queue is paused
    early: int = 0
    stale: int = 0
    taken_along: int = 0
    handed_on: int = 0  # jobs left for another invocation: this one ran out of time
    stepped_aside: int = 0  # jobs whose seller another invocation was polling: sent round again
    ebay_calls: int = 0
    # Jobs whose outcome could not be stored: their messages must be delivered again.
    unsaved: set[JobKey] = field(default_factory=set)
    unsent: int = 0

    def summary(self) -> str:
        held = f"{self.held} held (queue paused), " if self.held else ""
        return (f"Batch complete: {self.succeeded} succeeded, {self.retrying} retrying, {self.failed} failed"
                f" ({self.deferred} deferred, {held}{self.early} early, {self.stale} stale, "
                f"{self.taken_along} taken along, {self.handed_on} handed on, {self.stepped_aside} stepped aside, "
                f"{self.ebay_calls} eBay calls)")


@dataclass
class PromotionWorker:
    jobs: JobRepository
    queue: DelayQueue
    ads: AdsGateway
    campaigns: CampaignResolver
    policy_for: Callable[[str], RetryPolicy]
    clock: Clock
    history_s: int
    coalesce_s: float = 0.0
    polls: SellerPolls | None = None
    # How long a seller's poll is held at most (an invocation that dies frees it then), and how
    # soon a job that stepped aside comes round again: by then the holder has usually recorded
    # it, and the message is dropped as stale.
    poll_hold_s: float = 60.0
    step_aside_s: int = 10
    # Stop starting sellers' calls this long before the invocation's timeout: one more call and
    # its writes must fit.
    margin_s: float = 10.0
    # The operators' pause switch; while it is on, due jobs are held, and tried again this often.
    pause: PauseSwitch | None = None
    paused_recheck_s: float = 60.0
    events: EventAnnouncer = field(default_factory=NoAnnouncer)

    def process(self, messages: Sequence[JobMessage], *, time_left_s: float | None = None) -> WorkReport:
        """Work off one delivery. ``time_left_s``: what the invocation has left before its timeout;
        sellers not reached by then are handed on (not attempted) rather than killed mid-way."""
        report = WorkReport()
        now = now_ms(self.clock)
        stop_at = None if time_left_s is None else self.clock.now() + time_left_s - self.margin_s
        stored = self.jobs.get_many({m.key for m in messages})
        due: dict[JobKey, PromotionJob] = {}
        resend: list[JobMessage] = []
        for message in messages:
            job = stored.get(message.key)
            if job is None or job.status.terminal or job.version != message.version or message.key in due:
                # Already handled (a duplicate or superseded message) or gone: nothing to do.
                report.stale += 1
                logger.info("Message skipped: job has moved on", extra=_job_keys(message, job, "stale"))
                continue
            if job.next_retry_at is not None and job.next_retry_at > now + EARLY_SLACK_MS:
                # SQS delays stop at 15 minutes; longer waits come back early and go round again.
                report.early += 1
                resend.append(message_for(job))
                continue
            due[message.key] = job

        paused = self.pause.current() if self.pause is not None and due else None
        owner = uuid.uuid4().hex
        held: set[str] = set()
        if paused is None:
            # A paused queue calls eBay for nobody: its jobs are only held, no seller's poll is needed.
            held = self._hold_sellers(due, owner, now, time_left_s, resend, report)
            self._take_along(due, now, report)
        follow_ups: list[JobMessage] = []
        for (user_id, campaign_id), group in _fair_order(due.values()):
            campaign = campaign_id
            if paused is not None:
                steps: dict[JobKey, Step] = {_key(j): _Hold(paused, self.paused_recheck_s) for j in group}
            elif stop_at is not None and self.clock.now() >= stop_at:
                # Out of time: another invocation takes these at once; not an attempt.
                steps = {_key(j): _Defer(1.0, None, HANDED_ON) for j in group}
                report.handed_on += len(group)
            else:
                steps, campaign = self._promote(user_id, campaign_id, group, now_ms(self.clock), report)
            # Each seller's outcomes are stored right after its call: a crash later in this
            # invocation costs the sellers after it, not the ones already done.
            recorded_at = now_ms(self.clock)
            announced: list[JobEvent] = []
            follow_ups += [m for m in (self._record(due[key], step, recorded_at, report, campaign, announced)
                                       for key, step in steps.items()) if m]
            # Told to the relay per seller, as soon as the seller's outcomes are stored.
            if announced:
                self.events.announce(announced)
        for user_id in held:
            # After the outcomes are stored: a job that stepped aside then finds itself moved on.
            self._release(user_id, owner)
        unsent = self.queue.send(resend + follow_ups)
        if unsent:
            # The jobs are stored with their next attempt; the sweeper re-sends what is lost here.
            report.unsent = len(unsent)
            logger.error("Could not queue next attempts; the sweeper will recover them",
                         extra={"job_ids": [m.job_id for m in unsent]})
        logger.info(report.summary(), extra={"succeeded": report.succeeded, "retrying": report.retrying,
                                             "failed": report.failed, "deferred": report.deferred,
                                             "held": report.held,
                                             "ebay_calls": report.ebay_calls, "handed_on": report.handed_on})
        return report

    def _hold_sellers(self, due: dict[JobKey, PromotionJob], owner: str, now: int, time_left_s: float | None,
                      resend: list[JobMessage], report: WorkReport) -> set[str]:
        """Take each due seller's poll; jobs of sellers polled elsewhere right now step aside.

        Without this, invocations running side by side would each call eBay for the same
        seller's listings (and each take the others along), spending a call per invocation.
        """
        if self.polls is None:
            return set()
        hold_s = self.poll_hold_s if time_left_s is None else min(self.poll_hold_s, max(time_left_s, 1.0))
        held: set[str] = set()
        for user_id in sorted({key[0] for key in due}):
            try:
                taken = self.polls.hold(user_id, owner, now, now + int(hold_s * 1000))
            except Exception:
                # A poll that cannot be taken must not stop the work: at worst two calls.
                logger.exception("Could not take the seller's poll; calling eBay anyway", extra={"user_id": user_id})
                continue
            if taken:
                held.add(user_id)
                continue
            for key in [k for k in due if k[0] == user_id]:
                job = due.pop(key)
                resend.append(JobMessage(user_id=job.user_id, job_id=job.id, version=job.version,
                                         not_before=now + self.step_aside_s * 1000))
                report.stepped_aside += 1
            logger.info("Seller polled by another invocation: its jobs come round again shortly",
                        extra={"user_id": user_id, "step_aside_s": self.step_aside_s})
        return held

    def _release(self, user_id: str, owner: str) -> None:
        assert self.polls is not None
        try:
            self.polls.release(user_id, owner)
        except Exception:
            # It expires on its own; until then the seller's other jobs step aside.
            logger.exception("Could not release the seller's poll", extra={"user_id": user_id})

    def _take_along(self, due: dict[JobKey, PromotionJob], now: int, report: WorkReport) -> None:
        """Add each seller's other jobs that fall due within ``coalesce_s``.

        eBay takes up to 500 listings per call, so polling a seller's listings together costs
        one call where polling them one by one costs one each. Once taken along, a job's next
        attempt is scheduled with the group's, so the seller's listings stay in step. A job
        attempted moments ago by another invocation is left alone until it is due.
        """
        if self.coalesce_s <= 0 or not due:
            return
        until = now + int(self.coalesce_s * 1000)
        recent = now - int(self.coalesce_s * 1000) // 2
        for user_id in sorted({key[0] for key in due}):
            for job in self.jobs.due_for_user(user_id, until, limit=MAX_ADS_PER_CALL):
                key = _key(job)
                if key in due or job.status.terminal:
                    continue
                if job.updated_at > recent and (job.next_retry_at or 0) > now + EARLY_SLACK_MS:
                    continue
                due[key] = job
                report.taken_along += 1

    # -- asking eBay -------------------------------------------------------------------------

    def _promote(self, user_id: str, campaign_id: str | None, group: list[PromotionJob], now: int,
                 report: WorkReport) -> tuple[dict[JobKey, Step], str | None]:
        """Each job's step, and the campaign the ads went into (None if none was found)."""
        try:
            campaign = campaign_id or self.campaigns.default_for(user_id)
        except NoCampaign as exc:
            return {_key(j): Decision(Verdict.FAILED, str(exc), operation=DEFAULT_CAMPAIGN) for j in group}, None
        except (MarketplaceCallError, RateLimited) as exc:
            return {_key(j): _during(self._call_failed(exc, j, now), DEFAULT_CAMPAIGN) for j in group}, None

        steps: dict[JobKey, Step] = {}
        for chunk in _chunks(group, MAX_ADS_PER_CALL):
            try:
                answers = self.ads.create_ads(user_id, campaign, [AdRequest(j.listing_id, j.bid_percentage)
                                                                  for j in chunk],
                                              urgent=any(j.priority is Priority.HIGH for j in chunk))
                report.ebay_calls += 1
            except (MarketplaceCallError, RateLimited) as exc:
                # Our own budget refusing means nothing was sent; anything else reached eBay.
                report.ebay_calls += 0 if isinstance(exc, RateLimited) else 1
                steps.update({_key(j): _during(self._call_failed(exc, j, now), BULK_CREATE) for j in chunk})
                continue
            by_listing = {a.listing_id: a for a in answers}
            for job in chunk:
                answer = by_listing.get(job.listing_id)
                steps[_key(job)] = self._decide(job, answer, campaign, now, report)

        if campaign_id is None and any(isinstance(s, Decision) and s.verdict is Verdict.CAMPAIGN_INVALID
                                       for s in steps.values()):
            # Our cached default campaign ended or vanished: look it up afresh next attempt.
            self.campaigns.forget(user_id)
        return ({key: _settle_campaign(step, explicit=campaign_id is not None) for key, step in steps.items()},
                campaign)

    def _decide(self, job: PromotionJob, answer: ListingResult | None, campaign: str, now: int,
                report: WorkReport) -> Decision:
        if answer is None:
            return Decision(Verdict.RETRY, "eBay returned no answer for this listing", operation=BULK_CREATE)
        decision = replace(classify_listing(answer, age_s=job.sync_age_s(now),
                                            sync_window_s=self.policy_for(job.policy).sync_window_s),
                           operation=BULK_CREATE)
        if decision.verdict is Verdict.SUCCEEDED and decision.ad_id is None:
            # 35036: the ad exists (perhaps we created it just before a crash). Its id is worth
            # one lookup; without it the job still succeeded.
            try:
                decision = replace(decision, ad_id=self.ads.find_ad_id(job.user_id, campaign, job.listing_id),
                                   operation=GET_ADS if decision.error_id else BULK_CREATE)
                report.ebay_calls += 1
            except (MarketplaceCallError, RateLimited) as exc:
                report.ebay_calls += 0 if isinstance(exc, RateLimited) else 1
                logger.warning("Ad exists but its id could not be looked up", extra={
                    "job_id": job.id, "listing_id": job.listing_id, "reason": str(exc)})
        return decision

    def _call_failed(self, exc: Exception, job: PromotionJob, now: int) -> Step:
        if isinstance(exc, RateLimited):
            return _Defer(exc.retry_after_s, str(exc))
        if isinstance(exc, MarketplaceAuthError):
            return Decision(Verdict.FAILED, str(exc))
        if isinstance(exc, RequestRejected):
            return classify_request_errors(exc.errors, status=exc.status, age_s=job.sync_age_s(now),
                                           sync_window_s=self.policy_for(job.policy).sync_window_s)
        if isinstance(exc, MarketplaceThrottled):
            return Decision(Verdict.RETRY, str(exc) or "eBay answered 429", http_status=429)
        if isinstance(exc, MarketplaceTransient):
            return Decision(Verdict.RETRY, str(exc))
        return Decision(Verdict.RETRY, f"eBay call failed: {exc}")

    # -- recording outcomes ------------------------------------------------------------------

    def _record(self, job: PromotionJob, step: Step, now: int, report: WorkReport,
                campaign: str | None, announced: list[JobEvent]) -> JobMessage | None:
        new, outcome = self._next_state(job, step, now, campaign)
        events = promotion_events.events_for(job, new)
        try:
            saved = self.jobs.save(job, new, events)
        except Exception:
            logger.exception("Could not store the job's outcome; its message will be redelivered",
                             extra=_job_log(job, outcome))
            report.unsaved.add(_key(job))
            return None
        if not saved:
            report.stale += 1
            logger.info("Job changed while eBay was called (cancelled or a duplicate delivery won)",
                        extra=_job_log(job, "raced") | {"ad_id": new.ad_id})
            return None
        setattr(report, outcome, getattr(report, outcome) + 1)
        announced.extend(events)
        # What the job's history just recorded, as one line: everything "what happened to job X" needs.
        entry = new.history[-1] if new.history else None
        logger.info(f"Job {new.id} {outcome}", extra=_job_log(new, outcome) | {
            "reason": new.last_error, "ad_id": new.ad_id, "campaign_id": campaign or new.campaign_id,
            "next_retry_at": new.next_retry_at, "ebay_error_id": entry.error_id if entry else None,
            "http_status": entry.http_status if entry else None})
        return message_for(new) if not new.status.terminal else None

    def _next_state(self, job: PromotionJob, step: Step, now: int, campaign: str | None) -> tuple[PromotionJob, str]:
        if isinstance(step, _Hold):
            return (job.hold(now + int(step.recheck_s * 1000), now, step.pause.describe(), by=step.pause.by),
                    "held")
        if isinstance(step, _Defer):
            note = Note(message=step.why) if step.why else None
            return job.defer(now + int(step.delay_s * 1000), now, step.reason, note=note), "deferred"
        note = Note(operation=step.operation, http_status=step.http_status, error_id=step.error_id)
        if step.verdict is Verdict.SUCCEEDED:
            return job.succeed(step.ad_id, now, self.history_s, campaign_id=campaign, note=note), "succeeded"
        if step.verdict is Verdict.RETRY:
            delay = self.policy_for(job.policy).next_delay(job.attempts + 1, job.age_s(now), job.sync_age_s(now))
            if delay is not None:
                return job.retry_later(step.reason, _next_due(job, now, delay), now, note=note), "retrying"
            return job.fail(f"max attempts reached: {step.reason}", now, self.history_s, note=note), "failed"
        return job.fail(step.reason, now, self.history_s, note=note), "failed"


def _next_due(job: PromotionJob, now: int, delay_s: float) -> int:
    """Count the delay from when this attempt was planned if it ran late, from now if early.

    Late: queue latency (batching windows, whole-second delays) would otherwise push every
    later attempt back a little more, and a once-a-minute poll would drift into fewer polls per
    sync window; an attempt that ran very late still waits at least half its delay. Early (taken
    along with a seller's other jobs): from now, so the seller's jobs stay in step.
    """
    delay_ms = int(delay_s * 1000)
    anchor = min(job.next_retry_at or now, now)
    return max(anchor + delay_ms, now + delay_ms // 2)


def _settle_campaign(step: Step, *, explicit: bool) -> Step:
    """A campaign the seller named that is gone is their problem; our default we just replace."""
    if isinstance(step, Decision) and step.verdict is Verdict.CAMPAIGN_INVALID:
        return replace(step, verdict=Verdict.FAILED if explicit else Verdict.RETRY)
    return step


def _during(step: Step, operation: str) -> Step:
    """The step, naming the eBay call it came from (our own budget refusing made no call)."""
    return replace(step, operation=operation) if isinstance(step, Decision) else step


def _fair_order(jobs: Iterable[PromotionJob]) -> list[tuple[tuple[str, str | None], list[PromotionJob]]]:
    """Jobs grouped by seller and campaign (one bulk call each), in the order they are sent:
    high priority first, then the smallest groups, so a seller with a few listings is not kept
    waiting behind another's thousands in the same invocation. Within a group, high first."""
    groups: dict[tuple[str, str | None], list[PromotionJob]] = defaultdict(list)
    for job in jobs:
        groups[(job.user_id, job.campaign_id)].append(job)
    for group in groups.values():
        group.sort(key=lambda j: (j.priority is not Priority.HIGH, j.next_retry_at or 0))
    return sorted(groups.items(), key=lambda entry: (
        not any(j.priority is Priority.HIGH for j in entry[1]), len(entry[1]), entry[0][0]))


def _chunks(items: list[PromotionJob], size: int) -> Iterable[list[PromotionJob]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _key(job: PromotionJob) -> JobKey:
    return (job.user_id, job.id)


def _job_log(job: PromotionJob, outcome: str) -> dict[str, object]:
    return {"job_id": job.id, "listing_id": job.listing_id, "user_id": job.user_id,
            "attempt": job.attempts, "outcome": outcome}


def _job_keys(message: JobMessage, job: PromotionJob | None, outcome: str) -> dict[str, object]:
    return {"job_id": message.job_id, "user_id": message.user_id, "message_version": message.version,
            "job_version": job.version if job else None, "outcome": outcome}
