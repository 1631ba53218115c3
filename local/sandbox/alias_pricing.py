"""Alias pricing insights: one size's availability, and every size's at once.

Prices are US cents as strings; a figure with no market behind it (no offers for the size, say)
is left out of the object rather than sent as null or zero.
"""

from __future__ import annotations

import httpx

from local.sandbox.alias_catalog import BASE_PATH, GROUP, catalog
from local.sandbox.alias_errors import INVALID_ARGUMENT, NOT_FOUND, error_response
from local.sandbox.market_catalog import MarketProduct, MarketVariant
from local.sandbox.market_prices import (
    ALIAS_CONDITIONS,
    ALIAS_GOOD_BOX,
    ALIAS_NEW,
    ALIAS_PACKAGING,
    alias_availability,
    alias_size_value,
)
from local.sandbox.responses import JSONDict, json_response
from local.sandbox.routing import RequestContext, Route
from local.sandbox.state import SandboxState

_USED = "PRODUCT_CONDITION_USED"


def _product(state: SandboxState, catalog_id: str) -> MarketProduct | httpx.Response:
    product = catalog(state).by_alias_id.get(catalog_id)
    if product is None:
        return error_response(404, f"catalog item {catalog_id} not found", code=NOT_FOUND)
    return product


def _variant_for_size(product: MarketProduct, raw_size: str) -> MarketVariant | httpx.Response:
    try:
        size = float(raw_size)
    except ValueError:
        return error_response(400, "size must be a number", code=INVALID_ARGUMENT)
    for variant in product.variants:
        if variant.us_size == size:
            return variant
    return error_response(404, f"size {raw_size} not found for catalog item", code=NOT_FOUND)


def availability(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    params = {name: ctx.query.get(name, "").strip() for name in
              ("catalog_id", "size", "product_condition", "packaging_condition")}  # fmt: skip
    missing = [name for name, value in params.items() if not value]
    if missing:
        return error_response(400, f"missing required parameter: {missing[0]}", code=INVALID_ARGUMENT)
    if params["product_condition"] not in ALIAS_CONDITIONS:
        return error_response(400, "invalid product_condition", code=INVALID_ARGUMENT)
    if params["packaging_condition"] not in ALIAS_PACKAGING:
        return error_response(400, "invalid packaging_condition", code=INVALID_ARGUMENT)
    product = _product(state, params["catalog_id"])
    if isinstance(product, httpx.Response):
        return product
    variant = _variant_for_size(product, params["size"])
    if isinstance(variant, httpx.Response):
        return variant
    found = alias_availability(variant, ctx.now, params["product_condition"], params["packaging_condition"])
    return json_response(200, {"availability": found})


def availabilities(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    product = _product(state, ctx.path_params["catalog_id"])
    if isinstance(product, httpx.Response):
        return product
    listed: list[JSONDict] = []
    for variant in product.variants:
        for condition in (ALIAS_NEW, _USED):
            found = alias_availability(variant, ctx.now, condition, ALIAS_GOOD_BOX)
            if found:  # sizes nobody trades in that condition are not listed
                listed.append(
                    {
                        "size": alias_size_value(variant),
                        "product_condition": condition,
                        "packaging_condition": ALIAS_GOOD_BOX,
                        "consigned": False,
                        "availability": found,
                    }
                )
    return json_response(200, {"variants": listed})


ROUTES = [
    Route("GET", f"{BASE_PATH}/pricing_insights/availability", "alias_availability", availability, group=GROUP,
          auth="alias", dialect="alias"),
    Route("GET", f"{BASE_PATH}/pricing_insights/availabilities/{{catalog_id}}", "alias_availabilities",
          availabilities, group=GROUP, auth="alias", dialect="alias"),
]  # fmt: skip
