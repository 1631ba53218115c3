"""Working off one batch: ask the provider for each job's price, cache it, settle the job.

The scheduler reserved one call per job. A job whose sku the provider has not been asked about
before costs more (a catalog lookup first); those extra calls are taken from the budget as they
happen, and a job that finds none left waits for the next hour (``deferred``). Calls are spaced
per provider. A 429 stops the batch: the jobs not yet asked go back to the queue and their
reserved calls back to the budget.

Settling a job stores its event (``market.price_updated`` with the price, ``market.job_failed``)
in the same write; the event goes to every seller who asked for the item while the job waited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from sellerjobs.clock import Clock, now_ms
from sellerjobs.events.ports import EventAnnouncer, NoAnnouncer
from sellerjobs.jobs.history import Note
from sellerjobs.jobs.pause import PauseSwitch
from sellerjobs.jobs.rate_budget import RateBudget, RateLimiter
from sellerjobs.market import events as market_events
from sellerjobs.market.job import CachedPrice, MarketJob, MarketStatus, Priority, Provider
from sellerjobs.market.ports import BatchMetrics, MarketBatch, MarketJobs, PriceCache
from sellerjobs.market.quotes import (
    OutOfBudget,
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderThrottled,
    ProviderTransient,
    QuoteSource,
)

logger = Logger(child=True)


@dataclass(frozen=True)
class WorkerSettings:
    spacing_s: Mapping[Provider, float] = field(default_factory=dict)  # between calls to a provider
    retries: int = 3  # for 5xx and timeouts, within the batch
    retry_backoff_s: float = 1.0  # doubled per retry
    manual_reserve: int = 0  # calls per provider held for manual refreshes (see the scheduler)
    stale_after_s: float = 3600.0  # how a price view says "stale" (a fresh one never is)


@dataclass
class _BatchGate:
    """Hands out the batch's reserved calls, then takes more from the budget; spaces them."""

    limiter: RateLimiter
    budget: RateBudget
    clock: Clock
    spacing_s: float
    reserved: int
    reserved_at: float  # epoch seconds: the budget window the reservation came from
    manual_reserve: int = 0
    calls: int = 0
    urgent: bool = False  # the job being worked is a manual refresh: it may use the calls held for those

    def __call__(self) -> None:
        if self.calls:
            self.clock.sleep(self.spacing_s)
        now = self.clock.now()
        if self.reserved and self.budget.window_key(now) != self.budget.window_key(self.reserved_at):
            # The hour turned while the batch waited or ran: a call now counts against the new
            # hour (as the provider counts it), so the old hour gets its reservation back.
            self.limiter.refund(self.budget, self.reserved, self.reserved_at)
            self.reserved = 0
        if self.reserved > 0:
            self.reserved -= 1
        else:
            # Calls beyond the reservation (a sku's first catalog lookup) leave the calls held for
            # manual refreshes alone, unless they are for one.
            headroom = 0 if self.urgent else self.manual_reserve
            grant = self.limiter.acquire(self.budget, 1, headroom=headroom)
            if not grant.granted:
                raise OutOfBudget(f"{self.budget.name}: no call left in the budget for now")
        self.calls += 1


@dataclass
class MarketWorker:
    jobs: MarketJobs
    prices: PriceCache
    sources: Mapping[Provider, QuoteSource]
    limiter: RateLimiter
    budgets: Mapping[Provider, RateBudget]
    clock: Clock
    settings: WorkerSettings = field(default_factory=WorkerSettings)
    # The operators' pause switch: a batch that arrives while it is on goes back, uncalled.
    pause: PauseSwitch | None = None
    events: EventAnnouncer = field(default_factory=NoAnnouncer)

    def process(self, batch: MarketBatch, *, first_delivery: bool = True) -> BatchMetrics:
        """Quote the batch's jobs. A redelivered batch (``first_delivery`` False) takes every call
        from the budget afresh: the first delivery may have spent its reservation before dying."""
        started = now_ms(self.clock)
        provider = batch.provider
        budget = self.budgets[provider]
        gate = _BatchGate(self.limiter, budget, self.clock, self.settings.spacing_s.get(provider, 0.0),
                          reserved=len(batch.keys) if first_delivery else 0, reserved_at=batch.reserved_at / 1000,
                          manual_reserve=self.settings.manual_reserve)
        jobs = self.jobs.get_many(batch.keys)
        outcome = {"succeeded": 0, "failed": 0, "deferred": 0}
        paused = self.pause.current() if self.pause is not None else None
        # Why the rest of the batch waits for a later run (all of it, while the queue is paused).
        stopped: str | None = paused.describe() if paused is not None else None
        for key in batch.keys:
            job = jobs.get(key)
            if job is None or job.status is not MarketStatus.RUNNING or job.started_at != batch.started_at:
                # Settled by an earlier delivery of this batch, or reset and now another batch's.
                continue
            if stopped:
                self._settle(job, MarketStatus.DEFERRED, stopped, outcome, note=Note(provider=provider.value))
                continue
            stopped = self._work(job, gate, outcome)
        if gate.reserved:
            # Reserved for jobs that were not asked: the calls go back to the hour they came from.
            self.limiter.refund(budget, gate.reserved, batch.reserved_at / 1000)
        metrics = BatchMetrics(provider=provider.value, started_at=started, size=len(batch.keys),
                               succeeded=outcome["succeeded"], failed=outcome["failed"],
                               deferred=outcome["deferred"], duration_ms=now_ms(self.clock) - started,
                               calls=gate.calls)
        self.jobs.record_batch(metrics)
        logger.info(f"Market batch done: {metrics.succeeded} succeeded, {metrics.failed} failed, "
                    f"{metrics.deferred} deferred", extra={"provider": provider.value, "calls": gate.calls,
                                                           "batch_size": metrics.size})
        return metrics

    def _work(self, job: MarketJob, gate: _BatchGate, outcome: dict[str, int]) -> str | None:
        """Quote one job; when the batch must stop (429, or no budget left), the reason."""
        source = self.sources[job.provider]
        gate.urgent = job.priority >= Priority.MANUAL
        retries = 0
        while True:
            try:
                quote = source.quote(job.sku, job.size, gate)
            except ProviderTransient as exc:
                if retries < self.settings.retries:
                    retries += 1
                    # Every attempt leaves a line with the job's id: "what happened to job X" needs them all.
                    logger.info("Market job attempt failed; retrying", extra={
                        "job_id": job.id, "key": job.key, "provider": job.provider.value, "attempt": retries,
                        "http_status": exc.status, "reason": str(exc)})
                    self.clock.sleep(self.settings.retry_backoff_s * 2 ** (retries - 1))
                    continue
                self._settle(job, MarketStatus.FAILED, f"gave up after {retries} retries: {exc}", outcome, retries,
                             note=_note(job, exc))
                return None
            except ProviderThrottled as exc:
                self._settle(job, MarketStatus.DEFERRED, "the provider answered 429", outcome, retries,
                             note=_note(job, exc))
                return "the provider answered 429 earlier in this batch"
            except OutOfBudget as exc:
                self._settle(job, MarketStatus.DEFERRED, str(exc), outcome, retries, note=_note(job, exc))
                return str(exc)
            except ProviderNotFound as exc:
                self._settle(job, MarketStatus.FAILED, f"not found: {exc}", outcome, retries, note=_note(job, exc))
                return None
            except ProviderAuthError as exc:
                self._settle(job, MarketStatus.FAILED, f"credentials: {exc}", outcome, retries, note=_note(job, exc))
                return None
            except ProviderError as exc:  # e.g. a 400: asking again would get the same answer
                self._settle(job, MarketStatus.FAILED, str(exc), outcome, retries, note=_note(job, exc))
                return None
            break
        now = now_ms(self.clock)
        price = CachedPrice(provider=job.provider, sku=job.sku, size=job.size, quote=quote, updated_at=now)
        self.prices.put(price)
        self._settle(job, MarketStatus.SUCCEEDED, None, outcome, retries,
                     price.to_api(int(self.settings.stale_after_s * 1000), now),
                     note=Note(provider=job.provider.value, http_status=200))
        return None

    def _settle(self, job: MarketJob, status: MarketStatus, error: str | None, outcome: dict[str, int],
                retries: int = 0, price: dict[str, Any] | None = None, *, note: Note | None = None) -> None:
        settled = self._store(job, status, error, retries, price, note)
        if not settled:
            # The version guard refused: something wrote the job since it was read. A seller's
            # refresh raising its priority mid-run (or a seller asking for the item) is such a
            # write but leaves it this batch's job (same run start), so settle the current
            # version; anything else (a reset, a new run) is no longer ours to settle.
            current = self.jobs.get_many([job.key]).get(job.key)
            if (current is not None and current.id == job.id and current.status is MarketStatus.RUNNING
                    and current.started_at == job.started_at):
                settled = self._store(current, status, error, retries, price, note)
        if settled:
            outcome[status.value] += 1
            logger.info(f"Market job {status.value}", extra={
                "job_id": job.id, "key": job.key, "provider": job.provider.value, "outcome": status.value,
                "reason": error, "http_status": note.http_status if note else None,
                "attempt": job.retry_count + retries + 1})

    def _store(self, job: MarketJob, status: MarketStatus, error: str | None, retries: int,
               price: dict[str, Any] | None, note: Note | None) -> bool:
        """Settle ``job`` as read, with its attempt in its history and the events that announces
        (to the sellers it names), in one write."""
        now = now_ms(self.clock)
        settled = job.settled(status, now, error=error, retries=retries, note=note)
        events = market_events.events_for(settled, price)
        if not self.jobs.settle(job, status, now, error=error, retries=retries, note=note, events=events):
            return False
        self.events.announce(events)
        return True


def _note(job: MarketJob, exc: ProviderError) -> Note:
    """What the provider answered (a budget or a 429 as such), for the job's history."""
    return Note(provider=job.provider.value, http_status=exc.status)
