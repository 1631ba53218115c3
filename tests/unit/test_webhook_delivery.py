"""WebhookDeliverer on a manual clock: signed attempts, the retry schedule, the dead-letter queue,
disabling an endpoint that keeps failing, stale and early messages, address re-checks."""

from __future__ import annotations

import itertools
import random

import pytest

from local.sandbox.webhook_receiver import verify
from sellerjobs.clock import ManualClock, now_ms
from sellerjobs.events.model import JobEvent
from sellerjobs.webhooks.addresses import EndpointPolicy
from sellerjobs.webhooks.delivery import WebhookDeliverer
from sellerjobs.webhooks.model import Delivery, DeliveryState, Webhook, WebhookStatus, message_for
from sellerjobs.webhooks.ports import Answer
from sellerjobs.webhooks.retry import DELAYS_S, RetrySchedule
from sellerjobs.webhooks.signing import new_secret
from tests.unit.webhook_fakes import (
    FakeResolver,
    InMemoryDeliveryStore,
    InMemoryWebhookStore,
    ListQueue,
    ScriptedSender,
)

URL = "https://hooks.example.com/sellerjobs"
PUBLIC = "93.184.215.14"


class World:
    def __init__(self, answers: list[Answer] | None = None) -> None:
        self.clock = ManualClock()
        self.hooks = InMemoryWebhookStore()
        self.deliveries = InMemoryDeliveryStore()
        self.queue = ListQueue()
        self.dead = ListQueue()
        self.sender = ScriptedSender(answers=answers or [Answer(status=204)])
        self.resolver = FakeResolver({"hooks.example.com": [PUBLIC]})
        self.secret = new_secret()
        self.deliverer = WebhookDeliverer(
            webhooks=self.hooks, deliveries=self.deliveries, queue=self.queue, dead_letters=self.dead,
            sender=self.sender, resolver=self.resolver, policy=EndpointPolicy(), clock=self.clock,
            schedule=RetrySchedule(jitter=0.0, rng=random.Random(0)))
        now = now_ms(self.clock)
        self.hook = Webhook(id="wh_1", user_id="alice", url=URL, events=("promotion.succeeded",),
                            status=WebhookStatus.ACTIVE, created_at=now, updated_at=now, secret=self.secret)
        self.hooks.create(self.hook, 10)

    def queue_event(self) -> Delivery:
        now = now_ms(self.clock)
        event = JobEvent.create("promotion.succeeded", ("promotion", "j", now), now, {"id": "j"}, ["alice"])
        delivery = Delivery(webhook_id="wh_1", user_id="alice", event_id=event.id, type=event.type, occurred_at=now,
                            body=event.body, state=DeliveryState.PENDING, created_at=now, updated_at=now,
                            next_attempt_at=now)
        self.deliveries.create(delivery)
        self.queue.send([message_for(delivery)])
        return delivery

    def run_due(self) -> None:
        """Deliver every queued message whose time has come (as SQS would), once."""
        due = [m for m in self.queue.take()]
        later = [m for m in due if m.not_before > now_ms(self.clock) + 1000]
        self.queue.sent += later
        ready = [m for m in due if m not in later]
        self.deliverer.process([(str(i), m) for i, m in enumerate(ready)])

    def until_quiet(self, max_s: float = 40 * 3600) -> None:
        """Let time run to each next message until none is left (or ``max_s`` passed)."""
        end = self.clock.now() + max_s
        while self.queue.sent and self.clock.now() < end:
            next_at = min(m.not_before for m in self.queue.sent) / 1000
            self.clock.set(max(self.clock.now(), min(next_at, end)))
            self.run_due()


def test_a_delivery_is_signed_sent_to_the_checked_address_and_recorded():
    world = World()
    delivery = world.queue_event()
    world.run_due()
    (sent,) = world.sender.sent
    assert sent.url == URL and sent.address == PUBLIC
    payload = verify(world.secret, sent.body.decode(), sent.headers, now=world.clock.now())
    assert payload["id"] == delivery.event_id == sent.headers["webhook-id"]
    stored = world.deliveries.only()
    assert stored.state is DeliveryState.DELIVERED and stored.attempts == 1 and stored.last_status == 204


def test_failed_attempts_follow_the_schedule_for_over_a_day_then_land_in_the_dead_letter_queue():
    world = World([Answer(status=500)])
    delivery = world.queue_event()
    attempts_at: list[float] = []
    world.sender.on_send = lambda sent: attempts_at.append(world.clock.now())
    start = world.clock.now()
    world.until_quiet()

    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    assert gaps == list(DELAYS_S)  # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
    assert attempts_at[-1] - start >= 24 * 3600
    assert {s.headers["webhook-id"] for s in world.sender.sent} == {delivery.event_id}
    stored = world.deliveries.only()
    assert stored.state is DeliveryState.FAILED and stored.attempts == 8 and stored.last_status == 500
    (dead,) = world.dead.sent
    assert dead.final and dead.event_id == delivery.event_id


def test_waits_longer_than_sqs_allows_come_back_early_and_are_sent_round_again():
    world = World([Answer(status=500)] * 4 + [Answer(status=204)])
    world.queue_event()
    world.until_quiet()
    assert world.deliveries.only().state is DeliveryState.DELIVERED
    assert len(world.sender.sent) == 5
    # Early copies were re-queued, not attempted: the 2 h wait came back after at most 15 minutes.
    world2 = World([Answer(status=500)])
    world2.queue_event()
    for _ in range(4):  # 4 attempts: the next wait is 2 h
        world2.clock.set(world2.queue.sent[0].not_before / 1000)
        world2.run_due()
    world2.clock.advance(900)
    world2.run_due()
    assert len(world2.sender.sent) == 4 and len(world2.queue.sent) == 1


def test_a_duplicate_message_starts_no_second_chain_of_retries():
    world = World([Answer(status=500)])
    world.queue_event()
    (message,) = world.queue.take()
    world.deliverer.process([("a", message), ("b", message)])
    assert len(world.sender.sent) == 1  # the second finds the attempt taken
    assert len(world.queue.sent) == 1 and world.deliveries.only().attempts == 1


def test_no_answer_within_the_timeout_is_a_failed_attempt():
    world = World([Answer(status=200)])
    world.sender.on_send = lambda sent: world.clock.advance(11)  # answers, but after 11 s
    world.queue_event()
    world.run_due()
    stored = world.deliveries.only()
    assert stored.state is DeliveryState.PENDING and stored.attempts == 1 and "within 10 s" in str(stored.last_error)


@pytest.mark.parametrize("status", [301, 302, 400, 404, 410, 503])
def test_anything_but_2xx_is_a_failed_attempt(status):
    world = World([Answer(status=status)])
    world.queue_event()
    world.run_due()
    assert world.deliveries.only().last_status == status and world.deliveries.only().state is DeliveryState.PENDING


def test_the_address_is_checked_again_at_delivery_after_dns():
    world = World()
    world.queue_event()
    world.resolver.names["hooks.example.com"] = ["169.254.169.254"]  # the name now points inside
    world.run_due()
    assert world.sender.sent == []
    stored = world.deliveries.only()
    assert stored.attempts == 1 and "169.254.169.254" in str(stored.last_error)


def test_an_endpoint_failing_everything_for_three_days_is_disabled_with_a_note():
    world = World([Answer(status=500)])
    world.queue_event()
    world.run_due()
    failing_since = world.hooks.hooks[("alice", "wh_1")].failing_since
    assert failing_since is not None
    world.clock.advance(3 * 86400)
    world.queue_event()  # a new event, three days on: still failing
    world.run_due()
    hook = world.hooks.hooks[("alice", "wh_1")]
    assert hook.status is WebhookStatus.DISABLED
    (note,) = world.deliveries.notes
    assert note.type == "webhook.disabled" and note.state is DeliveryState.NOTE and "3.0 days" in str(note.last_error)
    # Pending deliveries to it stop; nothing more is sent.
    sent = len(world.sender.sent)
    world.until_quiet()
    assert len(world.sender.sent) == sent


def test_a_success_clears_the_failure_record():
    world = World([Answer(status=500), Answer(status=204)])
    world.queue_event()
    world.until_quiet()
    assert world.hooks.hooks[("alice", "wh_1")].failing_since is None


def test_a_deleted_endpoint_gets_nothing_more():
    world = World()
    world.queue_event()
    world.hooks.delete("alice", "wh_1")
    world.run_due()
    assert world.sender.sent == [] and world.deliveries.only().state is DeliveryState.FAILED


def test_a_redriven_dead_letter_is_attempted_once_more():
    world = World([Answer(status=500)])
    world.queue_event()
    world.until_quiet()
    (dead,) = world.dead.take()
    world.sender.answers = [Answer(status=204)]
    world.deliverer.process([("redrive", dead)])
    assert world.deliveries.only().state is DeliveryState.DELIVERED


def test_out_of_time_messages_are_handed_on_not_started():
    world = World()
    world.queue_event()
    (message,) = world.queue.take()
    report = world.deliverer.process([("a", message)], time_left_s=12)
    assert report.handed_on == 1 and world.sender.sent == [] and world.queue.sent == [message]
