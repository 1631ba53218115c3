"""The benchmarks that start a local stack of their own run end to end (tiny settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from local.template import ROOT

pytestmark = pytest.mark.e2e


def bench(tmp_path, *args: str) -> dict[str, Any]:
    env = os.environ | {"PYTHONPATH": "shared", "BENCH_RESULTS": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bench", *args, "--json"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_fuzzing_finds_no_server_errors_and_no_refusal_that_writes(tmp_path):
    # A bounded run: schemathesis's strategies twice per operation and mode, and the shortest list
    # of explicit edge values (`python -m bench fuzz` is the long run).
    result = bench(tmp_path, "fuzz", "--examples", "2", "--quick")
    assert result["requests"] > 300 and result["explicit_requests"] > 200
    assert result["server_errors"] == 0 and result["refusals_that_changed_tables"] == 0
    assert result["document_mismatches"] == 0, result["mismatch_samples"]


def test_enqueue_counts_the_calls_of_a_500_listing_batch(tmp_path):
    result = bench(tmp_path, "enqueue", "--runs", "1")
    # 49 jobs and the counters per transaction; one read of whether the seller's eBay account is connected.
    assert result["aws_calls"] == {"dynamodb:GetItem": 1, "dynamodb:TransactWriteItems": 11,
                                   "sqs:SendMessageBatch": 50}
    assert result["aws_calls_minimum"] == 70
