"""Job events and webhooks through the real handlers on moto and the sandbox, in virtual time.

Every job family's state changes reach the EventBridge bus (the local stack records what the bus
received) and the sellers' endpoints (the sandbox receiver verifies every signature with the
``standardwebhooks`` package); duplicate deliveries of the work and crashes between the state
write and the announcement neither lose an event nor give one a second id.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local.aws import REGION
from local.bus import BusRecorder
from sellerjobs.aws import clients

PROMOTION_EVENTS = ["promotion.succeeded", "promotion.failed", "promotion.cancelled"]


def register(system, user: str, events: list[str], name: str | None = None) -> dict[str, Any]:
    """A webhook on the sandbox receiver ``name`` (the user's by default), its secret told to the receiver."""
    name = name or user
    response = system.call("POST", "/webhooks", user=user, body={
        "url": f"{system.virtual.sandbox_url}/hooks/{name}", "events": events, "description": f"{user}'s backend"})
    assert response.status == 201, response.body
    hook = dict(response.json())
    system.sandbox.webhooks.set_secrets(name, [hook["secret"]])
    return hook


def bus(system) -> BusRecorder:
    return BusRecorder(system.stack, boto3.client("sqs", region_name=REGION))


def promote(system, user: str, listing: str, **kwargs: Any) -> str:
    system.publish(user, listing, **kwargs)
    response = system.call("POST", "/promotions", user=user, body={"listingId": listing, "adRate": 5})
    assert response.status == 202, response.body
    return str(response.json()["jobId"])


def test_a_promotion_reaches_the_bus_and_the_sellers_endpoint_signed(system):
    system.connect("alice")
    hook = register(system, "alice", PROMOTION_EVENTS)
    job_id = promote(system, "alice", "177681098666")

    system.sim.run_for(300)

    received = system.sandbox.webhooks.summary("alice")
    assert (received["accepted"], received["valid"], received["invalid"]) == (1, 1, 0)
    (delivery,) = system.sandbox.webhooks.received("alice")
    (on_bus,) = bus(system).take()
    assert on_bus["source"] == "sellerjobs" and on_bus["detail-type"] == "promotion.succeeded"
    assert on_bus["detail"]["id"] == delivery.event_id == delivery.webhook_id
    # The job as its read shows it, but for its history: events stay small, the job's read has it.
    assert on_bus["detail"]["data"] == {k: v for k, v in system.job("alice", job_id).items() if k != "history"}
    assert on_bus["detail"]["sellers"] == ["alice"]

    deliveries = system.call("GET", f"/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert [(d["type"], d["state"], d["attempts"], d["lastStatus"]) for d in deliveries] == [
        ("promotion.succeeded", "delivered", 1, 204)]
    events = system.call("GET", "/admin/events", user="ops", admin=True).json()["events"]
    assert events[0]["id"] == delivery.event_id and events[0]["publishedAt"] is not None


def test_an_endpoint_gets_only_the_types_it_subscribed_to(system):
    system.connect("alice")
    register(system, "alice", ["promotion.failed"])
    promote(system, "alice", "177681098666")
    system.sim.run_for(300)
    assert system.sandbox.webhooks.summary("alice")["received"] == 0
    assert [e["detail-type"] for e in bus(system).take()] == ["promotion.succeeded"]


def test_a_crash_between_the_state_write_and_the_announcement_loses_nothing(system):
    system.connect("alice")
    register(system, "alice", PROMOTION_EVENTS)
    job_id = promote(system, "alice", "177681098666")
    events_queue = system.stack.queue_url("EventsQueue")

    # The worker dies right after storing the job's outcome (and its event), before telling the relay.
    with system.sim.crash_on(clients.sqs(), "SendMessageBatch", when=lambda p: p["QueueUrl"] == events_queue) as hit:
        system.sim.run_for(150)
    assert hit == [1] and system.job("alice", job_id)["status"] == "succeeded"
    assert system.sandbox.webhooks.summary("alice")["received"] == 0

    system.sim.run_for(180)  # the relay's sweep finds the stored event

    (on_bus,) = bus(system).take()
    (delivery,) = system.sandbox.webhooks.received("alice")
    assert delivery.valid and on_bus["detail"]["id"] == delivery.webhook_id


def test_every_message_delivered_twice_still_gives_each_change_one_event_id(system):
    system.connect("alice")
    register(system, "alice", PROMOTION_EVENTS)
    system.sim.duplicate_deliveries = True
    jobs = [promote(system, "alice", str(177681098666 + i)) for i in range(5)]
    cancelled = jobs.pop()
    assert system.call("DELETE", f"/promotions/{cancelled}").status == 200

    system.sim.run_for(600)

    on_bus = bus(system).take()
    by_job: dict[str, set[str]] = {}
    for event in on_bus:
        by_job.setdefault(event["detail"]["data"]["id"], set()).add(event["detail"]["id"])
    assert set(by_job) == {*jobs, cancelled} and all(len(ids) == 1 for ids in by_job.values())
    received = system.sandbox.webhooks.received("alice")
    assert {r.webhook_id for r in received} == {i for ids in by_job.values() for i in ids}
    assert all(r.valid for r in received)


def test_a_receiver_outage_is_ridden_out_with_retries_and_nothing_is_lost(system):
    system.connect("alice")
    hook = register(system, "alice", PROMOTION_EVENTS)
    system.sandbox.webhooks.fail("alice", "500", seconds=600)
    promote(system, "alice", "177681098666")

    system.sim.run_for(3600)

    summary = system.sandbox.webhooks.summary("alice")
    assert summary["accepted"] == 1 and summary["received"] >= 3  # 500s at +0, +5 s, +5 min, ... then 204
    (delivery,) = system.call("GET", f"/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert delivery["state"] == "delivered" and delivery["attempts"] == summary["received"]
    assert len({r.webhook_id for r in system.sandbox.webhooks.received("alice")}) == 1


def test_a_receiver_that_times_out_is_retried(system):
    system.connect("alice")
    hook = register(system, "alice", PROMOTION_EVENTS)
    promote(system, "alice", "177681098666")  # first attempted two minutes on
    system.sandbox.webhooks.fail("alice", "timeout", seconds=130)
    system.sim.run_for(180)
    (delivery,) = system.call("GET", f"/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert delivery["state"] == "delivered" and delivery["attempts"] == 2
    first = system.sandbox.webhooks.received("alice")[0]
    assert first.answered is None


def test_category_fetch_events_reach_the_owner(system):
    register(system, "alice", ["category_fetch.completed", "category_fetch.cancelled"])
    started = system.call("POST", "/category-fetches", body={"marketplaceId": "EBAY_US", "parentCategoryId": "26395",
                                                             "maxCategories": 5})
    job_id = started.json()["jobId"]
    other = system.call("POST", "/category-fetches", body={"marketplaceId": "EBAY_US", "parentCategoryId": "26395",
                                                           "maxCategories": 5}).json()["jobId"]
    assert system.call("DELETE", f"/category-fetches/{other}").status == 200
    system.sim.run_for(300)
    types = {(r.type, r.valid) for r in system.sandbox.webhooks.received("alice")}
    assert types == {("category_fetch.completed", True), ("category_fetch.cancelled", True)}
    completed = next(e for e in bus(system).take() if e["detail-type"] == "category_fetch.completed")
    assert completed["detail"]["data"]["jobId"] == job_id and completed["detail"]["data"]["success"] == 5


def test_a_market_price_goes_to_every_seller_who_asked_for_it_while_it_waited(system):
    for user in ("alice", "bob", "carol"):
        register(system, user, ["market.price_updated", "market.job_failed"])
    item = {"provider": "stockx", "sku": "DD1391-100", "size": "10"}
    assert system.call("POST", "/market/jobs", user="alice", body=item | {"priority": 150}).status == 202
    assert system.call("GET", "/market/prices/stockx/DD1391-100?size=10", user="bob").status == 202
    system.sim.run_for(180)
    assert [r.type for r in system.sandbox.webhooks.received("alice")] == ["market.price_updated"]
    assert [r.type for r in system.sandbox.webhooks.received("bob")] == ["market.price_updated"]
    assert system.sandbox.webhooks.received("carol") == []  # carol never asked
    (price,) = [e for e in bus(system).take() if e["detail-type"] == "market.price_updated"]
    assert price["detail"]["sellers"] == ["alice", "bob"] and price["detail"]["data"]["sku"] == "DD1391-100"
    job = system.call("GET", "/market/jobs?status=succeeded", user="carol").json()["jobs"][0]
    assert "askedBy" not in job and "alice" not in str(job)


# -- the API ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://example.com/x", "events": ["promotion.succeeded"]}, "url"),
    ({"url": "https://example.com/" + "a" * 2048, "events": ["promotion.succeeded"]}, "url"),
    ({"url": "https://10.1.2.3/hook", "events": ["promotion.succeeded"]}, "url"),
    ({"url": "https://[fd00::1]/hook", "events": ["promotion.succeeded"]}, "url"),
    ({"url": "https://169.254.169.254/latest/meta-data", "events": ["promotion.succeeded"]}, "url"),
    ({"url": "https://example.com/hook", "events": ["promotion.exploded"]}, "events[0]"),
    ({"url": "https://example.com/hook", "events": []}, "events"),
    ({"url": "https://example.com/hook"}, "events"),
    ({"url": "https://example.com/hook", "events": ["promotion.succeeded"], "secret": "mine"}, "secret"),
])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(system, body, field):
    response = system.call("POST", "/webhooks", body=body)
    assert response.status == 400, response.body
    assert response.json()["errors"][0]["field"] == field
    assert system.call("GET", "/webhooks").json() == {"webhooks": []}


def test_deployed_settings_refuse_a_loopback_http_url(system, monkeypatch):
    system.reconfigure(WEBHOOK_ALLOW_LOOPBACK="false")
    response = system.call("POST", "/webhooks", body={"url": f"{system.virtual.sandbox_url}/hooks/alice",
                                                      "events": ["promotion.succeeded"]})
    assert response.status == 400 and response.json()["errors"][0]["field"] == "url"


def test_at_most_ten_endpoints_per_seller(system):
    for i in range(10):
        register(system, "alice", ["promotion.succeeded"], name=f"alice-{i}")
    response = system.call("POST", "/webhooks", body={"url": f"{system.virtual.sandbox_url}/hooks/x",
                                                      "events": ["promotion.succeeded"]})
    assert response.status == 409 and "at most 10" in response.json()["error"]
    first = system.call("GET", "/webhooks").json()["webhooks"][0]["id"]
    assert system.call("DELETE", f"/webhooks/{first}").status == 204
    register(system, "alice", ["promotion.succeeded"], name="alice-10")


def test_another_sellers_webhook_answers_404_everywhere(system):
    hook = register(system, "alice", ["promotion.succeeded"])
    path = f"/webhooks/{hook['id']}"
    for method, suffix, body in (("GET", "", None), ("PATCH", "", {"status": "disabled"}), ("DELETE", "", None),
                                 ("GET", "/deliveries", None), ("POST", "/test", None),
                                 ("POST", "/rotate-secret", None)):
        response = system.call(method, path + suffix, user="bob", body=body)
        assert response.status == 404, (method, suffix, response.body)
    assert system.call("GET", "/webhooks", user="bob").json() == {"webhooks": []}
    assert system.call("GET", path).json()["status"] == "active"


def test_the_secret_is_shown_on_creation_and_rotation_only_and_never_stored_in_the_clear(system):
    hook = register(system, "alice", ["promotion.succeeded"])
    assert "secret" not in system.call("GET", f"/webhooks/{hook['id']}").json()
    assert all("secret" not in h for h in system.call("GET", "/webhooks").json()["webhooks"])
    rotated = system.call("POST", f"/webhooks/{hook['id']}/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
    stored = str(system.table_items("EventsTable"))
    assert hook["secret"] not in stored and rotated["secret"] not in stored
    assert hook["secret"].removeprefix("whsec_") not in stored


def test_after_a_rotation_a_receiver_on_either_secret_verifies_until_the_overlap_ends(system, monkeypatch):
    system.reconfigure(WEBHOOK_ROTATION_OVERLAP_SECONDS="900")  # a day by default
    system.connect("alice")
    hook = register(system, "alice", PROMOTION_EVENTS, name="old-only")
    rotated = system.call("POST", f"/webhooks/{hook['id']}/rotate-secret").json()
    promote(system, "alice", "177681098666")
    system.sim.run_for(300)
    (first,) = system.sandbox.webhooks.received("old-only")
    assert first.valid  # signed with both: the receiver still on the old secret accepts it

    system.sim.run_for(900)
    sent = system.call("POST", f"/webhooks/{hook['id']}/test")
    assert sent.status == 202
    system.sim.run_for(60)
    late = system.sandbox.webhooks.received("old-only")[-1]
    assert not late.valid and late.answered == 401  # the overlap over, only the new secret signs
    system.sandbox.webhooks.set_secrets("old-only", [rotated["secret"]])
    system.sim.run_for(400)  # the next retry
    assert system.sandbox.webhooks.received("old-only")[-1].valid


def test_a_test_event_is_delivered_and_listed(system):
    hook = register(system, "alice", ["promotion.succeeded"])
    sent = system.call("POST", f"/webhooks/{hook['id']}/test")
    assert sent.status == 202 and sent.json()["type"] == "webhook.test"
    system.sim.run_for(30)
    (received,) = system.sandbox.webhooks.received("alice")
    assert received.valid and received.type == "webhook.test" and received.event_id == sent.json()["eventId"]
    (listed,) = system.call("GET", f"/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert listed["state"] == "delivered" and listed["type"] == "webhook.test"


def test_a_disabled_endpoint_gets_nothing_until_it_is_enabled_again(system):
    system.connect("alice")
    hook = register(system, "alice", PROMOTION_EVENTS)
    patched = system.call("PATCH", f"/webhooks/{hook['id']}", body={"status": "disabled"})
    assert patched.status == 200 and patched.json()["status"] == "disabled"
    assert system.call("POST", f"/webhooks/{hook['id']}/test").status == 409
    promote(system, "alice", "177681098666")
    system.sim.run_for(300)
    assert system.sandbox.webhooks.received("alice") == []
    enabled = system.call("PATCH", f"/webhooks/{hook['id']}", body={"status": "active"})
    assert enabled.json()["status"] == "active" and enabled.json()["disabledAt"] is None
    promote(system, "alice", "177681098667")
    system.sim.run_for(300)
    assert [r.type for r in system.sandbox.webhooks.received("alice")] == ["promotion.succeeded"]
    bad = system.call("PATCH", f"/webhooks/{hook['id']}", body={"status": "paused"})
    assert bad.status == 400 and bad.json()["errors"][0]["field"] == "status"
    assert system.call("PATCH", f"/webhooks/{hook['id']}", body={}).status == 400


def test_events_are_for_admins_only(system):
    assert system.call("GET", "/admin/events").status == 403
    assert system.call("GET", "/admin/events?limit=0", admin=True).status == 400


def test_a_long_category_fetch_announces_its_progress_once_a_minute(system, monkeypatch):
    system.reconfigure(CATEGORY_FETCH_SPACING_SECONDS="5")  # 67 categories: over five minutes
    register(system, "alice", ["category_fetch.progress", "category_fetch.completed"])
    started = system.call("POST", "/category-fetches", body={"marketplaceId": "EBAY_US", "parentCategoryId": "26395"})
    assert started.status == 202
    system.sim.run_for(600)
    on_bus = [e for e in bus(system).take() if e["detail"]["data"]["jobId"] == started.json()["jobId"]]
    progress = [e for e in on_bus if e["detail-type"] == "category_fetch.progress"]
    assert len(progress) >= 2 and on_bus[-1]["detail-type"] == "category_fetch.completed"
    counts = [e["detail"]["data"]["processed"] for e in progress]
    assert counts == sorted(counts) and 0 < counts[0] < started.json()["totalCategories"]
    times = [e["detail"]["timestamp"] for e in progress]
    assert len(set(times)) == len(times)
    received = [r.type for r in system.sandbox.webhooks.received("alice")]
    assert received.count("category_fetch.progress") == len(progress)
