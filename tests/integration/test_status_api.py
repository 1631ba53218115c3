"""Reading jobs back: one job, stats, listing by status; always scoped to the caller."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.conftest import START

LISTING = "177681098666"


def queue(system, listing=LISTING, user="alice", **extra):
    system.ensure_connected(user)
    response = system.call("POST", "/promotions", user=user, body={"listingId": listing, "adRate": 5} | extra)
    assert response.status == 202, response.body
    return response.json()["jobId"]


def test_promotion_status_with_a_job_id_returns_the_job_in_the_original_shape(system):
    job_id = queue(system)

    response = system.call("GET", f"/promotion-status?jobId={job_id}")

    assert response.status == 200
    job = response.json()["job"]
    # The original fields, as they were, and the job's history beside them.
    assert set(job) == {"id", "userId", "listingId", "adRate", "campaignId", "status", "attempts", "maxAttempts",
                        "nextRetryAt", "createdAt", "updatedAt", "lastError", "adId", "priority", "history"}
    assert job["id"] == job_id and job["status"] == "pending"
    assert job["history"] == [{"at": job["createdAt"], "count": 1, "outcome": "queued",
                               "nextAttemptAt": job["nextRetryAt"]}]


@pytest.mark.parametrize("path", ["/promotion-status?jobId={id}", "/promotions/{id}"])
def test_another_users_job_is_not_found(system, path):
    job_id = queue(system, user="alice")
    response = system.call("GET", path.format(id=job_id), user="mallory")
    assert response.status == 404
    assert "not found" in response.json()["error"]


def test_an_unknown_job_is_not_found(system):
    assert system.call("GET", "/promotions/177681098666_1").status == 404


@pytest.mark.parametrize("path", ["/promotion-status", "/promotions/stats"])
def test_stats_count_ready_and_pending_jobs_of_the_caller_only(system, path):
    batch = [{"listingId": f"17768109866{i}", "adRate": 5} for i in range(2)]
    system.ensure_connected("alice")
    assert system.call("POST", "/promotions", body={"batch": batch}).status == 202
    system.clock.advance(10)
    queue(system, listing="177681098662")
    queue(system, listing="177681098669", user="bob")

    before = system.call("GET", path).json()["stats"]
    system.clock.advance(116)  # the batch is due at +120 s, the single at +130 s
    after = system.call("GET", path).json()["stats"]

    assert before == {"total": 3, "ready": 0, "pending": 3, "succeeded": 0, "failed": 0, "cancelled": 0}
    assert after == {"total": 3, "ready": 2, "pending": 1, "succeeded": 0, "failed": 0, "cancelled": 0}


def test_finished_jobs_are_counted_and_listed_by_status(system):
    system.connect("alice")
    system.publish("alice", "177681098660")
    system.publish("alice", "177681098661", never_syncs=True)
    done, doomed, cancelled = (queue(system, listing=f"17768109866{i}") for i in range(3))
    system.call("DELETE", f"/promotions/{cancelled}")

    system.sim.drain(max_seconds=3600)

    assert system.stats("alice") == {"total": 0, "ready": 0, "pending": 0, "succeeded": 1, "failed": 1,
                                     "cancelled": 1}
    for status, job_id in (("succeeded", done), ("failed", doomed), ("cancelled", cancelled)):
        listed = system.call("GET", f"/promotions?status={status}").json()
        assert [j["id"] for j in listed["jobs"]] == [job_id]
    failed = system.job("alice", doomed)
    assert failed["lastError"].startswith("listing not found after the sync window")


def test_listing_pages_through_with_a_cursor(system):
    ids = [queue(system, listing=f"1776810986{i:02d}") for i in range(7)]

    seen, cursor = [], None
    while True:
        query = "/promotions?status=pending&limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = system.call("GET", query).json()
        seen += [j["id"] for j in page["jobs"]]
        cursor = page["cursor"]
        if not cursor:
            break

    # Unfinished jobs come next-due first, which for a fresh queue is the order they were queued.
    assert seen == ids


def test_listing_without_status_returns_all_of_the_callers_jobs(system):
    ids = {queue(system, listing=f"1776810986{i:02d}") for i in range(3)}
    queue(system, listing="177681098699", user="bob")
    listed = system.call("GET", "/promotions").json()
    assert {j["id"] for j in listed["jobs"]} == ids


@pytest.mark.parametrize(("query", "field"), [
    ("status=done", "status"), ("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
    ("cursor=not-a-cursor", "cursor"),
])
def test_bad_listing_parameters_are_refused(system, query, field):
    response = system.call("GET", f"/promotions?{query}")
    assert response.status == 400
    assert response.json()["errors"][0]["field"] == field


def test_a_cursor_cannot_reach_into_another_users_jobs(system):
    for i in range(3):
        queue(system, listing=f"1776810986{i:02d}", user="bob")
    bobs_cursor = system.call("GET", "/promotions?status=pending&limit=1", user="bob").json()["cursor"]
    forged = json.loads(base64.urlsafe_b64decode(bobs_cursor))

    response = system.call("GET", f"/promotions?status=pending&cursor={bobs_cursor}", user="alice")
    assert forged["userStatus"]["S"].startswith("bob#")
    assert response.status == 400


def test_job_times_are_epoch_milliseconds(system):
    job = system.job("alice", queue(system))
    assert job["createdAt"] == int(START * 1000)
    assert job["nextRetryAt"] == int(START * 1000) + 120_000
