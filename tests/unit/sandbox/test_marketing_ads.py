from __future__ import annotations

import pytest

from local.sandbox import MarketplaceSandbox
from sellerjobs.clock import ManualClock

from .helpers import MARKETING, ads_request, bearer, only_error, user_token


def bulk(client, campaign_id, headers, body):
    return client.post(
        f"{MARKETING}/ad_campaign/{campaign_id}/bulk_create_ads_by_listing_id", json=body, headers=headers
    )


def create_ad(client, campaign_id, headers, body):
    return client.post(f"{MARKETING}/ad_campaign/{campaign_id}/ad", json=body, headers=headers)


# ---------------------------------------------------------------- bulk create


def test_bulk_create_all_succeed_is_200(client, sandbox, alice, campaign_id, clock):
    sandbox.publish_listing("alice", "1001")
    sandbox.publish_listing("alice", "1002")

    response = bulk(client, campaign_id, alice, ads_request("1001", "1002", bid="7.5"))

    assert response.status_code == 200
    responses = response.json()["responses"]
    assert [r["listingId"] for r in responses] == ["1001", "1002"]
    for entry in responses:
        assert entry["statusCode"] == 200
        assert entry["adId"].isdigit()
        assert entry["href"] == f"{MARKETING}/ad_campaign/{campaign_id}/ad/{entry['adId']}"
        assert "errors" not in entry
    assert sandbox.ads == [
        {
            "adId": responses[0]["adId"],
            "campaignId": campaign_id,
            "listingId": "1001",
            "bidPercentage": "7.5",
            "seller": "alice",
            "createdAt": clock.now(),
        },
        {
            "adId": responses[1]["adId"],
            "campaignId": campaign_id,
            "listingId": "1002",
            "bidPercentage": "7.5",
            "seller": "alice",
            "createdAt": clock.now(),
        },
    ]
    call = sandbox.calls[-1]
    assert call["operation"] == "bulk_create_ads_by_listing_id"
    assert call["listing_ids"] == ["1001", "1002"]
    assert call["seller"] == "alice"
    assert call["status"] == 200


def test_bulk_create_mixed_is_207_with_per_listing_errors(client, sandbox, alice, campaign_id):
    sandbox.publish_listing("alice", "1001")

    response = bulk(client, campaign_id, alice, ads_request("1001", "9999"))

    assert response.status_code == 207
    ok, failed = response.json()["responses"]
    assert ok["statusCode"] == 200
    assert failed == {
        "listingId": "9999",
        "statusCode": 400,
        "errors": [
            {
                "errorId": 35048,
                "domain": "API_MARKETING",
                "category": "REQUEST",
                "message": failed["errors"][0]["message"],
                "parameters": [{"name": "listingId", "value": "9999"}],
            }
        ],
    }
    assert "9999" in failed["errors"][0]["message"]


def test_repeat_creation_answers_35036_and_creates_nothing(client, sandbox, alice, campaign_id):
    sandbox.publish_listing("alice", "1001")
    assert bulk(client, campaign_id, alice, ads_request("1001")).status_code == 200

    other_campaign = sandbox.add_campaign("alice", "Second")
    response = bulk(client, other_campaign, alice, ads_request("1001"))

    assert response.status_code == 207
    entry = response.json()["responses"][0]
    assert entry["statusCode"] == 400
    assert entry["errors"][0]["errorId"] == 35036
    assert "adId" not in entry
    assert sandbox.ad_creations_for("1001") == 1


def test_listing_is_unknown_until_synced(client, sandbox, alice, campaign_id, clock: ManualClock):
    published_at = clock.now()
    sandbox.publish_listing("alice", "1001", sync_delay_s=300)

    early = bulk(client, campaign_id, alice, ads_request("1001"))
    assert early.status_code == 207
    assert early.json()["responses"][0]["errors"][0]["errorId"] == 35048
    assert sandbox.listing_synced_at("1001") is None

    clock.advance(299.9)
    assert bulk(client, campaign_id, alice, ads_request("1001")).status_code == 207

    clock.advance(0.1)
    assert bulk(client, campaign_id, alice, ads_request("1001")).status_code == 200
    assert sandbox.listing_synced_at("1001") == published_at + 300
    assert sandbox.ad_creations_for("1001") == 1


def test_listing_that_never_syncs_stays_35048(client, sandbox, campaign_id, clock: ManualClock):
    sandbox.publish_listing("alice", "1001", never_syncs=True)
    clock.advance(86_400)
    alice = bearer(user_token(client, "rt-alice"))  # a day later the old token has expired

    response = bulk(client, campaign_id, alice, ads_request("1001"))

    assert response.json()["responses"][0]["errors"][0]["errorId"] == 35048
    assert sandbox.listing_synced_at("1001") is None
    assert sandbox.listing_synced_at("unknown") is None


def test_other_sellers_listing_is_35057(client, sandbox, alice, campaign_id):
    sandbox.publish_listing("bob", "2001")

    entry = bulk(client, campaign_id, alice, ads_request("2001")).json()["responses"][0]

    assert entry["statusCode"] == 409
    assert entry["errors"][0]["errorId"] == 35057
    assert entry["errors"][0]["category"] == "BUSINESS"


def test_listing_on_another_marketplace_is_35054(client, sandbox, alice, campaign_id):
    sandbox.publish_listing("alice", "1001", marketplace_id="EBAY_GB")

    entry = bulk(client, campaign_id, alice, ads_request("1001")).json()["responses"][0]

    assert entry["statusCode"] == 409
    assert entry["errors"][0]["errorId"] == 35054


@pytest.mark.parametrize("bid", ["5", "5.25", "1.9", "100.1", "0.0", "abc", "", 5.0, 5])
def test_invalid_bid_percentage_is_35007(client, sandbox, alice, campaign_id, bid):
    sandbox.publish_listing("alice", "1001")

    entry = bulk(
        client, campaign_id, alice, {"requests": [{"listingId": "1001", "bidPercentage": bid}]}
    ).json()["responses"][0]

    assert entry["statusCode"] == 400
    error = entry["errors"][0]
    assert error["errorId"] == 35007
    assert error["category"] == "REQUEST"
    assert {"name": "minBidPercent", "value": "2.0"} in error["parameters"]
    assert sandbox.ads == []


@pytest.mark.parametrize("bid", ["2.0", "100.0", "12.5"])
def test_bid_percentage_bounds_are_inclusive(client, sandbox, alice, campaign_id, bid):
    sandbox.publish_listing("alice", "1001")
    assert bulk(client, campaign_id, alice, ads_request("1001", bid=bid)).status_code == 200


def test_bid_bounds_are_configurable(client, sandbox, alice, campaign_id):
    sandbox.set_bid_bounds("1.0", "100.0")
    sandbox.publish_listing("alice", "1001")
    assert bulk(client, campaign_id, alice, ads_request("1001", bid="1.5")).status_code == 200


def test_missing_bid_uses_campaign_default(client, sandbox, alice):
    campaign_id = sandbox.add_campaign("alice", "Default bid", bid_percentage="9.0")
    sandbox.publish_listing("alice", "1001")

    assert bulk(client, campaign_id, alice, ads_request("1001", bid=None)).status_code == 200
    assert sandbox.ads[0]["bidPercentage"] == "9.0"


def test_more_than_500_listings_is_409_35068(client, sandbox, alice, campaign_id):
    response = bulk(client, campaign_id, alice, ads_request(*[str(n) for n in range(501)]))

    assert response.status_code == 409
    error = only_error(response)
    assert error["errorId"] == 35068
    assert error["parameters"] == [{"name": "maxSupportedNumber", "value": "500"}]


def test_exactly_500_listings_is_accepted(client, sandbox, alice, campaign_id):
    ids = [str(n) for n in range(500)]
    for listing_id in ids:
        sandbox.publish_listing("alice", listing_id)
    assert bulk(client, campaign_id, alice, ads_request(*ids)).status_code == 200


def test_empty_requests_is_35033(client, alice, campaign_id):
    for body in ({"requests": []}, {}):
        response = bulk(client, campaign_id, alice, body)
        assert response.status_code == 400
        assert only_error(response)["errorId"] == 35033


def test_duplicate_listing_ids_is_35018(client, sandbox, alice, campaign_id):
    sandbox.publish_listing("alice", "1001")
    response = bulk(client, campaign_id, alice, ads_request("1001", "1002", "1001"))

    assert response.status_code == 400
    assert only_error(response)["errorId"] == 35018
    assert sandbox.ads == []


def test_unknown_or_foreign_campaign_is_35045(client, sandbox, alice):
    bobs = sandbox.add_campaign("bob", "Bob's")
    for campaign_id in ("123", bobs):
        response = bulk(client, campaign_id, alice, ads_request("1001"))
        assert response.status_code == 404
        error = only_error(response)
        assert error["errorId"] == 35045
        assert error["domain"] == "API_MARKETING"
        assert campaign_id in error["message"]


def test_ended_campaign_is_35035(client, sandbox, alice):
    campaign_id = sandbox.add_campaign("alice", "Old", status="ENDED")
    response = bulk(client, campaign_id, alice, ads_request("1001"))

    assert response.status_code == 400
    assert only_error(response)["errorId"] == 35035


def test_ad_in_ended_campaign_does_not_block_a_new_one(client, sandbox, alice, campaign_id):
    sandbox.publish_listing("alice", "1001")
    assert bulk(client, campaign_id, alice, ads_request("1001")).status_code == 200
    sandbox.end_campaign(campaign_id)

    fresh = sandbox.add_campaign("alice", "Fresh")
    assert bulk(client, fresh, alice, ads_request("1001")).status_code == 200
    assert sandbox.ad_creations_for("1001") == 2


def test_new_campaign_refuses_ads_while_syncing(client, sandbox, alice, clock: ManualClock):
    sandbox.campaign_sync_s = 120
    sandbox.publish_listing("alice", "1001")
    created = client.post(
        f"{MARKETING}/ad_campaign",
        json={
            "campaignName": "Brand new",
            "marketplaceId": "EBAY_US",
            "startDate": "2026-01-01T00:00:00Z",
            "fundingStrategy": {"fundingModel": "COST_PER_SALE", "bidPercentage": "5.0"},
        },
        headers=alice,
    )
    campaign_id = created.headers["Location"].rsplit("/", 1)[-1]

    syncing = bulk(client, campaign_id, alice, ads_request("1001"))
    assert syncing.status_code == 207
    entry = syncing.json()["responses"][0]
    assert entry["statusCode"] == 409
    assert entry["errors"][0]["errorId"] == 35061

    clock.advance(120)
    assert bulk(client, campaign_id, alice, ads_request("1001")).status_code == 200


def test_malformed_body_is_400(client, alice, campaign_id):
    response = client.post(
        f"{MARKETING}/ad_campaign/{campaign_id}/bulk_create_ads_by_listing_id",
        content=b"{not json",
        headers={**alice, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert only_error(response)["errorId"] == 2004


def test_cpc_campaign_takes_no_bid_and_reports_ad_status(client, sandbox, alice):
    campaign_id = sandbox.add_campaign("alice", "Clicks", funding_model="COST_PER_CLICK")
    sandbox.publish_listing("alice", "1001")

    rejected = bulk(client, campaign_id, alice, ads_request("1001")).json()["responses"][0]
    assert rejected["errors"][0]["errorId"] == 35080
    assert bulk(client, campaign_id, alice, ads_request("1001", bid=None)).status_code == 200

    ads = client.get(f"{MARKETING}/ad_campaign/{campaign_id}/ad", headers=alice).json()["ads"]
    assert ads == [{"adId": sandbox.ads[0]["adId"], "listingId": "1001", "adStatus": "ACTIVE"}]


# ---------------------------------------------------------------- single create


def test_single_create_is_201_with_location_only(client, sandbox, alice, campaign_id):
    sandbox.publish_listing("alice", "1001")

    response = create_ad(client, campaign_id, alice, {"listingId": "1001", "bidPercentage": "4.1"})

    assert response.status_code == 201
    assert response.content == b""
    ad_id = sandbox.ads[0]["adId"]
    assert (
        response.headers["Location"]
        == f"https://api.ebay.com{MARKETING}/ad_campaign/{campaign_id}/ad/{ad_id}"
    )
    assert sandbox.calls[-1]["listing_ids"] == ["1001"]


@pytest.mark.parametrize(
    ("setup", "status", "error_id"),
    [
        (lambda sb: None, 400, 35048),
        (lambda sb: sb.publish_listing("bob", "1001"), 409, 35057),
        (lambda sb: sb.publish_listing("alice", "1001", sync_delay_s=60), 400, 35048),
    ],
)
def test_single_create_errors_use_http_status(client, sandbox, alice, campaign_id, setup, status, error_id):
    setup(sandbox)
    response = create_ad(client, campaign_id, alice, {"listingId": "1001", "bidPercentage": "5.0"})

    assert response.status_code == status
    assert only_error(response)["errorId"] == error_id


def test_single_create_twice_is_35036(client, sandbox, alice, campaign_id):
    sandbox.publish_listing("alice", "1001")
    body = {"listingId": "1001", "bidPercentage": "5.0"}
    assert create_ad(client, campaign_id, alice, body).status_code == 201

    response = create_ad(client, campaign_id, alice, body)
    assert response.status_code == 400
    assert only_error(response)["errorId"] == 35036
    assert sandbox.ad_creations_for("1001") == 1


def test_single_create_bad_bid_and_missing_listing(client, sandbox, alice, campaign_id):
    bad_bid = create_ad(client, campaign_id, alice, {"listingId": "1", "bidPercentage": "1.0"})
    assert only_error(bad_bid)["errorId"] == 35007
    no_listing = create_ad(client, campaign_id, alice, {"bidPercentage": "5.0"})
    assert only_error(no_listing)["errorId"] == 35014


# ---------------------------------------------------------------- getAds


def seed_listings(sandbox: MarketplaceSandbox, count: int) -> list[str]:
    ids = [str(1000 + n) for n in range(count)]
    for listing_id in ids:
        sandbox.publish_listing("alice", listing_id)
    return ids


def test_get_ads_by_listing_ids(client, sandbox, alice, campaign_id):
    ids = seed_listings(sandbox, 3)
    bulk(client, campaign_id, alice, ads_request(*ids, bid="6.0"))

    response = client.get(
        f"{MARKETING}/ad_campaign/{campaign_id}/ad", params={"listing_ids": "1000,1002,7777"}, headers=alice
    )

    assert response.status_code == 200
    body = response.json()
    assert [ad["listingId"] for ad in body["ads"]] == ["1000", "1002"]
    assert set(body["ads"][0]) == {"adId", "listingId", "bidPercentage"}  # adStatus is CPC-only
    assert body["ads"][0]["bidPercentage"] == "6.0"
    assert body["total"] == 2
    assert body["limit"] == 10
    assert body["offset"] == 0
    assert body["href"].startswith(f"https://api.ebay.com{MARKETING}/ad_campaign/{campaign_id}/ad?")
    assert "next" not in body
    assert "prev" not in body


def test_get_ads_pages(client, sandbox, alice, campaign_id):
    bulk(client, campaign_id, alice, ads_request(*seed_listings(sandbox, 5)))
    url = f"{MARKETING}/ad_campaign/{campaign_id}/ad"

    body = client.get(url, params={"limit": 2, "offset": 2}, headers=alice).json()

    assert [ad["listingId"] for ad in body["ads"]] == ["1002", "1003"]
    assert body["total"] == 5
    assert "offset=4" in body["next"]
    assert "offset=0" in body["prev"]
    assert client.get(body["next"], headers=alice).json()["ads"][0]["listingId"] == "1004"


@pytest.mark.parametrize(
    ("params", "error_id"), [({"limit": 0}, 35029), ({"limit": 501}, 35029), ({"offset": -1}, 35030)]
)
def test_get_ads_bad_paging(client, alice, campaign_id, params, error_id):
    response = client.get(f"{MARKETING}/ad_campaign/{campaign_id}/ad", params=params, headers=alice)
    assert response.status_code == 400
    assert only_error(response)["errorId"] == error_id


def test_get_ads_unknown_campaign(client, alice):
    response = client.get(f"{MARKETING}/ad_campaign/42/ad", headers=alice)
    assert response.status_code == 404
    assert only_error(response)["errorId"] == 35045
