"""The whole promotion system in one process: moto, the marketplace sandbox, virtual time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from local import moto_speedups
from local.aws import Stack
from local.capacity import VirtualClock
from local.http_api import ApiResponse, HttpApi
from local.sandbox import MarketplaceSandbox
from local.simulation import Simulation
from local.virtual import VirtualStack, virtual_stack
from sellerjobs.api import ADMIN_SCOPE
from sellerjobs.aws import clients
from sellerjobs.bootstrap import Services
from tests.integration.contracts import Tables, clients_for_aws

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

    def reconfigure(self, **env: str) -> None:
        """Change settings the way a redeploy would: new environment, fresh containers."""
        self.virtual.reconfigure(**env)

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """One invocation of ``function`` (a logical id), outside any event source."""
        return self.virtual.invoke(function, event)

    def services(self, function: str, **overrides: object) -> Services:
        """What ``function`` (a logical id) is built from, on this system's clock."""
        return self.virtual.services(function, overrides)

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
    yield manual


@pytest.fixture
def sandbox(clock: VirtualClock) -> MarketplaceSandbox:
    return MarketplaceSandbox(clock=clock)


@pytest.fixture
def system(clock: VirtualClock, sandbox: MarketplaceSandbox) -> Iterator[System]:
    with virtual_stack(clock, sandbox, env={"PROMOTION_RETRY_SEED": "7"}) as virtual:
        yield System(virtual)


@pytest.fixture
def tables() -> Iterator[Tables]:
    """An empty moto account for the ports' contracts: the DynamoDB adapters point at its tables."""
    moto_speedups.install()  # as in the local stack, so both run the same moto
    with mock_aws():
        clients_for_aws()
        yield Tables()
