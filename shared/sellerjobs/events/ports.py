"""What emitting and relaying events needs from the outside world (adapters in ``sellerjobs.aws``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Protocol

from pydantic import Field

from sellerjobs.events.model import JobEvent, StoredEvent
from sellerjobs.jobs.messages import MessageBody


class EventAnnouncer(Protocol):
    """Tells the relay that events were stored, right after the write that stored them.

    Best effort by design: the events are already durable in the outbox, and the relay's
    every-minute sweep publishes whatever was stored but never announced (a failed send, a crash
    between the write and the announcement)."""

    def announce(self, events: Sequence[JobEvent]) -> None: ...


class NoAnnouncer:
    """For writers without a relay queue (tests): the sweep finds their events."""

    def announce(self, events: Sequence[JobEvent]) -> None:
        return None


class EventStore(Protocol):
    """The outbox, as the relay and the admin API read it."""

    def get_many(self, event_ids: Sequence[str]) -> dict[str, StoredEvent]: ...

    def mark_published(self, event_id: str, now_ms: int) -> None: ...

    def unpublished(self, before_ms: int, limit: int) -> list[StoredEvent]:
        """Events stored before ``before_ms`` that the bus has not accepted yet, oldest first."""
        ...

    def recent(self, now_ms: int, limit: int) -> list[StoredEvent]:
        """The latest events, newest first."""
        ...


class EventBus(Protocol):
    def publish(self, events: Sequence[JobEvent]) -> set[str]:
        """Put the events on the bus; returns the ids of those it refused (to be tried again)."""
        ...


class Fanout(Protocol):
    """Hands events to the sellers' webhook endpoints that subscribed to them."""

    def fan_out(self, events: Sequence[JobEvent]) -> int:
        """Returns how many deliveries were queued."""
        ...


class RelayMessage(MessageBody):
    """A relay queue message: these stored events are waiting to be published."""

    event_ids: tuple[Annotated[str, Field(min_length=1)], ...] = Field(alias="eventIds", min_length=1)

    @property
    def not_before(self) -> int:
        return 0  # at once
