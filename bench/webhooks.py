"""Webhooks under load: 5,000 job events to 50 sellers' endpoints, 10% of them down for six hours.

Every event is real: each seller queues its listings' promotions through the API, the listings
sync on eBay after U(1, 10) minutes, and every job that finishes stores a ``promotion.succeeded``
(or ``.failed``) event with its state. The relay puts each on the bus and hands it to the seller's
endpoint, a receiver on the marketplace sandbox that verifies every signature with the
``standardwebhooks`` package. A tenth of the endpoints answer 500 from the start for
``--down-hours`` (6); the run goes on, in virtual time on the capacity-aware stack
(``bench.harness.bench_stack``), until every delivery is delivered or given up.

Measured: events delivered and lost (an event on the bus for a seller its endpoint never
accepted), duplicates with a new id (a job's change reaching an endpoint under two ids), the
healthy endpoints' delay from the state change (the event's timestamp: the write that stored it)
to the endpoint accepting it, and the most attempts a delivery took.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import boto3

from bench.harness import START, Bench, bench_stack, percentile
from bench.report import emit, fmt
from local.aws import REGION
from local.bus import BusRecorder

MINUTE = 60.0
HOUR = 3600.0


@dataclass(frozen=True)
class Scenario:
    events: int = 5000
    endpoints: int = 50  # one seller each
    down_share: float = 0.1
    down_hours: float = 6.0
    start_within_s: float = 10 * MINUTE  # sellers queue their listings within this, staggered
    seed: int = 2026

    @property
    def per_seller(self) -> int:
        return max(1, self.events // self.endpoints)


def run(scenario: Scenario) -> dict[str, Any]:
    rng = random.Random(scenario.seed)
    started = time.perf_counter()
    sellers = [f"seller-{i:03d}" for i in range(scenario.endpoints)]
    down = set(rng.sample(sellers, round(scenario.endpoints * scenario.down_share)))
    env = {"PROMOTION_RETRY_SEED": str(scenario.seed), "WEBHOOK_RETRY_SEED": str(scenario.seed)}
    with bench_stack(env=env) as bench:
        for seller in sellers:
            bench.connect(seller)
            hook = bench.call("POST", "/webhooks", seller, {
                "url": f"{bench.virtual.sandbox_url}/hooks/{seller}",
                "events": ["promotion.succeeded", "promotion.failed"]})
            assert hook.status == 201, hook.body
            bench.sandbox.webhooks.set_secrets(seller, [hook.json()["secret"]])
        outage_start = bench.clock.now()
        for seller in sorted(down):
            bench.sandbox.webhooks.fail(seller, "500", scenario.down_hours * HOUR)
        _queue(bench, scenario, sellers, rng)
        bench.virtual.sim.drain(max_seconds=40 * HOUR)
        return _measure(bench, scenario, sellers, down, outage_start, time.perf_counter() - started)


def _queue(bench: Bench, scenario: Scenario, sellers: list[str], rng: random.Random) -> None:
    next_id = 500_000_000_000
    for index, seller in enumerate(sellers):
        bench.virtual.sim.run_until(START + scenario.start_within_s * index / len(sellers))
        listings = []
        for _ in range(scenario.per_seller):
            listing = str(next_id)
            next_id += 1
            bench.sandbox.publish_listing(seller, listing, sync_delay_s=rng.uniform(1, 10) * MINUTE)
            listings.append({"listingId": listing, "adRate": 5})
        for start in range(0, len(listings), 500):
            response = bench.call("POST", "/promotions", seller, {"batch": listings[start:start + 500]})
            assert response.status == 202, response.body


def _measure(bench: Bench, scenario: Scenario, sellers: list[str], down: set[str], outage_start: float,
             real_s: float) -> dict[str, Any]:
    on_bus = BusRecorder(bench.virtual.stack, boto3.client("sqs", region_name=REGION)).take()
    occurred = {e["detail"]["id"]: _epoch(e["detail"]["timestamp"]) for e in on_bus}
    wanted = {(seller, e["detail"]["id"]) for e in on_bus for seller in e["detail"]["sellers"] if seller in sellers}
    delays_healthy: list[float] = []
    delays_down: list[float] = []
    accepted: set[tuple[str, str]] = set()
    ids_per_change: dict[tuple[str, str, str], set[str]] = {}
    attempts: dict[tuple[str, str], int] = {}
    invalid = duplicates_same_id = 0
    for seller in sellers:
        first_accepted: dict[str, float] = {}
        for received in bench.sandbox.webhooks.received(seller):
            attempts[(seller, received.webhook_id)] = attempts.get((seller, received.webhook_id), 0) + 1
            invalid += int(not received.valid)
            if received.answered is None or not 200 <= received.answered < 300:
                continue
            if received.webhook_id in first_accepted:
                duplicates_same_id += 1
                continue
            first_accepted[received.webhook_id] = received.at
            accepted.add((seller, received.webhook_id))
        for event_id, at in first_accepted.items():
            delay = at - occurred.get(event_id, at)
            (delays_down if seller in down else delays_healthy).append(delay)
    for event in on_bus:
        job_id = event["detail"]["data"]["id"]
        for seller in event["detail"]["sellers"]:
            if (seller, event["detail"]["id"]) in accepted:
                ids_per_change.setdefault((seller, event["detail-type"], job_id), set()).add(event["detail"]["id"])
    by_type: dict[str, int] = {}
    for event in on_bus:
        by_type[event["detail-type"]] = by_type.get(event["detail-type"], 0) + 1
    capacity = bench.virtual.sim.capacity_report()
    return {
        "scenario": asdict(scenario),
        "events": len(on_bus),
        "events_by_type": by_type,
        "endpoints": len(sellers),
        "endpoints_down": len(down),
        "delivered": len(accepted),
        "lost": len(wanted - accepted),
        "duplicates_with_new_id": sum(1 for ids in ids_per_change.values() if len(ids) > 1),
        "duplicate_deliveries_same_id": duplicates_same_id,
        "invalid_signatures": invalid,
        "p50_delivery_delay_s_healthy": round(percentile(delays_healthy, 0.50), 3),
        "p95_delivery_delay_s_healthy": round(percentile(delays_healthy, 0.95), 3),
        "max_delivery_delay_s_healthy": round(max(delays_healthy, default=0.0), 3),
        "p95_delivery_delay_s_down": round(percentile(delays_down, 0.95), 1),
        "max_delivery_delay_s_down": round(max(delays_down, default=0.0), 1),
        "max_attempts": max(attempts.values(), default=0),
        "dead_letters": len(bench.virtual.sim.dead_letters.get("WebhookQueue", [])),
        "outage_s": scenario.down_hours * HOUR,
        "virtual_hours": round((bench.clock.now() - outage_start) / HOUR, 2),
        "real_seconds": round(real_s, 1),
        "invocations": {name: f["invocations"] for name, f in capacity["functions"].items()},
        "peak_concurrency": {name: f.get("peak_concurrency", 0) for name, f in capacity["functions"].items()},
        "aws_requests": {f"{service}:{operation}": n
                         for (service, operation), n in sorted(bench.meter.requests.items())},
        "costs": capacity["costs"],
        "targets": {"no_event_lost": len(wanted - accepted) == 0,
                    "no_duplicate_with_a_new_id": not any(len(ids) > 1 for ids in ids_per_change.values()),
                    "healthy_p95_within_5_s": percentile(delays_healthy, 0.95) <= 5.0},
    }


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def table(result: dict[str, Any]) -> list[list[str]]:
    return [
        ["", "value"],
        ["events on the bus", fmt(result["events"])],
        ["endpoints (down for the outage)", f"{result['endpoints']} ({result['endpoints_down']})"],
        ["delivered", fmt(result["delivered"])],
        ["lost", fmt(result["lost"])],
        ["duplicates with a new id", fmt(result["duplicates_with_new_id"])],
        ["duplicate deliveries, same id", fmt(result["duplicate_deliveries_same_id"])],
        ["invalid signatures", fmt(result["invalid_signatures"])],
        ["healthy endpoints: p50 / p95 / max delay", f"{fmt(result['p50_delivery_delay_s_healthy'], 2)} / "
         f"{fmt(result['p95_delivery_delay_s_healthy'], 2)} / {fmt(result['max_delivery_delay_s_healthy'], 2)} s"],
        ["endpoints that were down: p95 / max delay", f"{fmt(result['p95_delivery_delay_s_down'] / HOUR, 2)} / "
         f"{fmt(result['max_delivery_delay_s_down'] / HOUR, 2)} h"],
        ["most attempts for one delivery", fmt(result["max_attempts"])],
        ["dead-lettered", fmt(result["dead_letters"])],
        ["virtual hours / real seconds", f"{fmt(result['virtual_hours'], 1)} / {fmt(result['real_seconds'], 0)}"],
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench webhooks")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--events", type=int, default=Scenario.events)
    parser.add_argument("--endpoints", type=int, default=Scenario.endpoints)
    parser.add_argument("--down-share", type=float, default=Scenario.down_share)
    parser.add_argument("--down-hours", type=float, default=Scenario.down_hours)
    parser.add_argument("--seed", type=int, default=Scenario.seed)
    args = parser.parse_args(argv)
    scenario = Scenario(events=args.events, endpoints=args.endpoints, down_share=args.down_share,
                        down_hours=args.down_hours, seed=args.seed)
    result = run(scenario)
    emit("webhooks", result, as_json=args.json,
         title=f"webhooks: {scenario.events:,} events to {scenario.endpoints} endpoints, "
               f"{scenario.down_share:.0%} of them down for {scenario.down_hours:g} virtual hours",
         table=table(result),
         notes=[f"target {name.replace('_', ' ')}: {'met' if met else 'NOT MET'}"
                for name, met in result["targets"].items()])
    return 0
