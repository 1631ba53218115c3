"""Queueing a 500-listing batch: how long one POST takes, and how many AWS calls it makes.

Against the local stack over HTTP (JWT verified, the real handler, moto's server), several
times with fresh listing ids; the median latency is reported. The AWS calls the handler makes are
counted and set against the fewest possible for storing 500 jobs and queueing 500 messages with
batch APIs: ceil(500/25) BatchWriteItem calls + ceil(500/10) SendMessageBatch calls. (Each job is
stored with its per-listing lock in a transaction of up to 100 items: 50 jobs per call.)
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections import Counter

from bench.report import emit, fmt
from local.aws_meter import AwsMeter
from local.stack import LocalStack

BATCH = 500
FUNCTION = "QueuePromotionFunction"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench enqueue")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    minimum = math.ceil(BATCH / 25) + math.ceil(BATCH / 10)
    rng = random.Random(500)
    latencies: list[float] = []
    per_run: list[Counter[str]] = []
    for run in range(args.runs):
        # A fresh stack for every run: moto's SQS slows down as a queue fills, real SQS does not.
        with LocalStack(time_scale=1.0, api_port=0, sandbox_port=0, prefix_logs=False, write_state=False) as stack:
            meter = AwsMeter().attach()
            for user in ("enqueue-warm", f"enqueue-{run}"):
                stack.connect(user)  # queueing needs an eBay account
            warm = stack.call("POST", "/promotions", "enqueue-warm", {"listingId": "100000000000", "adRate": 5})
            assert warm.status_code == 202, warm.text  # a warm container: clients exist, modules loaded
            start_id = rng.randrange(100_000_000_000, 900_000_000_000)
            body = {"batch": [{"listingId": str(start_id + i), "adRate": 5} for i in range(BATCH)]}
            meter.by_function.clear()
            started = time.perf_counter()
            response = stack.call("POST", "/promotions", f"enqueue-{run}", body)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 202 and response.json()["count"] == BATCH, response.text
            per_run.append(Counter({f"{service}:{operation}": count for (function, service, operation), count
                                    in meter.by_function.items() if function == FUNCTION}))
    calls = {key: statistics.median(run[key] for run in per_run) for key in sorted(set().union(*per_run))}
    total = sum(calls.values())
    result = {"batch": BATCH, "runs": args.runs, "latency_ms_median": statistics.median(latencies) * 1000,
              "latency_ms_min": min(latencies) * 1000, "latency_ms_max": max(latencies) * 1000,
              "aws_calls": calls, "aws_calls_total": total, "aws_calls_minimum": minimum,
              "aws_calls_vs_minimum": total / minimum}
    rows = [("", "value")]
    rows += [("latency, median (ms)", fmt(result["latency_ms_median"])),
             ("latency, min - max (ms)", f"{result['latency_ms_min']:.0f} - {result['latency_ms_max']:.0f}")]
    rows += [(f"AWS calls: {key}", fmt(int(value))) for key, value in calls.items()]
    rows += [("AWS calls in all", fmt(int(total))), ("fewest possible (20 writes + 50 sends)", fmt(minimum)),
             ("calls / fewest possible", fmt(result["aws_calls_vs_minimum"], 2))]
    emit("enqueue", result, as_json=args.json,
         title=f"enqueue: one POST /promotions with {BATCH} listings, local stack over HTTP",
         table=rows)
    return 0
