"""The original curl examples against the running stack, over real HTTP with real JWTs."""

from __future__ import annotations

import random
import uuid

import pytest

pytestmark = pytest.mark.e2e


def new_user(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def listing_ids(n: int) -> list[str]:
    start = random.randrange(100_000_000_000, 900_000_000_000)
    return [str(start + i) for i in range(n)]


def test_the_original_examples_answer_in_the_original_shapes(stack):
    user = new_user()
    stack.connect(user)
    single, *batch = listing_ids(4)

    queued = stack.call("POST", "/queue-promotion", user, {"listingId": single, "adRate": 5,
                                                          "campaignId": "151310691012"})
    batched = stack.call("POST", "/queue-promotion", user,
                         {"batch": [{"listingId": b, "adRate": 5 + i} for i, b in enumerate(batch)]})
    status = stack.call("GET", f"/promotion-status?jobId={queued.json()['jobId']}", user)
    stats = stack.call("GET", "/promotion-status", user)

    assert queued.status_code == 202
    # The original fields, and when the job is first tried.
    assert set(queued.json()) == {"success", "jobId", "message", "firstAttemptAt"}
    assert queued.json()["jobId"].startswith(f"{single}_")
    assert batched.status_code == 202
    # The original fields, and what a batch names besides: listings named twice, changed or being promoted.
    assert set(batched.json()) == {"success", "jobIds", "count", "message", "duplicates", "updated", "busy",
                                   "firstAttemptAt"}
    assert batched.json()["count"] == 3
    job = status.json()["job"]
    assert {"id", "userId", "listingId", "adRate", "attempts", "maxAttempts", "nextRetryAt", "createdAt",
            "lastError"} <= set(job)
    assert job["userId"] == user and job["listingId"] == single and job["adRate"] == 5
    assert {"total", "ready", "pending"} <= set(stats.json()["stats"])
    assert stats.json()["stats"]["total"] == 4


def forged(token: str) -> str:
    """A valid token with one character of its signature changed."""
    head, claims, signature = token.split(".")
    return ".".join([head, claims, signature[:10] + ("B" if signature[10] == "A" else "A") + signature[11:]])


@pytest.mark.parametrize(("header", "reason"), [
    (None, "the request has no Authorization header with a bearer token"),
    ("Token abc", "the Authorization header does not use the Bearer scheme"),
    ("forged", "the token's signature is invalid"),
    ("expired", "the token has expired"),
])
def test_without_a_token_or_with_a_bad_one_the_api_answers_401_and_says_why(stack, header, reason):
    tokens = {"forged": f"Bearer {forged(stack.token('mallory'))}",
              "expired": f"Bearer {stack.issuer.token('bob', now=0)}"}
    headers = {} if header is None else {"Authorization": tokens.get(header, header)}

    response = stack.call("GET", "/promotion-status", None, headers=headers)

    assert response.status_code == 401 and response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"] == f'Bearer scope="" error="invalid_token" error_description="{reason}"'


def test_bad_input_is_400_and_leaves_the_stats_unchanged(stack):
    user = new_user()
    before = stack.call("GET", "/promotions/stats", user).json()

    response = stack.call("POST", "/promotions", user, {"listingId": "12ab", "adRate": 500})

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"listingId", "adRate"}
    assert stack.call("GET", "/promotions/stats", user).json() == before


def test_another_users_job_is_404(stack):
    owner, other = new_user(), new_user()
    stack.connect(owner)
    job_id = stack.call("POST", "/promotions", owner, {"listingId": listing_ids(1)[0], "adRate": 5}).json()["jobId"]
    assert stack.call("GET", f"/promotions/{job_id}", other).status_code == 404
    assert stack.call("DELETE", f"/promotions/{job_id}", other).status_code == 404
    assert stack.call("GET", f"/promotions/{job_id}", owner).status_code == 200


def test_a_batch_of_25_all_end_succeeded_once_synced(stack):
    user = new_user("seller")
    stack.connect(user)
    listings = listing_ids(25)
    rng = random.Random(25)
    for listing in listings:
        stack.sandbox.publish_listing(user, listing, sync_delay_s=rng.uniform(60, 600))

    response = stack.call("POST", "/promotions", user, {"batch": [{"listingId": lid, "adRate": 5} for lid in listings]})
    job_ids = response.json()["jobIds"]

    stack.wait_for(lambda: stack.call("GET", "/promotions/stats", user).json()["stats"]["total"] == 0, timeout_s=90)
    jobs = [stack.call("GET", f"/promotions/{job_id}", user).json()["job"] for job_id in job_ids]
    assert [j["status"] for j in jobs] == ["succeeded"] * 25
    assert all(j["adId"] for j in jobs)
    ads = [a for a in stack.sandbox.ads() if a["seller"] == user]
    assert sorted(a["listingId"] for a in ads) == sorted(listings)
