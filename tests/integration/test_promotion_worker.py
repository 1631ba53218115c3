"""The worker against the marketplace sandbox, in virtual time: retries, duplicates, crashes, storms."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from local.capacity import CostModel
from local.virtual import virtual_stack
from sellerjobs.aws import clients
from tests.integration.conftest import System

MINUTE = 60.0


def queue(system, listing, user="alice", **extra):
    response = system.call("POST", "/promotions", user=user, body={"listingId": listing, "adRate": 5} | extra)
    assert response.status == 202, response.body
    return response.json()["jobId"]


def queue_batch(system, listings, user="alice"):
    response = system.call("POST", "/promotions", user=user,
                           body={"batch": [{"listingId": lid, "adRate": 5} for lid in listings]})
    assert response.status == 202, response.body
    return response.json()["jobIds"]


def ad_calls(system):
    return [c for c in system.sandbox.calls if c["operation"] == "bulk_create_ads_by_listing_id"]


def test_a_job_retries_through_the_sync_delay_then_succeeds(system):
    campaign = system.connect("alice")
    system.publish("alice", "177681098666", sync_delay_s=4.5 * MINUTE)
    job_id = queue(system, "177681098666")

    system.sim.drain()

    job = system.job("alice", job_id)
    ads = [a for a in system.sandbox.ads if a["listingId"] == "177681098666"]
    assert job["status"] == "succeeded"
    assert job["adId"] == ads[0]["adId"] and ads[0]["campaignId"] == campaign
    # Polled every minute from +2 min: refused at 2, 3, 4 min, created at 5 min.
    assert job["attempts"] == 4
    assert job["lastError"] is None
    created_at = system.sandbox.listing_synced_at("177681098666")
    assert created_at is not None and ads[0]["createdAt"] - created_at <= MINUTE + 5


def test_a_batch_of_25_with_sync_delays_all_succeed_in_few_bulk_calls(system):
    system.connect("alice")
    rng = random.Random(3)
    listings = [str(177681098600 + i) for i in range(25)]
    for listing in listings:
        system.publish("alice", listing, sync_delay_s=rng.uniform(1, 10) * MINUTE)
    job_ids = queue_batch(system, listings)

    system.sim.drain()

    jobs = [system.job("alice", job_id) for job_id in job_ids]
    assert [j["status"] for j in jobs] == ["succeeded"] * 25
    assert all(system.sandbox.ad_creations_for(listing) == 1 for listing in listings)
    attempts = sum(j["attempts"] for j in jobs)
    # Listings due together share one bulk call, so calls are fewer than attempts.
    assert len(ad_calls(system)) < attempts
    assert max(len(c["listing_ids"]) for c in ad_calls(system)) > 1


def test_the_exponential_policy_follows_the_original_schedule(system, monkeypatch):
    system.reconfigure(PROMOTION_RETRY_POLICY="exponential")
    system.connect("alice")
    system.publish("alice", "177681098666", never_syncs=True)
    job_id = queue(system, "177681098666")

    system.sim.drain()

    job = system.job("alice", job_id)
    call_times = [c["at"] - system.sim.invocations[0].at for c in ad_calls(system)]
    assert job["status"] == "failed" and job["attempts"] == 5 and job["maxAttempts"] == 5
    assert job["lastError"].startswith("max attempts reached: listing not synced yet")
    gaps = [b - a for a, b in itertools.pairwise(call_times)]
    for gap, base in zip(gaps, [2, 4, 8, 10], strict=True):
        assert base * MINUTE <= gap <= base * MINUTE * 1.1 + 1  # jitter only ever delays


def test_a_listing_that_never_syncs_fails_once_the_sync_window_has_passed(system):
    system.connect("alice")
    system.publish("alice", "177681098666", never_syncs=True)
    job_id = queue(system, "177681098666")

    system.sim.drain()

    job = system.job("alice", job_id)
    assert job["status"] == "failed"
    assert job["lastError"].startswith("listing not found after the sync window")
    assert 11 <= job["attempts"] <= 12  # each minute from +2 min until the 12-minute window has passed


def test_every_message_delivered_twice_creates_one_ad_and_no_extra_attempts(system):
    system.connect("alice")
    system.sim.duplicate_deliveries = True
    listings = [str(177681098600 + i) for i in range(5)]
    for i, listing in enumerate(listings):
        system.publish("alice", listing, sync_delay_s=(1.5 + i) * MINUTE)
    job_ids = queue_batch(system, listings)

    system.sim.drain()

    jobs = [system.job("alice", job_id) for job_id in job_ids]
    assert [j["status"] for j in jobs] == ["succeeded"] * 5
    assert all(system.sandbox.ad_creations_for(listing) == 1 for listing in listings)
    # Every attempt is exactly one eBay call for that listing: the second copy of each message
    # found its job already moved on and did nothing.
    for job, listing in zip(jobs, listings, strict=True):
        calls_with_listing = [c for c in ad_calls(system) if listing in c["listing_ids"]]
        assert job["attempts"] == len(calls_with_listing)
    assert job["attempts"] > 1
    assert system.stats("alice")["succeeded"] == 5


def test_a_crash_after_the_ad_was_created_ends_succeeded_on_redelivery(system):
    system.connect("alice")
    system.publish("alice", "177681098666", sync_delay_s=0)
    job_id = queue(system, "177681098666")
    dynamodb = clients.dynamodb()

    # The worker dies right after eBay created the ad, before it could record the outcome.
    with system.sim.crash_on(dynamodb, "TransactWriteItems") as crashes:
        system.sim.drain()

    job = system.job("alice", job_id)
    assert crashes == [1]
    assert job["status"] == "succeeded"
    assert system.sandbox.ad_creations_for("177681098666") == 1
    assert job["adId"] == system.sandbox.ads[0]["adId"]  # looked up after eBay said 35036
    bulk = ad_calls(system)
    assert len(bulk) == 2  # the original call and the one after redelivery
    assert system.stats("alice")["succeeded"] == 1


def test_a_lost_message_is_recovered_by_the_sweeper(system):
    system.connect("alice")
    system.publish("alice", "177681098666", sync_delay_s=0)
    lost = []

    def lose_first(body):
        if not lost:
            lost.append(json.loads(body)["jobId"])
            return True
        return False

    system.sim.drop = lose_first
    job_id = queue(system, "177681098666")

    system.sim.run_for(10 * MINUTE)

    job = system.job("alice", job_id)
    assert lost == [job_id]
    assert job["status"] == "succeeded"
    # Due at +2 min, overdue by more than 2 min at the +5 min sweep, re-queued, promoted.
    ad_at = system.sandbox.ads[0]["createdAt"] - system.sim.invocations[0].at
    assert 4 * MINUTE < ad_at <= 6 * MINUTE
    # The job's history says why it was late.
    assert [e["outcome"] for e in job["history"]] == ["queued", "recovered", "succeeded"]


def test_a_429_storm_fails_no_job_before_its_attempts_run_out(system):
    system.connect("alice")
    listings = [str(177681098600 + i) for i in range(10)]
    for listing in listings:
        system.publish("alice", listing, sync_delay_s=0)
    job_ids = queue_batch(system, listings)
    # eBay throttles every ad call for the next ten minutes.
    system.sandbox.inject_fault("bulk_create_ads_by_listing_id", status=429, times=10_000)

    system.sim.run_for(10 * MINUTE)
    during = [system.job("alice", job_id) for job_id in job_ids]
    system.sandbox.clear_faults()
    system.sim.drain()
    after = [system.job("alice", job_id) for job_id in job_ids]

    assert {j["status"] for j in during} == {"pending"}
    assert all("429" in j["lastError"] for j in during)
    assert [j["status"] for j in after] == ["succeeded"] * 10


def test_server_errors_and_timeouts_are_retried(system):
    system.connect("alice")
    system.publish("alice", "177681098666", sync_delay_s=0)
    system.sandbox.inject_fault("bulk_create_ads_by_listing_id", status=500, error_id=35001)
    system.sandbox.inject_fault("bulk_create_ads_by_listing_id", status=503, empty_body=True)
    system.sandbox.timeout_sleep_s = 2.5
    system.sandbox.inject_fault("bulk_create_ads_by_listing_id", status=200, timeout=True)
    job_id = queue(system, "177681098666")

    system.sim.drain()

    job = system.job("alice", job_id)
    assert job["status"] == "succeeded" and job["attempts"] == 4


@pytest.mark.parametrize(("error_id", "reason"), [(35057, "35057"), (35077, "35077")])
def test_terminal_ebay_errors_fail_the_job_at_once(system, error_id, reason):
    system.connect("alice")
    if error_id == 35057:
        system.sandbox.add_seller("bob", "refresh-token-of-bob-0123456789")
        system.publish("bob", "177681098666")  # not alice's listing
    else:
        system.publish("alice", "177681098666")
        system.sandbox.inject_fault("bulk_create_ads_by_listing_id", status=409, error_id=35077)
    job_id = queue(system, "177681098666")

    system.sim.drain()

    job = system.job("alice", job_id)
    assert job["status"] == "failed" and job["attempts"] == 1
    assert reason in job["lastError"]


def test_without_stored_credentials_jobs_fail_with_a_clear_reason(system):
    # Queueing needs a connected account; one whose token is gone by the first attempt fails clearly.
    system.connect("alice")
    job_id = queue(system, "177681098666")
    clients.dynamodb().delete_item(TableName=system.stack.table_name("EbayAccountsTable"),
                                   Key={"pk": {"S": "USER#alice"}, "sk": {"S": "EBAY#REFRESH_TOKEN"}})
    system.sim.drain()
    job = system.job("alice", job_id)
    assert job["status"] == "failed"
    assert "PUT /ebay/credentials" in job["lastError"]


def test_a_revoked_refresh_token_fails_jobs_with_a_clear_reason(system):
    system.connect("alice")
    system.publish("alice", "177681098666")
    system.sandbox.revoke_refresh_token("alice")
    job_id = queue(system, "177681098666")
    system.sim.drain()
    assert "invalid_grant" in system.job("alice", job_id)["lastError"]


def test_access_tokens_are_minted_once_and_reused_across_invocations(system):
    system.connect("alice")
    listings = [str(177681098600 + i) for i in range(5)]
    for i, listing in enumerate(listings):
        system.publish("alice", listing, sync_delay_s=i * MINUTE)
    queue_batch(system, listings)

    system.sim.drain()

    assert len(ad_calls(system)) > 1
    assert system.sandbox.tokens_minted.get("refresh_token") == 1


def test_an_expired_access_token_is_reminted_once(system):
    system.connect("alice")
    system.publish("alice", "177681098666", sync_delay_s=150)
    job_id = queue(system, "177681098666")
    system.sim.run_for(125)  # the first attempt (+2 min) minted a token; the listing is not synced yet
    system.sandbox.expire_access_tokens("alice")

    system.sim.drain()

    assert system.job("alice", job_id)["status"] == "succeeded"
    assert system.sandbox.tokens_minted.get("refresh_token") == 2


def test_without_campaign_id_the_sellers_running_campaign_is_used_and_cached(system):
    campaign = system.connect("alice")
    for listing in ("177681098666", "177681098667"):
        system.publish("alice", listing)
    queue(system, "177681098666")
    system.sim.drain()
    queue(system, "177681098667")
    system.sim.drain()

    assert {a["campaignId"] for a in system.sandbox.ads} == {campaign}
    lookups = [c for c in system.sandbox.calls if c["operation"] == "get_campaigns"]
    assert len(lookups) == 1


def test_a_seller_without_a_campaign_gets_one_created(system):
    system.connect("alice", campaign=False)
    system.publish("alice", "177681098666")
    job_id = queue(system, "177681098666")

    system.sim.drain()

    assert system.job("alice", job_id)["status"] == "succeeded"
    created = [c for c in system.sandbox.calls if c["operation"] == "create_campaign"]
    assert len(created) == 1
    assert system.sandbox.campaign(system.sandbox.ads[0]["campaignId"])["campaignName"] == \
        "sellerjobs promoted listings"


def test_without_a_campaign_and_with_creation_disabled_jobs_fail_clearly(system, monkeypatch):
    system.reconfigure(PROMOTION_CAMPAIGN_AUTO_CREATE="false")
    system.connect("alice", campaign=False)
    system.publish("alice", "177681098666")
    job_id = queue(system, "177681098666")

    system.sim.drain()

    job = system.job("alice", job_id)
    assert job["status"] == "failed"
    assert "creating one is disabled" in job["lastError"]


def test_an_explicit_campaign_that_has_ended_fails_the_job(system):
    campaign = system.connect("alice")
    system.publish("alice", "177681098666")
    system.sandbox.end_campaign(campaign)
    job_id = queue(system, "177681098666", campaignId=campaign)

    system.sim.drain()

    job = system.job("alice", job_id)
    assert job["status"] == "failed" and "35035" in job["lastError"]


def test_when_the_default_campaign_ends_the_next_attempt_uses_a_fresh_one(system):
    first = system.connect("alice")
    system.publish("alice", "177681098666", sync_delay_s=150)
    job_id = queue(system, "177681098666")
    system.sim.run_for(125)  # the first attempt (+2 min) caches `first`; the listing syncs later
    system.sandbox.end_campaign(first)
    second = system.sandbox.add_campaign("alice", "spring campaign")

    system.sim.drain()

    job = system.job("alice", job_id)
    assert job["status"] == "succeeded"
    assert system.sandbox.ads[0]["campaignId"] == second


def test_when_our_own_ebay_budget_is_spent_jobs_wait_without_losing_attempts(system, monkeypatch):
    system.reconfigure(EBAY_MARKETING_CALLS_PER_HOUR="2", EBAY_MARKETING_BURST="1")
    system.connect("alice")
    for listing in ("177681098666", "177681098667"):
        system.publish("alice", listing)
    first = queue(system, "177681098666")
    system.clock.advance(30)
    second = queue(system, "177681098667")

    system.sim.run_for(5 * MINUTE)
    waiting = system.job("alice", second)
    system.sim.drain(max_seconds=3 * 3600)

    assert system.job("alice", first)["status"] == "succeeded"
    assert waiting["status"] == "pending" and waiting["attempts"] == 0
    assert "rate budget" in waiting["lastError"]
    assert system.job("alice", second)["status"] == "succeeded"


def test_a_500_listing_batch_is_first_tried_in_one_bulk_call_at_its_first_attempt(system):
    system.connect("alice")
    listings = [str(300000000000 + i) for i in range(500)]
    for listing in listings:
        system.publish("alice", listing, sync_delay_s=30)
    start = system.clock.now()

    response = system.call("POST", "/promotions", user="alice",
                           body={"batch": [{"listingId": lid, "adRate": 5} for lid in listings]})

    # The answer says when: the whole batch two minutes from now, not spread over 42 minutes.
    body = response.json()
    assert response.status == 202 and body["count"] == 500
    assert body["firstAttemptAt"] == int(start * 1000) + 120_000
    assert "first attempt at 2026-01-01T00:02:00Z (in 120 s)" in body["message"]
    system.sim.run_for(3 * MINUTE)
    calls = ad_calls(system)
    assert len(calls) == 1 and len(calls[0]["listing_ids"]) == 500
    assert start + 2 * MINUTE <= calls[0]["at"] < start + 2 * MINUTE + 10
    assert all(system.job("alice", job_id)["status"] == "succeeded" for job_id in body["jobIds"][::50])


def test_high_priority_jobs_still_go_out_when_the_ebay_budget_runs_short(system, monkeypatch):
    # A budget of 20 calls an hour, 10 of them left to high-priority jobs, used up by other sellers.
    system.reconfigure(EBAY_MARKETING_CALLS_PER_HOUR="20", EBAY_MARKETING_BURST="11",
                       EBAY_MARKETING_PRIORITY_RESERVE="10")
    for seller in ("alice", "bob"):
        system.connect(seller)
    system.publish("alice", "177681098666")
    system.publish("bob", "177681098667")
    normal = queue(system, "177681098666", user="alice")
    high = queue(system, "177681098667", user="bob", priority="high")

    system.sim.run_for(3 * MINUTE)

    assert system.job("bob", high)["status"] == "succeeded"
    assert system.job("alice", normal)["status"] == "pending"  # deferred: no attempt spent
    assert system.job("alice", normal)["attempts"] == 0


def test_a_priority_that_is_not_one_of_the_values_is_refused_and_nothing_is_written(system):
    response = system.call("POST", "/promotions", user="alice",
                           body={"listingId": "177681098666", "adRate": 5, "priority": "urgent"})

    assert response.status == 400
    assert response.json()["errors"][0]["field"] == "priority"
    assert system.table_items() == []


def test_with_modelled_latencies_every_retry_is_delivered(clock, sandbox):
    # Each AWS request takes modelled time, during which other invocations (the schedules) run:
    # a message sent meanwhile must still reach its queue.
    listings = [str(177681090000 + i) for i in range(60)]
    with virtual_stack(clock, sandbox, env={"PROMOTION_RETRY_SEED": "7"}, costs=CostModel()) as virtual:
        system = System(virtual)
        system.connect("alice")
        for listing in listings:
            system.publish("alice", listing, never_syncs=True)
        job_ids = queue_batch(system, listings)

        system.sim.drain()

        assert {system.job("alice", job_id)["status"] for job_id in job_ids} == {"failed"}
