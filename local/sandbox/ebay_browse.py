"""Buy Browse: ``item_summary/search`` over the market catalog's active eBay listings.

Supports what a price lookup needs: ``q`` (space-separated words are ANDed, ``(a, b)`` ORs them),
``gtin``, ``epid``, ``category_ids`` (a category matches its whole subtree), the ``price``,
``priceCurrency``, ``conditionIds``, ``conditions``, ``buyingOptions`` and ``sellers`` filters,
``sort`` by price or listing date, and limit/offset paging with href/next/prev links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import httpx

from local.sandbox.browse_listings import (
    NEW_CONDITION_IDS,
    USED_CONDITION_IDS,
    BrowseListing,
    ListingIndex,
    listings_for,
)
from local.sandbox.category_tree import US_TREE_ID, CategoryTree
from local.sandbox.ebay_errors import error_response
from local.sandbox.ebay_marketing import page_links
from local.sandbox.ebay_oauth import SCOPE_PUBLIC
from local.sandbox.ebay_taxonomy import served_tree
from local.sandbox.market_catalog import current_catalog
from local.sandbox.market_prices import ebay_price
from local.sandbox.responses import JSONDict, base_url, json_response
from local.sandbox.routing import RequestContext, Route
from local.sandbox.state import APPLICATION_TOKEN, USER_TOKEN, SandboxState

BASE_PATH = "/buy/browse/v1"
GROUP = "browse"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 10_000
# The contract: "Currently, you can pass in only one category ID per request."
MAX_CATEGORIES = 1
_SORTS = frozenset({"price", "-price", "newlyListed"})


@dataclass(frozen=True)
class _Filters:
    price: tuple[Decimal | None, Decimal | None] | None = None
    condition_ids: frozenset[str] | None = None
    buying_options: frozenset[str] | None = None
    sellers: frozenset[str] | None = None


def listing_index(state: SandboxState) -> ListingIndex:
    return listings_for(current_catalog(state.market_catalog))


def listing_price(listing: BrowseListing, now: float) -> str:
    return ebay_price(listing.variant, now, listing.price_factor, listing.price_ending)


def _split_filter(raw: str) -> list[str]:
    """Split on commas that are not inside {...} or [...] (value lists and ranges)."""
    parts, depth, current = [], 0, ""
    for char in raw:
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _set_values(value: str) -> frozenset[str] | None:
    match = re.fullmatch(r"\{([^{}]*)\}", value.strip())
    if match is None:
        return None
    values = frozenset(part.strip() for part in match.group(1).split("|") if part.strip())
    return values or None


def _parse_filters(raw: str | None) -> _Filters | httpx.Response:
    """The filters the sandbox models; unknown filter names are ignored, as eBay ignores them."""
    if not raw:
        return _Filters()
    fields: dict[str, str] = {}
    for part in _split_filter(raw):
        name, sep, value = part.partition(":")
        if not sep:
            return error_response(400, 12002, filterName=name)
        fields[name.strip()] = value.strip()

    price = None
    if "price" in fields:
        match = re.fullmatch(r"\[\s*([\d.]*)\s*\.\.\s*([\d.]*)\s*\]", fields["price"])
        if match is None or not (match.group(1) or match.group(2)):
            return error_response(400, 12002, filterName="price")
        try:
            bounds = tuple(Decimal(bound) if bound else None for bound in match.groups())
        except InvalidOperation:
            return error_response(400, 12002, filterName="price")
        if fields.get("priceCurrency") != "USD":  # every sandbox listing is in USD
            return error_response(400, 12012, parameters=False)
        price = (bounds[0], bounds[1])

    condition_ids = None
    if "conditionIds" in fields:
        condition_ids = _set_values(fields["conditionIds"])
        if condition_ids is None or not all(value.isdigit() for value in condition_ids):
            return error_response(400, 12002, filterName="conditionIds")
    if "conditions" in fields:
        named = _set_values(fields["conditions"])
        if named is None or named - {"NEW", "USED", "UNSPECIFIED"}:
            return error_response(400, 12002, filterName="conditions")
        from_names = (NEW_CONDITION_IDS if "NEW" in named else frozenset()) | (
            USED_CONDITION_IDS if "USED" in named else frozenset()
        )
        condition_ids = from_names if condition_ids is None else condition_ids & from_names

    buying_options = None
    if "buyingOptions" in fields:
        buying_options = _set_values(fields["buyingOptions"])
        if buying_options is None or buying_options - {"FIXED_PRICE", "AUCTION", "BEST_OFFER", "CLASSIFIED_AD"}:
            return error_response(400, 12002, filterName="buyingOptions")
    sellers = _set_values(fields["sellers"]) if "sellers" in fields else None
    if "sellers" in fields and sellers is None:
        return error_response(400, 12002, filterName="sellers")
    return _Filters(price, condition_ids, buying_options, sellers)


def _keyword_matches(index: ListingIndex, q: str) -> set[int]:
    """Listings matching ``q``: all words (AND), or any of ``(a, b)`` (OR)."""
    q = q.strip()
    match = re.fullmatch(r"\((.*)\)", q)
    if match is not None and "," in match.group(1):
        found: set[int] = set()
        for alternative in match.group(1).split(","):
            found |= _all_words(index, alternative)
        return found
    return _all_words(index, q)


def _all_words(index: ListingIndex, text: str) -> set[int]:
    words = [word for word in text.lower().split() if word.strip("'\"()[],.!:;")]
    if not words:
        return set()
    result: set[int] | None = None
    for word in words:
        # A word like "dd1391-100" must match as a whole, not as any of its parts.
        cleaned = word.strip("'\"()[],.!:;")
        hits = index.tokens.get(cleaned, set())
        result = set(hits) if result is None else result & hits
        if not result:
            return set()
    return result or set()


def _in_categories(tree: CategoryTree | None, leaf: str, wanted: set[str]) -> bool:
    if leaf in wanted:
        return True
    if tree is None or leaf not in tree.nodes:
        return False
    return any(ancestor.category_id in wanted for ancestor in tree.ancestors(leaf))


def _parse_int(raw: str | None, default: int) -> int | None:
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        return None


def search_item_summaries(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    query = ctx.query
    q, gtin, epid = query.get("q", "").strip(), query.get("gtin", "").strip(), query.get("epid", "").strip()
    raw_categories = query.get("category_ids", "").strip()
    if not (q or gtin or epid or raw_categories):
        return error_response(400, 12001, parameters=False)

    limit = _parse_int(query.get("limit"), DEFAULT_LIMIT)
    if limit is None:
        return error_response(400, 12007, parameters=False)
    if not 1 <= limit <= MAX_LIMIT:
        return error_response(400, 12006, parameters=False)
    offset = _parse_int(query.get("offset"), 0)
    if offset is None:
        return error_response(400, 12005, parameters=False)
    if offset < 0:
        return error_response(400, 12004, parameters=False)
    if offset >= MAX_OFFSET:
        return error_response(400, 12029, parameters=False)
    sort = query.get("sort")
    if sort is not None and sort not in _SORTS:
        return error_response(400, 12008, parameters=False)
    filters = _parse_filters(query.get("filter"))
    if isinstance(filters, httpx.Response):
        return filters

    categories = {part.strip() for part in raw_categories.split(",") if part.strip()}
    if any(not category.isdigit() for category in categories):
        return error_response(400, 12009, parameters=False)
    if len(categories) > MAX_CATEGORIES:
        return error_response(400, 12030, allowedMaxCategories=MAX_CATEGORIES)
    if gtin and not (gtin.isdigit() and 8 <= len(gtin) <= 14):
        return error_response(400, 12022, gtin=gtin)
    if epid and not epid.isdigit():
        return error_response(400, 12021, epid=epid)

    found_tree = served_tree(state, US_TREE_ID)
    tree = found_tree[0] if found_tree is not None else None
    # Browsing a whole top-level category with nothing else to narrow it is refused (409 12013).
    top_level_only = tree is not None and not (q or gtin or epid) and any(
        tree.nodes[category].level == 1 for category in categories if category in tree.nodes
    )
    if top_level_only:
        return error_response(409, 12013, parameters=False)

    index = listing_index(state)
    candidates: set[int] | None = None
    for wanted in (
        _keyword_matches(index, q) if q else None,
        index.by_gtin.get(gtin, set()) if gtin else None,
        index.by_epid.get(epid, set()) if epid else None,
    ):
        if wanted is not None:
            candidates = set(wanted) if candidates is None else candidates & wanted
    picked = [index.listings[i] for i in sorted(candidates)] if candidates is not None else list(index.listings)

    now = ctx.now
    matches: list[tuple[BrowseListing, Decimal]] = []
    for listing in picked:
        if categories and not _in_categories(tree, listing.product.category_id, categories):
            continue
        price = Decimal(listing_price(listing, now))
        if not _passes(listing, price, filters):
            continue
        matches.append((listing, price))

    if sort == "price":
        matches.sort(key=lambda match: (match[1], match[0].legacy_id))
    elif sort == "-price":
        matches.sort(key=lambda match: (-match[1], match[0].legacy_id))
    elif sort == "newlyListed":
        matches.sort(key=lambda match: (-match[0].created_at, match[0].legacy_id))

    page = matches[offset : offset + limit]
    body: JSONDict = page_links(ctx, limit, offset, len(matches))
    if page:  # eBay leaves itemSummaries out entirely when nothing matched
        body["itemSummaries"] = [_summary_json(ctx, tree, listing, price) for listing, price in page]
    return json_response(200, body)


def _passes(listing: BrowseListing, price: Decimal, filters: _Filters) -> bool:
    if filters.price is not None:
        low, high = filters.price
        if (low is not None and price < low) or (high is not None and price > high):
            return False
    if filters.condition_ids is not None and listing.condition_id not in filters.condition_ids:
        return False
    if filters.buying_options is not None and not filters.buying_options & set(listing.buying_options):
        return False
    return filters.sellers is None or listing.seller in filters.sellers


def _summary_json(ctx: RequestContext, tree: CategoryTree | None, listing: BrowseListing, price: Decimal) -> JSONDict:
    category_id = listing.product.category_id
    categories = [{"categoryId": category_id, "categoryName": _category_name(tree, category_id)}]
    if tree is not None and category_id in tree.nodes:
        categories += [
            {"categoryId": ancestor.category_id, "categoryName": ancestor.name}
            for ancestor in tree.ancestors(category_id)
        ]
    image = f"https://i.ebayimg.com/images/g/{listing.image_key}/s-l225.jpg"
    data: JSONDict = {
        "itemId": listing.item_id,
        "title": listing.title,
        "leafCategoryIds": [category_id],
        "categories": categories,
        "image": {"imageUrl": image},
        "price": {"value": f"{price:.2f}", "currency": "USD"},
        "itemHref": f"{base_url(ctx.request)}{BASE_PATH}/item/v1%7C{listing.legacy_id}%7C0",
        "seller": {
            "username": listing.seller,
            "feedbackPercentage": listing.feedback_percentage,
            "feedbackScore": listing.feedback_score,
        },
        "condition": listing.condition,
        "conditionId": listing.condition_id,
        "thumbnailImages": [{"imageUrl": image.replace("s-l225", "s-l140")}],
        "shippingOptions": [
            {"shippingCostType": "FIXED", "shippingCost": {"value": listing.shipping_cost, "currency": "USD"}}
        ],
        "buyingOptions": list(listing.buying_options),
        "itemWebUrl": f"https://www.ebay.com/itm/{listing.legacy_id}",
        "itemLocation": {"postalCode": listing.postal_code, "country": "US"},
        "adultOnly": False,
        "legacyItemId": listing.legacy_id,
        "availableCoupons": False,
        "itemCreationDate": datetime.fromtimestamp(listing.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "topRatedBuyingExperience": listing.top_rated,
        "listingMarketplaceId": "EBAY_US",
    }
    if listing.with_epid:
        data["epid"] = listing.product.epid
    return data


def _category_name(tree: CategoryTree | None, category_id: str) -> str:
    node = tree.nodes.get(category_id) if tree is not None else None
    return node.name if node is not None else ""


ROUTES = [
    Route(
        "GET",
        f"{BASE_PATH}/item_summary/search",
        "search_item_summaries",
        search_item_summaries,
        group=GROUP,
        auth="bearer",
        dialect="ebay_browse",
        scopes=frozenset({SCOPE_PUBLIC}),
        token_types=frozenset({APPLICATION_TOKEN, USER_TOKEN}),
    ),
]
