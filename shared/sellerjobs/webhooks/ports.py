"""What webhooks need from the outside world, as protocols (adapters in ``sellerjobs.aws`` and
``sellerjobs.outbound``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sellerjobs.errors import Conflict
from sellerjobs.webhooks.model import Delivery, DeliveryMessage, Webhook, WebhookStatus


class TooManyWebhooks(Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a seller may have at most {limit} webhook endpoints; delete one first")
        self.field = "url"


class WebhookStore(Protocol):
    def create(self, hook: Webhook, max_per_user: int) -> None:
        """Store a new endpoint with its secret (sealed); ``TooManyWebhooks`` beyond the limit."""
        ...

    def get(self, user_id: str, webhook_id: str, *, with_secrets: bool = False) -> Webhook | None:
        """The user's endpoint (another user's does not exist for them); secrets only if asked."""
        ...

    def for_user(self, user_id: str) -> list[Webhook]: ...

    def delete(self, user_id: str, webhook_id: str) -> bool: ...

    def update(self, user_id: str, webhook_id: str, now_ms: int, *, status: WebhookStatus | None = None,
               events: Sequence[str] | None = None, description: str | None = None) -> Webhook | None:
        """Change what is given; enabling clears the failure record. None if there is no such endpoint."""
        ...

    def rotate(self, user_id: str, webhook_id: str, secret: str, now_ms: int, overlap_ms: int) -> Webhook | None:
        """Make ``secret`` the signing secret; the current one keeps signing for ``overlap_ms``."""
        ...

    def note_failure(self, user_id: str, webhook_id: str, now_ms: int) -> int | None:
        """Record a failed attempt; returns since when the endpoint has been failing (None: gone)."""
        ...

    def note_success(self, user_id: str, webhook_id: str) -> None: ...

    def disable(self, user_id: str, webhook_id: str, now_ms: int, failing_since: int) -> bool:
        """Disable an active endpoint that is still failing since ``failing_since``; True if this did it."""
        ...


class DeliveryStore(Protocol):
    def create(self, delivery: Delivery) -> Delivery | None:
        """Store a new delivery; if one exists for this endpoint and event, return it instead."""
        ...

    def get(self, webhook_id: str, occurred_at: int, event_id: str) -> Delivery | None: ...

    def record(self, previous: Delivery, new: Delivery) -> bool:
        """Write ``new`` if the stored delivery is still ``previous`` (same state and attempts)."""
        ...

    def note(self, note: Delivery) -> None: ...

    def recent(self, webhook_id: str, limit: int) -> list[Delivery]:
        """The endpoint's deliveries and notes, newest event first, without their bodies."""
        ...

    def overdue(self, before_ms: int, limit: int) -> list[Delivery]:
        """Pending deliveries whose attempt was due before ``before_ms`` (their message was lost)."""
        ...


class DeliveryQueue(Protocol):
    def send(self, messages: Sequence[DeliveryMessage]) -> list[DeliveryMessage]:
        """Deliver each no earlier than its ``not_before``; returns those not sent."""
        ...


class AddressResolver(Protocol):
    def resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses (an address literal is its own); [] if it does not resolve."""
        ...


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (timeout, refused connection, TLS failure)
    error: str | None = None  # why, in words that never include the secret or the body


class WebhookSender(Protocol):
    def post(self, url: str, address: str, headers: Mapping[str, str], body: bytes, timeout_s: float) -> Answer:
        """POST ``body`` to ``url``, connecting to ``address`` (checked already), following no
        redirect and reading at most 64 KiB of the answer."""
        ...
