"""StockX catalog and market data: search, a product's variants, and prices per variant.

Search matches a style id ("DD1391-100", spelled with or without the hyphen), a GTIN of any size,
or keywords (every word must appear in the title, brand, colorway or style id). Market data comes
from ``market_prices``: whole-unit amounts as strings, null where a side of the market is empty.
"""

from __future__ import annotations

import httpx

from local.sandbox.market_catalog import MarketCatalog, MarketProduct, MarketVariant, current_catalog, normalize_sku
from local.sandbox.market_prices import STOCKX_RATES, stockx_market_data
from local.sandbox.responses import JSONDict, json_response
from local.sandbox.routing import RequestContext, Route
from local.sandbox.state import SandboxState
from local.sandbox.stockx_errors import error_response

BASE_PATH = "/v2"
GROUP = "stockx"
MAX_QUERY_LENGTH = 100
MAX_PAGE_SIZE = 50
# StockX's documented default page size is 1; clients should always send pageSize.
DEFAULT_PAGE_SIZE = 1

# Nike-style men's US -> EU sizes; women's sizes convert through the men's equivalent.
_EU = {3.5: "35.5", 4: "36", 4.5: "36.5", 5: "37.5", 5.5: "38", 6: "38.5", 6.5: "39", 7: "40", 7.5: "40.5",
       8: "41", 8.5: "42", 9: "42.5", 9.5: "43", 10: "44", 10.5: "44.5", 11: "45", 11.5: "45.5", 12: "46",
       12.5: "47", 13: "47.5", 14: "48.5", 15: "49.5"}  # fmt: skip


def _catalog(state: SandboxState) -> MarketCatalog:
    return current_catalog(state.market_catalog)


def _number(value: float) -> str:
    return str(value).removesuffix(".0")


def _conversions(product: MarketProduct, variant: MarketVariant) -> list[dict[str, str]]:
    default = {"size": variant.size, "type": product.size_chart_type}
    if variant.us_size is None:
        return [default]
    men = variant.us_size - 1.5 if product.gender == "women" else variant.us_size
    found = [
        {"size": _number(men), "type": "us m"},
        {"size": _number(men + 1.5), "type": "us w"},
        {"size": _number(men - (1 if men >= 6 else 0.5)), "type": "uk"},
        {"size": _number(men + 18), "type": "cm"},
    ]
    if men in _EU:
        found.append({"size": _EU[men], "type": "eu"})
    return found


def product_json(product: MarketProduct) -> JSONDict:
    year, month = product.release_date[2:4], int(product.release_date[5:7])
    chart_name = "US W" if product.gender == "women" else "US M"
    chart = {"name": chart_name, "type": product.size_chart_type}
    return {
        "productId": product.stockx_product_id,
        "urlKey": product.url_key,
        "styleId": product.sku,
        "productType": product.product_type,
        "title": product.title,
        "brand": product.brand,
        "productAttributes": {
            "gender": product.gender,
            "season": f"{'SS' if month <= 6 else 'FW'}{year}",
            "releaseDate": product.release_date,
            "retailPrice": product.retail_price,  # a number here, unlike market-data amounts
            "colorway": product.colorway,
            "color": product.color,
        },
        "sizeChart": {"availableConversions": [chart], "defaultConversion": chart},
        "isFlexEligible": any(variant.stockx_flex for variant in product.variants),
        "isDirectEligible": any(variant.stockx_direct for variant in product.variants),
    }


def variant_json(product: MarketProduct, variant: MarketVariant, index: int) -> JSONDict:
    default = {"size": variant.size, "type": product.size_chart_type}
    return {
        "productId": product.stockx_product_id,
        "variantId": variant.stockx_variant_id,
        "variantName": f"{'-'.join(product.title.split())}:{index}",
        "variantValue": variant.size,
        "sizeChart": {"defaultConversion": default, "availableConversions": _conversions(product, variant)},
        "gtins": [{"identifier": variant.gtin, "type": "UPC"}],
        "isFlexEligible": variant.stockx_flex,
        "isDirectEligible": variant.stockx_direct,
    }


def _positive_int(raw: str | None, default: int) -> int | None:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 1 else None


def matching_products(catalog: MarketCatalog, query: str) -> list[MarketProduct]:
    """Exact style-id (or GTIN) matches first, then keyword matches, each in catalog order."""
    on_stockx = [product for product in catalog.products if product.stockx_product_id]
    wanted_sku = normalize_sku(query)
    exact = [product for product in on_stockx if normalize_sku(product.sku) == wanted_sku]
    by_gtin = catalog.by_gtin.get(query)
    if by_gtin is not None and by_gtin[0].stockx_product_id and by_gtin[0] not in exact:
        exact.append(by_gtin[0])
    words = query.lower().split()
    keyword = [
        product
        for product in on_stockx
        if product not in exact
        and all(word in f"{product.title} {product.brand} {product.colorway} {product.sku}".lower() for word in words)
    ]
    return exact + keyword


def search(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    query = ctx.query.get("query", "").strip()
    if not 1 <= len(query) <= MAX_QUERY_LENGTH:
        return error_response(400, f"'query' must be 1 to {MAX_QUERY_LENGTH} characters")
    page_number = _positive_int(ctx.query.get("pageNumber"), 1)
    if page_number is None:
        return error_response(400, "'pageNumber' must be a positive integer")
    page_size = _positive_int(ctx.query.get("pageSize"), DEFAULT_PAGE_SIZE)
    if page_size is None or page_size > MAX_PAGE_SIZE:
        return error_response(400, f"'pageSize' must be between 1 and {MAX_PAGE_SIZE}")
    found = matching_products(_catalog(state), query)
    start = (page_number - 1) * page_size
    page = found[start : start + page_size]
    return json_response(
        200,
        {
            "count": len(found),
            "pageSize": page_size,
            "pageNumber": page_number,
            "hasNextPage": start + page_size < len(found),
            "products": [product_json(product) for product in page],
        },
    )


def _product(state: SandboxState, ctx: RequestContext) -> MarketProduct | httpx.Response:
    product = _catalog(state).by_stockx_id.get(ctx.path_params["product_id"])
    if product is None:
        return error_response(404, "Product not found")
    return product


def variants(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    product = _product(state, ctx)
    if isinstance(product, httpx.Response):
        return product
    return json_response(200, [variant_json(product, variant, index) for index, variant in enumerate(product.variants)])


def _currency(ctx: RequestContext) -> str | httpx.Response:
    currency = ctx.query.get("currencyCode", "USD").strip().upper() or "USD"
    if currency not in STOCKX_RATES:
        return error_response(400, f"'currencyCode' must be one of {', '.join(sorted(STOCKX_RATES))}")
    return currency


def variant_market_data(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    product = _product(state, ctx)
    if isinstance(product, httpx.Response):
        return product
    found = _catalog(state).by_stockx_variant.get(ctx.path_params["variant_id"])
    if found is None:
        return error_response(404, "Variant not found")
    owner, variant = found
    if owner is not product:
        return error_response(400, "Variant does not belong to product")
    currency = _currency(ctx)
    if isinstance(currency, httpx.Response):
        return currency
    return json_response(200, stockx_market_data(product, variant, ctx.now, currency))


def product_market_data(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    product = _product(state, ctx)
    if isinstance(product, httpx.Response):
        return product
    currency = _currency(ctx)
    if isinstance(currency, httpx.Response):
        return currency
    return json_response(200, [stockx_market_data(product, variant, ctx.now, currency) for variant in product.variants])


_PRODUCT = f"{BASE_PATH}/catalog/products/{{product_id}}"

ROUTES = [
    Route("GET", f"{BASE_PATH}/catalog/search", "stockx_search", search, group=GROUP, auth="stockx",
          dialect="stockx"),
    Route("GET", f"{_PRODUCT}/variants", "stockx_variants", variants, group=GROUP, auth="stockx", dialect="stockx"),
    Route("GET", f"{_PRODUCT}/variants/{{variant_id}}/market-data", "stockx_variant_market_data",
          variant_market_data, group=GROUP, auth="stockx", dialect="stockx"),
    Route("GET", f"{_PRODUCT}/market-data", "stockx_product_market_data", product_market_data, group=GROUP,
          auth="stockx", dialect="stockx"),
]  # fmt: skip
