"""The whole promotion system in one process: moto, the marketplace sandbox, virtual time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from local.aws import LOCAL_EBAY_APP, Stack, provision
from local.http_api import ApiResponse, HttpApi
from local.sandbox import MarketplaceSandbox, serve
from local.simulation import Simulation
from sellerjobs import clock as clock_module
from sellerjobs import wiring
from sellerjobs.aws import clients
from sellerjobs.clock import ManualClock

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@dataclass
class System:
    stack: Stack
    sim: Simulation
    http: HttpApi
    sandbox: MarketplaceSandbox
    clock: ManualClock

    def call(self, method: str, path: str, user: str | None = "alice", body: Any = None,
             claims: dict[str, Any] | None = None) -> ApiResponse:
        if claims is None and user is not None:
            claims = {"sub": user, "iss": "test", "aud": "sellerjobs-local"}
        return self.http.call(method, path, body=body, claims=claims)

    def connect(self, user: str, *, campaign: bool = True) -> str | None:
        """Give ``user`` an eBay seller account (and a running campaign) and store its token."""
        token = f"refresh-token-of-{user}-0123456789"
        self.sandbox.add_seller(user, token)
        response = self.call("PUT", "/ebay/credentials", user=user, body={"refreshToken": token})
        assert response.status == 200, response.body
        return self.sandbox.add_campaign(user, f"{user} main campaign") if campaign else None

    def publish(self, user: str, listing_id: str, sync_delay_s: float = 0.0, never_syncs: bool = False) -> None:
        self.sandbox.publish_listing(user, listing_id, sync_delay_s=sync_delay_s, never_syncs=never_syncs)

    def reconfigure(self, monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
        """Change settings the way a redeploy would: new environment, fresh containers."""
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        wiring.reset()
        self.sim.attach(clients.sqs())

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
def clock() -> Iterator[ManualClock]:
    manual = ManualClock(START)
    previous = clock_module.install(manual)
    yield manual
    clock_module.install(previous)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[MarketplaceSandbox]:
    marketplace = MarketplaceSandbox(clock=clock)
    marketplace.add_app(LOCAL_EBAY_APP["clientId"], LOCAL_EBAY_APP["clientSecret"])
    yield marketplace


@pytest.fixture
def system(clock: ManualClock, sandbox: MarketplaceSandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[System]:
    with mock_aws(), serve(sandbox) as server:
        wiring.reset()
        stack = provision()
        env = stack.merged_env() | {
            "SELLERJOBS_TIME_SCALE": "1",
            "EBAY_API_BASE_URL": server.url,
            "EBAY_AUTH_BASE_URL": server.url,
            "EBAY_HTTP_TIMEOUT_SECONDS": "2",
            "PROMOTION_RETRY_SEED": "7",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        wiring.reset()
        sim = Simulation(stack=stack, clock=clock, sqs=clients.sqs())
        http = HttpApi.from_template(stack.template)
        http.clock_now = clock.now
        yield System(stack=stack, sim=sim, http=http, sandbox=sandbox, clock=clock)
        wiring.reset()
