"""In-memory fakes of the event and webhook ports, keeping the contracts the DynamoDB/SQS/HTTP adapters keep.

* ``InMemoryWebhookStore``: endpoints per user (another user's is not found), at most
  ``max_per_user`` each, secrets kept in the clear (the real store seals them), rotation keeping
  the previous secret until the overlap ends, ``note_failure`` keeping the first failure's time.
* ``InMemoryDeliveryStore``: one delivery per (endpoint, event); ``record`` guarded by state and
  attempts; ``recent`` lists without bodies; ``overdue`` reads pending deliveries due before a time.
* ``ListQueue`` keeps what it was sent; ``refuse`` makes sends fail.
* ``FakeResolver`` answers host names from a table (``[]``: does not resolve).
* ``ScriptedSender`` answers each POST with the next scripted answer (the last one repeats) and
  keeps what it was sent.
* ``InMemoryEventStore`` / ``ListBus`` / ``ListFanout``: the outbox, the bus and the fan-out.

tests/integration/test_webhook_ports_contract.py holds the stores and their DynamoDB adapters to
the same tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sellerjobs.events.model import JobEvent, StoredEvent
from sellerjobs.webhooks.model import Delivery, DeliveryMessage, DeliveryState, Webhook, WebhookStatus
from sellerjobs.webhooks.ports import Answer, TooManyWebhooks

DAY_MS = 86_400_000
RECENT_DAYS = 8  # today and the week before it: events are kept a week


@dataclass
class InMemoryWebhookStore:
    hooks: dict[tuple[str, str], Webhook] = field(default_factory=dict)

    def create(self, hook: Webhook, max_per_user: int) -> None:
        if sum(1 for user, _ in self.hooks if user == hook.user_id) >= max_per_user:
            raise TooManyWebhooks(max_per_user)
        self.hooks[(hook.user_id, hook.id)] = hook

    def get(self, user_id: str, webhook_id: str, *, with_secrets: bool = False) -> Webhook | None:
        hook = self.hooks.get((user_id, webhook_id))
        if hook is None or with_secrets:
            return hook
        return replace(hook, secret=None, previous_secret=None)

    def for_user(self, user_id: str) -> list[Webhook]:
        mine = [replace(h, secret=None, previous_secret=None) for (u, _), h in self.hooks.items() if u == user_id]
        return sorted(mine, key=lambda h: h.created_at)  # oldest first, as the adapter lists them

    def delete(self, user_id: str, webhook_id: str) -> bool:
        return self.hooks.pop((user_id, webhook_id), None) is not None

    def update(self, user_id: str, webhook_id: str, now_ms: int, *, status: WebhookStatus | None = None,
               events: Sequence[str] | None = None, description: str | None = None) -> Webhook | None:
        hook = self.hooks.get((user_id, webhook_id))
        if hook is None:
            return None
        changes: dict[str, Any] = {"updated_at": now_ms}
        if status is WebhookStatus.ACTIVE:
            changes |= {"status": status, "failing_since": None, "disabled_at": None}
        elif status is WebhookStatus.DISABLED:
            changes |= {"status": status, "disabled_at": hook.disabled_at or now_ms}
        if events is not None:
            changes["events"] = tuple(events)
        if description is not None:
            changes["description"] = description
        self.hooks[(user_id, webhook_id)] = replace(hook, **changes)
        return self.get(user_id, webhook_id)

    def rotate(self, user_id: str, webhook_id: str, secret: str, now_ms: int, overlap_ms: int) -> Webhook | None:
        hook = self.hooks.get((user_id, webhook_id))
        if hook is None:
            return None
        self.hooks[(user_id, webhook_id)] = replace(hook, secret=secret, previous_secret=hook.secret,
                                                    previous_secret_until=now_ms + overlap_ms, updated_at=now_ms)
        return replace(self.hooks[(user_id, webhook_id)], previous_secret=None)

    def note_failure(self, user_id: str, webhook_id: str, now_ms: int) -> int | None:
        hook = self.hooks.get((user_id, webhook_id))
        if hook is None:
            return None
        if hook.failing_since is None:
            self.hooks[(user_id, webhook_id)] = hook = replace(hook, failing_since=now_ms)
        return hook.failing_since

    def note_success(self, user_id: str, webhook_id: str) -> None:
        hook = self.hooks.get((user_id, webhook_id))
        if hook is not None:
            self.hooks[(user_id, webhook_id)] = replace(hook, failing_since=None)

    def disable(self, user_id: str, webhook_id: str, now_ms: int, failing_since: int) -> bool:
        hook = self.hooks.get((user_id, webhook_id))
        if hook is None or hook.status is not WebhookStatus.ACTIVE or hook.failing_since != failing_since:
            return False
        self.hooks[(user_id, webhook_id)] = replace(hook, status=WebhookStatus.DISABLED, disabled_at=now_ms,
                                                    updated_at=now_ms)
        return True


@dataclass
class InMemoryDeliveryStore:
    deliveries: dict[tuple[str, str], Delivery] = field(default_factory=dict)  # (webhook, sort key)
    notes: list[Delivery] = field(default_factory=list)

    def create(self, delivery: Delivery) -> Delivery | None:
        key = (delivery.webhook_id, delivery.sort_key)
        if key in self.deliveries:
            return self.deliveries[key]
        self.deliveries[key] = delivery
        return None

    def get(self, webhook_id: str, occurred_at: int, event_id: str) -> Delivery | None:
        return self.deliveries.get((webhook_id, f"{occurred_at:013d}#{event_id}"))

    def record(self, previous: Delivery, new: Delivery) -> bool:
        stored = self.deliveries.get((new.webhook_id, new.sort_key))
        if stored is None or stored.state is not previous.state or stored.attempts != previous.attempts:
            return False
        self.deliveries[(new.webhook_id, new.sort_key)] = new
        return True

    def note(self, note: Delivery) -> None:
        self.notes.append(note)
        self.deliveries[(note.webhook_id, note.sort_key)] = note

    def recent(self, webhook_id: str, limit: int) -> list[Delivery]:
        mine = [replace(d, body="") for (w, _), d in self.deliveries.items() if w == webhook_id]  # listed bodiless
        return sorted(mine, key=lambda d: d.sort_key, reverse=True)[:limit]

    def overdue(self, before_ms: int, limit: int) -> list[Delivery]:
        # A pending delivery without an attempt time is in no index: the sweep cannot see it.
        late = [d for d in self.deliveries.values() if d.state is DeliveryState.PENDING
                and d.next_attempt_at is not None and d.next_attempt_at < before_ms]
        return sorted(late, key=lambda d: d.next_attempt_at or 0)[:limit]

    def only(self) -> Delivery:
        (delivery,) = [d for d in self.deliveries.values() if d.state is not DeliveryState.NOTE]
        return delivery


@dataclass
class ListQueue:
    sent: list[DeliveryMessage] = field(default_factory=list)
    refuse: bool = False

    def send(self, messages: Sequence[DeliveryMessage]) -> list[DeliveryMessage]:
        if self.refuse:
            return list(messages)
        self.sent.extend(messages)
        return []

    def take(self) -> list[DeliveryMessage]:
        taken, self.sent = self.sent, []
        return taken


@dataclass
class FakeResolver:
    names: dict[str, list[str]] = field(default_factory=dict)

    def resolve(self, host: str, port: int) -> list[str]:
        import ipaddress

        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            return list(self.names.get(host, []))


@dataclass
class Sent:
    url: str
    address: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedSender:
    answers: list[Answer] = field(default_factory=lambda: [Answer(status=204)])
    sent: list[Sent] = field(default_factory=list)
    on_send: Any = None  # called with each Sent before answering (e.g. to let time pass)

    def post(self, url: str, address: str, headers: Mapping[str, str], body: bytes, timeout_s: float) -> Answer:
        sent = Sent(url, address, dict(headers), body)
        self.sent.append(sent)
        if self.on_send is not None:
            self.on_send(sent)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@dataclass
class InMemoryEventStore:
    events: dict[str, StoredEvent] = field(default_factory=dict)

    def put(self, event: JobEvent) -> bool:
        """Store an event once; False if it was stored already."""
        if event.id in self.events:
            return False
        self.events[event.id] = StoredEvent(event)
        return True

    def get_many(self, event_ids: Sequence[str]) -> dict[str, StoredEvent]:
        return {i: self.events[i] for i in event_ids if i in self.events}

    def mark_published(self, event_id: str, now_ms: int) -> None:
        stored = self.events.get(event_id)
        if stored is not None and stored.published_at is None:
            self.events[event_id] = StoredEvent(stored.event, now_ms)

    def unpublished(self, before_ms: int, limit: int) -> list[StoredEvent]:
        late = [s for s in self.events.values() if s.published_at is None and s.event.occurred_at < before_ms]
        return sorted(late, key=lambda s: s.event.occurred_at)[:limit]

    def recent(self, now_ms: int, limit: int) -> list[StoredEvent]:
        # The adapter reads one UTC day at a time, from now's day back over the week events are kept.
        today = now_ms // DAY_MS
        shown = [s for s in self.events.values() if today - RECENT_DAYS < s.event.occurred_at // DAY_MS <= today]
        return sorted(shown, key=lambda s: (s.event.occurred_at, s.event.id), reverse=True)[:limit]


@dataclass
class ListBus:
    published: list[JobEvent] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def publish(self, events: Sequence[JobEvent]) -> set[str]:
        self.published += [e for e in events if e.id not in self.refuse]
        return {e.id for e in events if e.id in self.refuse}


@dataclass
class ListFanout:
    fanned: list[JobEvent] = field(default_factory=list)

    def fan_out(self, events: Sequence[JobEvent]) -> int:
        self.fanned += list(events)
        return len(events)
