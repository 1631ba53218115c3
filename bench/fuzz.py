"""Fuzzing the HTTP API from its own OpenAPI document (schemathesis): no server errors, and no
request the API refuses may change any table.

The local stack serves ``GET /openapi.json``; schemathesis generates valid (positive) and invalid
(negative) requests for every operation from it and sends them, signed as one user, over HTTP.
Before and after each request every table is read; a request answered 4xx must leave them
exactly as they were, with one exception: the bookkeeping of calls to eBay. A request that only
eBay can refuse (an unknown category, say) has made an eBay call, which counts against the call
budget and may have minted and cached an access token; neither is data of the refused request.
Responses are also checked against the document (status codes and bodies); mismatches are counted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter
from typing import Any

import boto3
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from bench.report import emit, fmt
from local.aws import REGION
from local.stack import LocalStack

USER = "fuzzer"


CALL_BOOKKEEPING_TABLES = {"RateBucketsTable"}  # calls spent against each provider's budget


def _is_cached_token(item: dict[str, Any]) -> bool:
    return str(item.get("sk", {}).get("S", "")).startswith("EBAY#TOKEN#")


def _tables_digest(stack: LocalStack, dynamodb: Any) -> str:
    digest = hashlib.sha256()
    for name in sorted(set(stack.stack.template.of_type("AWS::DynamoDB::Table")) - CALL_BOOKKEEPING_TABLES):
        items = [i for i in dynamodb.scan(TableName=stack.stack.table_name(name), ConsistentRead=True)["Items"]
                 if not _is_cached_token(i)]
        for item in sorted(json.dumps(i, sort_keys=True, default=str) for i in items):
            digest.update(item.encode())
    return digest.hexdigest()


def run(examples: int) -> dict[str, Any]:
    started = time.perf_counter()
    # Without pollers and schedules: every change to a table is then the request's own doing.
    with LocalStack(time_scale=1.0, api_port=0, sandbox_port=0, prefix_logs=False, write_state=False,
                    event_sources=False) as stack:
        schema = schemathesis.openapi.from_url(f"{stack.api_url}/openapi.json")
        headers = {"Authorization": f"Bearer {stack.token(USER)}"}
        dynamodb = boto3.session.Session(region_name=REGION).client("dynamodb", endpoint_url=stack.aws_endpoint)
        statuses: Counter[int] = Counter()
        server_errors: list[str] = []
        changed_by_refusal: list[str] = []
        mismatches: Counter[str] = Counter()
        per_operation: Counter[str] = Counter()
        def fuzz(operation: Any, mode: GenerationMode) -> None:
            label = f"{operation.method.upper()} {operation.path}"

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case: Any) -> None:
                before = _tables_digest(stack, dynamodb)
                response = case.call(base_url=stack.api_url, headers=headers, timeout=30)
                statuses[response.status_code] += 1
                per_operation[label] += 1
                if response.status_code >= 500:
                    server_errors.append(f"{label} -> {response.status_code}: {response.text[:200]}")
                if 400 <= response.status_code < 500 and _tables_digest(stack, dynamodb) != before:
                    changed_by_refusal.append(f"{label} -> {response.status_code}")
                try:
                    case.validate_response(response, checks=[status_code_conformance, response_schema_conformance])
                except Exception as exc:  # schemathesis reports each failed check as an exception
                    mismatches[f"{label} {response.status_code}: {type(exc).__name__}"] += 1

            try:
                send()
            except Unsatisfiable:  # nothing about this operation can be made invalid (no inputs)
                skipped.append(f"{label} ({mode.value})")

        skipped: list[str] = []
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # an invalid document fails loading first
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz(operation, mode)
    return {
        "requests": sum(statuses.values()), "statuses": dict(sorted(statuses.items())),
        "operations": dict(per_operation), "server_errors": len(server_errors),
        "server_error_samples": server_errors[:5], "refusals_that_changed_tables": len(changed_by_refusal),
        "refusal_samples": changed_by_refusal[:5], "document_mismatches": sum(mismatches.values()),
        "mismatch_samples": dict(mismatches.most_common(5)), "examples_per_operation_and_mode": examples,
        "skipped": skipped,
        "real_seconds": time.perf_counter() - started,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench fuzz")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--examples", type=int, default=40, help="per operation and per mode (valid, invalid)")
    args = parser.parse_args(argv)
    result = run(args.examples)
    rows = [("", "count"), ("requests sent", fmt(result["requests"]))]
    rows += [(f"answered {status}", fmt(count)) for status, count in result["statuses"].items()]
    rows += [("server errors (5xx)", fmt(result["server_errors"])),
             ("refused requests that changed a table", fmt(result["refusals_that_changed_tables"])),
             ("answers not matching the document", fmt(result["document_mismatches"]))]
    notes = [f"  {s}" for s in result["server_error_samples"] + result["refusal_samples"]]
    notes += [f"  mismatch: {k} x{v}" for k, v in result["mismatch_samples"].items()]
    emit("fuzz", result, as_json=args.json,
         title=f"fuzz: schemathesis against GET /openapi.json, local stack "
         f"({result['real_seconds']:.0f} s)", table=rows, notes=notes)
    clean = result["server_errors"] == 0 and result["refusals_that_changed_tables"] == 0
    return 0 if clean else 1
