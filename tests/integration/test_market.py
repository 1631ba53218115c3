"""Market data end to end in virtual time: the API, the scheduler, the worker and the providers
(the marketplace sandbox's StockX, Alias and eBay Browse, over HTTP)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from local.simulation import SimulatedCrash
from sellerjobs.aws import clients
from sellerjobs.aws.market import DynamoMarketJobs
from sellerjobs.aws.rate_buckets import DynamoRateLimiter
from sellerjobs.clock import ManualClock
from sellerjobs.market.job import MarketStatus, Provider
from sellerjobs.market.ports import MarketBatch
from sellerjobs.market.scheduler import MarketScheduler, SchedulerSettings, hourly_budget

MINUTE = 60.0
SKU = "DD1391-100"


def enqueue(system, user: str = "alice", **body: Any) -> dict[str, Any]:
    response = system.call("POST", "/market/jobs", user=user, body=body)
    assert response.status == 202, response.body
    return dict(response.json())


def jobs(system, status: str = "pending", **query: str) -> list[dict[str, Any]]:
    params = "&".join(f"{k}={v}" for k, v in ({"status": status} | query).items())
    response = system.call("GET", f"/market/jobs?{params}")
    assert response.status == 200, response.body
    return list(response.json()["jobs"])


def job_items(system) -> list[dict[str, Any]]:
    # Tests may scan; the system itself never does.
    items = clients.dynamodb().scan(TableName=system.stack.table_name("MarketTable"))["Items"]
    return [i for i in items if i["pk"]["S"].startswith("MJOB#")]


def overview(system) -> dict[str, Any]:
    response = system.call("GET", "/market/overview", admin=True)
    assert response.status == 200, response.body
    return dict(response.json())


def provider_calls(system, provider: str) -> int:
    calls = system.sandbox.call_counts(provider)
    return sum(n for op, n in calls.items() if "token" not in op)


def run_scheduler(system) -> dict[str, Any]:
    response = system.call("POST", "/market/scheduler/run", admin=True)
    assert response.status == 200, response.body
    return dict(response.json()["run"])


class ListQueue:
    """Keeps what the scheduler sends, in order (a fake at the queue port)."""

    def __init__(self) -> None:
        self.batches: list[MarketBatch] = []

    def send(self, messages: Sequence[MarketBatch]) -> list[MarketBatch]:
        self.batches.extend(messages)
        return []

    @property
    def keys(self) -> list[str]:
        return [key for batch in self.batches for key in batch.keys]


def scheduler(system, queue: ListQueue, per_hour: int = 100, reserve: int = 0,
              stuck_after_s: float = 600.0) -> MarketScheduler:
    table = system.stack.table_name("MarketTable")
    return MarketScheduler(
        jobs=DynamoMarketJobs(table), queue=queue,
        limiter=DynamoRateLimiter(system.stack.table_name("RateBucketsTable"), system.clock),
        budgets={p: hourly_budget(p, per_hour, reserve) for p in Provider}, clock=system.clock,
        settings=SchedulerSettings(manual_reserve=reserve, stuck_after_s=stuck_after_s))


@contextmanager
def just_before(operation: str, other: Callable[[], object],
                when: Callable[[dict[str, Any]], bool] = lambda params: True) -> Iterator[list[bool]]:
    """Run ``other`` to completion the first time a DynamoDB ``operation`` (matching ``when``) is
    about to be sent: two callers racing, staged at the worst moment for the first one.

    Real threads would race by chance, and moto's server is not safe under concurrent
    conditional writes (it can lose an update DynamoDB would refuse), so the races are staged
    deterministically instead. Yields a one-element list that turns True once ``other`` ran.
    """
    events = clients.dynamodb().meta.events
    event = f"provide-client-params.dynamodb.{operation}"
    fired = [False]

    def hook(params: dict[str, Any], **_: Any) -> None:
        if fired[0] or not when(params):
            return
        fired[0] = True  # first, so that ``other``'s own calls go straight through
        other()

    events.register(event, hook)
    try:
        yield fired
    finally:
        events.unregister(event, hook)


# -- enqueueing ------------------------------------------------------------------------------------

def test_a_job_is_queued_and_listed(system):
    reply = enqueue(system, provider="stockx", sku=SKU, size="10", priority=150)

    listed = jobs(system, provider="stockx")
    assert reply["ok"] is True and len(reply["queued"]) == 1 and reply["deduplicated"] == []
    assert [j["id"] for j in listed] == reply["queued"]
    assert listed[0] | {"enqueuedAt": 0, "updatedAt": 0} == {
        "id": reply["queued"][0], "provider": "stockx", "sku": SKU, "size": "10", "priority": 150,
        "status": "pending", "retryCount": 0, "error": None, "enqueuedAt": 0, "updatedAt": 0,
        "startedAt": None, "completedAt": None}


def test_the_same_item_again_returns_the_queued_job_and_raises_its_priority(system):
    first = enqueue(system, provider="stockx", sku=SKU, size="10", priority=100)
    lower = enqueue(system, provider="stockx", sku=SKU, size="10", priority=100)
    refresh = system.call("POST", "/market/refresh", body={"provider": "stockx", "items": [
        {"sku": SKU, "size": "10"}, {"sku": SKU, "size": "10"}]}).json()

    assert lower["queued"] == [] and lower["deduplicated"] == first["queued"]
    assert refresh["queued"] == [] and refresh["deduplicated"] == refresh["raised"] == first["queued"]
    # Raised to a manual refresh, it went out at once.
    assert [(j["id"], j["priority"]) for j in jobs(system, status="running")] == [(first["queued"][0], 200)]
    again = enqueue(system, provider="stockx", sku=SKU, size="10", priority=150)
    assert again["raised"] == [] and jobs(system, status="running")[0]["priority"] == 200  # never lowered
    assert len(job_items(system)) == 1


def test_a_list_of_items_is_queued_at_once_and_other_keys_are_other_jobs(system):
    reply = enqueue(system, provider="alias", priority=150, items=[
        {"sku": SKU, "size": "10"}, {"sku": SKU, "size": "10.5"}, {"sku": SKU}, {"sku": SKU, "size": "10"}])
    other_provider = enqueue(system, provider="ebay", sku=SKU, size="10")

    assert len(reply["queued"]) == 3 and len(set(reply["queued"])) == 3
    assert len(other_provider["queued"]) == 1
    assert overview(system)["jobs"]["alias"]["pending"] == 3


@pytest.mark.parametrize("priorities", [(110, 170), (170, 110), (120, 150, 170, 100)])
def test_concurrent_enqueues_of_one_item_make_one_job(system, priorities):
    # Each caller is overtaken by the next one just before its write: the worst interleaving.
    repo = DynamoMarketJobs(system.stack.table_name("MarketTable"))
    results: list[str] = []

    def enqueue_from(index: int) -> None:
        def write() -> None:
            (result,) = repo.enqueue(Provider.STOCKX, [(SKU, "10")], priorities[index], 1000 + index)
            results.append(result.job.id)

        if index + 1 == len(priorities):
            write()
            return
        with just_before("TransactWriteItems", lambda: enqueue_from(index + 1)) as overtaken:
            write()
        assert overtaken[0]

    enqueue_from(0)

    assert len(results) == len(priorities) and len(set(results)) == 1
    (item,) = job_items(system)
    assert item["priority"]["N"] == str(max(priorities))  # the highest asked for, never lowered
    assert repo.counts()["stockx"]["pending"] == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"provider": "goat", "sku": SKU}, "provider"),
    ({"provider": "stockx", "sku": ""}, "sku"),
    ({"provider": "stockx", "sku": "   "}, "sku"),
    ({"provider": "stockx", "sku": "DD1391|100"}, "sku"),
    ({"provider": "stockx", "sku": SKU, "size": "x" * 17}, "size"),
    ({"provider": "stockx", "sku": SKU, "priority": 500}, "priority"),
    ({"provider": "stockx", "sku": SKU, "priority": "high"}, "priority"),
    ({"provider": "stockx", "items": []}, "items"),
    ({"provider": "stockx", "items": [{"sku": SKU}] * 101}, "items"),
    ({"provider": "stockx", "items": [{"sku": SKU, "color": "red"}]}, "items[0].color"),
    ({"provider": "stockx", "sku": SKU, "items": [{"sku": SKU}]}, "body"),
    ({"provider": "stockx"}, "body"),
    ({"sku": SKU}, "provider"),
    ({"provider": "stockx", "sku": SKU, "user": "bob"}, "user"),
])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(system, body, field):
    response = system.call("POST", "/market/jobs", body=body)

    assert response.status == 400, response.body
    assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    assert clients.dynamodb().scan(TableName=system.stack.table_name("MarketTable"))["Items"] == []


def test_a_refresh_with_too_many_items_or_an_unknown_provider_is_refused(system):
    many = system.call("POST", "/market/refresh", body={"provider": "stockx", "items": [{"sku": SKU}] * 101})
    unknown = system.call("POST", "/market/refresh", body={"provider": "goat", "items": [{"sku": SKU}]})
    huge = system.call("POST", "/market/jobs", body={"provider": "stockx", "sku": SKU, "pad": "x" * 70_000})

    assert (many.status, unknown.status, huge.status) == (400, 400, 413)
    assert many.json()["errors"][0]["field"] == "items" and unknown.json()["errors"][0]["field"] == "provider"
    assert clients.dynamodb().scan(TableName=system.stack.table_name("MarketTable"))["Items"] == []


def test_listing_refuses_bad_queries(system):
    bad_status = system.call("GET", "/market/jobs?status=done")
    bad_limit = system.call("GET", "/market/jobs?limit=0")
    bad_cursor = system.call("GET", "/market/jobs?cursor=bm9wZQ")

    assert [r.status for r in (bad_status, bad_limit, bad_cursor)] == [400, 400, 400]
    assert [r.json()["errors"][0]["field"] for r in (bad_status, bad_limit, bad_cursor)] == [
        "status", "limit", "cursor"]


def test_listing_pages_through_jobs(system):
    enqueue(system, provider="stockx", items=[{"sku": SKU, "size": str(s)} for s in range(4, 11)])
    first = system.call("GET", "/market/jobs?status=pending&limit=4").json()
    second = system.call("GET", f"/market/jobs?status=pending&limit=4&cursor={first['cursor']}").json()

    assert len(first["jobs"]) == 4 and len(second["jobs"]) == 3
    assert {j["size"] for j in first["jobs"] + second["jobs"]} == {str(s) for s in range(4, 11)}


def test_listing_without_a_status_lists_every_status_newest_first(system):
    # Given jobs in three states: two succeeded, one failed (a sku StockX does not know), three waiting
    enqueue(system, provider="stockx", items=[{"sku": SKU, "size": "10"}, {"sku": SKU, "size": "11"},
                                              {"sku": "NO-SUCH-SKU-1"}], priority=200)
    system.sim.run_for(2 * MINUTE)
    enqueue(system, provider="alias", items=[{"sku": SKU, "size": str(s)} for s in (7, 8, 9)])
    everything = {j["id"]: j["status"] for j in job_items_api(system)}

    # When the listing is read without a status, two jobs a page
    pages = [system.call("GET", "/market/jobs?limit=2").json()]
    while pages[-1]["cursor"]:
        pages.append(system.call("GET", f"/market/jobs?limit=2&cursor={pages[-1]['cursor']}").json())
    listed = [j for page in pages for j in page["jobs"]]

    # Then every job comes once, newest first, whatever its status
    assert sorted(set(everything.values())) == ["failed", "pending", "succeeded"]
    assert sorted(j["id"] for j in listed) == sorted(everything)
    assert [j["updatedAt"] for j in listed] == sorted((j["updatedAt"] for j in listed), reverse=True)
    assert {j["status"] for j in jobs(system, status="failed")} == {"failed"}


def test_listing_every_status_of_one_provider(system):
    enqueue(system, provider="stockx", sku=SKU)
    enqueue(system, provider="alias", sku=SKU)

    listed = system.call("GET", "/market/jobs?provider=alias").json()["jobs"]

    assert [j["provider"] for j in listed] == ["alias"]


def job_items_api(system) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for status in MarketStatus:
        found |= {j["id"]: j for j in jobs(system, status=status.value, limit="200")}
    return list(found.values())


# -- the scheduler -------------------------------------------------------------------------------

def test_the_scheduler_takes_manual_then_hot_then_background_jobs_oldest_first(system):
    market_jobs = DynamoMarketJobs(system.stack.table_name("MarketTable"))

    def add(sku: str, priority: int) -> None:
        # Stored directly: through the API a manual refresh would go out at once, not wait for a run.
        market_jobs.enqueue(Provider.STOCKX, [(sku, None)], priority, int(system.clock.now() * 1000))
        system.clock.advance(1)

    for sku, priority in (("BG-1", 100), ("HOT-1", 150), ("BG-2", 100), ("MAN-1", 200), ("HOT-2", 150),
                          ("MAN-2", 200)):
        add(sku, priority)
    queue = ListQueue()
    run = scheduler(system, queue, per_hour=60)  # one call a minute, two at the start of the hour
    for _ in range(6):
        run.run()
        system.clock.advance(MINUTE)

    assert [key.split("|")[1] for key in queue.keys] == ["MAN-1", "MAN-2", "HOT-1", "HOT-2", "BG-1", "BG-2"]


def test_reads_only_what_it_dispatches(system):
    enqueue(system, provider="stockx", items=[{"sku": f"SKU-{i}"} for i in range(100)])
    queue = ListQueue()

    record = scheduler(system, queue, per_hour=120).run()  # 2 calls allowed at the hour's start

    assert record.dispatched["stockx"] == 2 and record.read["stockx"] == 2
    assert len(queue.keys) == 2


def _reading_the_queue(params: dict[str, Any]) -> bool:
    return params.get("IndexName") == "Queue"


def _taking_budget(params: dict[str, Any]) -> bool:
    return "RateBuckets" in params["TableName"]


# Where the second scheduler overtakes the first: after nothing, after its read of the queue,
# after its reservation of the budget (just before it marks the jobs running).
OVERTAKE_POINTS: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    ("Query", _reading_the_queue), ("UpdateItem", _taking_budget), ("TransactWriteItems", lambda params: True)]


def test_two_schedulers_at_once_never_spend_more_than_the_budget(system):
    assert "RateBuckets" in system.stack.table_name("RateBucketsTable")
    enqueue(system, provider="stockx", items=[{"sku": f"SKU-{i}"} for i in range(100)])
    enqueue(system, provider="stockx", items=[{"sku": f"SKU-{i}", "size": "9"} for i in range(100)])
    queue = ListQueue()
    # Nothing works the batches off; no job counts as stuck within the test's 70 minutes.
    first, second = (scheduler(system, queue, per_hour=60, stuck_after_s=86400) for _ in range(2))
    budget = hourly_budget(Provider.STOCKX, 60)
    limiter = DynamoRateLimiter(system.stack.table_name("RateBucketsTable"), system.clock)
    start = system.clock.now()

    for minute in range(70):
        operation, when = OVERTAKE_POINTS[minute % len(OVERTAKE_POINTS)]
        with just_before(operation, second.run, when) as overtaken:
            first.run()
        assert overtaken[0], f"minute {minute}: the second scheduler never ran"
        now = system.clock.now()
        assert limiter.used(budget, now) <= budget.allowance(now), f"minute {minute}"
        system.clock.advance(MINUTE)

    dispatched = queue.keys
    assert len(dispatched) == len(set(dispatched))  # no job went out twice
    # Every reserved call went out with a job (what was reserved and not started was given back).
    used = limiter.used(budget, start) + limiter.used(budget, start + 3600)
    assert used == len(dispatched)
    # An hour's budget plus the next hour's first ten minutes, never more.
    assert 60 <= len(dispatched) <= 60 + budget.allowance(system.clock.now() - MINUTE)


def test_a_job_both_schedulers_picked_is_started_once_and_the_loser_refunds(system):
    enqueue(system, provider="stockx", items=[{"sku": f"SKU-{i}"} for i in range(30)])
    queue = ListQueue()
    first = scheduler(system, queue, per_hour=900)  # 15 calls allowed at the hour's start
    first.settings.max_reads = 10
    second = scheduler(system, queue, per_hour=900)
    second.settings.max_reads = 5
    budget = hourly_budget(Provider.STOCKX, 900)
    limiter = DynamoRateLimiter(system.stack.table_name("RateBucketsTable"), system.clock)

    # The first has read ten jobs and reserved ten calls; the second reads the same top five
    # (still pending), reserves five and starts them before the first marks its ten running.
    with just_before("TransactWriteItems", second.run) as overtaken:
        run = first.run()

    assert overtaken[0]
    assert run.read["stockx"] == 10 and run.dispatched["stockx"] == 5
    assert len(queue.keys) == len(set(queue.keys)) == 10
    assert limiter.used(budget, system.clock.now()) == 10  # the first gave back the five it lost


def test_the_manual_reserve_keeps_calls_for_refreshes(system):
    enqueue(system, provider="stockx", items=[{"sku": f"SKU-{i}"} for i in range(100)])
    queue = ListQueue()
    sched = scheduler(system, queue, per_hour=600, reserve=5)  # 10 a minute, 15 at the hour's start

    sched.run()
    background = len(queue.keys)
    enqueue(system, provider="stockx", sku="MANUAL", priority=200)
    sched.run()
    sched.run()

    assert background == 10  # 5 of the 15 held back
    assert len(queue.keys) == 11 and queue.keys[-1].startswith("stockx|MANUAL|")


def test_jobs_left_running_by_a_dead_worker_go_back_to_the_queue(system):
    enqueue(system, provider="stockx", items=[{"sku": SKU, "size": "10"}, {"sku": SKU, "size": "11"}])
    queue = ListQueue()  # the batch is "lost": nothing works it off
    sched = scheduler(system, queue)
    assert sched.run().dispatched["stockx"] == 2
    assert overview(system)["jobs"]["stockx"]["running"] == 2

    system.clock.advance(9 * MINUTE)
    early = sched.run()
    system.clock.advance(2 * MINUTE)
    late = sched.run()

    assert early.reset_stuck == 0 and late.reset_stuck == 2
    assert late.dispatched["stockx"] == 2  # straight back out, in the same run
    assert {j["error"] for j in jobs(system, "running")} == {"reset: running too long"}


# -- the worker and the providers ----------------------------------------------------------------

def test_prices_from_all_three_providers_are_fetched_and_cached(system):
    for provider in ("stockx", "alias", "ebay"):
        enqueue(system, provider=provider, sku=SKU, size="10", priority=150)

    system.sim.run_for(2 * MINUTE)

    truth = system.sandbox.market_prices(SKU, "10")
    stockx = system.call("GET", f"/market/prices/stockx/{SKU}?size=10").json()
    alias = system.call("GET", f"/market/prices/alias/{SKU}?size=10").json()
    ebay = system.call("GET", f"/market/prices/ebay/{SKU}?size=10").json()
    assert stockx["price"]["lowestAsk"] == truth["stockx"]["lowestAskAmount"]
    assert stockx["price"]["highestBid"] == truth["stockx"]["highestBidAmount"]
    assert alias["price"]["lowestAsk"] == f"{int(truth['alias']['lowest_listing_price_cents']) / 100:.2f}"
    assert ebay["price"]["lowestAsk"] == min(truth["ebay"], key=float)
    assert all(r["price"]["stale"] is False and r["refreshQueued"] is False for r in (stockx, alias, ebay))
    assert {p: c["succeeded"] for p, c in overview(system)["jobs"].items()} == {"stockx": 1, "alias": 1, "ebay": 1}


def test_a_stale_price_is_served_and_refreshed_in_the_background(system):
    enqueue(system, provider="alias", sku=SKU, size="10")
    system.sim.run_for(2 * MINUTE)
    system.clock.advance(61 * MINUTE)

    stale = system.call("GET", f"/market/prices/alias/{SKU}?size=10").json()
    again = system.call("GET", f"/market/prices/alias/{SKU}?size=10").json()

    assert stale["price"]["stale"] is True and stale["refreshQueued"] is True
    assert again["refreshQueued"] is True  # the same job: still one pending
    (pending,) = jobs(system, provider="alias")
    assert pending["priority"] == 100 and pending["sku"] == SKU


def test_a_price_never_fetched_is_202_with_the_job_fetching_it(system):
    response = system.call("GET", "/market/prices/stockx/CW2288-111?size=9.5")
    again = system.call("GET", "/market/prices/stockx/CW2288-111?size=9.5")
    bad = system.call("GET", "/market/prices/goat/CW2288-111")

    assert response.status == 202 and response.json()["price"] is None and response.json()["refreshQueued"] is True
    assert again.status == 202 and again.json()["job"]["id"] == response.json()["job"]["id"]
    assert [(j["sku"], j["size"]) for j in jobs(system, provider="stockx")] == [("CW2288-111", "9.5")]
    assert bad.status == 400 and bad.json()["errors"][0]["field"] == "provider"

    system.sim.run_for(2 * MINUTE)
    fetched = system.call("GET", "/market/prices/stockx/CW2288-111?size=9.5")
    assert fetched.status == 200 and fetched.json()["price"]["sku"] == "CW2288-111"


def test_a_sku_the_provider_does_not_know_is_404_and_costs_no_call_on_later_reads(system):
    first = system.call("GET", "/market/prices/stockx/NO-SUCH-SKU-1")
    system.sim.run_for(2 * MINUTE)
    calls = provider_calls(system, "stockx")
    before = job_items(system)

    later = [system.call("GET", "/market/prices/stockx/NO-SUCH-SKU-1") for _ in range(3)]
    system.sim.run_for(2 * MINUTE)

    assert first.status == 202
    assert {r.status for r in later} == {404}
    assert "not found" in later[0].json()["error"]
    assert job_items(system) == before  # nothing queued or written by the reads
    assert provider_calls(system, "stockx") == calls


def test_a_429_defers_the_rest_of_the_batch_and_refunds_its_calls(system):
    system.sandbox.set_rate_limit("alias", 3, 3600)  # the provider allows fewer than our budget says
    sizes = ["8", "8.5", "9", "9.5", "10", "10.5"]
    enqueue(system, provider="alias", items=[{"sku": SKU, "size": s} for s in sizes], priority=200)
    budget = system.services("MarketWorkerFunction").market_budgets()[Provider.ALIAS]
    limiter = DynamoRateLimiter(system.stack.table_name("RateBucketsTable"), system.clock)

    run_scheduler(system)
    system.sim.run_for(10)  # the worker takes the batch, its calls 0.5 s apart; no schedule fires yet

    counts = overview(system)["jobs"]["alias"]
    calls = provider_calls(system, "alias")
    assert counts["succeeded"] == 2 and counts["deferred"] == 4  # catalog + 2 prices, then 429
    assert limiter.used(budget, system.clock.now()) == calls == 4  # 3 answered + the 429
    deferred = jobs(system, "deferred", provider="alias")
    assert {j["error"] for j in deferred} >= {"the provider answered 429"}
    # Deferred jobs wait like pending ones and go out again when the provider allows.
    system.sandbox.clear_rate_limit("alias")
    system.sim.run_for(10 * MINUTE)
    assert overview(system)["jobs"]["alias"]["succeeded"] == 6


def test_unknown_skus_fail_as_not_found_and_bad_credentials_as_credentials(system):
    enqueue(system, provider="stockx", sku="NO-SUCH-SKU", size="10")
    system.sim.run_for(2 * MINUTE)
    system.sandbox.revoke_alias_token("sellerjobs-local-alias-token")
    enqueue(system, provider="alias", sku=SKU, size="10")
    system.sim.run_for(2 * MINUTE)

    failed = {j["provider"]: j["error"] for j in jobs(system, "failed")}
    assert failed["stockx"].startswith("not found")
    assert failed["alias"].startswith("credentials")


def test_server_errors_are_retried_then_the_job_fails_and_reset_failed_requeues_it(system):
    system.sandbox.inject_fault("search_item_summaries", status=503, times=4)
    enqueue(system, provider="ebay", sku=SKU, size="10")
    system.sim.run_for(2 * MINUTE)

    (failed,) = jobs(system, "failed")
    assert failed["retryCount"] == 3 and "gave up after 3 retries" in failed["error"]
    reset = system.call("POST", "/market/jobs/reset-failed", admin=True).json()
    system.sim.run_for(2 * MINUTE)
    assert reset == {"ok": True, "reset": 1}
    assert overview(system)["jobs"]["ebay"]["succeeded"] == 1


def test_a_server_error_then_success_is_one_success(system):
    system.sandbox.inject_fault("stockx_variant_market_data", status=500, times=1)
    enqueue(system, provider="stockx", sku=SKU, size="10")
    system.sim.run_for(2 * MINUTE)

    (done,) = jobs(system, "succeeded")
    assert done["retryCount"] == 1 and done["error"] is None


def test_a_duplicate_delivery_calls_the_provider_once_per_job(system):
    enqueue(system, provider="alias", items=[{"sku": SKU, "size": "10"}, {"sku": SKU, "size": "11"}])
    queue = ListQueue()
    scheduler(system, queue).run()  # dispatched, but kept here instead of SQS
    (batch,) = queue.batches
    worker = system.services("MarketWorkerFunction").market_worker()

    first = worker.process(batch)
    calls = provider_calls(system, "alias")
    second = worker.process(batch, first_delivery=False)

    assert (first.succeeded, second.succeeded, second.calls) == (2, 0, 0)
    assert provider_calls(system, "alias") == calls


def test_a_crash_after_the_call_is_retried_by_the_redelivery_within_the_budget(system):
    enqueue(system, provider="alias", sku=SKU, size="10")
    queue = ListQueue()
    scheduler(system, queue).run()
    (batch,) = queue.batches
    budget = system.services("MarketWorkerFunction").market_budgets()[Provider.ALIAS]
    limiter = DynamoRateLimiter(system.stack.table_name("RateBucketsTable"), system.clock)
    used_before = limiter.used(budget, system.clock.now())
    # The price is fetched and cached; the job's settling write never happens.
    with system.sim.crash_on(clients.dynamodb(), "TransactWriteItems"), pytest.raises(SimulatedCrash):
        system.services("MarketWorkerFunction").market_worker().process(batch)
    retried = system.services("MarketWorkerFunction").market_worker().process(batch, first_delivery=False)

    assert retried.succeeded == 1
    assert overview(system)["jobs"]["alias"]["succeeded"] == 1
    # The redelivery paid for its own calls: the budget counts every call made.
    assert limiter.used(budget, system.clock.now()) >= used_before + retried.calls


def test_a_batch_reset_and_dispatched_again_is_left_to_its_new_batch(system):
    enqueue(system, provider="alias", sku=SKU, size="10")
    queue = ListQueue()
    sched = scheduler(system, queue)
    sched.run()
    system.clock.advance(11 * MINUTE)
    sched.run()  # reset as stuck, dispatched again
    old, new = queue.batches

    late = system.services("MarketWorkerFunction").market_worker().process(old, first_delivery=False)
    fresh = system.services("MarketWorkerFunction").market_worker().process(new)

    assert (late.succeeded, late.calls, fresh.succeeded) == (0, 0, 1)


def test_the_worker_spaces_its_calls(system, monkeypatch):
    system.reconfigure(MARKET_CALL_SPACING_SECONDS="2")
    enqueue(system, provider="alias", items=[{"sku": SKU, "size": s} for s in ("9", "10", "11")])
    queue = ListQueue()
    scheduler(system, queue, per_hour=600).run()
    system.sandbox.reset_calls()

    system.services("MarketWorkerFunction").market_worker().process(queue.batches[0])

    times = [c["at"] for c in system.sandbox.calls if c["operation"].startswith("alias")]
    assert len(times) == 4 and all(b - a >= 2 for a, b in itertools.pairwise(times))


# -- admin -----------------------------------------------------------------------------------------

def test_admin_routes_need_the_admin_claim(system):
    for method, path in (("GET", "/market/overview"), ("POST", "/market/scheduler/run"),
                         ("POST", "/market/jobs/reset-failed")):
        response = system.call(method, path)
        assert response.status == 403, (path, response.body)


def test_the_overview_shows_budgets_jobs_runs_and_batches(system):
    enqueue(system, provider="stockx", items=[{"sku": SKU, "size": s} for s in ("9", "10")])
    system.sim.run_for(2 * MINUTE)

    view = overview(system)

    assert view["budgets"]["stockx"]["limit"] == 100 and view["budgets"]["alias"]["limit"] == 200
    assert view["budgets"]["ebay"]["limit"] == 150
    assert view["budgets"]["stockx"]["used"] == provider_calls(system, "stockx")
    assert view["budgets"]["stockx"]["remaining"] == 100 - view["budgets"]["stockx"]["used"]
    assert view["jobs"]["stockx"]["succeeded"] == 2
    assert view["recentRuns"] and view["recentRuns"][0]["trigger"] == "schedule"
    assert view["sellerShare"] == pytest.approx(0.2) and view["sellerCallsPerHour"]["stockx"] == 20
    # The sku's catalog lookup took the last call background work may use this minute (the rest is
    # kept for manual refreshes): the second job waited for the next run.
    batches = sorted(view["recentBatches"], key=lambda b: b["startedAt"])
    assert [(b["batchSize"], b["succeeded"], b["deferred"]) for b in batches] == [(2, 1, 1), (1, 1, 0)]


def test_time_in_the_run_record_is_the_clock(system):
    clock: ManualClock = system.clock
    run = run_scheduler(system)
    assert run["startedAt"] == int(clock.now() * 1000) and run["trigger"] == "manual"
    assert MarketStatus.DEFERRED.queued


# ---------------------------------------------------------------- each seller's share of an hour


def test_a_seller_over_its_share_gets_429_with_retry_after_and_nothing_is_queued(system):
    # 20% of StockX's 100 calls an hour, spread over the hour as StockX's budget is: at once, two
    # calls and the five a manual refresh may take; then one every three minutes.
    first = system.call("POST", "/market/refresh", user="alice",
                        body={"provider": "stockx", "items": [{"sku": f"SKU-{i:02d}"} for i in range(7)]})
    assert first.status == 202, first.body
    before = len(job_items(system))

    refused = system.call("POST", "/market/refresh", user="alice",
                          body={"provider": "stockx", "items": [{"sku": "ONE-MORE"}]})

    assert refused.status == 429
    assert refused.headers["retry-after"] == str(3 * 60)  # the share's next call
    body = refused.json()
    assert body["success"] is False and body["ok"] is False and "stockx" in body["error"]
    assert body["errors"] == [{"field": "provider", "message": body["error"]}]
    assert len(job_items(system)) == before
    # Another seller does not notice.
    other = system.call("POST", "/market/refresh", user="bob",
                        body={"provider": "stockx", "items": [{"sku": "ONE-MORE"}]})
    assert other.status == 202, other.body


def test_a_sellers_whole_share_of_the_hour_is_the_most_it_gets(system):
    system.clock.advance(54 * MINUTE)  # the hour's whole share is allowed by now
    spent = system.call("POST", "/market/refresh", user="alice",
                        body={"provider": "stockx", "items": [{"sku": f"SKU-{i:02d}"} for i in range(20)]})
    assert spent.status == 202, spent.body

    refused = system.call("POST", "/market/refresh", user="alice",
                          body={"provider": "stockx", "items": [{"sku": "ONE-MORE"}]})

    assert refused.status == 429
    assert refused.headers["retry-after"] == str(6 * 60)  # the next clock hour


def test_reads_of_unpriced_items_stop_at_the_readers_share(system):
    # Four StockX calls: two first reads, each a catalog lookup and a price.
    system.call("PUT", "/market/settings", admin=True, body={"sellerShare": 0.04})
    for sku in ("NEW-1", "NEW-2"):
        assert system.call("GET", f"/market/prices/stockx/{sku}", user="carol").status == 202

    refused = system.call("GET", "/market/prices/stockx/NEW-3", user="carol")

    assert refused.status == 429 and int(refused.headers["retry-after"]) > 0
    assert system.call("GET", "/market/prices/stockx/NEW-3", user="dave").status == 202


def test_a_manual_refresh_is_dispatched_at_once_not_at_the_next_minute(system):
    reply = system.call("POST", "/market/refresh", user="alice",
                        body={"provider": "alias", "items": [{"sku": SKU, "size": "10"}]})

    assert reply.status == 202
    (job,) = reply.json()["jobs"]
    assert job["status"] == "running"
    system.sim.run_for(5)
    price = system.call("GET", f"/market/prices/alias/{SKU}?size=10", user="alice")
    assert price.status == 200 and price.json()["price"]["provider"] == "alias"


@pytest.mark.parametrize("share", [0, -0.1, 1.5, "a lot", None])
def test_a_share_setting_out_of_range_is_refused_naming_the_field_and_changes_nothing(system, share):
    response = system.call("PUT", "/market/settings", admin=True, body={"sellerShare": share})

    assert response.status == 400, response.body
    assert response.json()["errors"][0]["field"] == "sellerShare"
    assert overview(system)["sellerShare"] == pytest.approx(0.2)


def test_only_admins_change_the_share(system):
    response = system.call("PUT", "/market/settings", user="alice", body={"sellerShare": 0.5})

    assert response.status == 403
    assert overview(system)["sellerShare"] == pytest.approx(0.2)
