"""``/_sandbox/`` control endpoints: seed and inspect the sandbox over HTTP.

End-to-end tests and the local dashboard run in another process than the sandbox, so every
seeding/inspection method has a JSON twin here. These calls are not marketplace traffic: they are
neither recorded in ``calls`` nor subject to faults or rate limits. POST actions read a JSON body;
GET actions read the query string (both spellings, camelCase and snake_case, are accepted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from local.sandbox.responses import BodyError, JSONDict, json_response, read_json_object

if TYPE_CHECKING:
    from local.sandbox.app import MarketplaceSandbox

PREFIX = "/_sandbox/"

Action = Callable[["MarketplaceSandbox", JSONDict], object]


def _field(body: JSONDict, *names: str, default: Any = None, required: bool = False) -> Any:
    """First present key among ``names`` (camelCase and snake_case spellings are both accepted)."""
    for name in names:
        if name in body:
            return body[name]
    if required:
        raise BodyError(f"missing field {names[0]!r}")
    return default


def _add_app(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.add_app(
        str(_field(body, "client_id", "clientId", required=True)),
        str(_field(body, "client_secret", "clientSecret", required=True)),
    )
    return {"ok": True}


def _add_seller(sb: MarketplaceSandbox, body: JSONDict) -> object:
    scopes = _field(body, "scopes")
    sb.add_seller(
        str(_field(body, "username", required=True)),
        str(_field(body, "refresh_token", "refreshToken", required=True)),
        scopes=frozenset(scopes) if scopes is not None else None,
    )
    return {"ok": True}


def _revoke(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.revoke_refresh_token(str(_field(body, "username", required=True)))
    return {"ok": True}


def _expire_tokens(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.expire_access_tokens(_field(body, "username"))
    return {"ok": True}


def _publish_listing(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.publish_listing(
        str(_field(body, "seller", required=True)),
        str(_field(body, "listingId", "listing_id", required=True)),
        sync_delay_s=float(_field(body, "syncDelaySeconds", "sync_delay_s", default=0.0)),
        never_syncs=bool(_field(body, "neverSyncs", "never_syncs", default=False)),
        marketplace_id=str(_field(body, "marketplaceId", "marketplace_id", default="EBAY_US")),
    )
    return {"ok": True}


def _add_campaign(sb: MarketplaceSandbox, body: JSONDict) -> object:
    campaign_id = sb.add_campaign(
        str(_field(body, "seller", required=True)),
        str(_field(body, "name", "campaignName", required=True)),
        status=str(_field(body, "status", "campaignStatus", default="RUNNING")),
        funding_model=str(_field(body, "fundingModel", "funding_model", default="COST_PER_SALE")),
        marketplace_id=str(_field(body, "marketplaceId", "marketplace_id", default="EBAY_US")),
        bid_percentage=str(_field(body, "bidPercentage", "bid_percentage", default="5.0")),
    )
    return {"campaignId": campaign_id}


def _end_campaign(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.end_campaign(str(_field(body, "campaignId", "campaign_id", required=True)))
    return {"ok": True}


def _inject_fault(sb: MarketplaceSandbox, body: JSONDict) -> object:
    error_id = _field(body, "errorId", "error_id")
    sb.inject_fault(
        str(_field(body, "operation", required=True)),
        status=int(_field(body, "status", default=500)),
        times=int(_field(body, "times", default=1)),
        body=_field(body, "body"),
        error_id=int(error_id) if error_id is not None else None,
        timeout=bool(_field(body, "timeout", default=False)),
        empty_body=bool(_field(body, "emptyBody", "empty_body", default=False)),
    )
    return {"ok": True}


def _clear_faults(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.clear_faults()
    return {"ok": True}


def _set_rate_limit(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.set_rate_limit(
        str(_field(body, "group", required=True)),
        int(_field(body, "calls", required=True)),
        float(_field(body, "perSeconds", "per_seconds", required=True)),
        fixed=bool(_field(body, "fixed", default=False)),
    )
    return {"ok": True}


def _settings(sb: MarketplaceSandbox, body: JSONDict) -> object:
    if (value := _field(body, "campaignSyncSeconds")) is not None:
        sb.campaign_sync_s = float(value)
    if (value := _field(body, "timeoutSleepSeconds")) is not None:
        sb.timeout_sleep_s = float(value)
    if (value := _field(body, "accessTokenTtlSeconds")) is not None:
        sb.access_token_ttl_s = int(value)
    if (value := _field(body, "stockxTokenTtlSeconds", "stockx_token_ttl_s")) is not None:
        sb.stockx_token_ttl_s = int(value)
    return {
        "campaignSyncSeconds": sb.campaign_sync_s,
        "timeoutSleepSeconds": sb.timeout_sleep_s,
        "accessTokenTtlSeconds": sb.access_token_ttl_s,
        "stockxTokenTtlSeconds": sb.stockx_token_ttl_s,
    }


def _add_stockx_client(sb: MarketplaceSandbox, body: JSONDict) -> object:
    refresh_token = _field(body, "refreshToken", "refresh_token")
    sb.add_stockx_client(
        str(_field(body, "clientId", "client_id", required=True)),
        str(_field(body, "clientSecret", "client_secret", required=True)),
        str(_field(body, "apiKey", "api_key", required=True)),
        str(refresh_token) if refresh_token is not None else None,
    )
    return {"ok": True}


def _expire_stockx_tokens(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.expire_stockx_tokens()
    return {"ok": True}


def _add_alias_token(sb: MarketplaceSandbox, body: JSONDict) -> object:
    name = _field(body, "name")
    sb.add_alias_token(str(_field(body, "token", required=True)), str(name) if name is not None else None)
    return {"ok": True}


def _revoke_alias_token(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.revoke_alias_token(str(_field(body, "token", required=True)))
    return {"ok": True}


def _tree_id(body: JSONDict) -> str:
    return str(_field(body, "categoryTreeId", "category_tree_id", "treeId", "tree_id", default="0"))


def _category_tree_info(sb: MarketplaceSandbox, tree_id: str) -> JSONDict:
    return {
        "categoryTreeId": tree_id,
        "categoryTreeVersion": sb.category_tree_version(tree_id),
        "leaves": len(sb.leaf_category_ids(tree_id)),
    }


def _use_category_tree(sb: MarketplaceSandbox, body: JSONDict) -> object:
    tree_id = _tree_id(body)
    sb.use_category_tree(
        int(_field(body, "leaves", required=True)), int(_field(body, "seed", default=0)), tree_id=tree_id
    )
    return _category_tree_info(sb, tree_id)


def _category_tree(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return _category_tree_info(sb, _tree_id(body))


def _category_leaves(sb: MarketplaceSandbox, body: JSONDict) -> object:
    raw = _field(body, "withAspects", "with_aspects")
    with_aspects = None if raw in (None, "") else str(raw).lower() in ("1", "true", "yes")
    parent = _field(body, "parent", "parentCategoryId", "parent_category_id")
    return {"categoryIds": sb.leaf_category_ids(_tree_id(body), parent, with_aspects=with_aspects)}


def _use_market_catalog(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.use_market_catalog(int(_field(body, "skus", required=True)), int(_field(body, "seed", default=0)))
    return {"skus": len(sb.market_skus())}


def _market_skus(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return {"skus": sb.market_skus(_field(body, "provider"))}


def _market_product(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return sb.market_product(str(_field(body, "sku", required=True)))


def _market_prices(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return sb.market_prices(str(_field(body, "sku", required=True)), str(_field(body, "size", required=True)))


def _call_counts(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return {"callCounts": sb.call_counts(_field(body, "provider"))}


def _advance_clock(sb: MarketplaceSandbox, body: JSONDict) -> object:
    # Only a ManualClock can be moved; other clocks answer 409 below.
    advance = getattr(sb.clock, "advance", None)
    if advance is None:
        raise LookupError("the sandbox clock cannot be advanced (not a ManualClock)")
    advance(float(_field(body, "seconds", required=True)))
    return {"now": sb.clock.now()}


def _reset_calls(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.reset_calls()
    return {"ok": True}


def _health(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return {"status": "ok", "now": sb.clock.now()}


def _calls(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return {"calls": sb.calls}


def _ads(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return {"ads": sb.ads}


def _tokens_minted(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return {"tokensMinted": sb.tokens_minted}


def _receiver_secrets(sb: MarketplaceSandbox, body: JSONDict) -> object:
    secrets = _field(body, "secrets", required=True)
    if not isinstance(secrets, list) or not all(isinstance(s, str) for s in secrets):
        raise BodyError("secrets must be a list of strings")
    sb.webhooks.set_secrets(str(_field(body, "name", required=True)), secrets)
    return {"ok": True}


def _receiver_fail(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.webhooks.fail(str(_field(body, "name", required=True)), str(_field(body, "mode", default="500")),
                     float(_field(body, "seconds", required=True)))
    return {"ok": True}


def _receiver_recover(sb: MarketplaceSandbox, body: JSONDict) -> object:
    sb.webhooks.recover(str(_field(body, "name", required=True)))
    return {"ok": True}


def _receiver_summary(sb: MarketplaceSandbox, body: JSONDict) -> object:
    return sb.webhooks.summary(str(_field(body, "name", required=True)))


ACTIONS: dict[tuple[str, str], Action] = {
    ("POST", "apps"): _add_app,
    ("POST", "sellers"): _add_seller,
    ("POST", "sellers/revoke"): _revoke,
    ("POST", "tokens/expire"): _expire_tokens,
    ("POST", "listings"): _publish_listing,
    ("POST", "campaigns"): _add_campaign,
    ("POST", "campaigns/end"): _end_campaign,
    ("POST", "faults"): _inject_fault,
    ("POST", "faults/clear"): _clear_faults,
    ("POST", "rate-limits"): _set_rate_limit,
    ("POST", "settings"): _settings,
    ("POST", "clock/advance"): _advance_clock,
    ("POST", "reset-calls"): _reset_calls,
    ("POST", "stockx-clients"): _add_stockx_client,
    ("POST", "stockx-tokens/expire"): _expire_stockx_tokens,
    ("POST", "alias-tokens"): _add_alias_token,
    ("POST", "alias-tokens/revoke"): _revoke_alias_token,
    ("POST", "category-tree"): _use_category_tree,
    ("POST", "market-catalog"): _use_market_catalog,
    ("GET", "health"): _health,
    ("GET", "calls"): _calls,
    ("GET", "ads"): _ads,
    ("GET", "tokens-minted"): _tokens_minted,
    ("GET", "category-tree"): _category_tree,
    ("GET", "category-tree/leaves"): _category_leaves,
    ("GET", "market-skus"): _market_skus,
    ("GET", "market-product"): _market_product,
    ("GET", "market-prices"): _market_prices,
    ("GET", "call-counts"): _call_counts,
    ("POST", "webhook-receivers"): _receiver_secrets,
    ("POST", "webhook-receivers/fail"): _receiver_fail,
    ("POST", "webhook-receivers/recover"): _receiver_recover,
    ("GET", "webhook-receivers"): _receiver_summary,
}


def handle(sb: MarketplaceSandbox, request: httpx.Request) -> httpx.Response:
    name = request.url.path[len(PREFIX) :].strip("/")
    method = "GET" if request.method == "HEAD" else request.method
    action = ACTIONS.get((method, name))
    if action is None:
        if any(key[1] == name for key in ACTIONS):
            return json_response(405, {"error": f"{request.method} not allowed on {request.url.path}"})
        return json_response(404, {"error": f"no control endpoint {request.url.path}"})
    try:
        if method == "POST":
            body = read_json_object(request) if request.content else {}
        else:
            body = dict(request.url.params)
        return json_response(200, action(sb, body))
    except LookupError as exc:
        return json_response(409, {"error": str(exc)})
    except (BodyError, ValueError, TypeError) as exc:
        return json_response(400, {"error": str(exc)})
