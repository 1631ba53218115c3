"""Pieces shared by the Sell Marketing (Promoted Listings) operations.

The operations themselves live in ``ebay_marketing_ads`` and ``ebay_marketing_campaigns``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

import httpx

from local.sandbox.ebay_errors import ebay_error, error_response
from local.sandbox.ebay_oauth import SCOPE_MARKETING, SCOPE_MARKETING_READONLY
from local.sandbox.responses import JSONDict, base_url
from local.sandbox.routing import RequestContext
from local.sandbox.state import Campaign, SandboxState

BASE_PATH = "/sell/marketing/v1"
GROUP = "marketing"

# Writes need sell.marketing; reads also accept the read-only scope.
WRITE_SCOPES = frozenset({SCOPE_MARKETING})
READ_SCOPES = frozenset({SCOPE_MARKETING, SCOPE_MARKETING_READONLY})

MAX_LISTINGS_PER_CALL = 500
DEFAULT_PAGE_LIMIT = 10
MAX_PAGE_LIMIT = 500

# One decimal place, as eBay's bidPercentage wants ("5.0", "12.5"); bounds are checked separately.
_BID_FORMAT = re.compile(r"^\d{1,3}\.\d$")


def campaign_url(request: httpx.Request, campaign_id: str) -> str:
    return f"{base_url(request)}{BASE_PATH}/ad_campaign/{campaign_id}"


def ad_path(campaign_id: str, ad_id: str) -> str:
    return f"{BASE_PATH}/ad_campaign/{campaign_id}/ad/{ad_id}"


def find_campaign(state: SandboxState, ctx: RequestContext) -> Campaign | httpx.Response:
    """The caller's campaign named in the path; another seller's campaign is as unknown as a missing one."""
    campaign_id = ctx.path_params["campaign_id"]
    campaign = state.campaigns.get(campaign_id)
    if campaign is None or campaign.seller != ctx.seller:
        # The contract tables list 35045 under 400, but eBay answers a missing resource with 404.
        return error_response(404, 35045, campaign_id=campaign_id)
    return campaign


def bid_is_valid(state: SandboxState, value: object) -> bool:
    if not isinstance(value, str) or not _BID_FORMAT.match(value):
        return False
    try:
        bid = Decimal(value)
    except InvalidOperation:
        return False
    return state.min_bid_percentage <= bid <= state.max_bid_percentage


def bid_error(state: SandboxState, value: object) -> JSONDict:
    """35007 for a bidPercentage that is not a one-decimal string within the configured bounds."""
    return ebay_error(
        35007,
        bidPercentage=value,
        minBidPercent=state.min_bid_percentage,
        maxBidPercent=state.max_bid_percentage,
    )


def parse_paging(ctx: RequestContext) -> tuple[int, int] | httpx.Response:
    """(limit, offset) from the query string, or eBay's 35029/35030 error."""
    raw_limit = ctx.query.get("limit")
    raw_offset = ctx.query.get("offset")
    try:
        limit = int(raw_limit) if raw_limit not in (None, "") else DEFAULT_PAGE_LIMIT
    except ValueError:
        limit = 0
    if not 0 < limit <= MAX_PAGE_LIMIT:
        return error_response(400, 35029, maxLimitValue=MAX_PAGE_LIMIT)
    try:
        offset = int(raw_offset) if raw_offset not in (None, "") else 0
    except ValueError:
        offset = -1
    if offset < 0:
        return error_response(400, 35030, parameters=False)
    return limit, offset


def page_links(ctx: RequestContext, limit: int, offset: int, total: int) -> JSONDict:
    """href/limit/offset/total, plus next and prev only when such pages exist."""
    params = {key: value for key, value in ctx.query.multi_items() if key not in ("limit", "offset")}

    def url(page_offset: int) -> str:
        query = urlencode({**params, "limit": limit, "offset": page_offset})
        return f"{base_url(ctx.request)}{ctx.request.url.path}?{query}"

    links: JSONDict = {"href": url(offset), "limit": limit, "offset": offset, "total": total}
    if offset + limit < total:
        links["next"] = url(offset + limit)
    if offset > 0:
        links["prev"] = url(max(0, offset - limit))
    return links


def iso_utc(epoch_seconds: float) -> str:
    """eBay's campaign date format, yyyy-MM-ddThh:mm:ssZ."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: object) -> float | None:
    """Epoch seconds from an ISO 8601 string (naive times are UTC); None when unparseable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
