from __future__ import annotations

from typing import Any

import pytest

from sellerjobs.clock import ManualClock

from .helpers import MARKETING, only_error

CAMPAIGNS = f"{MARKETING}/ad_campaign"


def new_campaign(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "campaignName": "Auto promote",
        "marketplaceId": "EBAY_US",
        "startDate": "2026-01-01T00:00:00Z",
        "fundingStrategy": {"fundingModel": "COST_PER_SALE", "bidPercentage": "5.0"},
    }
    body.update(overrides)
    return body


def test_get_campaigns_lists_only_the_callers(client, sandbox, alice):
    first = sandbox.add_campaign("alice", "Spring", bid_percentage="6.0")
    sandbox.add_campaign("bob", "Bob's")

    response = client.get(CAMPAIGNS, headers=alice)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert body["limit"] == 10
    assert body["offset"] == 0
    assert body["href"] == f"https://api.ebay.com{CAMPAIGNS}?limit=10&offset=0"
    assert "next" not in body
    assert body["campaigns"] == [
        {
            "campaignId": first,
            "campaignName": "Spring",
            "campaignStatus": "RUNNING",
            "fundingStrategy": {"fundingModel": "COST_PER_SALE", "bidPercentage": "6.0"},
            "marketplaceId": "EBAY_US",
            "startDate": "2026-01-01T00:00:00Z",
        }
    ]


def test_get_campaigns_filters(client, sandbox, alice):
    running = sandbox.add_campaign("alice", "Running")
    sandbox.add_campaign("alice", "Paused", status="PAUSED")
    sandbox.add_campaign("alice", "Ended", status="ENDED")
    cpc = sandbox.add_campaign("alice", "Clicks", funding_model="COST_PER_CLICK")

    def ids(**params: str) -> list[str]:
        return [
            c["campaignId"] for c in client.get(CAMPAIGNS, params=params, headers=alice).json()["campaigns"]
        ]

    assert ids(campaign_status="RUNNING", funding_strategy="COST_PER_SALE") == [running]
    assert ids(funding_strategy="COST_PER_CLICK") == [cpc]
    assert ids(campaign_name="Paused") != []
    assert ids(campaign_name="paused") == []
    assert len(ids(campaign_status="RUNNING,PAUSED")) == 3


def test_get_campaigns_pages(client, sandbox, alice):
    for n in range(3):
        sandbox.add_campaign("alice", f"C{n}")

    body = client.get(CAMPAIGNS, params={"limit": 2}, headers=alice).json()

    assert [c["campaignName"] for c in body["campaigns"]] == ["C0", "C1"]
    assert body["total"] == 3
    assert body["next"].endswith("limit=2&offset=2")


@pytest.mark.parametrize(
    ("params", "error_id"),
    [({"campaign_status": "RUNNNING"}, 35043), ({"funding_strategy": "CPS"}, 35079), ({"limit": "x"}, 35029)],
)
def test_get_campaigns_bad_filters(client, alice, params, error_id):
    response = client.get(CAMPAIGNS, params=params, headers=alice)
    assert response.status_code == 400
    assert only_error(response)["errorId"] == error_id


def test_get_campaign(client, sandbox, alice, campaign_id):
    response = client.get(f"{CAMPAIGNS}/{campaign_id}", headers=alice)
    assert response.status_code == 200
    assert response.json()["campaignName"] == "Spring promo"


def test_get_campaign_unknown_or_foreign_is_404_35045(client, sandbox, alice):
    bobs = sandbox.add_campaign("bob", "Bob's")
    for campaign_id in ("999", bobs):
        response = client.get(f"{CAMPAIGNS}/{campaign_id}", headers=alice)
        assert response.status_code == 404
        assert only_error(response)["errorId"] == 35045


def test_get_campaign_by_name(client, sandbox, alice, campaign_id):
    url = f"{CAMPAIGNS}/get_campaign_by_name"

    found = client.get(url, params={"campaign_name": "Spring promo"}, headers=alice)
    assert found.status_code == 200
    assert found.json()["campaignId"] == campaign_id

    missing = client.get(url, params={"campaign_name": "Nope"}, headers=alice)
    assert missing.status_code == 404
    error = only_error(missing)
    assert error["errorId"] == 35046
    assert error["parameters"] == [{"name": "campaign_name", "value": "Nope"}]

    blank = client.get(url, headers=alice)
    assert blank.status_code == 400
    assert only_error(blank)["errorId"] == 35019


def test_create_campaign_is_201_with_location(client, sandbox, alice):
    response = client.post(CAMPAIGNS, json=new_campaign(endDate="2026-12-31T00:00:00Z"), headers=alice)

    assert response.status_code == 201
    assert response.content == b""
    location = response.headers["Location"]
    assert location.startswith(f"https://api.ebay.com{CAMPAIGNS}/")
    campaign = client.get(location, headers=alice).json()
    assert campaign["campaignName"] == "Auto promote"
    assert campaign["campaignStatus"] == "RUNNING"
    assert campaign["endDate"] == "2026-12-31T00:00:00Z"
    assert campaign["fundingStrategy"] == {"fundingModel": "COST_PER_SALE", "bidPercentage": "5.0"}


def test_campaign_status_follows_its_dates(client, alice, clock: ManualClock):
    # The clock starts at 2026-01-01T00:00:00Z.
    body = new_campaign(startDate="2026-01-01T01:00:00Z", endDate="2026-01-01T01:30:00Z")
    location = client.post(CAMPAIGNS, json=body, headers=alice).headers["Location"]

    assert client.get(location, headers=alice).json()["campaignStatus"] == "SCHEDULED"
    clock.advance(3600)
    assert client.get(location, headers=alice).json()["campaignStatus"] == "RUNNING"
    clock.advance(1800)
    assert client.get(location, headers=alice).json()["campaignStatus"] == "ENDED"


def test_duplicate_campaign_name_is_35021(client, alice, campaign_id):
    response = client.post(CAMPAIGNS, json=new_campaign(campaignName="Spring promo"), headers=alice)
    assert response.status_code == 400
    assert only_error(response)["errorId"] == 35021


def test_same_name_for_another_seller_is_fine(client, bob, campaign_id):
    assert (
        client.post(CAMPAIGNS, json=new_campaign(campaignName="Spring promo"), headers=bob).status_code == 201
    )


@pytest.mark.parametrize(
    ("overrides", "status", "error_id"),
    [
        ({"campaignName": ""}, 400, 35019),
        ({"campaignName": "x" * 81}, 400, 35020),
        ({"campaignName": "<b>"}, 400, 35023),
        ({"marketplaceId": None}, 400, 35041),
        ({"marketplaceId": "EBAY_XX"}, 409, 35051),
        ({"startDate": None}, 400, 35025),
        ({"startDate": "yesterday"}, 400, 2004),
        ({"endDate": "2025-12-31T00:00:00Z"}, 400, 35024),
        ({"fundingStrategy": None}, 400, 35006),
        ({"fundingStrategy": {"fundingModel": "FREE"}}, 400, 35038),
        ({"fundingStrategy": {"fundingModel": "COST_PER_SALE"}}, 409, 35106),
        ({"fundingStrategy": {"fundingModel": "COST_PER_SALE", "bidPercentage": "0.5"}}, 400, 35007),
        ({"fundingStrategy": {"fundingModel": "COST_PER_CLICK"}}, 409, 36157),
    ],
)
def test_create_campaign_validation(client, sandbox, alice, overrides, status, error_id):
    response = client.post(CAMPAIGNS, json=new_campaign(**overrides), headers=alice)

    assert response.status_code == status
    assert only_error(response)["errorId"] == error_id
    assert sandbox.calls[-1]["operation"] == "create_campaign"


def test_unknown_path_is_404_with_errors_envelope(client, alice):
    response = client.get(f"{MARKETING}/nothing_here", headers=alice)
    assert response.status_code == 404
    assert "errorId" in only_error(response)


def test_wrong_method_is_405(client, alice, campaign_id):
    response = client.delete(f"{CAMPAIGNS}/{campaign_id}/bulk_create_ads_by_listing_id", headers=alice)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert "errors" in response.json()
