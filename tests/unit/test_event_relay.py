"""EventRelay and WebhookFanout on fakes: publish, fan out, mark; redeliveries, refusals, the sweeps."""

from __future__ import annotations

from sellerjobs.clock import ManualClock, now_ms
from sellerjobs.events.model import JobEvent
from sellerjobs.events.relay import EventRelay
from sellerjobs.webhooks.fanout import WebhookFanout
from sellerjobs.webhooks.model import DeliveryState, Webhook, WebhookStatus
from tests.unit.webhook_fakes import (
    InMemoryDeliveryStore,
    InMemoryEventStore,
    InMemoryWebhookStore,
    ListBus,
    ListFanout,
    ListQueue,
)


def event(clock: ManualClock, kind: str = "promotion.succeeded", sellers: tuple[str, ...] = ("alice",),
          n: int = 1) -> JobEvent:
    return JobEvent.create(kind, ("test", n), now_ms(clock), {"n": n}, sellers)


def relay_world():
    clock = ManualClock()
    store, bus, fanout = InMemoryEventStore(), ListBus(), ListFanout()
    return clock, store, bus, fanout, EventRelay(store=store, bus=bus, fanout=fanout, clock=clock)


def test_relay_publishes_fans_out_and_marks_then_skips_a_redelivery():
    clock, store, bus, fanout, relay = relay_world()
    first = event(clock)
    store.put(first)
    report = relay.relay([first.id, "evt_unknown"])
    assert report.published == 1 and report.missing == 1
    assert bus.published == [first] and fanout.fanned == [first]
    assert store.events[first.id].published_at == now_ms(clock)
    again = relay.relay([first.id])
    assert again.skipped == 1 and bus.published == [first]


def test_an_event_the_bus_refuses_stays_unpublished_and_unfanned():
    clock, store, bus, fanout, relay = relay_world()
    refused = event(clock)
    store.put(refused)
    bus.refuse = {refused.id}
    assert relay.relay([refused.id]).refused == {refused.id}
    assert fanout.fanned == [] and store.events[refused.id].published_at is None


def test_the_sweep_publishes_what_was_never_announced_once_it_is_a_minute_old():
    clock, store, bus, _, relay = relay_world()
    lost = event(clock)
    store.put(lost)
    clock.advance(30)
    assert relay.sweep().published == 0
    clock.advance(31)
    assert relay.sweep().published == 1 and bus.published == [lost]
    assert relay.sweep().published == 0


def fanout_world():
    clock = ManualClock()
    hooks, deliveries, queue = InMemoryWebhookStore(), InMemoryDeliveryStore(), ListQueue()
    now = now_ms(clock)
    for user, hook_id, events, status in (("alice", "wh_a1", ("promotion.succeeded",), WebhookStatus.ACTIVE),
                                          ("alice", "wh_a2", ("promotion.failed",), WebhookStatus.ACTIVE),
                                          ("alice", "wh_a3", ("promotion.succeeded",), WebhookStatus.DISABLED),
                                          ("bob", "wh_b1", ("market.price_updated",), WebhookStatus.ACTIVE),
                                          ("carol", "wh_c1", ("market.price_updated",), WebhookStatus.ACTIVE)):
        hooks.create(Webhook(id=hook_id, user_id=user, url="https://h.example.com", events=events, status=status,
                             created_at=now, updated_at=now, secret="whsec_AAAA"), 10)
    return clock, deliveries, queue, WebhookFanout(webhooks=hooks, deliveries=deliveries, queue=queue, clock=clock)


def test_an_event_goes_to_its_sellers_active_subscribed_endpoints_once():
    clock, deliveries, queue, fanout = fanout_world()
    succeeded = event(clock)
    price = event(clock, "market.price_updated", ("bob", "carol"), 2)
    assert fanout.fan_out([succeeded, price]) == 3
    assert sorted(m.webhook_id for m in queue.sent) == ["wh_a1", "wh_b1", "wh_c1"]
    assert fanout.fan_out([succeeded, price]) == 3  # not yet attempted: queued again, same deliveries
    assert len(deliveries.deliveries) == 3
    first = queue.sent[0]
    stored = deliveries.get(first.webhook_id, first.occurred_at, first.event_id)
    assert stored is not None
    deliveries.record(stored, stored.delivered(now_ms(clock), 204))
    queue.take()
    fanout.fan_out([succeeded, price])
    assert first.webhook_id not in {m.webhook_id for m in queue.sent}  # delivered: not again


def test_the_sweep_queues_again_a_delivery_whose_message_was_lost_and_not_every_minute():
    clock, deliveries, queue, fanout = fanout_world()
    queue.refuse = True
    fanout.fan_out([event(clock)])
    queue.refuse = False
    clock.advance(301)
    assert fanout.sweep() == 1 and len(queue.sent) == 1
    clock.advance(60)
    assert fanout.sweep() == 0
    (delivery,) = deliveries.deliveries.values()
    assert delivery.state is DeliveryState.PENDING and delivery.attempts == 0
