"""Everything the fake marketplace knows, in one place, behind one lock.

Handlers are plain functions of (state, request context); they run with ``state.lock`` held, so
they can read and write freely. Time always comes from ``state.clock``.
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from local.sandbox.category_tree import TreeSettings
from local.sandbox.faults import FaultBook
from local.sandbox.rate_limits import RateLimiter
from sellerjobs.clock import Clock

USER_TOKEN = "User Access Token"
APPLICATION_TOKEN = "Application Access Token"

# Campaign states a seller can see (eBay's CampaignStatusEnum).
CAMPAIGN_STATUSES = frozenset(
    {"RUNNING", "PAUSED", "ENDED", "SCHEDULED", "PENDING", "SYNCHRONIZING", "ENDING_SOON", "DRAFT"}
)
FUNDING_MODELS = ("COST_PER_SALE", "COST_PER_CLICK")


@dataclass
class App:
    client_id: str
    client_secret: str


@dataclass
class Seller:
    username: str
    refresh_token: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class AccessToken:
    value: str
    token_type: str
    app: str
    seller: str | None
    scopes: frozenset[str]
    expires_at: float


@dataclass
class StockxClient:
    """A StockX developer app: OAuth client credentials plus the API key sent as ``x-api-key``.

    ``refresh_token`` stands for the seller account that authorised the app (consent happens in a
    browser, outside the system); None means the client can only use client_credentials.
    """

    client_id: str
    client_secret: str
    api_key: str
    refresh_token: str | None = None


@dataclass
class StockxToken:
    value: str
    client_id: str
    grant_type: str
    expires_at: float


@dataclass
class AliasToken:
    """An Alias personal access token; ``name`` identifies it in the call log and rate limits."""

    value: str
    name: str
    revoked: bool = False


@dataclass
class Listing:
    listing_id: str
    seller: str
    marketplace_id: str
    published_at: float
    # None: the listing never reaches the Promoted Listings system (a listing stuck in sync).
    synced_at: float | None

    def promotable(self, now: float) -> bool:
        return self.synced_at is not None and now >= self.synced_at


@dataclass
class Campaign:
    campaign_id: str
    seller: str
    name: str
    status: str
    funding_model: str
    marketplace_id: str
    bid_percentage: str | None
    start_at: float
    end_at: float | None
    # Until this clock time, ad creation answers 35061 (the campaign is still being synced).
    synced_at: float
    budget: dict[str, Any] | None = None

    def effective_status(self, now: float) -> str:
        """Status as eBay would report it now: dates move campaigns in and out of RUNNING."""
        if self.status == "ENDED" or (self.end_at is not None and now >= self.end_at):
            return "ENDED"
        if self.status == "RUNNING" and now < self.start_at:
            return "SCHEDULED"
        return self.status


@dataclass
class Ad:
    ad_id: str
    campaign_id: str
    listing_id: str
    bid_percentage: str | None
    seller: str
    created_at: float

    def as_record(self) -> dict[str, Any]:
        return {
            "adId": self.ad_id,
            "campaignId": self.campaign_id,
            "listingId": self.listing_id,
            "bidPercentage": self.bid_percentage,
            "seller": self.seller,
            "createdAt": self.created_at,
        }


@dataclass
class SandboxState:
    clock: Clock
    lock: threading.RLock = field(default_factory=threading.RLock)
    apps: dict[str, App] = field(default_factory=dict)
    sellers: dict[str, Seller] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    listings: dict[str, Listing] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    ads: list[Ad] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    tokens_minted: dict[str, int] = field(
        default_factory=lambda: {"client_credentials": 0, "refresh_token": 0}
    )
    rate_limits: RateLimiter = field(default_factory=RateLimiter)
    faults: FaultBook = field(default_factory=FaultBook)
    # Taxonomy: per tree id, what the generator builds and the version it is published as.
    category_trees: dict[str, TreeSettings] = field(default_factory=dict)
    # The market catalog shared by StockX, Alias and Browse: (number of SKUs, seed).
    market_catalog: tuple[int, int] = (300, 0)
    stockx_clients: dict[str, StockxClient] = field(default_factory=dict)
    stockx_tokens: dict[str, StockxToken] = field(default_factory=dict)
    stockx_token_ttl_s: int = 43200
    alias_tokens: dict[str, AliasToken] = field(default_factory=dict)
    # Tunables. Bid bounds are configuration because eBay's docs have disagreed over time.
    campaign_sync_s: float = 0.0
    timeout_sleep_s: float = 30.0
    access_token_ttl_s: int = 7200
    # (min, max) sync delay for listings nobody published: seen first in an ad request, they are
    # published for the asking seller then. Lets a person try the local stack with any id.
    auto_publish_delay_s: tuple[float, float] | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    min_bid_percentage: Decimal = Decimal("2.0")
    max_bid_percentage: Decimal = Decimal("100.0")
    # eBay ids are long numeric strings; distinct ranges make a mixed-up id obvious in a log.
    _campaign_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_000_000_001))
    _ad_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(20_000_000_001))

    def now(self) -> float:
        return self.clock.now()

    def next_campaign_id(self) -> str:
        return str(next(self._campaign_ids))

    def next_ad_id(self) -> str:
        return str(next(self._ad_ids))

    def seller_for_refresh_token(self, refresh_token: str) -> Seller | None:
        for seller in self.sellers.values():
            if seller.refresh_token == refresh_token:
                return seller
        return None

    def live_ad_for(self, seller: str, listing_id: str, now: float) -> Ad | None:
        """The seller's ad for a listing in a campaign that has not ended (what 35036 guards)."""
        for ad in self.ads:
            if ad.seller != seller or ad.listing_id != listing_id:
                continue
            campaign = self.campaigns.get(ad.campaign_id)
            if campaign is not None and campaign.effective_status(now) != "ENDED":
                return ad
        return None

    def campaigns_of(self, seller: str) -> list[Campaign]:
        return [c for c in self.campaigns.values() if c.seller == seller]
