"""AliasClient against the marketplace sandbox, in-process: figures, sizes, call counts, failures."""

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
    ProviderNotFound,
    ProviderThrottled,
    ProviderTransient,
)
from sellerjobs.providers.alias import AliasClient
from sellerjobs.providers.credentials import AliasCredentials
from tests.unit.provider_fakes import Gate, MemoryCatalog, sandbox_client

PANDA = "DD1391-100"
TOKEN = "goatapi_test_pat"
OPERATIONS = ("alias_catalog", "alias_availability", "alias_availabilities")






@pytest.fixture
def sandbox() -> MarketplaceSandbox:
    sb = MarketplaceSandbox(clock=ManualClock())
    sb.add_alias_token(TOKEN, "sellerjobs")
    return sb


@pytest.fixture
def http(sandbox: MarketplaceSandbox):
    yield from sandbox_client(sandbox)


@pytest.fixture
def catalog() -> MemoryCatalog:
    return MemoryCatalog()


@pytest.fixture
def alias(http, catalog) -> AliasClient:
    return AliasClient(http=http, credentials=lambda: AliasCredentials(token=TOKEN), catalog=catalog)


def calls(sandbox: MarketplaceSandbox) -> int:
    counts = sandbox.call_counts("alias")
    return sum(counts.get(operation, 0) for operation in OPERATIONS)


def find_variant(test: Callable[[MarketProduct, MarketVariant], bool]) -> tuple[str, str]:
    for product in build_market_catalog().products:
        for variant in product.variants:
            if product.alias_catalog_id and test(product, variant):
                return product.sku, variant.size
    raise AssertionError("no such variant in the sandbox catalog")


def cents(raw: str | None) -> Decimal | None:
    return None if raw is None else Decimal(raw) / 100


# ---------------------------------------------------------------- figures and call counts


def test_first_quote_parses_cents_into_currency_units(alias, sandbox):
    gate = Gate()
    quote = alias.quote(PANDA, "10", gate)

    expected = sandbox.market_prices(PANDA, "10")["alias"]
    assert quote.currency == "USD"
    assert quote.lowest_ask == cents(expected["lowest_listing_price_cents"])
    assert quote.highest_bid == cents(expected.get("highest_offer_price_cents"))
    assert quote.last_sale == cents(expected["last_sold_listing_price_cents"])
    assert quote.extra == {"globalIndicator": cents(expected["global_indicator_price_cents"])}
    assert quote.lowest_ask is not None and quote.lowest_ask.as_tuple().exponent == -2  # "127.00", not "127"
    assert quote.reference == sandbox.market_product(PANDA)["aliasCatalogId"]
    assert sandbox.call_counts("alias") == {"alias_catalog": 1, "alias_availability": 1}
    assert gate.calls == 2


def test_a_repeat_quote_costs_one_gated_call(alias, sandbox, catalog):
    alias.quote(PANDA, "10", Gate())
    for size in ("10", "4", "15"):
        gate = Gate()
        before = calls(sandbox)
        alias.quote(PANDA, size, gate)
        assert (calls(sandbox) - before, gate.calls) == (1, 1)
    entry = catalog.get(Provider.ALIAS, PANDA)
    assert entry is not None
    assert entry["catalogId"] == sandbox.market_product(PANDA)["aliasCatalogId"]
    assert set(sandbox.market_product(PANDA)["sizes"]) <= set(entry["sizes"])


def test_absent_figures_become_none(alias, sandbox):
    sku, size = find_variant(lambda _, v: v.alias_listings and not v.alias_offers)
    assert "highest_offer_price_cents" not in sandbox.market_prices(sku, size)["alias"]
    quote = alias.quote(sku, size, Gate())
    assert quote.highest_bid is None
    assert quote.lowest_ask is not None and quote.last_sale is not None


def test_a_size_nobody_trades_has_no_figures(alias, sandbox):
    sku, size = find_variant(lambda _, v: not v.alias_listings and not v.alias_offers)
    assert sandbox.market_prices(sku, size)["alias"] == {}
    quote = alias.quote(sku, size, Gate())
    assert (quote.lowest_ask, quote.highest_bid, quote.last_sale) == (None, None, None)
    assert quote.extra == {"globalIndicator": None}


# ---------------------------------------------------------------- sizes and style ids


@pytest.mark.parametrize(("spelling", "sent"), [("10", "10"), ("10.0", "10"), (" 10 ", "10"), ("10.5", "10.5"),
                                                ("10.50", "10.5")])
def test_sizes_compare_as_numbers(sandbox, catalog, spelling, sent):
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return sandbox.handle(request)

    with httpx.Client(transport=httpx.MockTransport(recording), base_url="http://sandbox") as http:
        client = AliasClient(http=http, credentials=lambda: AliasCredentials(token=TOKEN), catalog=catalog)
        quote = client.quote(PANDA, spelling, Gate())
    expected = sandbox.market_prices(PANDA, sent)["alias"]
    assert quote.lowest_ask == cents(expected.get("lowest_listing_price_cents"))
    availability = seen[-1]
    assert availability.url.params["size"] == sent
    assert availability.url.params["product_condition"] == "PRODUCT_CONDITION_NEW"
    assert availability.url.params["packaging_condition"] == "PACKAGING_CONDITION_GOOD_CONDITION"
    assert all(request.headers["authorization"] == f"Bearer {TOKEN}" for request in seen)


@pytest.mark.parametrize("size", ["10.25", "17", "M", " "])
def test_a_size_alias_does_not_trade_is_not_found_without_a_pricing_call(alias, sandbox, size):
    with pytest.raises(ProviderNotFound):
        alias.quote(PANDA, size, Gate())
    assert sandbox.call_counts("alias") == {"alias_catalog": 1}
    gate = Gate()
    with pytest.raises(ProviderNotFound):
        alias.quote(PANDA, size, gate)
    assert gate.calls == 0  # the cached sizes answer


@pytest.mark.parametrize("spelling", ["DD1391 100", "dd1391-100", "DD1391100"])
def test_style_ids_compare_without_spaces_dashes_or_case(alias, sandbox, spelling):
    quote = alias.quote(spelling, "10", Gate())
    assert quote.reference == sandbox.market_product(PANDA)["aliasCatalogId"]


def test_a_sku_alias_does_not_list_is_not_found(alias, sandbox, catalog):
    missing = next(sku for sku in sandbox.market_skus() if sku not in sandbox.market_skus("alias"))
    for sku in (missing, "Dunk Low", "ZZ0000-000"):
        with pytest.raises(ProviderNotFound, match="style id"):
            alias.quote(sku, "10", Gate())
    assert sandbox.call_counts("alias") == {"alias_catalog": 3}
    assert catalog.puts == 0


def test_a_404_for_a_cached_size_is_not_found(alias, sandbox):
    alias.quote(PANDA, "10", Gate())
    sandbox.inject_fault("alias_availability", status=404)
    with pytest.raises(ProviderNotFound):
        alias.quote(PANDA, "10", Gate())


# ---------------------------------------------------------------- any size


def test_any_size_takes_the_lowest_listing_and_highest_offer_new_in_box(alias, sandbox):
    gate = Gate()
    quote = alias.quote(PANDA, None, gate)
    sizes = sandbox.market_product(PANDA)["sizes"]
    figures = [sandbox.market_prices(PANDA, size)["alias"] for size in sizes]
    asks = [Decimal(f["lowest_listing_price_cents"]) / 100 for f in figures if "lowest_listing_price_cents" in f]
    offers = [Decimal(f["highest_offer_price_cents"]) / 100 for f in figures if "highest_offer_price_cents" in f]
    assert (quote.lowest_ask, quote.highest_bid, quote.last_sale) == (min(asks), max(offers), None)
    assert quote.reference == sandbox.market_product(PANDA)["aliasCatalogId"]
    assert sandbox.call_counts("alias") == {"alias_catalog": 1, "alias_availabilities": 1}
    assert gate.calls == 2

    gate = Gate()
    alias.quote(PANDA, None, gate)
    assert gate.calls == 1


# ---------------------------------------------------------------- the gate


def test_the_gate_is_called_before_every_request(alias, sandbox):
    gate = Gate(observe=lambda: calls(sandbox))
    alias.quote(PANDA, "10", gate)
    assert gate.seen == [0, 1]
    assert calls(sandbox) == 2


def test_out_of_budget_from_the_gate_propagates(alias, sandbox):
    gate = Gate(allow=1)
    with pytest.raises(OutOfBudget, match="budget spent"):
        alias.quote(PANDA, "10", gate)
    assert sandbox.call_counts("alias") == {"alias_catalog": 1}


# ---------------------------------------------------------------- failures


def test_a_revoked_token_is_an_auth_error(alias, sandbox):
    alias.quote(PANDA, "10", Gate())
    sandbox.revoke_alias_token(TOKEN)
    gate = Gate()
    with pytest.raises(ProviderAuthError, match="401") as raised:
        alias.quote(PANDA, "10", gate)
    assert TOKEN not in str(raised.value)
    assert gate.calls == 1  # nothing to refresh: no retry


def test_unusable_credentials_are_an_auth_error_without_a_call(http, catalog, sandbox):
    def missing() -> AliasCredentials:
        raise ValueError("market credentials: 'alias.token' is missing")

    with pytest.raises(ProviderAuthError, match=r"alias\.token"):
        AliasClient(http=http, credentials=missing, catalog=catalog).quote(PANDA, "10", Gate())
    assert sandbox.calls == []


@pytest.mark.parametrize("operation", ["alias_catalog", "alias_availability"])
def test_429_is_throttled(alias, sandbox, operation):
    sandbox.inject_fault(operation, status=429)
    with pytest.raises(ProviderThrottled, match="too many requests"):
        alias.quote(PANDA, "10", Gate())


def test_alias_rate_limit_is_throttled(alias, sandbox):
    sandbox.set_rate_limit("alias", 2, 60)
    alias.quote(PANDA, "10", Gate())
    with pytest.raises(ProviderThrottled):
        alias.quote(PANDA, "10", Gate())


@pytest.mark.parametrize("fault", [
    {"status": 500},
    {"status": 503},
    {"status": 500, "timeout": True},
    {"status": 200, "empty_body": True},
    {"status": 200, "body": "not json"},
    {"status": 200, "body": [1, 2]},
])  # fmt: skip
def test_server_errors_timeouts_and_unreadable_bodies_are_transient(alias, sandbox, fault):
    alias.quote(PANDA, "10", Gate())
    sandbox.inject_fault("alias_availability", **fault)
    with pytest.raises(ProviderTransient):
        alias.quote(PANDA, "10", Gate())
    assert alias.quote(PANDA, "10", Gate()).lowest_ask is not None


def test_a_catalog_answer_without_items_is_transient(alias, sandbox):
    sandbox.inject_fault("alias_catalog", status=200, body={"has_more": False})
    with pytest.raises(ProviderTransient, match="catalog_items"):
        alias.quote(PANDA, "10", Gate())


def test_garbage_amounts_become_none(alias, sandbox):
    alias.quote(PANDA, "10", Gate())
    sandbox.inject_fault("alias_availability", status=200, body={"availability": {
        "lowest_listing_price_cents": "12o00", "highest_offer_price_cents": None,
        "last_sold_listing_price_cents": "-500", "global_indicator_price_cents": "12750"}})
    quote = alias.quote(PANDA, "10", Gate())
    assert (quote.lowest_ask, quote.highest_bid, quote.last_sale) == (None, None, None)
    assert quote.extra == {"globalIndicator": Decimal("127.50")}
