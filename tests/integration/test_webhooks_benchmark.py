"""`python -m bench webhooks` keeps working: a small run reports what the benchmark promises."""

from __future__ import annotations

import pytest

from bench import webhooks


@pytest.fixture(autouse=True)
def results_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_RESULTS", str(tmp_path))


def test_a_small_run_delivers_everything_once_despite_an_outage():
    result = webhooks.run(webhooks.Scenario(events=24, endpoints=3, down_share=0.34, down_hours=0.5, seed=7))
    assert result["events"] == 24 and result["endpoints_down"] == 1
    assert result["delivered"] == 24 and result["lost"] == 0
    assert result["duplicates_with_new_id"] == 0 and result["invalid_signatures"] == 0
    assert 0 < result["p95_delivery_delay_s_healthy"] <= 5
    assert result["max_delivery_delay_s_down"] >= 0.5 * 3600  # held back until the outage ended
    assert result["max_attempts"] >= 3
    for key in ("p50_delivery_delay_s_healthy", "duplicate_deliveries_same_id", "dead_letters", "virtual_hours",
                "invocations", "aws_requests", "targets"):
        assert key in result
    assert all(result["targets"].values())
