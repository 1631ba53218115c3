"""Running the whole system in virtual time: the real handlers on moto and the sandbox, with capacity.

:class:`Simulation` is the :class:`~local.event_loop.EventLoop` (event-source mappings, schedules,
invocations that take modelled time) wired to a provisioned stack: its queues, mappings, timeouts
and schedules come from the template, and the handlers run in-process.

Sends are observed through botocore event hooks on the handlers' SQS client: the hook notes when
each message is due (the sender's clock plus its ``DelaySeconds``) and its ``MessageGroupId``, and
sends it without delay, so moto hands it over at once and the event loop delivers it when it is
due. AWS request latency is charged through hooks on the same clients (:mod:`local.capacity`).

Failure injection for reliability tests: duplicate every delivery, drop messages, or crash an
invocation (a ``SimulatedCrash`` escapes the handler like a Lambda runtime dying) on a chosen
AWS operation.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.aws import REGION, Stack
from local.capacity import AwsCosts, CostModel, VirtualClock
from local.event_loop import EventLoop, InvocationLog, QueueSpec, SimulatedCrash
from local.events import scheduled_event
from local.lambda_runtime import invoke
from local.template import Function, Schedule
from sellerjobs.aws import clients
from sellerjobs.environment import Environment

__all__ = ["InvocationLog", "SimulatedCrash", "Simulation"]


@dataclass
class Simulation(EventLoop):
    stack: Stack = field(kw_only=True)
    duplicate_deliveries: bool = False
    drop: Callable[[str], bool] | None = None  # body -> True to lose that message
    crashes: int = 0
    _crash_plan: tuple[str, float, random.Random] | None = None
    _crash_armed: set[int] = field(default_factory=set)  # threads whose invocation is to crash
    _sent: dict[str, tuple[float, str | None, float]] = field(default_factory=dict)  # id -> (due, group, sent)
    _dirty: set[str] = field(default_factory=set)  # queue urls sent to since the last pull

    @classmethod
    def of(cls, stack: Stack, clock: VirtualClock, costs: CostModel | None = None,
           environments: Mapping[str, Environment] | None = None) -> Simulation:
        """``environments``: each function's variables (by logical id), read at every invocation
        (a caller may change them: a redeploy); without, the process environment."""
        functions: dict[str, Function] = stack.functions()
        specs = {}
        for source in stack.template.queue_sources():
            redrive = stack.dead_letter_queue(source.queue)
            specs[source.queue] = QueueSpec(source=source, arn=stack.names[source.queue]["Arn"],
                                            visibility_timeout_s=stack.visibility_timeout(source.queue),
                                            max_receives=redrive[1] if redrive else None)

        def run_handler(function: str, event: dict[str, Any], environment: int) -> Any:
            variables = environments.get(function) if environments is not None else None
            return invoke(functions[function], event, environment=environment, now=clock.now, variables=variables)

        return cls(clock=clock, queue_specs=specs, schedules=stack.template.schedules(),
                   timeouts={name: float(f.timeout_s) for name, f in functions.items()}, runner=run_handler,
                   costs=costs or CostModel.free(), schedule_event=_schedule_event, stack=stack)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.functions = self.stack.functions()
        self._by_url = {self.stack.queue_url(name): name for name in self.queue_specs}
        self._aws_costs = AwsCosts(self.clock, self.costs.aws)
        self._armed = self._arm_crash
        # Receiving and deleting go through a client of our own, so that counting the handlers'
        # AWS requests counts only theirs.
        self._receiver = boto3.session.Session(region_name=REGION).client("sqs")
        self.attach()

    def attach(self) -> None:
        """Observe the handlers' clients (again after they were recreated): sends and costs."""
        sqs = clients.sqs()
        events = sqs.meta.events
        events.register("provide-client-params.sqs.SendMessage", self._before_send, unique_id="sim-send")
        events.register("provide-client-params.sqs.SendMessageBatch", self._before_send_batch,
                        unique_id="sim-send-batch")
        events.register("after-call.sqs.SendMessage", self._after_send, unique_id="sim-sent")
        events.register("after-call.sqs.SendMessageBatch", self._after_send_batch, unique_id="sim-sent-batch")
        for client in (clients.dynamodb(), sqs, clients.kms(), clients.secretsmanager(), clients.s3(),
                       clients.events()):
            self._aws_costs.attach(client)

    # -- observing sends ---------------------------------------------------------------------

    # The queue is marked for collection only once moto holds the message (after the call): the
    # modelled request latency hands control to the loop between the two hooks, and a collection
    # then would find nothing and forget the queue until its next send.

    def _before_send(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        now = self.clock.now()
        context["virtual_due"] = (now + int(params.pop("DelaySeconds", 0) or 0), params.get("MessageGroupId"), now)
        context["virtual_queue"] = params.get("QueueUrl", "")

    def _before_send_batch(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        now = self.clock.now()
        context["virtual_due"] = {entry["Id"]: (now + int(entry.pop("DelaySeconds", 0) or 0),
                                                entry.get("MessageGroupId"), now)
                                  for entry in params.get("Entries", [])}
        context["virtual_queue"] = params.get("QueueUrl", "")

    def _after_send(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "MessageId" in parsed:
            self._sent[parsed["MessageId"]] = context.get("virtual_due", (self.clock.now(), None, self.clock.now()))
        self._dirty.add(context.get("virtual_queue", ""))

    def _after_send_batch(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        dues = context.get("virtual_due", {})
        for ok in parsed.get("Successful", []):
            self._sent[ok["MessageId"]] = dues.get(ok["Id"], (self.clock.now(), None, self.clock.now()))
        self._dirty.add(context.get("virtual_queue", ""))

    def _before_step(self) -> None:
        """Take the messages handlers sent (moto holds them) into the virtual-time queues."""
        for url in list(self._dirty):
            self._dirty.discard(url)
            name = self._by_url.get(url)
            if name is None:
                continue
            while True:
                received = self._receiver.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                          VisibilityTimeout=0, WaitTimeSeconds=0)
                messages = received.get("Messages", [])
                if not messages:
                    break
                self._receiver.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
                now = self.clock.now()
                for message in messages:
                    due, group, sent_at = self._sent.pop(message["MessageId"], (now, None, now))
                    if self.drop is not None and self.drop(message["Body"]):
                        continue
                    for copy in range(2 if self.duplicate_deliveries else 1):
                        self.enqueue(name, message["Body"], visible_at=due, group=group, sent_at=sent_at,
                                     message_id=message["MessageId"] + (f"-dup{copy}" if copy else ""))

    def _save_context(self) -> Callable[[], None]:
        # Powertools keeps an invocation's log keys (function name, request id, correlation id)
        # on the formatter every logger of the service shares; invocations that take turns in
        # one process must each get theirs back, or their lines name another function.
        saved = [(formatter, dict(formatter.log_format)) for formatter in _log_formatters()]

        def restore() -> None:
            for formatter, keys in saved:
                formatter.log_format = keys

        return restore

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
            thread = threading.get_ident()
            if thread in self._crash_armed and (when is None or when(params)):
                self._crash_armed.discard(thread)
                self.crashes += 1
                raise SimulatedCrash("injected crash")

        for operation in operations:
            client.meta.events.register(f"provide-client-params.{service}.{operation}", hook,
                                        unique_id=f"crash-{service}-{operation}")

    def _arm_crash(self, function: str | None) -> None:
        # Per thread: invocations the loop drives take turns, each in a thread of its own.
        thread = threading.get_ident()
        self._crash_armed.discard(thread)
        if function and self._crash_plan and self._crash_plan[0] == function \
                and self._crash_plan[2].random() < self._crash_plan[1]:
            self._crash_armed.add(thread)


def _log_formatters() -> list[Any]:
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    formatters = {id(h.formatter): h.formatter for lg in loggers if isinstance(lg, logging.Logger)
                  for h in lg.handlers if hasattr(h.formatter, "log_format")}
    return list(formatters.values())


def _schedule_event(schedule: Schedule, now: float) -> dict[str, Any]:
    return json.loads(schedule.input) if schedule.input else scheduled_event(schedule.name, now=now)
