"""Reliability under at-least-once delivery and crashes: nothing lost, nothing done twice.

10,000 promotion jobs (the promotions benchmark's scenario, scaled up) with every SQS message
delivered twice and 1% of worker invocations crashing between the eBay call and the write of the
jobs' new state. A crashed invocation's messages come back after the visibility timeout, as in
SQS. Counted at the end: jobs lost (not finished), duplicate ads (an ad created twice for a
listing), jobs in the wrong final state (a synced listing not promoted, or the reverse).
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from bench.harness import bench_stack
from bench.promotions import Scenario, _final_statuses, _submit, plan
from bench.report import emit, fmt
from sellerjobs.aws import clients


def run(listings_count: int, sellers: int, crash_rate: float, seed: int, big_batches: int = 0) -> dict[str, Any]:
    scenario = Scenario(listings=listings_count, sellers=sellers, seed=seed, big_batches=big_batches,
                        sessions_within_s=3600.0 * listings_count / 1000)
    listings = plan(scenario)
    started = time.perf_counter()
    with bench_stack(env={"PROMOTION_RETRY_SEED": str(seed)}) as bench:
        for seller in sorted({item.seller for item in listings}):
            bench.connect(seller)
        sim = bench.virtual.sim
        sim.duplicate_deliveries = True
        jobs_table = bench.virtual.stack.table_name("PromotionJobsTable")
        sim.crash_some_invocations(
            clients.dynamodb(), ("PutItem", "TransactWriteItems"), "PromotionWorkerFunction", crash_rate,
            random.Random(seed), when=lambda params: _writes_jobs(params, jobs_table))
        _submit(bench, listings)
        sim.drain(max_seconds=3 * 24 * 3600)
        statuses = _final_statuses(bench, listings)
        sandbox = bench.sandbox
        lost = wrong = 0
        for item in listings:
            job = statuses.get((item.seller, item.listing_id))
            if job is None or job["status"] == "pending":
                lost += 1
            elif job["status"] != ("failed" if item.sync_delay_s is None else "succeeded"):
                wrong += 1
        duplicates = sum(max(0, sandbox.ad_creations_for(item.listing_id) - 1) for item in listings)
        worker_runs = sum(1 for log in sim.invocations if log.function == "PromotionWorkerFunction")
        return {
            "jobs": len(listings), "sellers": sellers, "crash_rate": crash_rate,
            "worker_invocations": worker_runs, "crashes": sim.crashes,
            "dead_letters": sum(len(v) for v in sim.dead_letters.values()),
            "lost_jobs": lost, "duplicate_ads": duplicates, "wrong_terminal_state": wrong,
            "succeeded": sum(1 for j in statuses.values() if j["status"] == "succeeded"),
            "failed": sum(1 for j in statuses.values() if j["status"] == "failed"),
            "real_seconds": time.perf_counter() - started,
        }


def _writes_jobs(params: dict[str, Any], table: str) -> bool:
    if params.get("TableName") == table:
        return True
    return any(next(iter(item.values())).get("TableName") == table for item in params.get("TransactItems", []))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reliability")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--sellers", type=int, default=400)
    parser.add_argument("--crash-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--big-batches", type=int, default=2,
                        help="sellers who queue a full page (500 listings) at once, on top of --jobs")
    args = parser.parse_args(argv)
    result = run(args.jobs, args.sellers, args.crash_rate, args.seed, args.big_batches)
    result["all_clean"] = result["lost_jobs"] == result["duplicate_ads"] == result["wrong_terminal_state"] == 0
    rows = [("", "count")] + [(label, fmt(result[key])) for key, label in (
        ("jobs", "promotion jobs"), ("worker_invocations", "worker invocations"),
        ("crashes", "crashes injected (after the eBay call, before the state write)"),
        ("dead_letters", "messages dead-lettered"), ("succeeded", "succeeded"), ("failed", "failed (never synced)"),
        ("lost_jobs", "jobs lost"), ("duplicate_ads", "duplicate ads"),
        ("wrong_terminal_state", "wrong final state"))]
    emit("reliability", result, as_json=args.json,
         title=f"reliability: every message delivered twice, {args.crash_rate:.0%} of "
         f"worker invocations crash ({result['real_seconds']:.0f} s)", table=rows,
         notes=[f"lost 0, duplicate ads 0, wrong final state 0: {'yes' if result['all_clean'] else 'NO'}"])
    return 0 if result["all_clean"] else 1
