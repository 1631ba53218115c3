"""What reached the local event bus: a catch-all rule sends every event to a queue of the local
stack's own (``local.aws.BUS_RECORDER``), read here. Only the local stack and the tests use it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from local.aws import BUS_RECORDER, Stack


@dataclass
class BusRecorder:
    stack: Stack
    sqs: Any  # a boto3 SQS client pointed at the stack's AWS
    events: list[dict[str, Any]] = field(default_factory=list)

    def take(self) -> list[dict[str, Any]]:
        """Every event that reached the bus so far (EventBridge's envelope: source, detail-type, detail)."""
        url = self.stack.names[BUS_RECORDER]["Ref"]
        while True:
            received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = received.get("Messages", [])
            if not messages:
                return self.events
            self.events += [json.loads(m["Body"]) for m in messages]
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])

    def by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self.take():
            counts[event["detail-type"]] = counts.get(event["detail-type"], 0) + 1
        return counts
