"""``make demo``: the promotion scenario end to end on the local stack, with a summary.

Sellers publish listings on the marketplace sandbox and queue promotions through the HTTP API
(signed dev JWTs, the original payloads): the 25-listing batch from the original write-up,
single listings, two listings that never sync, one listing already promoted, and a seller with
no campaign yet. Listings become promotable 1-10 minutes after publishing. Meanwhile a category
fetch reads every leaf of Health & Beauty (26395) and stores their item aspects, and market
price jobs of every priority are queued for StockX, Alias and eBay: a background backlog larger
than an hour's budgets, items just added, and a seller's manual refresh, which must overtake the
backlog while no provider sees more calls than its budget allows. The stack runs ``time_scale``
times faster than real time; the demo waits until every promotion and fetch has finished and the
refreshed prices are in, and exits 0 only if everything ended as expected.

Both sellers register a webhook on the sandbox's receiver, which verifies every signature with
the ``standardwebhooks`` package; two virtual minutes in, alice's receiver fails (HTTP 500) for
four virtual minutes. The demo checks that every event the bus carried for a seller reached that
seller's receiver, signed, the outage's included, under one id each.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import boto3

from local.auth import STATE_DIR
from local.aws import REGION
from local.bus import BusRecorder
from local.stack import LocalStack
from sellerjobs.events.model import EventType

MINUTE = 60.0
REAL_TIMEOUT_S = 170.0
OUTAGE_AT_S, OUTAGE_S = 2 * MINUTE, 4 * MINUTE  # virtual: alice's receiver answers 500 meanwhile


@dataclass
class Expectation:
    user: str
    listing_id: str
    status: str
    job_id: str = ""
    sync_delay_s: float | None = None


@dataclass
class Scenario:
    expected: list[Expectation] = field(default_factory=list)

    def add(self, user: str, listing_id: str, status: str, sync_delay_s: float | None) -> Expectation:
        item = Expectation(user, listing_id, status, sync_delay_s=sync_delay_s)
        self.expected.append(item)
        return item


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def play(stack: LocalStack, out: TextIO) -> Scenario:
    rng = random.Random(2026)
    sandbox = stack.sandbox
    scenario = Scenario()

    # alice: the original write-up's batch of 25 freshly published listings.
    batch = [str(177681098666 + i) for i in range(25)]
    for listing in batch:
        delay = rng.uniform(1, 10) * MINUTE
        sandbox.publish_listing("alice", listing, sync_delay_s=delay)
        scenario.add("alice", listing, "succeeded", delay)
    response = stack.call("POST", "/queue-promotion", "alice",
                          {"batch": [{"listingId": lid, "adRate": 5} for lid in batch]})
    response.raise_for_status()
    for item, job_id in zip(scenario.expected, response.json()["jobIds"], strict=True):
        item.job_id = job_id
    print(f"  alice queued the 25-listing batch: {response.json()['message']}", file=out)

    def single(user: str, listing: str, status: str, delay: float | None, ad_rate: float = 7.5) -> None:
        if delay is None:
            sandbox.publish_listing(user, listing, never_syncs=True)
        else:
            sandbox.publish_listing(user, listing, sync_delay_s=delay)
        item = scenario.add(user, listing, status, delay)
        reply = stack.call("POST", "/promotions", user, {"listingId": listing, "adRate": ad_rate})
        reply.raise_for_status()
        item.job_id = reply.json()["jobId"]

    for minutes in (2, 5, 9):
        single("alice", str(186000000000 + minutes), "succeeded", minutes * MINUTE)
    single("alice", "186000000099", "failed", None)  # never syncs: fails after the sync window
    # Already promoted outside the system: eBay answers 35036 and the job completes with that ad.
    sandbox.publish_listing("alice", "186000000050", sync_delay_s=0)
    sandbox.add_ad(stack.dev_campaigns["alice"], "186000000050")
    item = scenario.add("alice", "186000000050", "succeeded", 0.0)
    item.job_id = stack.call("POST", "/promotions", "alice", {"listingId": "186000000050", "adRate": 5}).json()["jobId"]
    # bob has no campaign yet: the first job creates one.
    for delay_min in (1.5, 4.0):
        single("bob", str(187000000000 + int(delay_min * 10)), "succeeded", delay_min * MINUTE)
    single("bob", "187000000099", "failed", None)
    print(f"  alice and bob queued {len(scenario.expected) - 25} single listings", file=out)
    return scenario


@dataclass
class CategoryFetch:
    job_id: str
    total: int
    started: float  # real time
    finished: float | None = None
    status: dict[str, Any] = field(default_factory=dict)


def start_category_fetch(stack: LocalStack, out: TextIO) -> CategoryFetch:
    body = {"marketplaceId": "EBAY_US", "parentCategoryId": "26395"}
    response = stack.call("POST", "/category-fetches", "alice", body)
    response.raise_for_status()
    body = response.json()
    print(f"  alice started a category fetch: {body['totalCategories']} leaf categories of {body['parentCategory']}",
          file=out)
    return CategoryFetch(job_id=body["jobId"], total=body["totalCategories"], started=time.monotonic())


def check_category_fetch(stack: LocalStack, fetch: CategoryFetch) -> None:
    if fetch.finished is None:
        fetch.status = stack.call("GET", f"/category-fetches/{fetch.job_id}", "alice").json()["status"]
        if fetch.status["status"] not in ("queued", "processing"):
            fetch.finished = time.monotonic()


@dataclass
class MarketDemo:
    refreshed: dict[str, list[str]] = field(default_factory=dict)  # provider -> job ids of the refresh
    backlog: int = 0
    refreshed_at: float = 0.0  # real time
    done_at: float | None = None


def start_market_jobs(stack: LocalStack, out: TextIO) -> MarketDemo:
    """A backlog larger than an hour's budget, a few just-added items, then (later) a manual refresh."""
    demo = MarketDemo()
    sandbox = stack.sandbox
    for provider in ("stockx", "alias", "ebay"):
        skus = sandbox.market_skus(provider)[:12]
        items = [{"sku": sku, "size": size} for sku in skus for size in ("8", "9", "10", "11", "12")]
        background = stack.call("POST", "/market/jobs", "alice", {"provider": provider, "priority": 100,
                                                                  "items": items[:50]})
        hot = stack.call("POST", "/market/jobs", "bob", {"provider": provider, "priority": 150, "items": items[50:55]})
        for response in (background, hot):
            response.raise_for_status()
        demo.backlog += len(background.json()["queued"]) + len(hot.json()["queued"])
    print(f"  alice and bob queued {demo.backlog} market price jobs (background and just-added items)", file=out)
    return demo


def refresh_prices(stack: LocalStack, demo: MarketDemo, out: TextIO) -> None:
    for provider in ("stockx", "alias", "ebay"):
        sku = stack.sandbox.market_skus(provider)[20]
        response = stack.call("POST", "/market/refresh", "alice",
                              {"provider": provider, "items": [{"sku": sku, "size": s} for s in ("9", "10", "11")]})
        response.raise_for_status()
        demo.refreshed[provider] = response.json()["queued"] + response.json()["deduplicated"]
    demo.refreshed_at = time.monotonic()
    print("  alice pressed refresh on 3 items per provider (priority 200)", file=out, flush=True)


def check_market(stack: LocalStack, demo: MarketDemo) -> None:
    if demo.done_at is None and demo.refreshed:
        succeeded = stack.call("GET", "/market/jobs?status=succeeded&limit=200", "alice").json()["jobs"]
        done = {j["id"] for j in succeeded}
        if all(set(ids) <= done for ids in demo.refreshed.values()):
            demo.done_at = time.monotonic()


@dataclass
class Endpoint:
    user: str
    name: str  # the sandbox receiver's endpoint: /hooks/<name>
    webhook_id: str
    events: set[str]


@dataclass
class WebhookDemo:
    endpoints: list[Endpoint] = field(default_factory=list)
    outage_from: float | None = None  # real time the outage began
    outage_until: float | None = None


def register_webhooks(stack: LocalStack, out: TextIO) -> WebhookDemo:
    """alice takes every event type, bob his promotions and market prices; the receiver learns the secrets."""
    demo = WebhookDemo()
    wanted = {"alice": [t.value for t in EventType],
              "bob": [t.value for t in EventType if t.value.startswith(("promotion.", "market."))]}
    for user, events in wanted.items():
        name = f"{user}-backend"
        response = stack.call("POST", "/webhooks", user, {"url": f"{stack.sandbox_url}/hooks/{name}", "events": events,
                                                          "description": f"{user}'s order system"})
        response.raise_for_status()
        hook = response.json()
        stack.sandbox.webhooks.set_secrets(name, [hook["secret"]])
        demo.endpoints.append(Endpoint(user, name, hook["id"], set(events)))
    print(f"  alice and bob registered webhooks on the sandbox receiver ({len(wanted['alice'])} and "
          f"{len(wanted['bob'])} event types)", file=out)
    return demo


def receiver_outage(stack: LocalStack, demo: WebhookDemo, started: float, out: TextIO) -> None:
    if demo.outage_from is None and (time.monotonic() - started) * stack.time_scale >= OUTAGE_AT_S:
        stack.sandbox.webhooks.fail("alice-backend", "500", OUTAGE_S)
        demo.outage_from = time.monotonic()
        demo.outage_until = demo.outage_from + OUTAGE_S / stack.time_scale
        print(f"  alice's webhook receiver fails (HTTP 500) for {OUTAGE_S / MINUTE:.0f} virtual minutes", file=out,
              flush=True)


def undelivered(stack: LocalStack, demo: WebhookDemo, recorder: BusRecorder) -> dict[str, set[str]]:
    """Per endpoint: the ids of events the bus carried for its seller and type that it has not accepted."""
    missing: dict[str, set[str]] = {}
    carried = recorder.take()
    for endpoint in demo.endpoints:
        wanted = {e["detail"]["id"] for e in carried
                  if endpoint.user in e["detail"].get("sellers", []) and e["detail-type"] in endpoint.events}
        accepted = {r.webhook_id for r in stack.sandbox.webhooks.received(endpoint.name)
                    if r.answered is not None and 200 <= r.answered < 300}
        missing[endpoint.name] = wanted - accepted
    return missing


def wait_for_webhooks(stack: LocalStack, demo: WebhookDemo, recorder: BusRecorder, timeout_s: float = 40.0) -> bool:
    """Until every event on the bus so far has reached its sellers' receivers (retries take minutes)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not any(undelivered(stack, demo, recorder).values()):
            return True
        time.sleep(1.0)
    return False


def summarize_webhooks(stack: LocalStack, demo: WebhookDemo, recorder: BusRecorder, delivered: bool,
                       out: TextIO) -> bool:
    on_bus: dict[str, int] = {}
    for event in recorder.take():
        on_bus[event["detail-type"]] = on_bus.get(event["detail-type"], 0) + 1
    print(f"  event bus: {sum(on_bus.values())} events - "
          + ", ".join(f"{kind} {n}" for kind, n in sorted(on_bus.items())), file=out)
    ok = delivered
    for endpoint in demo.endpoints:
        summary = stack.sandbox.webhooks.summary(endpoint.name)
        received = stack.sandbox.webhooks.received(endpoint.name)
        by_type = ", ".join(f"{kind} {n}" for kind, n in sorted(summary["acceptedByType"].items())) or "none"
        print(f"  webhooks to {endpoint.user}: {summary['distinctEvents']} events received ({by_type}); "
              f"{summary['valid']} of {summary['received']} deliveries with a valid signature", file=out)
        ok = ok and summary["invalid"] == 0 and summary["accepted"] > 0
        if endpoint.name == "alice-backend":
            failed_ids = {r.webhook_id for r in received if r.answered == 500}
            accepted = {r.webhook_id for r in received if r.answered is not None and 200 <= r.answered < 300}
            attempts = max((sum(1 for r in received if r.webhook_id == i) for i in failed_ids), default=0)
            lost = len(failed_ids - accepted)
            print(f"  receiver outage: {len(failed_ids)} events met the {OUTAGE_S / MINUTE:.0f}-minute outage; "
                  f"all delivered after it with the same id (up to {attempts} attempts), {lost} lost", file=out)
            ok = ok and lost == 0 and len(failed_ids) > 0
    missing = undelivered(stack, demo, recorder)
    print("  every event on the bus reached its sellers' webhooks: "
          + ("yes" if not any(missing.values()) else f"NO ({sum(map(len, missing.values()))} missing)"), file=out)
    return ok and not any(missing.values())


def wait_until_finished(stack: LocalStack, scenario: Scenario, out: TextIO, fetch: CategoryFetch,
                        market: MarketDemo, webhooks: WebhookDemo) -> bool:
    users = sorted({e.user for e in scenario.expected})
    started = time.monotonic()
    last_line = ""
    while time.monotonic() - started < REAL_TIMEOUT_S:
        stats = {u: stack.call("GET", "/promotions/stats", u).json()["stats"] for u in users}
        unfinished = sum(s["total"] for s in stats.values())
        done = {k: sum(s[k] for s in stats.values()) for k in ("succeeded", "failed")}
        virtual_min = (time.monotonic() - started) * stack.time_scale / MINUTE
        line = (f"  t+{virtual_min:5.1f} min  unfinished {unfinished:3d}  succeeded {done['succeeded']:3d}  "
                f"failed {done['failed']:3d}")
        if line != last_line:
            print(line, file=out, flush=True)
            last_line = line
        check_category_fetch(stack, fetch)
        receiver_outage(stack, webhooks, started, out)
        if not market.refreshed and time.monotonic() - started > 5 * MINUTE / stack.time_scale:
            refresh_prices(stack, market, out)
        check_market(stack, market)
        outage_over = webhooks.outage_until is not None and time.monotonic() > webhooks.outage_until
        if unfinished == 0 and fetch.finished is not None and market.done_at is not None and outage_over:
            return True
        time.sleep(1.0)
    return False


def summarize_market(stack: LocalStack, demo: MarketDemo, out: TextIO) -> bool:
    """Budgets per provider against the calls the providers saw; the refresh's wait."""
    view = stack.call("GET", "/market/overview", "operator", admin=True).json()
    throttled = sum(1 for c in stack.sandbox.calls if c["status"] == 429)
    ok = throttled == 0 and demo.done_at is not None
    for provider, budget in view["budgets"].items():
        jobs = view["jobs"][provider]
        calls = sum(n for op, n in stack.sandbox.call_counts(provider).items() if "token" not in op)
        if provider == "ebay":  # the eBay entry also counts the promotion and taxonomy calls
            calls = stack.sandbox.call_counts("ebay").get("search_item_summaries", 0)
        # The sandbox holds each provider to its hourly limit: overspending would have been 429s.
        ok = ok and budget["used"] <= budget["allowedNow"]
        failed = stack.call("GET", f"/market/jobs?status=failed&provider={provider}", "alice").json()["jobs"]
        reasons = sorted({str(j["error"]).split(":")[0] for j in failed})
        print(f"  market {provider:6s}: {calls:3d} provider calls, budget {budget['used']}/{budget['limit']} used "
              f"this hour ({budget['allowedNow']} allowed so far); jobs {jobs['succeeded']} succeeded, "
              f"{jobs['pending'] + jobs['deferred']} waiting, {jobs['failed']} failed"
              + (f" ({', '.join(reasons)})" if reasons else ""), file=out)
    if demo.done_at is not None:
        wait = (demo.done_at - demo.refreshed_at) * stack.time_scale
        print(f"  market refresh: all 9 refreshed prices in within {wait:.0f} s (virtual) while "
              f"background jobs waited; 429s from providers: {throttled}", file=out)
    else:
        print("  market refresh: UNFINISHED", file=out)
    return ok


def summarize_operations(stack: LocalStack, scenario: Scenario, out: TextIO) -> None:
    """What an operator sees: every queue's counts by state, and one job's history."""
    view = stack.call("GET", "/queues", "operator", admin=True).json()
    promotion, fetches = view["promotion"], view["categoryFetch"]
    print(f"  queues: promotion {promotion['unfinished']} unfinished, {promotion['completed']} completed, "
          f"{promotion['failed']} failed, {promotion['cancelled']} cancelled (queue messages: {promotion['waiting']} "
          f"waiting, {promotion['active']} active, {promotion['delayed']} delayed); category fetches "
          f"{fetches['waiting']} waiting, {fetches['active']} active, {fetches['completed']} completed", file=out)
    for provider, counts in view["market"].items():
        print(f"          market {provider:6s} {counts['waiting']} waiting, {counts['active']} active, "
              f"{counts['delayed']} delayed, {counts['completed']} completed, {counts['failed']} failed", file=out)
    dead = ", ".join(f"{name} {letters['depth']}" for name, letters in view["deadLetters"].items())
    print(f"          dead-letter queues: {dead}", file=out)
    # The 9-minute listing: it waited through eBay's sync delay, then got its ad.
    item = next(e for e in scenario.expected if e.listing_id == "186000000009")
    job = stack.call("GET", f"/promotions/{item.job_id}", item.user).json()["job"]
    print(f"  history of job {job['id']} ({job['status']}, {job['attempts']} attempts):", file=out)
    history = job.get("history") or []
    for entry in history:
        print("    " + history_line(entry, history[0]["at"]), file=out)


def history_line(entry: dict[str, Any], start_ms: int) -> str:
    """One history entry as a line, its times from the job's start: "+1:05-+8:05 retrying x8 attempt 8: …"."""
    def at(ms: int) -> str:
        seconds = round((ms - start_ms) / 1000)
        return f"+{seconds // 60}:{seconds % 60:02d}"

    when = at(entry["at"]) + (f"-{at(entry['lastAt'])}" if entry.get("lastAt") else "")
    parts = [f"{when:>13}", entry["outcome"]]
    if entry.get("count", 1) > 1:
        parts.append(f"x{entry['count']}")
    if entry.get("attempt") is not None:
        parts.append(f"attempt {entry['attempt']}")
    detail = [str(entry[k]) for k in ("operation", "message") if entry.get(k)]
    if entry.get("adId"):
        detail.append(f"ad {entry['adId']} in campaign {entry.get('campaignId')}")
    return " ".join(parts) + (": " + ", ".join(detail) if detail else "")


def summarize(stack: LocalStack, scenario: Scenario, finished: bool, real_s: float, out: TextIO,
              fetch: CategoryFetch, market: MarketDemo, webhooks: WebhookDemo, recorder: BusRecorder,
              delivered: bool) -> bool:
    sandbox = stack.sandbox
    jobs: dict[str, dict[str, Any]] = {}
    for item in scenario.expected:
        jobs[item.job_id] = stack.call("GET", f"/promotions/{item.job_id}", item.user).json()["job"]
    wrong = [e for e in scenario.expected if jobs[e.job_id]["status"] != e.status]
    lateness = []
    ads = {(a["seller"], a["listingId"]): a for a in sandbox.ads}
    for item in scenario.expected:
        synced = sandbox.listing_synced_at(item.listing_id)
        ad = ads.get((item.user, item.listing_id))
        if item.status == "succeeded" and synced is not None and ad is not None and item.sync_delay_s:
            lateness.append(ad["createdAt"] - synced)
    calls = sandbox.calls
    by_operation: dict[str, int] = {}
    for call in calls:
        by_operation[call["operation"]] = by_operation.get(call["operation"], 0) + 1
    succeeded = sum(1 for j in jobs.values() if j["status"] == "succeeded")
    failed = sum(1 for j in jobs.values() if j["status"] == "failed")

    print("\nSummary", file=out)
    print(f"  jobs: {len(jobs)} queued, {succeeded} succeeded, {failed} failed "
          f"(expected {sum(e.status == 'succeeded' for e in scenario.expected)} / "
          f"{sum(e.status == 'failed' for e in scenario.expected)})", file=out)
    if lateness:
        print(f"  listing synced -> ad created: median {statistics.median(lateness):.0f} s, "
              f"p95 {_percentile(lateness, 0.95):.0f} s, max {max(lateness):.0f} s (virtual time)", file=out)
    print(f"  marketplace calls: {len(calls)} in all - "
          + ", ".join(f"{k} {v}" for k, v in sorted(by_operation.items())), file=out)
    attempts = sum(j["attempts"] for j in jobs.values())
    print(f"  attempts: {attempts} over {len(jobs)} jobs; "
          f"{by_operation.get('bulk_create_ads_by_listing_id', 0)} bulk ad calls", file=out)
    fetched_ok = fetch.status.get("status") == "completed" and fetch.status.get("failed") == 0 \
        and fetch.status.get("success") == fetch.total
    if fetch.finished is not None:
        real = fetch.finished - fetch.started
        taxonomy = by_operation.get("get_item_aspects_for_category", 0)
        print(f"  category fetch: {fetch.status.get('success')} of {fetch.total} categories stored, "
              f"{fetch.status.get('failed')} failed, {fetch.status.get('status')} in {real:.1f} s real "
              f"(~{real * stack.time_scale:.0f} s at real speed; the original system: "
              f"{fetch.total / 5:.0f} min); {taxonomy} aspects calls", file=out)
    else:
        print("  category fetch: UNFINISHED", file=out)
    market_ok = summarize_market(stack, market, out)
    webhooks_ok = summarize_webhooks(stack, webhooks, recorder, delivered, out)
    summarize_operations(stack, scenario, out)
    print(f"  duration: {real_s:.0f} s real at {stack.time_scale:g}x", file=out)
    for item in wrong:
        job = jobs[item.job_id]
        print(f"  UNEXPECTED {item.user}/{item.listing_id}: {job['status']} (expected {item.status}); "
              f"last error: {job['lastError']}", file=out)
    ok = finished and not wrong and fetched_ok and market_ok and webhooks_ok
    print("  result: " + ("every job ended as expected" if ok else "FAILED"), file=out)
    return ok


def run(time_scale: float = 20.0, verbose: bool = False) -> int:
    out = sys.__stdout__ or sys.stdout
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log_path = STATE_DIR / "demo.log"
    log_file = None if verbose else log_path.open("w")
    from local import logs

    logs.install(log_file)
    started = time.monotonic()
    print(f"Starting the local stack ({time_scale:g}x real time)...", file=out, flush=True)
    stack = LocalStack(time_scale=time_scale, api_port=0, sandbox_port=0, prefix_logs=False, write_state=False)
    try:
        stack.start()
        print(f"  API {stack.api_url}, marketplace sandbox {stack.sandbox_url}", file=out)
        if log_file:
            print(f"  function logs: {log_path}", file=out)
        webhooks = register_webhooks(stack, out)
        recorder = BusRecorder(stack.stack, boto3.session.Session(region_name=REGION).client("sqs"))
        fetch = start_category_fetch(stack, out)
        market = start_market_jobs(stack, out)
        scenario = play(stack, out)
        finished = wait_until_finished(stack, scenario, out, fetch, market, webhooks)
        delivered = wait_for_webhooks(stack, webhooks, recorder)
        ok = summarize(stack, scenario, finished, time.monotonic() - started, out, fetch, market, webhooks, recorder,
                       delivered)
    finally:
        stack.stop()
        logs.uninstall()
        if log_file:
            log_file.close()
    return 0 if ok else 1
