"""Real-time event sources for the local stack: SQS pollers and rate() schedules.

They behave like Lambda's: a poller gathers up to ``BatchSize`` messages within the batching
window, invokes the function, deletes what succeeded and leaves reported failures to reappear
after the visibility timeout (moto moves them to the DLQ after ``maxReceiveCount``). Every
interval is divided by the time scale, like every other duration in the local stack.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.events import sqs_event
from local.lambda_runtime import invoke
from local.template import Function, QueueSource, Schedule

log = logging.getLogger("sellerjobs.local")


@dataclass
class QueuePoller:
    source: QueueSource
    function: Function
    queue_url: str
    queue_arn: str
    sqs: Any
    scale: float
    stop: threading.Event
    invoker: Callable[[Function, dict[str, Any]], Any] = invoke
    thread: threading.Thread = field(init=False)

    def start(self) -> QueuePoller:
        self.thread = threading.Thread(target=self._run, name=f"poll-{self.source.queue}", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                messages = self._gather()
                if messages:
                    self._deliver(messages)
            except Exception:  # keep polling; a broken invocation must not stop the stack
                log.exception("poller for %s failed", self.source.queue)
                self.stop.wait(1.0)

    def _gather(self) -> list[dict[str, Any]]:
        window = self.source.window_s / self.scale
        messages: list[dict[str, Any]] = []
        deadline: float | None = None
        while len(messages) < self.source.batch_size and not self.stop.is_set():
            wait = 1 if not messages else 0
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(10, self.source.batch_size - len(messages)),
                WaitTimeSeconds=wait, AttributeNames=["All"], MessageAttributeNames=["All"])
            batch = received.get("Messages", [])
            messages += batch
            if messages and deadline is None:
                deadline = time.monotonic() + window
            if not messages:
                return []
            if deadline is not None and time.monotonic() >= deadline:
                break
            if not batch:
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic()) if deadline else 0.05))
        return messages

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        records = [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
            "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs", "eventSourceARN": self.queue_arn,
            "awsRegion": "us-east-1"} for m in messages]
        try:
            result = self.invoker(self.function, sqs_event(records))
        except Exception:
            log.exception("%s failed; its batch will be redelivered", self.function.logical_id)
            return
        failed = set()
        if self.source.report_failures and isinstance(result, dict):
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start:start + 10])])


@dataclass
class ScheduleRunner:
    schedule: Schedule
    function: Function
    scale: float
    stop: threading.Event
    event_factory: Any
    invoker: Callable[[Function, dict[str, Any]], Any] = invoke
    thread: threading.Thread = field(init=False)

    def start(self) -> ScheduleRunner:
        self.thread = threading.Thread(target=self._run, name=f"schedule-{self.schedule.name}", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        interval = self.schedule.every_s / self.scale
        next_at = time.monotonic() + interval
        while not self.stop.wait(max(0.0, next_at - time.monotonic())):
            next_at += interval
            try:
                self.invoker(self.function, self.event_factory(self.schedule.name))
            except Exception:
                log.exception("scheduled %s failed", self.function.logical_id)
