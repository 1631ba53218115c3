"""The fairness benchmark's three variants run end to end on a small scale and report their keys."""

from __future__ import annotations

import pytest

from bench import fairness
from bench.fairness import CategoryScenario, MarketScenario, Scenario


@pytest.fixture(autouse=True)
def results_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_RESULTS", str(tmp_path))


def test_promotions_variant_reports_the_quiet_sellers_with_and_without_the_flood():
    result = fairness.promotions_result(Scenario(flood_listings=500, quiet_sellers=4, hour_s=900.0))

    assert {"mean_s", "p95_s", "alone_mean_s", "alone_p95_s", "p95_ratio"} <= set(result["quiet"])
    assert {"p95_s", "last_promoted_after_sync_s"} <= set(result["flood"])
    assert {"ebay_calls_per_listing", "peak_concurrency", "hottest_item_writes_per_s", "peak_in_flight",
            "lost", "duplicate_ads"} <= set(result)
    assert result["flood"]["promoted"] > 0 and result["quiet"]["alone_p95_s"] > 0
    assert result["lost"] == result["duplicate_ads"] == 0
    assert 1 <= result["peak_concurrency"] <= 5


def test_category_variant_times_the_small_fetch_behind_whole_trees():
    result = fairness.category_result(CategoryScenario(whole_trees=2, leaves=300, b_categories=5), seed=3)

    assert result["b_first_category_after_s"] is not None and result["a_processed"] > 0


def test_market_variant_compares_the_others_refreshes_with_and_without_the_reader():
    result = fairness.market_result(MarketScenario(unknown_skus=40, hours=0.5, refresh_every_s=300.0), seed=3)

    assert result["others_refresh_priced_p95_alone_s"] > 0 and "reader" in result
