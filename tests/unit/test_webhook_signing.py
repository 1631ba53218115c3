"""Our Standard Webhooks signatures, checked with the ``standardwebhooks`` package (independent of ours)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from local.sandbox.webhook_receiver import verify
from sellerjobs.events.model import EventType, JobEvent
from sellerjobs.webhooks.model import Webhook as Endpoint
from sellerjobs.webhooks.model import WebhookStatus
from sellerjobs.webhooks.signing import SECRET_PREFIX, new_secret, signature, signed_headers

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
BODY = JobEvent.create(EventType.PROMOTION_SUCCEEDED.value, ("promotion", "job-1", 3), NOW * 1000,
                       {"id": "job-1", "status": "succeeded", "note": "ünïcode"}, ["alice"]).body


def test_a_secret_is_whsec_and_base64_of_random_bytes():
    secret = new_secret()
    assert secret.startswith(SECRET_PREFIX)
    assert len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) == 24
    assert new_secret() != secret


def test_our_signature_is_the_packages_signature():
    secret = new_secret()
    ours = signature(secret, "evt_1", NOW, BODY)
    theirs = Webhook(secret).sign("evt_1", datetime.fromtimestamp(NOW, UTC), BODY)
    assert ours == theirs


def test_the_package_verifies_a_delivery_and_returns_the_payload():
    secret = new_secret()
    headers = signed_headers([secret], "evt_1", NOW, BODY)
    assert verify(secret, BODY, headers, now=NOW + 30)["data"]["note"] == "ünïcode"


def test_a_changed_body_id_or_timestamp_does_not_verify():
    secret = new_secret()
    headers = signed_headers([secret], "evt_1", NOW, BODY)
    with pytest.raises(WebhookVerificationError):
        verify(secret, BODY.replace("succeeded", "failed"), headers, now=NOW)
    with pytest.raises(WebhookVerificationError):
        verify(secret, BODY, headers | {"webhook-id": "evt_2"}, now=NOW)
    with pytest.raises(WebhookVerificationError):
        verify(secret, BODY, headers | {"webhook-timestamp": str(NOW + 1)}, now=NOW)
    with pytest.raises(WebhookVerificationError):
        verify(new_secret(), BODY, headers, now=NOW)


def test_an_old_delivery_is_refused_after_five_minutes():
    secret = new_secret()
    headers = signed_headers([secret], "evt_1", NOW, BODY)
    assert verify(secret, BODY, headers, now=NOW + 299)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(secret, BODY, headers, now=NOW + 301)


def test_during_a_rotation_both_secrets_verify_and_after_it_only_the_new_one():
    old, new = new_secret(), new_secret()
    endpoint = Endpoint(id="wh_1", user_id="alice", url="https://example.com/h", events=("promotion.succeeded",),
                        status=WebhookStatus.ACTIVE, created_at=0, updated_at=0, secret=new, previous_secret=old,
                        previous_secret_until=(NOW + 86400) * 1000)
    during = signed_headers(endpoint.signing_secrets(NOW * 1000), "evt_1", NOW, BODY)
    assert len(during["webhook-signature"].split(" ")) == 2
    assert verify(old, BODY, during, now=NOW) and verify(new, BODY, during, now=NOW)

    after = NOW + 86400
    later = signed_headers(endpoint.signing_secrets(after * 1000), "evt_1", after, BODY)
    assert verify(new, BODY, later, now=after)
    with pytest.raises(WebhookVerificationError):
        verify(old, BODY, later, now=after)


def test_the_event_payload_has_the_contracted_fields_and_a_deterministic_id():
    event = JobEvent.create("promotion.failed", ("promotion", "job-1", 4), NOW * 1000 + 5, {"id": "job-1"}, ["alice"])
    assert event.payload == {"type": "promotion.failed", "id": event.id, "timestamp": "2026-01-01T00:00:00.005Z",
                             "data": {"id": "job-1"}}
    again = JobEvent.create("promotion.failed", ("promotion", "job-1", 4), NOW * 1000 + 9, {"id": "other"}, [])
    assert again.id == event.id and event.id.startswith("evt_")
    assert JobEvent.create("promotion.failed", ("promotion", "job-1", 5), NOW, {}, []).id != event.id
