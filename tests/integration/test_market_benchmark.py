"""The market benchmark keeps working: two virtual hours, a few hundred jobs, the hard invariants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import market
from bench.market import PROVIDERS

HOURS = 2
BACKLOG = 300


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    results = tmp_path_factory.mktemp("bench-results")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("BENCH_RESULTS", str(results))
        assert market.main(["--json", "--hours", str(HOURS), "--backlog", str(BACKLOG)]) == 0
    return dict(json.loads((Path(results) / "market.json").read_text()))


def test_the_result_has_the_promised_keys(result: dict[str, Any]) -> None:
    assert {"providers", "priority_inversions", "p95_wait_priority_200_s", "reads_per_dispatched"} <= set(result)
    assert set(result["providers"]) == set(PROVIDERS)
    for provider in PROVIDERS:
        assert {"utilisation", "over_budget_calls", "throttled_429"} <= set(result["providers"][provider])


def test_no_provider_gets_more_calls_than_its_hourly_limit_and_none_answers_429(result: dict[str, Any]) -> None:
    for provider in PROVIDERS:
        figures = result["providers"][provider]
        assert figures["over_budget_calls"] == 0, provider
        assert figures["throttled_429"] == 0, provider
        assert max(figures["calls_per_hour"]) <= figures["limit_per_hour"], provider
        assert figures["calls"] > 0 and 0 < figures["utilisation"] <= 1, provider


def test_no_job_goes_out_before_a_more_important_one_and_reads_stay_near_dispatches(result: dict[str, Any]) -> None:
    assert result["priority_inversions"] == 0
    assert result["dispatched"] > 0
    assert result["reads_per_dispatched"] <= 2
    assert result["runs"]["records"] == result["runs"]["scheduler_invocations"] == HOURS * 60


def test_refreshes_are_measured(result: dict[str, Any]) -> None:
    refreshes = result["refreshes"]
    assert refreshes["count"] == 3 * len(PROVIDERS) * 5  # at 0:30, 1:00 and 1:30, 5 items per provider
    assert refreshes["never_dispatched"] == 0
    assert 0 <= result["p95_wait_priority_200_s"] <= refreshes["max_dispatch_s"]
