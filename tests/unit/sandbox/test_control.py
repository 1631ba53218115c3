"""The /_sandbox/ control endpoints, exercised in-process through handle()."""

from __future__ import annotations

import httpx
import pytest

from local.sandbox import MarketplaceSandbox
from sellerjobs.clock import ManualClock

from .helpers import MARKETING, ads_request, bearer, user_token


@pytest.fixture
def bare() -> MarketplaceSandbox:
    return MarketplaceSandbox(clock=ManualClock())


@pytest.fixture
def ctl(bare: MarketplaceSandbox):
    with httpx.Client(transport=httpx.MockTransport(bare.handle), base_url="http://sandbox") as c:
        yield c


def test_seed_and_inspect_through_control_endpoints(ctl, bare):
    assert ctl.get("/_sandbox/health").json()["status"] == "ok"
    assert ctl.post(
        "/_sandbox/apps", json={"client_id": "sellerjobs-app", "client_secret": "s3cret"}
    ).is_success
    assert ctl.post("/_sandbox/sellers", json={"username": "alice", "refresh_token": "rt-alice"}).is_success
    listing = {"seller": "alice", "listingId": "1001", "syncDelaySeconds": 60, "marketplaceId": "EBAY_US"}
    assert ctl.post("/_sandbox/listings", json=listing).is_success
    campaign_id = ctl.post("/_sandbox/campaigns", json={"seller": "alice", "name": "Promo"}).json()[
        "campaignId"
    ]
    assert bare.campaign(campaign_id)["seller"] == "alice"

    headers = bearer(user_token(ctl, "rt-alice"))
    url = f"{MARKETING}/ad_campaign/{campaign_id}/bulk_create_ads_by_listing_id"
    assert ctl.post(url, json=ads_request("1001"), headers=headers).status_code == 207

    assert ctl.post("/_sandbox/clock/advance", json={"seconds": 60}).json()["now"] == bare.clock.now()
    assert ctl.post(url, json=ads_request("1001"), headers=headers).status_code == 200

    ads = ctl.get("/_sandbox/ads").json()["ads"]
    assert [ad["listingId"] for ad in ads] == ["1001"]
    calls = ctl.get("/_sandbox/calls").json()["calls"]
    assert [call["operation"] for call in calls] == [
        "oauth_token",
        "bulk_create_ads_by_listing_id",
        "bulk_create_ads_by_listing_id",
    ]
    assert ctl.get("/_sandbox/tokens-minted").json() == {
        "tokensMinted": {"client_credentials": 0, "refresh_token": 1}
    }
    assert ctl.post("/_sandbox/reset-calls").is_success
    assert bare.calls == []


def test_faults_rate_limits_and_settings(ctl, bare):
    bare.add_app("a", "b")
    fault = {"operation": "oauth_token", "status": 503, "times": 2, "errorId": 35002, "emptyBody": True}
    assert ctl.post("/_sandbox/faults", json=fault).is_success
    assert ctl.post("/_sandbox/rate-limits", json={"group": "oauth", "calls": 5, "perSeconds": 1}).is_success
    settings = ctl.post(
        "/_sandbox/settings", json={"campaignSyncSeconds": 30, "timeoutSleepSeconds": 0.5}
    ).json()

    assert settings["campaignSyncSeconds"] == 30
    assert bare.campaign_sync_s == 30
    assert bare.timeout_sleep_s == 0.5
    response = ctl.post("/identity/v1/oauth2/token", data={"grant_type": "client_credentials"})
    assert (response.status_code, response.content) == (503, b"")


def test_revoke_and_end_campaign(ctl, bare):
    bare.add_seller("alice", "rt")
    campaign_id = bare.add_campaign("alice", "C")
    assert ctl.post("/_sandbox/sellers/revoke", json={"username": "alice"}).is_success
    assert ctl.post("/_sandbox/campaigns/end", json={"campaignId": campaign_id}).is_success
    assert bare.campaign(campaign_id)["campaignStatus"] == "ENDED"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/_sandbox/apps", {"client_id": "x"}, 400),
        ("POST", "/_sandbox/faults", {"operation": "nope", "status": 500}, 400),
        ("POST", "/_sandbox/listings", {"seller": "a", "listingId": "1", "syncDelaySeconds": -1}, 400),
        ("GET", "/_sandbox/nothing", None, 404),
        ("GET", "/_sandbox/apps", None, 405),
    ],
)
def test_control_errors(ctl, method, path, body, status):
    response = ctl.request(method, path, json=body)
    assert response.status_code == status
    assert "error" in response.json()


def test_clock_advance_needs_a_manual_clock():
    sb = MarketplaceSandbox()
    with httpx.Client(transport=httpx.MockTransport(sb.handle), base_url="http://sandbox") as c:
        assert c.post("/_sandbox/clock/advance", json={"seconds": 1}).status_code == 409
