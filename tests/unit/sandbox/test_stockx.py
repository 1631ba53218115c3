"""StockX public API v2: OAuth token endpoint, catalog search, variants and market data."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest

from sellerjobs.clock import ManualClock

from .provider_helpers import (
    STOCKX,
    STOCKX_API_KEY,
    STOCKX_CLIENT_ID,
    STOCKX_REFRESH,
    STOCKX_SECRET,
    STOCKX_TOKEN,
    add_stockx_client,
    stockx_headers,
)

PANDA = "DD1391-100"
AMOUNT_FIELDS = ("lowestAskAmount", "highestBidAmount", "sellFasterAmount", "earnMoreAmount", "flexLowestAskAmount")
TIER_FIELDS = {"lowestAsk", "highestBidAmount", "sellFaster", "earnMore", "beatUS"}


@pytest.fixture
def sx(client, sandbox):
    add_stockx_client(sandbox)
    return stockx_headers(client)


def _panda(client, sx) -> dict[str, Any]:
    response = client.get(f"{STOCKX}/catalog/search", params={"query": PANDA, "pageSize": 10}, headers=sx)
    assert response.status_code == 200
    products = response.json()["products"]
    assert len(products) == 1
    return products[0]


def _is_amount(value: object) -> bool:
    return value is None or (isinstance(value, str) and re.fullmatch(r"\d+", value) is not None)


# ---------------------------------------------------------------- token endpoint


def test_refresh_grant_with_form_body(client, sandbox):
    add_stockx_client(sandbox)
    response = client.post(
        STOCKX_TOKEN,
        data={"grant_type": "refresh_token", "client_id": STOCKX_CLIENT_ID, "client_secret": STOCKX_SECRET,
              "refresh_token": STOCKX_REFRESH, "audience": "gateway.stockx.com"},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert (body["expires_in"], body["token_type"]) == (43200, "Bearer")
    assert body["scope"] == "offline_access openid"


def test_client_credentials_with_json_body_or_basic_auth(client, sandbox):
    add_stockx_client(sandbox)
    as_json = client.post(
        STOCKX_TOKEN,
        json={"grant_type": "client_credentials", "client_id": STOCKX_CLIENT_ID, "client_secret": STOCKX_SECRET,
              "audience": "gateway.stockx.com"},
    )  # fmt: skip
    basic = base64.b64encode(f"{STOCKX_CLIENT_ID}:{STOCKX_SECRET}".encode()).decode()
    as_basic = client.post(
        STOCKX_TOKEN,
        data={"grant_type": "client_credentials", "audience": "gateway.stockx.com"},
        headers={"Authorization": f"Basic {basic}"},
    )
    for response in (as_json, as_basic):
        assert response.status_code == 200
        assert response.json()["token_type"] == "Bearer"
    token = as_json.json()["access_token"]
    search = client.get(
        f"{STOCKX}/catalog/search", params={"query": PANDA}, headers={"Authorization": f"Bearer {token}",
                                                                       "x-api-key": STOCKX_API_KEY}
    )  # fmt: skip
    assert search.status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "refresh_token", "client_secret": "wrong"}, 401, "access_denied"),
        ({"grant_type": "refresh_token", "refresh_token": "stale"}, 403, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": ""}, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "audience": ""}, 403, "access_denied"),
        ({"grant_type": "refresh_token", "audience": "elsewhere.example"}, 403, "access_denied"),
        ({"grant_type": "password"}, 403, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
    ],
)
def test_token_errors(client, sandbox, form, status, error):
    add_stockx_client(sandbox)
    base = {"client_id": STOCKX_CLIENT_ID, "client_secret": STOCKX_SECRET, "refresh_token": STOCKX_REFRESH,
            "audience": "gateway.stockx.com"}  # fmt: skip
    response = client.post(STOCKX_TOKEN, data={**base, **form})
    assert response.status_code == status
    assert response.json()["error"] == error
    assert isinstance(response.json()["error_description"], str)


# ---------------------------------------------------------------- auth on the API


def test_api_needs_key_and_token(client, sandbox, sx):
    url, params = f"{STOCKX}/catalog/search", {"query": PANDA}
    cases = [
        ({"Authorization": sx["Authorization"]}, 403),  # no API key
        ({**sx, "x-api-key": "nope"}, 403),
        ({"x-api-key": STOCKX_API_KEY}, 401),  # no token
        ({**sx, "Authorization": "Bearer forged"}, 401),
    ]
    for headers, status in cases:
        response = client.get(url, params=params, headers=headers)
        assert response.status_code == status
        assert response.json() == {"statusCode": status, "message": response.json()["message"]}
        assert response.json()["message"]


def test_token_of_another_app_is_refused(client, sandbox, sx):
    add_stockx_client(sandbox, "-2")
    other = stockx_headers(client, "-2")
    mixed = {"Authorization": other["Authorization"], "x-api-key": STOCKX_API_KEY}
    assert client.get(f"{STOCKX}/catalog/search", params={"query": PANDA}, headers=mixed).status_code == 401


def test_tokens_expire_after_twelve_hours(client, sandbox, sx, clock: ManualClock):
    url, params = f"{STOCKX}/catalog/search", {"query": PANDA}
    clock.advance(43_199)
    assert client.get(url, params=params, headers=sx).status_code == 200
    clock.advance(1)
    assert client.get(url, params=params, headers=sx).status_code == 401

    fresh = stockx_headers(client)
    sandbox.expire_stockx_tokens()
    assert client.get(url, params=params, headers=fresh).status_code == 401


# ---------------------------------------------------------------- search


def test_search_by_style_id(client, sx):
    product = _panda(client, sx)

    uuid.UUID(product["productId"])
    assert product["styleId"] == PANDA
    assert product["title"] == "Nike Dunk Low Retro White Black Panda"
    assert product["brand"] == "Nike"
    assert product["productType"] == "sneakers"
    assert product["urlKey"] == "nike-dunk-low-retro-white-black-panda"
    attributes = product["productAttributes"]
    assert set(attributes) == {"gender", "season", "releaseDate", "retailPrice", "colorway", "color"}
    assert attributes["retailPrice"] == 110  # a number, unlike market-data amounts
    assert attributes["releaseDate"] == "2021-03-10" and attributes["season"] == "SS21"


def test_search_by_gtin_and_keywords(client, sandbox, sx):
    gtin = sandbox.market_product(PANDA)["gtins"]["9.5"]
    by_gtin = client.get(f"{STOCKX}/catalog/search", params={"query": gtin, "pageSize": 50}, headers=sx).json()
    assert [product["styleId"] for product in by_gtin["products"]] == [PANDA]

    words = client.get(f"{STOCKX}/catalog/search", params={"query": "dunk low panda", "pageSize": 50}, headers=sx)
    assert PANDA in [product["styleId"] for product in words.json()["products"]]


def test_search_paging(client, sx):
    url = f"{STOCKX}/catalog/search"
    first = client.get(url, params={"query": "Jordan", "pageSize": 7}, headers=sx).json()
    assert first["count"] > 14 and first["hasNextPage"] is True
    assert (first["pageNumber"], first["pageSize"]) == (1, 7)
    seen, page = [], first
    while True:
        seen += [product["productId"] for product in page["products"]]
        if not page["hasNextPage"]:
            break
        page = client.get(url, params={"query": "Jordan", "pageSize": 7, "pageNumber": page["pageNumber"] + 1},
                          headers=sx).json()  # fmt: skip
    assert len(seen) == len(set(seen)) == first["count"]
    beyond = client.get(url, params={"query": "Jordan", "pageSize": 7, "pageNumber": 999}, headers=sx).json()
    assert (beyond["products"], beyond["hasNextPage"]) == ([], False)


def test_search_page_size_defaults_to_one(client, sx):
    body = client.get(f"{STOCKX}/catalog/search", params={"query": "Jordan"}, headers=sx).json()
    assert body["pageSize"] == 1 and len(body["products"]) == 1


@pytest.mark.parametrize(
    "params",
    [{}, {"query": ""}, {"query": "x" * 101}, {"query": "dunk", "pageSize": "51"}, {"query": "dunk", "pageNumber": "0"},
     {"query": "dunk", "pageSize": "many"}],
)  # fmt: skip
def test_search_errors(client, sx, params):
    response = client.get(f"{STOCKX}/catalog/search", params=params, headers=sx)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400 and response.json()["message"]


def test_sku_missing_from_stockx(client, sandbox, sx):
    alias_only = sorted(set(sandbox.market_skus("alias")) - set(sandbox.market_skus("stockx")))
    assert alias_only
    body = client.get(f"{STOCKX}/catalog/search", params={"query": alias_only[0], "pageSize": 50}, headers=sx).json()
    assert alias_only[0] not in [product["styleId"] for product in body["products"]]


# ---------------------------------------------------------------- variants and market data


def test_variants(client, sandbox, sx):
    product = _panda(client, sx)
    response = client.get(f"{STOCKX}/catalog/products/{product['productId']}/variants", headers=sx)

    assert response.status_code == 200
    variants = response.json()
    expected = sandbox.market_product(PANDA)
    assert [variant["variantValue"] for variant in variants] == expected["sizes"]
    for variant in variants:
        assert variant["productId"] == product["productId"]
        assert variant["variantId"] == expected["stockxVariantIds"][variant["variantValue"]]
        assert isinstance(variant["variantName"], str)
        chart = variant["sizeChart"]
        assert chart["defaultConversion"] == {"size": variant["variantValue"], "type": "us m"}
        assert {"us m", "us w", "uk", "cm"} <= {conversion["type"] for conversion in chart["availableConversions"]}
        assert variant["gtins"] == [{"identifier": expected["gtins"][variant["variantValue"]], "type": "UPC"}]
    ten = next(variant for variant in variants if variant["variantValue"] == "10")
    assert {"size": "44", "type": "eu"} in ten["sizeChart"]["availableConversions"]


def test_variant_market_data(client, sandbox, sx):
    product = sandbox.market_product(PANDA)
    url = f"{STOCKX}/catalog/products/{product['stockxProductId']}/variants/{product['stockxVariantIds']['10']}"
    response = client.get(f"{url}/market-data", params={"currencyCode": "USD"}, headers=sx)

    assert response.status_code == 200
    data = response.json()
    assert data == sandbox.market_prices(PANDA, "10")["stockx"]
    assert (data["productId"], data["variantId"], data["currencyCode"]) == (
        product["stockxProductId"], product["stockxVariantIds"]["10"], "USD"
    )  # fmt: skip
    assert all(_is_amount(data[field]) for field in AMOUNT_FIELDS)
    assert isinstance(data["lowestAskAmount"], str)
    for tier in ("standardMarketData", "flexMarketData", "directMarketData"):
        assert set(data[tier]) == TIER_FIELDS
        assert all(_is_amount(value) for value in data[tier].values())
    assert data["standardMarketData"]["lowestAsk"] == data["lowestAskAmount"]


def test_product_market_data_and_nulls(client, sandbox, sx):
    product = sandbox.market_product(PANDA)
    response = client.get(f"{STOCKX}/catalog/products/{product['stockxProductId']}/market-data", headers=sx)
    rows = response.json()
    assert [row["variantId"] for row in rows] == [product["stockxVariantIds"][size] for size in product["sizes"]]

    # Across the catalog some sizes have no bids (null), and some have no asks at all.
    every = [sandbox.market_prices(sku, size)["stockx"] for sku in sandbox.market_skus("stockx")[:60]
             for size in sandbox.market_product(sku)["sizes"]]  # fmt: skip
    assert any(row["highestBidAmount"] is None for row in every)
    assert any(row["lowestAskAmount"] is None for row in every)
    assert any(row["flexLowestAskAmount"] is None for row in every)
    assert all(row["highestBidAmount"] is None or _is_amount(row["highestBidAmount"]) for row in every)


def test_other_currencies(client, sandbox, sx):
    product = sandbox.market_product(PANDA)
    url = f"{STOCKX}/catalog/products/{product['stockxProductId']}/market-data"
    usd = client.get(url, headers=sx).json()
    eur = client.get(url, params={"currencyCode": "EUR"}, headers=sx).json()
    assert {row["currencyCode"] for row in eur} == {"EUR"}
    assert [row["lowestAskAmount"] for row in eur] != [row["lowestAskAmount"] for row in usd]
    bad = client.get(url, params={"currencyCode": "XYZ"}, headers=sx)
    assert bad.status_code == 400 and bad.json()["statusCode"] == 400


def test_not_found_and_foreign_variants(client, sandbox, sx):
    unknown = client.get(f"{STOCKX}/catalog/products/{uuid.uuid4()}/variants", headers=sx)
    assert unknown.status_code == 404
    assert unknown.json() == {"statusCode": 404, "message": "Product not found"}

    panda, force = sandbox.market_product(PANDA), sandbox.market_product("CW2288-111")
    foreign = f"{STOCKX}/catalog/products/{panda['stockxProductId']}/variants/{force['stockxVariantIds']['10']}"
    assert client.get(f"{foreign}/market-data", headers=sx).status_code == 400
    missing = f"{STOCKX}/catalog/products/{panda['stockxProductId']}/variants/{uuid.uuid4()}/market-data"
    assert client.get(missing, headers=sx).status_code == 404


def test_market_data_drifts_with_the_clock(client, sandbox, sx, clock: ManualClock):
    url = f"{STOCKX}/catalog/products/{sandbox.market_product(PANDA)['stockxProductId']}/market-data"
    before = [row["lowestAskAmount"] for row in client.get(url, headers=sx).json()]
    assert [row["lowestAskAmount"] for row in client.get(url, headers=sx).json()] == before  # stable at one instant
    clock.advance(6 * 3600)
    after = [row["lowestAskAmount"] for row in client.get(url, headers=sx).json()]
    assert sum(a != b for a, b in zip(before, after, strict=True)) > len(before) / 2
