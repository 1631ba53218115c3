"""Market prices on the sandbox clock: what StockX, Alias and eBay listings ask for a size right now.

Every size has a fair value that drifts slowly (a weekly swing of about ±6% plus a daily one of
about ±2.5%), so a refresh an hour or a day later sees different numbers, while any two sandboxes
with the same seed and clock agree to the cent. Each provider derives its own figures from that
value in its own units: StockX whole currency units as strings, Alias US cents as strings, eBay
decimal strings.
"""

from __future__ import annotations

import math
from typing import Any

from local.sandbox.market_catalog import MarketProduct, MarketVariant

_WEEK_S = 7 * 86_400
_DAY_S = 86_400

# Fixed conversion rates for StockX's currencyCode; the sandbox needs plausible, stable numbers.
STOCKX_RATES: dict[str, float] = {
    "USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CAD": 1.36, "AUD": 1.52, "JPY": 150.0, "CHF": 0.88, "HKD": 7.8,
    "SGD": 1.34, "NZD": 1.64, "MXN": 17.0, "KRW": 1330.0,
}  # fmt: skip

# Alias enums, and how condition and packaging move a price (relative to new in a good box).
ALIAS_CONDITIONS = {"PRODUCT_CONDITION_NEW": 1.0, "PRODUCT_CONDITION_USED": 0.65,
                    "PRODUCT_CONDITION_NEW_WITH_DEFECTS": 0.8}  # fmt: skip
ALIAS_PACKAGING = {"PACKAGING_CONDITION_GOOD_CONDITION": 1.0, "PACKAGING_CONDITION_MISSING_LID": 0.95,
                   "PACKAGING_CONDITION_BADLY_DAMAGED": 0.9, "PACKAGING_CONDITION_NO_ORIGINAL_BOX": 0.88}  # fmt: skip
ALIAS_NEW = "PRODUCT_CONDITION_NEW"
ALIAS_GOOD_BOX = "PACKAGING_CONDITION_GOOD_CONDITION"


def fair_value(variant: MarketVariant, now: float) -> float:
    """The size's USD market value at clock time ``now``."""
    weekly = 0.06 * math.sin(2 * math.pi * now / _WEEK_S + variant.week_phase)
    daily = 0.025 * math.sin(2 * math.pi * now / _DAY_S + variant.day_phase)
    return variant.base_price * (1 + weekly + daily)


def _whole(amount: float) -> int:
    return max(1, round(amount))


def _money(amount: int | None) -> str | None:
    return None if amount is None else str(amount)


def stockx_market_data(product: MarketProduct, variant: MarketVariant, now: float, currency: str) -> dict[str, Any]:
    """A StockX MarketData object; amounts are strings in whole ``currency`` units, or null."""
    assert product.stockx_product_id is not None
    rate = STOCKX_RATES[currency]
    value = fair_value(variant, now) * rate
    ask = _whole(value) if variant.stockx_asks else None
    bid = _whole(value * variant.bid_ratio) if variant.stockx_bids else None
    flex_ask = _whole(value * 0.97) if variant.stockx_flex else None
    direct_ask = _whole(value * 1.02) if variant.stockx_direct else None
    standard = _stockx_tier(ask, bid, currency)
    return {
        "productId": product.stockx_product_id,
        "variantId": variant.stockx_variant_id,
        "currencyCode": currency,
        "lowestAskAmount": standard["lowestAsk"],
        "highestBidAmount": standard["highestBidAmount"],
        "sellFasterAmount": standard["sellFaster"],
        "earnMoreAmount": standard["earnMore"],
        "flexLowestAskAmount": _money(flex_ask),
        "standardMarketData": standard,
        "flexMarketData": _stockx_tier(flex_ask, bid, currency),
        "directMarketData": _stockx_tier(direct_ask, bid if direct_ask is not None else None, currency),
    }


def _stockx_tier(ask: int | None, bid: int | None, currency: str) -> dict[str, str | None]:
    # Undercutting the lowest ask by one sells faster; asking ~6% more earns more but waits longer.
    sell_faster = None if ask is None else max(ask - 1, (bid or 0) + 1)
    earn_more = None if ask is None else _whole(ask * 1.06)
    # beatUS helps non-US sellers undercut US asks; meaningless for USD.
    beat_us = None if ask is None or currency == "USD" else _whole(ask * 0.99)
    return {
        "lowestAsk": _money(ask),
        "highestBidAmount": _money(bid),
        "sellFaster": _money(sell_faster),
        "earnMore": _money(earn_more),
        "beatUS": _money(beat_us),
    }


def alias_availability(
    variant: MarketVariant, now: float, condition: str = ALIAS_NEW, packaging: str = ALIAS_GOOD_BOX
) -> dict[str, str]:
    """Alias's availability object: US cents as strings; fields with no market data are absent."""
    new_in_box = condition == ALIAS_NEW and packaging == ALIAS_GOOD_BOX
    if not new_in_box and not variant.alias_used:
        return {}  # nobody lists this size in that condition
    factor = ALIAS_CONDITIONS[condition] * ALIAS_PACKAGING[packaging]
    value = fair_value(variant, now) * factor
    found: dict[str, str] = {}
    if variant.alias_listings:
        found["lowest_listing_price_cents"] = str(_whole(value * 1.03) * 100)
    if variant.alias_offers:
        found["highest_offer_price_cents"] = str(_whole(value * variant.offer_ratio) * 100)
    if variant.alias_listings or variant.alias_offers:
        # The last sale happened a while ago, at the value the size had then.
        then = fair_value(variant, now - variant.last_sale_lag_s) * factor
        found["last_sold_listing_price_cents"] = str(_whole(then) * 100)
        found["global_indicator_price_cents"] = str(_whole(value * 1.01) * 100)
    return found


def alias_size_value(variant: MarketVariant) -> float | int:
    """Sizes are JSON numbers on Alias: 10 and 10.5, not "10"."""
    assert variant.us_size is not None
    return int(variant.us_size) if variant.us_size.is_integer() else variant.us_size


def ebay_price(variant: MarketVariant, now: float, factor: float, ending: str) -> str:
    """A seller's asking price: the fair value times their markup, with a retail-style ending."""
    dollars = max(1, math.floor(fair_value(variant, now) * factor))
    return f"{dollars}.{ending}"
