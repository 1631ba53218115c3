"""The whole promotion system in one process: moto, the marketplace sandbox, virtual time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest
from moto import mock_aws

from local import moto_speedups
from local.aws import Stack, create_table
from local.capacity import VirtualClock
from local.http_api import ApiResponse, HttpApi
from local.sandbox import MarketplaceSandbox
from local.simulation import Simulation
from local.template import Template
from local.virtual import VirtualStack, virtual_stack
from sellerjobs import clock as clock_module
from sellerjobs.api import ADMIN_SCOPE
from sellerjobs.aws import clients

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@dataclass
class System:
    """A virtual stack plus the helpers the integration tests share."""

    virtual: VirtualStack

    @property
    def stack(self) -> Stack:
        return self.virtual.stack

    @property
    def sim(self) -> Simulation:
        return self.virtual.sim

    @property
    def http(self) -> HttpApi:
        return self.virtual.http

    @property
    def sandbox(self) -> MarketplaceSandbox:
        return self.virtual.sandbox

    @property
    def clock(self) -> VirtualClock:
        return self.virtual.clock

    def call(self, method: str, path: str, user: str | None = "alice", body: Any = None, *,
             admin: bool = False, headers: dict[str, str] | None = None) -> ApiResponse:
        if headers is None:
            return self.virtual.call(method, path, user, body, admin=admin)
        claims = None if user is None else {"sub": user, "iss": "local", "aud": "sellerjobs-local"} | (
            {"scope": ADMIN_SCOPE} if admin else {})
        return self.http.call(method, path, body=body, claims=claims, headers=headers)

    def connect(self, user: str, *, campaign: bool = True) -> str | None:
        """Give ``user`` an eBay seller account (and a running campaign) and store its token."""
        token = f"refresh-token-of-{user}-0123456789"
        self.sandbox.add_seller(user, token)
        response = self.call("PUT", "/ebay/credentials", user=user, body={"refreshToken": token})
        assert response.status == 200, response.body
        return self.sandbox.add_campaign(user, f"{user} main campaign") if campaign else None

    def ensure_connected(self, user: str) -> None:
        """``user`` has an eBay account connected (queueing a promotion needs one)."""
        if not self.call("GET", "/ebay/connection", user=user).json()["connection"]["connected"]:
            self.connect(user)

    def publish(self, user: str, listing_id: str, sync_delay_s: float = 0.0, never_syncs: bool = False) -> None:
        self.sandbox.publish_listing(user, listing_id, sync_delay_s=sync_delay_s, never_syncs=never_syncs)

    def reconfigure(self, monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
        """Change settings the way a redeploy would: new environment, fresh containers."""
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        self.virtual.reconfigure(**env)

    def job(self, user: str, job_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/promotions/{job_id}", user=user)
        assert response.status == 200, response.body
        return dict(response.json()["job"])

    def stats(self, user: str) -> dict[str, int]:
        return dict(self.call("GET", "/promotions/stats", user=user).json()["stats"])

    def table_items(self, logical_id: str = "PromotionJobsTable") -> list[dict[str, Any]]:
        # Tests may scan; the system itself never does.
        return list(clients.dynamodb().scan(TableName=self.stack.table_name(logical_id))["Items"])

    def queued_messages(self) -> int:
        return self.sim.waiting("PromotionQueue")


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    manual = VirtualClock(START)
    previous = clock_module.install(manual)
    yield manual
    clock_module.install(previous)


@pytest.fixture
def sandbox(clock: VirtualClock) -> MarketplaceSandbox:
    return MarketplaceSandbox(clock=clock)


@pytest.fixture
def system(clock: VirtualClock, sandbox: MarketplaceSandbox) -> Iterator[System]:
    with virtual_stack(clock, sandbox, env={"PROMOTION_RETRY_SEED": "7"}) as virtual:
        yield System(virtual)


# ---------------------------------------------------------------- bare tables, for the ports' contracts


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


def _clients_for_aws() -> None:
    """Keep the cached clients if they talk to AWS's own endpoints: the in-process mock answers
    those, and making a client costs about 0.1 s. One made for moto's server (the local stack's
    endpoint) would bypass the mock, so then they are made again."""
    if not all(client().meta.endpoint_url.endswith(".amazonaws.com")
               for client in (clients.dynamodb, clients.kms, clients.s3)):
        clients.reset()


@pytest.fixture
def tables() -> Iterator[Tables]:
    """An empty moto account; the DynamoDB adapters under contract point at its tables."""
    moto_speedups.install()  # as in the local stack, so both run the same moto
    with mock_aws():
        _clients_for_aws()
        yield Tables()
