"""WebhookService on in-memory fakes: registration checks, the per-seller limit, tenancy, rotation, tests."""

from __future__ import annotations

import pytest

from sellerjobs.clock import ManualClock
from sellerjobs.errors import Conflict, Invalid, NotFound
from sellerjobs.webhooks.addresses import EndpointPolicy
from sellerjobs.webhooks.model import DeliveryState, WebhookStatus
from sellerjobs.webhooks.ports import TooManyWebhooks
from sellerjobs.webhooks.service import WebhookService
from tests.unit.webhook_fakes import FakeResolver, InMemoryDeliveryStore, InMemoryWebhookStore, ListQueue

URL = "https://hooks.example.com/sellerjobs"
EVENTS = ["promotion.succeeded", "promotion.failed"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store() -> InMemoryWebhookStore:
    return InMemoryWebhookStore()


@pytest.fixture
def queue() -> ListQueue:
    return ListQueue()


@pytest.fixture
def service(store, queue, clock) -> WebhookService:
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14"], "internal.example.com": ["10.0.0.7"]})
    return WebhookService(store=store, deliveries=InMemoryDeliveryStore(), queue=queue, resolver=resolver,
                          policy=EndpointPolicy(), clock=clock)


def test_a_new_endpoint_is_active_and_its_secret_is_returned_once(service, store):
    hook = service.create("alice", URL, [*EVENTS, "promotion.failed"], "shop backend")
    assert hook.secret and hook.secret.startswith("whsec_") and hook.status is WebhookStatus.ACTIVE
    assert hook.events == ("promotion.succeeded", "promotion.failed")
    assert "secret" not in hook.to_api()
    assert service.get("alice", hook.id).secret is None  # reads never carry it


def test_a_name_resolving_to_a_private_address_is_refused_and_nothing_is_stored(service, store):
    with pytest.raises(Invalid) as refused:
        service.create("alice", "https://internal.example.com/hook", EVENTS)
    assert refused.value.field == "url" and "10.0.0.7" in str(refused.value)
    with pytest.raises(Invalid):
        service.create("alice", "https://nowhere.example.com/hook", EVENTS)
    assert store.hooks == {}


def test_a_seller_has_at_most_ten_endpoints(service):
    for _ in range(10):
        service.create("alice", URL, EVENTS)
    with pytest.raises(TooManyWebhooks) as refused:
        service.create("alice", URL, EVENTS)
    assert isinstance(refused.value, Conflict)
    service.create("bob", URL, EVENTS)  # others are not affected


def test_another_sellers_endpoint_does_not_exist_for_you(service):
    hook = service.create("alice", URL, EVENTS)
    for action in (lambda: service.get("bob", hook.id), lambda: service.delete("bob", hook.id),
                   lambda: service.rotate("bob", hook.id), lambda: service.recent_deliveries("bob", hook.id, 10),
                   lambda: service.send_test("bob", hook.id),
                   lambda: service.update("bob", hook.id, status=WebhookStatus.DISABLED)):
        with pytest.raises(NotFound):
            action()
    assert service.get("alice", hook.id).status is WebhookStatus.ACTIVE


def test_rotation_returns_a_new_secret_and_keeps_the_old_one_signing_for_a_day(service, store, clock):
    hook = service.create("alice", URL, EVENTS)
    rotated = service.rotate("alice", hook.id)
    assert rotated.secret and rotated.secret != hook.secret
    stored = store.get("alice", hook.id, with_secrets=True)
    assert stored is not None
    assert stored.signing_secrets(int(clock.now() * 1000)) == [rotated.secret, hook.secret]
    assert stored.previous_secret_until == int(clock.now() * 1000) + 86_400_000
    clock.advance(86_400)
    assert stored.signing_secrets(int(clock.now() * 1000)) == [rotated.secret]


def test_enabling_a_disabled_endpoint_clears_its_failure_record(service, store, clock):
    hook = service.create("alice", URL, EVENTS)
    store.note_failure("alice", hook.id, 1)
    assert store.disable("alice", hook.id, 2, 1)
    enabled = service.update("alice", hook.id, status=WebhookStatus.ACTIVE)
    assert enabled.status is WebhookStatus.ACTIVE and enabled.failing_since is None and enabled.disabled_at is None


def test_a_test_event_is_queued_for_that_endpoint_only(service, queue):
    hook = service.create("alice", URL, EVENTS)
    delivery = service.send_test("alice", hook.id)
    assert delivery.type == "webhook.test" and delivery.state is DeliveryState.PENDING
    (message,) = queue.sent
    assert message.webhook_id == hook.id and message.event_id == delivery.event_id
    service.update("alice", hook.id, status=WebhookStatus.DISABLED)
    with pytest.raises(Conflict):
        service.send_test("alice", hook.id)
