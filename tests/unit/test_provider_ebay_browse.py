"""EbayBrowseClient against the marketplace sandbox, in-process: the cheapest listing in a size."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from local.sandbox import MarketplaceSandbox
from local.sandbox.browse_listings import NEW_CONDITION_IDS, BrowseListing, listings_for
from local.sandbox.ebay_browse import listing_price
from local.sandbox.market_catalog import build_market_catalog
from sellerjobs.clock import ManualClock
from sellerjobs.ebay.credentials import APP_SCOPE, AppCredentials
from sellerjobs.ebay.http import BudgetedHttp
from sellerjobs.ebay.oauth import APP, EbayOAuth, TokenProvider
from sellerjobs.jobs.rate_budget import Grant, RateBudget
from sellerjobs.market.quotes import (
    OutOfBudget,
    ProviderAuthError,
    ProviderNotFound,
    ProviderThrottled,
    ProviderTransient,
)
from sellerjobs.providers.ebay_browse import EbayBrowseClient, title_size
from tests.unit.provider_fakes import Gate, MemoryTokens, sandbox_client

PANDA = "DD1391-100"
APP_ID, APP_SECRET = "sellerjobs-app", "app-secret"
SEARCH = "search_item_summaries"




class NoSellers:
    def get_refresh_token(self, user_id: str) -> str | None:
        return None

    def mark_revoked(self, user_id: str, reason: str) -> None:
        raise AssertionError("no seller to revoke")


class NoGrants:
    """A RateLimiter whose budget is spent: every eBay OAuth call is refused before it leaves."""

    def acquire(self, budget: RateBudget, n: int = 1, *, headroom: int = 0) -> Grant:
        return Grant(granted=False, retry_after_s=42.0)

    def refund(self, budget: RateBudget, n: int, when: float) -> None: ...

    def used(self, budget: RateBudget, when: float) -> int:
        return budget.limit




@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> MarketplaceSandbox:
    sb = MarketplaceSandbox(clock=clock)
    sb.add_app(APP_ID, APP_SECRET)
    return sb


@pytest.fixture
def http(sandbox: MarketplaceSandbox):
    yield from sandbox_client(sandbox)


def token_provider(http: httpx.Client, clock: ManualClock, limiter: NoGrants | None = None) -> TokenProvider:
    oauth = EbayOAuth(http=BudgetedHttp(client=http, limiter=limiter, budget=RateBudget("ebay-oauth", 1000)),
                      credentials=lambda: AppCredentials(APP_ID, APP_SECRET), clock=clock)
    return TokenProvider(oauth=oauth, refresh_tokens=NoSellers(), cache=MemoryTokens(), clock=clock)


@pytest.fixture
def tokens(http, clock) -> TokenProvider:
    return token_provider(http, clock)


@pytest.fixture
def browse(http, tokens) -> EbayBrowseClient:
    return EbayBrowseClient(http=http, tokens=tokens)


def searches(sandbox: MarketplaceSandbox) -> int:
    return sandbox.call_counts("ebay").get(SEARCH, 0)


def mints(sandbox: MarketplaceSandbox) -> int:
    return sandbox.call_counts("ebay").get("oauth_token", 0)


def states_size(listing: BrowseListing) -> bool:
    """The sandbox writes a listing's size as "Size 10" or "Sz 10"; some titles leave it out."""
    size = re.escape(listing.variant.size)
    return re.search(rf"\b(?:Size|Sz) {size}(?![\d.])", listing.title) is not None


def cheapest(sandbox: MarketplaceSandbox, sku: str, size: str | None, *, new_only: bool = True
             ) -> tuple[Decimal, str] | None:
    """(price, itemId) of the listing a quote should pick, computed from the sandbox's own listings."""
    now = sandbox.clock.now()
    found = [
        (Decimal(listing_price(listing, now)), listing.legacy_id, listing.item_id)
        for listing in listings_for(build_market_catalog()).listings
        if listing.product.sku == sku
        and (size is None or (listing.variant.size == size and states_size(listing)))
        and (not new_only or listing.condition_id in NEW_CONDITION_IDS)
    ]
    if not found:
        return None
    price, _, item_id = min(found)
    return price, item_id


def sized_cases(count: int, test: Callable[[tuple[Decimal, str] | None, tuple[Decimal, str] | None], bool],
                sandbox: MarketplaceSandbox) -> list[tuple[str, str]]:
    """(sku, size) pairs whose new-only and any-condition cheapest listings pass ``test``."""
    found = []
    for product in build_market_catalog().products:
        if not product.on_ebay:
            continue
        for variant in product.variants:
            if test(cheapest(sandbox, product.sku, variant.size),
                    cheapest(sandbox, product.sku, variant.size, new_only=False)):
                found.append((product.sku, variant.size))
                if len(found) == count:
                    return found
    raise AssertionError("not enough such sizes in the sandbox catalog")


# ---------------------------------------------------------------- figures and call counts


def test_quote_is_the_cheapest_new_listing_in_the_size(browse, sandbox):
    gate = Gate()
    quote = browse.quote(PANDA, "10", gate)

    expected = cheapest(sandbox, PANDA, "10")
    assert expected is not None
    assert (quote.lowest_ask, quote.reference) == expected
    assert quote.currency == "USD"
    assert (quote.highest_bid, quote.last_sale, quote.extra) == (None, None, None)
    assert sandbox.call_counts("ebay") == {"oauth_token": 1, SEARCH: 1}
    assert gate.calls == 1  # the token mint is on the OAuth budget, not the gate


def test_every_quote_costs_one_gated_search(browse, sandbox):
    sizes = sized_cases(5, lambda new, _: new is not None, sandbox)
    for sku, size in sizes:
        gate = Gate()
        before = searches(sandbox)
        quote = browse.quote(sku, size, gate)
        assert (quote.lowest_ask, quote.reference) == cheapest(sandbox, sku, size)
        assert (searches(sandbox) - before, gate.calls) == (1, 1)
    assert mints(sandbox) == 1


def test_used_listings_do_not_count_unless_asked(http, tokens, sandbox):
    # A size whose cheapest listing is a worn pair, below every new one.
    [(sku, size)] = sized_cases(1, lambda new, any_: new is not None and any_ is not None and any_ < new, sandbox)
    new = EbayBrowseClient(http=http, tokens=tokens).quote(sku, size, Gate())
    every = EbayBrowseClient(http=http, tokens=tokens, new_only=False).quote(sku, size, Gate())
    assert (new.lowest_ask, new.reference) == cheapest(sandbox, sku, size)
    assert (every.lowest_ask, every.reference) == cheapest(sandbox, sku, size, new_only=False)


def test_the_search_names_the_style_id_and_size_sorted_by_price(sandbox, tokens):
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return sandbox.handle(request)

    with httpx.Client(transport=httpx.MockTransport(recording), base_url="http://sandbox") as http:
        client = EbayBrowseClient(http=http, tokens=tokens)
        client.quote(PANDA, "10.0", Gate())
    search = seen[-1]
    assert search.url.path == "/buy/browse/v1/item_summary/search"
    assert dict(search.url.params) == {"q": f"{PANDA} 10", "sort": "price", "limit": "50",
                                       "filter": "conditions:{NEW}"}
    assert search.headers["authorization"].startswith("Bearer ")
    assert search.headers["x-ebay-c-marketplace-id"] == "EBAY_US"


def test_any_size_is_the_cheapest_new_listing_of_the_style_id(browse, sandbox):
    gate = Gate()
    quote = browse.quote(PANDA, None, gate)
    assert (quote.lowest_ask, quote.reference) == cheapest(sandbox, PANDA, None)
    assert gate.calls == 1


def test_a_size_without_a_listing_is_not_found(browse, sandbox):
    [(sku, size)] = sized_cases(1, lambda new, any_: new is None and any_ is None, sandbox)
    gate = Gate()
    with pytest.raises(ProviderNotFound, match=f"size {size}"):
        browse.quote(sku, size, gate)
    assert gate.calls == 1


def test_a_sku_nobody_lists_is_not_found(browse, sandbox):
    missing = next(sku for sku in sandbox.market_skus() if sku not in sandbox.market_skus("ebay"))
    for sku in (missing, "ZZ0000-000"):
        with pytest.raises(ProviderNotFound):
            browse.quote(sku, "10", Gate())
    with pytest.raises(ProviderNotFound):
        browse.quote(missing, None, Gate())


def test_listings_with_unreadable_prices_are_skipped(browse, sandbox):
    sandbox.inject_fault(SEARCH, status=200, body={"itemSummaries": [
        {"itemId": "v1|1|0", "title": "Dunk DD1391-100 Size 10", "price": {"value": "free", "currency": "USD"}},
        {"itemId": "v1|2|0", "title": "Dunk DD1391-100 Size 10", "price": {"value": "120.00", "currency": "USD"}},
        {"itemId": "v1|3|0", "title": "Dunk DD1391-100 Size 10", "price": None},
        {"itemId": "v1|4|0", "title": "Dunk DD1391-100 Size 11", "price": {"value": "90.00", "currency": "USD"}},
        {"itemId": "v1|5|0", "title": "Dunk DD1391-100 Size 10", "price": {"value": "99.00", "currency": "GBP"}},
        "junk",
    ]})  # fmt: skip
    quote = browse.quote(PANDA, "10", Gate())
    assert (quote.lowest_ask, quote.currency, quote.reference) == (Decimal("120.00"), "USD", "v1|2|0")


# ---------------------------------------------------------------- title sizes


@pytest.mark.parametrize(("title", "size"), [
    ("Nike Dunk Low Retro White Black Panda DD1391-100 Size 10", "10"),
    ("Nike Dunk Low 'Panda' DD1391-100 Men's Size 10.5", "10.5"),
    ("Nike Dunk Low Retro DD1391-100 Mens Sz 9.5 NEW DS", "9.5"),
    ("Jordan 11 Retro Cherry CT8012-116 Size 9", "9"),
    ("Jordan 4 Retro Sail FB6998-337 Brand New In Box", None),
    ("Air Max 90 US 10 Infrared", "10"),
    ("Nike Dunk Low GS Size 5Y", "5Y"),
    ("Supreme Box Logo Tee Size M White", "M"),
    ("Essentials Hoodie size: xl", "XL"),
    ("Yeezy Slide Size 10.", "10"),
    ("Jordan 1 Size 10 W 11.5", "10"),
    ("Nike Dunk Low Size 105", None),
    ("Sizes available", None),
])  # fmt: skip
def test_title_size(title, size):
    assert title_size(title) == size


# ---------------------------------------------------------------- the gate and tokens


def test_the_gate_is_called_before_the_search(browse, sandbox):
    gate = Gate(observe=lambda: searches(sandbox))
    browse.quote(PANDA, "10", gate)
    assert gate.seen == [0]
    assert searches(sandbox) == 1


def test_out_of_budget_from_the_gate_propagates(browse, sandbox):
    with pytest.raises(OutOfBudget, match="budget spent"):
        browse.quote(PANDA, "10", Gate(allow=0))
    assert searches(sandbox) == 0


def test_a_401_drops_the_app_token_and_retries_once(browse, sandbox, tokens):
    browse.quote(PANDA, "10", Gate())
    old = tokens.app_token(APP_SCOPE)
    sandbox.expire_access_tokens()

    gate = Gate()
    quote = browse.quote(PANDA, "10", gate)
    assert (quote.lowest_ask, quote.reference) == cheapest(sandbox, PANDA, "10")
    assert gate.calls == 2
    assert sandbox.tokens_minted["client_credentials"] == 2
    assert tokens.cache.get(APP, APP_SCOPE) is not None and tokens.app_token(APP_SCOPE) != old
    assert [call["status"] for call in sandbox.calls if call["operation"] == SEARCH] == [200, 401, 200]


def test_revoked_app_credentials_are_an_auth_error(browse, sandbox):
    browse.quote(PANDA, "10", Gate())
    sandbox.expire_access_tokens()
    sandbox.add_app(APP_ID, "a-rotated-secret")  # ours no longer mints

    gate = Gate()
    with pytest.raises(ProviderAuthError, match="invalid_client") as raised:
        browse.quote(PANDA, "10", gate)
    assert APP_SECRET not in str(raised.value)
    assert gate.calls == 1


def test_a_token_refused_twice_is_an_auth_error(browse, sandbox):
    sandbox.inject_fault(SEARCH, status=401, times=2)
    gate = Gate()
    with pytest.raises(ProviderAuthError, match="401"):
        browse.quote(PANDA, "10", gate)
    assert gate.calls == 2
    assert sandbox.tokens_minted["client_credentials"] == 2


def test_403_is_an_auth_error_without_a_retry(browse, sandbox):
    sandbox.inject_fault(SEARCH, status=403)
    gate = Gate()
    with pytest.raises(ProviderAuthError, match="403"):
        browse.quote(PANDA, "10", gate)
    assert gate.calls == 1


@pytest.mark.parametrize(("fault", "error"), [
    ({"status": 503}, ProviderTransient),
    ({"status": 500, "timeout": True}, ProviderTransient),
    ({"status": 429}, ProviderThrottled),
])  # fmt: skip
def test_token_endpoint_failures(browse, sandbox, fault, error):
    sandbox.inject_fault("oauth_token", **fault)
    gate = Gate()
    with pytest.raises(error):
        browse.quote(PANDA, "10", gate)
    assert gate.calls == 0


def test_a_spent_oauth_budget_is_out_of_budget(http, clock, sandbox):
    client = EbayBrowseClient(http=http, tokens=token_provider(http, clock, NoGrants()))
    gate = Gate()
    with pytest.raises(OutOfBudget, match="ebay-oauth"):
        client.quote(PANDA, "10", gate)
    assert (gate.calls, sandbox.calls) == (0, [])


# ---------------------------------------------------------------- failures


def test_429_is_throttled(browse, sandbox):
    sandbox.inject_fault(SEARCH, status=429)
    with pytest.raises(ProviderThrottled, match="429"):
        browse.quote(PANDA, "10", Gate())


def test_browse_rate_limit_is_throttled(browse, sandbox):
    sandbox.set_rate_limit("browse", 1, 60)
    browse.quote(PANDA, "10", Gate())
    with pytest.raises(ProviderThrottled):
        browse.quote(PANDA, "10", Gate())


@pytest.mark.parametrize("fault", [
    {"status": 500},
    {"status": 503},
    {"status": 500, "timeout": True},
    {"status": 200, "empty_body": True},
    {"status": 200, "body": "<html>"},
])  # fmt: skip
def test_server_errors_timeouts_and_unreadable_bodies_are_transient(browse, sandbox, fault):
    sandbox.inject_fault(SEARCH, **fault)
    with pytest.raises(ProviderTransient):
        browse.quote(PANDA, "10", Gate())
    assert browse.quote(PANDA, "10", Gate()).lowest_ask is not None
