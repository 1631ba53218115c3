"""What the real system spends, for the virtual-time simulation.

A simulation in which every invocation takes no time and any number of them run at once has no
queue, so it cannot show a noisy neighbour, a throughput ceiling or a timeout. This module models
what an invocation costs in time, and the simulation (``local.simulation``) charges it:

* **AWS requests**: a latency per DynamoDB, SQS, KMS, Secrets Manager and S3 request, charged by a
  botocore hook on the handlers' own clients as each request is made.
* **The handler's own work**: a fixed cost per invocation and a cost per SQS record.
* **Cold starts**: a new concurrent execution environment pays an init cost (billed since 2025).
* **Provider latency**: answered by the marketplace sandbox itself (``local.sandbox.latency``).
* **Waits the code makes**: ``clock.sleep`` inside a handler (call spacing) takes invocation time.

Every number here is *modelled*, not measured: defaults in one place (:class:`CostModel`),
chosen from AWS's published single-digit-millisecond latencies for requests made inside a region
and typical Python 3.13 Lambda init times. A run reports them next to its figures.

Time inside an invocation runs on the invocation's own clock (:class:`VirtualClock`): the event
loop stays at the instant the invocation started, while the handler sees time pass as it spends
it. Invocations execute one after the other in this process, so their effects are applied in
start order — a simplification that keeps runs deterministic — but every timestamp they write,
every message they send and every call they make carries its modelled time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sellerjobs.clock import ManualClock


class SimulatedTimeout(BaseException):
    """Lambda stopped the invocation at its timeout: nothing after this point happened."""


@dataclass(frozen=True)
class AwsLatency:
    """Seconds per AWS request, by service (and kind of DynamoDB request)."""

    dynamodb_read: float = 0.005  # GetItem, Query
    dynamodb_write: float = 0.008  # PutItem, UpdateItem, DeleteItem
    dynamodb_batch: float = 0.010  # BatchGetItem, BatchWriteItem: one request, up to 100/25 items
    dynamodb_transaction: float = 0.015  # TransactWriteItems: two-phase, up to 100 items
    sqs: float = 0.008
    kms: float = 0.010
    secretsmanager: float = 0.010
    s3: float = 0.020
    events: float = 0.010  # EventBridge PutEvents

    def seconds(self, service: str, operation: str) -> float:
        if service == "dynamodb":
            if operation == "TransactWriteItems":
                return self.dynamodb_transaction
            if operation in ("BatchGetItem", "BatchWriteItem"):
                return self.dynamodb_batch
            if operation in ("GetItem", "Query", "Scan"):
                return self.dynamodb_read
            return self.dynamodb_write
        return float(getattr(self, service, self.sqs))

    @classmethod
    def free(cls) -> AwsLatency:
        return cls(0, 0, 0, 0, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class CostModel:
    aws: AwsLatency = field(default_factory=AwsLatency)
    per_invocation_s: float = 0.010  # the handler's own work: parsing, logging, metrics
    per_record_s: float = 0.001  # per SQS record in the event
    cold_start_s: float = 0.600  # a new execution environment: runtime, layer imports, first clients
    idle_expiry_s: float = 600.0  # an environment idle this long is gone

    @classmethod
    def free(cls) -> CostModel:
        """Only the handlers' own waits take time: for functional tests that assert exact times."""
        return cls(aws=AwsLatency.free(), per_invocation_s=0.0, per_record_s=0.0, cold_start_s=0.0)

    def describe(self) -> dict[str, Any]:
        return {"aws_latency_s": self.aws.__dict__ | {}, "per_invocation_s": self.per_invocation_s,
                "per_record_s": self.per_record_s, "cold_start_s": self.cold_start_s,
                "idle_expiry_s": self.idle_expiry_s}


@dataclass
class Span:
    """One invocation's own time: how much it has spent since it started."""

    function: str
    started: float  # absolute (virtual) time when it started
    deadline_s: float  # spent past this, Lambda stops it
    thread: int
    elapsed: float = 0.0
    # For an invocation the event loop drives: hands control back to the loop until the span's
    # current time comes round (see EventLoop). None: the span runs straight through.
    suspend: Callable[[Span], None] | None = None
    yielded_at: float = 0.0  # elapsed at the last hand-back

    @property
    def timed_out(self) -> bool:
        return self.elapsed > self.deadline_s

    @property
    def now(self) -> float:
        return self.started + self.elapsed


class VirtualClock(ManualClock):
    """Virtual time: the event loop's instant, plus the running invocation's own elapsed time.

    Outside an invocation it is a :class:`ManualClock`. Inside one, ``advance``, ``sleep`` and
    ``spend`` spend the invocation's time instead of moving the event loop, and ``now`` is its
    start plus what it spent. Past the function's timeout, the invocation's thread gets a
    :class:`SimulatedTimeout` at its next look at the clock or its next AWS request — the moment a
    real Lambda would have been stopped. Other threads (the sandbox answering its HTTP call) only
    add time.

    Invocations the event loop drives (:meth:`activate`) each run in a thread of their own; when
    one spends time, its thread hands control back to the loop, which resumes it when its time
    comes round. Only one thread runs at a time, so what invocations do is applied in the order of
    virtual time, and two of them overlap the way they would in AWS. Invocations started straight
    away (:meth:`span`: an API request made by a test) run through without handing back; one that
    starts while another runs (a request arriving during a worker's eBay call) starts at the
    other's current time.
    """

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        super().__init__(start)
        self._stack: list[Span] = []  # invocations running straight through, innermost last
        self._active: Span | None = None  # the loop-driven invocation running now

    def _current(self) -> Span | None:
        return self._stack[-1] if self._stack else self._active

    def now(self) -> float:
        with self._lock:
            span = self._current()
            if span is None:
                return self._now
        if span.suspend is not None and span.elapsed > span.yielded_at and threading.get_ident() == span.thread:
            self._hand_back(span)  # time was spent on its behalf (a provider's latency): let it pass first
        self._check(span)
        return span.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            if self._current() is None:
                self._now += seconds
                return
        self.spend(seconds)

    def spend(self, seconds: float) -> None:
        """Charge time to the running invocation; outside one (setup, checks) nothing happens."""
        with self._lock:
            span = self._current()
            if span is None:
                return
            span.elapsed += seconds
        if span.suspend is not None and threading.get_ident() == span.thread:
            self._hand_back(span)
        self._check(span)

    def _hand_back(self, span: Span) -> None:
        assert span.suspend is not None
        span.yielded_at = span.elapsed
        span.suspend(span)

    def set(self, when: float) -> None:
        if self._stack or self._active is not None:
            raise RuntimeError("the event loop's time cannot move while an invocation runs")
        super().set(when)

    def activate(self, span: Span | None) -> None:
        """The event loop resumes ``span``'s invocation (None: the loop itself runs again)."""
        with self._lock:
            self._active = span
            if span is not None:
                self._now = max(self._now, span.now)

    @contextmanager
    def span(self, function: str, deadline_s: float, *,
             suspend: Callable[[Span], None] | None = None) -> Iterator[Span]:
        """An invocation's time, starting now. With ``suspend`` the loop drives it (the calling
        thread must be the invocation's own, already activated); without, it runs straight through."""
        with self._lock:
            outer = self._current()
            started = outer.now if outer is not None else self._now
            span = Span(function=function, started=started, deadline_s=deadline_s, thread=threading.get_ident(),
                        suspend=suspend)
            if suspend is None:
                self._stack.append(span)
            else:
                self._active = span
        try:
            yield span
        finally:
            with self._lock:
                if suspend is None:
                    self._stack.remove(span)

    @staticmethod
    def _check(span: Span) -> None:
        if span.timed_out and threading.get_ident() == span.thread:
            raise SimulatedTimeout(f"{span.function} ran past its {span.deadline_s:.0f} s timeout")


@dataclass
class Environment:
    busy_until: float
    invocations: int = 0
    index: int = 0  # which of the function's environments: each has its own copy of the handler


@dataclass
class Environments:
    """Each function's execution environments: reused while warm, a new one when all are busy."""

    idle_expiry_s: float
    pools: dict[str, list[Environment]] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    cold_starts: dict[str, int] = field(default_factory=dict)

    def acquire(self, function: str, at: float) -> tuple[Environment, bool]:
        """A free warm environment, or a new one (a cold start)."""
        pool = self.pools.setdefault(function, [])
        pool[:] = [env for env in pool if env.busy_until > at or at - env.busy_until <= self.idle_expiry_s]
        busy = sum(1 for env in pool if env.busy_until > at)
        self.peak[function] = max(self.peak.get(function, 0), busy + 1)
        for env in pool:
            if env.busy_until <= at:
                env.invocations += 1
                return env, False
        taken = {env.index for env in pool}
        env = Environment(busy_until=at, invocations=1, index=min(set(range(len(pool) + 1)) - taken))
        pool.append(env)
        self.cold_starts[function] = self.cold_starts.get(function, 0) + 1
        return env, True


class AwsCosts:
    """Charges each AWS request a handler makes to the running invocation (botocore hooks)."""

    def __init__(self, clock: VirtualClock, latency: AwsLatency) -> None:
        self.clock = clock
        self.latency = latency

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call", self._charge, unique_id=f"aws-costs-{id(self)}")

    def _charge(self, model: Any, **_: Any) -> None:
        seconds = self.latency.seconds(model.service_model.service_name, model.name)
        if seconds:
            self.clock.spend(seconds)
