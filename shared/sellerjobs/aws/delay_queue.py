"""An SQS queue used as a timer: each message is delivered no earlier than its ``not_before``.

With ``group_of``, every message carries a ``MessageGroupId`` (the tenant it belongs to): on a
standard queue that makes it an SQS fair queue, which delivers other tenants' messages first while
one tenant holds a disproportionate share of the messages in flight. Delays keep working, which a
FIFO queue would not allow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aws_lambda_powertools import Logger

from sellerjobs.aws import clients
from sellerjobs.clock import Clock, now_ms, real_seconds
from sellerjobs.jobs.messages import QueueMessage

MAX_DELAY_S = 900  # SQS's ceiling; the worker re-sends messages that arrive before their time
SEND_BATCH = 10  # SQS's SendMessageBatch limit

logger = Logger(child=True)


M = TypeVar("M", bound=QueueMessage)


@dataclass
class SqsDelayQueue(Generic[M]):
    queue_url: str
    clock: Clock
    group_of: Callable[[M], str] | None = None  # the message's tenant, for fair delivery

    def delay_seconds(self, message: M) -> int:
        wait_ms = message.not_before - now_ms(self.clock)
        return max(0, min(MAX_DELAY_S, math.ceil(real_seconds(self.clock, wait_ms / 1000))))

    def _entry(self, index: int, message: M) -> dict[str, Any]:
        entry: dict[str, Any] = {"Id": str(index), "MessageBody": message.to_json(),
                                 "DelaySeconds": self.delay_seconds(message)}
        if self.group_of is not None:
            entry["MessageGroupId"] = self.group_of(message)
        return entry

    def send(self, messages: Sequence[M]) -> list[M]:
        unsent: list[M] = []
        for start in range(0, len(messages), SEND_BATCH):
            unsent.extend(self._send_batch(list(messages[start:start + SEND_BATCH])))
        return unsent

    def _send_batch(self, batch: list[M], tries: int = 2) -> list[M]:
        pending = dict(enumerate(batch))
        for _ in range(tries):
            entries: list[Any] = [self._entry(i, m) for i, m in pending.items()]
            try:
                response = clients.sqs().send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception:  # the whole call failed; the caller decides what a lost send means
                logger.warning("SendMessageBatch failed", exc_info=True)
                continue
            failed_ids = {int(f["Id"]) for f in response.get("Failed", [])}
            pending = {i: m for i, m in pending.items() if i in failed_ids}
            if not pending:
                return []
        return list(pending.values())
