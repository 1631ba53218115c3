"""One seller floods, everybody else publishes as usual: does anyone else notice?

Three variants, each measured on the capacity-aware virtual stack (bench.harness) against the same
workload without the noisy seller:

* **promotions**: one seller queues ``--flood-listings`` (10,000) listings in 500-listing batches
  within two minutes, while ``--quiet-sellers`` (200) publish as usual over the same hour (25-listing
  batches, a tenth of them one listing at a time); then the quiet sellers' workload alone. Every
  listing syncs on eBay after U(1, 10) minutes (3% never do). Lateness is the time from a listing
  becoming promotable to its ad existing.
* **categories**: user A starts ten whole-tree fetches (category by category, the long way), then
  user B one small fetch: how long until B's first category is stored.
* **market**: one seller reads ``--unknown-skus`` (1,000) items nobody has priced, while other
  sellers press refresh as usual: how long the others' refreshes take to be priced, with and
  without the reader, and what the reader is told.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bench import promotions
from bench.harness import START, Bench, bench_stack, mean, percentile
from bench.promotions import Listing, draw_sync_delay
from bench.report import emit, fmt
from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import from_item

MINUTE = 60.0
HOUR = 3600.0
WORKER = "PromotionWorkerFunction"
QUEUE = "PromotionQueue"


@dataclass(frozen=True)
class Scenario:
    flood_listings: int = 10_000
    flood_batch: int = 500
    flood_within_s: float = 120.0
    flood_at_s: float = 10 * MINUTE  # when the flood starts, into the hour
    quiet_sellers: int = 200
    quiet_listings: int = 25  # per quiet seller
    quiet_singles_share: float = 0.1
    hour_s: float = HOUR
    never_sync_share: float = 0.03
    seed: int = 2026


# -- promotions ----------------------------------------------------------------------------------

def plan(scenario: Scenario, *, flood: bool) -> list[Listing]:
    rng = random.Random(scenario.seed)
    sync = promotions.Scenario()  # the promotions benchmark's sync delays: U(1, 10) minutes
    listings: list[Listing] = []
    next_id, batch = 400_000_000_000, 0

    def listing(seller: str, at: float, kind: str) -> Listing:
        nonlocal next_id
        never = rng.random() < scenario.never_sync_share
        next_id += 1
        return Listing(seller=seller, listing_id=str(next_id), queue_at=at, batch=batch, kind=kind,
                       sync_delay_s=None if never else draw_sync_delay(rng, sync))

    for index in range(scenario.quiet_sellers):
        seller = f"quiet-{index:03d}"
        at = rng.uniform(0, scenario.hour_s - 15 * MINUTE)
        if index < round(scenario.quiet_sellers * scenario.quiet_singles_share):
            for _ in range(scenario.quiet_listings):  # one by one, over about two minutes
                batch += 1
                listings.append(listing(seller, at, "single"))
                at += rng.uniform(0, 2 * sync.singles_within_s / scenario.quiet_listings)
        else:
            batch += 1
            listings += [listing(seller, at, "batch") for _ in range(scenario.quiet_listings)]
    # Drawn after the quiet sellers' so both runs give them the very same listings and times.
    if flood:
        batches = max(1, -(-scenario.flood_listings // scenario.flood_batch))
        left = scenario.flood_listings
        for n in range(batches):
            batch += 1
            at = scenario.flood_at_s + scenario.flood_within_s * n / batches
            size = min(scenario.flood_batch, left)
            listings += [listing("flooder", at, "flood") for _ in range(size)]
            left -= size
    return sorted(listings, key=lambda item: (item.queue_at, item.batch or 0))


@dataclass
class PromotionRun:
    lateness: dict[str, list[float]]  # by kind: "quiet" (batch and single) and "flood"
    promoted: int
    ebay_calls: int
    peak_concurrency: int
    peak_in_flight: int
    hottest_item: str
    hottest_item_writes_per_s: int
    lost: int
    duplicate_ads: int
    timeouts: int
    virtual_minutes: float
    real_seconds: float


def run_promotions(scenario: Scenario, *, flood: bool) -> PromotionRun:
    listings = plan(scenario, flood=flood)
    started = time.perf_counter()
    with bench_stack(env={"PROMOTION_RETRY_SEED": str(scenario.seed)}) as bench:
        for seller in sorted({item.seller for item in listings}):
            bench.connect(seller)
        bench.meter.reset()
        bench.sandbox.reset_calls()
        promotions._submit(bench, listings)
        bench.virtual.sim.drain(max_seconds=24 * HOUR)
        statuses = promotions._final_statuses(bench, listings)
        ads = {(ad["seller"], ad["listingId"]): ad for ad in bench.sandbox.ads}
        lateness: dict[str, list[float]] = {"quiet": [], "flood": []}
        lost = 0
        for item in listings:
            job = statuses.get((item.seller, item.listing_id))
            if job is None or job["status"] == "pending":
                lost += 1
                continue
            synced = bench.sandbox.listing_synced_at(item.listing_id)
            ad = ads.get((item.seller, item.listing_id))
            if job["status"] == "succeeded" and synced is not None and ad is not None:
                lateness["flood" if item.kind == "flood" else "quiet"].append(max(0.0, ad["createdAt"] - synced))
        sim = bench.virtual.sim
        hottest, writes = bench.meter.hottest_item()
        return PromotionRun(
            lateness=lateness, promoted=sum(len(v) for v in lateness.values()), ebay_calls=len(bench.sandbox.calls),
            peak_concurrency=sim.environments.peak.get(WORKER, 0), peak_in_flight=sim.queues[QUEUE].peak_in_flight,
            hottest_item=hottest, hottest_item_writes_per_s=writes, lost=lost,
            duplicate_ads=sum(max(0, bench.sandbox.ad_creations_for(i.listing_id) - 1) for i in listings),
            timeouts=sim.timed_out, virtual_minutes=(bench.clock.now() - START) / MINUTE,
            real_seconds=time.perf_counter() - started)


def promotions_result(scenario: Scenario) -> dict[str, Any]:
    noisy = run_promotions(scenario, flood=True)
    alone = run_promotions(scenario, flood=False)
    quiet, quiet_alone, flood = noisy.lateness["quiet"], alone.lateness["quiet"], noisy.lateness["flood"]
    p95, p95_alone = percentile(quiet, 0.95), percentile(quiet_alone, 0.95)
    result: dict[str, Any] = {
        "quiet": {"mean_s": mean(quiet), "p95_s": p95, "alone_mean_s": mean(quiet_alone), "alone_p95_s": p95_alone,
                  "p95_ratio": p95 / p95_alone if p95_alone else 0.0,
                  "mean_ratio": mean(quiet) / mean(quiet_alone) if quiet_alone else 0.0},
        "flood": {"p95_s": percentile(flood, 0.95), "mean_s": mean(flood),
                  "last_promoted_after_sync_s": max(flood, default=0.0), "promoted": len(flood)},
        "ebay_calls_per_listing": noisy.ebay_calls / max(1, noisy.promoted),
        "peak_concurrency": noisy.peak_concurrency,
        "hottest_item_writes_per_s": noisy.hottest_item_writes_per_s,
        "hottest_item": noisy.hottest_item,
        "peak_in_flight": noisy.peak_in_flight,
        "lost": noisy.lost + alone.lost,
        "duplicate_ads": noisy.duplicate_ads + alone.duplicate_ads,
        "timeouts": noisy.timeouts,
        "runs": {"flood": _run_summary(noisy), "alone": _run_summary(alone)},
    }
    result["targets"] = {
        "quiet_p95_with_the_flood_at_most_1_2x_alone": result["quiet"]["p95_ratio"] <= 1.2,
        "flood_all_promoted_within_15_minutes_of_syncing": result["flood"]["last_promoted_after_sync_s"] <= 900,
        "ebay_calls_per_promoted_listing_at_most_0_5": result["ebay_calls_per_listing"] <= 0.5,
        "hottest_item_under_1000_writes_per_s": result["hottest_item_writes_per_s"] < 1000,
        "peak_in_flight_under_120000": result["peak_in_flight"] < 120_000,
        "nothing_lost_no_duplicate_ads": result["lost"] == result["duplicate_ads"] == 0,
    }
    return result


def _run_summary(run: PromotionRun) -> dict[str, Any]:
    return {"promoted": run.promoted, "ebay_calls": run.ebay_calls, "peak_concurrency": run.peak_concurrency,
            "peak_in_flight": run.peak_in_flight, "timeouts": run.timeouts,
            "virtual_minutes": run.virtual_minutes, "real_seconds": run.real_seconds}


# -- categories ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryScenario:
    whole_trees: int = 10  # user A's fetches
    leaves: int = 1000
    b_after_s: float = 30.0  # B starts this long after A's last fetch
    b_parent: str = "26395"  # Health & Beauty
    b_categories: int = 20


def category_result(scenario: CategoryScenario, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    with bench_stack() as bench:
        bench.sandbox.use_category_tree(leaves=scenario.leaves, seed=seed)
        first_stored = _first_store_watch(bench)
        for _ in range(scenario.whole_trees):
            response = bench.call("POST", "/category-fetches", "user-a", {"marketplaceId": "EBAY_US", "wholeTree": True,
                                                                          "mode": "per_category"})
            assert response.status == 202, response.body
        bench.virtual.sim.run_for(scenario.b_after_s)
        posted = bench.clock.now()
        response = bench.call("POST", "/category-fetches", "user-b", {
            "parentCategoryId": scenario.b_parent, "maxCategories": scenario.b_categories})
        assert response.status == 202, response.body
        job_b = response.json()["jobId"]

        def b_active() -> bool:
            reply = bench.call("GET", f"/category-fetches/{job_b}", "user-b").json()["status"]
            return bool(reply["status"] in ("queued", "processing"))

        bench.virtual.sim.run_while(b_active, max_seconds=2 * HOUR)
        b_done = bench.call("GET", f"/category-fetches/{job_b}", "user-b").json()["status"]["updatedAt"] / 1000
        a_jobs = bench.call("GET", "/category-fetches", "user-a").json()["jobs"]
    first = first_stored.get(job_b)
    return {"b_first_category_after_s": None if first is None else first - posted,
            "b_completed_after_s": b_done - posted,
            "a_processed": sum(job["processed"] for job in a_jobs),
            "real_seconds": time.perf_counter() - started,
            "scenario": asdict(scenario),
            "targets": {"b_first_category_within_2_minutes": first is not None and first - posted <= 120}}


def _first_store_watch(bench: Bench) -> dict[str, float]:
    """When each job's first category was stored: watched on the handlers' DynamoDB client."""
    first: dict[str, float] = {}
    table = bench.virtual.stack.table_name("CategoryAspectsTable")

    def stored(params: dict[str, Any], **_: Any) -> None:
        for entry in params.get("TransactItems", []):
            put = entry.get("Put")
            if put and put.get("TableName") == table:
                job = from_item(put["Item"]).get("jobId")
                if job and job not in first:
                    first[str(job)] = bench.clock.now()

    clients.dynamodb().meta.events.register("provide-client-params.dynamodb.TransactWriteItems", stored,
                                            unique_id="bench-fairness-first-store")
    return first


# -- market --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MarketScenario:
    unknown_skus: int = 1000
    reads_per_s: float = 2.0
    sellers: int = 5  # others, each refreshing ``refresh_items`` items every ``refresh_every_s``
    refresh_items: int = 1
    refresh_every_s: float = 10 * MINUTE
    hours: float = 2.0
    provider: str = "stockx"


def market_result(scenario: MarketScenario, seed: int) -> dict[str, Any]:
    noisy = _market_run(scenario, seed, reader=True)
    alone = _market_run(scenario, seed, reader=False)
    return {"others_refresh_priced_p95_s": noisy["p95_s"], "others_refresh_priced_p95_alone_s": alone["p95_s"],
            "others_refresh_priced_mean_s": noisy["mean_s"], "others_refresh_priced_mean_alone_s": alone["mean_s"],
            "reader": noisy["reader"], "scenario": asdict(scenario),
            "targets": {"others_priced_within_their_usual_wait": noisy["p95_s"] <= max(alone["p95_s"] * 1.2,
                                                                                       alone["p95_s"] + 5)}}


def _market_run(scenario: MarketScenario, seed: int, *, reader: bool) -> dict[str, Any]:
    rng = random.Random(seed)
    with bench_stack() as bench:
        bench.sandbox.use_market_catalog(skus=max(300, 2 * (200 + scenario.unknown_skus)), seed=seed)
        skus = bench.sandbox.market_skus(scenario.provider)
        rng.shuffle(skus)
        refresh_skus, unknown = skus[:200], skus[200:200 + scenario.unknown_skus]
        events: list[tuple[float, Callable[[], None]]] = []
        asked: list[tuple[str, float]] = []
        told = {"accepted": 0, "refused_429": 0}

        def refresh(seller: str, items: list[str]) -> Callable[[], None]:
            def go() -> None:
                reply = bench.call("POST", "/market/refresh", seller, {
                    "provider": scenario.provider, "items": [{"sku": sku} for sku in items]})
                assert reply.status == 202, reply.body
                asked.extend((sku, bench.clock.now()) for sku in items)
            return go

        def read(sku: str) -> Callable[[], None]:
            def go() -> None:
                status = bench.call("GET", f"/market/prices/{scenario.provider}/{sku}", "reader").status
                told["refused_429" if status == 429 else "accepted"] += 1
            return go

        at, n = 60.0, 0
        while at < scenario.hours * HOUR:
            for seller in range(scenario.sellers):
                items = [refresh_skus.pop() for _ in range(scenario.refresh_items) if refresh_skus]
                if items:
                    events.append((at + seller * 7, refresh(f"seller-{seller}", items)))
            at += scenario.refresh_every_s
            n += 1
        if reader:
            events += [(5 * MINUTE + i / scenario.reads_per_s, read(sku)) for i, sku in enumerate(unknown)]
        for when, action in sorted(events, key=lambda e: e[0]):
            bench.virtual.sim.run_until(START + when)
            action()
        bench.virtual.sim.run_until(START + scenario.hours * HOUR + 10 * MINUTE)
        waits = []
        for sku, at_time in asked:
            price = bench.call("GET", f"/market/prices/{scenario.provider}/{sku}", "seller-0").json().get("price")
            if price:
                waits.append(price["updatedAt"] / 1000 - at_time)
    return {"p95_s": percentile(waits, 0.95), "mean_s": mean(waits), "priced": len(waits), "asked": len(asked),
            "reader": told}


# -- the report ----------------------------------------------------------------------------------

def table(result: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [("", "value")]
    if "quiet" in result:
        quiet, flood = result["quiet"], result["flood"]
        rows += [
            ("quiet sellers: mean lateness with the flood / alone (s)",
             f"{fmt(quiet['mean_s'], 1)} / {fmt(quiet['alone_mean_s'], 1)}"),
            ("quiet sellers: p95 lateness with the flood / alone (s)",
             f"{fmt(quiet['p95_s'], 1)} / {fmt(quiet['alone_p95_s'], 1)}"),
            ("quiet sellers: p95 ratio", fmt(quiet["p95_ratio"], 2)),
            ("flood seller: p95 lateness (s)", fmt(flood["p95_s"], 1)),
            ("flood seller: last listing promoted after syncing (s)", fmt(flood["last_promoted_after_sync_s"], 1)),
            ("eBay calls per promoted listing", fmt(result["ebay_calls_per_listing"], 3)),
            ("peak worker concurrency", fmt(result["peak_concurrency"])),
            ("hottest DynamoDB item, peak writes per second", fmt(result["hottest_item_writes_per_s"])),
            ("peak SQS messages in flight", fmt(result["peak_in_flight"])),
            ("worker timeouts", fmt(result["timeouts"])),
            ("lost / duplicate ads", f"{result['lost']} / {result['duplicate_ads']}"),
        ]
    if "category" in result:
        category = result["category"]
        rows += [("categories: B's first category stored after (s)", fmt(category["b_first_category_after_s"], 1)),
                 ("categories: B's fetch completed after (s)", fmt(category["b_completed_after_s"], 1))]
    if "market" in result:
        market = result["market"]
        rows += [("market: others' refreshes priced, p95 with the reader / alone (s)",
                  f"{fmt(market['others_refresh_priced_p95_s'], 1)} / "
                  f"{fmt(market['others_refresh_priced_p95_alone_s'], 1)}"),
                 ("market: reader's reads accepted / refused with 429",
                  f"{market['reader']['accepted']} / {market['reader']['refused_429']}")]
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench fairness")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--flood-listings", type=int, default=Scenario.flood_listings)
    parser.add_argument("--quiet-sellers", type=int, default=Scenario.quiet_sellers)
    parser.add_argument("--quiet-listings", type=int, default=Scenario.quiet_listings,
                        help="listings per quiet seller")
    parser.add_argument("--whole-trees", type=int, default=CategoryScenario.whole_trees)
    parser.add_argument("--unknown-skus", type=int, default=MarketScenario.unknown_skus)
    parser.add_argument("--only", choices=("promotions", "categories", "market"))
    parser.add_argument("--seed", type=int, default=Scenario.seed)
    args = parser.parse_args(argv)
    scenario = Scenario(flood_listings=args.flood_listings, quiet_sellers=args.quiet_sellers,
                        quiet_listings=args.quiet_listings, seed=args.seed)
    result: dict[str, Any] = {"scenario": asdict(scenario)}
    if args.only in (None, "promotions"):
        result |= promotions_result(scenario)
    if args.only in (None, "categories"):
        result["category"] = category_result(CategoryScenario(whole_trees=args.whole_trees), args.seed)
    if args.only in (None, "market"):
        result["market"] = market_result(MarketScenario(unknown_skus=args.unknown_skus), args.seed)
    targets = {name: met for part in (result, result.get("category", {}), result.get("market", {}))
               for name, met in part.get("targets", {}).items()}
    emit("fairness", result, as_json=args.json,
         title=f"fairness: one seller floods {scenario.flood_listings:,} listings among {scenario.quiet_sellers} "
               f"quiet sellers; a user's {args.whole_trees} whole-tree fetches; a reader of "
               f"{args.unknown_skus:,} unpriced items", table=table(result),
         notes=[f"target {name.replace('_', ' ')}: {'met' if met else 'NOT MET'}" for name, met in targets.items()])
    return 0
