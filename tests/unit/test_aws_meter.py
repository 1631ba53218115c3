"""The benchmark meter's write units: an index's copy costs what its projection holds of the item."""

from __future__ import annotations

from typing import Any

from local.aws_meter import AwsMeter, IndexSpec, indexes_of

TABLE = "jobs"


def item(history_bytes: int, status: str = "pending", due: int = 1) -> dict[str, Any]:
    return {"pk": {"S": "USER#alice"}, "sk": {"S": "JOB#1"}, "status": {"S": status},
            "userStatus": {"S": f"alice#{status}"}, "statusAt": {"N": str(due)},
            "listingId": {"S": "177681098666"}, "createdAt": {"N": "1"},
            "history": {"S": "h" * history_bytes}}


def put(meter: AwsMeter, value: dict[str, Any]) -> None:
    meter._capacity("PutItem", {"TableName": TABLE, "Item": value})


def meter_with(*specs: IndexSpec) -> AwsMeter:
    return AwsMeter(indexes={TABLE: list(specs)})


def test_an_index_projecting_everything_pays_for_a_large_history_on_every_write():
    meter = meter_with(IndexSpec("ByUserStatus", ("userStatus", "statusAt")))

    put(meter, item(5_200, due=1))  # into the index: a copy of the whole item, history and all
    put(meter, item(5_200, due=2))  # a key change: the old copy out, a new one in

    per_item = meter.write_units_by_table[TABLE] // 2
    assert per_item == 6  # the item: 5.1 KB of history and its other attributes
    assert meter.index_write_units_by_table[TABLE] == 3 * per_item


def test_an_index_leaving_the_history_out_pays_one_unit_per_copy():
    meter = meter_with(IndexSpec("ByUserStatus", ("userStatus", "statusAt"), included=("status", "listingId")))

    put(meter, item(5_000, due=1))
    put(meter, item(5_000, due=2))

    assert meter.index_write_units_by_table[TABLE] == 1 + 2


def test_keys_only_with_keys_that_never_change_cost_one_write_per_item():
    meter = meter_with(IndexSpec("ByListing", ("listingId", "createdAt"), keys_only=True))

    for due in range(1, 6):
        put(meter, item(5_000, due=due))
    meter._capacity("DeleteItem", {"TableName": TABLE, "Key": {"pk": {"S": "USER#alice"}, "sk": {"S": "JOB#1"}}})

    assert meter.index_write_units_by_table[TABLE] == 1 + 1  # in once, out once


def test_the_specs_come_from_the_templates_projections():
    def key(name: str, kind: str = "HASH") -> dict[str, str]:
        return {"AttributeName": name, "KeyType": kind}

    tables = {"T": {"Properties": {"GlobalSecondaryIndexes": [
        {"IndexName": "A", "KeySchema": [key("a")], "Projection": {"ProjectionType": "ALL"}},
        {"IndexName": "B", "KeySchema": [key("b", "RANGE"), key("h")],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "y"]}},
        {"IndexName": "C", "KeySchema": [key("c")], "Projection": {"ProjectionType": "KEYS_ONLY"}},
    ]}}}

    specs = indexes_of(tables, {"T": "t"})["t"]

    assert specs == [IndexSpec("A", ("a",)), IndexSpec("B", ("h", "b"), included=("x", "y")),
                     IndexSpec("C", ("c",), keys_only=True)]


def test_item_sizes_follow_dynamodbs_rules_not_the_json_of_the_request():
    from local.aws_meter import _size

    # Names and string values count their UTF-8 bytes, a number one byte per two significant
    # digits (leading and trailing zeros trimmed) plus one, a boolean one, a list 3 plus one per
    # element and the elements.
    assert _size({"pk": {"S": "USER#é"}}) == 2 + 7
    assert _size({"at": {"N": "1767225612345"}}) == 2 + 8
    assert _size({"at": {"N": "1767225600000"}}) == 2 + 5
    assert _size({"ok": {"BOOL": True}}) == 2 + 1
    assert _size({"l": {"L": [{"S": "ab"}, {"N": "12"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)


def test_a_job_of_about_900_bytes_costs_one_unit_not_two():
    meter = meter_with()
    value = item(0) | {"history": {"S": "h" * 850}}

    put(meter, value)

    assert meter.write_units_by_table[TABLE] == 1


def test_writes_pay_for_the_larger_of_the_item_before_and_after():
    meter = meter_with()
    key = {"pk": {"S": "USER#alice"}, "sk": {"S": "JOB#1"}}

    put(meter, item(1_500))  # 2 units
    meter._capacity("UpdateItem", {"TableName": TABLE, "Key": key})  # the item is still 2 KB
    put(meter, item(10))  # shrinks: the 2 KB it replaces are billed
    meter._capacity("DeleteItem", {"TableName": TABLE, "Key": key})  # now a small item

    assert meter.write_units_by_table[TABLE] == 2 + 2 + 2 + 1
