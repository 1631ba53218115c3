"""Handing events to sellers' endpoints: one delivery per (event, subscribed active endpoint).

A delivery is stored before its first message is sent, and stored once (a second fan-out of the
same event, after a crash or a redelivered relay message, finds it). A delivery that is stored
but whose message was lost (a failed send, a crash in between) is due and pending: the
every-minute sweep finds it through a sparse index and queues it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from aws_lambda_powertools import Logger

from sellerjobs.clock import Clock, now_ms
from sellerjobs.events.model import JobEvent
from sellerjobs.webhooks.model import Delivery, DeliveryMessage, DeliveryState, Webhook, message_for
from sellerjobs.webhooks.ports import DeliveryQueue, DeliveryStore, WebhookStore

logger = Logger(child=True)


@dataclass
class WebhookFanout:
    webhooks: WebhookStore
    deliveries: DeliveryStore
    queue: DeliveryQueue
    clock: Clock
    overdue_s: float = 300.0  # a pending delivery this late has lost its message
    sweep_limit: int = 500

    def fan_out(self, events: Sequence[JobEvent]) -> int:
        endpoints: dict[str, list[Webhook]] = {}  # per seller, read once per call
        messages: list[DeliveryMessage] = []
        now = now_ms(self.clock)
        for event in events:
            for seller in event.sellers:
                if seller not in endpoints:
                    endpoints[seller] = self.webhooks.for_user(seller)
                for hook in endpoints[seller]:
                    if not hook.subscribes(event.type):
                        continue
                    delivery = Delivery(webhook_id=hook.id, user_id=seller, event_id=event.id, type=event.type,
                                        occurred_at=event.occurred_at, body=event.body,
                                        state=DeliveryState.PENDING, created_at=now, updated_at=now,
                                        next_attempt_at=now)
                    existing = self.deliveries.create(delivery)
                    if existing is not None and (existing.state is not DeliveryState.PENDING or existing.attempts):
                        continue  # fanned out before, and under way since
                    messages.append(message_for(existing or delivery))
        unsent = self.queue.send(messages)
        if unsent:
            logger.warning("Could not queue webhook deliveries; the sweep queues them again",
                           extra={"unsent": len(unsent)})
        return len(messages) - len(unsent)

    def sweep(self) -> int:
        """Queue again the pending deliveries whose message was lost. A message that was merely slow
        is then delivered twice at most, and the second finds the attempt taken."""
        now = now_ms(self.clock)
        late = self.deliveries.overdue(now - int(self.overdue_s * 1000), self.sweep_limit)
        # Due again from now: a message that is only stuck behind a backlog is not sent once a minute.
        revived = [r for d in late if self.deliveries.record(d, r := replace(d, next_attempt_at=now, updated_at=now))]
        if not revived:
            return 0
        unsent = self.queue.send([message_for(d) for d in revived])
        logger.warning("Overdue webhook deliveries queued again", extra={"deliveries": len(revived) - len(unsent)})
        return len(revived) - len(unsent)
