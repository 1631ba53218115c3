"""The categories benchmark keeps working: a small tree, fetched per category and in bulk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import categories
from bench.categories import MODES

SMALL_TREE = 300  # the sandbox's fixed core of real categories is 289 leaves: trees start there


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    results = tmp_path_factory.mktemp("bench-results")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("BENCH_RESULTS", str(results))
        assert categories.main(["--json", "--leaves", str(SMALL_TREE)]) == 0
    return dict(json.loads((Path(results) / "categories.json").read_text()))


def test_the_result_has_the_promised_keys(result: dict[str, Any]) -> None:
    assert {"per_category", "bulk", "seed_minutes", "speedup"} <= set(result)
    for mode in MODES:
        assert {"minutes", "ebay_calls", "aws_requests_per_category"} <= set(result[mode])
    assert result["seed_minutes"] == pytest.approx(SMALL_TREE / 5)


def test_both_modes_fetch_the_whole_tree_and_nothing_fails(result: dict[str, Any]) -> None:
    for mode in MODES:
        run = result[mode]
        assert run["status"] == "completed", mode
        assert run["tree_leaves"] == run["categories"] == run["success"] == run["stored"] == SMALL_TREE, mode
        assert run["failed"] == 0, mode
        assert run["aws_requests_per_category"] > 0, mode
    assert result["per_category"]["ebay_calls_by_operation"]["get_item_aspects_for_category"] == SMALL_TREE


def test_bulk_makes_fewer_ebay_calls_than_per_category(result: dict[str, Any]) -> None:
    bulk, per_category = result["bulk"], result["per_category"]
    assert bulk["ebay_calls"] < per_category["ebay_calls"]
    assert bulk["ebay_calls"] == bulk["taxonomy_calls"] + bulk["oauth_calls"]
    assert bulk["ebay_calls_by_operation"].get("get_item_aspects_for_category", 0) == 0


def test_per_category_is_paced_by_the_spacing_between_calls(result: dict[str, Any]) -> None:
    # 200 ms between calls: at least (categories - 1) spacings of virtual time.
    assert result["per_category"]["minutes"] * 60 >= (SMALL_TREE - 1) * 0.2 - 1
    assert result["speedup"] == pytest.approx(result["seed_minutes"] / result["per_category"]["minutes"])
