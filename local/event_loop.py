"""Lambda's event sources and invocations in virtual time, with capacity: the core of the simulation.

Knows nothing of moto or the handlers: messages are handed in (:meth:`EventLoop.enqueue`), and an
invocation is a call of ``runner(function, event)``. What AWS does with time and capacity is done
here on a :class:`~local.capacity.VirtualClock`:

* **Messages** are held until their delay passes; while an invocation works on them they are in
  flight (invisible); a reported failure, a crash or a timeout makes them visible again after the
  queue's visibility timeout, and after ``maxReceiveCount`` receives they go to the DLQ.
* **Event-source mappings** as the template declares them: ``BatchSize``,
  ``MaximumBatchingWindowInSeconds`` and ``ScalingConfig.MaximumConcurrency`` — at most that many
  invocations of a queue's function at once; the rest of the queue waits.
* **Fair queues**: messages with a group (``MessageGroupId`` on a standard queue) are delivered
  the way SQS fair queues behave: while one group holds a disproportionate share of the messages
  in flight (more than 10%, and at least 30), the other groups' messages are delivered first.
* **Invocations take time** (:mod:`local.capacity`): the cost model's share, what the handler
  spends on the clock (AWS requests, provider latency, its own waits), a cold start when no warm
  environment is free; past the function's ``Timeout`` it is stopped.
* **Schedules** fire on time, whatever else is running.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from local.capacity import CostModel, Environment, Environments, SimulatedTimeout, Span, VirtualClock
from local.events import sqs_event, sqs_record
from local.template import QueueSource, Schedule

# SQS fair queues: a message group holding more than this share of a queue's in-flight messages,
# and at least this many of them, is a noisy neighbour whose messages wait for the others'.
NOISY_SHARE = 0.10
NOISY_MIN_IN_FLIGHT = 30


@dataclass
class _Message:
    body: str
    message_id: str
    group: str | None
    visible_at: float
    seq: int
    sent_at: float
    receive_count: int = 0
    received_at: float = 0.0

    def __lt__(self, other: _Message) -> bool:
        return (self.visible_at, self.seq) < (other.visible_at, other.seq)


@dataclass
class InvocationLog:
    function: str
    at: float  # the event loop's time when it started
    event: dict[str, Any]
    result: Any = None
    crashed: bool = False
    timed_out: bool = False
    cold: bool = False
    records: int = 0
    duration_s: float = 0.0  # modelled: what Lambda would bill
    real_s: float = 0.0  # what running the handler took in this process


@dataclass
class _Queue:
    """One queue and its event-source mapping."""

    name: str
    source: QueueSource
    delayed: list[_Message] = field(default_factory=list)  # heap: not yet visible
    visible: dict[str | None, deque[_Message]] = field(default_factory=dict)
    visible_count: int = 0
    in_flight: Counter[str | None] = field(default_factory=Counter)
    in_flight_total: int = 0
    running: int = 0
    peak_in_flight: int = 0
    peak_running: int = 0
    peak_waiting: int = 0
    _kth_cache: float | None = None

    def waiting(self) -> int:
        return len(self.delayed) + self.visible_count

    def add(self, message: _Message) -> None:
        heapq.heappush(self.delayed, message)
        self._kth_cache = None
        self.peak_waiting = max(self.peak_waiting, self.waiting())

    def promote(self, now: float) -> None:
        """Messages whose delay has passed become visible."""
        while self.delayed and self.delayed[0].visible_at <= now:
            message = heapq.heappop(self.delayed)
            self.visible.setdefault(message.group, deque()).append(message)
            self.visible_count += 1
            self._kth_cache = None

    def ready_at(self) -> float | None:
        """When the mapping would invoke next, given a free slot: a full batch, or the oldest
        message's batching window over."""
        if not self.visible_count and not self.delayed:
            return None
        size, window = self.source.batch_size, self.source.window_s
        if self.visible_count >= size:
            return float("-inf")
        heads = [q[0].visible_at for q in self.visible.values() if q]
        first = min(heads + ([self.delayed[0].visible_at] if self.delayed else []))
        return min(first + window, self._full_at(size - self.visible_count))

    def _full_at(self, k: int) -> float:
        # When the k-th delayed message becomes visible: the batch is full then.
        if self._kth_cache is None:
            self._kth_cache = heapq.nsmallest(k, self.delayed)[-1].visible_at if len(self.delayed) >= k \
                else float("inf")
        return self._kth_cache

    def noisy(self, group: str | None) -> bool:
        if group is None:
            return False
        held = self.in_flight[group]
        return held >= NOISY_MIN_IN_FLIGHT and held > NOISY_SHARE * self.in_flight_total

    def take(self, limit: int) -> list[_Message]:
        """Up to ``limit`` visible messages, oldest first, quiet groups before noisy ones."""
        batch: list[_Message] = []
        heads = [(q[0].visible_at, q[0].seq, group) for group, q in self.visible.items() if q]
        heapq.heapify(heads)
        noisy: list[tuple[float, int, str | None]] = []
        for fair in (True, False):
            if not fair:
                heads = noisy + heads
                heapq.heapify(heads)
            while heads and len(batch) < limit:
                entry = heapq.heappop(heads)
                group = entry[2]
                if fair and self.noisy(group):
                    noisy.append(entry)
                    continue
                pending = self.visible[group]
                message = pending.popleft()
                batch.append(message)
                self.in_flight[group] += 1
                self.in_flight_total += 1
                if pending:
                    heapq.heappush(heads, (pending[0].visible_at, pending[0].seq, group))
                else:
                    del self.visible[group]
        self.visible_count -= len(batch)
        self._kth_cache = None
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight_total)
        return batch

    def settle(self, message: _Message) -> None:
        self.in_flight[message.group] -= 1
        if not self.in_flight[message.group]:
            del self.in_flight[message.group]
        self.in_flight_total -= 1


@dataclass
class _Task:
    """An invocation the loop drives: its own thread, resumed whenever its time comes round."""

    function: str
    event: dict[str, Any]
    log: InvocationLog
    environment: Environment
    on_done: Callable[[InvocationLog], None]
    init_s: float
    go: threading.Event = field(default_factory=threading.Event)
    span: Span | None = None
    finished: bool = False
    cancelled: bool = False
    error: BaseException | None = None
    started_real: float = 0.0


@dataclass(order=True)
class _Completion:
    at: float
    seq: int
    queue: str = field(compare=False)
    batch: list[_Message] = field(compare=False)
    failed: set[str] = field(compare=False)


class SimulatedCrash(BaseException):
    """The Lambda runtime died mid-invocation: nothing after this point happened."""


# (function, event, environment): the environment's number, so invocations running at once in one
# process each use their own copy of the handler's module state.
Runner = Callable[[str, dict[str, Any], int], Any]


@dataclass(frozen=True)
class QueueSpec:
    """A queue as the event loop needs it: its mapping, visibility timeout and redrive."""

    source: QueueSource
    arn: str
    visibility_timeout_s: float
    max_receives: int | None = None  # None: no dead-letter queue


@dataclass
class EventLoop:
    clock: VirtualClock
    queue_specs: dict[str, QueueSpec]
    schedules: list[Schedule]
    timeouts: dict[str, float]  # function -> its Timeout in seconds
    runner: Runner
    costs: CostModel = field(default_factory=CostModel.free)
    keep_events: bool = True  # False: invocations keep who ran and when, not the event
    schedule_event: Callable[[Schedule, float], dict[str, Any]] | None = None
    invocations: list[InvocationLog] = field(default_factory=list)
    dead_letters: dict[str, list[str]] = field(default_factory=dict)
    timed_out: int = 0
    _seq: Iterator[int] = field(default_factory=itertools.count)
    _next_fire: dict[int, float] = field(default_factory=dict)
    _completions: list[_Completion] = field(default_factory=list)
    _waking: list[tuple[float, int, _Task]] = field(default_factory=list)  # suspended invocations, by time
    _back: threading.Event = field(default_factory=threading.Event)  # a running invocation handed back
    # Told which function an invocation runs (None once it is over): failure injection arms itself.
    _armed: Callable[[str | None], None] | None = None

    def __post_init__(self) -> None:
        self._tasks_by_thread: dict[int, _Task] = {}
        self.queues = {name: _Queue(name=name, source=spec.source) for name, spec in self.queue_specs.items()}
        self.environments = Environments(idle_expiry_s=self.costs.idle_expiry_s)

    # -- messages in -------------------------------------------------------------------------

    def enqueue(self, queue: str, body: str, *, message_id: str, visible_at: float, group: str | None = None,
                sent_at: float | None = None) -> None:
        self.queues[queue].add(_Message(body=body, message_id=message_id, group=group, visible_at=visible_at,
                                        seq=next(self._seq), sent_at=self.clock.now() if sent_at is None else sent_at))

    def _before_step(self) -> None:
        """Hook: bring in what was sent since the last step."""

    # -- moving time -------------------------------------------------------------------------

    def _next_event(self) -> tuple[float, int, str, Any] | None:
        now = self.clock.now()
        candidates: list[tuple[float, int, str, Any]] = []
        if self._completions:
            candidates.append((self._completions[0].at, 0, "completion", None))
        if self._waking:
            candidates.append((self._waking[0][0], 0, "invocation", None))
        for index, schedule in enumerate(self.schedules):
            fire = self._next_fire.setdefault(index, now + schedule.every_s)
            candidates.append((fire, 1, "schedule", index))
        for name, queue in self.queues.items():
            if queue.running >= queue.source.max_concurrency:
                continue  # waits for a completion
            ready = queue.ready_at()
            if ready is not None:
                candidates.append((max(now, ready), 2, "queue", name))
        return min(candidates, key=lambda c: (c[0], c[1])) if candidates else None

    def step(self, until: float) -> bool:
        """Do the next thing that happens before ``until``; False when nothing does."""
        self._before_step()
        found = self._next_event()
        if found is None or found[0] > until:
            return False
        at, _, kind, name = found
        self.clock.set(max(self.clock.now(), at))
        if kind == "completion":
            self._complete(heapq.heappop(self._completions))
        elif kind == "invocation":
            self._resume(heapq.heappop(self._waking)[2])
        elif kind == "schedule":
            self._fire(name)
        else:
            self._deliver(name)
        return True

    def run_until(self, until: float, stop: Callable[[], bool] | None = None) -> None:
        while (stop is None or not stop()) and self.step(until):
            pass
        if self.clock.now() < until and (stop is None or not stop()):
            self.clock.set(until)

    def finish_running(self) -> None:
        """Let the invocations under way run to their end, starting nothing new (a run that ends
        at a given time still counts what was started before it)."""
        while self._waking:
            at, _, task = heapq.heappop(self._waking)
            self.clock.set(max(self.clock.now(), at))
            self._resume(task)
        while self._completions:
            self._complete(heapq.heappop(self._completions))

    def run_for(self, seconds: float, stop: Callable[[], bool] | None = None) -> None:
        self.run_until(self.clock.now() + seconds, stop)

    def run_while(self, condition: Callable[[], bool], max_seconds: float = 6 * 3600) -> None:
        """Let time pass (schedules fire, messages arrive) while ``condition()`` holds."""
        deadline = self.clock.now() + max_seconds
        while condition() and self.step(deadline):
            pass

    def busy(self) -> bool:
        """Messages waiting or in flight, or invocations still running."""
        self._before_step()
        return bool(self._completions or self._waking) or any(q.waiting() or q.in_flight_total
                                                              for q in self.queues.values())

    def drain(self, max_seconds: float = 6 * 3600, stop: Callable[[], bool] | None = None) -> None:
        """Run until no message is waiting or in flight (schedules keep firing meanwhile) or time runs out."""
        deadline = self.clock.now() + max_seconds
        while self.busy() and (stop is None or not stop()) and self.step(deadline):
            pass

    # -- invoking ----------------------------------------------------------------------------

    def _fire(self, index: int) -> None:
        # Schedules are told apart by position: two functions may give theirs the same name.
        schedule = self.schedules[index]
        self._next_fire[index] = self.clock.now() + schedule.every_s
        event = self.schedule_event(schedule, self.clock.now()) if self.schedule_event else {}
        self._launch(schedule.function, event, 0, lambda log: None)

    def _deliver(self, name: str) -> None:
        queue = self.queues[name]
        spec = self.queue_specs[name]
        now = self.clock.now()
        queue.promote(now)
        batch = queue.take(queue.source.batch_size)
        if not batch:
            return
        records = []
        for message in batch:
            message.receive_count += 1
            message.received_at = now
            records.append(sqs_record(message.body, queue_arn=spec.arn, message_id=message.message_id,
                                      receive_count=message.receive_count, sent_at=message.sent_at,
                                      group=message.group))
        queue.running += 1
        queue.peak_running = max(queue.peak_running, queue.running)

        def done(log: InvocationLog) -> None:
            if log.crashed or log.timed_out:
                failed = {m.message_id for m in batch}
            elif queue.source.report_failures and isinstance(log.result, dict):
                failed = {f["itemIdentifier"] for f in log.result.get("batchItemFailures", [])}
            else:
                failed = set()
            heapq.heappush(self._completions, _Completion(at=log.at + log.duration_s, seq=next(self._seq),
                                                          queue=name, batch=batch, failed=failed))

        self._launch(queue.source.function, sqs_event(records), len(records), done)

    def _complete(self, done: _Completion) -> None:
        queue = self.queues[done.queue]
        queue.running -= 1
        for message in done.batch:
            queue.settle(message)
            if message.message_id in done.failed:
                self._redeliver_later(queue, message)

    def _redeliver_later(self, queue: _Queue, message: _Message) -> None:
        spec = self.queue_specs[queue.name]
        if spec.max_receives is not None and message.receive_count >= spec.max_receives:
            self.dead_letters.setdefault(queue.name, []).append(message.body)
            return
        # Invisible for the visibility timeout from when it was received, then back.
        message.visible_at = message.received_at + spec.visibility_timeout_s
        message.seq = next(self._seq)
        queue.add(message)

    def _new_task(self, function: str, event: dict[str, Any], records: int,
                  on_done: Callable[[InvocationLog], None]) -> _Task:
        start = self.clock.now()
        environment, cold = self.environments.acquire(function, start)
        log = InvocationLog(function=function, at=start, event=event if self.keep_events else {}, cold=cold,
                            records=records)
        environment.busy_until = float("inf")  # until it finishes
        return _Task(function=function, event=event, log=log, environment=environment, on_done=on_done,
                     init_s=self.costs.cold_start_s if cold else 0.0)

    def _launch(self, function: str, event: dict[str, Any], records: int,
                on_done: Callable[[InvocationLog], None]) -> None:
        """Start an invocation in a thread of its own; it runs until it first spends time."""
        task = self._new_task(function, event, records, on_done)
        threading.Thread(target=self._task_body, args=(task,), name=f"invocation-{function}", daemon=True).start()
        self._resume(task)

    def run(self, function: str, event: dict[str, Any], records: int = 0) -> InvocationLog:
        """One invocation of ``function`` starting now and run straight through (an API request a
        test makes): it takes its modelled time, in an environment of its own (a cold start if none
        is free), and is stopped at its timeout."""
        task = self._new_task(function, event, records, lambda log: None)
        task.started_real = time.perf_counter()
        self._execute(task, suspend=None)
        self._finish(task)
        return task.log

    def _resume(self, task: _Task) -> None:
        """Let ``task`` run until it spends time again (it is then put back, to wake at its new time)
        or finishes. Only one thread runs at a time: the loop waits for it."""
        self.clock.activate(task.span)
        task.go.set()
        self._back.wait()
        self._back.clear()
        self.clock.activate(None)
        if task.finished:
            self._finish(task)
        else:
            assert task.span is not None
            heapq.heappush(self._waking, (task.span.now, next(self._seq), task))

    def _task_body(self, task: _Task) -> None:
        task.go.wait()
        task.go.clear()
        task.started_real = time.perf_counter()
        try:
            if not task.cancelled:
                self._tasks_by_thread[threading.get_ident()] = task
                self._execute(task, suspend=self._suspend)
        except BaseException as exc:  # surfaces in the loop's thread, where a test can see it
            task.error = exc
        finally:
            self._tasks_by_thread.pop(threading.get_ident(), None)
            task.finished = True
            self._back.set()

    def _execute(self, task: _Task, suspend: Callable[[Span], None] | None) -> None:
        """The invocation itself, in the calling thread: its costs, the handler, a crash or a timeout."""
        log = task.log
        # Lambda's timeout covers the invocation, not the environment's init.
        deadline = self.timeouts[task.function] + task.init_s
        with self.clock.span(task.function, deadline_s=deadline, suspend=suspend) as span:
            task.span = span
            if self._armed is not None:
                self._armed(task.function)
            try:
                self.clock.spend(task.init_s + self.costs.per_invocation_s + self.costs.per_record_s * log.records)
                log.result = self.runner(task.function, task.event, task.environment.index)
            except SimulatedCrash:
                log.crashed = True
            except SimulatedTimeout:
                log.timed_out = True
            finally:
                if self._armed is not None:
                    self._armed(None)
            if span.timed_out:
                log.timed_out = True  # it finished its work in this process, but Lambda had stopped it
                log.result = None

    def _suspend(self, span: Span) -> None:
        """In an invocation's thread: it spent time, so the loop decides who runs next."""
        task = self._tasks_by_thread[threading.get_ident()]
        restore = self._save_context()
        self._back.set()
        task.go.wait()
        task.go.clear()
        restore()
        if task.cancelled:
            raise SimulatedCrash("the simulation ended while this invocation ran")

    def _save_context(self) -> Callable[[], None]:
        """Hook: keep what is process-wide but belongs to one invocation (e.g. its log keys) while
        others run; the returned function puts it back."""
        return lambda: None

    def _finish(self, task: _Task) -> None:
        log = task.log
        if task.error is not None and not task.cancelled:
            raise task.error
        span = task.span
        log.duration_s = min(span.elapsed, span.deadline_s) if span is not None else 0.0
        log.real_s = time.perf_counter() - task.started_real
        self.timed_out += int(log.timed_out)
        task.environment.busy_until = log.at + log.duration_s
        self.invocations.append(log)
        task.on_done(log)

    def close(self) -> None:
        """Stop invocations still under way (the run ended mid-way): they unwind as if crashed."""
        while self._waking:
            _, _, task = heapq.heappop(self._waking)
            task.cancelled = True
            self.clock.activate(task.span)
            task.go.set()
            self._back.wait()
            self._back.clear()
            self.clock.activate(None)

    def waiting(self, queue: str) -> int:
        """Messages in ``queue`` not yet handed to an invocation."""
        self._before_step()
        return self.queues[queue].waiting()

    def in_flight(self, queue: str) -> int:
        return self.queues[queue].in_flight_total

    # -- what a run used ---------------------------------------------------------------------

    def capacity_report(self) -> dict[str, Any]:
        """Per function: invocations, billed seconds, cold starts, timeouts, peak concurrency;
        per queue: peak messages in flight and waiting, peak concurrent invocations."""
        functions: dict[str, dict[str, Any]] = {}
        for log in self.invocations:
            entry = functions.setdefault(log.function, {"invocations": 0, "billed_s": 0.0, "cold_starts": 0,
                                                        "timeouts": 0, "crashes": 0})
            entry["invocations"] += 1
            entry["billed_s"] += log.duration_s
            entry["cold_starts"] += int(log.cold)
            entry["timeouts"] += int(log.timed_out)
            entry["crashes"] += int(log.crashed)
        for name, peak in self.environments.peak.items():
            functions.setdefault(name, {})["peak_concurrency"] = peak
        queues = {name: {"peak_in_flight": q.peak_in_flight, "peak_waiting": q.peak_waiting,
                         "peak_running": q.peak_running, "max_concurrency": q.source.max_concurrency}
                  for name, q in self.queues.items()}
        return {"functions": functions, "queues": queues, "costs": self.costs.describe()}
