"""The /_sandbox/ control endpoints for category trees, the market catalog, StockX and Alias."""

from __future__ import annotations

import httpx
import pytest

from local.sandbox import MarketplaceSandbox
from sellerjobs.clock import ManualClock

from .provider_helpers import ALIAS, STOCKX, STOCKX_TOKEN


@pytest.fixture
def bare() -> MarketplaceSandbox:
    return MarketplaceSandbox(clock=ManualClock())


@pytest.fixture
def ctl(bare: MarketplaceSandbox):
    with httpx.Client(transport=httpx.MockTransport(bare.handle), base_url="http://sandbox") as c:
        yield c


def test_stockx_clients_and_alias_tokens(ctl, bare):
    client = {"clientId": "c1", "clientSecret": "s1", "apiKey": "k1", "refreshToken": "r1"}
    assert ctl.post("/_sandbox/stockx-clients", json=client).is_success
    assert ctl.post("/_sandbox/alias-tokens", json={"token": "pat-1", "name": "dev"}).is_success

    token = ctl.post(
        STOCKX_TOKEN,
        data={"grant_type": "refresh_token", "client_id": "c1", "client_secret": "s1", "refresh_token": "r1"},
    ).json()["access_token"]
    stockx = {"Authorization": f"Bearer {token}", "x-api-key": "k1"}
    assert ctl.get(f"{STOCKX}/catalog/search", params={"query": "DD1391-100"}, headers=stockx).is_success
    alias = {"Authorization": "Bearer pat-1"}
    assert ctl.get(f"{ALIAS}/catalog", params={"query": "DD1391-100"}, headers=alias).is_success

    assert ctl.get("/_sandbox/call-counts", params={"provider": "stockx"}).json() == {
        "callCounts": {"stockx_token": 1, "stockx_search": 1}
    }
    assert ctl.post("/_sandbox/stockx-tokens/expire").is_success
    assert ctl.get(f"{STOCKX}/catalog/search", params={"query": "x"}, headers=stockx).status_code == 401
    assert ctl.post("/_sandbox/alias-tokens/revoke", json={"token": "pat-1"}).is_success
    assert ctl.get(f"{ALIAS}/catalog", params={"query": "x"}, headers=alias).status_code == 401
    assert ctl.post("/_sandbox/alias-tokens/revoke", json={"token": "nope"}).status_code == 409
    settings = ctl.post("/_sandbox/settings", json={"stockxTokenTtlSeconds": 60}).json()
    assert settings["stockxTokenTtlSeconds"] == 60 and bare.stockx_token_ttl_s == 60


def test_category_tree_controls(ctl, bare):
    assert ctl.get("/_sandbox/category-tree").json() == {"categoryTreeId": "0", "categoryTreeVersion": "131",
                                                         "leaves": 450}  # fmt: skip
    resized = ctl.post("/_sandbox/category-tree", json={"leaves": 1000, "seed": 5}).json()
    assert resized == {"categoryTreeId": "0", "categoryTreeVersion": "132", "leaves": 1000}
    assert len(bare.leaf_category_ids()) == 1000

    leaves = ctl.get("/_sandbox/category-tree/leaves", params={"parent": "26395"}).json()["categoryIds"]
    assert leaves == bare.leaf_category_ids(parent="26395")
    bare_leaves = ctl.get("/_sandbox/category-tree/leaves", params={"withAspects": "false"}).json()["categoryIds"]
    assert bare_leaves == bare.leaf_category_ids(with_aspects=False)
    uk = ctl.post("/_sandbox/category-tree", json={"leaves": 500, "tree_id": "3"}).json()
    assert (uk["categoryTreeId"], uk["leaves"]) == ("3", 500)

    assert ctl.post("/_sandbox/category-tree", json={"leaves": 5}).status_code == 400
    assert ctl.post("/_sandbox/category-tree", json={}).status_code == 400
    assert ctl.get("/_sandbox/category-tree/leaves", params={"parent": "nope"}).status_code == 409


def test_market_controls(ctl, bare):
    skus = ctl.get("/_sandbox/market-skus").json()["skus"]
    assert skus == bare.market_skus()
    assert ctl.get("/_sandbox/market-skus", params={"provider": "alias"}).json()["skus"] == bare.market_skus("alias")
    product = ctl.get("/_sandbox/market-product", params={"sku": "DD1391-100"}).json()
    assert product == bare.market_product("DD1391-100")
    prices = ctl.get("/_sandbox/market-prices", params={"sku": "DD1391-100", "size": "10"}).json()
    assert prices == bare.market_prices("DD1391-100", "10")

    assert ctl.post("/_sandbox/market-catalog", json={"skus": 50, "seed": 9}).json() == {"skus": 50}
    assert len(bare.market_skus()) == 50
    assert ctl.get("/_sandbox/market-prices", params={"sku": "NOPE", "size": "10"}).status_code == 409
    assert ctl.get("/_sandbox/market-skus", params={"provider": "goat"}).status_code == 400
