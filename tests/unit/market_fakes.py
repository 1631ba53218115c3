"""In-memory fakes of the market-data ports (``sellerjobs.market.ports``, the rate limiter, a provider).

The fakes keep the contracts the real adapters keep:

* ``InMemoryMarketJobs`` follows ``sellerjobs.aws.market.DynamoMarketJobs`` (one contract
  suite, tests/integration/test_market_ports_contract.py, runs against both): one job per
  (provider, sku, size) key; ``enqueue`` writes what ``sellerjobs.market.enqueueing`` decides;
  every status change (``start``, ``settle``, ``reset_failed``) is guarded by the job's version
  and status as read; ``queued`` reads highest priority first, then oldest, then by key, within
  ``[min_priority, max_priority]``; ``stuck`` reads running jobs started before a time, oldest
  start first; ``page`` reads by status, most recently updated first, and filters by provider
  after the limit (as a DynamoDB filter does).
* ``InMemoryRateLimiter`` follows ``sellerjobs.aws.rate_buckets.DynamoRateLimiter``: one counter
  per budget window; ``acquire`` succeeds only if ``used + n <= allowance(now)``; ``refund``
  subtracts from the counter of the window ``when`` falls in.
* ``ListBatchQueue`` keeps what it was sent; ``refuse`` makes every send fail (all unsent).
* ``ScriptedQuotes`` is a provider: per (sku, size) a list of outcomes (a ``Quote`` or a
  ``ProviderError`` to raise); it calls the gate before every call it makes, and a sku it has
  not seen costs ``catalog_calls`` lookups first (as StockX's catalog search does).

test_market_scheduler.py, test_market_worker.py and test_market_service.py share them.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sellerjobs.clock import Clock, ManualClock, now_ms
from sellerjobs.errors import Invalid
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.history import Note
from sellerjobs.jobs.rate_budget import Grant, RateBudget
from sellerjobs.market.enqueueing import enqueue_requests, enqueueing
from sellerjobs.market.job import CachedPrice, MarketJob, MarketStatus, Provider, Quote, dedupe_key
from sellerjobs.market.ports import BatchMetrics, Enqueued, JobPage, MarketBatch, MarketFilter, SchedulerRun
from sellerjobs.market.quotes import CallGate, ProviderError
from sellerjobs.market.scheduler import MarketScheduler, SchedulerSettings, hourly_budget
from sellerjobs.market.service import MarketService
from sellerjobs.market.share import SellerShares
from sellerjobs.market.worker import MarketWorker, WorkerSettings

HOUR = 3600.0
MINUTE = 60.0

# ---------------------------------------------------------------- jobs


@dataclass
class InMemoryMarketJobs:
    jobs: dict[str, MarketJob] = field(default_factory=dict)
    runs: list[SchedulerRun] = field(default_factory=list)
    batches: list[BatchMetrics] = field(default_factory=list)
    enqueue_calls: list[tuple[Provider, list[tuple[str, str | None]], int]] = field(default_factory=list)
    outbox: dict[str, JobEvent] = field(default_factory=dict)  # events stored by settle()
    # Runs once, at the next start(), before it writes: what another scheduler does meanwhile.
    before_start: Callable[[Sequence[MarketJob]], object] | None = None
    # Runs once, at the next settle(), before it writes: what a seller does while the worker works.
    before_settle: Callable[[MarketJob], object] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- test helpers ------------------------------------------------------------------------

    def stored(self, provider: Provider, sku: str, size: str | None = None) -> MarketJob:
        return self.jobs[dedupe_key(provider, sku, size)]

    def with_status(self, status: MarketStatus) -> list[MarketJob]:
        return sorted((j for j in self.jobs.values() if j.status is status), key=lambda j: j.key)

    def _move(self, moves: Sequence[tuple[MarketJob, MarketJob]]) -> list[MarketJob]:
        moved = []
        for old, new in moves:
            stored = self.jobs.get(old.key)
            if stored is None or stored.version != old.version or stored.status is not old.status:
                continue  # the version guard: it moved on since it was read
            # A job read from an index comes without its history and sellers; they stay as stored.
            self.jobs[new.key] = replace(new, history=stored.history if new.history is None else new.history,
                                         asked_by=new.asked_by or stored.asked_by)
            moved.append(new)
        return moved

    # -- the port ----------------------------------------------------------------------------

    def enqueue(self, provider: Provider, items: Sequence[tuple[str, str | None]], priority: int,
                now_ms: int, seller: str | None = None) -> list[Enqueued]:
        self.enqueue_calls.append((provider, list(items), priority))
        results = []
        for key, request in enqueue_requests(provider, items, priority, now_ms, seller).items():
            step = enqueueing(self.jobs.get(key), request, f"{next(self._ids):032x}")
            if step.write:
                self.jobs[key] = step.job
            results.append(step.result)
        return results

    def get_many(self, keys: Iterable[str]) -> dict[str, MarketJob]:
        return {key: self.jobs[key] for key in dict.fromkeys(keys) if key in self.jobs}

    def queued(self, provider: Provider, limit: int, *, min_priority: int = 0,
               max_priority: int = 999) -> list[MarketJob]:
        if limit <= 0:
            return []
        waiting = [j for j in self.jobs.values()
                   if j.provider is provider and j.status.queued and min_priority <= j.priority <= max_priority]
        return [_indexed(j) for j in sorted(waiting, key=lambda j: (-j.priority, j.enqueued_at, j.key))[:limit]]

    def start(self, jobs: Sequence[MarketJob], now_ms: int) -> list[MarketJob]:
        hook, self.before_start = self.before_start, None
        if hook is not None:
            hook(jobs)
        return self._move([(job, job.started(now_ms)) for job in jobs])

    def settle(self, job: MarketJob, status: MarketStatus, now_ms: int, *, error: str | None = None,
               retries: int = 0, note: Note | None = None, events: Sequence[JobEvent] = ()) -> bool:
        hook, self.before_settle = self.before_settle, None
        if hook is not None:
            hook(job)
        moved = bool(self._move([(job, job.settled(status, now_ms, error=error, retries=retries, note=note))]))
        if moved:
            self.outbox.update({event.id: event for event in events})
        return moved

    def stuck(self, started_before_ms: int, limit: int) -> list[MarketJob]:
        running = [j for j in self.jobs.values() if j.status is MarketStatus.RUNNING
                   and j.started_at is not None and j.started_at < started_before_ms]
        return [_indexed(j) for j in sorted(running, key=lambda j: (j.started_at or 0, j.key))[:limit]]

    def reset_failed(self, now_ms: int, limit: int) -> int:
        failed = self.page(MarketStatus.FAILED, None, limit, None).jobs
        moves = [(job, job.retried(now_ms)) for job in failed]
        return len(self._move(moves))

    def page(self, status: MarketStatus | None, provider: Provider | None, limit: int, cursor: str | None
             ) -> JobPage:
        listed = sorted((j for j in self.jobs.values() if status is None or j.status is status), key=_position,
                        reverse=True)
        if cursor:
            after = _after(cursor)
            listed = [j for j in listed if _position(j) < after]
        evaluated = listed[:limit]  # DynamoDB's Limit counts items before the filter
        return JobPage(jobs=[_indexed(j) for j in evaluated if provider is None or j.provider is provider],
                       cursor=_cursor(evaluated[-1]) if evaluated and len(evaluated) == limit else None)

    def search(self, where: MarketFilter, limit: int, cursor: str | None) -> JobPage:
        listed = sorted((j for j in self.jobs.values() if where.matches(j)), key=_position, reverse=True)
        if cursor:
            after = _after(cursor)
            listed = [j for j in listed if _position(j) < after]
        return JobPage(jobs=[_indexed(j) for j in listed[:limit]],
                       cursor=_cursor(listed[limit - 1]) if len(listed) > limit else None)

    def counts(self) -> dict[str, dict[str, int]]:
        out = {p.value: {s.value: 0 for s in MarketStatus} for p in Provider}
        for job in self.jobs.values():
            out[job.provider.value][job.status.value] += 1
        return out

    def record_run(self, run: SchedulerRun) -> None:
        self.runs.append(run)

    def recent_runs(self, limit: int) -> list[SchedulerRun]:
        return sorted(self.runs, key=lambda r: r.started_at, reverse=True)[:limit]

    def record_batch(self, metrics: BatchMetrics) -> None:
        self.batches.append(metrics)

    def recent_batches(self, limit: int) -> list[BatchMetrics]:
        return sorted(self.batches, key=lambda b: b.started_at, reverse=True)[:limit]


def _indexed(job: MarketJob) -> MarketJob:
    """The job as an index holds it: without its history and the sellers it is announced to."""
    return replace(job, history=None, asked_by=frozenset())


def _position(job: MarketJob) -> str:
    return f"{job.updated_at:013d}#{job.key}"


def _cursor(job: MarketJob) -> str:
    return base64.urlsafe_b64encode(_position(job).encode()).decode()


def _after(cursor: str) -> str:
    """The position a cursor holds; one this store did not give is refused as the adapter does."""
    try:
        position = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, binascii.Error):
        position = ""
    if not re.fullmatch(r"[0-9]{13}#.{1,200}", position):
        raise Invalid("cursor is not one this API returned", field="cursor")
    return position


# ---------------------------------------------------------------- prices


@dataclass
class InMemoryPriceCache:
    prices: dict[str, CachedPrice] = field(default_factory=dict)
    puts: list[CachedPrice] = field(default_factory=list)

    def get(self, provider: Provider, sku: str, size: str | None) -> CachedPrice | None:
        return self.prices.get(dedupe_key(provider, sku, size))

    def put(self, price: CachedPrice) -> None:
        self.prices[dedupe_key(price.provider, price.sku, price.size)] = price
        self.puts.append(price)


# ---------------------------------------------------------------- budget and queue


@dataclass
class InMemoryRateLimiter:
    """One counter per budget window, taken from only while ``used + n <= allowance(now)``."""

    clock: Clock
    counters: dict[str, int] = field(default_factory=dict)
    acquired: list[tuple[str, int]] = field(default_factory=list)  # (window key, n) of each grant
    refunds: list[tuple[str, int]] = field(default_factory=list)  # (window key, n) of each refund

    def acquire(self, budget: RateBudget, n: int = 1, *, headroom: int = 0) -> Grant:
        now = self.clock.now()
        key = budget.window_key(now)
        headroom = budget.held_back(now, headroom)
        used = self.counters.get(key, 0)
        if used + n + headroom > budget.allowance(now):
            return Grant(False, max(1.0, budget.wait_for(used + headroom, n, now)))
        self.counters[key] = used + n
        self.acquired.append((key, n))
        return Grant(True)

    def refund(self, budget: RateBudget, n: int, when: float) -> None:
        key = budget.window_key(when)
        self.counters[key] = self.counters.get(key, 0) - n
        self.refunds.append((key, n))

    def used(self, budget: RateBudget, when: float) -> int:
        return self.counters.get(budget.window_key(when), 0)


@dataclass
class ListBatchQueue:
    """A BatchQueue that keeps what it was given; ``refuse`` makes every send fail."""

    sent: list[MarketBatch] = field(default_factory=list)
    refuse: bool = False

    def send(self, messages: Sequence[MarketBatch]) -> list[MarketBatch]:
        if self.refuse:
            return list(messages)
        self.sent.extend(messages)
        return []

    def take(self) -> list[MarketBatch]:
        taken, self.sent = self.sent, []
        return taken


# ---------------------------------------------------------------- a provider


def quote(ask: str | None = "110.00", bid: str | None = "95.50", last: str | None = None,
          currency: str = "USD") -> Quote:
    def amount(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    return Quote(currency=currency, lowest_ask=amount(ask), highest_bid=amount(bid), last_sale=amount(last))


@dataclass(frozen=True)
class ProviderCall:
    sku: str
    size: str | None
    kind: str  # "catalog" (a lookup before the first quote of a sku) or "market"
    at: float  # clock seconds when the call went out (after the gate let it)


Outcome = Quote | ProviderError


@dataclass
class ScriptedQuotes:
    """A QuoteSource answering from a script: per (sku, size), outcomes in order, then ``default``.

    Before every call it makes, it passes the gate (which may raise OutOfBudget). The first
    quote of a sku costs ``catalog_calls`` extra calls first, as a catalog lookup does; the sku
    is known from then on even if the quote itself fails. ``during_call`` runs at every market
    call, to simulate what happens meanwhile.
    """

    provider: Provider
    clock: Clock
    script: dict[tuple[str, str | None], list[Outcome]] = field(default_factory=dict)
    default: Outcome | None = field(default_factory=quote)
    catalog_calls: int = 0
    known: set[str] = field(default_factory=set)
    calls: list[ProviderCall] = field(default_factory=list)
    during_call: Callable[[ProviderCall], object] | None = None

    def then(self, sku: str, size: str | None, *outcomes: Outcome) -> ScriptedQuotes:
        self.script.setdefault((sku, size), []).extend(outcomes)
        return self

    def quote(self, sku: str, size: str | None, gate: CallGate) -> Quote:
        if sku not in self.known:
            for _ in range(self.catalog_calls):
                gate()
                self.calls.append(ProviderCall(sku, size, "catalog", self.clock.now()))
            self.known.add(sku)
        gate()
        call = ProviderCall(sku, size, "market", self.clock.now())
        self.calls.append(call)
        if self.during_call is not None:
            self.during_call(call)
        queued = self.script.get((sku, size))
        outcome = queued.pop(0) if queued else self.default
        if outcome is None:
            raise LookupError(f"no outcome scripted for {sku!r} size {size!r}")
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome


@dataclass
class InMemoryShareSettings:
    share: float | None = None

    def seller_share(self) -> float | None:
        return self.share

    def set_seller_share(self, share: float) -> None:
        self.share = share


# ---------------------------------------------------------------- a world of fakes


@dataclass
class MarketWorld:
    """The market domain on fakes, on a manual clock starting at 2026-01-01T00:00:00Z (an hour's start)."""

    per_hour: int = 600
    reserve: int = 0
    providers: tuple[Provider, ...] = (Provider.STOCKX,)
    clock: ManualClock = field(default_factory=ManualClock)
    jobs: InMemoryMarketJobs = field(default_factory=InMemoryMarketJobs)
    prices: InMemoryPriceCache = field(default_factory=InMemoryPriceCache)
    queue: ListBatchQueue = field(default_factory=ListBatchQueue)
    limiter: InMemoryRateLimiter = field(init=False)
    budgets: dict[Provider, RateBudget] = field(init=False)
    sources: dict[Provider, ScriptedQuotes] = field(init=False)
    share_settings: InMemoryShareSettings = field(default_factory=InMemoryShareSettings)

    def __post_init__(self) -> None:
        self.limiter = InMemoryRateLimiter(clock=self.clock)
        self.budgets = {p: hourly_budget(p, self.per_hour, self.reserve) for p in self.providers}
        self.sources = {p: ScriptedQuotes(provider=p, clock=self.clock) for p in self.providers}
        self.start = self.clock.now()

    @property
    def budget(self) -> RateBudget:
        return self.budgets[self.providers[0]]

    @property
    def source(self) -> ScriptedQuotes:
        return self.sources[self.providers[0]]

    def now(self) -> int:
        return now_ms(self.clock)

    def at(self, seconds: float) -> None:
        """Move the clock to ``seconds`` after the start."""
        self.clock.set(self.start + seconds)

    def used(self, when: float | None = None) -> int:
        return self.limiter.used(self.budget, self.clock.now() if when is None else when)

    def scheduler(self, **changes: Any) -> MarketScheduler:
        chosen = replace(SchedulerSettings(manual_reserve=self.reserve), **changes)
        return MarketScheduler(jobs=self.jobs, queue=self.queue, limiter=self.limiter, budgets=self.budgets,
                               clock=self.clock, settings=chosen)

    def worker(self, settings: WorkerSettings | None = None) -> MarketWorker:
        return MarketWorker(jobs=self.jobs, prices=self.prices, sources=dict(self.sources), limiter=self.limiter,
                            budgets=self.budgets, clock=self.clock, settings=settings or WorkerSettings())

    def service(self, stale_after_s: float = HOUR, *, seller_share: float | None = None,
                dispatch: bool = False) -> MarketService:
        shares = None if seller_share is None else SellerShares(
            limiter=self.limiter, budgets=self.budgets, settings=self.share_settings, default_share=seller_share,
            manual_burst=self.reserve)
        return MarketService(jobs=self.jobs, prices=self.prices, limiter=self.limiter, budgets=self.budgets,
                             clock=self.clock, stale_after_s=stale_after_s, shares=shares,
                             dispatcher=self.scheduler() if dispatch else None)

    def enqueue(self, *skus: str, priority: int = 100, size: str | None = None,
                provider: Provider | None = None) -> list[MarketJob]:
        chosen = provider or self.providers[0]
        return [e.job for e in self.jobs.enqueue(chosen, [(sku, size) for sku in skus], priority, self.now())]

    def dispatch(self, *skus: str, size: str | None = None, provider: Provider | None = None) -> MarketBatch:
        """What the scheduler does for these skus: queue them, reserve a call each, start them, batch them."""
        chosen = provider or self.providers[0]
        jobs = self.enqueue(*skus, size=size, provider=chosen)
        assert self.limiter.acquire(self.budgets[chosen], len(jobs)).granted, "the test's budget is too small"
        now = self.now()
        started = self.jobs.start(jobs, now)
        assert len(started) == len(jobs)
        return MarketBatch(provider=chosen, keys=tuple(j.key for j in started), reserved_at=now, started_at=now)
