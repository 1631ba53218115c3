"""Dollars per million promoted listings, from the requests the promotions benchmark counted.

Lambda (GB-seconds and requests), DynamoDB on-demand (write units as local/aws_meter.py meters
them: item size, twice in a transaction, and every index write a write causes), SQS (our sends
plus the event source's receive and delete per worker invocation), API Gateway, KMS, Secrets
Manager and the every-minute sweeper schedule. Lambda time is what the capacity-aware simulation
billed each invocation: AWS request latency, the handlers' own work, cold starts and eBay's
modelled latency (local/capacity.py, local/sandbox/latency.py). The same retry loop is then priced
as a Step Functions Standard workflow per job: a Task, a Choice and a Wait state per attempt, one
Lambda invocation per attempt and listing, one state write per attempt.
Prices: bench/prices.py.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench import prices
from bench.promotions import POLICIES, Scenario
from bench.promotions import run as run_promotions
from bench.report import emit, fmt
from local.template import Template

PER = 1_000_000
JOBS_TABLE_INDEXES = 2  # ByUserStatus and Unfinished: what a Step Functions design would still write


def price(policy: dict[str, Any]) -> dict[str, float]:
    functions = Template.read().functions()
    promoted = max(1, policy["promoted"])
    scale = PER / promoted
    invocations: dict[str, int] = policy["invocations"]
    seconds: dict[str, float] = dict(policy["invocation_seconds"])
    gb_seconds = sum(max(seconds.get(name, 0.0), count * prices.LAMBDA_MIN_BILLED_SECONDS)
                     * functions[name].memory_mb / 1024 for name, count in invocations.items())
    requests: dict[str, int] = policy["aws_requests"]
    sqs_sends = sum(c for k, c in requests.items() if k.startswith("sqs:"))
    worker_runs = invocations.get("PromotionWorkerFunction", 0)
    sqs_requests = sqs_sends + 2 * worker_runs  # the event source receives and deletes per batch
    write_units = policy["dynamodb_write_units"]  # metered: items, transactions twice, index writes
    kms = sum(c for k, c in requests.items() if k.startswith("kms:"))
    secrets = sum(c for k, c in requests.items() if k.startswith("secretsmanager:"))
    minutes = policy["virtual_minutes"]
    lines = {
        "lambda_compute": gb_seconds * prices.LAMBDA_ARM_GB_SECOND,
        "lambda_requests": sum(invocations.values()) * prices.LAMBDA_REQUEST,
        "dynamodb": (write_units * prices.DYNAMODB_WRITE_UNIT
                     + policy["dynamodb_read_units"] * prices.DYNAMODB_READ_UNIT),
        "sqs": sqs_requests * prices.SQS_REQUEST,
        "api_gateway": invocations.get("QueuePromotionFunction", 0) * prices.HTTP_API_REQUEST,
        "kms_and_secrets": kms * prices.KMS_REQUEST + secrets * prices.SECRETS_MANAGER_REQUEST,
        "eventbridge_scheduler": minutes * prices.SCHEDULER_INVOCATION,
    }
    per_million = {name: value * scale for name, value in lines.items()}
    per_million["total"] = sum(per_million.values())
    return per_million


def price_as_step_functions(policy: dict[str, Any]) -> dict[str, float]:
    """The same jobs and attempts, orchestrated one execution per job."""
    functions = Template.read().functions()
    jobs, promoted = policy["jobs"], max(1, policy["promoted"])
    attempts = policy["attempts_per_job"] * jobs
    transitions = jobs * 2 + attempts * 3  # start and end; Task, Choice, Wait per attempt
    worker_memory = functions["PromotionWorkerFunction"].memory_mb / 1024
    task_seconds = attempts * (prices.EBAY_CALL_SECONDS + 0.05)  # one listing per call, no batching
    lines = {
        "step_functions_transitions": transitions * prices.STEP_FUNCTIONS_STANDARD_TRANSITION,
        "lambda_compute": task_seconds * worker_memory * prices.LAMBDA_ARM_GB_SECOND,
        "lambda_requests": (attempts + jobs) * prices.LAMBDA_REQUEST,
        "dynamodb": attempts * (1 + JOBS_TABLE_INDEXES) * prices.DYNAMODB_WRITE_UNIT,
        "api_gateway": policy["invocations"].get("QueuePromotionFunction", 0) * prices.HTTP_API_REQUEST,
    }
    per_million = {name: value * PER / promoted for name, value in lines.items()}
    per_million["total"] = sum(per_million.values())
    return per_million


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cost")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--from", dest="source", type=Path,
                        help="a saved promotions result, e.g. bench/results/promotions.json")
    args = parser.parse_args(argv)
    promotions = json.loads(args.source.read_text()) if args.source else run_promotions(Scenario())
    costs = {policy: price(promotions["policies"][policy]) for policy in POLICIES}
    step_functions = price_as_step_functions(promotions["policies"]["sync-window"])
    result = {"usd_per_million_promoted_listings": costs, "step_functions_standard": step_functions,
              "step_functions_vs_sync_window": step_functions["total"] / costs["sync-window"]["total"]}
    keys = list(costs["sync-window"])
    rows: list[tuple[str, ...]] = [("$ per million promoted listings", *POLICIES, "Step Functions Standard")]
    for key in keys:
        rows.append((key.replace("_", " "), *[fmt(costs[p][key], 2) for p in POLICIES],
                     fmt(step_functions.get(key), 2) if key in step_functions else ""))
    rows.append(("step functions transitions", "", "", fmt(step_functions["step_functions_transitions"], 2)))
    emit("cost", result, as_json=args.json,
         title="cost: the promotions run priced at AWS list prices (bench/prices.py)",
         table=rows, notes=[f"Step Functions Standard / sync-window: {result['step_functions_vs_sync_window']:.1f}x"])
    return 0
