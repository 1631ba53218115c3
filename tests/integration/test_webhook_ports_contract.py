"""The webhook and event ports held to one contract: the in-memory fakes and the DynamoDB adapters
(on moto, secrets sealed with a moto KMS key) must answer alike.

* ``WebhookStore``: endpoints scoped to their owner, at most ``max_per_user`` each, secrets only
  when asked, rotation keeping the previous secret for the overlap, the failure record kept from
  the first failure, disabling only what is still failing since the time the caller saw.
* ``DeliveryStore``: one delivery per (endpoint, event), attempts recorded with a guard on state
  and attempts, the latest listed newest first without bodies, the overdue oldest first.
* ``EventStore``: the outbox: each event stored once, published once, the unpublished oldest
  first, the recent newest first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from sellerjobs.aws.ebay_accounts import KmsSealer
from sellerjobs.aws.events import DynamoEventStore
from sellerjobs.aws.webhooks import DynamoDeliveryStore, DynamoWebhookStore
from sellerjobs.events.model import JobEvent, StoredEvent
from sellerjobs.webhooks.model import Delivery, DeliveryState, Webhook, WebhookStatus
from sellerjobs.webhooks.ports import TooManyWebhooks
from tests.integration.contracts import IMPLEMENTATIONS, implementation
from tests.unit.webhook_fakes import InMemoryDeliveryStore, InMemoryEventStore, InMemoryWebhookStore

NOW = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY = 86_400_000


# ---------------------------------------------------------------- webhook endpoints


@pytest.fixture(params=IMPLEMENTATIONS)
def hooks(request: pytest.FixtureRequest) -> Any:
    return implementation(request, InMemoryWebhookStore, lambda tables: DynamoWebhookStore(
        table=tables("EventsTable"), sealer=KmsSealer(tables.kms_key())))


def hook(webhook_id: str = "wh_1", user: str = "alice", at: int = NOW, secret: str = "whsec_first") -> Webhook:
    return Webhook(id=webhook_id, user_id=user, url=f"https://{user}.example.com/hooks", status=WebhookStatus.ACTIVE,
                   events=("promotion.succeeded", "promotion.failed"), created_at=at, updated_at=at,
                   description="orders", secret=secret)


def test_an_endpoint_reads_back_with_its_secret_only_when_asked(hooks):
    hooks.create(hook(), max_per_user=10)

    assert hooks.get("alice", "wh_1") == replace(hook(), secret=None)
    assert hooks.get("alice", "wh_1", with_secrets=True) == hook()


def test_another_users_endpoint_does_not_exist_for_them(hooks):
    hooks.create(hook(), max_per_user=10)

    assert hooks.get("bob", "wh_1") is None
    assert hooks.for_user("bob") == []
    assert hooks.update("bob", "wh_1", NOW, description="mine now") is None
    assert hooks.rotate("bob", "wh_1", "whsec_bob", NOW, 60_000) is None
    assert hooks.note_failure("bob", "wh_1", NOW) is None
    assert not hooks.disable("bob", "wh_1", NOW, NOW)
    assert not hooks.delete("bob", "wh_1")
    assert hooks.get("alice", "wh_1", with_secrets=True) == hook()


def test_a_user_has_at_most_the_limit_and_a_delete_frees_a_place(hooks):
    hooks.create(hook("wh_1"), max_per_user=2)
    hooks.create(hook("wh_2"), max_per_user=2)
    hooks.create(hook("wh_3", user="bob"), max_per_user=2)  # another user's count is their own

    with pytest.raises(TooManyWebhooks):
        hooks.create(hook("wh_4"), max_per_user=2)
    assert hooks.get("alice", "wh_4") is None

    assert hooks.delete("alice", "wh_1")
    hooks.create(hook("wh_4"), max_per_user=2)
    assert [h.id for h in hooks.for_user("alice")] == ["wh_2", "wh_4"]


def test_a_deleted_endpoint_is_gone_and_deleting_it_again_says_so(hooks):
    hooks.create(hook(), max_per_user=10)

    assert hooks.delete("alice", "wh_1")
    assert not hooks.delete("alice", "wh_1")
    assert hooks.get("alice", "wh_1") is None
    # The second delete did not count as freeing a place.
    hooks.create(hook("wh_2"), max_per_user=1)
    with pytest.raises(TooManyWebhooks):
        hooks.create(hook("wh_3"), max_per_user=1)


def test_a_users_endpoints_are_listed_oldest_first_without_secrets(hooks):
    hooks.create(hook("wh_b", at=NOW + 2), max_per_user=10)
    hooks.create(hook("wh_a", at=NOW + 1), max_per_user=10)
    hooks.create(hook("wh_c", at=NOW + 3), max_per_user=10)

    listed = hooks.for_user("alice")

    assert [h.id for h in listed] == ["wh_a", "wh_b", "wh_c"]
    assert {(h.secret, h.previous_secret) for h in listed} == {(None, None)}


def test_an_update_changes_only_what_is_given(hooks):
    hooks.create(hook(), max_per_user=10)

    updated = hooks.update("alice", "wh_1", NOW + 5, events=["promotion.cancelled"])
    assert updated == replace(hook(), secret=None, events=("promotion.cancelled",), updated_at=NOW + 5)

    updated = hooks.update("alice", "wh_1", NOW + 6, description="refunds")
    assert (updated.description, updated.events, updated.updated_at) == ("refunds", ("promotion.cancelled",), NOW + 6)
    assert hooks.get("alice", "wh_1") == updated
    assert hooks.update("alice", "wh_9", NOW + 7, description="x") is None


def test_disabling_keeps_the_first_time_and_enabling_clears_the_failure_record(hooks):
    hooks.create(hook(), max_per_user=10)
    hooks.note_failure("alice", "wh_1", NOW + 1)

    assert hooks.update("alice", "wh_1", NOW + 2, status=WebhookStatus.DISABLED).disabled_at == NOW + 2
    again = hooks.update("alice", "wh_1", NOW + 3, status=WebhookStatus.DISABLED)
    assert (again.status, again.disabled_at, again.failing_since) == (WebhookStatus.DISABLED, NOW + 2, NOW + 1)

    enabled = hooks.update("alice", "wh_1", NOW + 4, status=WebhookStatus.ACTIVE)
    assert (enabled.status, enabled.disabled_at, enabled.failing_since) == (WebhookStatus.ACTIVE, None, None)


def test_a_rotation_keeps_the_previous_secret_for_the_overlap(hooks):
    hooks.create(hook(), max_per_user=10)

    rotated = hooks.rotate("alice", "wh_1", "whsec_second", NOW + 10, 3_600_000)

    assert rotated == replace(hook(), secret="whsec_second", previous_secret_until=NOW + 10 + 3_600_000,
                              updated_at=NOW + 10)
    stored = hooks.get("alice", "wh_1", with_secrets=True)
    assert (stored.secret, stored.previous_secret, stored.previous_secret_until) == (
        "whsec_second", "whsec_first", NOW + 3_600_010)
    assert hooks.get("alice", "wh_1").previous_secret is None
    # A second rotation makes the second secret the previous one.
    hooks.rotate("alice", "wh_1", "whsec_third", NOW + 20, 1_000)
    stored = hooks.get("alice", "wh_1", with_secrets=True)
    assert (stored.secret, stored.previous_secret) == ("whsec_third", "whsec_second")


def test_the_failure_record_keeps_the_first_failure_until_a_success(hooks):
    hooks.create(hook(), max_per_user=10)

    assert hooks.note_failure("alice", "wh_1", NOW + 1) == NOW + 1
    assert hooks.note_failure("alice", "wh_1", NOW + 2) == NOW + 1
    hooks.note_success("alice", "wh_1")
    assert hooks.get("alice", "wh_1").failing_since is None
    assert hooks.note_failure("alice", "wh_1", NOW + 3) == NOW + 3
    assert hooks.note_failure("alice", "wh_9", NOW + 3) is None
    hooks.note_success("alice", "wh_9")  # gone: nothing to clear, no error


def test_disable_acts_only_on_an_active_endpoint_still_failing_since_then(hooks):
    hooks.create(hook(), max_per_user=10)
    since = hooks.note_failure("alice", "wh_1", NOW + 1)

    assert not hooks.disable("alice", "wh_1", NOW + 5, since + 1)  # it has failed since another time
    assert hooks.disable("alice", "wh_1", NOW + 5, since)
    assert not hooks.disable("alice", "wh_1", NOW + 6, since)  # once

    stored = hooks.get("alice", "wh_1")
    assert (stored.status, stored.disabled_at, stored.updated_at) == (WebhookStatus.DISABLED, NOW + 5, NOW + 5)


def test_an_endpoint_that_recovered_is_not_disabled(hooks):
    hooks.create(hook(), max_per_user=10)
    since = hooks.note_failure("alice", "wh_1", NOW + 1)
    hooks.note_success("alice", "wh_1")

    assert not hooks.disable("alice", "wh_1", NOW + 5, since)
    assert hooks.get("alice", "wh_1").status is WebhookStatus.ACTIVE


# ---------------------------------------------------------------- deliveries


@pytest.fixture(params=IMPLEMENTATIONS)
def deliveries(request: pytest.FixtureRequest) -> Any:
    return implementation(request, InMemoryDeliveryStore, lambda tables: DynamoDeliveryStore(tables("EventsTable")))


def delivery(event_id: str = "evt_1", occurred_at: int = NOW, webhook_id: str = "wh_1",
             due: int | None = NOW) -> Delivery:
    return Delivery(webhook_id=webhook_id, user_id="alice", event_id=event_id, type="promotion.succeeded",
                    occurred_at=occurred_at, body=f'{{"id":"{event_id}"}}', state=DeliveryState.PENDING,
                    created_at=occurred_at, updated_at=occurred_at, next_attempt_at=due)


def test_a_delivery_is_stored_once_per_endpoint_and_event(deliveries):
    first = delivery()

    assert deliveries.create(first) is None
    assert deliveries.create(replace(first, body="another copy")) == first
    assert deliveries.create(delivery(webhook_id="wh_2")) is None  # another endpoint: its own delivery
    assert deliveries.get("wh_1", NOW, "evt_1") == first
    assert deliveries.get("wh_1", NOW + 1, "evt_1") is None


def test_an_attempt_is_recorded_only_over_the_delivery_it_was_made_on(deliveries):
    first = delivery()
    deliveries.create(first)
    retry = first.retry_at(NOW + 1, NOW + 60_000, 503, "HTTP 503")

    assert deliveries.record(first, retry)
    # A duplicate message made the same attempt on the same delivery: refused.
    assert not deliveries.record(first, first.delivered(NOW + 2, 204))
    assert deliveries.get("wh_1", NOW, "evt_1") == retry

    done = retry.delivered(NOW + 60_001, 204)
    assert deliveries.record(retry, done)
    assert not deliveries.record(retry, retry.given_up(NOW + 60_002, None, "timeout"))
    assert deliveries.get("wh_1", NOW, "evt_1") == done


def test_recording_a_delivery_never_created_is_refused(deliveries):
    assert not deliveries.record(delivery(), delivery().delivered(NOW + 1, 204))
    assert deliveries.get("wh_1", NOW, "evt_1") is None


def test_the_latest_are_listed_newest_first_without_bodies(deliveries):
    for i in range(4):
        deliveries.create(delivery(f"evt_{i}", occurred_at=NOW + i * 1000))
    deliveries.create(delivery("evt_other", webhook_id="wh_2"))
    note = Delivery(webhook_id="wh_1", user_id="alice", event_id="note_disabled", type="webhook.disabled",
                    occurred_at=NOW + 1500, body="", state=DeliveryState.NOTE, created_at=NOW + 1500,
                    updated_at=NOW + 1500, last_error="failing for 3 days")
    deliveries.note(note)

    listed = deliveries.recent("wh_1", 3)

    assert [d.event_id for d in listed] == ["evt_3", "evt_2", "note_disabled"]
    assert listed[0] == replace(delivery("evt_3", occurred_at=NOW + 3000), body="")
    assert listed[2] == note


def test_overdue_are_pending_deliveries_due_before_then_oldest_first(deliveries):
    for i, due in enumerate([NOW + 3000, NOW + 1000, NOW + 2000, NOW + 9000]):
        deliveries.create(delivery(f"evt_{i}", occurred_at=NOW + i, due=due))
    done = delivery("evt_done", due=NOW)
    deliveries.create(done)
    deliveries.record(done, done.delivered(NOW + 1, 204))

    late = deliveries.overdue(NOW + 5000, 2)

    assert [d.event_id for d in late] == ["evt_1", "evt_2"]
    assert late[0] == delivery("evt_1", occurred_at=NOW + 1, due=NOW + 1000)
    assert [d.event_id for d in deliveries.overdue(NOW + 5000, 10)] == ["evt_1", "evt_2", "evt_0"]
    assert deliveries.overdue(NOW + 1000, 10) == []  # due *before* the time


def test_a_pending_delivery_without_an_attempt_time_is_not_overdue(deliveries):
    deliveries.create(delivery(due=None))

    assert deliveries.overdue(NOW + DAY, 10) == []


# ---------------------------------------------------------------- the event outbox


@pytest.fixture(params=IMPLEMENTATIONS)
def outbox(request: pytest.FixtureRequest) -> Any:
    return implementation(request, InMemoryEventStore, lambda tables: DynamoEventStore(tables("EventsTable")))


def event(n: int, at: int = NOW, sellers: tuple[str, ...] = ("alice",)) -> JobEvent:
    return JobEvent.create("promotion.succeeded", ["job", n], at, {"jobId": f"job-{n}"}, sellers)


def test_an_event_is_stored_once(outbox):
    first = event(1, sellers=("alice", "bob"))

    assert outbox.put(first)
    assert not outbox.put(replace(first, body="{}"))

    assert outbox.get_many([first.id]) == {first.id: StoredEvent(first)}


def test_get_many_answers_the_events_it_has(outbox):
    one, two = event(1), event(2)
    outbox.put(one)
    outbox.put(two)

    assert outbox.get_many([two.id, "evt_missing", two.id]) == {two.id: StoredEvent(two)}
    assert outbox.get_many([]) == {}


def test_an_event_is_published_once_at_the_first_time(outbox):
    first = event(1)
    outbox.put(first)

    outbox.mark_published(first.id, NOW + 5)
    outbox.mark_published(first.id, NOW + 9)
    outbox.mark_published("evt_missing", NOW + 9)  # expired meanwhile: nothing to mark

    assert outbox.get_many([first.id, "evt_missing"]) == {first.id: StoredEvent(first, NOW + 5)}


def test_the_unpublished_come_oldest_first_before_a_time(outbox):
    events = [event(i, at=NOW + at) for i, at in enumerate([3000, 1000, 2000, 4000, 500])]
    for each in events:
        outbox.put(each)
    outbox.mark_published(events[4].id, NOW + 600)

    assert [s.event.id for s in outbox.unpublished(NOW + 3500, 10)] == [events[i].id for i in (1, 2, 0)]
    assert [s.event.id for s in outbox.unpublished(NOW + 3500, 2)] == [events[i].id for i in (1, 2)]
    assert outbox.unpublished(NOW + 1000, 10) == []  # stored *before* the time


def test_the_recent_come_newest_first_over_the_days_kept(outbox):
    now = NOW + 10 * DAY
    at = {"today": now - 1000, "yesterday": now - DAY, "a week ago": now - 7 * DAY,
          "expired": now - 9 * DAY, "earlier today": now - 5000}
    stored = {name: event(i, at=when) for i, (name, when) in enumerate(at.items())}
    for each in stored.values():
        outbox.put(each)
    outbox.mark_published(stored["yesterday"].id, now)

    recent = outbox.recent(now, 10)

    assert [s.event for s in recent] == [stored[n] for n in ("today", "earlier today", "yesterday", "a week ago")]
    assert recent[2] == StoredEvent(stored["yesterday"], now)
    assert [s.event for s in outbox.recent(now, 2)] == [stored["today"], stored["earlier today"]]
