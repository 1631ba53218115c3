"""eBay Sell Marketing (Promoted Listings) for one seller at a time: the ``AdsGateway`` adapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from sellerjobs.clock import Clock
from sellerjobs.ebay.credentials import MARKETING_SCOPE
from sellerjobs.ebay.errors import parse_errors
from sellerjobs.ebay.http import BudgetedHttp, errors_of, json_body
from sellerjobs.ebay.oauth import TokenProvider
from sellerjobs.jobs.marketplace import MarketplaceAuthError, MarketplaceTransient, RequestRejected
from sellerjobs.promotions.ports import AdRequest, ListingResult

BASE = "/sell/marketing/v1"
TOO_MANY_LISTINGS = frozenset({35068, 35071})


@dataclass
class MarketingApi:
    http: BudgetedHttp
    tokens: TokenProvider
    marketplace_id: str
    clock: Clock
    # Calls of the budget's current allowance that ordinary ad creation leaves to urgent jobs: when
    # the budget runs short, high-priority promotions still go out.
    normal_headroom: int = 0

    # -- ads ---------------------------------------------------------------------------------

    def create_ads(self, user_id: str, campaign_id: str, ads: Sequence[AdRequest], *,
                   urgent: bool = False) -> list[ListingResult]:
        body = {"requests": [{"listingId": a.listing_id, "bidPercentage": a.bid_percentage} for a in ads]}
        response = self._call(user_id, "POST", f"{BASE}/ad_campaign/{campaign_id}/bulk_create_ads_by_listing_id",
                              json=body, headroom=0 if urgent else self.normal_headroom)
        if response.status_code in (200, 207):
            return _listing_results(json_body(response))
        errors = errors_of(response)
        if {e.error_id for e in errors} & TOO_MANY_LISTINGS and len(ads) > 1:
            # eBay's per-call ceiling is lower than we thought: halve and go again.
            half = len(ads) // 2
            return (self.create_ads(user_id, campaign_id, ads[:half], urgent=urgent)
                    + self.create_ads(user_id, campaign_id, ads[half:], urgent=urgent))
        raise RequestRejected(response.status_code, errors)

    def find_ad_id(self, user_id: str, campaign_id: str, listing_id: str) -> str | None:
        response = self._call(user_id, "GET", f"{BASE}/ad_campaign/{campaign_id}/ad",
                              params={"listing_ids": listing_id, "limit": "10"})
        if response.status_code != 200:
            raise RequestRejected(response.status_code, errors_of(response))
        for ad in json_body(response).get("ads") or []:
            if isinstance(ad, dict) and str(ad.get("listingId")) == listing_id and ad.get("adId"):
                return str(ad["adId"])
        return None

    # -- campaigns ---------------------------------------------------------------------------

    def find_campaign(self, user_id: str) -> str | None:
        response = self._call(user_id, "GET", f"{BASE}/ad_campaign", params={
            "campaign_status": "RUNNING", "funding_strategy": "COST_PER_SALE", "limit": "100"})
        if response.status_code != 200:
            raise RequestRejected(response.status_code, errors_of(response))
        for campaign in json_body(response).get("campaigns") or []:
            if not isinstance(campaign, dict):
                continue
            funding = (campaign.get("fundingStrategy") or {}).get("fundingModel")
            if (campaign.get("marketplaceId") == self.marketplace_id and funding == "COST_PER_SALE"
                    and campaign.get("campaignStatus") == "RUNNING" and campaign.get("campaignId")):
                return str(campaign["campaignId"])
        return None

    def create_campaign(self, user_id: str, name: str, bid_percentage: str) -> str:
        start = datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        response = self._call(user_id, "POST", f"{BASE}/ad_campaign", json={
            "campaignName": name, "marketplaceId": self.marketplace_id, "startDate": start,
            "fundingStrategy": {"fundingModel": "COST_PER_SALE", "bidPercentage": bid_percentage}})
        if response.status_code != 201:
            raise RequestRejected(response.status_code, errors_of(response))
        # eBay returns the new id only in the Location header.
        location = response.headers.get("Location", "")
        campaign_id = str(location).rstrip("/").rsplit("/", 1)[-1]
        if not campaign_id:
            raise MarketplaceTransient("eBay created a campaign but sent no Location header")
        return campaign_id

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, user_id: str, method: str, url: str, *, headroom: int = 0, **kwargs: Any) -> httpx.Response:
        """One call with the seller's token; a refused token is re-minted once."""
        for attempt in range(2):
            token = self.tokens.user_token(user_id, MARKETING_SCOPE)
            response = self.http.send(method, url, headers={
                "Authorization": f"Bearer {token}", "X-EBAY-C-MARKETPLACE-ID": self.marketplace_id},
                headroom=headroom, **kwargs)
            if response.status_code == 401 and attempt == 0:
                self.tokens.invalidate(user_id, MARKETING_SCOPE)
                continue
            if response.status_code in (401, 403):
                errors = parse_errors(_safe_json(response))
                detail = errors[0].describe() if errors else f"HTTP {response.status_code}"
                raise MarketplaceAuthError(f"eBay refused the seller's authorisation for Marketing ({detail})")
            return response
        raise AssertionError("unreachable")


def _safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _listing_results(payload: Any) -> list[ListingResult]:
    results = []
    for raw in (payload or {}).get("responses") or []:
        if not isinstance(raw, dict) or raw.get("listingId") is None:
            continue
        try:
            status = int(raw.get("statusCode") or 0)
        except (TypeError, ValueError):
            status = 0
        results.append(ListingResult(
            listing_id=str(raw["listingId"]), status_code=status,
            ad_id=str(raw["adId"]) if raw.get("adId") else None,
            errors=tuple(parse_errors(raw))))
    return results
