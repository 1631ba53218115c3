"""Promoted Listings campaigns: getCampaigns, getCampaign, getCampaignByName, createCampaign."""

from __future__ import annotations

from typing import Any

import httpx

from local.sandbox.ebay_errors import error_response, errors_body, invalid_request
from local.sandbox.ebay_marketing import (
    BASE_PATH,
    GROUP,
    READ_SCOPES,
    WRITE_SCOPES,
    bid_error,
    bid_is_valid,
    campaign_url,
    find_campaign,
    iso_utc,
    page_links,
    parse_iso,
    parse_paging,
)
from local.sandbox.responses import BodyError, JSONDict, empty_response, json_response, read_json_object
from local.sandbox.routing import RequestContext, Route
from local.sandbox.state import CAMPAIGN_STATUSES, FUNDING_MODELS, Campaign, SandboxState

MAX_NAME_LENGTH = 80
FORBIDDEN_NAME_CHARACTERS = "<>"
# Marketplaces where Promoted Listings (CPS) is offered.
SUPPORTED_MARKETPLACES = (
    "EBAY_US",
    "EBAY_GB",
    "EBAY_DE",
    "EBAY_AU",
    "EBAY_CA",
    "EBAY_FR",
    "EBAY_IT",
    "EBAY_ES",
    "EBAY_AT",
    "EBAY_CH",
    "EBAY_IE",
    "EBAY_NL",
    "EBAY_BE",
    "EBAY_PL",
)


def campaign_json(campaign: Campaign, now: float) -> JSONDict:
    strategy: JSONDict = {"fundingModel": campaign.funding_model}
    if campaign.bid_percentage is not None:
        strategy["bidPercentage"] = campaign.bid_percentage
    data: JSONDict = {
        "campaignId": campaign.campaign_id,
        "campaignName": campaign.name,
        "campaignStatus": campaign.effective_status(now),
        "fundingStrategy": strategy,
        "marketplaceId": campaign.marketplace_id,
        "startDate": iso_utc(campaign.start_at),
    }
    if campaign.end_at is not None:
        data["endDate"] = iso_utc(campaign.end_at)
    if campaign.budget is not None:
        data["budget"] = campaign.budget
    return data


def get_campaigns(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    paging = parse_paging(ctx)
    if isinstance(paging, httpx.Response):
        return paging
    limit, offset = paging

    statuses = {part.strip() for part in ctx.query.get("campaign_status", "").split(",") if part.strip()}
    if bad := sorted(statuses - CAMPAIGN_STATUSES):
        return error_response(400, 35043, campaignStatus=",".join(bad))
    funding = ctx.query.get("funding_strategy", "").strip()
    if funding and funding not in FUNDING_MODELS:
        return error_response(400, 35079, fundingStrategy=", ".join(FUNDING_MODELS))
    name = ctx.query.get("campaign_name")

    assert ctx.seller is not None
    matching = [
        c
        for c in state.campaigns_of(ctx.seller)
        if (not statuses or c.effective_status(ctx.now) in statuses)
        and (not funding or c.funding_model == funding)
        and (name is None or c.name == name)
    ]
    page = matching[offset : offset + limit]
    return json_response(
        200,
        {
            "campaigns": [campaign_json(c, ctx.now) for c in page],
            **page_links(ctx, limit, offset, len(matching)),
        },
    )


def get_campaign(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    campaign = find_campaign(state, ctx)
    if not isinstance(campaign, Campaign):
        return campaign
    return json_response(200, campaign_json(campaign, ctx.now))


def get_campaign_by_name(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    name = ctx.query.get("campaign_name", "")
    if not name.strip():
        return error_response(400, 35019)
    assert ctx.seller is not None
    for campaign in state.campaigns_of(ctx.seller):
        if campaign.name == name:  # exact and case-sensitive, as eBay matches
            return json_response(200, campaign_json(campaign, ctx.now))
    return error_response(404, 35046, campaign_name=name)


def _validate_name(state: SandboxState, seller: str, name: object) -> httpx.Response | None:
    if not isinstance(name, str) or not name.strip():
        return error_response(400, 35019)
    if len(name) > MAX_NAME_LENGTH:
        return error_response(400, 35020, maxCampaignNameLength=MAX_NAME_LENGTH)
    if any(ch in name for ch in FORBIDDEN_NAME_CHARACTERS):
        return error_response(400, 35023, notAllowedCharacters=FORBIDDEN_NAME_CHARACTERS)
    # Names are unique per seller across all campaigns, ended ones included.
    if any(c.name == name for c in state.campaigns_of(seller)):
        return error_response(400, 35021, campaignName=name)
    return None


def _validate_funding(state: SandboxState, strategy: object) -> httpx.Response | None:
    if not isinstance(strategy, dict):
        return error_response(400, 35006)
    model = strategy.get("fundingModel")
    if model not in FUNDING_MODELS:
        return error_response(400, 35038, fundingModelValues=", ".join(FUNDING_MODELS))
    bid = strategy.get("bidPercentage")
    if model == "COST_PER_SALE":
        if bid is None:
            return error_response(409, 35106, parameters=False)
        if not bid_is_valid(state, bid):
            return json_response(400, errors_body(bid_error(state, bid)))
    elif bid is not None:
        return error_response(409, 36152)
    return None


def create_campaign(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    try:
        body = read_json_object(ctx.request)
    except BodyError as exc:
        return invalid_request(str(exc))
    assert ctx.seller is not None

    name = body.get("campaignName")
    if (problem := _validate_name(state, ctx.seller, name)) is not None:
        return problem
    marketplace = body.get("marketplaceId")
    if not marketplace:
        return error_response(400, 35041)
    if marketplace not in SUPPORTED_MARKETPLACES:
        return error_response(
            409, 35051, marketplaceId=marketplace, supportedMarketplaces=", ".join(SUPPORTED_MARKETPLACES)
        )
    if not body.get("startDate"):
        return error_response(400, 35025)
    start_at = parse_iso(body["startDate"])
    if start_at is None:
        return invalid_request("Could not serialize field [startDate]")
    end_at = None
    if body.get("endDate"):
        end_at = parse_iso(body["endDate"])
        if end_at is None:
            return invalid_request("Could not serialize field [endDate]")
        if start_at > end_at:
            return error_response(400, 35024, startDate=body["startDate"], endDate=body["endDate"])
    # Start dates in the past are accepted on purpose: the local stack runs a scaled clock, so a
    # client's "now" is routinely behind the sandbox's.
    strategy = body.get("fundingStrategy")
    if (problem := _validate_funding(state, strategy)) is not None:
        return problem
    assert isinstance(strategy, dict) and isinstance(name, str)
    budget: dict[str, Any] | None = None
    if strategy["fundingModel"] == "COST_PER_CLICK":
        raw_budget = body.get("budget")
        if not isinstance(raw_budget, dict) or not raw_budget.get("daily"):
            return error_response(409, 36157, parameters=False)
        budget = raw_budget

    campaign = Campaign(
        campaign_id=state.next_campaign_id(),
        seller=ctx.seller,
        name=name,
        status="RUNNING",
        funding_model=strategy["fundingModel"],
        marketplace_id=str(marketplace),
        bid_percentage=strategy.get("bidPercentage"),
        start_at=start_at,
        end_at=end_at,
        synced_at=ctx.now + state.campaign_sync_s,
        budget=budget,
    )
    state.campaigns[campaign.campaign_id] = campaign
    return empty_response(201, headers={"Location": campaign_url(ctx.request, campaign.campaign_id)})


_ROOT = f"{BASE_PATH}/ad_campaign"

ROUTES = [
    # The literal path must precede the templated one, which would also match it.
    Route(
        "GET",
        f"{_ROOT}/get_campaign_by_name",
        "get_campaign_by_name",
        get_campaign_by_name,
        group=GROUP,
        auth="bearer",
        scopes=READ_SCOPES,
    ),
    Route(
        "GET",
        f"{_ROOT}/{{campaign_id}}",
        "get_campaign",
        get_campaign,
        group=GROUP,
        auth="bearer",
        scopes=READ_SCOPES,
    ),
    Route("GET", _ROOT, "get_campaigns", get_campaigns, group=GROUP, auth="bearer", scopes=READ_SCOPES),
    Route("POST", _ROOT, "create_campaign", create_campaign, group=GROUP, auth="bearer", scopes=WRITE_SCOPES),
]
