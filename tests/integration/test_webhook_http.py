"""The webhook sender over real HTTP, and a receiver that verifies with ``standardwebhooks`` as documented:
``Webhook(secret).verify(body, headers)``, nothing else.

This one test module signs with the system clock (the package checks timestamps against the wall
clock); what it asserts holds whatever the time is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from sellerjobs.clock import SystemClock
from sellerjobs.events.model import JobEvent
from sellerjobs.outbound.http import MAX_ANSWER_BYTES, HttpxWebhookSender, SocketResolver
from sellerjobs.webhooks.addresses import EndpointPolicy
from sellerjobs.webhooks.delivery import WebhookDeliverer
from sellerjobs.webhooks.model import Delivery, DeliveryState, WebhookStatus, message_for
from sellerjobs.webhooks.model import Webhook as Endpoint
from sellerjobs.webhooks.signing import new_secret
from tests.unit.webhook_fakes import InMemoryDeliveryStore, InMemoryWebhookStore, ListQueue


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = new_secret()
        self.verified: list[dict[str, object]] = []
        self.refused: list[str] = []
        self.paths: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.paths.append(self.path)
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/hook")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            self.server.verified.append(Webhook(self.server.secret).verify(body, dict(self.headers.items())))
            self.send_response(204)
        except WebhookVerificationError as exc:
            self.server.refused.append(str(exc))
            self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def deliver(receiver: Receiver, path: str, timeout_s: float = 10.0) -> Delivery:
    clock = SystemClock()
    hooks, deliveries, queue = InMemoryWebhookStore(), InMemoryDeliveryStore(), ListQueue()
    now = int(clock.now() * 1000)
    host, port = str(receiver.server_address[0]), int(receiver.server_address[1])
    hooks.create(Endpoint(id="wh_1", user_id="alice", url=f"http://{host}:{port}{path}", events=("x",),
                          status=WebhookStatus.ACTIVE, created_at=now, updated_at=now, secret=receiver.secret), 10)
    event = JobEvent.create("promotion.succeeded", ("promotion", "j", now), now, {"listing": "ünïcode"}, ["alice"])
    delivery = Delivery(webhook_id="wh_1", user_id="alice", event_id=event.id, type=event.type, occurred_at=now,
                        body=event.body, state=DeliveryState.PENDING, created_at=now, updated_at=now,
                        next_attempt_at=now)
    deliveries.create(delivery)
    deliverer = WebhookDeliverer(webhooks=hooks, deliveries=deliveries, queue=queue, dead_letters=ListQueue(),
                                 sender=HttpxWebhookSender(), resolver=SocketResolver(),
                                 policy=EndpointPolicy(allow_loopback=True), clock=clock, timeout_s=timeout_s)
    deliverer.process([("m", message_for(delivery))])
    return deliveries.only()


def test_the_package_verifies_a_real_delivery(receiver):
    delivered = deliver(receiver, "/hook")
    assert delivered.state is DeliveryState.DELIVERED and delivered.last_status == 204
    (payload,) = receiver.verified
    assert payload["type"] == "promotion.succeeded" and payload["data"] == {"listing": "ünïcode"}
    assert receiver.refused == []


def test_a_redirect_is_not_followed(receiver):
    delivered = deliver(receiver, "/moved")
    assert delivered.state is DeliveryState.PENDING and delivered.last_status == 302
    assert receiver.paths == ["/moved"]


def test_no_answer_within_the_timeout_is_a_failed_attempt(receiver):
    delivered = deliver(receiver, "/slow", timeout_s=0.5)
    assert delivered.state is DeliveryState.PENDING and delivered.last_status is None
    assert "0.5 s" in str(delivered.last_error)


def test_at_most_64_kib_of_an_answer_is_read():
    pulled: list[int] = []

    def endless() -> Iterator[bytes]:
        for _ in range(10_000):  # 160 MB if read to the end
            pulled.append(16_384)
            yield b"x" * 16_384

    sender = HttpxWebhookSender(client=httpx.Client(transport=httpx.MockTransport(
        lambda request: httpx.Response(200, content=endless())), follow_redirects=False))
    answer = sender.post("https://hooks.example.com/in", "93.184.215.14", {}, b"{}", 5.0)
    assert answer.status == 200
    assert sum(pulled) <= MAX_ANSWER_BYTES + 16_384


def test_the_request_goes_to_the_checked_address_under_the_original_name():
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    sender = HttpxWebhookSender(client=httpx.Client(transport=httpx.MockTransport(record)))
    sender.post("https://hooks.example.com:8443/in?x=1", "93.184.215.14", {"webhook-id": "evt_1"}, b"{}", 5.0)
    (request,) = seen
    assert request.url.host == "93.184.215.14" and request.url.port == 8443 and request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


def test_host_names_are_resolved_and_unknown_ones_resolve_to_nothing():
    resolver = SocketResolver()
    assert "127.0.0.1" in resolver.resolve("localhost", 80)
    assert resolver.resolve("93.184.215.14", 443) == ["93.184.215.14"]
    assert resolver.resolve("[::1]", 443) == ["::1"]
    assert resolver.resolve("no-such-host.invalid", 443) == []
