"""Alias (GOAT) catalog search: ``GET /api/v1/catalog?query=&limit=&pagination_token=``.

Alias pages with opaque tokens rather than offsets: a page that is not the last carries
``has_more: true`` and the ``next_pagination_token`` to send back. The sandbox's token encodes
the next position and the query it belongs to, so a token replayed with another query is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import httpx

from local.sandbox.alias_errors import INVALID_ARGUMENT, error_response
from local.sandbox.market_catalog import MarketCatalog, MarketProduct, current_catalog, normalize_sku
from local.sandbox.market_prices import alias_size_value
from local.sandbox.responses import JSONDict, json_response
from local.sandbox.routing import RequestContext, Route
from local.sandbox.state import SandboxState

BASE_PATH = "/api/v1"
GROUP = "alias"
# Alias documents the default page size as "the maximum"; the number itself is unpublished.
MAX_LIMIT = 50


def catalog(state: SandboxState) -> MarketCatalog:
    return current_catalog(state.market_catalog)


def alias_sku(product: MarketProduct) -> str:
    """Alias writes style ids with a space where StockX and sellers use a hyphen ("DD1391 100")."""
    return product.sku.replace("-", " ")


def catalog_item_json(product: MarketProduct) -> JSONDict:
    assert product.alias_catalog_id is not None
    return {
        "catalog_id": product.alias_catalog_id,
        "name": product.quoted_name,
        "sku": alias_sku(product),
        "brand": "Air Jordan" if product.brand == "Jordan" else product.brand,
        "gender": product.gender,
        "release_date": product.release_date,
        "product_category": "shoes",
        "product_category_v2": "shoes",
        "product_type": "sneakers",
        "size_unit": "SIZE_UNIT_US",
        "allowed_sizes": [
            {
                "display_name": variant.size,
                "value": alias_size_value(variant),
                "us_size_equivalent": alias_size_value(variant),
            }
            for variant in product.variants
        ],
        "minimum_listing_price_cents": "2500",
        "maximum_listing_price_cents": "200000",
        "main_picture_url": f"https://image.goat.com/750/attachments/product_template_pictures/images/{product.alias_catalog_id}.png",
        "retail_price_cents": str(product.retail_price * 100),
        "colorway": product.colorway,
        "nickname": product.nickname,
        "requires_listing_pictures": False,
        "resellable": True,
    }


def _matches(catalog_: MarketCatalog, query: str) -> list[MarketProduct]:
    on_alias = [product for product in catalog_.products if product.alias_catalog_id]
    wanted_sku = normalize_sku(query)
    exact = [product for product in on_alias if normalize_sku(product.sku) == wanted_sku]
    words = query.lower().split()
    keyword = [
        product
        for product in on_alias
        if product not in exact
        and all(
            word in f"{product.quoted_name} {product.brand} {product.colorway} {alias_sku(product)}".lower()
            for word in words
        )
    ]
    return exact + keyword


def _query_digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:12]


def _encode_token(offset: int, query: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{_query_digest(query)}".encode()).decode().rstrip("=")


def _decode_token(token: str, query: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    offset, sep, digest = raw.partition(":")
    if not sep or digest != _query_digest(query) or not offset.isdigit():
        return None
    return int(offset)


def search_catalog(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    query = ctx.query.get("query", "").strip()
    if not query:
        return error_response(400, "query is required", code=INVALID_ARGUMENT)
    raw_limit = ctx.query.get("limit", "")
    try:
        limit = int(raw_limit) if raw_limit else MAX_LIMIT
    except ValueError:
        limit = 0
    if limit < 1:
        return error_response(400, "limit must be a positive integer", code=INVALID_ARGUMENT)
    limit = min(limit, MAX_LIMIT)  # larger pages are quietly capped
    offset = 0
    token = ctx.query.get("pagination_token", "")
    if token:
        decoded = _decode_token(token, query)
        if decoded is None:
            return error_response(400, "invalid pagination token", code=INVALID_ARGUMENT)
        offset = decoded
    found = _matches(catalog(state), query)
    page = found[offset : offset + limit]
    has_more = offset + limit < len(found)
    body: JSONDict = {"catalog_items": [catalog_item_json(product) for product in page], "has_more": has_more}
    if has_more:
        body["next_pagination_token"] = _encode_token(offset + limit, query)
    return json_response(200, body)


ROUTES = [
    Route("GET", f"{BASE_PATH}/catalog", "alias_catalog", search_catalog, group=GROUP, auth="alias", dialect="alias"),
]
