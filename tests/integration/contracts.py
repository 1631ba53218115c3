"""What the ports' contract suites share: the template's tables in moto, made as a test needs
them, and the choice between a port's in-memory fake and its DynamoDB adapter.

Each ``test_*_contract.py`` module runs one set of tests against both implementations of a
port (a fixture parametrised with ``IMPLEMENTATIONS``), so a fake cannot drift from what the
adapter does on DynamoDB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

import pytest

from local.aws import create_table
from local.template import Template
from sellerjobs.aws import clients
from sellerjobs.events.model import JobEvent
from sellerjobs.events.ports import EventStore

IMPLEMENTATIONS = ["in-memory", "dynamodb"]
Port = TypeVar("Port")


@cache
def _template() -> Template:
    return Template.read()


@dataclass
class Tables:
    """The template's DynamoDB tables in moto, each created (keys, indexes, TTL) when first named:
    a port's contract needs a table or two, not the whole stack."""

    names: dict[str, str] = field(default_factory=dict)

    def __call__(self, logical_id: str) -> str:
        if logical_id not in self.names:
            name = f"contract-{logical_id}"
            declared = _template().of_type("AWS::DynamoDB::Table")[logical_id]
            create_table(clients.dynamodb(), name, declared["Properties"])
            self.names[logical_id] = name
        return self.names[logical_id]

    def kms_key(self) -> str:
        return str(clients.kms().create_key(Description="contract")["KeyMetadata"]["KeyId"])


def clients_for_aws() -> None:
    """Keep the cached clients if they talk to AWS's own endpoints: the in-process mock answers
    those, and making a client costs about 0.1 s. One made for moto's server (the local stack's
    endpoint) would bypass the mock, so then they are made again."""
    if not all(client().meta.endpoint_url.endswith(".amazonaws.com")
               for client in (clients.dynamodb, clients.kms, clients.s3)):
        clients.reset()


def implementation(request: pytest.FixtureRequest, fake: Callable[[], Port],
                   dynamo: Callable[[Tables], Port]) -> Port:
    """The fake or the adapter, as the fixture's parameter says (the adapter on fresh tables)."""
    if request.param == "in-memory":
        return fake()
    tables: Tables = request.getfixturevalue("tables")
    return dynamo(tables)


@dataclass
class Outboxed:
    """A family's repositories, with the outbox their writes store events in: a fake's dict of
    events, or the outbox table read back."""

    outbox: dict[str, JobEvent] | EventStore

    def stored_events(self, *ids: str) -> set[str]:
        """Which of ``ids`` reached the outbox."""
        if isinstance(self.outbox, dict):
            return {i for i in ids if i in self.outbox}
        return set(self.outbox.get_many(list(ids)))
