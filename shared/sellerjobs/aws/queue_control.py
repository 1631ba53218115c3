"""Operators' view of the queues in AWS: each queue's pause switch (an item in its family's table)
and what SQS says about a queue and its dead-letter queue.

    pk = QUEUE#<name>  sk = PAUSE   the switch: who paused the queue, when, and why

SQS answers the message counts (``GetQueueAttributes``: visible, delayed, in flight) in one
request. It has no attribute for the oldest message's age, and its CloudWatch metric needs
``cloudwatch:GetMetricData`` on every resource, so the age of a dead-letter queue's oldest
message is read from the messages themselves: a receive that leaves them visible (visibility
timeout 0) returns up to 10 with the time they were first sent. Only dead-letter queues are
peeked: a receive counts towards a message's ``maxReceiveCount``, and nothing consumes a
dead-letter queue. SQS stamps a message with its own (real) clock, so the age is measured
against the real clock too, and counted in seconds of the system's clock (which the local
stack may run faster than real time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import from_item, to_item
from sellerjobs.clock import Clock, clock_seconds
from sellerjobs.jobs.pause import Pause, QueueName
from sellerjobs.operations.queues import QueueDepth


@dataclass
class DynamoPauseStore:
    table: str

    @staticmethod
    def _key(queue: QueueName) -> dict[str, Any]:
        return to_item({"pk": f"QUEUE#{queue.value}", "sk": "PAUSE"})

    def get(self, queue: QueueName) -> Pause | None:
        item = from_item(clients.dynamodb().get_item(TableName=self.table, Key=self._key(queue),
                                                     ConsistentRead=True).get("Item") or {})
        if not item:
            return None
        return Pause(queue=queue, by=str(item["by"]), at=int(item["at"]), reason=item.get("reason"))

    def put(self, pause: Pause) -> None:
        clients.dynamodb().put_item(TableName=self.table, Item=self._key(pause.queue) | to_item(
            {"by": pause.by, "at": pause.at, "reason": pause.reason}))

    def delete(self, queue: QueueName) -> None:
        clients.dynamodb().delete_item(TableName=self.table, Key=self._key(queue))


@dataclass
class SqsQueueStats:
    clock: Clock

    def depth(self, queue_url: str) -> QueueDepth:
        attributes = clients.sqs().get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
            "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return QueueDepth(visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
                          delayed=int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
                          in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)))

    def oldest_age_s(self, dead_letter_url: str) -> float | None:
        response = clients.sqs().receive_message(
            QueueUrl=dead_letter_url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0,
            MessageSystemAttributeNames=["SentTimestamp"])
        sent = [int(m["Attributes"]["SentTimestamp"]) for m in response.get("Messages", [])
                if "SentTimestamp" in m.get("Attributes", {})]
        return max(0.0, clock_seconds(self.clock, time.time() - min(sent) / 1000)) if sent else None
