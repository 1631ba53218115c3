"""Running the whole system in virtual time: SQS event sources and schedules on a manual clock.

The real handlers run in-process against moto and the marketplace sandbox. What AWS would do
with time — hold a message until its ``DelaySeconds`` pass, redeliver it after the visibility
timeout when a batch item fails, move it to the DLQ after ``maxReceiveCount`` receives, fire
``rate(1 minute)`` schedules — is done here on a :class:`ManualClock`, so an hour of retries
takes seconds and tests assert exact times without sleeping.

Delays are observed through botocore's event hooks on the SQS client the handlers use: the
hook notes when each message is due (the clock's time plus its ``DelaySeconds``) and sends it
without delay, so moto hands it over at once and this class delivers it when it is due.

Failure injection for reliability tests: duplicate every delivery, drop messages, or crash an
invocation (a ``SimulatedCrash`` escapes the handler like a Lambda runtime dying) on a chosen
AWS operation.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.aws import REGION, Stack
from local.events import scheduled_event, sqs_event, sqs_record
from local.lambda_runtime import invoke
from local.template import QueueSource, Schedule
from sellerjobs.clock import ManualClock


class SimulatedCrash(BaseException):
    """The Lambda runtime died mid-invocation: nothing after this point happened."""


@dataclass(order=True)
class _Pending:
    visible_at: float
    seq: int
    body: str = field(compare=False)
    message_id: str = field(compare=False)
    receive_count: int = field(compare=False, default=0)
    sent_at: float = field(compare=False, default=0.0)


@dataclass
class InvocationLog:
    function: str
    at: float
    event: dict[str, Any]
    result: Any = None
    crashed: bool = False
    duration_s: float = 0.0  # real time the handler took in this process


@dataclass
class Simulation:
    stack: Stack
    clock: ManualClock
    sqs: Any  # the boto3 SQS client the handlers use: its sends are observed
    duplicate_deliveries: bool = False
    drop: Callable[[str], bool] | None = None  # body -> True to lose that message
    keep_events: bool = True  # False: invocations keep who ran and when, not the event
    crashes: int = 0
    _crash_plan: tuple[str, float, random.Random] | None = None
    _crash_armed: bool = False
    invocations: list[InvocationLog] = field(default_factory=list)
    dead_letters: dict[str, list[str]] = field(default_factory=dict)
    _queues: dict[str, list[_Pending]] = field(default_factory=dict)
    _due: dict[str, float] = field(default_factory=dict)
    _seq: Iterator[int] = field(default_factory=itertools.count)
    _next_fire: dict[str, float] = field(default_factory=dict)
    _crash_hooks: list[tuple[str, Callable[..., None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sources: dict[str, QueueSource] = {s.queue: s for s in self.stack.template.queue_sources()}
        self.schedules: list[Schedule] = self.stack.template.schedules()
        self._queues = {queue: [] for queue in self.sources}
        self.functions = self.stack.functions()
        # Receiving and deleting go through a client of our own, so that counting the handlers'
        # AWS requests counts only theirs.
        self._receiver = boto3.session.Session(region_name=REGION).client("sqs")
        self.attach(self.sqs)

    def attach(self, sqs: Any) -> None:
        """Observe sends on ``sqs``: the client the handlers use (again after it was recreated)."""
        self.sqs = sqs
        events = sqs.meta.events
        events.register("provide-client-params.sqs.SendMessage", self._before_send)
        events.register("provide-client-params.sqs.SendMessageBatch", self._before_send_batch)
        events.register("after-call.sqs.SendMessage", self._after_send)
        events.register("after-call.sqs.SendMessageBatch", self._after_send_batch)

    # -- observing sends ---------------------------------------------------------------------

    def _before_send(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["virtual_due"] = self.clock.now() + int(params.pop("DelaySeconds", 0) or 0)

    def _before_send_batch(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        dues = {}
        for entry in params.get("Entries", []):
            dues[entry["Id"]] = self.clock.now() + int(entry.pop("DelaySeconds", 0) or 0)
        context["virtual_due"] = dues

    def _after_send(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "MessageId" in parsed:
            self._due[parsed["MessageId"]] = context.get("virtual_due", self.clock.now())

    def _after_send_batch(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        dues = context.get("virtual_due", {})
        for ok in parsed.get("Successful", []):
            self._due[ok["MessageId"]] = dues.get(ok["Id"], self.clock.now())

    # -- failure injection -------------------------------------------------------------------

    @contextmanager
    def crash_on(self, client: Any, operation: str, times: int = 1,
                 when: Callable[[dict[str, Any]], bool] | None = None) -> Iterator[list[int]]:
        """Crash the invoking Lambda the next ``times`` calls of ``operation`` on ``client``."""
        crashes = [0]

        def hook(params: dict[str, Any], **_: Any) -> None:
            if crashes[0] < times and (when is None or when(params)):
                crashes[0] += 1
                raise SimulatedCrash(f"crash before {operation}")

        event = f"provide-client-params.{client.meta.service_model.service_name}.{operation}"
        client.meta.events.register(event, hook)
        try:
            yield crashes
        finally:
            client.meta.events.unregister(event, hook)

    def crash_some_invocations(self, client: Any, operations: tuple[str, ...], function: str, rate: float,
                               rng: random.Random, when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Crash a share ``rate`` of ``function``'s invocations at their first matching call.

        The crash happens just before the call leaves, so nothing that call would have done is
        done: e.g. "after eBay created the ad, before the job's state was written".
        """
        self._crash_plan = (function, rate, rng)
        service = client.meta.service_model.service_name

        def hook(params: dict[str, Any], **_: Any) -> None:
            if self._crash_armed and (when is None or when(params)):
                self._crash_armed = False
                self.crashes += 1
                raise SimulatedCrash("injected crash")

        for operation in operations:
            client.meta.events.register(f"provide-client-params.{service}.{operation}", hook,
                                        unique_id=f"crash-{service}-{operation}")

    # -- moving time -------------------------------------------------------------------------

    def _pull(self) -> None:
        """Take every message moto holds into our virtual-time queues."""
        for queue in self.sources:
            url = self.stack.queue_url(queue)
            while True:
                received = self._receiver.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                          VisibilityTimeout=0, WaitTimeSeconds=0)
                messages = received.get("Messages", [])
                if not messages:
                    break
                self._receiver.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
                for message in messages:
                    due = self._due.pop(message["MessageId"], self.clock.now())
                    if self.drop is not None and self.drop(message["Body"]):
                        continue
                    copies = 2 if self.duplicate_deliveries else 1
                    for copy in range(copies):
                        message_id = message["MessageId"] + (f"-dup{copy}" if copy else "")
                        heapq.heappush(self._queues[queue], _Pending(
                            visible_at=due, seq=next(self._seq), body=message["Body"], message_id=message_id,
                            sent_at=self.clock.now()))

    def _next_delivery(self, queue: str) -> float | None:
        heap = self._queues[queue]
        if not heap:
            return None
        source = self.sources[queue]
        first = heap[0].visible_at
        if len(heap) >= source.batch_size:
            # The batch fills when its batch_size-th message becomes visible, if that is sooner.
            full_at = heapq.nsmallest(source.batch_size, heap)[-1].visible_at
            return max(self.clock.now(), min(first + source.window_s, full_at))
        return max(self.clock.now(), first + source.window_s)

    def step(self, until: float) -> bool:
        """Do the next thing that happens before ``until``; False when nothing does."""
        self._pull()
        candidates: list[tuple[float, str, str]] = []
        for index, schedule in enumerate(self.schedules):
            fire = self._next_fire.setdefault(str(index), self.clock.now() + schedule.every_s)
            candidates.append((fire, "schedule", str(index)))
        for queue in self._queues:
            at = self._next_delivery(queue)
            if at is not None:
                candidates.append((at, "queue", queue))
        if not candidates:
            return False
        at, kind, name = min(candidates)
        if at > until:
            return False
        self.clock.set(max(self.clock.now(), at))
        if kind == "schedule":
            self._fire(name)
        else:
            self._deliver(name)
        return True

    def run_until(self, until: float, stop: Callable[[], bool] | None = None) -> None:
        while (stop is None or not stop()) and self.step(until):
            pass
        if self.clock.now() < until and (stop is None or not stop()):
            self.clock.set(until)

    def run_for(self, seconds: float, stop: Callable[[], bool] | None = None) -> None:
        self.run_until(self.clock.now() + seconds, stop)

    def run_while(self, condition: Callable[[], bool], max_seconds: float = 6 * 3600) -> None:
        """Let time pass (schedules fire, messages arrive) while ``condition()`` holds."""
        deadline = self.clock.now() + max_seconds
        while condition() and self.step(deadline):
            pass

    def drain(self, max_seconds: float = 6 * 3600, stop: Callable[[], bool] | None = None) -> None:
        """Run until no message is waiting (schedules keep firing meanwhile) or time runs out."""
        deadline = self.clock.now() + max_seconds

        def idle() -> bool:
            self._pull()
            return all(not heap for heap in self._queues.values()) or (stop is not None and stop())

        while not idle() and self.step(deadline):
            pass

    # -- invoking ----------------------------------------------------------------------------

    def _fire(self, index: str) -> None:
        # Schedules are told apart by position: two functions may give theirs the same name.
        schedule = self.schedules[int(index)]
        self._next_fire[index] = self.clock.now() + schedule.every_s
        event = json.loads(schedule.input) if schedule.input else scheduled_event(schedule.name, now=self.clock.now())
        self._invoke(schedule.function, event)

    def _deliver(self, queue: str) -> None:
        source = self.sources[queue]
        heap = self._queues[queue]
        batch: list[_Pending] = []
        while heap and heap[0].visible_at <= self.clock.now() and len(batch) < source.batch_size:
            batch.append(heapq.heappop(heap))
        if not batch:
            return
        arn = self.stack.names[queue]["Arn"]
        records = []
        for pending in batch:
            pending.receive_count += 1
            records.append(sqs_record(pending.body, queue_arn=arn, message_id=pending.message_id,
                                      receive_count=pending.receive_count, sent_at=pending.sent_at))
        log = self._invoke(source.function, sqs_event(records))
        if log.crashed:
            failed = {p.message_id for p in batch}
        elif source.report_failures and isinstance(log.result, dict):
            failed = {f["itemIdentifier"] for f in log.result.get("batchItemFailures", [])}
        else:
            failed = set()
        for pending in batch:
            if pending.message_id in failed:
                self._redeliver_later(queue, pending)

    def _redeliver_later(self, queue: str, pending: _Pending) -> None:
        redrive = self.stack.dead_letter_queue(queue)
        if redrive and pending.receive_count >= redrive[1]:
            self.dead_letters.setdefault(queue, []).append(pending.body)
            return
        pending.visible_at = self.clock.now() + self.stack.visibility_timeout(queue)
        heapq.heappush(self._queues[queue], pending)

    def _invoke(self, function: str, event: dict[str, Any]) -> InvocationLog:
        log = InvocationLog(function=function, at=self.clock.now(), event=event if self.keep_events else {})
        if self._crash_plan and self._crash_plan[0] == function:
            self._crash_armed = self._crash_plan[2].random() < self._crash_plan[1]
        started = time.perf_counter()
        try:
            log.result = invoke(self.functions[function], event)
        except SimulatedCrash:
            log.crashed = True
        finally:
            self._crash_armed = False
        log.duration_s = time.perf_counter() - started
        self.invocations.append(log)
        return log

    def waiting(self, queue: str) -> int:
        self._pull()
        return len(self._queues[queue])
