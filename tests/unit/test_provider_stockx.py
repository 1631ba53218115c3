"""StockXClient against the marketplace sandbox, in-process: figures, call counts, tokens, failures."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from local.sandbox import MarketplaceSandbox
from local.sandbox.market_catalog import MarketProduct, MarketVariant, build_market_catalog
from sellerjobs.clock import ManualClock
from sellerjobs.market.job import Provider
from sellerjobs.market.quotes import (
    OutOfBudget,
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderThrottled,
    ProviderTransient,
)
from sellerjobs.providers.credentials import StockXCredentials
from sellerjobs.providers.stockx import AUDIENCE, TOKEN_OWNER, StockXClient
from tests.unit.provider_fakes import Gate, MemoryCatalog, MemoryTokens, sandbox_client

PANDA = "DD1391-100"
CLIENT_ID, SECRET, API_KEY, REFRESH = "sx-client", "sx-secret", "sx-api-key", "sx-refresh"
CREDENTIALS = StockXCredentials(api_key=API_KEY, client_id=CLIENT_ID, client_secret=SECRET, refresh_token=REFRESH)
API_OPERATIONS = ("stockx_search", "stockx_variants", "stockx_variant_market_data", "stockx_product_market_data")


# ---------------------------------------------------------------- in-memory ports








# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> MarketplaceSandbox:
    sb = MarketplaceSandbox(clock=clock)
    sb.add_stockx_client(CLIENT_ID, SECRET, API_KEY, REFRESH)
    return sb


@pytest.fixture
def http(sandbox: MarketplaceSandbox):
    yield from sandbox_client(sandbox)


@pytest.fixture
def catalog() -> MemoryCatalog:
    return MemoryCatalog()


@pytest.fixture
def tokens() -> MemoryTokens:
    return MemoryTokens()


@pytest.fixture
def stockx(http, catalog, tokens, clock) -> StockXClient:
    return StockXClient(api=http, oauth=http, credentials=lambda: CREDENTIALS, catalog=catalog, clock=clock,
                        tokens=tokens)


def api_calls(sandbox: MarketplaceSandbox) -> int:
    """Calls to StockX's API (the budgeted host), not to its token endpoint."""
    counts = sandbox.call_counts("stockx")
    return sum(counts.get(operation, 0) for operation in API_OPERATIONS)


def mints(sandbox: MarketplaceSandbox) -> int:
    return sandbox.call_counts("stockx").get("stockx_token", 0)


def find_variant(test: Callable[[MarketProduct, MarketVariant], bool]) -> tuple[str, str]:
    """A (sku, size) on StockX whose variant passes ``test`` (the sandbox catalog is deterministic)."""
    for product in build_market_catalog().products:
        for variant in product.variants:
            if product.stockx_product_id and test(product, variant):
                return product.sku, variant.size
    raise AssertionError("no such variant in the sandbox catalog")


def amount(raw: str | None) -> Decimal | None:
    return None if raw is None else Decimal(raw)


# ---------------------------------------------------------------- figures and call counts


def test_first_quote_parses_the_variants_market_data(stockx, sandbox):
    gate = Gate()
    quote = stockx.quote(PANDA, "10", gate)

    expected = sandbox.market_prices(PANDA, "10")["stockx"]
    assert quote.currency == "USD"
    assert quote.lowest_ask == Decimal(expected["lowestAskAmount"])
    assert quote.highest_bid == amount(expected["highestBidAmount"])
    assert quote.last_sale is None
    assert quote.extra == {"sellFaster": amount(expected["sellFasterAmount"]),
                           "earnMore": amount(expected["earnMoreAmount"]),
                           "flexLowestAsk": amount(expected["flexLowestAskAmount"])}
    assert quote.reference == sandbox.market_product(PANDA)["stockxVariantIds"]["10"]
    # Search, variants, market data: three gated API calls; the token mint is not gated.
    assert sandbox.call_counts("stockx") == {"stockx_token": 1, "stockx_search": 1, "stockx_variants": 1,
                                             "stockx_variant_market_data": 1}
    assert gate.calls == 3


def test_a_repeat_quote_costs_one_gated_call_for_any_size(stockx, sandbox, catalog):
    stockx.quote(PANDA, "10", Gate())
    for size in ("10", "9.5", "14"):
        gate = Gate()
        before = api_calls(sandbox)
        stockx.quote(PANDA, size, gate)
        assert (api_calls(sandbox) - before, gate.calls) == (1, 1)
    assert mints(sandbox) == 1  # the token is reused
    entry = catalog.get(Provider.STOCKX, PANDA)
    summary = sandbox.market_product(PANDA)
    assert entry == {"productId": summary["stockxProductId"], "variants": summary["stockxVariantIds"]}


def test_the_quote_follows_the_market_as_it_moves(stockx, sandbox, clock):
    first = stockx.quote(PANDA, "10", Gate())
    clock.advance(3 * 86_400)
    second = stockx.quote(PANDA, "10", Gate())
    assert second.lowest_ask == Decimal(sandbox.market_prices(PANDA, "10")["stockx"]["lowestAskAmount"])
    assert (first.lowest_ask, first.highest_bid) != (second.lowest_ask, second.highest_bid)


def test_null_amounts_become_none(stockx, sandbox):
    sku, size = find_variant(lambda _, v: not v.stockx_asks and not v.stockx_bids and not v.stockx_flex)
    data = sandbox.market_prices(sku, size)["stockx"]
    assert data["lowestAskAmount"] is None and data["highestBidAmount"] is None  # the sandbox sends nulls

    quote = stockx.quote(sku, size, Gate())
    assert (quote.lowest_ask, quote.highest_bid, quote.last_sale) == (None, None, None)
    assert quote.extra == {"sellFaster": None, "earnMore": None, "flexLowestAsk": None}


def test_only_a_missing_bid_is_none(stockx, sandbox):
    sku, size = find_variant(lambda _, v: v.stockx_asks and not v.stockx_bids)
    quote = stockx.quote(sku, size, Gate())
    assert quote.lowest_ask == Decimal(sandbox.market_prices(sku, size)["stockx"]["lowestAskAmount"])
    assert quote.highest_bid is None


# ---------------------------------------------------------------- sizes and style ids


@pytest.mark.parametrize("spelling", ["10.5", "10.50", " 10.5 "])
def test_size_spellings_map_to_the_same_variant(stockx, sandbox, spelling):
    quote = stockx.quote(PANDA, spelling, Gate())
    assert quote.reference == sandbox.market_product(PANDA)["stockxVariantIds"]["10.5"]


def test_apparel_sizes_compare_without_case(stockx, sandbox):
    sku, _ = find_variant(lambda p, _: p.product_type == "streetwear")
    quote = stockx.quote(sku, "xl", Gate())
    assert quote.reference == sandbox.market_product(sku)["stockxVariantIds"]["XL"]


def test_style_id_matches_without_case(stockx, sandbox, catalog):
    quote = stockx.quote(PANDA.lower(), "10", Gate())
    assert quote.reference == sandbox.market_product(PANDA)["stockxVariantIds"]["10"]


def test_an_unknown_size_is_not_found_and_once_cached_costs_no_call(stockx, sandbox):
    with pytest.raises(ProviderNotFound, match="size"):
        stockx.quote(PANDA, "17", Gate())
    assert api_calls(sandbox) == 2  # search and variants; no market data for a size that does not exist

    gate = Gate()
    with pytest.raises(ProviderNotFound):
        stockx.quote(PANDA, "3", gate)
    assert (api_calls(sandbox), gate.calls) == (2, 0)


def test_a_sku_stockx_does_not_list_is_not_found(stockx, sandbox, catalog):
    missing = next(sku for sku in sandbox.market_skus() if sku not in sandbox.market_skus("stockx"))
    for sku in (missing, "ZZ0000-000"):
        with pytest.raises(ProviderNotFound, match="style id"):
            stockx.quote(sku, "10", Gate())
    assert sandbox.call_counts("stockx").get("stockx_search") == 2
    assert api_calls(sandbox) == 2 and catalog.puts == 0


def test_keyword_hits_are_not_taken_for_the_style_id(stockx, sandbox):
    # "Dunk" matches many products by keyword; none has it as its style id.
    with pytest.raises(ProviderNotFound):
        stockx.quote("Dunk", "10", Gate())


def test_a_cache_entry_of_another_shape_is_a_miss(stockx, sandbox, catalog):
    catalog.put(Provider.STOCKX, PANDA, {"something": "else"})
    quote = stockx.quote(PANDA, "10", Gate())
    assert quote.reference == sandbox.market_product(PANDA)["stockxVariantIds"]["10"]
    assert api_calls(sandbox) == 3


# ---------------------------------------------------------------- any size


def test_any_size_takes_the_lowest_ask_and_highest_bid_over_all_variants(stockx, sandbox):
    gate = Gate()
    quote = stockx.quote(PANDA, None, gate)

    sizes = sandbox.market_product(PANDA)["sizes"]
    data = [sandbox.market_prices(PANDA, size)["stockx"] for size in sizes]
    asks = [Decimal(d["lowestAskAmount"]) for d in data if d["lowestAskAmount"] is not None]
    bids = [Decimal(d["highestBidAmount"]) for d in data if d["highestBidAmount"] is not None]
    flex = [Decimal(d["flexLowestAskAmount"]) for d in data if d["flexLowestAskAmount"] is not None]
    assert (quote.lowest_ask, quote.highest_bid) == (min(asks), max(bids))
    at_lowest = next(d for d in data if d["lowestAskAmount"] is not None and Decimal(d["lowestAskAmount"]) == min(asks))
    assert quote.extra == {"sellFaster": Decimal(at_lowest["sellFasterAmount"]),
                           "earnMore": Decimal(at_lowest["earnMoreAmount"]), "flexLowestAsk": min(flex)}
    assert quote.reference == sandbox.market_product(PANDA)["stockxProductId"]
    # Search and the product's market data; the sizes are not needed yet.
    assert sandbox.call_counts("stockx") == {"stockx_token": 1, "stockx_search": 1, "stockx_product_market_data": 1}
    assert gate.calls == 2


def test_any_size_then_a_size_fetches_the_variants_once(stockx, sandbox):
    stockx.quote(PANDA, None, Gate())
    gate = Gate()
    stockx.quote(PANDA, None, gate)
    assert gate.calls == 1  # the product id is cached

    gate = Gate()
    stockx.quote(PANDA, "10", gate)
    assert gate.calls == 2  # variants, then market data
    gate = Gate()
    stockx.quote(PANDA, "11", gate)
    assert gate.calls == 1
    assert sandbox.call_counts("stockx")["stockx_search"] == 1


# ---------------------------------------------------------------- headers and the gate


def test_every_api_request_sends_the_api_key_and_bearer_token(sandbox, catalog, tokens, clock):
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return sandbox.handle(request)

    with httpx.Client(transport=httpx.MockTransport(recording), base_url="http://sandbox") as http:
        client = StockXClient(api=http, oauth=http, credentials=lambda: CREDENTIALS, catalog=catalog, clock=clock,
                              tokens=tokens)
        client.quote(PANDA, "10", Gate())
        client.quote(PANDA, None, Gate())
    api = [request for request in seen if request.url.path.startswith("/v2/")]
    assert len(api) == 4
    token = tokens.get(TOKEN_OWNER, AUDIENCE)
    assert token is not None
    for request in api:
        assert request.headers["x-api-key"] == API_KEY
        assert request.headers["authorization"] == f"Bearer {token[0]}"
    assert api[0].url.params["pageSize"] == "10" and api[0].url.params["query"] == PANDA
    assert all(request.url.params["currencyCode"] == "USD" for request in api if "market-data" in request.url.path)


def test_the_gate_is_called_before_every_api_request(stockx, sandbox):
    gate = Gate(observe=lambda: api_calls(sandbox))
    stockx.quote(PANDA, "10", gate)
    # At each gate call, exactly the earlier requests had been sent.
    assert gate.seen == [0, 1, 2]
    assert api_calls(sandbox) == 3


def test_out_of_budget_from_the_gate_propagates_and_nothing_more_is_sent(stockx, sandbox):
    gate = Gate(allow=1)
    with pytest.raises(OutOfBudget, match="budget spent"):
        stockx.quote(PANDA, "10", gate)
    assert sandbox.call_counts("stockx") == {"stockx_token": 1, "stockx_search": 1}


# ---------------------------------------------------------------- tokens


def test_a_token_in_the_shared_cache_is_reused_by_another_client(stockx, sandbox, http, catalog, tokens, clock):
    stockx.quote(PANDA, "10", Gate())
    other = StockXClient(api=http, oauth=http, credentials=lambda: CREDENTIALS, catalog=catalog, clock=clock,
                         tokens=tokens)
    other.quote(PANDA, "10", Gate())
    assert mints(sandbox) == 1


def test_the_token_is_renewed_five_minutes_before_it_expires(stockx, sandbox, clock, tokens):
    stockx.quote(PANDA, "10", Gate())
    _, expires_at = tokens.tokens[(TOKEN_OWNER, AUDIENCE)]
    assert expires_at == clock.now() + sandbox.stockx_token_ttl_s

    clock.set(expires_at - 301)
    stockx.quote(PANDA, "10", Gate())
    assert mints(sandbox) == 1
    clock.set(expires_at - 299)
    stockx.quote(PANDA, "10", Gate())
    assert mints(sandbox) == 2
    assert tokens.tokens[(TOKEN_OWNER, AUDIENCE)][1] == clock.now() + sandbox.stockx_token_ttl_s


def test_a_401_mints_a_new_token_and_retries_once_gated_again(stockx, sandbox, tokens):
    stockx.quote(PANDA, "10", Gate())
    old = tokens.tokens[(TOKEN_OWNER, AUDIENCE)][0]
    sandbox.expire_stockx_tokens()  # refused before their time, as a revoked token would be

    gate = Gate()
    quote = stockx.quote(PANDA, "10", gate)
    assert quote.lowest_ask is not None
    assert gate.calls == 2
    assert mints(sandbox) == 2
    assert tokens.tokens[(TOKEN_OWNER, AUDIENCE)][0] != old
    assert tokens.deletes == 1  # the refused token left the shared cache too
    statuses = [call["status"] for call in sandbox.calls if call["operation"] == "stockx_variant_market_data"]
    assert statuses == [200, 401, 200]


def test_a_revoked_refresh_token_is_an_auth_error(stockx, sandbox):
    stockx.quote(PANDA, "10", Gate())
    sandbox.expire_stockx_tokens()
    sandbox.add_stockx_client(CLIENT_ID, SECRET, API_KEY, "another-refresh-token")  # ours no longer works

    gate = Gate()
    with pytest.raises(ProviderAuthError, match="invalid_grant") as raised:
        stockx.quote(PANDA, "10", gate)
    assert REFRESH not in str(raised.value) and SECRET not in str(raised.value)
    assert gate.calls == 1  # the 401; the re-mint failed before a second request


def test_a_token_refused_twice_is_an_auth_error(stockx, sandbox):
    stockx.quote(PANDA, "10", Gate())
    sandbox.inject_fault("stockx_variant_market_data", status=401, times=2)
    gate = Gate()
    with pytest.raises(ProviderAuthError, match="401"):
        stockx.quote(PANDA, "10", gate)
    assert gate.calls == 2
    assert mints(sandbox) == 2  # one re-mint only


def test_a_refused_api_key_is_an_auth_error_without_a_retry(sandbox, http, catalog, tokens, clock):
    wrong = StockXCredentials(api_key="not-our-key", client_id=CLIENT_ID, client_secret=SECRET,
                              refresh_token=REFRESH)
    client = StockXClient(api=http, oauth=http, credentials=lambda: wrong, catalog=catalog, clock=clock,
                          tokens=tokens)
    gate = Gate()
    with pytest.raises(ProviderAuthError, match="403"):
        client.quote(PANDA, "10", gate)
    assert gate.calls == 1


def test_a_client_secret_stockx_refuses_is_an_auth_error(sandbox, http, catalog, tokens, clock):
    wrong = StockXCredentials(api_key=API_KEY, client_id=CLIENT_ID, client_secret="wrong", refresh_token=REFRESH)
    client = StockXClient(api=http, oauth=http, credentials=lambda: wrong, catalog=catalog, clock=clock,
                          tokens=tokens)
    gate = Gate()
    with pytest.raises(ProviderAuthError):
        client.quote(PANDA, "10", gate)
    assert gate.calls == 0 and api_calls(sandbox) == 0


def test_unusable_credentials_are_an_auth_error_without_a_call(sandbox, http, catalog, tokens, clock):
    def missing() -> StockXCredentials:
        raise ValueError("market credentials: 'stockx.refreshToken' is missing")

    client = StockXClient(api=http, oauth=http, credentials=missing, catalog=catalog, clock=clock, tokens=tokens)
    with pytest.raises(ProviderAuthError, match="refreshToken"):
        client.quote(PANDA, "10", Gate())
    assert sandbox.calls == []


@pytest.mark.parametrize(("fault", "error"), [
    ({"status": 503}, ProviderTransient),
    ({"status": 500, "timeout": True}, ProviderTransient),
    ({"status": 429}, ProviderThrottled),
])  # fmt: skip
def test_token_endpoint_failures(stockx, sandbox, fault, error):
    sandbox.inject_fault("stockx_token", **fault)
    gate = Gate()
    with pytest.raises(error):
        stockx.quote(PANDA, "10", gate)
    assert gate.calls == 0  # nothing reached the API


def test_a_token_answer_without_a_token_is_transient(stockx, sandbox):
    sandbox.inject_fault("stockx_token", status=200, body={"token_type": "Bearer"})
    with pytest.raises(ProviderTransient, match="access_token"):
        stockx.quote(PANDA, "10", Gate())


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("operation", ["stockx_search", "stockx_variants", "stockx_variant_market_data"])
def test_429_is_throttled_at_every_step(stockx, sandbox, operation):
    sandbox.inject_fault(operation, status=429)
    with pytest.raises(ProviderThrottled, match="429"):
        stockx.quote(PANDA, "10", Gate())


def test_a_failure_after_the_search_does_not_cost_the_search_again(stockx, sandbox):
    sandbox.inject_fault("stockx_variants", status=503)
    with pytest.raises(ProviderTransient):
        stockx.quote(PANDA, "10", Gate())
    gate = Gate()
    stockx.quote(PANDA, "10", gate)
    assert gate.calls == 2  # variants and market data
    assert sandbox.call_counts("stockx")["stockx_search"] == 1


def test_stockx_rate_limit_is_throttled(stockx, sandbox):
    sandbox.set_rate_limit("stockx", 2, 60)
    with pytest.raises(ProviderThrottled):
        stockx.quote(PANDA, "10", Gate())
    assert sandbox.call_counts("stockx")["stockx_variant_market_data"] == 1  # the third call was refused


@pytest.mark.parametrize("fault", [
    {"status": 500},
    {"status": 503},
    {"status": 500, "timeout": True},
    {"status": 200, "empty_body": True},
    {"status": 502, "empty_body": True},
    {"status": 200, "body": "<html>gateway</html>"},
    {"status": 200, "body": ["not", "an", "object"]},
])  # fmt: skip
def test_server_errors_timeouts_and_unreadable_bodies_are_transient(stockx, sandbox, fault):
    stockx.quote(PANDA, "10", Gate())  # warm the catalog: the next quote is one market-data call
    sandbox.inject_fault("stockx_variant_market_data", **fault)
    with pytest.raises(ProviderTransient):
        stockx.quote(PANDA, "10", Gate())
    # It was transient: the next quote goes through.
    assert stockx.quote(PANDA, "10", Gate()).lowest_ask is not None


def test_a_search_answer_without_products_is_transient(stockx, sandbox):
    sandbox.inject_fault("stockx_search", status=200, body={"count": 0})
    with pytest.raises(ProviderTransient, match="products"):
        stockx.quote(PANDA, "10", Gate())


def test_a_404_for_a_cached_variant_is_not_found(stockx, sandbox):
    stockx.quote(PANDA, "10", Gate())
    sandbox.inject_fault("stockx_variant_market_data", status=404)
    with pytest.raises(ProviderNotFound):
        stockx.quote(PANDA, "10", Gate())


def test_a_400_is_a_plain_provider_error(stockx, sandbox):
    sandbox.inject_fault("stockx_search", status=400)
    with pytest.raises(ProviderError) as raised:
        stockx.quote(PANDA, "10", Gate())
    assert type(raised.value) is ProviderError


def test_repr_hides_the_token(stockx):
    stockx.quote(PANDA, "10", Gate())
    assert "stockx-sandbox." not in repr(stockx)
