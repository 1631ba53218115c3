"""Idempotency-Key on POST and PUT: a retried request answers its first answer and does nothing again."""

from __future__ import annotations

import threading
import time
from http import HTTPStatus
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import Response

from sellerjobs.api import ApiError
from sellerjobs.api.idempotency import EXPIRES_AFTER_S, run_once
from sellerjobs.aws import clients
from sellerjobs.environment import running_in

LISTING = "177681098666"
KEY = {"Idempotency-Key": "3f0c7a52-9d1e-4b57-8f0e-6a2d4c1b9e77"}
FETCH = {"marketplaceId": "EBAY_US", "parentCategoryId": "26395", "maxCategories": 3}


@pytest.fixture(autouse=True)
def sellers(system):
    """alice and bob have their eBay accounts connected: queueing a promotion needs one."""
    for user in ("alice", "bob"):
        system.connect(user)


def post(system, path: str, body: Any, user: str = "alice", headers: dict[str, str] | None = None):
    return system.call("POST", path, user=user, body=body, headers=KEY if headers is None else headers)


def records(system) -> list[dict[str, Any]]:
    return list(clients.dynamodb().scan(TableName=system.stack.table_name("IdempotencyTable"))["Items"])


def test_the_same_request_again_answers_the_first_answer_and_does_nothing(system):
    first = post(system, "/promotions", {"listingId": LISTING, "adRate": 5})
    system.clock.advance(30)

    again = post(system, "/promotions", {"adRate": 5, "listingId": LISTING})  # the same JSON, other key order

    assert first.status == again.status == 202
    assert again.json() == first.json()
    assert first.json()["message"].startswith("Promotion queued: first attempt at ")
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert system.stats("alice")["total"] == 1 and system.queued_messages() == 1


def test_without_the_header_a_request_runs_as_always(system):
    first = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5})
    again = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5})

    assert again.json()["jobId"] == first.json()["jobId"]
    assert again.json()["message"] == "This listing already has a promotion job in progress."
    assert records(system) == []


def test_the_same_key_with_another_body_is_a_422_naming_the_header(system):
    post(system, "/promotions", {"listingId": LISTING, "adRate": 5})

    response = post(system, "/promotions", {"listingId": LISTING, "adRate": 7})

    assert response.status == 422
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert system.job("alice", system.call("GET", "/promotions").json()["jobs"][0]["id"])["adRate"] == 5


def test_the_same_key_on_another_route_is_a_422(system):
    post(system, "/promotions", {"listingId": LISTING, "adRate": 5})

    response = post(system, "/market/jobs", {"provider": "stockx", "sku": "DD1391-100"})

    assert response.status == 422
    assert system.call("GET", "/market/jobs").json()["jobs"] == []


def test_keys_belong_to_their_user(system):
    mine = post(system, "/promotions", {"listingId": LISTING, "adRate": 5}, user="alice")
    theirs = post(system, "/promotions", {"listingId": LISTING, "adRate": 5}, user="bob")

    assert theirs.status == 202 and "idempotent-replayed" not in theirs.headers
    assert system.job("bob", theirs.json()["jobId"])["userId"] == "bob"
    assert system.job("alice", mine.json()["jobId"])["userId"] == "alice"
    assert system.stats("alice")["total"] == system.stats("bob")["total"] == 1


def test_a_refused_request_is_not_remembered(system):
    refused = post(system, "/promotions", {"listingId": "12", "adRate": 5})

    corrected = post(system, "/promotions", {"listingId": LISTING, "adRate": 5})

    assert refused.status == 400 and corrected.status == 202
    assert system.stats("alice")["total"] == 1


@pytest.mark.parametrize("value", ["", "x" * 256, "clé"])
def test_a_bad_key_is_a_400_naming_the_header_and_nothing_is_written(system, value):
    response = post(system, "/promotions", {"listingId": LISTING, "adRate": 5},
                    headers={"Idempotency-Key": value})

    assert response.status == 400
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert system.stats("alice")["total"] == 0 and records(system) == []


def test_a_retried_category_fetch_starts_no_second_fetch_and_spends_no_ebay_calls(system):
    first = post(system, "/category-fetches", FETCH)
    calls = sum(system.sandbox.call_counts("ebay").values())

    again = post(system, "/category-fetches", FETCH)

    assert again.status == first.status == 202 and again.json() == first.json()
    assert sum(system.sandbox.call_counts("ebay").values()) == calls
    assert system.call("GET", "/category-fetches").json()["count"] == 1


def test_every_post_and_put_honours_the_key(system):
    job_id = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5}).json()["jobId"]
    requests = [("PUT", "/ebay/credentials", {"refreshToken": "refresh-token-of-alice-0123456789"}, False),
                ("POST", f"/promotions/{job_id}/retry", None, False),
                ("POST", "/market/refresh", {"provider": "alias", "items": [{"sku": "A1"}]}, False),
                ("POST", "/market/scheduler/run", None, True),
                ("POST", "/market/jobs/reset-failed", None, True),
                ("POST", "/promotions/retry", {"reason": "sync window"}, False),
                ("POST", "/admin/promotions/retry", {"limit": 10}, True),
                ("POST", "/admin/promotions/cancel", {"seller": "bob"}, True),
                ("POST", "/admin/queues/market/pause", {"reason": "provider outage"}, True),
                ("POST", "/admin/queues/market/resume", None, True),
                ("POST", "/webhooks", {"url": f"{system.virtual.sandbox_url}/hooks/alice",
                                       "events": ["promotion.failed"]}, False)]
    for number, (method, path, body, admin) in enumerate(requests):
        headers = {"Idempotency-Key": f"request-{number}"}
        first = system.call(method, path, body=body, admin=admin, headers=headers)
        again = system.call(method, path, body=body, admin=admin, headers=headers)
        if first.status < 300:
            assert again.headers.get("idempotent-replayed") == "true", path
            assert (again.status, again.json()) == (first.status, first.json()), path
        else:  # retrying a job that has not failed is refused, and a refusal is not kept
            assert again.status == first.status and "idempotent-replayed" not in again.headers, path


def test_a_retried_webhook_registration_makes_one_endpoint_and_keeps_no_secret_with_the_answer(system):
    body = {"url": f"{system.virtual.sandbox_url}/hooks/alice", "events": ["promotion.succeeded"]}
    first = post(system, "/webhooks", body)

    again = post(system, "/webhooks", body)

    assert first.status == again.status == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and first.json()["secret"].startswith("whsec_")
    assert len(system.call("GET", "/webhooks").json()["webhooks"]) == 1
    # The answer is kept without its secret: a replay opens the endpoint's sealed copy instead.
    assert first.json()["secret"] not in str(records(system)) and records(system)


def test_a_replayed_registration_after_a_rotation_shows_the_secret_that_signs_now(system):
    body = {"url": f"{system.virtual.sandbox_url}/hooks/alice", "events": ["promotion.succeeded"]}
    hook = post(system, "/webhooks", body).json()
    rotated = post(system, f"/webhooks/{hook['id']}/rotate-secret", None,
                   headers={"Idempotency-Key": "rotate-1"}).json()

    again = post(system, "/webhooks", body)
    rotated_again = post(system, f"/webhooks/{hook['id']}/rotate-secret", None, headers={"Idempotency-Key": "rotate-1"})

    assert rotated["secret"] != hook["secret"]
    assert again.json()["secret"] == rotated_again.json()["secret"] == rotated["secret"]
    assert rotated_again.json()["previousSecretExpiresAt"] == rotated["previousSecretExpiresAt"]  # no second rotation
    assert hook["secret"] not in str(records(system)) and rotated["secret"] not in str(records(system))


def test_a_key_is_kept_for_24_hours_then_names_a_new_request(system):
    before = time.time()
    post(system, "/promotions", {"listingId": LISTING, "adRate": 5})
    after = time.time()

    [record] = records(system)
    expires = int(record["expiration"]["N"])
    assert before + EXPIRES_AFTER_S - 1 <= expires <= after + EXPIRES_AFTER_S + 1
    assert EXPIRES_AFTER_S == 24 * 3600

    # A day later (the record's expiry is past), the key is a new request again.
    clients.dynamodb().update_item(TableName=system.stack.table_name("IdempotencyTable"), Key={"id": record["id"]},
                                   UpdateExpression="SET expiration = :past",
                                   ExpressionAttributeValues={":past": {"N": str(int(before) - 1)}})
    again = post(system, "/promotions", {"listingId": LISTING, "adRate": 5})
    assert "idempotent-replayed" not in again.headers
    assert again.json()["message"] == "This listing already has a promotion job in progress."


# ---------------------------------------------------------------- two at once


class _Context:
    """The part of Lambda's context the in-progress expiry reads."""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def test_a_request_still_in_progress_is_a_409_and_runs_once(system):
    # Deterministic interleaving: the first request holds inside its action while the second arrives.
    request = {"user": "alice", "key": "k-1", "route": "POST /promotions", "body": {"listingId": LISTING}}
    inside, release = threading.Event(), threading.Event()
    side_effects: list[str] = []
    answers: list[Response[Any]] = []

    def first_action() -> Response[Any]:
        side_effects.append("first")
        inside.set()
        assert release.wait(10)
        return Response(status_code=202, content_type="application/json", body={"done": 1})

    def second_action() -> Response[Any]:
        side_effects.append("second")
        return Response(status_code=202, content_type="application/json", body={"done": 2})

    # Run as the queueing function runs: its settings (the idempotency table), in each thread.
    environment = system.virtual.environments["QueuePromotionFunction"]

    def once(action: Any) -> Response[Any]:
        with running_in(environment):
            return run_once(request, action, _Context())

    first = threading.Thread(target=lambda: answers.append(once(first_action)))
    first.start()
    assert inside.wait(10)

    with pytest.raises(ApiError) as caught:
        once(second_action)
    release.set()
    first.join(10)
    replay = once(second_action)

    assert caught.value.status == HTTPStatus.CONFLICT and caught.value.errors[0][0] == "Idempotency-Key"
    assert "still in progress" in caught.value.message
    assert side_effects == ["first"]
    assert answers[0].body == replay.body == {"done": 1}


def test_concurrent_requests_with_one_key_start_one_fetch(system):
    answers: list[Any] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        answers.append(post(system, "/category-fetches", FETCH))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # One ran; the other either waited for it and got its answer, or found it in progress (409).
    assert sorted(a.status for a in answers) in ([202, 202], [202, 409])
    assert len({a.json()["jobId"] for a in answers if a.status == 202}) == 1
    assert system.call("GET", "/category-fetches").json()["count"] == 1
