"""StockX public API v2: a style id's market figures (lowest ask, highest bid) for one size.

StockX knows products and variants (sizes) by UUIDs, so the first quote for a style id looks
them up — a catalog search, then the product's variants — and the ``CatalogCache`` keeps them;
every later quote for that style id, any size, is one market-data call.

Every API call needs the app's API key (``x-api-key``) *and* a bearer token minted at
accounts.stockx.com from the seller's refresh token. A token lives hours; it is kept in memory
and in the shared ``TokenCache`` (so every container reuses it) until ``margin_s`` before it
expires. Minting is on the OAuth host, outside the API's budget, so it is not gated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote as quote_path

import httpx

from sellerjobs.clock import Clock
from sellerjobs.ebay.oauth import TokenCache
from sellerjobs.market.job import Provider, Quote
from sellerjobs.market.quotes import (
    CallGate,
    CatalogCache,
    ProviderAuthError,
    ProviderNotFound,
    ProviderTransient,
)
from sellerjobs.providers.amounts import highest, lowest, parse_amount, size_key, style_key
from sellerjobs.providers.credentials import StockXCredentials
from sellerjobs.providers.http import checked, json_list, json_object, send

NAME = "StockX"
OAUTH_NAME = "StockX OAuth"
TOKEN_PATH = "/oauth/token"
AUDIENCE = "gateway.stockx.com"
TOKEN_OWNER = "STOCKX"  # the TokenCache key, beside eBay's "APP" and user ids
CATALOG = "/v2/catalog"
CURRENCY = "USD"
SEARCH_PAGE_SIZE = 10  # an exact style id is StockX's first hit; a page of 10 allows for near namesakes
MAX_QUERY_LENGTH = 100  # StockX refuses longer queries with a 400
# OAuth errors (RFC 6749) that mean the stored credentials are wrong, not that the call was.
_REFUSED = frozenset({"invalid_grant", "invalid_client", "access_denied", "unauthorized_client"})


@dataclass
class StockXClient:
    api: httpx.Client  # base URL STOCKX_BASE_URL, e.g. https://api.stockx.com
    oauth: httpx.Client  # base URL https://accounts.stockx.com
    credentials: Callable[[], StockXCredentials]
    catalog: CatalogCache
    clock: Clock
    tokens: TokenCache
    margin_s: float = 300.0  # a token this close to expiry is replaced rather than used
    provider: Provider = field(default=Provider.STOCKX, init=False)
    _token: tuple[str, float] | None = field(default=None, init=False, repr=False)

    def quote(self, sku: str, size: str | None, gate: CallGate) -> Quote:
        credentials = _load(self.credentials)
        size = size or None  # "" is "any size", as the job key (dedupe_key) has it
        entry = _cached(self.catalog.get(Provider.STOCKX, sku))
        if entry is None:
            entry = {"productId": self._find_product(sku, credentials, gate)}
            # Kept at once, so a failure further on does not cost this search again; the sizes
            # are fetched when a size is first asked for.
            self.catalog.put(Provider.STOCKX, sku, entry)
        product_id = str(entry["productId"])
        if size is None:
            return self._product_quote(product_id, credentials, gate)

        variants = entry.get("variants")
        if not isinstance(variants, dict):
            variants = self._variants(product_id, credentials, gate)
            self.catalog.put(Provider.STOCKX, sku, {**entry, "variants": variants})
        key = size_key(size)
        variant_id = variants.get(key) if key else None
        if not isinstance(variant_id, str):
            # The cache holds every size StockX lists for the product, so this is an answer.
            raise ProviderNotFound(f"StockX has no size {size!r} of {sku}")
        path = f"{CATALOG}/products/{quote_path(product_id, safe='')}/variants/{quote_path(variant_id, safe='')}"
        data = json_object(self._get(f"{path}/market-data", {"currencyCode": CURRENCY}, credentials, gate), NAME)
        return _variant_quote(data, variant_id)

    # -- catalog -----------------------------------------------------------------------------

    def _find_product(self, sku: str, credentials: StockXCredentials, gate: CallGate) -> str:
        if not 1 <= len(sku.strip()) <= MAX_QUERY_LENGTH:
            raise ProviderNotFound(f"{sku!r} cannot be a StockX style id")
        body = json_object(self._get(f"{CATALOG}/search", {"query": sku.strip(), "pageSize": str(SEARCH_PAGE_SIZE)},
                                     credentials, gate), NAME)
        products = body.get("products")
        if not isinstance(products, list):
            raise ProviderTransient("StockX's search answer had no products list")
        # The search also returns keyword matches (other colourways, GTINs); only the style id counts.
        wanted = style_key(sku)
        for product in products:
            if not isinstance(product, dict) or not isinstance(product.get("productId"), str):
                continue
            # A product made under several style ids lists them as "AAA-100/BBB-100".
            if wanted in {style_key(style) for style in str(product.get("styleId") or "").split("/")}:
                return str(product["productId"])
        raise ProviderNotFound(f"StockX lists no product with style id {sku}")

    def _variants(self, product_id: str, credentials: StockXCredentials, gate: CallGate) -> dict[str, str]:
        """Size -> variantId for every size of the product, under its StockX name and chart size."""
        found = json_list(self._get(f"{CATALOG}/products/{quote_path(product_id, safe='')}/variants", None,
                                    credentials, gate), NAME)
        by_value: dict[str, str] = {}
        by_chart: dict[str, str] = {}
        for variant in found:
            if not isinstance(variant, dict) or not isinstance(variant.get("variantId"), str):
                continue
            variant_id = str(variant["variantId"])
            if (key := size_key(variant.get("variantValue"))) is not None:
                by_value.setdefault(key, variant_id)
            chart = variant.get("sizeChart")
            default = chart.get("defaultConversion") if isinstance(chart, dict) else None
            if isinstance(default, dict) and (key := size_key(default.get("size"))) is not None:
                by_chart.setdefault(key, variant_id)
        # StockX's own size name wins where a chart size of another variant spells the same.
        return by_chart | by_value

    # -- market data -------------------------------------------------------------------------

    def _product_quote(self, product_id: str, credentials: StockXCredentials, gate: CallGate) -> Quote:
        """Any size: the lowest ask and the highest bid over all the product's variants."""
        path = f"{CATALOG}/products/{quote_path(product_id, safe='')}/market-data"
        rows = [row for row in json_list(self._get(path, {"currencyCode": CURRENCY}, credentials, gate), NAME)
                if isinstance(row, dict)]
        asks = [parse_amount(row.get("lowestAskAmount")) for row in rows]
        best_ask = lowest(asks)
        # sellFaster and earnMore are derived from an ask: report those of the lowest one.
        at_best = next((row for row, ask in zip(rows, asks, strict=True) if ask is not None and ask == best_ask), {})
        return Quote(
            currency=_currency(rows[0] if rows else {}),
            lowest_ask=best_ask,
            highest_bid=highest(parse_amount(row.get("highestBidAmount")) for row in rows),
            extra={"sellFaster": parse_amount(at_best.get("sellFasterAmount")),
                   "earnMore": parse_amount(at_best.get("earnMoreAmount")),
                   "flexLowestAsk": lowest(parse_amount(row.get("flexLowestAskAmount")) for row in rows)},
            reference=product_id,
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None, credentials: StockXCredentials,
             gate: CallGate) -> httpx.Response:
        for attempt in range(2):
            headers = {"x-api-key": credentials.api_key, "Authorization": f"Bearer {self._access_token(credentials)}",
                       "Accept": "application/json"}
            response = send(self.api, gate, NAME, "GET", path, params=params, headers=headers)
            if response.status_code == 401 and attempt == 0:
                self._forget_token()  # expired early or revoked: mint once more, then give up
                continue
            return checked(response, NAME)
        raise AssertionError("unreachable")

    def _access_token(self, credentials: StockXCredentials) -> str:
        fresh_until = self.clock.now() + self.margin_s
        if self._token is not None and self._token[1] > fresh_until:
            return self._token[0]
        shared = self.tokens.get(TOKEN_OWNER, AUDIENCE)
        if shared is not None and shared[1] > fresh_until:
            self._token = shared
            return shared[0]
        token, expires_at = self._mint(credentials)
        self.tokens.put(TOKEN_OWNER, AUDIENCE, token, expires_at)
        self._token = (token, expires_at)
        return token

    def _forget_token(self) -> None:
        self._token = None
        self.tokens.delete(TOKEN_OWNER, AUDIENCE)

    def _mint(self, credentials: StockXCredentials) -> tuple[str, float]:
        form = {"grant_type": "refresh_token", "client_id": credentials.client_id,
                "client_secret": credentials.client_secret, "refresh_token": credentials.refresh_token,
                "audience": AUDIENCE}
        response = send(self.oauth, None, OAUTH_NAME, "POST", TOKEN_PATH, data=form,
                        headers={"Accept": "application/json"})
        if response.status_code in (400, 401, 403):
            error = _oauth_error(response)
            if response.status_code != 400 or error in _REFUSED:
                # No retry helps until someone stores working StockX credentials.
                raise ProviderAuthError(f"StockX refused our credentials (HTTP {response.status_code}, "
                                        f"{error or 'no error code'}): update the StockX secret")
        body = json_object(checked(response, OAUTH_NAME), OAUTH_NAME)
        try:
            token, expires_in = str(body["access_token"]), float(body["expires_in"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderTransient("StockX's token answer had no access_token/expires_in") from exc
        if not token:
            raise ProviderTransient("StockX's token answer had an empty access_token")
        return token, self.clock.now() + expires_in


def _load(credentials: Callable[[], StockXCredentials]) -> StockXCredentials:
    try:
        return credentials()
    except ValueError as exc:  # missing or malformed secret: its message names the key, not the value
        raise ProviderAuthError(f"StockX credentials unusable: {exc}") from exc


def _cached(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """A cache entry we can use, or None (treated as a miss) for one in an unexpected shape."""
    if not isinstance(entry, dict) or not isinstance(entry.get("productId"), str) or not entry["productId"]:
        return None
    return entry


def _currency(data: dict[str, Any]) -> str:
    code = data.get("currencyCode")
    return code if isinstance(code, str) and code else CURRENCY


def _variant_quote(data: dict[str, Any], variant_id: str) -> Quote:
    extra: dict[str, Decimal | None] = {
        "sellFaster": parse_amount(data.get("sellFasterAmount")),
        "earnMore": parse_amount(data.get("earnMoreAmount")),
        "flexLowestAsk": parse_amount(data.get("flexLowestAskAmount")),
    }
    return Quote(currency=_currency(data), lowest_ask=parse_amount(data.get("lowestAskAmount")),
                 highest_bid=parse_amount(data.get("highestBidAmount")), last_sale=None, extra=extra,
                 reference=variant_id)


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json() if response.content else None
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else ""
