"""Fetching item aspects for a job's categories, as fast as the Taxonomy budget allows.

Every minute the scheduler sends one message per active job that has something to do; a message
starts a *run*: the worker takes the job's lease (so a duplicate message or an overlapping run
does nothing), reads the tree if nobody has yet, then fetches due categories one by one (or the
whole tree's aspects in one download), its calls spaced ``spacing_s`` apart and each taken from
the shared Taxonomy budget, until ``run_s`` is up: no call starts after it. Work left over is
passed on to the next run at once through the queue, so a busy job never waits for the next minute.
A job that has to wait (a category's backoff, a spent budget, eBay's 429) is released with a
``resume_at`` and picked up by the first tick after it; waiting costs nothing.

Each fetched category is stored, removed from the job's work and counted in one transaction:
a crash loses at most the category in flight, and a run that resumes a job never fetches what an
earlier run already stored. Per-category failures are retried with backoff, then recorded.

A job announces its end (``category_fetch.completed`` / ``failed``) in the write that stores it,
and, while it runs, its progress at most once a minute (``category_fetch.progress``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from sellerjobs.categories import events as category_events
from sellerjobs.categories import tree
from sellerjobs.categories.job import (
    AspectRecord,
    Category,
    FetchJob,
    FetchMode,
    FetchStatus,
    RunEntry,
    RunOutcome,
    WorkItem,
)
from sellerjobs.categories.ports import FetchJobs, FetchMessage, FetchQueue, JobNotActive, Taxonomy
from sellerjobs.clock import Clock, now_ms
from sellerjobs.events.ports import EventAnnouncer, NoAnnouncer
from sellerjobs.jobs.marketplace import (
    MarketplaceAuthError,
    MarketplaceCallError,
    MarketplaceThrottled,
    MarketplaceTransient,
    RequestRejected,
)
from sellerjobs.jobs.pause import Pause, PauseSwitch
from sellerjobs.jobs.rate_budget import RateLimited

logger = Logger(child=True)

BULK_BATCH = 30  # categories per transaction: 30 aspect puts + 30 work deletes + the job's counters
WORK_PAGE = 25
BUDGET_SPENT = "the shared Taxonomy call budget is spent for now"
EBAY_429 = "eBay answered 429 (its rate limit)"
# eBay answers these for a category that cannot be fetched however often we ask.
PERMANENT_CATEGORY_ERRORS = frozenset({62004, 62005, 62006, 62007, 62009})


@dataclass(frozen=True)
class FetchSettings:
    spacing_s: float = 0.2  # between eBay calls within a run (the original system's spacing)
    run_s: float = 50.0  # one run's share of clock time; the function's timeout leaves room
    lease_s: float = 120.0
    max_attempts: int = 3
    retry_backoff_s: float = 30.0  # doubled per failed attempt
    throttled_wait_s: float = 60.0  # after eBay's own 429
    bulk_share: float = 0.5  # "auto" becomes bulk when a job covers at least this share of the tree
    # Runs one user may have going at once: fewer than the worker's concurrency, so one user's
    # many fetches never hold every slot and the others' jobs take turns with them.
    user_slots: int = 3


@dataclass
class RunReport:
    job_id: str
    resume_at: int = 0  # epoch ms: when the job has something to do again (0: now)
    fetched: int = 0
    failed: int = 0
    retried: int = 0
    deferred: bool = False
    ebay_calls: int = 0
    completed: bool = False
    skipped: bool = False  # another run holds the job, or it is no longer active
    waiting_for_slot: bool = False  # the user's other runs hold all of the user's slots
    continued: bool = False  # the run's time was up with work left; the next run was queued
    stopped: bool = False  # the job stopped under the run (cancelled)
    failed_job: str | None = None  # why the job failed as a whole
    why: str | None = None  # why it waits (a category's last error, the budget, eBay's 429)
    note: str | None = None  # what reading the tree found
    progress_at: int = 0  # epoch ms: the job's last progress event (or its start), as this run knows it

    def entry(self, started_at: int, ended_at: int) -> RunEntry:
        """The run, as the job's run log keeps it."""
        if self.completed:
            outcome, reason = RunOutcome.COMPLETED, self.note
        elif self.failed_job is not None:
            outcome, reason = RunOutcome.FAILED, self.failed_job
        elif self.deferred:
            outcome, reason = RunOutcome.DEFERRED, self.why
        elif self.continued:
            outcome, reason = RunOutcome.CONTINUED, self.note
        elif self.resume_at:
            outcome, reason = RunOutcome.WAITING, self.why or self.note
        else:
            outcome, reason = RunOutcome.STOPPED, self.note
        return RunEntry(at=started_at, ended_at=ended_at, outcome=outcome, fetched=self.fetched, failed=self.failed,
                        retried=self.retried, ebay_calls=self.ebay_calls, reason=reason,
                        resume_at=self.resume_at or None)

    def summary(self) -> str:
        return (f"Run of {self.job_id}: {self.fetched} fetched, {self.failed} failed, {self.retried} to retry"
                f"{', deferred' if self.deferred else ''}{', completed' if self.completed else ''}"
                f" ({self.ebay_calls} eBay calls)")


@dataclass
class CategoryFetchWorker:
    jobs: FetchJobs
    taxonomy: Taxonomy
    queue: FetchQueue
    clock: Clock
    settings: FetchSettings
    release_budget: Callable[[], None] | None = None  # hand back calls reserved but not used
    # The operators' pause switch: while it is on, no run starts and a running one stops.
    pause: PauseSwitch | None = None
    paused_recheck_s: float = 60.0
    events: EventAnnouncer = field(default_factory=NoAnnouncer)

    def _paused(self) -> Pause | None:
        return self.pause.current() if self.pause is not None else None

    def tick(self, limit: int = 500) -> int:
        """The every-minute trigger: one message per active job that is not waiting."""
        paused = self._paused()
        if paused is not None:
            logger.info("Tick: no runs, the queue is paused", extra={"paused_by": paused.by})
            return 0
        now = now_ms(self.clock)
        active = self.jobs.active(limit)
        ready = _in_turns([job for job in active if job.resume_at <= now])
        unsent = self.queue.send([FetchMessage(job_id=job.id, not_before=now, user_id=job.user_id) for job in ready])
        logger.info(f"Tick: {len(ready)} of {len(active)} active category fetch jobs to run",
                    extra={"active_jobs": len(active), "ready": len(ready), "unsent": len(unsent)})
        return len(ready) - len(unsent)

    def run(self, job_id: str, user_id: str = "") -> RunReport:
        report = RunReport(job_id=job_id)
        owner = uuid.uuid4().hex
        deadline = self.clock.now() + self.settings.run_s  # no eBay call of this run starts after it
        now = now_ms(self.clock)
        until = now + int(self.settings.lease_s * 1000)
        paused = self._paused()
        if paused is not None:
            # The tick sends no runs while the queue is paused; the first tick after resuming does.
            report.skipped = True
            logger.info("Run skipped: the queue is paused", extra={"job_id": job_id, "paused_by": paused.by})
            return report
        if not user_id:  # a message sent before messages named the owner
            known = self.jobs.get(job_id)
            user_id = known.user_id if known is not None else ""
        slot = self.jobs.take_slot(user_id, owner, now, until, self.settings.user_slots) if user_id else None
        if user_id and slot is None:
            report.skipped = report.waiting_for_slot = True
            logger.info("Run skipped: the user's other fetches hold all of the user's run slots; the next tick "
                        "tries again", extra={"job_id": job_id, "user_id": user_id})
            return report
        try:
            self._run(job_id, owner, now, until, deadline, report)
        finally:
            if slot is not None:
                self.jobs.release_slot(user_id, slot, owner)
        return report

    def _run(self, job_id: str, owner: str, now: int, until: int, deadline: float, report: RunReport) -> None:
        job = self.jobs.take_lease(job_id, owner, now, until)
        if job is None:
            report.skipped = True
            logger.info("Run skipped: job finished, cancelled or held by another run", extra={"job_id": job_id})
            return
        report.progress_at = job.progress_at or job.created_at
        try:
            if not job.analysed:
                job = self._analyse(job, report)
            if job is not None and job.status.active:
                if job.mode is FetchMode.BULK:
                    self._bulk(job, report, deadline)
                else:
                    self._per_category(job, report, deadline)
        finally:
            if self.release_budget is not None:
                self.release_budget()
            self.jobs.release_lease(job_id, owner, report.resume_at, report.entry(now, now_ms(self.clock)))
        logger.info(report.summary(), extra={"job_id": job_id, "fetched": report.fetched, "failed": report.failed,
                                             "retried": report.retried, "ebay_calls": report.ebay_calls,
                                             "deferred": report.deferred, "completed": report.completed})

    # -- reading the tree --------------------------------------------------------------------

    def _analyse(self, job: FetchJob, report: RunReport) -> FetchJob | None:
        assert job.tree_id is not None
        try:
            report.ebay_calls += 1
            root = self.taxonomy.tree(job.tree_id)
        except RateLimited as exc:
            report.ebay_calls -= 1  # our budget refused: nothing was sent
            self._call_failed(job, exc, report)
            return None
        except MarketplaceCallError as exc:
            self._call_failed(job, exc, report)
            return None
        categories = tree.leaves(root, job.max_categories)
        mode = job.mode
        if mode is FetchMode.AUTO:
            everything = len(tree.leaves(root)) if job.max_categories is not None else len(categories)
            covers = len(categories) / max(1, everything)
            mode = FetchMode.BULK if covers >= self.settings.bulk_share else FetchMode.PER_CATEGORY
        analysed = job.touched(now_ms(self.clock), analysed=True, total=len(categories), mode=mode,
                               status=FetchStatus.PROCESSING)
        logger.info("Category tree read", extra={"job_id": job.id, "categories": len(categories), "mode": mode.value})
        report.note = f"read the tree: {len(categories)} leaf categories, {mode.value.replace('_', ' ')}"
        try:
            return self.jobs.add_work(analysed, categories)
        except JobNotActive:
            # The job stopped (the seller cancelled it) while its tree was read: nothing is left to do.
            report.stopped = True
            logger.info("Run stopped: the job was no longer active once its tree was read", extra={"job_id": job.id})
            return None

    # -- one call per category ---------------------------------------------------------------

    def _per_category(self, job: FetchJob, report: RunReport, deadline: float) -> None:
        assert job.tree_id is not None
        while True:
            work = self.jobs.due_work(job.id, now_ms(self.clock), WORK_PAGE)
            if not work:
                # Looked at before the deadline: a run whose time ends with its last category completes the
                # job, rather than queueing a run with nothing to do.
                self._wrap_up(job, report)
                return
            if not self._time_for_a_call(report, deadline):
                self._continue(job, now_ms(self.clock), report)
                return
            paused = self._paused()
            if paused is not None:
                self._defer(job, self.paused_recheck_s, report, paused.describe())
                return
            current = self.jobs.get(job.id)
            if current is None or not current.status.active:
                report.stopped = True
                return  # cancelled meanwhile
            for item in work:
                if not self._time_for_a_call(report, deadline):
                    break  # the loop above passes the rest on
                self._space(report)
                try:
                    report.ebay_calls += 1
                    aspects = self.taxonomy.aspects(job.tree_id, item.category.category_id)
                except RateLimited as exc:
                    report.ebay_calls -= 1  # our budget refused: nothing was sent
                    self._defer(job, exc.retry_after_s, report, BUDGET_SPENT)
                    return
                except MarketplaceThrottled:
                    self._defer(job, self.settings.throttled_wait_s, report, EBAY_429)
                    return
                except MarketplaceAuthError as exc:
                    self._fail_job(job, str(exc), report)
                    return
                except MarketplaceCallError as exc:
                    self._category_failed(job, item, exc, report)
                    continue
                record = self._record(job, item.category, aspects)
                report.fetched += self.jobs.complete(job, [(item, record)], now_ms(self.clock))
                self._progress(job, report)

    def _category_failed(self, job: FetchJob, item: WorkItem, exc: MarketplaceCallError, report: RunReport) -> None:
        now = now_ms(self.clock)
        reason = str(exc) or type(exc).__name__
        permanent = isinstance(exc, RequestRejected) and (
            {e.error_id for e in exc.errors} & PERMANENT_CATEGORY_ERRORS or 400 <= exc.status < 500)
        attempts = item.attempts + 1
        if permanent or attempts >= self.settings.max_attempts:
            if self.jobs.fail(job, item, reason, now):
                report.failed += 1
                logger.warning("Category failed", extra={"job_id": job.id, "category_id": item.category.category_id,
                                                         "attempts": attempts, "reason": reason})
            return
        backoff = self.settings.retry_backoff_s * (2 ** (attempts - 1))
        if self.jobs.postpone(job, item, now + int(backoff * 1000), reason, now):
            report.retried += 1
            report.why = f"retrying {item.category.name or item.category.category_id}: {reason}"

    # -- one download for the whole tree -----------------------------------------------------

    def _bulk(self, job: FetchJob, report: RunReport, deadline: float) -> None:
        assert job.tree_id is not None
        pending = {item.category.category_id: item for item in self.jobs.all_work(job.id)}
        if pending:
            if not self._time_for_a_call(report, deadline):
                self._continue(job, now_ms(self.clock), report)  # reading the tree took the run's time
                return
            self._space(report)  # after reading the tree, as between any two calls of a run
            batch: list[tuple[WorkItem, AspectRecord]] = []
            try:
                report.ebay_calls += 1
                for category_id, name, aspects in self.taxonomy.all_aspects(job.tree_id):
                    item = pending.pop(category_id, None)
                    if item is None:
                        continue  # a leaf this job does not cover, or one an earlier run stored
                    batch.append((item, self._record(job, Category(category_id, name or item.category.name),
                                                     aspects)))
                    if len(batch) >= BULK_BATCH:
                        report.fetched += self.jobs.complete(job, batch, now_ms(self.clock))
                        batch = []
                        self._progress(job, report)
            except (MarketplaceCallError, RateLimited) as exc:
                if isinstance(exc, RateLimited):
                    report.ebay_calls -= 1  # our budget refused the download: nothing was sent
                # What was stored stays stored; the next run downloads again and skips it.
                report.fetched += self.jobs.complete(job, batch, now_ms(self.clock)) if batch else 0
                self._call_failed(job, exc, report)
                return
            # The file lists only leaves that have aspects: the rest have none.
            batch += [(item, self._record(job, item.category, [])) for item in pending.values()]
            for start in range(0, len(batch), BULK_BATCH):
                report.fetched += self.jobs.complete(job, batch[start:start + BULK_BATCH], now_ms(self.clock))
        self._wrap_up(job, report)

    # -- pacing ------------------------------------------------------------------------------

    def _pause(self, report: RunReport) -> float:
        """spacing_s goes between the eBay calls of a run: none before its first."""
        return self.settings.spacing_s if report.ebay_calls else 0.0

    def _time_for_a_call(self, report: RunReport, deadline: float) -> bool:
        # Asked with the pause included: a call that has to wait for its spacing must still start
        # by the deadline, not merely be waited for before it.
        return self.clock.now() + self._pause(report) <= deadline

    def _space(self, report: RunReport) -> None:
        pause = self._pause(report)
        if pause:
            self.clock.sleep(pause)

    # -- finishing and handing over ----------------------------------------------------------

    def _record(self, job: FetchJob, category: Category, aspects: list[dict[str, Any]]) -> AspectRecord:
        return AspectRecord(marketplace_id=job.marketplace_id, tree_id=job.tree_id or "", tree_version=job.tree_version,
                            category_id=category.category_id, category_name=category.name, aspects=aspects,
                            fetched_at=now_ms(self.clock), job_id=job.id)

    def _wrap_up(self, job: FetchJob, report: RunReport) -> None:
        """No work is due: the job is done, or waits for a category's retry."""
        next_due = self.jobs.next_work_due(job.id)
        if next_due is None:
            current = self.jobs.get(job.id) or job
            report.completed = category_events.finish(self.jobs, self.events, current, FetchStatus.COMPLETED,
                                                      now_ms(self.clock))
        else:
            report.resume_at = next_due

    def _progress(self, job: FetchJob, report: RunReport) -> None:
        """Announce the job's counters once a minute while it runs (read back as stored)."""
        now = now_ms(self.clock)
        if now - report.progress_at < category_events.PROGRESS_INTERVAL_MS:
            return
        report.progress_at = now  # tried once per interval, whether or not it is stored
        current = self.jobs.get(job.id)
        if current is None or not current.status.active:
            return
        event = category_events.progress(current, now)
        if self.jobs.progress(current, event, now, category_events.PROGRESS_INTERVAL_MS):
            self.events.announce([event])

    def _continue(self, job: FetchJob, not_before: int, report: RunReport) -> None:
        """The run's time is up with work due: the next run starts at once."""
        report.continued = True
        self.queue.send([FetchMessage(job_id=job.id, not_before=not_before, user_id=job.user_id)])

    def _defer(self, job: FetchJob, wait_s: float, report: RunReport, why: str) -> None:
        report.deferred = True
        report.why = why
        report.resume_at = now_ms(self.clock) + int(wait_s * 1000)
        logger.info("Run deferred: Taxonomy budget or eBay rate limit", extra={"job_id": job.id, "wait_s": wait_s})

    def _fail_job(self, job: FetchJob, reason: str, report: RunReport) -> None:
        report.failed_job = reason
        current = self.jobs.get(job.id) or job
        if category_events.finish(self.jobs, self.events, current, FetchStatus.FAILED, now_ms(self.clock), reason):
            logger.error("Category fetch job failed", extra={"job_id": job.id, "reason": reason})

    def _call_failed(self, job: FetchJob, exc: Exception, report: RunReport) -> None:
        """A whole-job call (the tree, the bulk file) failed."""
        if isinstance(exc, RateLimited):
            self._defer(job, exc.retry_after_s, report, BUDGET_SPENT)
        elif isinstance(exc, MarketplaceThrottled):
            self._defer(job, self.settings.throttled_wait_s, report, EBAY_429)
        elif isinstance(exc, MarketplaceAuthError):
            self._fail_job(job, str(exc), report)
        elif isinstance(exc, MarketplaceTransient):
            self._defer(job, self.settings.retry_backoff_s, report, f"eBay did not answer: {exc}")
        else:
            self._fail_job(job, f"eBay refused the request: {exc}", report)



def _in_turns(jobs: list[FetchJob]) -> list[FetchJob]:
    """Users' jobs interleaved, oldest first within a user: when the worker cannot run them all at
    once, every user's first job comes before anyone's second."""
    by_user: dict[str, list[FetchJob]] = {}
    for job in sorted(jobs, key=lambda j: j.created_at):
        by_user.setdefault(job.user_id, []).append(job)
    turns: list[FetchJob] = []
    for rank in range(max((len(queue) for queue in by_user.values()), default=0)):
        turns += [queue[rank] for queue in by_user.values() if rank < len(queue)]
    return turns
