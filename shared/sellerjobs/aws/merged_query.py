"""One listing, newest first, over several index partitions (shards, statuses), a page at a time.

Each partition is queried for up to a page of items, descending by its sort key; the items are
merged and the first ``limit`` kept. The cursor remembers, per partition, the last item taken
from it, so the items fetched but not taken are fetched again for the next page, and no item is
skipped or shown twice. Reading costs one query per partition and page.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import to_values
from sellerjobs.errors import Invalid

Raw = dict[str, Any]


@dataclass(frozen=True)
class Partition:
    name: str  # how the cursor names it
    index: str | None
    hash_attr: str
    hash_value: str
    range_attr: str
    low: int | str | None = None  # inclusive bounds of the sort key
    high: int | str | None = None

    def query(self, table: str, limit: int, start: Raw | None, projection: str | None) -> Raw:
        condition = "#h = :h"
        values: dict[str, Any] = {":h": self.hash_value}
        if self.low is not None and self.high is not None:
            condition += " AND #r BETWEEN :lo AND :hi"
            values |= {":lo": self.low, ":hi": self.high}
        elif self.low is not None:
            condition += " AND #r >= :lo"
            values[":lo"] = self.low
        elif self.high is not None:
            condition += " AND #r <= :hi"
            values[":hi"] = self.high
        names = {"#h": self.hash_attr}
        if "#r" in condition:
            names["#r"] = self.range_attr
        kwargs: dict[str, Any] = {"TableName": table, "KeyConditionExpression": condition, "Limit": limit,
                                  "ScanIndexForward": False, "ExpressionAttributeNames": names,
                                  "ExpressionAttributeValues": to_values(values)}
        if self.index:
            kwargs["IndexName"] = self.index
        if projection:
            kwargs["ProjectionExpression"] = projection
        if start:
            kwargs["ExclusiveStartKey"] = start
        return dict(clients.dynamodb().query(**kwargs))

    def sort_value(self, item: Raw) -> int | str:
        value = item[self.range_attr]
        return int(value["N"]) if "N" in value else str(value["S"])

    def position(self, item: Raw, table_keys: Sequence[str]) -> Raw:
        """The item's place in this partition, as DynamoDB's ExclusiveStartKey wants it."""
        names = dict.fromkeys([*table_keys, self.hash_attr, self.range_attr])
        return {name: item[name] for name in names}


def merged_page(table: str, partitions: Sequence[Partition], limit: int, cursor: str | None, *,
                table_keys: Sequence[str] = ("pk", "sk"),
                projection: str | None = None) -> tuple[list[tuple[Partition, Raw]], str | None]:
    """Up to ``limit`` items of all ``partitions``, newest (highest sort key) first, and the cursor
    of the next page (None after the last)."""
    starts, done = _decode(cursor, partitions)
    streams: list[list[tuple[Partition, Raw]]] = []
    more: dict[str, bool] = {}
    for partition in partitions:
        if partition.name in done:
            continue
        response = partition.query(table, limit, starts.get(partition.name), projection)
        streams.append([(partition, item) for item in response.get("Items", [])])
        more[partition.name] = bool(response.get("LastEvaluatedKey"))
    # Merged without reordering any partition's own items (ties keep DynamoDB's order), so the
    # last item taken from a partition is a position to go on from.
    fetched = list(heapq.merge(*streams, key=lambda pair: pair[0].sort_value(pair[1]), reverse=True))
    taken = fetched[:limit]
    left = {p.name: 0 for p in partitions}
    for partition, _ in fetched[limit:]:
        left[partition.name] += 1
    for partition, item in taken:
        starts[partition.name] = partition.position(item, table_keys)
    for name, has_more in more.items():
        if not has_more and not left[name]:
            done.add(name)
    if all(p.name in done for p in partitions):
        return taken, None
    return taken, _encode(starts, done)


def _encode(starts: dict[str, Raw], done: set[str]) -> str:
    state = {"s": starts, "d": sorted(done)}
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _decode(cursor: str | None, partitions: Sequence[Partition]) -> tuple[dict[str, Raw], set[str]]:
    """A cursor's positions, checked to lie in these very partitions: it is opaque to callers,
    and must never lead a query into a partition the search did not ask for."""
    if not cursor:
        return {}, set()
    by_name = {p.name: p for p in partitions}
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        starts, done = state["s"], set(state["d"])
        valid = isinstance(starts, dict) and done <= by_name.keys() and all(
            name in by_name and isinstance(key, dict)
            and key.get(by_name[name].hash_attr) == {"S": by_name[name].hash_value}
            and all(isinstance(v, dict) and len(v) == 1 and set(v) <= {"S", "N"} for v in key.values())
            for name, key in starts.items())
        if valid:
            return dict(starts), done
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise Invalid("cursor is not one this API returned for this search", field="cursor")
