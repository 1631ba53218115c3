"""How long a whole eBay category tree takes, in eBay calls and AWS requests, per category and in bulk.

A sandbox tree of 1,000 leaf categories, fetched through the API (``POST /category-fetches``
for the whole tree) once category by category and once in bulk, each on a fresh virtual stack:
the real initiator, worker and status handlers, moto, the marketplace sandbox over HTTP, the
worker's every-minute schedule and its queue in virtual time. The worker spaces its eBay calls
as the original system did (200 ms, through the virtual clock) and takes each Taxonomy call from
a 5,000-calls/day budget. The original design fetched 5 categories a minute.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import boto3

from bench.harness import Bench, bench_stack
from bench.report import emit, fmt
from local.aws import REGION
from local.simulation import InvocationLog
from sellerjobs.aws import clients

MINUTE = 60.0
MODES = ("per_category", "bulk")
USER = "bench-seller"
SEED_CATEGORIES_PER_MINUTE = 5  # the original design: 5 categories a minute
ACTIVE = ("queued", "processing")
# The functions that do a fetch's work; the benchmark's own status polling is counted apart.
WORKER_FUNCTION = "CategoryFetchWorkerFunction"
JOB_FUNCTIONS = ("StartCategoryFetchFunction", WORKER_FUNCTION)
POLLING_FUNCTION = "CategoryFetchStatusFunction"
SERVICES = ("dynamodb", "sqs", "s3", "other")


@dataclass(frozen=True)
class Scenario:
    leaves: int = 1000
    seed: int = 2026
    marketplace_id: str = "EBAY_US"
    spacing_s: float = 0.2  # the original system's spacing between eBay calls
    taxonomy_calls_per_day: int = 5000
    max_hours: float = 24.0  # give up after this much virtual time

    def env(self) -> dict[str, str]:
        return {"CATEGORY_FETCH_SPACING_SECONDS": str(self.spacing_s),
                "EBAY_TAXONOMY_CALLS_PER_DAY": str(self.taxonomy_calls_per_day)}


@dataclass
class ModeResult:
    mode: str
    status: str
    tree_leaves: int  # leaves of the served tree
    categories: int  # the job's totalCategories
    processed: int
    success: int
    failed: int
    stored: int  # items in the aspects table afterwards
    minutes: float  # virtual minutes from the POST until the job completed
    minutes_to_first_call: float  # from the POST until the worker's first eBay call
    minutes_fetching: float  # from the worker's first eBay call to its last
    ebay_calls: int  # every call the sandbox saw, OAuth token mints included
    taxonomy_calls: int  # without the token mints
    oauth_calls: int
    aws_requests_per_category: float
    aws_requests_per_category_by_service: dict[str, float]
    worker_invocations: int
    worker_seconds: float  # real time spent in the worker's invocations
    job_real_seconds: float  # real time from the POST until the job completed
    real_seconds: float  # the whole run: a fresh stack, the job, the checks
    ebay_calls_by_operation: dict[str, int] = field(default_factory=dict)
    aws_requests: dict[str, int] = field(default_factory=dict)  # service:operation, the job's functions
    polling_aws_requests: int = 0  # the benchmark's own status reads, not counted above


def run_mode(mode: str, scenario: Scenario) -> ModeResult:
    started = time.perf_counter()
    with bench_stack(env=scenario.env()) as bench:
        bench.sandbox.use_category_tree(leaves=scenario.leaves, seed=scenario.seed)
        tree_leaves = len(bench.sandbox.leaf_category_ids())
        s3_requests = _count_s3(bench)
        bench.meter.reset()
        bench.sandbox.reset_calls()
        posted_at = bench.clock.now()
        job_started = time.perf_counter()
        response = bench.call("POST", "/category-fetches", USER, {"marketplaceId": scenario.marketplace_id,
                                                                   "wholeTree": True, "mode": mode})
        assert response.status == 202, response.body
        job_id = response.json()["jobId"]
        bench.virtual.sim.run_while(lambda: _status(bench, job_id)["status"] in ACTIVE,
                                    max_seconds=scenario.max_hours * 3600)
        job = _status(bench, job_id)
        job_seconds = time.perf_counter() - job_started
        ended_at = bench.clock.now()
        bench.virtual.sim.finish_running()  # the invocation that completed the job counts too
        requests: Counter[tuple[str, str]] = Counter()
        polling = 0
        for (function, service, operation), count in bench.meter.by_function.items():
            if function in JOB_FUNCTIONS:
                requests[(service, operation)] += count
            elif function == POLLING_FUNCTION:
                polling += count
        for operation, count in s3_requests.items():
            requests[("s3", operation)] += count
        calls = bench.sandbox.calls
        worker_runs = [log for log in bench.virtual.sim.invocations if log.function == WORKER_FUNCTION]
        stored = _stored_aspects(bench)
    return _measure(mode, job, (posted_at, ended_at), tree_leaves, stored, calls, requests, polling, worker_runs,
                    job_seconds, started)


def _status(bench: Bench, job_id: str) -> dict[str, Any]:
    response = bench.call("GET", f"/category-fetches/{job_id}", USER)
    assert response.status == 200, response.body
    return dict(response.json()["status"])


def _count_s3(bench: Bench) -> Counter[str]:
    """The aspects bucket's requests: the AWS meter does not watch S3."""
    counted: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counted[model.name] += 1

    clients.s3().meta.events.register("before-call", count, unique_id="bench-categories-s3")
    return counted


def _stored_aspects(bench: Bench) -> int:
    """Items in the aspects table, read with a client of our own (after the counting is done)."""
    dynamodb = boto3.session.Session(region_name=REGION).client("dynamodb")
    table = bench.virtual.stack.table_name("CategoryAspectsTable")
    total = 0
    kwargs: dict[str, Any] = {"TableName": table, "Select": "COUNT"}
    while True:
        page = dynamodb.scan(**kwargs)
        total += int(page["Count"])
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _measure(mode: str, job: dict[str, Any], times: tuple[float, float], tree_leaves: int, stored: int,
             calls: list[dict[str, Any]], requests: Counter[tuple[str, str]], polling: int,
             worker_runs: list[InvocationLog], job_seconds: float, started: float) -> ModeResult:
    categories = int(job["totalCategories"])
    posted_at, ended_at = times
    # Not completed within max_hours: the time it was given.
    finished_at = job["updatedAt"] / 1000 if job["status"] == "completed" else ended_at
    by_operation = Counter(call["operation"] for call in calls)
    oauth = by_operation.get("oauth_token", 0)
    worker_calls = sorted(call["at"] for call in calls if call["operation"] in ("get_category_tree",
                                                                                "get_item_aspects_for_category",
                                                                                "fetch_item_aspects"))
    by_service: Counter[str] = Counter()
    for (service, _), count in requests.items():
        by_service[service if service in SERVICES else "other"] += count
    per_category = {service: by_service[service] / max(1, categories) for service in SERVICES}
    per_category["total"] = sum(by_service.values()) / max(1, categories)
    return ModeResult(
        mode=mode, status=job["status"], tree_leaves=tree_leaves, categories=categories,
        processed=int(job["processed"]), success=int(job["success"]), failed=int(job["failed"]), stored=stored,
        minutes=(finished_at - posted_at) / MINUTE,
        minutes_to_first_call=(worker_calls[0] - posted_at) / MINUTE if worker_calls else 0.0,
        minutes_fetching=(worker_calls[-1] - worker_calls[0]) / MINUTE if worker_calls else 0.0,
        ebay_calls=len(calls), taxonomy_calls=len(calls) - oauth, oauth_calls=oauth,
        aws_requests_per_category=per_category["total"], aws_requests_per_category_by_service=per_category,
        worker_invocations=len(worker_runs), worker_seconds=sum(log.duration_s for log in worker_runs),
        job_real_seconds=job_seconds, real_seconds=time.perf_counter() - started,
        ebay_calls_by_operation=dict(sorted(by_operation.items())),
        aws_requests={f"{s}:{o}": c for (s, o), c in sorted(requests.items())}, polling_aws_requests=polling)


def run(scenario: Scenario) -> dict[str, Any]:
    results = {mode: run_mode(mode, scenario) for mode in MODES}
    per_category, bulk = results["per_category"], results["bulk"]
    seed_minutes = per_category.categories / SEED_CATEGORIES_PER_MINUTE
    speedup = seed_minutes / per_category.minutes if per_category.minutes else 0.0
    completed = all(r.status == "completed" and r.failed == 0 and r.success == r.categories == r.tree_leaves
                    for r in results.values())
    return {
        "scenario": asdict(scenario),
        **{mode: asdict(result) for mode, result in results.items()},
        "seed_minutes": seed_minutes,
        "speedup": speedup,
        # None: the bulk job took no virtual time at all (nothing in it sleeps or waits).
        "bulk_speedup": seed_minutes / bulk.minutes if bulk.minutes else None,
        "targets": {
            "per_category_at_least_20x_faster_than_the_seed": speedup >= 20,
            "bulk_at_most_5_ebay_calls_counting_oauth": bulk.ebay_calls <= 5,
            "bulk_at_most_5_taxonomy_calls": bulk.taxonomy_calls <= 5,
            "whole_tree_stored_nothing_failed": completed,
        },
    }


def table(result: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [("", "per category", "bulk", "seed design")]

    def row(label: str, key: str, digits: int = 1, seed: str = "") -> None:
        rows.append((label, *[fmt(result[mode][key], digits) for mode in MODES], seed))

    row("categories (leaves)", "categories")
    row("virtual minutes to complete", "minutes", 2, fmt(result["seed_minutes"], 2))
    rows.append(("  times faster than the seed", fmt(result["speedup"], 1), fmt(result["bulk_speedup"], 1), "1.0"))
    row("  until the first eBay call", "minutes_to_first_call", 2)
    row("  first to last eBay call", "minutes_fetching", 2)
    row("eBay calls, all", "ebay_calls", 0)
    row("  Taxonomy", "taxonomy_calls", 0)
    row("  OAuth token mints", "oauth_calls", 0)
    for service in (*SERVICES, "total"):
        rows.append((f"AWS requests per category: {service}",
                     *[fmt(result[mode]["aws_requests_per_category_by_service"][service], 2) for mode in MODES], ""))
    row("worker invocations (ticks included)", "worker_invocations", 0)
    row("real seconds in the worker", "worker_seconds", 1)
    rows.append(("categories stored / failed",
                 *[f"{result[mode]['stored']:,} / {result[mode]['failed']:,}" for mode in MODES], ""))
    row("real seconds: POST to completed", "job_real_seconds", 1)
    row("real seconds: the whole run", "real_seconds", 1)
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench categories")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--leaves", type=int, default=Scenario.leaves)
    parser.add_argument("--seed", type=int, default=Scenario.seed)
    args = parser.parse_args(argv)
    scenario = Scenario(leaves=args.leaves, seed=args.seed)
    result = run(scenario)
    bulk = result["bulk"]
    notes = [f"target {name.replace('_', ' ')}: {'met' if met else 'NOT MET'}"
             for name, met in result["targets"].items()]
    notes.append(f"bulk eBay calls: {bulk['ebay_calls']} counting OAuth token mints "
                 f"({bulk['oauth_calls']}), {bulk['taxonomy_calls']} Taxonomy calls without them")
    emit("categories", result, as_json=args.json,
         title=f"categories: {result['per_category']['tree_leaves']:,} leaf categories, "
         f"{scenario.spacing_s * 1000:.0f} ms between eBay calls, "
         f"{scenario.taxonomy_calls_per_day:,} Taxonomy calls/day", table=table(result), notes=notes)
    return 0
