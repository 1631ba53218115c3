"""The benchmarks keep working: each runs on a small scenario and reports what it promises."""

from __future__ import annotations

import pytest

from bench import coldstart, cost, reliability
from bench.promotions import POLICIES, Scenario, run
from local.template import ROOT


@pytest.fixture(autouse=True)
def results_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_RESULTS", str(tmp_path))


@pytest.fixture(scope="module")
def promotions():
    return run(Scenario(listings=40, sellers=4, sessions_within_s=300, big_batches=1, big_batch_size=30))


def test_promotions_compares_both_policies_on_the_same_listings(promotions):
    assert set(promotions["policies"]) == set(POLICIES)
    for result in promotions["policies"].values():
        assert result["jobs"] == 70
        assert set(result["by_kind"]) <= {"batch", "big", "single"} and "big" in result["by_kind"]
        assert result["lost_jobs"] == 0 and result["duplicate_ads"] == 0 and result["wrong_terminal_state"] == 0
        assert 0 < result["promoted"] <= 70
        for key in ("mean_lateness_s", "p50_lateness_s", "p95_lateness_s", "ebay_calls_per_listing",
                    "aws_requests_per_job"):
            assert key in result
        assert set(result["aws_requests_per_job"]) == {"dynamodb", "sqs", "other", "total"}
    assert promotions["ratios"]["mean_lateness_s"] > 0
    assert "big_vs_batch_p95" in promotions["ratios"]
    capacity = promotions["policies"]["sync-window"]["capacity"]
    assert capacity["functions"]["PromotionWorkerFunction"]["billed_s"] > 0


def test_cost_prices_the_run(promotions):
    priced = cost.price(promotions["policies"]["sync-window"])
    assert priced["total"] > 0 and priced["total"] == pytest.approx(sum(v for k, v in priced.items() if k != "total"))
    assert cost.price_as_step_functions(promotions["policies"]["sync-window"])["total"] > priced["total"]


def test_reliability_counts_crashes_and_finds_nothing_lost():
    result = reliability.run(listings_count=60, sellers=3, crash_rate=0.3, seed=3)
    assert result["crashes"] > 0
    assert result["lost_jobs"] == result["duplicate_ads"] == result["wrong_terminal_state"] == 0


@pytest.mark.skipif(not (ROOT / ".aws-sam" / "build" / "template.yaml").exists(),
                    reason="bench coldstart measures the build; CI builds it (make lambda-check) before the tests")
def test_coldstart_measures_handlers_next_to_the_baseline_with_and_without_bytecode():
    result = coldstart.run(runs=1, only=["AdminPageFunction"])
    for variant in ("compiled", "source"):
        data = result["variants"][variant]
        assert data["baseline"]["cold_ms"] >= data["baseline"]["import_ms"] > 0
        handler = data["handlers"]["AdminPageFunction"]
        assert handler["cold_ms"] >= handler["import_ms"] > 0 and handler["warm_ms"] >= 0
        assert handler["cold_ratio"] == pytest.approx(handler["cold_ms"] / data["baseline"]["cold_ms"])
