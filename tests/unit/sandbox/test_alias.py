"""Alias (GOAT) API: catalog search with pagination tokens, and pricing insights."""

from __future__ import annotations

import re

import pytest

from sellerjobs.clock import ManualClock

from .provider_helpers import ALIAS, ALIAS_PAT, NEW_IN_BOX, alias_headers

PANDA = "DD1391-100"
PRICE_FIELDS = {
    "lowest_listing_price_cents",
    "highest_offer_price_cents",
    "last_sold_listing_price_cents",
    "global_indicator_price_cents",
}


@pytest.fixture
def pat(sandbox):
    sandbox.add_alias_token(ALIAS_PAT)
    return alias_headers()


def _catalog_id(client, pat, sku: str = PANDA) -> str:
    items = client.get(f"{ALIAS}/catalog", params={"query": sku}, headers=pat).json()["catalog_items"]
    return str(items[0]["catalog_id"])


def _availability(client, pat, **params):
    return client.get(f"{ALIAS}/pricing_insights/availability", params={**NEW_IN_BOX, **params}, headers=pat)


def test_catalog_search_by_sku(client, sandbox, pat):
    response = client.get(f"{ALIAS}/catalog", params={"query": PANDA}, headers=pat)

    assert response.status_code == 200
    body = response.json()
    assert body["has_more"] is False and "next_pagination_token" not in body
    item = body["catalog_items"][0]
    assert item["catalog_id"] == "dunk-low-retro-white-black-panda-dd1391-100"
    assert item["sku"] == "DD1391 100"  # Alias writes style ids with a space
    assert item["name"] == "Nike Dunk Low Retro 'White Black Panda'"
    assert (item["brand"], item["gender"], item["product_type"], item["size_unit"]) == (
        "Nike", "men", "sneakers", "SIZE_UNIT_US"
    )  # fmt: skip
    assert item["product_category"] == "shoes"
    assert item["release_date"] == "2021-03-10"
    assert item["retail_price_cents"] == "11000"  # cents, as a string
    assert item["main_picture_url"].startswith("https://")
    sizes = item["allowed_sizes"]
    assert [size["display_name"] for size in sizes] == sandbox.market_product(PANDA)["sizes"]
    ten_and_a_half = next(size for size in sizes if size["display_name"] == "10.5")
    assert ten_and_a_half == {"display_name": "10.5", "value": 10.5, "us_size_equivalent": 10.5}
    assert all(isinstance(size["value"], int | float) for size in sizes)


def test_catalog_search_by_name_and_spaced_sku(client, pat):
    for query in ("DD1391 100", "dunk low panda"):
        items = client.get(f"{ALIAS}/catalog", params={"query": query}, headers=pat).json()["catalog_items"]
        assert "DD1391 100" in [item["sku"] for item in items]


def test_catalog_pagination_tokens(client, pat):
    url = f"{ALIAS}/catalog"
    everything = client.get(url, params={"query": "Jordan", "limit": 50}, headers=pat).json()
    first = client.get(url, params={"query": "Jordan", "limit": 5}, headers=pat).json()
    assert first["has_more"] is True and len(first["catalog_items"]) == 5
    seen, page = [], first
    while True:
        seen += [item["catalog_id"] for item in page["catalog_items"]]
        if not page["has_more"]:
            assert "next_pagination_token" not in page
            break
        params = {"query": "Jordan", "limit": 5, "pagination_token": page["next_pagination_token"]}
        page = client.get(url, params=params, headers=pat).json()
    assert len(seen) == len(set(seen)) > 5
    assert seen[:50] == [item["catalog_id"] for item in everything["catalog_items"]]


@pytest.mark.parametrize(
    "params",
    [{}, {"query": " "}, {"query": "dunk", "limit": "0"}, {"query": "dunk", "limit": "lots"},
     {"query": "dunk", "pagination_token": "garbage!"}],
)  # fmt: skip
def test_catalog_errors(client, pat, params):
    response = client.get(f"{ALIAS}/catalog", params=params, headers=pat)
    assert response.status_code == 400
    assert response.json()["code"] == 3 and response.json()["details"] == []


def test_token_from_another_query_is_refused(client, pat):
    token = client.get(f"{ALIAS}/catalog", params={"query": "Jordan", "limit": 2}, headers=pat).json()
    params = {"query": "Nike", "limit": 2, "pagination_token": token["next_pagination_token"]}
    assert client.get(f"{ALIAS}/catalog", params=params, headers=pat).status_code == 400


def test_availability(client, sandbox, pat):
    response = _availability(client, pat, catalog_id=_catalog_id(client, pat), size="10")

    assert response.status_code == 200
    availability = response.json()["availability"]
    assert availability == sandbox.market_prices(PANDA, "10")["alias"]
    assert set(availability) <= PRICE_FIELDS
    assert all(isinstance(value, str) and re.fullmatch(r"\d+00", value) for value in availability.values())
    assert _availability(client, pat, catalog_id=_catalog_id(client, pat), size="10.0").json() == response.json()


def test_some_figures_are_absent(sandbox):
    every = [sandbox.market_prices(sku, size)["alias"] for sku in sandbox.market_skus("alias")[:60]
             for size in sandbox.market_product(sku)["sizes"]]  # fmt: skip
    assert any(set(found) == PRICE_FIELDS for found in every)
    assert any("highest_offer_price_cents" not in found for found in every)


def test_other_conditions(client, pat):
    catalog_id = _catalog_id(client, pat)
    used = [
        _availability(client, pat, catalog_id=catalog_id, size=str(size), product_condition="PRODUCT_CONDITION_USED")
        .json()["availability"]
        for size in (7, 8, 9, 10, 11, 12)
    ]
    assert all(response == {} or set(response) <= PRICE_FIELDS for response in used)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"size": "10", "catalog_id": ""}, 400, 3),
        ({"size": "", "catalog_id": "x"}, 400, 3),
        ({"size": "ten", "catalog_id": "PANDA"}, 400, 3),
        ({"size": "10", "catalog_id": "PANDA", "product_condition": "MINT"}, 400, 3),
        ({"size": "10", "catalog_id": "PANDA", "packaging_condition": "BOXED"}, 400, 3),
        ({"size": "10", "catalog_id": "no-such-shoe"}, 404, 5),
        ({"size": "99", "catalog_id": "PANDA"}, 404, 5),
    ],
)
def test_availability_errors(client, pat, params, status, code):
    if params["catalog_id"] == "PANDA":
        params = {**params, "catalog_id": _catalog_id(client, pat)}
    response = _availability(client, pat, **params)
    assert response.status_code == status
    assert response.json()["code"] == code and isinstance(response.json()["message"], str)


def test_availabilities_for_every_size(client, sandbox, pat):
    catalog_id = _catalog_id(client, pat)
    response = client.get(f"{ALIAS}/pricing_insights/availabilities/{catalog_id}", headers=pat)

    assert response.status_code == 200
    variants = response.json()["variants"]
    new = {variant["size"]: variant for variant in variants if variant["product_condition"] == "PRODUCT_CONDITION_NEW"}
    assert new[10]["availability"] == sandbox.market_prices(PANDA, "10")["alias"]
    assert new[10.5]["packaging_condition"] == "PACKAGING_CONDITION_GOOD_CONDITION"
    for variant in variants:
        assert set(variant) == {"size", "product_condition", "packaging_condition", "consigned", "availability"}
        assert isinstance(variant["size"], int | float) and variant["availability"]
    missing = client.get(f"{ALIAS}/pricing_insights/availabilities/no-such-shoe", headers=pat)
    assert (missing.status_code, missing.json()["code"]) == (404, 5)


def test_sku_missing_from_alias(client, sandbox, pat):
    stockx_only = sorted(set(sandbox.market_skus("stockx")) - set(sandbox.market_skus("alias")))
    assert stockx_only
    items = client.get(f"{ALIAS}/catalog", params={"query": stockx_only[0]}, headers=pat).json()["catalog_items"]
    assert stockx_only[0].replace("-", " ") not in [item["sku"] for item in items]


def test_auth(client, sandbox, pat):
    url, params = f"{ALIAS}/catalog", {"query": PANDA}
    for headers in ({}, alias_headers("wrong"), {"Authorization": ALIAS_PAT}):
        response = client.get(url, params=params, headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == 16 and response.json()["details"] == []
    assert client.get(url, params=params, headers=pat).status_code == 200
    sandbox.revoke_alias_token(ALIAS_PAT)
    assert client.get(url, params=params, headers=pat).status_code == 401


def test_prices_drift_with_the_clock(client, pat, clock: ManualClock):
    url = f"{ALIAS}/pricing_insights/availabilities/{_catalog_id(client, pat)}"
    before = client.get(url, headers=pat).json()
    clock.advance(6 * 3600)  # personal access tokens do not expire
    after = client.get(url, headers=pat).json()
    assert before != after
