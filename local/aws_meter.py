"""Counting the AWS requests the handlers make, by service and operation (botocore event hooks)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from local.logs import current_function
from sellerjobs.aws import clients

SERVICES = ("dynamodb", "sqs", "kms", "secretsmanager")
# Meters attached in this process also count what functions running in worker processes of
# their own report (``local/workers.py``).
_active: list[AwsMeter] = []


def observe(function: str, calls: list[dict[str, Any]]) -> None:
    """Requests a function made in its own process, as its worker reported them."""
    for meter in list(_active):
        for call in calls:
            meter.requests[(call["service"], call["operation"])] += 1
            meter.by_function[(function, call["service"], call["operation"])] += 1


@dataclass
class AwsMeter:
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_function: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # DynamoDB capacity as on-demand pricing counts it, from the requests themselves.
    write_units: int = 0
    read_units: float = 0.0
    write_units_by_table: Counter[str] = field(default_factory=Counter)

    def attach(self) -> AwsMeter:
        """Count requests of the handlers' clients (call again after the clients are recreated)."""
        for name in SERVICES:
            client = getattr(clients, name)()
            client.meta.events.register("before-call", self._count, unique_id=f"aws-meter-{id(self)}")
        if self not in _active:
            _active.append(self)
        return self

    def _count(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        operation = model.name
        self.requests[(service, operation)] += 1
        self.by_function[(current_function() or "-", service, operation)] += 1
        if service == "dynamodb":
            self._capacity(operation, params)

    def _capacity(self, operation: str, params: dict[str, Any]) -> None:
        # Small items (< 1 KB): one write unit per item written, two in a transaction; one read
        # unit per strongly consistent item read, half for an eventually consistent one.
        if operation == "TransactWriteItems":
            for item in params.get("TransactItems", []):
                self._write(next(iter(item.values())).get("TableName", "?"), 2)
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self._write(params.get("TableName", "?"), 1)
        elif operation == "BatchWriteItem":
            for table, requests in params.get("RequestItems", {}).items():
                self._write(table, len(requests))
        elif operation == "GetItem":
            self.read_units += 1 if params.get("ConsistentRead") else 0.5
        elif operation == "BatchGetItem":
            for request in params.get("RequestItems", {}).values():
                self.read_units += len(request.get("Keys", [])) * (1 if request.get("ConsistentRead") else 0.5)
        elif operation in ("Query", "Scan"):
            self.read_units += 0.5  # at least; item reads of queries are not visible from the request

    def reset(self) -> None:
        self.requests.clear()
        self.by_function.clear()
        self.write_units_by_table.clear()
        self.write_units = 0
        self.read_units = 0.0

    def _write(self, table: str, units: int) -> None:
        self.write_units += units
        self.write_units_by_table[table] += units

    def by_service(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (service, _), count in self.requests.items():
            totals[service] += count
        return dict(totals)

    def total(self) -> int:
        return sum(self.requests.values())
