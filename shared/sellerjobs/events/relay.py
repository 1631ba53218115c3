"""The relay: publishes stored events to the EventBridge bus and hands them to sellers' webhooks.

Writers store each event in the same DynamoDB write as the state change it announces (the
outbox) and then tell the relay at once; the relay

1. reads the events (an event already published is skipped: this is a redelivery),
2. puts them on the bus (EventBridge takes ten per call; refused ones are tried again later),
3. creates a delivery for every active webhook endpoint subscribed to the event's type,
4. and only then marks the event published.

A crash anywhere before step 4 leaves the event unpublished: the message comes back, or the
every-minute sweep finds the event, and the steps run again with the same event id. The bus may
therefore see an event twice, never an event under a second id (operators' rules deduplicate on
``detail.id``); a second fan-out finds the deliveries it created the first time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger

from sellerjobs.clock import Clock, now_ms
from sellerjobs.events.model import JobEvent
from sellerjobs.events.ports import EventBus, EventStore, Fanout

logger = Logger(child=True)


@dataclass
class RelayReport:
    published: int = 0
    skipped: int = 0  # already published: a redelivered message
    missing: int = 0  # not in the outbox (expired, or a message that names none of ours)
    refused: set[str] = field(default_factory=set)  # the bus refused these: to be tried again
    deliveries: int = 0


@dataclass
class EventRelay:
    store: EventStore
    bus: EventBus
    fanout: Fanout
    clock: Clock
    sweep_after_s: float = 60.0  # an event not announced within this long is published by the sweep
    sweep_limit: int = 500

    def relay(self, event_ids: Sequence[str]) -> RelayReport:
        report = RelayReport()
        wanted = list(dict.fromkeys(event_ids))
        stored = self.store.get_many(wanted)
        report.missing = len(wanted) - len(stored)
        pending = [s.event for s in stored.values() if s.published_at is None]
        report.skipped = len(stored) - len(pending)
        self._publish(pending, report)
        return report

    def sweep(self) -> RelayReport:
        """Publish what was stored but never announced (or whose announcement failed)."""
        now = now_ms(self.clock)
        late = self.store.unpublished(now - int(self.sweep_after_s * 1000), self.sweep_limit)
        report = RelayReport()
        if late:
            logger.warning("Unpublished events found by the sweep", extra={
                "events": len(late), "oldest_ms": now - late[0].event.occurred_at})
        self._publish([s.event for s in late], report)
        return report

    def _publish(self, events: list[JobEvent], report: RelayReport) -> None:
        if not events:
            return
        report.refused = self.bus.publish(events)
        accepted = [e for e in events if e.id not in report.refused]
        report.deliveries = self.fanout.fan_out(accepted)
        now = now_ms(self.clock)
        for event in accepted:
            self.store.mark_published(event.id, now)
        report.published = len(accepted)
        if report.refused:
            logger.error("The event bus refused events; they are tried again", extra={
                "event_ids": sorted(report.refused)[:20]})
        logger.info(f"Relayed {report.published} events", extra={
            "published": report.published, "deliveries": report.deliveries, "refused": len(report.refused),
            "event_types": sorted({e.type for e in accepted})})
