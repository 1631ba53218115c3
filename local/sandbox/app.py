"""The marketplace sandbox: a fake eBay, StockX and Alias that keep the providers' contracts.

``MarketplaceSandbox.handle`` is the whole fake. Every marketplace request goes through one
pipeline, so behaviour is uniform across APIs:

    route -> identify caller -> injected fault? -> authorize -> rate limit -> operation -> record

Tests drive it in-process (``httpx.MockTransport(sandbox.handle)``); the local stack and
end-to-end tests serve it over HTTP (``local.sandbox.server.serve``). Seeding and inspection are
plain methods here and, over HTTP, the ``/_sandbox/`` control endpoints.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from local.sandbox import (
    alias_auth,
    alias_catalog,
    alias_pricing,
    control,
    ebay_browse,
    ebay_marketing_ads,
    ebay_marketing_campaigns,
    ebay_oauth,
    ebay_taxonomy,
    market_inspection,
    stockx_catalog,
    stockx_oauth,
)
from local.sandbox.category_tree import (
    DEFAULT_LEAVES,
    DEFAULT_TREE_IDS,
    US_TREE_ID,
    CategoryTree,
    TreeSettings,
    build_tree,
)
from local.sandbox.ebay_errors import error_response
from local.sandbox.faults import Fault, default_error_response, fault_response
from local.sandbox.item_aspects import aspects_for
from local.sandbox.latency import ProviderLatency
from local.sandbox.market_catalog import DEFAULT_SKUS, build_market_catalog
from local.sandbox.routing import Match, RequestContext, Router, WrongMethod
from local.sandbox.state import (
    CAMPAIGN_STATUSES,
    FUNDING_MODELS,
    Ad,
    AliasToken,
    Campaign,
    Listing,
    SandboxState,
    Seller,
    StockxClient,
)
from local.sandbox.state import App as AppCredentials
from local.sandbox.webhook_receiver import PREFIX as HOOKS_PREFIX
from local.sandbox.webhook_receiver import WebhookReceiver
from sellerjobs.clock import Clock, SystemClock

# Ad-creation operations whose listing ids are worth keeping in the call log.
_AD_CREATION = frozenset({"bulk_create_ads_by_listing_id", "create_ad_by_listing_id"})
# Taxonomy calls are logged with the category they name (None for tree-wide calls).
_TAXONOMY = frozenset(route.operation for route in ebay_taxonomy.ROUTES)
# Providers whose own envelope should answer unknown paths and wrong methods under their prefixes.
_OTHER_PROVIDER_DIALECTS = frozenset({"stockx", "stockx_oauth", "alias"})


class MarketplaceSandbox:
    def __init__(self, clock: Clock | None = None, latency: ProviderLatency | None = None,
                 wait: Callable[[float], None] | None = None) -> None:
        self._state = SandboxState(clock=clock or SystemClock())
        # Modelled provider latency (None: answer at once). ``wait`` spends it: the clock's sleep
        # by default; a virtual-time simulation charges it to the calling invocation instead.
        self.latency = latency
        self.wait = wait or self._state.clock.sleep
        self._router = Router(
            [
                *ebay_oauth.ROUTES,
                *ebay_marketing_ads.ROUTES,
                *ebay_marketing_campaigns.ROUTES,
                *ebay_taxonomy.ROUTES,
                *ebay_browse.ROUTES,
                *stockx_oauth.ROUTES,
                *stockx_catalog.ROUTES,
                *alias_catalog.ROUTES,
                *alias_pricing.ROUTES,
            ]
        )
        self._state.faults.register(self._router.operations)
        # Sellers' own webhook endpoints (not marketplace traffic: no faults, limits or call log).
        self.webhooks = WebhookReceiver(clock=self._state.clock, wait=lambda seconds: self.wait(seconds),
                                        latency_s=lambda: self.latency.webhook_receiver_s if self.latency else 0.0)

    # ----------------------------------------------------------------- configuration

    @property
    def clock(self) -> Clock:
        return self._state.clock

    @property
    def operations(self) -> set[str]:
        """Operation names usable with inject_fault."""
        return self._router.operations

    @property
    def campaign_sync_s(self) -> float:
        return self._state.campaign_sync_s

    @campaign_sync_s.setter
    def campaign_sync_s(self, seconds: float) -> None:
        with self._state.lock:
            self._state.campaign_sync_s = float(seconds)

    @property
    def timeout_sleep_s(self) -> float:
        """Over HTTP, how long an injected timeout holds the connection before dropping it."""
        return self._state.timeout_sleep_s

    @timeout_sleep_s.setter
    def timeout_sleep_s(self, seconds: float) -> None:
        with self._state.lock:
            self._state.timeout_sleep_s = float(seconds)

    @property
    def access_token_ttl_s(self) -> int:
        return self._state.access_token_ttl_s

    @access_token_ttl_s.setter
    def access_token_ttl_s(self, seconds: int) -> None:
        with self._state.lock:
            self._state.access_token_ttl_s = int(seconds)

    @property
    def stockx_token_ttl_s(self) -> int:
        return self._state.stockx_token_ttl_s

    @stockx_token_ttl_s.setter
    def stockx_token_ttl_s(self, seconds: int) -> None:
        with self._state.lock:
            self._state.stockx_token_ttl_s = int(seconds)

    def set_bid_bounds(self, minimum: str, maximum: str) -> None:
        with self._state.lock:
            self._state.min_bid_percentage = Decimal(minimum)
            self._state.max_bid_percentage = Decimal(maximum)

    # ----------------------------------------------------------------- seeding

    def add_app(self, client_id: str, client_secret: str) -> None:
        with self._state.lock:
            self._state.apps[client_id] = AppCredentials(client_id, client_secret)

    def add_seller(self, username: str, refresh_token: str, *, scopes: frozenset[str] | None = None) -> None:
        """A seller whose refresh token is valid; ``scopes`` defaults to what the system asks for."""
        with self._state.lock:
            granted = ebay_oauth.DEFAULT_SELLER_SCOPES if scopes is None else frozenset(scopes)
            self._state.sellers[username] = Seller(username, refresh_token, granted)

    def revoke_refresh_token(self, username: str) -> None:
        """The seller withdrew consent: refreshing fails with invalid_grant from now on.

        Access tokens already minted stay valid until they expire, as with eBay.
        """
        with self._state.lock:
            self._seller(username).revoked = True

    def expire_access_tokens(self, username: str | None = None) -> None:
        """Expire every access token now (or only that seller's), to exercise 401 handling."""
        with self._state.lock:
            now = self._state.now()
            for token in self._state.tokens.values():
                if username is None or token.seller == username:
                    token.expires_at = min(token.expires_at, now)

    def publish_listing(
        self,
        seller: str,
        listing_id: str,
        *,
        sync_delay_s: float = 0.0,
        never_syncs: bool = False,
        marketplace_id: str = "EBAY_US",
    ) -> None:
        """A live listing that Promoted Listings learns about ``sync_delay_s`` from now (or never)."""
        if sync_delay_s < 0:
            raise ValueError("sync_delay_s must not be negative")
        with self._state.lock:
            now = self._state.now()
            synced_at = None if never_syncs else now + sync_delay_s
            self._state.listings[listing_id] = Listing(listing_id, seller, marketplace_id, now, synced_at)

    def add_campaign(
        self,
        seller: str,
        name: str,
        *,
        status: str = "RUNNING",
        funding_model: str = "COST_PER_SALE",
        marketplace_id: str = "EBAY_US",
        bid_percentage: str = "5.0",
    ) -> str:
        """An existing, fully synced campaign; returns its campaignId."""
        if status not in CAMPAIGN_STATUSES:
            raise ValueError(f"unknown campaign status {status!r}")
        if funding_model not in FUNDING_MODELS:
            raise ValueError(f"unknown funding model {funding_model!r}")
        with self._state.lock:
            now = self._state.now()
            campaign = Campaign(
                campaign_id=self._state.next_campaign_id(),
                seller=seller,
                name=name,
                status=status,
                funding_model=funding_model,
                marketplace_id=marketplace_id,
                bid_percentage=bid_percentage if funding_model == "COST_PER_SALE" else None,
                start_at=now,
                end_at=None,
                synced_at=now,
            )
            self._state.campaigns[campaign.campaign_id] = campaign
            return campaign.campaign_id

    def add_ad(self, campaign_id: str, listing_id: str, bid_percentage: str = "5.0") -> str:
        """An ad the seller already has (created outside our system); returns its adId."""
        with self._state.lock:
            campaign = self._state.campaigns[campaign_id]
            ad = Ad(ad_id=self._state.next_ad_id(), campaign_id=campaign_id, listing_id=listing_id,
                    bid_percentage=bid_percentage, seller=campaign.seller, created_at=self._state.now())
            self._state.ads.append(ad)
            return ad.ad_id

    def auto_publish(self, min_delay_s: float, max_delay_s: float, seed: int = 0) -> None:
        """Treat unknown listing ids as just published by the seller asking, syncing after a
        delay drawn from [min_delay_s, max_delay_s] (for trying the stack by hand)."""
        with self._state.lock:
            self._state.auto_publish_delay_s = (min_delay_s, max_delay_s)
            self._state.rng = random.Random(seed)

    def end_campaign(self, campaign_id: str) -> None:
        with self._state.lock:
            campaign = self._state.campaigns.get(campaign_id)
            if campaign is None:
                raise KeyError(campaign_id)
            campaign.status = "ENDED"

    def use_category_tree(self, leaves: int = DEFAULT_LEAVES, seed: int = 0, *, tree_id: str = US_TREE_ID) -> str:
        """Serve a generated tree of ``leaves`` leaves (e.g. 10,000 for benchmarks) from now on.

        The tree is published under a new ``categoryTreeVersion`` (returned), as a real tree
        change would be. The fixed core of real categories sets the minimum size.
        """
        if tree_id not in DEFAULT_TREE_IDS.values():
            raise ValueError(f"no marketplace uses category tree {tree_id!r}")
        build_tree(tree_id, leaves, seed)  # builds (and caches) now, raising on a bad size
        with self._state.lock:
            current = ebay_taxonomy.tree_settings(self._state, tree_id)
            self._state.category_trees[tree_id] = TreeSettings(leaves, seed, current.version + 1)
            return str(current.version + 1)

    def category_tree_version(self, tree_id: str = US_TREE_ID) -> str:
        with self._state.lock:
            return str(ebay_taxonomy.tree_settings(self._state, tree_id).version)

    def leaf_category_ids(
        self, tree_id: str = US_TREE_ID, parent: str | None = None, *, with_aspects: bool | None = None
    ) -> list[str]:
        """Leaf ids of a served tree (under ``parent`` if given), optionally only those with or
        without aspects (the ones getItemAspectsForCategory answers 200 or 204 for)."""
        tree = self._tree(tree_id)
        if parent is not None and parent not in tree.nodes:
            raise KeyError(f"category {parent!r} is not in tree {tree_id!r}")
        leaves = tree.leaf_ids(parent)
        if with_aspects is None:
            return leaves
        return [leaf for leaf in leaves if (aspects_for(tree, leaf) is not None) == with_aspects]

    def category_aspects(self, category_id: str, tree_id: str = US_TREE_ID) -> list[dict[str, Any]] | None:
        """The aspects getItemAspectsForCategory returns for a leaf; None for an aspect-less leaf."""
        tree = self._tree(tree_id)
        if category_id not in tree.nodes or not tree.nodes[category_id].is_leaf:
            raise KeyError(f"{category_id!r} is not a leaf of tree {tree_id!r}")
        return aspects_for(tree, category_id)

    def use_market_catalog(self, skus: int = DEFAULT_SKUS, seed: int = 0) -> None:
        """Serve a catalog of ``skus`` SKUs generated from ``seed`` to StockX, Alias and Browse."""
        build_market_catalog(skus, seed)
        with self._state.lock:
            self._state.market_catalog = (skus, seed)

    def add_stockx_client(
        self, client_id: str, client_secret: str, api_key: str, refresh_token: str | None = None
    ) -> None:
        """A StockX app: its OAuth client, its API key, and (optionally) a seller's refresh token."""
        with self._state.lock:
            self._state.stockx_clients[client_id] = StockxClient(client_id, client_secret, api_key, refresh_token)

    def expire_stockx_tokens(self) -> None:
        """Expire every StockX access token now, to exercise 401 handling and re-authentication."""
        with self._state.lock:
            now = self._state.now()
            for token in self._state.stockx_tokens.values():
                token.expires_at = min(token.expires_at, now)

    def add_alias_token(self, token: str, name: str | None = None) -> None:
        """An Alias personal access token; ``name`` labels its calls (default: alias-pat-N)."""
        with self._state.lock:
            label = name or f"alias-pat-{len(self._state.alias_tokens) + 1}"
            self._state.alias_tokens[token] = AliasToken(token, label)

    def revoke_alias_token(self, token: str) -> None:
        with self._state.lock:
            found = self._state.alias_tokens.get(token)
            if found is None:
                raise KeyError("unknown Alias token")
            found.revoked = True

    def set_rate_limit(self, operation_group: str, calls: int, per_seconds: float, *, fixed: bool = False) -> None:
        """At most ``calls`` per ``per_seconds`` per app in the group; beyond: 429. ``fixed``:
        per clock-aligned window (e.g. per hour from hh:00) instead of a sliding one.

        Groups: oauth, marketing, taxonomy, browse (per eBay client_id), stockx, stockx_oauth (per
        StockX client), alias (per access token).
        """
        with self._state.lock:
            self._state.rate_limits.set_limit(operation_group, calls, per_seconds, fixed)

    def clear_rate_limit(self, operation_group: str) -> None:
        with self._state.lock:
            self._state.rate_limits.clear_limit(operation_group)

    def inject_fault(
        self,
        operation: str,
        *,
        status: int,
        times: int = 1,
        body: object | None = None,
        error_id: int | None = None,
        timeout: bool = False,
        empty_body: bool = False,
    ) -> None:
        """The next ``times`` calls to ``operation`` answer this fault instead of the real behaviour.

        Body precedence: ``empty_body`` > ``body`` (JSON, or raw if str/bytes) > ``error_id``
        (an eBay error object) > a default for the status (35001 for 5xx, 2001 for 429, ...).
        ``timeout`` raises ``httpx.ReadTimeout`` in-process; over HTTP the connection hangs for
        ``timeout_sleep_s`` and is then closed without a response.
        """
        fault = Fault(status=status, body=body, error_id=error_id, timeout=timeout, empty_body=empty_body)
        with self._state.lock:
            self._state.faults.inject(operation, fault, times)

    def clear_faults(self) -> None:
        with self._state.lock:
            self._state.faults.clear()

    # ----------------------------------------------------------------- inspection

    @property
    def calls(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return [dict(call, listing_ids=list(call["listing_ids"])) for call in self._state.calls]

    def reset_calls(self) -> None:
        with self._state.lock:
            self._state.calls.clear()

    @property
    def ads(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return [ad.as_record() for ad in self._state.ads]

    def ad_creations_for(self, listing_id: str) -> int:
        """How many ads were really created for a listing (more than one means a duplicate slipped by)."""
        with self._state.lock:
            return sum(1 for ad in self._state.ads if ad.listing_id == listing_id)

    def listing_synced_at(self, listing_id: str) -> float | None:
        """Clock time the listing became promotable; None if unknown, never syncing, or not yet synced."""
        with self._state.lock:
            listing = self._state.listings.get(listing_id)
            if listing is None or not listing.promotable(self._state.now()):
                return None
            return listing.synced_at

    @property
    def tokens_minted(self) -> dict[str, int]:
        """Access tokens issued, per grant type (``client_credentials``, ``refresh_token``)."""
        with self._state.lock:
            return dict(self._state.tokens_minted)

    def campaign(self, campaign_id: str) -> dict[str, Any] | None:
        """A campaign as getCampaign would return it, plus its owner; None if unknown."""
        with self._state.lock:
            found = self._state.campaigns.get(campaign_id)
            if found is None:
                return None
            data = ebay_marketing_campaigns.campaign_json(found, self._state.now())
            return {**data, "seller": found.seller}

    def call_counts(self, provider: str | None = None) -> dict[str, int]:
        """Calls per operation so far, for one provider ("ebay", "stockx", "alias") or all."""
        providers = {route.operation: route.provider for route in self._router.routes}
        counts: dict[str, int] = {}
        with self._state.lock:
            for call in self._state.calls:
                operation = call["operation"]
                if provider is None or providers.get(operation) == provider:
                    counts[operation] = counts.get(operation, 0) + 1
        return counts

    def market_skus(self, provider: str | None = None) -> list[str]:
        """Style ids of the market catalog; with ``provider`` ("stockx", "alias", "ebay") only
        those that provider lists."""
        with self._state.lock:
            return market_inspection.skus(self._state, provider)

    def market_product(self, sku: str) -> dict[str, Any]:
        """A SKU's identities on each provider, sizes and GTINs, to drive the APIs from tests."""
        with self._state.lock:
            return market_inspection.product_summary(self._state, sku)

    def market_prices(self, sku: str, size: str) -> dict[str, Any]:
        """What StockX, Alias and eBay listings report for a size right now (None: not listed)."""
        with self._state.lock:
            return market_inspection.prices_now(self._state, sku, size)

    # ----------------------------------------------------------------- the fake itself

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if request.url.path.startswith(control.PREFIX):
            return control.handle(self, request)
        if request.url.path.startswith(HOOKS_PREFIX):
            return self.webhooks.handle(request)
        if self.latency is not None:
            self._wait_latency(request)
        with self._state.lock:
            return self._dispatch(request)

    def _wait_latency(self, request: httpx.Request) -> None:
        # Outside the lock: other requests are served while this one "travels".
        found = self._router.match(request.method, request.url.path)
        if isinstance(found, Match) and self.latency is not None:
            seconds = self.latency.seconds(found.route.dialect, found.route.operation, request)
            if seconds > 0:
                self.wait(seconds)

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        state = self._state
        now = state.now()
        method, path = request.method, request.url.path
        found = self._router.match(method, path)
        if isinstance(found, WrongMethod):
            if found.dialect in _OTHER_PROVIDER_DIALECTS:
                response = default_error_response(405, dialect=found.dialect)
            else:
                response = error_response(405, 2004, reason=f"method {method} is not allowed on {path}")
            response.headers["Allow"] = ", ".join(found.allowed)
            self._record(found.operation, request, 405, now)
            return response
        if not isinstance(found, Match):
            self._record("unknown", request, 404, now)
            dialect = self._router.nearest_dialect(path)
            if dialect in _OTHER_PROVIDER_DIALECTS:
                return default_error_response(404, dialect=dialect)
            return error_response(404, 2002, parameters=False, path=path)

        route = found.route
        ctx = RequestContext(request=request, route=route, path_params=found.path_params, now=now)
        if route.auth == "client_basic":
            client = ebay_oauth.authenticate_client(state, request)
            ctx.app = client.client_id if client else None
        elif route.auth == "bearer":
            ctx.token = ebay_oauth.lookup_bearer(state, request)
            if ctx.token is not None:
                ctx.app, ctx.seller = ctx.token.app, ctx.token.seller
        elif route.auth == "stockx_client":
            stockx_client = stockx_oauth.authenticate_client(state, request)
            ctx.app = stockx_client.client_id if stockx_client else None
        elif route.auth == "stockx":
            stockx_oauth.identify(state, ctx)
        else:
            alias_auth.identify(state, ctx)
        if route.operation in _AD_CREATION:
            ctx.listing_ids = _listing_ids_in(request)

        fault = state.faults.take(route.operation)
        if fault is not None:
            if fault.timeout:
                self._record(route.operation, request, None, now, ctx, fault="timeout")
                raise httpx.ReadTimeout("sandbox: injected timeout", request=request)
            response = fault_response(fault, dialect=route.dialect)
            self._record(route.operation, request, response.status_code, now, ctx, fault="injected")
            return response

        response = self._serve(ctx)
        self._record(route.operation, request, response.status_code, now, ctx)
        return response

    def _serve(self, ctx: RequestContext) -> httpx.Response:
        state, route = self._state, ctx.route
        denied = None
        if route.auth == "bearer":
            denied = ebay_oauth.authorize_bearer(state, ctx)
        elif route.auth == "stockx":
            denied = stockx_oauth.authorize(state, ctx)
        elif route.auth == "alias":
            denied = alias_auth.authorize(state, ctx)
        if denied is not None:
            return denied
        if ctx.app is not None and not state.rate_limits.allow(route.group, ctx.app, ctx.now):
            return default_error_response(429, dialect=route.dialect)
        return route.handler(state, ctx)

    def _record(
        self,
        operation: str,
        request: httpx.Request,
        status: int | None,
        now: float,
        ctx: RequestContext | None = None,
        fault: str | None = None,
    ) -> None:
        call: dict[str, Any] = {
            "operation": operation,
            "method": request.method,
            "path": request.url.path,
            "status": status,  # None when the call timed out
            "seller": ctx.seller if ctx else None,
            "app": ctx.app if ctx else None,
            "at": now,
            "listing_ids": list(ctx.listing_ids) if ctx else [],
            "fault": fault,
        }
        if operation in _TAXONOMY:
            call["category_id"] = request.url.params.get("category_id")
        self._state.calls.append(call)

    def _tree(self, tree_id: str) -> CategoryTree:
        with self._state.lock:
            found = ebay_taxonomy.served_tree(self._state, tree_id)
        if found is None:
            raise KeyError(f"no marketplace uses category tree {tree_id!r}")
        return found[0]

    def _seller(self, username: str) -> Seller:
        seller = self._state.sellers.get(username)
        if seller is None:
            raise KeyError(f"unknown seller {username!r}")
        return seller


def _listing_ids_in(request: httpx.Request) -> list[str]:
    """Listing ids named by an ad-creation body, best effort (malformed bodies give [])."""
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    items = body.get("requests") if "requests" in body else [body]
    if not isinstance(items, list):
        return []
    return [str(item["listingId"]) for item in items if isinstance(item, dict) and item.get("listingId")]
