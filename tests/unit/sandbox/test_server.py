"""The sandbox served over real HTTP on loopback."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from local.sandbox import MarketplaceSandbox, serve
from sellerjobs.clock import ManualClock

from .helpers import MARKETING, ads_request, basic_auth, bearer


@pytest.fixture
def server():
    sandbox = MarketplaceSandbox(clock=ManualClock())
    with serve(sandbox) as running:
        yield running


def test_end_to_end_over_http(server):
    sandbox = server.sandbox
    assert server.url.startswith("http://127.0.0.1:")

    with httpx.Client(base_url=server.url, timeout=5) as client:
        assert client.get("/_sandbox/health").json()["status"] == "ok"
        client.post("/_sandbox/apps", json={"client_id": "sellerjobs-app", "client_secret": "s3cret"})
        client.post("/_sandbox/sellers", json={"username": "alice", "refresh_token": "rt-alice"})
        client.post("/_sandbox/listings", json={"seller": "alice", "listingId": "1001"})

        token = client.post(
            "/identity/v1/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": "rt-alice"},
            headers=basic_auth(),
        ).json()["access_token"]
        headers = bearer(token)

        created = client.post(
            f"{MARKETING}/ad_campaign",
            json={
                "campaignName": "Over HTTP",
                "marketplaceId": "EBAY_US",
                "startDate": "2026-01-01T00:00:00Z",
                "fundingStrategy": {"fundingModel": "COST_PER_SALE", "bidPercentage": "5.0"},
            },
            headers=headers,
        )
        assert created.status_code == 201
        assert created.headers["Location"].startswith(f"{server.url}{MARKETING}/ad_campaign/")
        campaign_id = created.headers["Location"].rsplit("/", 1)[-1]

        bulk = client.post(
            f"{MARKETING}/ad_campaign/{campaign_id}/bulk_create_ads_by_listing_id",
            json=ads_request("1001"),
            headers=headers,
        )
        assert bulk.status_code == 200
        assert bulk.headers["content-type"] == "application/json"

        head = client.head(f"{MARKETING}/ad_campaign/{campaign_id}", headers=headers)
        assert (head.status_code, head.content) == (200, b"")

        calls = client.get("/_sandbox/calls").json()["calls"]
        assert [c["operation"] for c in calls][-2:] == ["bulk_create_ads_by_listing_id", "get_campaign"]
        assert sandbox.ad_creations_for("1001") == 1


def test_timeout_fault_over_http(server):
    sandbox = server.sandbox
    sandbox.timeout_sleep_s = 0.4
    sandbox.inject_fault("oauth_token", status=0, timeout=True)

    with httpx.Client(base_url=server.url, timeout=0.1) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.post("/identity/v1/oauth2/token", data={"grant_type": "client_credentials"})
        assert time.monotonic() - started < 0.4
        # The next call gets real behaviour again.
        assert client.get("/_sandbox/health").status_code == 200
    response = httpx.post(f"{server.url}/identity/v1/oauth2/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401


def test_close_is_idempotent_and_prompt():
    running = serve(MarketplaceSandbox())
    started = time.monotonic()
    running.close()
    running.close()
    assert time.monotonic() - started < 1


def test_concurrent_creations_make_exactly_one_ad(server):
    sandbox = server.sandbox
    sandbox.add_app("app", "secret")
    sandbox.add_seller("alice", "rt-alice")
    sandbox.publish_listing("alice", "1001")
    campaign_id = sandbox.add_campaign("alice", "Race")

    with httpx.Client(base_url=server.url, timeout=5) as client:  # one client, shared by the threads
        token = client.post(
            "/identity/v1/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": "rt-alice"},
            headers=basic_auth("app", "secret"),
        ).json()["access_token"]

        def attempt(_: int) -> int:
            return client.post(
                f"{MARKETING}/ad_campaign/{campaign_id}/ad",
                json={"listingId": "1001", "bidPercentage": "5.0"},
                headers=bearer(token),
            ).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = sorted(pool.map(attempt, range(8)))

    assert statuses == [201] + [400] * 7
    assert sandbox.ad_creations_for("1001") == 1
