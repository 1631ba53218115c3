"""Make moto's DynamoDB cost what DynamoDB costs: work per item touched, not per item stored.

Two places in moto 5 do work proportional to the whole table on every request, which turns a
simulation of 10,000 jobs into hours:

* Transactions keep a rollback copy of each table they touch by deep-copying the whole table,
  once per item of the transaction. Here moto's own transaction code still runs (conditions,
  errors, cancellation reasons); only the rollback is replaced by snapshots of the touched items.
* Every query, on the table or an index, starts from all items of the table, sorted. Here it
  starts from the items that can match the query's partition key (a dictionary lookup for the
  table, an equality filter for an index); moto's query code then runs unchanged on that subset.
  A first page of an index query with a ``Limit`` and a sort key condition on string keys (how
  a priority queue is read) starts from just the page: the matching items' first ``Limit`` in
  index order, picked without sorting the whole partition.

And make its writes as atomic as DynamoDB's: moto checks a write's condition and then applies
it, with nothing in between to stop another thread doing the same, so two requests racing for
one idempotency key or one lock could both win. Each write (a put, an update, a delete, a
transaction) runs under one lock here: DynamoDB applies writes to an item one at a time.

Development tooling only (the local stack, tests, benchmarks); it assumes the pinned moto.
"""

from __future__ import annotations

import copy
import heapq
import threading
import types
from dataclasses import dataclass
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.comparisons import get_comparison_func
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

_installed = False
_lock = threading.Lock()
# Held by each write while moto checks its condition and applies it (reentrant: moto's
# transaction code calls the single-item writes).
_writing = threading.RLock()
_query_scope = threading.local()


def _deepcopy_except_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    # moto's transaction code asks for a deep copy of each table it touches; hand back the
    # table itself and let the item snapshots below do the rolling back.
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _snapshot(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[Table, Any, Any, Any]]:
    snapshots = []
    seen = set()
    for entry in transact_items:
        _, operation = next(iter(entry.items()))
        table = backend.tables.get(operation.get("TableName", ""))
        if table is None:
            continue
        key = operation.get("Key")
        if key is None and "Item" in operation:
            item = operation["Item"]
            key = {table.hash_key_attr: item.get(table.hash_key_attr)}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = item.get(table.range_key_attr)
        try:
            hash_value, range_value = backend.get_keys_value(table, key or {})
        except Exception:  # malformed keys: moto itself will reject the transaction
            continue
        marker = (table.name, str(hash_value), str(range_value))
        if marker in seen:
            continue
        seen.add(marker)
        current = table.get_item(hash_value, range_value)
        snapshots.append((table, hash_value, range_value, copy.deepcopy(current)))
    return snapshots


def _restore(snapshots: list[tuple[Table, Any, Any, Any]]) -> None:
    for table, hash_value, range_value, original in snapshots:
        if table.range_key_attr is not None:
            bucket = table.items[hash_value]
            if original is None:
                bucket.pop(range_value, None)
            else:
                bucket[range_value] = original
        elif original is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = original


@dataclass(frozen=True)
class _Page:
    """A first page of an index query: its sort key condition, direction and size."""

    index_name: str
    comparison: str
    operands: list[Any]
    limit: int
    forward: bool


@dataclass(frozen=True)
class _Scope:
    table: Table
    hash_key: Any  # a query on the table: its partition key
    conditions: list[tuple[str, Any]] | None  # a query on an index: its partition key attributes
    page: _Page | None = None


def _first_page(table: Table, items: list[Any], page: _Page) -> list[Any] | None:
    """The page's items in index order (None if a key is not a string: left to moto)."""
    index = table.get_index(page.index_name)
    range_keys = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
    if len(range_keys) != 1:
        return None
    order = [range_keys[0], table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    matches = get_comparison_func(page.comparison)
    if matches is None:
        return None
    operands = [operand.value for operand in page.operands]
    matching = []
    for item in items:
        values = [item.attrs.get(name) for name in order]
        if any(value is None or value.type != "S" for value in values):
            if values[0] is None:
                continue  # not in the index
            return None
        if matches(values[0].value, *operands):
            # moto orders index items by these attributes' values; for strings that is
            # Python's ordering of the values themselves.
            matching.append((tuple(value.value for value in values), item))
    pick = heapq.nsmallest if page.forward else heapq.nlargest
    # One past the page, so that moto sees there is more and answers a LastEvaluatedKey.
    return [item for _, item in sorted(pick(page.limit + 1, matching, key=lambda pair: pair[0]),
                                       key=lambda pair: pair[0])]


def _candidates(table: Table) -> list[Any] | None:
    """The items a running query can match, in moto's order; None when no query narrows it."""
    scope: _Scope | None = getattr(_query_scope, "value", None)
    if scope is None or scope.table is not table:
        return None
    if scope.conditions is None:  # a query on the table itself: one partition
        partition = table.items.get(scope.hash_key)
        if partition is None:
            return []
        items = list(partition.values()) if table.range_key_attr else [partition]
    else:  # a query on an index: items whose index key attributes equal the condition's
        items = []
        item: Any
        for bucket in table.items.values():
            for item in (bucket.values() if table.range_key_attr else [bucket]):
                attrs = item.attrs
                if all((value := attrs.get(name)) is not None and value.type == wanted.type
                       and value.value == wanted.value for name, wanted in scope.conditions):
                    items.append(item)
        if scope.page is not None:
            page = _first_page(table, items, scope.page)
            if page is not None:
                return page
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _page_of(index_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Page | None:
    """The first page this index query reads, when moto's answer is just that page: a limit, a
    condition on the (single, string) sort key, no start key, no legacy filters."""
    if len(args) < 7 or any(k not in ("hash_key_conditions", "range_key_conditions") for k in kwargs):
        return None
    _, comparison, operands, limit, start_key, forward, _ = args[:7]
    range_conditions = kwargs.get("range_key_conditions") or []
    if (not comparison or not limit or start_key or len(range_conditions) > 1
            or any(getattr(operand, "type", None) != "S" for operand in operands)):
        return None
    return _Page(index_name, comparison, list(operands), int(limit), forward is not False)


def _one_at_a_time(write: Any) -> Any:
    def locked(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with _writing:
            return write(self, *args, **kwargs)

    return locked


def install() -> None:
    """Idempotent; affects in-process moto and a ThreadedMotoServer started by this process."""
    global _installed
    with _lock:
        if _installed:
            return
        dynamodb_models.copy = types.SimpleNamespace(  # type: ignore[attr-defined,assignment]
            deepcopy=_deepcopy_except_tables, copy=copy.copy)
        original = DynamoDBBackend.transact_write_items

        def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
            with _writing:
                snapshots = _snapshot(self, transact_items)
                try:
                    original(self, transact_items)
                except Exception:
                    _restore(snapshots)
                    raise

        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        for name in ("put_item", "update_item", "delete_item"):
            setattr(DynamoDBBackend, name, _one_at_a_time(getattr(DynamoDBBackend, name)))

        original_query = Table.query
        original_all_items = Table.all_items

        def query(self: Table, *args: Any, **kwargs: Any) -> Any:
            hash_key = args[0] if args else kwargs.get("hash_key")
            index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
            conditions = kwargs.get("hash_key_conditions")
            scope: _Scope | None = None
            if not index_name and hash_key is not None:
                scope = _Scope(self, hash_key, None)
            elif index_name and conditions and all(value.type in ("S", "B") for _, value in conditions):
                # Strings and binaries compare exactly; numbers ("1" == "1.0") are left to moto.
                scope = _Scope(self, None, list(conditions), _page_of(index_name, args, kwargs))
            _query_scope.value = scope
            try:
                return original_query(self, *args, **kwargs)
            finally:
                _query_scope.value = None

        def all_items(self: Table) -> list[Any]:
            narrowed = _candidates(self)
            return original_all_items(self) if narrowed is None else narrowed

        Table.query = query  # type: ignore[method-assign]
        Table.all_items = all_items  # type: ignore[method-assign]
        _installed = True
