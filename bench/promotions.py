"""How fast ads appear after eBay's sync delay, and at what cost in eBay calls and AWS requests.

1,000 listings from 40 sellers, queued in batches of 25 (``--batch-size``) and as singles (a share
``--singles-share`` of the sellers publish one by one), plus two sellers each publishing a full
page of 500 drafts at once; each listing syncs on eBay after a delay drawn from U(1, 10) minutes
(3% never sync). The same listings are run under the ``exponential`` policy (the original
schedule) and the ``sync-window`` policy, each on a fresh virtual stack with the capacity of a
deployment (bench.harness): the real handlers, moto, the marketplace sandbox, SQS delays,
batching windows, concurrency and schedules in virtual time, invocations taking their modelled
time. Lateness is the time from a listing becoming promotable to its ad existing, reported per
kind of submission, so a 500-listing batch can be compared with 25-listing ones in the same run.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.harness import START, Bench, bench_stack, mean, percentile
from bench.report import emit, fmt
from sellerjobs.promotions.requests import MAX_BATCH

MINUTE = 60.0
POLICIES = ("exponential", "sync-window")
KINDS = ("batch", "big", "single")
AD_OPERATIONS = ("bulk_create_ads_by_listing_id", "create_ad_by_listing_id", "get_ads")


@dataclass(frozen=True)
class Scenario:
    listings: int = 1000
    sellers: int = 40
    batch_size: int = 25
    singles_share: float = 0.1  # the share of sellers who queue their listings one by one
    big_batches: int = 2  # sellers who publish one full page of drafts at once, on top of ``listings``
    big_batch_size: int = 500
    never_sync_share: float = 0.03
    sync_delay: str = "uniform"  # uniform | triangular (mode at the low end) | exponential (capped)
    sync_min_s: float = 60.0
    sync_max_s: float = 600.0
    sessions_within_s: float = 3600.0  # sellers start publishing within the first hour
    singles_within_s: float = 240.0  # a seller publishing singly spreads its listings over ~2 minutes
    first_attempt_delay_s: float | None = None  # None: each policy's own (PROMOTION_FIRST_ATTEMPT_DELAY_SECONDS)
    seed: int = 2026


@dataclass(frozen=True)
class Listing:
    seller: str
    listing_id: str
    queue_at: float  # seconds after the start
    sync_delay_s: float | None  # None: never syncs
    batch: int | None  # submissions sharing a batch number are one POST
    kind: str = "batch"  # "batch", "big" (a full page of drafts) or "single"


def draw_sync_delay(rng: random.Random, scenario: Scenario) -> float:
    low, high = scenario.sync_min_s, scenario.sync_max_s
    if scenario.sync_delay == "triangular":
        return rng.triangular(low, high, low)
    if scenario.sync_delay == "exponential":
        return min(high, low + rng.expovariate(1 / ((high - low) / 3)))
    return rng.uniform(low, high)


def plan(scenario: Scenario) -> list[Listing]:
    rng = random.Random(scenario.seed)
    per_seller = scenario.listings // scenario.sellers
    single_sellers = round(scenario.sellers * scenario.singles_share)
    listings: list[Listing] = []
    next_id = 300_000_000_000
    batch = 0
    for index in range(scenario.sellers):
        seller = f"seller-{index:03d}"
        session = rng.uniform(0, scenario.sessions_within_s)
        count = per_seller + (1 if index < scenario.listings % scenario.sellers else 0)
        singly = index < single_sellers
        remaining = count
        at = session
        while remaining > 0:
            size = 1 if singly else min(scenario.batch_size, remaining)
            batch += 1
            for _ in range(size):
                never = rng.random() < scenario.never_sync_share
                listings.append(Listing(seller=seller, listing_id=str(next_id), queue_at=at,
                                        sync_delay_s=None if never else draw_sync_delay(rng, scenario),
                                        batch=batch, kind="single" if singly else "batch"))
                next_id += 1
            remaining -= size
            at += rng.uniform(0, scenario.singles_within_s / max(1, count)) if singly else 1.0
    for index in range(scenario.big_batches):
        seller = f"big-seller-{index:03d}"
        at = rng.uniform(0, scenario.sessions_within_s)
        batch += 1
        for _ in range(scenario.big_batch_size):
            never = rng.random() < scenario.never_sync_share
            listings.append(Listing(seller=seller, listing_id=str(next_id), queue_at=at,
                                    sync_delay_s=None if never else draw_sync_delay(rng, scenario),
                                    batch=batch, kind="big"))
            next_id += 1
    return sorted(listings, key=lambda item: (item.queue_at, item.batch or 0))


@dataclass
class PolicyResult:
    jobs: int
    promoted: int
    mean_lateness_s: float
    p50_lateness_s: float
    p95_lateness_s: float
    max_lateness_s: float
    ebay_calls: int
    ebay_calls_per_listing: float
    ebay_ad_calls_per_listing: float  # ad creation and lookups only: no token mints, no campaign lookups
    attempts_per_job: float
    aws_requests_per_job: dict[str, float]
    lost_jobs: int
    duplicate_ads: int
    wrong_terminal_state: int
    virtual_minutes: float
    real_seconds: float
    # Lateness by kind of submission: {"batch"|"big"|"single": {"listings", "mean_s", "p95_s", "max_s"}}
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    capacity: dict[str, Any] = field(default_factory=dict)
    # Raw counts for the cost model.
    aws_requests: dict[str, int] = field(default_factory=dict)
    dynamodb_write_units: int = 0
    dynamodb_index_write_units: int = 0  # of dynamodb_write_units: what the indexes cost
    dynamodb_write_units_by_table: dict[str, int] = field(default_factory=dict)  # items and indexes
    dynamodb_index_write_units_by_index: dict[str, int] = field(default_factory=dict)  # "<table>/<index>"
    dynamodb_read_units: float = 0.0
    invocations: dict[str, int] = field(default_factory=dict)
    invocation_seconds: dict[str, float] = field(default_factory=dict)
    ebay_calls_by_operation: dict[str, int] = field(default_factory=dict)


def run_policy(policy: str, scenario: Scenario) -> PolicyResult:
    listings = plan(scenario)
    started = time.perf_counter()
    env = {"PROMOTION_RETRY_POLICY": policy, "PROMOTION_RETRY_SEED": str(scenario.seed)}
    if scenario.first_attempt_delay_s is not None:
        env["PROMOTION_FIRST_ATTEMPT_DELAY_SECONDS"] = str(scenario.first_attempt_delay_s)
    with bench_stack(env=env) as bench:
        for seller in sorted({item.seller for item in listings}):
            bench.connect(seller)
        # Count only what promoting costs, not setting up the sellers.
        bench.meter.reset()
        bench.sandbox.reset_calls()
        first = len(bench.virtual.sim.invocations)
        _submit(bench, listings)
        bench.virtual.sim.drain(max_seconds=24 * 3600)
        end = bench.clock.now()
        meter = bench.meter
        by_table = {table: meter.write_units_by_table[table] + meter.index_write_units_by_table[table]
                    for table in set(meter.write_units_by_table) | set(meter.index_write_units_by_table)}
        meter_snapshot = (dict(meter.requests), meter.write_units, meter.read_units,
                          sum(meter.index_write_units_by_table.values()), by_table,
                          dict(sorted(meter.index_write_units_by_index.items())))
        invocations: Counter[str] = Counter()
        durations: dict[str, float] = {}
        for log in bench.virtual.sim.invocations[first:]:
            invocations[log.function] += 1
            durations[log.function] = durations.get(log.function, 0.0) + log.duration_s
        return _measure(policy, bench, listings, end, started, meter_snapshot, dict(invocations), durations)


def _submit(bench: Bench, listings: list[Listing]) -> None:
    """Publish each listing on eBay and queue its promotion at its time, batch by batch."""
    by_batch: dict[int, list[Listing]] = {}
    for item in listings:
        by_batch.setdefault(item.batch or 0, []).append(item)
    for batch in sorted(by_batch.values(), key=lambda items: items[0].queue_at):
        first = batch[0]
        bench.virtual.sim.run_until(START + first.queue_at)
        for item in batch:
            bench.sandbox.publish_listing(item.seller, item.listing_id, sync_delay_s=item.sync_delay_s or 0.0,
                                          never_syncs=item.sync_delay_s is None)
        # The API takes up to MAX_BATCH listings a request: a larger page goes as several at once,
        # as a front end has to send it.
        for part in range(0, len(batch), MAX_BATCH):
            chunk = batch[part:part + MAX_BATCH]
            if len(chunk) == 1:
                body: dict[str, Any] = {"listingId": chunk[0].listing_id, "adRate": 5}
            else:
                body = {"batch": [{"listingId": item.listing_id, "adRate": 5} for item in chunk]}
            response = bench.call("POST", "/promotions", first.seller, body)
            assert response.status == 202, response.body


def _measure(policy: str, bench: Bench, listings: list[Listing], end: float,
             started: float,
             meter: tuple[dict[tuple[str, str], int], int, float, int, dict[str, int], dict[str, int]],
             invocations: dict[str, int], durations: dict[str, float]) -> PolicyResult:
    sandbox = bench.sandbox
    calls = sandbox.calls
    ads = {(ad["seller"], ad["listingId"]): ad for ad in sandbox.ads}
    statuses = _final_statuses(bench, listings)
    lateness = []
    by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    lost = wrong = 0
    attempts = []
    for item in listings:
        job = statuses.get((item.seller, item.listing_id))
        if job is None or job["status"] == "pending":
            lost += 1
            continue
        attempts.append(job["attempts"])
        expected = "failed" if item.sync_delay_s is None else "succeeded"
        if job["status"] != expected:
            wrong += 1
        synced = sandbox.listing_synced_at(item.listing_id)
        ad = ads.get((item.seller, item.listing_id))
        if job["status"] == "succeeded" and synced is not None and ad is not None:
            lateness.append(max(0.0, ad["createdAt"] - synced))
            by_kind[item.kind].append(lateness[-1])
    duplicates = sum(max(0, sandbox.ad_creations_for(item.listing_id) - 1) for item in listings)
    requests, write_units, read_units, index_units, by_table, by_index = meter
    by_service: Counter[str] = Counter()
    for (service, _), count in requests.items():
        by_service[service if service in ("dynamodb", "sqs") else "other"] += count
    jobs = len(listings)
    promoted = len(lateness)
    per_job = {k: by_service[k] / jobs for k in ("dynamodb", "sqs", "other")}
    per_job["total"] = sum(by_service.values()) / jobs
    by_operation = Counter(call["operation"] for call in calls)
    ad_calls = sum(by_operation[op] for op in AD_OPERATIONS)
    return PolicyResult(
        jobs=jobs, promoted=promoted,
        mean_lateness_s=mean(lateness), p50_lateness_s=percentile(lateness, 0.5),
        p95_lateness_s=percentile(lateness, 0.95), max_lateness_s=max(lateness, default=0.0),
        ebay_calls=len(calls), ebay_calls_per_listing=len(calls) / max(1, promoted),
        ebay_ad_calls_per_listing=ad_calls / max(1, promoted),
        attempts_per_job=mean([float(a) for a in attempts]), aws_requests_per_job=per_job,
        lost_jobs=lost, duplicate_ads=duplicates, wrong_terminal_state=wrong,
        virtual_minutes=(end - START) / MINUTE, real_seconds=time.perf_counter() - started,
        aws_requests={f"{s}:{o}": c for (s, o), c in sorted(requests.items())},
        dynamodb_write_units=write_units, dynamodb_index_write_units=index_units,
        dynamodb_write_units_by_table=by_table, dynamodb_index_write_units_by_index=by_index,
        dynamodb_read_units=read_units,
        invocations=invocations, invocation_seconds=durations, ebay_calls_by_operation=dict(by_operation),
        by_kind={kind: {"listings": len(values), "mean_s": mean(values), "p95_s": percentile(values, 0.95),
                        "max_s": max(values, default=0.0)} for kind, values in by_kind.items() if values},
        capacity=bench.virtual.sim.capacity_report())


def _final_statuses(bench: Bench, listings: list[Listing]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every job's final state, read through the API (after the meter snapshot was taken)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for seller in sorted({item.seller for item in listings}):
        cursor = None
        while True:
            query = "/promotions?limit=100" + (f"&cursor={cursor}" if cursor else "")
            page = bench.call("GET", query, seller).json()
            for job in page["jobs"]:
                found[(seller, job["listingId"])] = job
            cursor = page["cursor"]
            if not cursor:
                break
    return found


def run(scenario: Scenario) -> dict[str, Any]:
    results = {policy: run_policy(policy, scenario) for policy in POLICIES}
    exponential, sync_window = results["exponential"], results["sync-window"]
    ratio_keys = ("mean_lateness_s", "p50_lateness_s", "p95_lateness_s", "max_lateness_s",
                  "ebay_calls_per_listing", "ebay_ad_calls_per_listing", "attempts_per_job")
    ratios = {key: _ratio(getattr(sync_window, key), getattr(exponential, key)) for key in ratio_keys}
    ratios["aws_requests_per_job"] = _ratio(sync_window.aws_requests_per_job["total"],
                                            exponential.aws_requests_per_job["total"])
    # The big batches against the ordinary ones, in the same sync-window run.
    big, batch = sync_window.by_kind.get("big"), sync_window.by_kind.get("batch")
    if big and batch:
        ratios["big_vs_batch_mean"] = _ratio(big["mean_s"], batch["mean_s"])
        ratios["big_vs_batch_p95"] = _ratio(big["p95_s"], batch["p95_s"])
    targets = {
        "sync_window_mean_lateness_at_most_a_fifth": ratios["mean_lateness_s"] <= 0.2,
        "sync_window_ebay_calls_per_listing_at_most_0_5": sync_window.ebay_calls_per_listing <= 0.5,
        "no_lost_jobs": all(r.lost_jobs == 0 for r in results.values()),
        "no_duplicate_ads": all(r.duplicate_ads == 0 for r in results.values()),
    }
    if "big_vs_batch_mean" in ratios:
        targets["big_batches_mean_and_p95_within_1_2x_of_small_batches"] = (
            ratios["big_vs_batch_mean"] <= 1.2 and ratios["big_vs_batch_p95"] <= 1.2)
    return {
        "scenario": asdict(scenario),
        "policies": {policy: asdict(result) for policy, result in results.items()},
        "ratios": ratios,
        "targets": targets,
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def table(result: dict[str, Any]) -> list[tuple[str, ...]]:
    policies = result["policies"]
    rows: list[tuple[str, ...]] = [("", *POLICIES, "sync-window / exponential")]

    def row(label: str, key: str, digits: int = 1, ratio: str | None = None) -> None:
        values = [fmt(policies[p][key], digits) for p in POLICIES]
        rows.append((label, *values, fmt(result["ratios"][ratio], 2) if ratio else ""))

    row("mean lateness (s)", "mean_lateness_s", ratio="mean_lateness_s")
    row("median lateness (s)", "p50_lateness_s", ratio="p50_lateness_s")
    row("p95 lateness (s)", "p95_lateness_s", ratio="p95_lateness_s")
    row("max lateness (s)", "max_lateness_s", ratio="max_lateness_s")
    labels = {"batch": "batches of {size}", "big": "batches of {big}", "single": "singles"}
    scenario = result["scenario"]
    for kind in KINDS:
        if all(kind in policies[p]["by_kind"] for p in POLICIES):
            name = labels[kind].format(size=scenario["batch_size"], big=scenario["big_batch_size"])
            for stat in ("mean_s", "p95_s"):
                values = [fmt(policies[p]["by_kind"][kind][stat], 1) for p in POLICIES]
                rows.append((f"  {name}: {stat.removesuffix('_s')} (s)", *values, ""))
    if "big_vs_batch_mean" in result["ratios"]:
        rows.append(("  big / small batches, sync-window: mean, p95", "",
                     f"{result['ratios']['big_vs_batch_mean']:.2f}, {result['ratios']['big_vs_batch_p95']:.2f}", ""))
    row("eBay calls per promoted listing", "ebay_calls_per_listing", 2, ratio="ebay_calls_per_listing")
    row("  of which ad calls", "ebay_ad_calls_per_listing", 2, ratio="ebay_ad_calls_per_listing")
    row("attempts per job", "attempts_per_job", 2, ratio="attempts_per_job")
    for service in ("dynamodb", "sqs", "other", "total"):
        values = [fmt(policies[p]["aws_requests_per_job"][service], 2) for p in POLICIES]
        ratio = fmt(result["ratios"]["aws_requests_per_job"], 2) if service == "total" else ""
        rows.append((f"AWS requests per job: {service}", *values, ratio))
    for key, label in (("promoted", "listings promoted"), ("lost_jobs", "jobs lost"),
                       ("duplicate_ads", "duplicate ads"), ("wrong_terminal_state", "wrong final state")):
        rows.append((label, *[fmt(policies[p][key]) for p in POLICIES], ""))
    for label, key in (("peak worker concurrency", "peak_concurrency"), ("worker timeouts", "timeouts"),
                       ("worker cold starts", "cold_starts")):
        values = [fmt(policies[p]["capacity"]["functions"].get("PromotionWorkerFunction", {}).get(key, 0))
                  for p in POLICIES]
        rows.append((label, *values, ""))
    rows.append(("virtual minutes / real seconds",
                 *[f"{policies[p]['virtual_minutes']:.0f} / {policies[p]['real_seconds']:.0f}" for p in POLICIES], ""))
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench promotions")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--listings", type=int, default=Scenario.listings)
    parser.add_argument("--sellers", type=int, default=Scenario.sellers)
    parser.add_argument("--batch-size", type=int, default=Scenario.batch_size)
    parser.add_argument("--singles-share", type=float, default=Scenario.singles_share)
    parser.add_argument("--big-batches", type=int, default=Scenario.big_batches,
                        help="sellers publishing --big-batch-size listings at once, on top of --listings")
    parser.add_argument("--big-batch-size", type=int, default=Scenario.big_batch_size)
    parser.add_argument("--sync-delay", choices=("uniform", "triangular", "exponential"), default="uniform")
    parser.add_argument("--never-sync", type=float, default=Scenario.never_sync_share)
    parser.add_argument("--first-attempt-delay", type=float, default=Scenario.first_attempt_delay_s,
                        help="seconds from queueing to a job's first attempt, under both policies "
                        "(default: each policy's own, 60 s exponential, 120 s sync-window)")
    parser.add_argument("--seed", type=int, default=Scenario.seed)
    args = parser.parse_args(argv)
    scenario = Scenario(listings=args.listings, sellers=args.sellers, batch_size=args.batch_size,
                        singles_share=args.singles_share, big_batches=args.big_batches,
                        big_batch_size=args.big_batch_size, sync_delay=args.sync_delay,
                        never_sync_share=args.never_sync, first_attempt_delay_s=args.first_attempt_delay,
                        seed=args.seed)
    result = run(scenario)
    targets = result["targets"]
    emit("promotions", result, as_json=args.json,
         title=f"promotions: {scenario.listings} listings, {scenario.sellers} sellers "
         f"(+ {scenario.big_batches} x {scenario.big_batch_size}-listing batches), "
         f"sync delay {scenario.sync_delay} {scenario.sync_min_s / 60:.0f}-{scenario.sync_max_s / 60:.0f} min, "
         f"{scenario.never_sync_share:.0%} never sync", table=table(result),
         notes=[f"target {name.replace('_', ' ')}: {'met' if met else 'NOT MET'}" for name, met in targets.items()])
    return 0
