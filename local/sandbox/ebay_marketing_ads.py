"""Promoted Listings ads: createAdByListingId, bulkCreateAdsByListingId, getAds.

Ad creation is where the system meets eBay's eventual consistency: a freshly published listing is
unknown to Promoted Listings (35048) until it has synced, and a fresh campaign refuses ads (35061)
while it syncs. The sandbox models both on its clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from local.sandbox.ebay_errors import ebay_error, error_response, errors_body, invalid_request
from local.sandbox.ebay_marketing import (
    BASE_PATH,
    GROUP,
    MAX_LISTINGS_PER_CALL,
    READ_SCOPES,
    WRITE_SCOPES,
    ad_path,
    bid_error,
    bid_is_valid,
    find_campaign,
    page_links,
    parse_paging,
)
from local.sandbox.responses import BodyError, JSONDict, base_url, empty_response, json_response, read_json
from local.sandbox.routing import RequestContext, Route
from local.sandbox.state import Ad, Campaign, Listing, SandboxState

AD_STATUSES = frozenset({"ACTIVE", "PAUSED", "ARCHIVED"})


@dataclass(frozen=True)
class Outcome:
    """Result of trying to create one ad: either ``ad`` or an HTTP-ish status with an error."""

    listing_id: str
    status: int
    ad: Ad | None = None
    error: JSONDict | None = None


def _listing_id(raw: object) -> str:
    # Listing ids are strings in the contract; tolerate JSON numbers as eBay's parser does.
    if isinstance(raw, bool):
        return ""
    if isinstance(raw, int):
        return str(raw)
    return raw.strip() if isinstance(raw, str) else ""


def _create_one(state: SandboxState, campaign: Campaign, seller: str, item: JSONDict, now: float) -> Outcome:
    """Apply eBay's per-listing rules in the order a caller would hit them."""
    listing_id = _listing_id(item.get("listingId"))
    if not listing_id:
        return Outcome("", 400, error=ebay_error(35014))

    bid = item.get("bidPercentage")
    if campaign.funding_model == "COST_PER_CLICK":
        if bid is not None:
            return Outcome(listing_id, 400, error=ebay_error(35080, listingId=listing_id))
    elif bid is None:
        bid = campaign.bid_percentage  # the contract: no bid on the ad means the campaign's default
    elif not bid_is_valid(state, bid):
        return Outcome(listing_id, 400, error=bid_error(state, bid))

    if now < campaign.synced_at:
        return Outcome(listing_id, 409, error=ebay_error(35061, campaign_id=campaign.campaign_id))

    listing = state.listings.get(listing_id)
    if listing is None and state.auto_publish_delay_s is not None:
        low, high = state.auto_publish_delay_s
        listing = Listing(listing_id, seller, campaign.marketplace_id, now, now + state.rng.uniform(low, high))
        state.listings[listing_id] = listing
    # Until it syncs, Promoted Listings has never heard of the listing, whoever owns it.
    if listing is None or not listing.promotable(now):
        return Outcome(listing_id, 400, error=ebay_error(35048, listingId=listing_id))
    if listing.seller != seller:
        return Outcome(listing_id, 409, error=ebay_error(35057, listingId=listing_id))
    if listing.marketplace_id != campaign.marketplace_id:
        return Outcome(listing_id, 409, error=ebay_error(35054, listingId=listing_id))
    if state.live_ad_for(seller, listing_id, now) is not None:
        return Outcome(listing_id, 400, error=ebay_error(35036, listingId=listing_id))

    ad = Ad(
        ad_id=state.next_ad_id(),
        campaign_id=campaign.campaign_id,
        listing_id=listing_id,
        bid_percentage=bid if isinstance(bid, str) else None,
        seller=seller,
        created_at=now,
    )
    state.ads.append(ad)
    return Outcome(listing_id, 200, ad=ad)


def _writable_campaign(state: SandboxState, ctx: RequestContext) -> Campaign | httpx.Response:
    campaign = find_campaign(state, ctx)
    if isinstance(campaign, Campaign) and campaign.effective_status(ctx.now) == "ENDED":
        return error_response(400, 35035, campaign_id=campaign.campaign_id)
    return campaign


def bulk_create_ads_by_listing_id(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    campaign = _writable_campaign(state, ctx)
    if not isinstance(campaign, Campaign):
        return campaign
    try:
        body = read_json(ctx.request)
    except BodyError as exc:
        return invalid_request(str(exc))
    requests = body.get("requests") if isinstance(body, dict) else None
    if requests is not None and not isinstance(requests, list):
        return invalid_request("'requests' must be an array")
    if not requests:
        return error_response(400, 35033)
    if len(requests) > MAX_LISTINGS_PER_CALL:
        return error_response(409, 35068, maxSupportedNumber=MAX_LISTINGS_PER_CALL)
    if not all(isinstance(item, dict) for item in requests):
        return invalid_request("each element of 'requests' must be an object")
    ids = [_listing_id(item.get("listingId")) for item in requests]
    named = [listing_id for listing_id in ids if listing_id]
    if len(set(named)) != len(named):
        return error_response(400, 35018)

    assert ctx.seller is not None
    outcomes = [_create_one(state, campaign, ctx.seller, item, ctx.now) for item in requests]
    responses: list[JSONDict] = []
    for outcome in outcomes:
        entry: JSONDict = {"listingId": outcome.listing_id, "statusCode": outcome.status}
        if outcome.ad is not None:
            entry["adId"] = outcome.ad.ad_id
            entry["href"] = ad_path(campaign.campaign_id, outcome.ad.ad_id)
        if outcome.error is not None:
            entry["errors"] = [outcome.error]
        responses.append(entry)
    status = 200 if all(outcome.ad is not None for outcome in outcomes) else 207
    return json_response(status, {"responses": responses})


def create_ad_by_listing_id(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    campaign = _writable_campaign(state, ctx)
    if not isinstance(campaign, Campaign):
        return campaign
    try:
        body = read_json(ctx.request)
    except BodyError as exc:
        return invalid_request(str(exc))
    if not isinstance(body, dict):
        return invalid_request("request body must be a JSON object")
    assert ctx.seller is not None
    outcome = _create_one(state, campaign, ctx.seller, body, ctx.now)
    if outcome.ad is None:
        assert outcome.error is not None
        return json_response(outcome.status, errors_body(outcome.error))
    # 201 with no body: the new ad's id travels only in the Location URL.
    location = base_url(ctx.request) + ad_path(campaign.campaign_id, outcome.ad.ad_id)
    return empty_response(201, headers={"Location": location})


def _ad_json(ad: Ad, campaign: Campaign) -> JSONDict:
    data: JSONDict = {"adId": ad.ad_id, "listingId": ad.listing_id}
    if ad.bid_percentage is not None:
        data["bidPercentage"] = ad.bid_percentage
    if campaign.funding_model == "COST_PER_CLICK":
        data["adStatus"] = "ACTIVE"  # the contract only reports adStatus for CPC ads
    return data


def get_ads(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    campaign = _writable_campaign(state, ctx)  # getAds also answers 35035 for an ended campaign
    if not isinstance(campaign, Campaign):
        return campaign
    paging = parse_paging(ctx)
    if isinstance(paging, httpx.Response):
        return paging
    limit, offset = paging

    wanted = [part.strip() for part in ctx.query.get("listing_ids", "").split(",") if part.strip()]
    if len(wanted) > MAX_LISTINGS_PER_CALL:
        return error_response(409, 35068, maxSupportedNumber=MAX_LISTINGS_PER_CALL)
    statuses = {part.strip() for part in ctx.query.get("ad_status", "").split(",") if part.strip()}
    if statuses - AD_STATUSES:
        return error_response(400, 35083)

    ads = [ad for ad in state.ads if ad.campaign_id == campaign.campaign_id]
    if wanted:
        ads = [ad for ad in ads if ad.listing_id in set(wanted)]
    if statuses and "ACTIVE" not in statuses:
        ads = []  # every sandbox ad is ACTIVE
    page = ads[offset : offset + limit]
    return json_response(
        200,
        {"ads": [_ad_json(ad, campaign) for ad in page], **page_links(ctx, limit, offset, len(ads))},
    )


_CAMPAIGN = f"{BASE_PATH}/ad_campaign/{{campaign_id}}"

ROUTES = [
    Route(
        "POST",
        f"{_CAMPAIGN}/bulk_create_ads_by_listing_id",
        "bulk_create_ads_by_listing_id",
        bulk_create_ads_by_listing_id,
        group=GROUP,
        auth="bearer",
        scopes=WRITE_SCOPES,
    ),
    Route(
        "POST",
        f"{_CAMPAIGN}/ad",
        "create_ad_by_listing_id",
        create_ad_by_listing_id,
        group=GROUP,
        auth="bearer",
        scopes=WRITE_SCOPES,
    ),
    Route("GET", f"{_CAMPAIGN}/ad", "get_ads", get_ads, group=GROUP, auth="bearer", scopes=READ_SCOPES),
]
