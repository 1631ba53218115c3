"""The indexes project what the code reads from them, and never a job's history."""

from __future__ import annotations

from typing import Any

import pytest

from local.template import Template
from sellerjobs.aws import market, promotion_jobs

TEMPLATE = Template.read()


def indexes(table: str) -> dict[str, dict[str, Any]]:
    resource = TEMPLATE.of_type("AWS::DynamoDB::Table")[table]
    return {index["IndexName"]: index for index in resource["Properties"]["GlobalSecondaryIndexes"]}


@pytest.mark.parametrize(("table", "summary"), [("PromotionJobsTable", promotion_jobs.SUMMARY),
                                                ("MarketTable", market.SUMMARY)])
def test_every_index_holds_the_summary_the_code_reads_and_no_history(table, summary):
    for name, index in indexes(table).items():
        projection = index["Projection"]
        assert projection["ProjectionType"] in ("INCLUDE", "KEYS_ONLY"), name
        if projection["ProjectionType"] == "INCLUDE":
            keys = {k["AttributeName"] for k in index["KeySchema"]}
            assert set(projection["NonKeyAttributes"]) == set(summary) - keys, name
            assert "history" not in projection["NonKeyAttributes"]


def test_the_projected_attributes_stay_within_dynamodbs_limit_per_table():
    for table in TEMPLATE.of_type("AWS::DynamoDB::Table"):
        resource = TEMPLATE.of_type("AWS::DynamoDB::Table")[table]
        projected = sum(len(index.get("Projection", {}).get("NonKeyAttributes", []))
                        for index in resource["Properties"].get("GlobalSecondaryIndexes", []))
        assert projected <= 100, table
