"""Make moto's DynamoDB transactions cost what they cost in DynamoDB: O(items), not O(table).

moto 5 keeps a rollback copy of a transaction's tables by deep-copying each whole table once
per item of the transaction. A finishing promotion job is a three-item transaction, so with a
few thousand jobs in the table every transaction copies the table three times, and a simulation
of 10,000 jobs would take hours. This module keeps moto's own transaction code (conditions,
errors, cancellation reasons) and replaces only the rollback: it snapshots the items the
transaction touches and puts them back if moto cancels it.

Development tooling only (the local stack, tests, benchmarks); it assumes the pinned moto.
"""

from __future__ import annotations

import copy
import threading
import types
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

_installed = False
_lock = threading.Lock()


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
            snapshots = _snapshot(self, transact_items)
            try:
                original(self, transact_items)
            except Exception:
                _restore(snapshots)
                raise

        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _installed = True
