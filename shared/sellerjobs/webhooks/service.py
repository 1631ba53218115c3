"""What the webhook API does: register, list, change, rotate and delete a seller's endpoints, show
their recent deliveries and send them a test event. Every call is scoped to the caller: another
seller's endpoint answers 404, exactly like one that does not exist."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sellerjobs.clock import Clock, now_ms
from sellerjobs.errors import Conflict, NotFound
from sellerjobs.events.model import WEBHOOK_TEST, JobEvent
from sellerjobs.webhooks.addresses import EndpointPolicy
from sellerjobs.webhooks.model import Delivery, DeliveryState, Webhook, WebhookStatus, message_for
from sellerjobs.webhooks.ports import AddressResolver, DeliveryQueue, DeliveryStore, WebhookStore
from sellerjobs.webhooks.signing import new_secret

MAX_PER_USER = 10
ROTATION_OVERLAP_S = 24 * 3600


class WebhookNotFound(NotFound):
    def __init__(self, webhook_id: str) -> None:
        super().__init__(f"webhook {webhook_id} not found", field="webhookId")


def new_webhook_id() -> str:
    return "wh_" + secrets.token_hex(12)


@dataclass
class WebhookService:
    store: WebhookStore
    deliveries: DeliveryStore
    queue: DeliveryQueue
    resolver: AddressResolver
    policy: EndpointPolicy
    clock: Clock
    max_per_user: int = MAX_PER_USER
    rotation_overlap_s: float = ROTATION_OVERLAP_S

    def create(self, user_id: str, url: str, events: Sequence[str], description: str | None = None) -> Webhook:
        """A new active endpoint and its secret (the only time, with rotation, that it is shown)."""
        target = self.policy.target(url)
        # Checked now (a 400 the seller can act on) and again at every delivery.
        self.policy.check(target, self.resolver.resolve(target.host, target.port))
        now = now_ms(self.clock)
        hook = Webhook(id=new_webhook_id(), user_id=user_id, url=url, events=tuple(dict.fromkeys(events)),
                       status=WebhookStatus.ACTIVE, created_at=now, updated_at=now, description=description,
                       secret=new_secret())
        self.store.create(hook, self.max_per_user)
        return hook

    def for_user(self, user_id: str) -> list[Webhook]:
        return self.store.for_user(user_id)

    def get(self, user_id: str, webhook_id: str) -> Webhook:
        hook = self.store.get(user_id, webhook_id)
        if hook is None:
            raise WebhookNotFound(webhook_id)
        return hook

    def current_secret(self, user_id: str, webhook_id: str) -> str:
        """The endpoint's signing secret now, opened from its sealed copy."""
        hook = self.store.get(user_id, webhook_id, with_secrets=True)
        if hook is None or hook.secret is None:
            raise WebhookNotFound(webhook_id)
        return hook.secret

    def delete(self, user_id: str, webhook_id: str) -> None:
        if not self.store.delete(user_id, webhook_id):
            raise WebhookNotFound(webhook_id)

    def update(self, user_id: str, webhook_id: str, *, status: WebhookStatus | None = None,
               events: Sequence[str] | None = None, description: str | None = None) -> Webhook:
        hook = self.store.update(user_id, webhook_id, now_ms(self.clock), status=status,
                                 events=tuple(dict.fromkeys(events)) if events is not None else None,
                                 description=description)
        if hook is None:
            raise WebhookNotFound(webhook_id)
        return hook

    def rotate(self, user_id: str, webhook_id: str) -> Webhook:
        """A new secret; deliveries carry signatures with both the new and the old one for a day."""
        hook = self.store.rotate(user_id, webhook_id, new_secret(), now_ms(self.clock),
                                 int(self.rotation_overlap_s * 1000))
        if hook is None:
            raise WebhookNotFound(webhook_id)
        return hook

    def recent_deliveries(self, user_id: str, webhook_id: str, limit: int) -> list[Delivery]:
        self.get(user_id, webhook_id)
        return self.deliveries.recent(webhook_id, limit)

    def send_test(self, user_id: str, webhook_id: str) -> Delivery:
        """A ``webhook.test`` event for this endpoint alone (not on the bus), delivered like any other."""
        hook = self.get(user_id, webhook_id)
        if hook.status is not WebhookStatus.ACTIVE:
            raise Conflict(f"webhook {webhook_id} is disabled; enable it (PATCH status active) first",
                           field="webhookId")
        now = now_ms(self.clock)
        event = JobEvent.create(WEBHOOK_TEST, ("webhook", hook.id, now, secrets.token_hex(8)), now,
                                {"webhookId": hook.id, "message": "A test event from sellerjobs."}, [user_id])
        delivery = Delivery(webhook_id=hook.id, user_id=user_id, event_id=event.id, type=event.type,
                            occurred_at=now, body=event.body, state=DeliveryState.PENDING, created_at=now,
                            updated_at=now, next_attempt_at=now)
        self.deliveries.create(delivery)
        # A lost send leaves the delivery pending and due: the every-minute sweep queues it again.
        self.queue.send([message_for(delivery)])
        return delivery
