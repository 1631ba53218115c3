"""Sellers' webhook endpoints, for the local stack: ``POST /hooks/<name>`` on the sandbox.

Each named endpoint verifies every delivery's Standard Webhooks signature with the
``standardwebhooks`` package (an implementation independent of ours) against the secrets it was
told (``set_secrets``: the one POST /webhooks answered, both during a rotation), records what it
received, and answers 204 when the signature is valid, 401 when not. It can be told to fail for
a while (``fail``): answer 500, or hold the connection past the sender's timeout.

The package checks a delivery's timestamp against the wall clock; the sandbox runs on virtual or
sped-up time, so the timestamp is checked against the sandbox's clock instead, with the same
five minutes' tolerance. Everything else (headers, the signed content, every signature in the
header) is the package's own verification.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from sellerjobs.clock import Clock

PREFIX = "/hooks/"
TOLERANCE = timedelta(minutes=5)


class _ClockedWebhook(Webhook):
    """The package's verification, with the timestamp checked against ``now`` (see the module doc)."""

    def __init__(self, secret: str, now: float) -> None:
        super().__init__(secret)
        self._now = datetime.fromtimestamp(now, UTC)

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:  # overrides the private check
        try:
            timestamp = datetime.fromtimestamp(float(timestamp_header), tz=UTC)
        except (TypeError, ValueError, OverflowError):
            raise WebhookVerificationError("Invalid Signature Headers") from None
        if timestamp < self._now - TOLERANCE:
            raise WebhookVerificationError("Message timestamp too old")
        if timestamp > self._now + TOLERANCE:
            raise WebhookVerificationError("Message timestamp too new")
        return timestamp


def verify(secret: str, body: str, headers: dict[str, str], now: float) -> Any:
    """The payload if the delivery verifies with ``secret`` at clock time ``now``; raises otherwise."""
    return _ClockedWebhook(secret, now).verify(body, headers)


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    at: float  # the sandbox clock when it arrived
    answered: int | None  # None: held until the sender gave up
    valid: bool
    type: str | None = None
    event_id: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {"webhookId": self.webhook_id, "timestamp": self.timestamp, "at": self.at, "answered": self.answered,
                "valid": self.valid, "type": self.type, "eventId": self.event_id}


@dataclass
class Endpoint:
    secrets: list[str] = field(default_factory=list)
    fail_mode: str | None = None  # "500" or "timeout"
    fail_until: float = 0.0
    received: list[Received] = field(default_factory=list)


@dataclass
class WebhookReceiver:
    clock: Clock
    wait: Callable[[float], None]  # lets time pass: a real (scaled) sleep, or virtual time spent
    latency_s: Callable[[], float] = lambda: 0.0  # how long answering takes (modelled)
    hold_s: float = 15.0  # a "timeout" holds the connection this long: past the sender's 10 s
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_secrets(self, name: str, secrets: list[str]) -> None:
        with self._lock:
            self.endpoints.setdefault(name, Endpoint()).secrets = list(secrets)

    def fail(self, name: str, mode: str, seconds: float) -> None:
        """Answer 500 (``mode`` "500") or hold past the timeout ("timeout") for ``seconds``."""
        if mode not in ("500", "timeout"):
            raise ValueError("mode is 500 or timeout")
        with self._lock:
            endpoint = self.endpoints.setdefault(name, Endpoint())
            endpoint.fail_mode, endpoint.fail_until = mode, self.clock.now() + seconds

    def recover(self, name: str) -> None:
        with self._lock:
            endpoint = self.endpoints.setdefault(name, Endpoint())
            endpoint.fail_mode, endpoint.fail_until = None, 0.0

    def received(self, name: str) -> list[Received]:
        with self._lock:
            return list(self.endpoints.get(name, Endpoint()).received)

    def summary(self, name: str) -> dict[str, Any]:
        received = self.received(name)
        accepted = [r for r in received if r.answered is not None and 200 <= r.answered < 300]
        types: dict[str, int] = {}
        for r in accepted:
            types[r.type or "?"] = types.get(r.type or "?", 0) + 1
        return {"name": name, "received": len(received), "accepted": len(accepted),
                "valid": sum(1 for r in received if r.valid), "invalid": sum(1 for r in received if not r.valid),
                "distinctEvents": len({r.webhook_id for r in accepted}), "acceptedByType": types,
                "deliveries": [r.as_record() for r in received[-100:]]}

    def handle(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path[len(PREFIX):].strip("/")
        if request.method != "POST" or not name:
            return httpx.Response(405 if name else 404, json={"error": "POST /hooks/<name>"})
        latency = self.latency_s()
        if latency > 0:
            self.wait(latency)
        now = self.clock.now()
        body = request.content.decode(errors="replace")
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            endpoint = self.endpoints.setdefault(name, Endpoint())
            failing = endpoint.fail_mode if now < endpoint.fail_until else None
            secrets = list(endpoint.secrets)
        payload, valid = None, False
        for secret in secrets:
            try:
                payload, valid = verify(secret, body, headers, now), True
                break
            except (WebhookVerificationError, ValueError):
                continue
        if failing == "timeout":
            self.wait(self.hold_s)
        answered: int | None = 500 if failing == "500" else None if failing else (204 if valid else 401)
        record = Received(webhook_id=headers.get("webhook-id", ""), timestamp=headers.get("webhook-timestamp", ""),
                          at=now, answered=answered, valid=valid,
                          type=payload.get("type") if isinstance(payload, dict) else _type_of(body),
                          event_id=payload.get("id") if isinstance(payload, dict) else None)
        with self._lock:
            endpoint.received.append(record)
        if answered is None:
            # The sender has given up by now; what it would read is of no consequence.
            return httpx.Response(504, json={"error": "held past the sender's timeout"})
        if answered == 204:
            return httpx.Response(204)
        return httpx.Response(answered, json={"error": "signature does not verify" if answered == 401
                                              else "the receiver is failing on purpose"})


def _type_of(body: str) -> str | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value.get("type") if isinstance(value, dict) else None
