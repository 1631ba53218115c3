"""A seller's webhook endpoint, and the delivery of one event to it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import Field, StrictBool, StrictInt

from sellerjobs.events.model import WEBHOOK_DISABLED
from sellerjobs.jobs.messages import MessageBody


class WebhookStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # by its owner, or after failing every delivery for days; PATCH re-enables it


class DeliveryState(StrEnum):
    PENDING = "pending"  # not delivered yet: the next attempt is at next_attempt_at
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # out of attempts (then also in the dead-letter queue), or the endpoint went away
    NOTE = "note"  # not a delivery: something that happened to the endpoint (it was disabled)


@dataclass(frozen=True)
class Webhook:
    id: str
    user_id: str
    url: str
    events: tuple[str, ...]
    status: WebhookStatus
    created_at: int
    updated_at: int
    description: str | None = None
    # Secrets in the clear exist only in memory: stored, they are sealed with KMS.
    secret: str | None = None
    previous_secret: str | None = None  # the secret before the last rotation, still signing until...
    previous_secret_until: int | None = None  # ...then (epoch ms)
    failing_since: int | None = None  # epoch ms of the first failed attempt since the last success
    disabled_at: int | None = None

    def subscribes(self, event_type: str) -> bool:
        return self.status is WebhookStatus.ACTIVE and event_type in self.events

    def signing_secrets(self, now_ms: int) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and after a rotation the
        previous one too until its overlap ends, so a receiver still on the old secret verifies."""
        secrets = [self.secret] if self.secret else []
        if self.previous_secret and (self.previous_secret_until or 0) > now_ms:
            secrets.append(self.previous_secret)
        return secrets

    def to_api(self) -> dict[str, Any]:
        """The endpoint as the API shows it: never its secret (that is shown once, on creation and rotation)."""
        return {"id": self.id, "url": self.url, "events": list(self.events), "description": self.description,
                "status": self.status.value, "createdAt": self.created_at, "updatedAt": self.updated_at,
                "failingSince": self.failing_since, "disabledAt": self.disabled_at,
                "previousSecretExpiresAt": self.previous_secret_until}


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one endpoint; ``body`` is the payload exactly as every attempt sends it."""

    webhook_id: str
    user_id: str
    event_id: str
    type: str
    occurred_at: int  # epoch ms of the event: deliveries are listed by it, newest first
    body: str
    state: DeliveryState
    created_at: int
    updated_at: int
    attempts: int = 0
    next_attempt_at: int | None = None
    last_status: int | None = None  # the endpoint's last HTTP status (None: no answer)
    last_error: str | None = None
    delivered_at: int | None = None

    @property
    def sort_key(self) -> str:
        return f"{self.occurred_at:013d}#{self.event_id}"

    def delivered(self, now_ms: int, status: int) -> Delivery:
        return replace(self, state=DeliveryState.DELIVERED, attempts=self.attempts + 1, last_status=status,
                       last_error=None, next_attempt_at=None, delivered_at=now_ms, updated_at=now_ms)

    def retry_at(self, now_ms: int, next_attempt_at: int, status: int | None, error: str) -> Delivery:
        return replace(self, attempts=self.attempts + 1, last_status=status, last_error=error,
                       next_attempt_at=next_attempt_at, updated_at=now_ms)

    def given_up(self, now_ms: int, status: int | None, error: str, *, attempted: bool = True) -> Delivery:
        return replace(self, state=DeliveryState.FAILED, attempts=self.attempts + (1 if attempted else 0),
                       last_status=status, last_error=error, next_attempt_at=None, updated_at=now_ms)

    def to_api(self) -> dict[str, Any]:
        return {"eventId": self.event_id, "type": self.type, "state": self.state.value, "attempts": self.attempts,
                "lastStatus": self.last_status, "lastError": self.last_error,
                "nextAttemptAt": self.next_attempt_at, "createdAt": self.created_at, "updatedAt": self.updated_at,
                "deliveredAt": self.delivered_at}


def disabled_note(hook: Webhook, now_ms: int, reason: str) -> Delivery:
    """The entry the deliveries list shows where an endpoint was disabled."""
    return Delivery(webhook_id=hook.id, user_id=hook.user_id, event_id=f"note_disabled_{now_ms}",
                    type=WEBHOOK_DISABLED, occurred_at=now_ms, body="", state=DeliveryState.NOTE,
                    created_at=now_ms, updated_at=now_ms, last_error=reason)


class DeliveryMessage(MessageBody):
    """A delivery queue message: attempt the delivery (attempts made so far: ``attempt``) not
    before ``not_before``. ``attempt`` makes it single-use: once the delivery has moved on, a
    duplicate or stale message no longer matches and is dropped."""

    user_id: str = Field(alias="userId", min_length=1)
    webhook_id: str = Field(alias="webhookId", min_length=1)
    event_id: str = Field(alias="eventId", min_length=1)
    occurred_at: StrictInt = Field(alias="occurredAt", description="epoch ms of the event")
    attempt: StrictInt = Field(ge=0)
    not_before: StrictInt = Field(alias="notBefore", description="epoch ms")
    # Sent to the dead-letter queue after the last attempt (a redrive tries once more).
    final: StrictBool = False

    @property
    def group(self) -> str:
        """The endpoint: SQS fair queues keep one slow or failing endpoint from holding up the others."""
        return self.webhook_id


def message_for(delivery: Delivery, not_before: int | None = None, *, final: bool = False) -> DeliveryMessage:
    return DeliveryMessage(user_id=delivery.user_id, webhook_id=delivery.webhook_id, event_id=delivery.event_id,
                           occurred_at=delivery.occurred_at, attempt=delivery.attempts,
                           not_before=not_before if not_before is not None else (delivery.next_attempt_at or 0),
                           final=final)
