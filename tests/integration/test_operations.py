"""The operators' console on the real handlers, moto and the sandbox: history, search across sellers,
bulk actions, queue counts against a recount, pause and resume, and who may do what."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from sellerjobs.aws import clients

MINUTE = 60.0
ADMIN_ROUTES = [("GET", "/admin/jobs"), ("POST", "/admin/promotions/retry"), ("POST", "/admin/promotions/cancel"),
                ("GET", "/admin/bulk-actions/bulk-1-abcdef"), ("GET", "/queues"),
                ("POST", "/admin/queues/promotion/pause"), ("POST", "/admin/queues/promotion/resume")]


def queue(system, user, *listings, **extra):
    system.ensure_connected(user)
    body = {"batch": [{"listingId": lid, "adRate": 5} for lid in listings]} if len(listings) > 1 \
        else {"listingId": listings[0], "adRate": 5} | extra
    response = system.call("POST", "/promotions", user=user, body=body)
    assert response.status == 202, response.body
    answer = response.json()
    return answer.get("jobIds") or [answer["jobId"]]


def admin(system, method, path, body=None):
    return system.call(method, path, user="ops", body=body, admin=True)


def never_synced_jobs(system):
    """alice's and bob's listings that never sync: their jobs fail after the sync window."""
    for user, listing in [("alice", str(177681098600 + i)) for i in range(3)] + [("bob", "177681098700")]:
        system.publish(user, listing, never_syncs=True)
    alice = queue(system, "alice", *(str(177681098600 + i) for i in range(3)))
    bob = queue(system, "bob", "177681098700")
    return alice, bob


@pytest.fixture
def sellers(system):
    for user in ("alice", "bob"):
        system.connect(user)


# ---- history --------------------------------------------------------------------------------

def test_a_jobs_history_says_what_happened_at_each_attempt(system, sellers):
    system.publish("alice", "177681098666", sync_delay_s=4.5 * MINUTE)
    (job_id,) = queue(system, "alice", "177681098666")

    system.sim.drain()

    job = system.job("alice", job_id)
    history = job["history"]
    # Queued, three attempts refused by eBay's sync delay folded into one entry, then the ad.
    assert [(e["outcome"], e["count"]) for e in history] == [("queued", 1), ("retrying", 3), ("succeeded", 1)]
    waiting, done = history[1], history[2]
    assert (waiting["errorId"], waiting["operation"], waiting["attempt"]) == (35048, "bulk_create_ads_by_listing_id", 3)
    assert waiting["message"] == "listing not synced yet (eBay 35048)" and waiting["lastAt"] > waiting["at"]
    assert (done["adId"], done["attempt"]) == (job["adId"], 4) and done["campaignId"]
    # The seed's fields are as they were; /promotion-status answers the same history.
    same = system.call("GET", f"/promotion-status?jobId={job_id}").json()["job"]
    assert same["history"] == history and same["attempts"] == 4


def test_the_history_stays_in_the_table_and_out_of_the_indexes(system, sellers):
    system.publish("alice", "177681098666", never_syncs=True)
    (job_id,) = queue(system, "alice", "177681098666")
    system.sim.drain()

    table = system.stack.table_name("PromotionJobsTable")
    stored = clients.dynamodb().get_item(TableName=table, Key={"pk": {"S": "USER#alice"},
                                                                 "sk": {"S": f"JOB#{job_id}"}})["Item"]
    listed = clients.dynamodb().query(TableName=table, IndexName="Finished",
                                      KeyConditionExpression="finishedKey = :k",
                                      ExpressionAttributeValues={":k": {"S": stored["finishedKey"]["S"]}})["Items"]
    entries = json.loads(stored["history"]["S"])
    assert [e["o"] for e in entries] == ["queued", "retrying", "failed"] and entries[1]["x"] >= 10
    assert len(stored["history"]["S"]) < 600  # a dozen attempts fold into three small entries
    assert listed and "history" not in listed[0]
    # A listing shows jobs without their histories; one job, read by its key, with it.
    page = system.call("GET", "/promotions?status=failed").json()["jobs"]
    assert "history" not in page[0]


# ---- who may do what ------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_operator_routes_refuse_sellers(system, method, path):
    response = system.call(method, path, user="alice", body={} if method == "POST" else None)

    assert response.status == 403
    assert "admin" in response.json()["error"]


def test_a_search_across_sellers_finds_jobs_by_id_listing_seller_and_status(system, sellers):
    (alice_job,) = queue(system, "alice", "177681098666")
    (bob_job,) = queue(system, "bob", "177681098777")

    by_id = admin(system, "GET", f"/admin/jobs?jobId={bob_job}").json()
    by_listing = admin(system, "GET", "/admin/jobs?listingId=177681098666").json()
    by_seller = admin(system, "GET", "/admin/jobs?seller=bob").json()
    pending = admin(system, "GET", "/admin/jobs?family=promotion&status=pending").json()

    assert [j["id"] for j in by_id["jobs"]] == [bob_job] and by_id["jobs"][0]["history"]
    assert [j["id"] for j in by_listing["jobs"]] == [alice_job]
    assert [j["id"] for j in by_seller["jobs"]] == [bob_job]
    assert {j["id"] for j in pending["jobs"]} == {alice_job, bob_job}
    assert pending["family"] == "promotion" and pending["cursor"] is None


def test_a_search_pages_newest_first_without_skipping_or_repeating(system, sellers):
    owner = {}
    for i in range(7):
        user = "alice" if i % 2 else "bob"
        owner.update(dict.fromkeys(queue(system, user, str(177681098600 + i)), user))
        system.clock.advance(7)

    seen, cursor = [], None
    while True:
        page = admin(system, "GET", "/admin/jobs?status=pending&limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status == 200, page.body
        seen += [j["id"] for j in page.json()["jobs"]]
        cursor = page.json()["cursor"]
        if not cursor:
            break

    assert sorted(seen) == sorted(owner) and len(seen) == len(set(seen))
    due = [system.job(owner[job_id], job_id)["nextRetryAt"] for job_id in seen]
    assert due == sorted(due, reverse=True)


@pytest.mark.parametrize(("query", "field"), [
    ("status=done", "status"),
    ("family=market&status=cancelled", "status"),
    ("since=200&until=100", "until"),
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("family=nope", "family"),
    ("family=market&seller=alice", "seller"),
    ("cursor=bm90LWEtY3Vyc29y", "cursor"),
])
def test_a_bad_filter_is_a_400_naming_the_field(system, query, field):
    response = admin(system, "GET", f"/admin/jobs?{query}")

    assert response.status == 400, response.body
    assert response.json()["errors"][0]["field"] == field


def test_bulk_filters_are_checked_before_anything_is_written(system, sellers):
    for body, field in [({"status": "pending"}, "status"), ({"since": 5, "until": 1}, "until"),
                        ({"limit": 0}, "limit"), ({"limit": 100_000}, "limit"), ({"sellers": "x"}, "sellers")]:
        response = admin(system, "POST", "/admin/promotions/retry", body)
        assert response.status == 400 and response.json()["errors"][0]["field"] == field, (body, response.body)
    seller = system.call("POST", "/promotions/retry", user="alice", body={"seller": "bob"})
    assert seller.status == 400 and seller.json()["errors"][0]["field"] == "seller"
    assert not [i for i in system.table_items() if i["pk"]["S"].startswith("BULK#")]


# ---- bulk actions -----------------------------------------------------------------------------

def test_an_operator_retries_every_failure_of_one_reason_across_sellers(system, sellers):
    alice, bob = never_synced_jobs(system)
    system.sim.drain()
    (other,) = queue(system, "alice", "177681098999", campaignId="999999")  # a campaign eBay does not know
    system.sim.drain()
    assert system.job("alice", other)["status"] == "failed"

    preview = admin(system, "POST", "/admin/promotions/retry", {"reason": "sync window", "dryRun": True})
    started = admin(system, "POST", "/admin/promotions/retry", {"reason": "sync window", "limit": 100})
    action_id = started.json()["bulkActionId"]
    system.sim.run_for(30)
    progress = admin(system, "GET", f"/admin/bulk-actions/{action_id}").json()["bulkAction"]

    assert preview.status == 200 and preview.json() | {"limit": 0} == {
        "ok": True, "success": True, "dryRun": True, "matched": 4, "more": False, "limit": 0}
    assert started.status == 202
    assert (progress["status"], progress["matched"], progress["done"], progress["skipped"]) == ("completed", 4, 4, 0)
    for user, job_id in [("alice", j) for j in alice] + [("bob", j) for j in bob]:
        job = system.job(user, job_id)
        # Started over and tried again at once (the listing still is not on eBay).
        assert job["status"] == "pending" and job["attempts"] == 1
        assert [(e["outcome"], e.get("by")) for e in job["history"][-2:]] == [("retried", "ops"), ("retrying", None)]
    assert system.job("alice", other)["status"] == "failed"  # another reason: left alone


def test_a_sellers_bulk_retry_touches_only_their_own_jobs(system, sellers):
    alice, bob = never_synced_jobs(system)
    system.sim.drain()

    started = system.call("POST", "/promotions/retry", user="bob", body={"listingId": "177681098600"})
    everything = system.call("POST", "/promotions/retry", user="bob", body={})
    system.sim.run_for(30)

    assert started.status == 202 and everything.status == 202
    narrow = system.call("GET", f"/bulk-actions/{started.json()['bulkActionId']}", user="bob").json()["bulkAction"]
    wide = system.call("GET", f"/bulk-actions/{everything.json()['bulkActionId']}", user="bob").json()["bulkAction"]
    assert (narrow["matched"], wide["done"]) == (0, 1)  # alice's listing is not bob's to retry
    assert all(system.job("alice", j)["status"] == "failed" for j in alice)
    assert system.job("bob", bob[0])["status"] == "pending"
    assert system.call("GET", f"/bulk-actions/{everything.json()['bulkActionId']}", user="alice").status == 404


def test_bulk_runs_delivered_twice_count_each_job_once(system, sellers):
    alice, bob = never_synced_jobs(system)
    system.sim.drain()
    system.sim.duplicate_deliveries = True

    started = admin(system, "POST", "/admin/promotions/retry", {"limit": 100}).json()
    system.sim.run_for(30)

    progress = admin(system, "GET", f"/admin/bulk-actions/{started['bulkActionId']}").json()["bulkAction"]
    assert (progress["matched"], progress["done"], progress["skipped"]) == (4, 4, 0)
    for user, job_id in [("alice", j) for j in alice] + [("bob", j) for j in bob]:
        assert sum(1 for e in system.job(user, job_id)["history"] if e["outcome"] == "retried") == 1


def test_a_bulk_run_that_crashes_is_resumed_by_its_message_and_finishes(system, sellers, monkeypatch):
    never_synced_jobs(system)
    system.sim.drain()
    system.reconfigure(BULK_ACTION_PAGE_SIZE="2")

    started = admin(system, "POST", "/admin/promotions/retry", {"limit": 100}).json()
    counted = []

    def third_counted_job(params):
        # The worker dies in its second page, just before the third job's change (and count) is written.
        if any("BULK#" in json.dumps(item) for item in params.get("TransactItems", [])):
            counted.append(1)
        return len(counted) == 3

    with system.sim.crash_on(clients.dynamodb(), "TransactWriteItems", when=third_counted_job) as crashes:
        system.sim.run_for(60)
    system.sim.run_for(3600)  # the message comes back after its visibility timeout; the hold has lapsed

    progress = admin(system, "GET", f"/admin/bulk-actions/{started['bulkActionId']}").json()["bulkAction"]
    assert crashes == [1]
    assert (progress["status"], progress["done"], progress["skipped"]) == ("completed", 4, 0)


# ---- counts and pauses -----------------------------------------------------------------------

def recount(system):
    """The slow way: every job item of the table, by status."""
    jobs = [i for i in system.table_items() if i["sk"]["S"].startswith("JOB#")]
    return Counter(i["status"]["S"] for i in jobs)


def test_queue_counts_match_a_recount_and_cost_no_more_as_jobs_grow(system, sellers):
    never_synced_jobs(system)
    for i in range(3):
        system.publish("alice", str(177681098800 + i))
    queue(system, "alice", *(str(177681098800 + i) for i in range(3)))
    (cancelled,) = queue(system, "bob", "177681098900")
    system.call("DELETE", f"/promotions/{cancelled}", user="bob")
    system.sim.run_for(5 * MINUTE)
    before = admin(system, "GET", "/queues").json()
    system.sim.drain()

    view = admin(system, "GET", "/queues").json()
    slow = recount(system)
    promotion = view["promotion"]
    assert (promotion["unfinished"], promotion["completed"], promotion["failed"], promotion["cancelled"]) == (
        slow["pending"], slow["succeeded"], slow["failed"], slow["cancelled"])
    assert promotion["total"] == sum(slow.values()) == 8
    assert before["promotion"]["unfinished"] == 4
    assert set(view["market"]) == {"stockx", "alias", "ebay"}
    assert view["deadLetters"]["promotion"] == {"depth": 0, "oldestAgeSeconds": None}
    assert view["paused"] == {"promotion": None, "categoryFetch": None, "market": None}


def test_dead_letter_depth_and_the_oldest_messages_age(system):
    dlq = system.stack.queue_url("PromotionDeadLetterQueue")
    for i in range(3):
        clients.sqs().send_message(QueueUrl=dlq, MessageBody=json.dumps({"n": i}))

    view = admin(system, "GET", "/queues").json()

    assert view["deadLetters"]["promotion"]["depth"] == 3
    assert view["deadLetters"]["promotion"]["oldestAgeSeconds"] >= 0
    # Looking does not take them: they are still there for a redrive.
    assert admin(system, "GET", "/queues").json()["deadLetters"]["promotion"]["depth"] == 3


def test_a_paused_promotion_queue_defers_jobs_without_spending_attempts_and_resumes(system, sellers):
    system.publish("alice", "177681098666", sync_delay_s=2 * MINUTE)
    (job_id,) = queue(system, "alice", "177681098666")
    paused = admin(system, "POST", "/admin/queues/promotion/pause", {"reason": "eBay Marketing outage"})
    assert paused.status == 200 and paused.json()["paused"]["reason"] == "eBay Marketing outage"

    system.sim.run_for(30 * MINUTE)  # longer than the job's whole retry window
    held = system.job("alice", job_id)
    ad_calls = [c for c in system.sandbox.calls if c["operation"] == "bulk_create_ads_by_listing_id"]
    shown = admin(system, "GET", "/queues").json()["paused"]["promotion"]
    resumed = admin(system, "POST", "/admin/queues/promotion/resume")
    system.sim.drain()

    assert held["status"] == "pending" and held["attempts"] == 0 and ad_calls == []
    assert held["history"][-1]["outcome"] == "deferred" and held["history"][-1]["count"] > 10
    assert shown["by"] == "ops"
    assert resumed.status == 200 and resumed.json()["paused"] is None
    done = system.job("alice", job_id)
    assert done["status"] == "succeeded" and done["attempts"] == 1  # the outage cost it nothing


def test_pausing_an_unknown_queue_names_the_field(system):
    response = admin(system, "POST", "/admin/queues/everything/pause")

    assert response.status == 400 and response.json()["errors"][0]["field"] == "queue"


def test_a_category_fetch_keeps_a_run_log_and_starts_no_run_while_its_queue_is_paused(system):
    admin(system, "POST", "/admin/queues/categoryFetch/pause")
    started = system.call("POST", "/category-fetches", body={"marketplaceId": "EBAY_US", "parentCategoryId": "26395",
                                                             "maxCategories": 5, "mode": "per_category"}).json()
    system.sim.run_for(3 * MINUTE)
    waiting = system.call("GET", f"/category-fetches/{started['jobId']}").json()["status"]
    admin(system, "POST", "/admin/queues/categoryFetch/resume")
    system.sim.run_for(3 * MINUTE)

    status = system.call("GET", f"/category-fetches/{started['jobId']}").json()["status"]
    found = admin(system, "GET", f"/admin/jobs?family=category_fetch&jobId={started['jobId']}").json()["jobs"]
    assert waiting["processed"] == 0 and waiting["runs"] == []
    assert status["status"] == "completed" and status["runs"][-1]["outcome"] == "completed"
    assert sum(run["fetched"] for run in status["runs"]) == 5
    assert found[0]["runs"] == status["runs"]
    counts = admin(system, "GET", "/queues").json()["categoryFetch"]
    assert (counts["completed"], counts["waiting"] + counts["active"]) == (1, 0)


def test_market_attempts_are_kept_and_a_paused_market_queue_dispatches_nothing(system):
    admin(system, "POST", "/admin/queues/market/pause")
    queued = system.call("POST", "/market/jobs", body={"provider": "stockx", "sku": "DD1391-100", "size": "10"})
    system.sim.run_for(3 * MINUTE)
    held = admin(system, "GET", "/admin/jobs?family=market&provider=stockx&sku=DD1391-100&size=10").json()["jobs"]
    admin(system, "POST", "/admin/queues/market/resume")
    system.sim.run_for(3 * MINUTE)

    done = admin(system, "GET", "/admin/jobs?family=market&provider=stockx&sku=DD1391-100&size=10").json()["jobs"]
    assert queued.status == 202 and held[0]["status"] == "pending" and held[0]["history"] == []
    assert done[0]["status"] == "succeeded"
    assert done[0]["history"][-1] | {"at": 0} == {"at": 0, "count": 1, "outcome": "succeeded", "attempt": 1,
                                                   "provider": "stockx", "httpStatus": 200}


def test_a_job_change_counted_for_a_bulk_run_that_lost_its_hold_is_not_written(system, sellers):
    # Nor its event: the change, its history entry, its event and the count are one transaction.
    from sellerjobs.aws.bulk_actions import DynamoBulkActions
    from sellerjobs.promotions import events as promotion_events
    from sellerjobs.promotions.bulk import BulkAction, BulkKind, BulkStatus
    from sellerjobs.promotions.job import Status
    from sellerjobs.promotions.ports import JobFilter, Tally, TallyRefused

    (job_id,) = queue(system, "alice", "177681098666")
    actions = DynamoBulkActions(system.stack.table_name("PromotionJobsTable"))
    now = int(system.clock.now() * 1000)
    actions.create(BulkAction(id="bulk-1-abcdef", kind=BulkKind.CANCEL, where=JobFilter(status=Status.PENDING),
                              limit=10, by="ops", owner=None, status=BulkStatus.QUEUED, created_at=now, updated_at=now))
    assert actions.take("bulk-1-abcdef", "run-a", now, now + 60_000) is not None
    repository = system.services("BulkActionWorkerFunction").promotion_jobs()  # the writer of tallies
    job = repository.get("alice", job_id)
    assert job is not None

    cancelled = job.cancel(now, 86400, by="ops")
    events = promotion_events.events_for(job, cancelled)  # stored with the change and the count, or not at all
    with pytest.raises(TallyRefused):
        repository.save(job, cancelled, events, tally=Tally("bulk-1-abcdef", owner="run-b"))

    def done() -> int:
        action = actions.get("bulk-1-abcdef")
        assert action is not None
        return action.done

    assert system.job("alice", job_id)["status"] == "pending" and done() == 0
    stored = system.services("EventRelayFunction").event_store()
    assert stored.get_many([e.id for e in events]) == {}
    assert repository.save(job, cancelled, events, tally=Tally("bulk-1-abcdef", owner="run-a"))
    assert done() == 1
    assert set(stored.get_many([e.id for e in events])) == {e.id for e in events} != set()
