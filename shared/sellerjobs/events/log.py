"""What operators read: the latest job events, and whether the bus has accepted each."""

from __future__ import annotations

from dataclasses import dataclass

from sellerjobs.clock import Clock, now_ms
from sellerjobs.events.model import StoredEvent
from sellerjobs.events.ports import EventStore


@dataclass
class EventLog:
    store: EventStore
    clock: Clock

    def recent(self, limit: int) -> list[StoredEvent]:
        return self.store.recent(now_ms(self.clock), limit)
