"""Every minute: spend each provider's budget on its most important waiting jobs, never more.

For each provider the scheduler asks how many calls the budget allows right now (the allowance
grows through the hour, so the first minute cannot burn the hour), reads that many waiting jobs
from an index ordered by priority then age — what it reads is what it dispatches, never the whole
backlog — reserves the calls with one conditional write, marks the jobs running and queues them
in batches. A few calls are held back from background and hot jobs until late in the hour, so a
seller's manual refresh goes out within a minute even when the backlog has used everything else.

Two schedulers running at once cannot overspend: the reservation is conditional, and a job two
schedulers both picked is started by one of them; the other gives its call back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger

from sellerjobs.clock import Clock, now_ms
from sellerjobs.jobs.pause import PauseSwitch
from sellerjobs.jobs.rate_budget import RateBudget, RateLimiter
from sellerjobs.market.job import MarketJob, MarketStatus, Priority, Provider
from sellerjobs.market.ports import BatchQueue, MarketBatch, MarketJobs, SchedulerRun

logger = Logger(child=True)


def hourly_budget(provider: Provider, calls_per_hour: int, manual_reserve: int = 0) -> RateBudget:
    # A minute's worth up front, plus the calls held for manual refreshes: every run can spend
    # what the hour allows so far, the last run of an hour can use up the whole hour, and the
    # calls kept for refreshes do not hold background work back at the start of an hour.
    burst = max(1, math.ceil(calls_per_hour / 60)) + manual_reserve
    return RateBudget(name=f"market-{provider.value}", limit=calls_per_hour, window_s=3600.0,
                      burst=min(burst, calls_per_hour))


@dataclass
class SchedulerSettings:
    batch_size: int = 10
    stuck_after_s: float = 600.0
    manual_reserve: int = 5  # calls kept for manual refreshes until the hour's budget is nearly all out
    max_reads: int = 500


@dataclass
class MarketScheduler:
    jobs: MarketJobs
    queue: BatchQueue
    limiter: RateLimiter
    budgets: dict[Provider, RateBudget]
    clock: Clock
    settings: SchedulerSettings = field(default_factory=SchedulerSettings)
    # The operators' pause switch: while it is on, nothing is dispatched (no budget is spent).
    pause: PauseSwitch | None = None

    def run(self, trigger: str = "schedule") -> SchedulerRun:
        started = now_ms(self.clock)
        reset = self._reset_stuck(started)
        dispatched: dict[str, int] = {}
        read: dict[str, int] = {}
        available: dict[str, int] = {}
        for provider, budget in self.budgets.items():
            sent, seen, free = self._dispatch(provider, budget)
            dispatched[provider.value], read[provider.value], available[provider.value] = sent, seen, free
        run = SchedulerRun(started_at=started, finished_at=now_ms(self.clock), dispatched=dispatched, read=read,
                           available=available, reset_stuck=reset, trigger=trigger)
        self.jobs.record_run(run)
        logger.info(f"Scheduler run: dispatched {sum(dispatched.values())}", extra={
            "dispatched": dispatched, "read": read, "available": available, "reset_stuck": reset,
            "trigger": trigger})
        return run

    def _reset_stuck(self, now: int) -> int:
        """A worker that died leaves its jobs running; after a while they go back to the queue."""
        stuck = self.jobs.stuck(now - int(self.settings.stuck_after_s * 1000), self.settings.max_reads)
        reset = sum(1 for job in stuck if self.jobs.settle(job, MarketStatus.PENDING, now,
                                                          error="reset: running too long"))
        if reset:
            logger.warning("Stuck market jobs put back in the queue", extra={"jobs": reset})
        return reset

    def _dispatch(self, provider: Provider, budget: RateBudget) -> tuple[int, int, int]:
        if self.pause is not None and self.pause.current() is not None:
            return 0, 0, 0
        when = self.clock.now()
        free = min(budget.allowance(when) - self.limiter.used(budget, when), self.settings.max_reads)
        if free <= 0:
            return 0, 0, max(free, 0)
        held = budget.held_back(when, self.settings.manual_reserve)
        chosen = self.jobs.queued(provider, free, min_priority=Priority.MANUAL)
        room = free - held - len(chosen)
        if room > 0:
            chosen += self.jobs.queued(provider, room, max_priority=Priority.MANUAL - 1)
        if not chosen:
            return 0, 0, free
        return len(self.dispatch(provider, chosen)), len(chosen), free

    def dispatch(self, provider: Provider, jobs: Sequence[MarketJob]) -> list[MarketJob]:
        """Reserve one call per job (one conditional write), mark the jobs running and queue them.

        Also what a seller's manual refresh calls at once, so it does not wait for the next minute:
        manual jobs may use every call the hour allows so far, the reserve included.
        """
        if not jobs:
            return []
        paused = self.pause.current() if self.pause is not None else None
        if paused is not None:
            logger.info("Market jobs not dispatched: the queue is paused", extra={
                "provider": provider.value, "jobs": len(jobs), "paused_by": paused.by})
            return []
        budget = self.budgets[provider]
        when = self.clock.now()
        urgent = all(job.priority >= Priority.MANUAL for job in jobs)
        headroom = 0 if urgent else self.settings.manual_reserve
        grant = self.limiter.acquire(budget, len(jobs), headroom=headroom)
        if not grant.granted:  # spent meanwhile (another scheduler, a refresh): the next run tries again
            return []
        started_at = now_ms(self.clock)
        started = self.jobs.start(jobs, started_at)
        if len(started) < len(jobs):
            self.limiter.refund(budget, len(jobs) - len(started), when)
        self._send(provider, started, when, started_at)
        return started

    def _send(self, provider: Provider, started: list[MarketJob], when: float, started_at: int) -> None:
        size = self.settings.batch_size
        batches = [MarketBatch(provider=provider, keys=tuple(j.key for j in started[i:i + size]),
                               reserved_at=int(when * 1000), started_at=started_at)
                   for i in range(0, len(started), size)]
        unsent = self.queue.send(batches)
        if unsent:
            # The jobs stay running; the stuck-job reset returns them to the queue.
            logger.error("Could not queue market batches", extra={"batches": len(unsent), "provider": provider.value})
