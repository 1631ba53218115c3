"""Every sample event in events/ runs its function successfully (what `sam local invoke -e` would do)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.template import Function

EVENTS = Path(__file__).resolve().parents[2] / "events"
JOB = "177681098666_1767225600000"
USER = "user123"


def function_for(event_file: Path, functions: dict[str, Function]) -> Function:
    """events/<function dir>.<case>.json belongs to the function whose CodeUri is functions/<dir>/."""
    directory = event_file.name.split(".", 1)[0]
    matches = [f for f in functions.values() if f.code_uri.strip("/") == f"functions/{directory}"]
    assert len(matches) == 1, f"no function for {event_file.name}"
    return matches[0]


def connected(system):
    if not system.call("GET", "/ebay/connection", user=USER).json()["connection"]["connected"]:
        system.connect(USER)


def queue_job(system):
    connected(system)
    response = system.call("POST", "/promotions", user=USER, body={"listingId": "177681098666", "adRate": 5})
    assert response.json()["jobId"] == JOB


def failed_job(system):
    connected(system)
    system.publish(USER, "177681098666", never_syncs=True)
    queue_job(system)
    system.sim.drain()
    assert system.job(USER, JOB)["status"] == "failed"


def due_job(system):
    connected(system)
    system.publish(USER, "177681098666")
    queue_job(system)
    system.clock.advance(120)


CATEGORY_JOB = "job-1767225600000-a1b2c3"


def category_job(system):
    """A job with the id the category events use, as the initiator would have stored it."""
    from sellerjobs.categories.job import Category, FetchJob, FetchMode, FetchStatus

    now = int(system.clock.now() * 1000)
    job = FetchJob(id=CATEGORY_JOB, user_id=USER, marketplace_id="EBAY_US", status=FetchStatus.QUEUED,
                   mode=FetchMode.PER_CATEGORY, created_at=now, updated_at=now, parent_category_id="26395",
                   parent_label="Health & Beauty (26395)", tree_id="0", analysed=True, total=1)
    leaf = system.sandbox.leaf_category_ids(parent="26395")[0]
    system.services("CategoryFetchWorkerFunction").fetch_jobs().create(job, [Category(leaf, "first leaf")])


def stored_aspects(system):
    response = system.call("POST", "/category-fetches", user=USER,
                           body={"marketplaceId": "EBAY_US", "parentCategoryId": "180959", "maxCategories": 50})
    assert response.status == 202
    system.sim.run_for(600)


def cached_price(system):
    response = system.call("POST", "/market/jobs", user=USER, body={"provider": "stockx", "sku": "DD1391-100",
                                                                   "size": "10", "priority": 150})
    assert response.status == 202
    system.sim.run_for(120)


def dispatched_market_job(system):
    """The job the market worker's event names, started by the scheduler at the event's time."""
    from sellerjobs.aws.market import DynamoMarketJobs
    from sellerjobs.market.job import Priority, Provider

    # A manual refresh, stored as the API would (which would also send it out at once): at the
    # hour's start only a manual job may use the calls its catalog lookup and price need.
    DynamoMarketJobs(system.stack.table_name("MarketTable")).enqueue(
        Provider.STOCKX, [("DD1391-100", "10")], Priority.MANUAL, int(system.clock.now() * 1000))
    assert system.services("MarketSchedulerFunction").market_scheduler().run().dispatched["stockx"] == 1


BULK_ACTION = "bulk-1767225600000-a1b2c3"


def bulk_action(system):
    """The bulk action the progress events name, as the API would have stored it (for their user)."""
    from sellerjobs.aws.bulk_actions import DynamoBulkActions
    from sellerjobs.promotions.bulk import BulkAction, BulkKind, BulkStatus
    from sellerjobs.promotions.job import Status
    from sellerjobs.promotions.ports import JobFilter

    now = int(system.clock.now() * 1000)
    DynamoBulkActions(system.stack.table_name("PromotionJobsTable")).create(BulkAction(
        id=BULK_ACTION, kind=BulkKind.RETRY, where=JobFilter(status=Status.FAILED, seller=USER), limit=100, by=USER,
        owner=USER, status=BulkStatus.QUEUED, created_at=now, updated_at=now))


HOOK = "wh_0123456789abcdef01234567"
EVENT_ID = "evt_q4m3ukcvvawtpc2ej7d4dhc4ya"
EVENT_AT = 1767225660000


def webhook(system):
    """The endpoint the webhook events name, registered on the sandbox's receiver."""
    from sellerjobs.webhooks.model import Webhook, WebhookStatus
    from sellerjobs.webhooks.signing import new_secret

    now = int(system.clock.now() * 1000)
    secret = new_secret()
    system.services("WebhooksFunction").webhook_store().create(Webhook(
        id=HOOK, user_id=USER, url=f"{system.virtual.sandbox_url}/hooks/{USER}", events=("promotion.succeeded",),
        status=WebhookStatus.ACTIVE, created_at=now, updated_at=now, secret=secret), 10)
    system.sandbox.webhooks.set_secrets(USER, [secret])


def stored_event(system):
    from sellerjobs.events.model import JobEvent

    body = json.dumps({"type": "promotion.succeeded", "id": EVENT_ID, "timestamp": "2026-01-01T00:01:00.000Z",
                       "data": {}})
    event = JobEvent(id=EVENT_ID, type="promotion.succeeded", occurred_at=EVENT_AT, body=body, sellers=(USER,))
    system.services("EventRelayFunction").event_store().put(event)
    return event


def pending_delivery(system):
    from sellerjobs.webhooks.model import Delivery, DeliveryState

    webhook(system)
    event = stored_event(system)
    system.services("WebhookDeliveryFunction").delivery_store().create(Delivery(
        webhook_id=HOOK, user_id=USER, event_id=EVENT_ID, type=event.type, occurred_at=EVENT_AT, body=event.body,
        state=DeliveryState.PENDING, created_at=EVENT_AT, updated_at=EVENT_AT, next_attempt_at=EVENT_AT))
    system.clock.set(EVENT_AT / 1000)


SETUP = {
    "queue_promotion.batch": connected,
    "queue_promotion.single": connected,
    "admin_jobs.bulk_action": bulk_action,
    "bulk_actions.progress": bulk_action,
    "bulk_action_worker.sqs": bulk_action,
    "webhooks.update": webhook,
    "webhooks.deliveries": webhook,
    "event_relay.sqs": stored_event,
    "webhook_delivery.sqs": pending_delivery,
    "market_jobs.price": cached_price,
    "market_worker.sqs": dispatched_market_job,
    "start_category_fetch.cancel": category_job,
    "category_fetch_status.seed": category_job,
    "category_fetch_status.aspects": stored_aspects,
    "category_fetch_worker.sqs": category_job,
    "promotion_status.job": queue_job,
    "promotion_status.get": queue_job,
    "manage_promotion.cancel": queue_job,
    "manage_promotion.retry": failed_job,
    "promotion_worker.sqs": due_job,
}


@pytest.mark.parametrize("event_file", sorted(EVENTS.glob("*.json")), ids=lambda p: p.stem)
def test_event_file_runs_its_function(system, event_file):
    function = function_for(event_file, system.stack.functions())
    SETUP.get(event_file.stem, lambda _: None)(system)
    event = json.loads(event_file.read_text())

    result = system.invoke(function.logical_id, event)

    if "requestContext" in event:
        assert 200 <= result["statusCode"] < 300, result
        assert result["headers"]["Content-Type"].startswith(("application/json", "text/html", "text/javascript"))
    elif "Records" in event:
        assert result == {"batchItemFailures": []}
        if function.logical_id == "PromotionWorkerFunction":
            assert system.job(USER, JOB)["status"] == "succeeded"
        if function.logical_id == "MarketWorkerFunction":
            price = system.call("GET", "/market/prices/stockx/DD1391-100?size=10", user=USER)
            assert price.status == 200, price.body
        if function.logical_id == "WebhookDeliveryFunction":
            assert system.sandbox.webhooks.summary(USER)["accepted"] == 1
    else:
        assert result.get("overdue", 0) == 0
        if function.logical_id == "MarketSchedulerFunction":
            assert result["trigger"] == "schedule"


def test_every_function_has_at_least_one_event_file(system):
    covered = {function_for(p, system.stack.functions()).logical_id for p in EVENTS.glob("*.json")}
    assert covered == set(system.stack.functions())
