"""POST /queue-promotion and POST /promotions: the original payloads, validation, dedupe."""

from __future__ import annotations

import json
import logging

import pytest

from tests.integration.conftest import START

LISTING = "177681098666"


@pytest.fixture(autouse=True)
def sellers(system):
    """Sellers with their eBay accounts connected: queueing needs one."""
    for user in ("alice", "bob"):
        system.connect(user)


def test_a_seller_without_an_ebay_account_is_refused_and_nothing_is_queued(system):
    response = system.call("POST", "/promotions", user="carol", body={"listingId": LISTING, "adRate": 5})

    assert response.status == 409
    assert "No eBay account is connected" in response.json()["error"]
    assert "PUT /ebay/credentials" in response.json()["error"]
    assert not [i for i in system.table_items() if i["pk"]["S"] == "USER#carol"]
    assert system.queued_messages() == 0
    connection = system.call("GET", "/ebay/connection", user="carol").json()["connection"]
    assert connection == {"status": "not_connected", "connected": False, "since": None,
                          "message": response.json()["error"]}


def test_a_seller_whose_authorisation_ebay_revoked_is_told_to_reconnect(system):
    # eBay refuses alice's refresh token at her job's first attempt (invalid_grant)...
    system.sandbox.revoke_refresh_token("alice")
    system.publish("alice", LISTING)
    job_id = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5}).json()["jobId"]
    system.sim.drain()
    assert "invalid_grant" in system.job("alice", job_id)["lastError"]

    # ...so her next request is refused at once, saying what to do, until she reconnects.
    refused = system.call("POST", "/promotions", body={"listingId": "177681098667", "adRate": 5})
    connection = system.call("GET", "/ebay/connection").json()["connection"]
    system.connect("alice")
    again = system.call("POST", "/promotions", body={"listingId": "177681098667", "adRate": 5})

    assert refused.status == 409 and "connect your eBay account again" in refused.json()["error"]
    assert connection["status"] == "revoked" and connection["connected"] is False
    assert again.status == 202
    assert system.call("GET", "/ebay/connection").json()["connection"]["status"] == "connected"


@pytest.mark.parametrize("path", ["/queue-promotion", "/promotions"])
def test_single_listing_is_queued_with_the_original_response(system, path):
    response = system.call("POST", path, body={"listingId": LISTING, "adRate": 5, "campaignId": "151310691012"})

    assert response.status == 202
    body = response.json()
    assert body["success"] is True
    assert body["jobId"] == f"{LISTING}_{int(START * 1000)}"
    assert body["message"].startswith("Promotion queued: first attempt at 2026-01-01T00:02:00Z (in 120 s)")
    assert body["firstAttemptAt"] == int(START * 1000) + 120_000
    job = system.job("alice", body["jobId"])
    assert job | {"updatedAt": None, "history": None} == {
        "id": body["jobId"], "userId": "alice", "listingId": LISTING, "adRate": 5, "campaignId": "151310691012",
        "status": "pending", "attempts": 0, "maxAttempts": 14, "nextRetryAt": int(START * 1000) + 120_000,
        "createdAt": int(START * 1000), "updatedAt": None, "lastError": None, "adId": None, "priority": "normal",
        "history": None}
    assert [entry["outcome"] for entry in job["history"]] == ["queued"]
    assert system.queued_messages() == 1


def test_a_batch_is_first_tried_together_and_the_answer_says_when(system):
    batch = [{"listingId": f"17768109866{i}", "adRate": 5 + i} for i in range(3)]

    response = system.call("POST", "/queue-promotion", body={"batch": batch, "priority": "high"})

    assert response.status == 202
    body = response.json()
    assert body["success"] is True and body["count"] == 3
    assert body["message"] == ("Queued 3 promotion jobs: first attempt at 2026-01-01T00:02:00Z (in 120 s); jobs "
                               "retry while eBay syncs new listings (usually 1-10 minutes).")
    now_ms = int(START * 1000)
    assert body["jobIds"] == [f"17768109866{i}_{now_ms + i}" for i in range(3)]
    jobs = [system.job("alice", job_id) for job_id in body["jobIds"]]
    # One bulk eBay call carries them all: they are due together.
    assert [job["nextRetryAt"] for job in jobs] == [now_ms + 120_000] * 3
    assert {job["priority"] for job in jobs} == {"high"}
    assert system.queued_messages() == 3


def test_a_listing_with_an_unfinished_job_gets_that_job_back(system):
    first = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5}).json()["jobId"]
    system.clock.advance(10)

    again = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5})
    in_batch = system.call("POST", "/promotions", body={"batch": [{"listingId": LISTING, "adRate": 5},
                                                                  {"listingId": "177681098667", "adRate": 5}]})

    assert again.status == 202 and again.json() == {
        "success": True, "jobId": first, "message": "This listing already has a promotion job in progress.",
        "firstAttemptAt": None}
    assert in_batch.json()["jobIds"][0] == first
    assert in_batch.json()["message"].startswith("Queued 1 promotion job: first attempt at ")
    assert in_batch.json()["message"].endswith(" 1 listing already had a promotion job in progress.")
    assert system.stats("alice")["total"] == 2
    assert system.queued_messages() == 2


def test_queueing_a_waiting_listing_with_another_rate_changes_its_job_and_says_so(system):
    first = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5}).json()["jobId"]
    system.clock.advance(10)

    again = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 7})

    assert again.status == 202 and again.json() == {
        "success": True, "jobId": first, "firstAttemptAt": None,
        "message": "This listing already had a waiting promotion job; it now uses the adRate and campaignId sent."}
    assert system.job("alice", first)["adRate"] == 7
    assert system.stats("alice")["total"] == 1


def test_the_new_rate_is_the_one_ebay_gets(system):
    # Given a waiting job whose rate the seller then changes
    system.connect("alice")
    system.publish("alice", LISTING)
    first = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5}).json()["jobId"]
    system.clock.advance(10)
    system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 8.5})

    # When its attempt runs (the first message is stale now, the second carries the new version)
    system.sim.run_for(120)

    # Then eBay created one ad, at the new rate
    assert system.job("alice", first)["status"] == "succeeded"
    [ad] = [ad for ad in system.sandbox.ads if ad["listingId"] == LISTING]
    assert ad["bidPercentage"] == "8.5"


def test_a_listing_being_attempted_keeps_its_rate_with_a_409(system):
    # Given a job whose attempt is due now (its message may be with the worker)
    first = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5}).json()["jobId"]
    system.clock.advance(120)

    response = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 7})

    assert response.status == 409
    assert response.json()["errors"][0]["field"] == "listingId"
    assert "is being promoted right now" in response.json()["error"]
    assert system.job("alice", first)["adRate"] == 5


@pytest.mark.parametrize(("coalesce", "status"), [("60", 409), ("0", 202)])
def test_a_job_the_worker_takes_along_keeps_its_rate_as_long_as_the_worker_would(system, monkeypatch, coalesce,
                                                                                 status):
    # Given two jobs of a seller, the second due 30 s after the first, which is due now
    system.reconfigure(PROMOTION_COALESCE_SECONDS=coalesce)
    system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5})
    system.clock.advance(30)
    second = system.call("POST", "/promotions", body={"listingId": "177681098667", "adRate": 5}).json()["jobId"]
    system.clock.advance(90)

    # When the second gets a new rate: the worker takes jobs due within PROMOTION_COALESCE_SECONDS along
    response = system.call("POST", "/promotions", body={"listingId": "177681098667", "adRate": 9})

    assert response.status == status
    assert system.job("alice", second)["adRate"] == (5 if status == 409 else 9)


def test_a_batch_reports_listings_being_attempted_and_queues_the_rest(system):
    first = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5}).json()["jobId"]
    system.clock.advance(120)

    response = system.call("POST", "/promotions", body={"batch": [{"listingId": LISTING, "adRate": 7},
                                                                  {"listingId": "177681098667", "adRate": 5}]})

    body = response.json()
    assert response.status == 202 and body["jobIds"][0] == first and body["busy"] == [LISTING]
    assert body["message"].startswith("Queued 1 promotion job: first attempt at ")
    assert body["message"].endswith(" 1 listing being promoted right now kept their adRate and campaignId; send "
                                    "them again in a minute to change them.")
    assert system.job("alice", first)["adRate"] == 5


def test_the_same_listing_twice_in_one_batch_is_one_job_counted_once(system):
    response = system.call("POST", "/promotions", body={"batch": [{"listingId": LISTING, "adRate": 5},
                                                                  {"listingId": "177681098667", "adRate": 5},
                                                                  {"listingId": LISTING, "adRate": 5}]})

    body = response.json()
    assert response.status == 202
    assert body["count"] == 2 and len(set(body["jobIds"])) == 2 and body["duplicates"] == [LISTING]
    assert body["message"] == ("Queued 2 promotion jobs: first attempt at 2026-01-01T00:02:00Z (in 120 s); jobs "
                               "retry while eBay syncs new listings (usually 1-10 minutes). 1 listing named more "
                               "than once counted once.")
    assert system.stats("alice")["total"] == 2


def test_another_seller_can_queue_the_same_listing_id(system):
    mine = system.call("POST", "/promotions", user="alice", body={"listingId": LISTING, "adRate": 5}).json()
    theirs = system.call("POST", "/promotions", user="bob", body={"listingId": LISTING, "adRate": 5}).json()
    assert system.job("alice", mine["jobId"])["userId"] == "alice"
    assert system.job("bob", theirs["jobId"])["userId"] == "bob"


def test_a_batch_of_500_is_accepted(system):
    batch = [{"listingId": str(100000000000 + i), "adRate": 5} for i in range(500)]
    response = system.call("POST", "/promotions", body={"batch": batch})
    assert response.status == 202
    assert response.json()["count"] == 500
    assert system.stats("alice")["pending"] == 500


BAD_BODIES = [
    ({"adRate": 5}, "listingId"),
    ({"listingId": "17768109866A", "adRate": 5}, "listingId"),
    ({"listingId": "12345", "adRate": 5}, "listingId"),
    ({"listingId": 177681098666, "adRate": 5}, "listingId"),
    ({"listingId": LISTING}, "adRate"),
    ({"listingId": LISTING, "adRate": 1.9}, "adRate"),
    ({"listingId": LISTING, "adRate": 100.1}, "adRate"),
    ({"listingId": LISTING, "adRate": 5.55}, "adRate"),
    ({"listingId": LISTING, "adRate": True}, "adRate"),
    ({"listingId": LISTING, "adRate": "five"}, "adRate"),
    ({"listingId": LISTING, "adRate": None}, "adRate"),
    ({"listingId": LISTING, "adRate": 5, "campaignId": "abc"}, "campaignId"),
    ({"listingId": LISTING, "adRate": 5, "priority": "urgent"}, "priority"),
    ({"batch": [{"listingId": LISTING, "adRate": 5}], "priority": 1}, "priority"),
    ({"batch": []}, "batch"),
    ({"batch": "nope"}, "batch"),
    ({"batch": [{"listingId": LISTING, "adRate": 5}, {"listingId": LISTING, "adRate": 500}]}, "batch[1].adRate"),
    ({"batch": [{"listingId": LISTING, "adRate": 5}, {"listingId": LISTING, "adRate": 6}]}, "batch"),
    ({"batch": [{"listingId": str(100000000000 + i), "adRate": 5} for i in range(501)]}, "batch"),
    ({"batch": [{"listingId": LISTING, "adRate": 5}], "extra": 1}, "extra"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(system, body, field):
    response = system.call("POST", "/promotions", body=body)

    assert response.status == 400, response.body
    error = response.json()
    assert error["success"] is False
    assert field in error["error"]
    assert any(e["field"] == field for e in error["errors"])
    assert system.table_items() == []
    assert system.queued_messages() == 0


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "\"text\"", ""])
def test_a_body_that_is_not_a_json_object_is_refused(system, raw):
    response = system.call("POST", "/queue-promotion", body=raw)
    assert response.status == 400
    assert response.json()["errors"][0]["field"] == "body"
    assert system.table_items() == []


def test_an_oversized_body_is_refused_with_413(system):
    padding = "x" * 70_000
    response = system.call("POST", "/promotions", body=json.dumps({"listingId": LISTING, "adRate": 5, "p": padding}))
    assert response.status == 413
    assert system.table_items() == []


def test_without_a_token_the_api_answers_401_and_runs_nothing(system):
    response = system.call("POST", "/promotions", user=None, body={"listingId": LISTING, "adRate": 5})
    assert response.status == 401
    assert system.table_items() == []


def test_a_body_that_is_not_utf8_is_refused_with_400(system):
    response = system.call("POST", "/queue-promotion", body=b"\xff\xfe\x00junk")
    assert response.status == 400
    assert response.json()["errors"][0]["field"] == "body"
    assert system.table_items() == []


def test_queueing_logs_one_line_per_job_with_its_listing(system, caplog):
    batch = [{"listingId": "177681098667", "adRate": 5}, {"listingId": "177681098668", "adRate": 5}]
    system.call("POST", "/promotions", body={"listingId": "177681098667", "adRate": 5})
    caplog.clear()

    with caplog.at_level(logging.INFO):
        job_ids = system.call("POST", "/promotions", body={"batch": batch}).json()["jobIds"]

    lines = [r for r in caplog.records if r.getMessage() in ("Promotion queued", "Promotion already queued")]
    assert [(r.getMessage(), r.job_id, r.listing_id, r.user_id, r.outcome) for r in lines] == [
        ("Promotion already queued", job_ids[0], "177681098667", "alice", "existing"),
        ("Promotion queued", job_ids[1], "177681098668", "alice", "created")]
