"""Counting the AWS requests the handlers make, and the DynamoDB capacity they use (botocore hooks).

Requests are counted by service and operation, from the parameters the caller gave
("provide-client-params", before serialisation, where tables, items and keys are readable).

DynamoDB write units are counted the way on-demand pricing charges them:

* a write costs one unit per started KB of the item written (the larger of the item before and
  after it), twice inside a transaction; sizes follow DynamoDB's rules (names and strings their
  UTF-8 bytes, numbers about a byte per two significant digits), not the request's JSON;
* every global secondary index the write touches costs more, one unit per started KB of the
  index's copy of the item (what its projection holds: the whole item, the keys and the listed
  attributes, or the keys only): to put the copy into the index (or to rewrite its projected
  attributes), to remove it (a sparse index the item leaves), or both when the write changes the
  index key (a delete and a put). To know whether a key changed, and how large the copy it
  replaces is, the meter remembers the index keys and copy sizes of every item it has seen written.

With a clock, it also finds the hottest DynamoDB item: the most write units one item took within
one second of (virtual) time. A single item takes about 1,000 a second, so a counter that every job
of a flood updates shows up here before it throttles in production.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from local.logs import current_function
from sellerjobs.aws import clients
from sellerjobs.clock import Clock

SERVICES = ("dynamodb", "sqs", "kms", "secretsmanager", "events")
# Meters attached in this process also count what functions running in worker processes of
# their own report (``local/workers.py``).
_active: list[AwsMeter] = []


def observe(function: str, calls: list[dict[str, Any]]) -> None:
    """Requests a function made in its own process, as its worker reported them."""
    for meter in list(_active):
        for call in calls:
            meter.requests[(call["service"], call["operation"])] += 1
            meter.by_function[(function, call["service"], call["operation"])] += 1


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[str, ...]  # hash key, then range key if any
    keys_only: bool = False  # projection KEYS_ONLY: other attributes changing cost the index nothing
    included: tuple[str, ...] | None = None  # projection INCLUDE: the attributes it copies; None: ALL

    def copy_units(self, item: dict[str, Any]) -> int:
        """Write units of the index's copy of ``item`` (its table keys are always in it)."""
        if self.keys_only:
            names: set[str] | None = {"pk", "sk", *self.keys}
        elif self.included is not None:
            names = {"pk", "sk", *self.keys, *self.included}
        else:
            names = None
        copy = item if names is None else {k: v for k, v in item.items() if k in names}
        return max(1, math.ceil(_size(copy) / 1024))


@dataclass
class AwsMeter:
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_function: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    write_units: int = 0  # tables and indexes together
    read_units: float = 0.0
    write_units_by_table: Counter[str] = field(default_factory=Counter)  # the table's own items
    index_write_units_by_table: Counter[str] = field(default_factory=Counter)  # its indexes
    index_write_units_by_index: Counter[str] = field(default_factory=Counter)  # "<table>/<index>"
    clock: Clock | None = None
    indexes: dict[str, list[IndexSpec]] = field(default_factory=dict)  # table name -> its GSIs
    # item -> [second, units in that second, peak units in any second]
    _item_writes: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    # (table, item key) -> the index keys it was last written with
    _index_keys: dict[tuple[str, str], dict[str, tuple[Any, ...] | None]] = field(default_factory=dict)
    # (table, item key) -> the write units of each index's copy of it, when last written
    _copy_units: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    # (table, item key) -> the item's own write units, when last written
    _item_units: dict[tuple[str, str], int] = field(default_factory=dict)

    def attach(self) -> AwsMeter:
        """Count requests of the handlers' clients (call again after the clients are recreated)."""
        for name in SERVICES:
            client = getattr(clients, name)()
            client.meta.events.register("provide-client-params", self._count, unique_id=f"aws-meter-{id(self)}")
        if self not in _active:
            _active.append(self)
        return self

    def detach(self) -> None:
        """Stop counting for workers' reports (the hooks go with the clients when they are reset)."""
        if self in _active:
            _active.remove(self)

    def _count(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        operation = model.name
        self.requests[(service, operation)] += 1
        self.by_function[(current_function() or "-", service, operation)] += 1
        if service == "dynamodb":
            self._capacity(operation, params)

    def _capacity(self, operation: str, params: dict[str, Any]) -> None:
        if operation == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                ((kind, request),) = entry.items()
                if kind != "ConditionCheck":
                    self._write(kind, request, transactional=True)
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self._write(operation.removesuffix("Item"), params, transactional=False)
        elif operation == "BatchWriteItem":
            for table, requests in params.get("RequestItems", {}).items():
                for request in requests:
                    ((kind, body),) = request.items()
                    self._write(kind.removesuffix("Request"), body | {"TableName": table}, transactional=False)
        elif operation == "GetItem":
            self.read_units += 1 if params.get("ConsistentRead") else 0.5
        elif operation == "BatchGetItem":
            for request in params.get("RequestItems", {}).values():
                self.read_units += len(request.get("Keys", [])) * (1 if request.get("ConsistentRead") else 0.5)
        elif operation in ("Query", "Scan"):
            self.read_units += 0.5  # at least; item reads of queries are not visible from the request

    def _write(self, kind: str, request: dict[str, Any], *, transactional: bool) -> None:
        table = request.get("TableName", "?")
        item = request.get("Item")
        key_values = item or request.get("Key") or {}
        # DynamoDB bills the larger of the item before and after the write; the size of an item
        # an update or delete touches is the one it was last written with (1 KB if never seen).
        stored = (table, _key_text(key_values)) if key_values else None
        before = self._item_units.get(stored, 1) if stored else 1
        after = max(1, math.ceil(_size(item) / 1024)) if item else before
        size_units = max(before, after) if kind != "Delete" else before
        if stored is not None:
            if kind == "Delete":
                self._item_units.pop(stored, None)
            else:
                self._item_units[stored] = after
        units = size_units * (2 if transactional else 1)
        index_units = self._index_units(table, kind, key_values, item)
        self.write_units += units + index_units
        self.write_units_by_table[table] += units
        self.index_write_units_by_table[table] += index_units
        if self.clock is not None and key_values:
            self._heat((table, _key_text(key_values)), units)

    def _index_units(self, table: str, kind: str, key_values: dict[str, Any], item: dict[str, Any] | None) -> int:
        specs = self.indexes.get(table)
        if not specs or not key_values:
            return 0
        remembered = self._index_keys.setdefault((table, _key_text(key_values)), {})
        sizes = self._copy_units.setdefault((table, _key_text(key_values)), {})
        units = 0
        for spec in specs:
            spent = units
            before = remembered.get(spec.name)
            old_units = sizes.get(spec.name, 1)
            if kind == "Delete":
                after = None
            elif kind == "Put":
                after = _index_key(spec, item or {})
            else:  # an update changes attributes we cannot see: the index key stays, its copy is rewritten
                after = before
            new_units = spec.copy_units(item) if item is not None and after is not None else old_units
            if before is None and after is None:
                continue
            if before is None:
                units += new_units  # into the index
            elif after is None:
                units += old_units  # out of it
            elif before != after:
                units += old_units + new_units  # a key change: delete and put
            elif not spec.keys_only:
                units += new_units  # the projected copy is rewritten
            remembered[spec.name] = after
            sizes[spec.name] = new_units
            if units > spent:
                self.index_write_units_by_index[f"{table}/{spec.name}"] += units - spent
        return units

    def _heat(self, key: tuple[str, str], units: int) -> None:
        assert self.clock is not None
        second = math.floor(self.clock.now())
        seen = self._item_writes.setdefault(key, [second, 0, 0])
        if seen[0] != second:
            seen[0], seen[1] = second, 0
        seen[1] += units
        seen[2] = max(seen[2], seen[1])

    def hottest_item(self) -> tuple[str, int]:
        """The item written most within one second (write units), and how many."""
        if not self._item_writes:
            return ("", 0)
        (table, key), seen = max(self._item_writes.items(), key=lambda entry: entry[1][2])
        return (f"{table}: {key}", seen[2])

    def reset(self) -> None:
        """Forget counts (the remembered index keys and copy sizes stay: they describe what is stored)."""
        self._item_writes.clear()
        self.requests.clear()
        self.by_function.clear()
        self.write_units_by_table.clear()
        self.index_write_units_by_table.clear()
        self.index_write_units_by_index.clear()
        self.write_units = 0
        self.read_units = 0.0

    def by_service(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (service, _), count in self.requests.items():
            totals[service] += count
        return dict(totals)

    def total(self) -> int:
        return sum(self.requests.values())


def indexes_of(template_tables: dict[str, dict[str, Any]], names: dict[str, str]) -> dict[str, list[IndexSpec]]:
    """Each table's global secondary indexes, from the template: ``names`` maps logical ids to tables."""
    found: dict[str, list[IndexSpec]] = {}
    for logical, resource in template_tables.items():
        specs = []
        for index in resource.get("Properties", {}).get("GlobalSecondaryIndexes", []):
            keys = tuple(k["AttributeName"] for k in sorted(index["KeySchema"], key=lambda k: k["KeyType"] != "HASH"))
            projection = index.get("Projection", {})
            kind = projection.get("ProjectionType", "ALL")
            included = tuple(projection.get("NonKeyAttributes", [])) if kind == "INCLUDE" else None
            specs.append(IndexSpec(index["IndexName"], keys, keys_only=kind == "KEYS_ONLY", included=included))
        if specs:
            found[names[logical]] = specs
    return found


def _index_key(spec: IndexSpec, item: dict[str, Any]) -> tuple[Any, ...] | None:
    if not all(name in item for name in spec.keys):
        return None  # sparse: the item is not in this index
    return tuple(json.dumps(item[name], sort_keys=True, default=str) for name in spec.keys)


def _size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB bills it: each attribute's name plus its value's size."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    """DynamoDB's sizing rules: a string its UTF-8 bytes, a number about one byte per two
    significant digits plus one, binary its bytes, null and booleans one byte, a list or map
    3 bytes plus one per element and the elements (a map's keys included)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return len(data if isinstance(data, bytes) else str(data).encode())
    if kind in ("NULL", "BOOL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode()) for v in data)
    if kind == "NS":
        return sum(_number_size(str(v)) for v in data)
    if kind == "BS":
        return sum(len(v if isinstance(v, bytes) else str(v).encode()) for v in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in data.items())
    return len(json.dumps(data, default=str))


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").split("e")[0].split("E")[0].replace(".", "").strip("0")
    return math.ceil(max(1, len(digits)) / 2) + 1


def _key_text(item: dict[str, Any]) -> str:
    # Tables here are keyed by pk (and sk); other attributes of a put item are not its key.
    parts = [next(iter(item[name].values())) for name in ("pk", "sk", "id") if name in item]
    return "|".join(str(p) for p in parts) or str(sorted(item)[:2])
