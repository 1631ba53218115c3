"""What tests, benchmarks and the dashboard can ask about the market without calling the APIs.

Answers come from the same data and price model the fakes serve, at the sandbox clock's current
time, so a test can compute what StockX, Alias or a Browse search should report right now.
"""

from __future__ import annotations

from typing import Any

from local.sandbox import ebay_browse
from local.sandbox.market_catalog import MarketProduct, current_catalog
from local.sandbox.market_prices import alias_availability, stockx_market_data
from local.sandbox.state import SandboxState

PROVIDERS = ("stockx", "alias", "ebay")


def listed_on(product: MarketProduct, provider: str) -> bool:
    if provider == "stockx":
        return product.stockx_product_id is not None
    if provider == "alias":
        return product.alias_catalog_id is not None
    if provider == "ebay":
        return product.on_ebay
    raise ValueError(f"unknown provider {provider!r}; use one of {', '.join(PROVIDERS)}")


def skus(state: SandboxState, provider: str | None = None) -> list[str]:
    products = current_catalog(state.market_catalog).products
    return [product.sku for product in products if provider is None or listed_on(product, provider)]


def _product(state: SandboxState, sku: str) -> MarketProduct:
    product = current_catalog(state.market_catalog).by_sku.get(sku)
    if product is None:
        raise KeyError(f"unknown SKU {sku!r}")
    return product


def product_summary(state: SandboxState, sku: str) -> dict[str, Any]:
    """A SKU's identity on each provider, its sizes and barcodes."""
    product = _product(state, sku)
    on_stockx = product.stockx_product_id is not None
    return {
        "sku": product.sku,
        "title": product.title,
        "brand": product.brand,
        "productType": product.product_type,
        "categoryId": product.category_id,
        "epid": product.epid,
        "sizes": [variant.size for variant in product.variants],
        "gtins": {variant.size: variant.gtin for variant in product.variants},
        "stockxProductId": product.stockx_product_id,
        "stockxVariantIds": {variant.size: variant.stockx_variant_id for variant in product.variants}
        if on_stockx
        else {},
        "aliasCatalogId": product.alias_catalog_id,
        "onEbay": product.on_ebay,
    }


def prices_now(state: SandboxState, sku: str, size: str) -> dict[str, Any]:
    """StockX market data (USD), Alias availability (new, good box) and the size's eBay listing
    prices (lowest first) at the current clock time; None for a provider that lacks the SKU."""
    product = _product(state, sku)
    variant = product.variant(size)
    if variant is None:
        raise KeyError(f"SKU {sku!r} has no size {size!r}")
    now = state.now()
    index = ebay_browse.listing_index(state)
    listings = [index.listings[i] for i in index.by_size.get((sku, size), [])]
    return {
        "stockx": stockx_market_data(product, variant, now, "USD") if product.stockx_product_id else None,
        "alias": alias_availability(variant, now) if product.alias_catalog_id else None,
        "ebay": sorted((ebay_browse.listing_price(listing, now) for listing in listings), key=float),
    }
