"""Alias (GOAT) API: a style id's lowest listing, highest offer and last sale for one size.

Alias knows a product by its ``catalog_id`` and lists the sizes it trades. The first quote for a
style id searches the catalog for it; the ``CatalogCache`` keeps the id and the sizes, so every
later quote is one pricing call — and a size Alias does not trade is refused without any call.
Prices are US cents as strings, and a figure with no market behind it is left out.

Auth is a personal access token as a bearer token: nothing to refresh, so a 401 means the token
was revoked or is wrong, and only a new secret helps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote as quote_path

import httpx

from sellerjobs.market.job import Provider, Quote
from sellerjobs.market.quotes import CallGate, CatalogCache, ProviderAuthError, ProviderNotFound, ProviderTransient
from sellerjobs.providers.amounts import highest, lowest, parse_cents, size_key, style_key
from sellerjobs.providers.credentials import AliasCredentials
from sellerjobs.providers.http import checked, json_object, send

NAME = "Alias"
BASE = "/api/v1"
CURRENCY = "USD"  # Alias prices everything in US cents
CATALOG_LIMIT = 10
# The figures other providers quote are for new pairs in a good box; Alias prices every condition.
NEW = "PRODUCT_CONDITION_NEW"
GOOD_BOX = "PACKAGING_CONDITION_GOOD_CONDITION"


@dataclass
class AliasClient:
    http: httpx.Client  # base URL ALIAS_BASE_URL, e.g. https://api.alias.org
    credentials: Callable[[], AliasCredentials]
    catalog: CatalogCache
    provider: Provider = field(default=Provider.ALIAS, init=False)

    def quote(self, sku: str, size: str | None, gate: CallGate) -> Quote:
        token = _load(self.credentials)
        size = size or None  # "" is "any size", as the job key (dedupe_key) has it
        entry = _cached(self.catalog.get(Provider.ALIAS, sku))
        if entry is None:
            entry = self._find_item(sku, token, gate)
            self.catalog.put(Provider.ALIAS, sku, entry)
        catalog_id = str(entry["catalogId"])
        if size is None:
            return self._any_size(catalog_id, token, gate)

        key = size_key(size)
        value = entry["sizes"].get(key) if key else None
        if not isinstance(value, str):
            raise ProviderNotFound(f"Alias does not trade size {size!r} of {sku}")
        params = {"catalog_id": catalog_id, "size": value, "product_condition": NEW, "packaging_condition": GOOD_BOX}
        body = json_object(self._get(f"{BASE}/pricing_insights/availability", params, token, gate), NAME)
        availability = body.get("availability")
        figures = availability if isinstance(availability, dict) else {}  # no market at all: no figures
        return Quote(
            currency=CURRENCY,
            lowest_ask=parse_cents(figures.get("lowest_listing_price_cents")),
            highest_bid=parse_cents(figures.get("highest_offer_price_cents")),
            last_sale=parse_cents(figures.get("last_sold_listing_price_cents")),
            extra={"globalIndicator": parse_cents(figures.get("global_indicator_price_cents"))},
            reference=catalog_id,
        )

    def _find_item(self, sku: str, token: str, gate: CallGate) -> dict[str, Any]:
        """{"catalogId", "sizes": {size key: the size as Alias wants it sent}} for the style id."""
        if not sku.strip():
            raise ProviderNotFound("an empty style id is not in Alias's catalog")
        body = json_object(self._get(f"{BASE}/catalog", {"query": sku.strip(), "limit": str(CATALOG_LIMIT)},
                                     token, gate), NAME)
        items = body.get("catalog_items")
        if not isinstance(items, list):
            raise ProviderTransient("Alias's catalog answer had no catalog_items list")
        # Alias writes style ids with a space ("DD1391 100"); the search also returns keyword hits.
        wanted = style_key(sku)
        for item in items:
            if (isinstance(item, dict) and isinstance(item.get("catalog_id"), str) and item["catalog_id"]
                    and style_key(str(item.get("sku") or "")) == wanted):
                return {"catalogId": item["catalog_id"], "sizes": _sizes(item.get("allowed_sizes"))}
        raise ProviderNotFound(f"Alias lists no catalog item with style id {sku}")

    def _any_size(self, catalog_id: str, token: str, gate: CallGate) -> Quote:
        """Any size: the lowest listing and the highest offer over the sizes traded new in a good box.

        There is no last sale: the sizes' last sales carry no dates to say which was the latest.
        """
        path = f"{BASE}/pricing_insights/availabilities/{quote_path(catalog_id, safe='')}"
        variants = json_object(self._get(path, None, token, gate), NAME).get("variants")
        figures = [variant["availability"] for variant in (variants if isinstance(variants, list) else [])
                   if isinstance(variant, dict) and isinstance(variant.get("availability"), dict)
                   and variant.get("product_condition") == NEW and variant.get("packaging_condition") == GOOD_BOX]
        extra: dict[str, Decimal | None] = {"globalIndicator": None}
        return Quote(
            currency=CURRENCY,
            lowest_ask=lowest(parse_cents(found.get("lowest_listing_price_cents")) for found in figures),
            highest_bid=highest(parse_cents(found.get("highest_offer_price_cents")) for found in figures),
            last_sale=None,
            extra=extra,
            reference=catalog_id,
        )

    def _get(self, path: str, params: dict[str, str] | None, token: str, gate: CallGate) -> httpx.Response:
        response = send(self.http, gate, NAME, "GET", path, params=params,
                        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        return checked(response, NAME)


def _load(credentials: Callable[[], AliasCredentials]) -> str:
    try:
        return credentials().token
    except ValueError as exc:  # missing or malformed secret: its message names the key, not the value
        raise ProviderAuthError(f"Alias credentials unusable: {exc}") from exc


def _cached(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """A cache entry we can use, or None (treated as a miss) for one in an unexpected shape."""
    if (not isinstance(entry, dict) or not isinstance(entry.get("catalogId"), str) or not entry["catalogId"]
            or not isinstance(entry.get("sizes"), dict)):
        return None
    return entry


def _sizes(allowed: object) -> dict[str, str]:
    """Every way a seller may write each allowed size -> the number Alias expects back ("10.5").

    Sizes are JSON numbers (``{"display_name": "10.5", "value": 10.5}``), so "10" and 10.0 are one
    size; the display name also counts, for sizes that are not plain numbers.
    """
    found: dict[str, str] = {}
    for size in allowed if isinstance(allowed, list) else []:
        value = size.get("value") if isinstance(size, dict) else size
        sent = size_key(value)
        if sent is None:
            continue
        found.setdefault(sent, sent)
        if isinstance(size, dict) and (shown := size_key(size.get("display_name"))) is not None:
            found.setdefault(shown, sent)
    return found
