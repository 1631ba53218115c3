"""eBay Browse: the cheapest active listing of a style id in one size — one search per quote.

Browse has no market data, only listings, so the "lowest ask" is the lowest asking price among
active listings that are for this style id and size. eBay knows nothing of sizes for a keyword
search (aspect filters need a category and listings with item specifics, which resellers often
leave out), but sneaker sellers write the size in the title ("... DD1391-100 Size 10",
"... Mens Sz 10.5 NEW DS"). So the size goes into the keywords, which narrows eBay's answer to
listings that mention it, and each title is then read for the size it actually states: a
"Size 11" listing of a Jordan 10 also mentions "10". A listing that names no size cannot be
told apart from any other size and does not count (except for a quote of any size).

By default only new listings count (``conditions:{NEW}``): the figure sits beside StockX's and
Alias's, which are for new pairs, and a worn pair at half price would undercut all of them.

The search uses the application token; a 401 (expired early, revoked) drops it and the search
is sent once more with a new one. Minting goes through the eBay OAuth budget, not the gate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import httpx

from sellerjobs.ebay.credentials import APP_SCOPE
from sellerjobs.ebay.oauth import APP
from sellerjobs.jobs.marketplace import MarketplaceAuthError, MarketplaceThrottled, MarketplaceTransient
from sellerjobs.jobs.rate_budget import RateLimited
from sellerjobs.market.job import Provider, Quote
from sellerjobs.market.quotes import (
    CallGate,
    OutOfBudget,
    ProviderAuthError,
    ProviderNotFound,
    ProviderThrottled,
    ProviderTransient,
)
from sellerjobs.providers.amounts import parse_amount, size_key
from sellerjobs.providers.http import checked, json_object, send

NAME = "eBay Browse"
SEARCH_PATH = "/buy/browse/v1/item_summary/search"
# The size is read from the first "Size 10" / "Sz 10.5" / "US 9" / "Size 5Y" / "Size M" in a title.
_NUMERIC_SIZE = re.compile(r"\b(?:size|sz|us)[\s.:#-]*(\d{1,2}(?:\.\d)?)(y|c)?(?!\d|\.\d)", re.IGNORECASE)
_LETTER_SIZE = re.compile(r"\b(?:size|sz)[\s.:#-]+(\d?x{0,3}[sml])\b", re.IGNORECASE)


class AppTokens(Protocol):
    """What ``sellerjobs.ebay.oauth.TokenProvider`` offers for application tokens."""

    def app_token(self, scope: str) -> str: ...

    def invalidate(self, owner: str, scope: str) -> None: ...


@dataclass(frozen=True)
class _Listing:
    item_id: str
    price: Decimal
    currency: str


@dataclass
class EbayBrowseClient:
    http: httpx.Client  # base URL EBAY_API_BASE_URL
    tokens: AppTokens
    marketplace_id: str = "EBAY_US"
    new_only: bool = True
    limit: int = 50  # listings read per search, cheapest first; Browse allows up to 200
    provider: Provider = field(default=Provider.EBAY, init=False)

    def quote(self, sku: str, size: str | None, gate: CallGate) -> Quote:
        if not sku.strip():
            raise ProviderNotFound("an empty style id matches no eBay listing")
        size = size or None  # "" is "any size", as the job key (dedupe_key) has it
        wanted = size_key(size) if size is not None else None
        if size is not None and wanted is None:
            raise ProviderNotFound(f"{size!r} is not a size")
        params = {"q": sku.strip() if wanted is None else f"{sku.strip()} {wanted}", "sort": "price",
                  "limit": str(self.limit)}
        if self.new_only:
            params["filter"] = "conditions:{NEW}"
        body = json_object(self._search(params, gate), NAME)
        summaries = body.get("itemSummaries")  # left out entirely when nothing matched
        listings = [listing for summary in (summaries if isinstance(summaries, list) else [])
                    if (listing := _listing(summary, wanted)) is not None]
        if not listings:
            where = f" in size {size}" if size is not None else ""
            raise ProviderNotFound(f"no active eBay listing of {sku}{where}")
        # Prices in different currencies do not compare; eBay sorted by price, so the first one sets it.
        currency = listings[0].currency
        cheapest = min((listing for listing in listings if listing.currency == currency),
                       key=lambda listing: listing.price)
        return Quote(currency=currency, lowest_ask=cheapest.price, reference=cheapest.item_id)

    def _search(self, params: dict[str, str], gate: CallGate) -> httpx.Response:
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self._token()}", "X-EBAY-C-MARKETPLACE-ID": self.marketplace_id,
                       "Accept": "application/json"}
            response = send(self.http, gate, NAME, "GET", SEARCH_PATH, params=params, headers=headers)
            if response.status_code == 401 and attempt == 0:
                self.tokens.invalidate(APP, APP_SCOPE)  # expired early or revoked: mint once more
                continue
            return checked(response, NAME)
        raise AssertionError("unreachable")

    def _token(self) -> str:
        """The application token, with the eBay OAuth client's failures in provider terms."""
        try:
            return self.tokens.app_token(APP_SCOPE)
        except MarketplaceAuthError as exc:
            raise ProviderAuthError(f"no eBay application token: {exc}") from exc
        except MarketplaceThrottled as exc:
            raise ProviderThrottled(f"eBay's token endpoint is throttling us: {exc}") from exc
        except MarketplaceTransient as exc:
            raise ProviderTransient(f"could not get an eBay application token: {exc}") from exc
        except RateLimited as exc:
            # Our own eBay OAuth budget is spent: like an empty gate, wait for the next window.
            raise OutOfBudget(f"no eBay token mint left in our budget: {exc}") from exc


def _listing(summary: object, wanted: str | None) -> _Listing | None:
    """The listing if it is usable and (when a size is wanted) its title states that size."""
    if not isinstance(summary, dict) or not isinstance(summary.get("itemId"), str):
        return None
    price = summary.get("price")
    if not isinstance(price, dict):
        return None
    value = parse_amount(price.get("value"))
    currency = price.get("currency")
    if value is None or not isinstance(currency, str) or not currency:
        return None
    if wanted is not None and title_size(str(summary.get("title") or "")) != wanted:
        return None
    return _Listing(summary["itemId"], value, currency)


def title_size(title: str) -> str | None:
    """The size a listing title states first, as ``size_key`` spells it ("10.5", "5Y", "M"); None if none."""
    found = [match for match in (_NUMERIC_SIZE.search(title), _LETTER_SIZE.search(title)) if match is not None]
    if not found:
        return None
    first = min(found, key=lambda match: match.start())
    return size_key("".join(group for group in first.groups() if group))
