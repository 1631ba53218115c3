"""Taxonomy, Browse, StockX and Alias served over real HTTP on loopback, seeded via /_sandbox/."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from local.sandbox import MarketplaceSandbox, serve
from sellerjobs.clock import ManualClock

from .helpers import SCOPE_PUBLIC, basic_auth, bearer
from .provider_helpers import ALIAS, BROWSE_SEARCH, NEW_IN_BOX, STOCKX, STOCKX_TOKEN, TAXONOMY


@pytest.fixture
def http():
    with serve(MarketplaceSandbox(clock=ManualClock())) as running, httpx.Client(
        base_url=running.url, timeout=5
    ) as client:
        client.post("/_sandbox/apps", json={"client_id": "sellerjobs-app", "client_secret": "s3cret"})
        yield client


def _app(http: httpx.Client) -> dict[str, str]:
    response = http.post(
        "/identity/v1/oauth2/token",
        data={"grant_type": "client_credentials", "scope": SCOPE_PUBLIC},
        headers=basic_auth(),
    )
    return bearer(response.json()["access_token"])


def test_taxonomy_over_http(http):
    app = _app(http)
    tree = http.get(f"{TAXONOMY}/category_tree/0", headers=app)  # httpx asks for gzip by default
    assert tree.status_code == 200
    assert tree.headers["content-encoding"] == "gzip"
    assert tree.num_bytes_downloaded < len(tree.content)  # compressed on the wire, decoded by the client
    assert tree.json()["rootCategoryNode"]["categoryTreeNodeLevel"] == 0

    aspects = http.get(f"{TAXONOMY}/category_tree/0/fetch_item_aspects", headers=app)
    assert aspects.headers["content-type"] == "application/octet-stream"
    document = json.loads(gzip.decompress(aspects.content))
    leaves = http.get("/_sandbox/category-tree/leaves", params={"withAspects": "true"}).json()["categoryIds"]
    assert [entry["category"]["categoryId"] for entry in document["categoryAspects"]] == leaves


def test_browse_over_http(http):
    app = _app(http)
    first = http.get(BROWSE_SEARCH, params={"q": "DD1391-100", "limit": 5}, headers=app).json()
    assert first["next"].startswith(str(http.base_url).rstrip("/"))
    second = http.get(first["next"], headers=app).json()
    assert second["offset"] == 5
    ids = {item["itemId"] for item in first["itemSummaries"] + second["itemSummaries"]}
    assert len(ids) == 10


def test_stockx_over_http(http):
    http.post("/_sandbox/stockx-clients",
              json={"client_id": "c", "client_secret": "s", "api_key": "k", "refresh_token": "r"})  # fmt: skip
    token = http.post(
        STOCKX_TOKEN,
        json={"grant_type": "refresh_token", "client_id": "c", "client_secret": "s", "refresh_token": "r",
              "audience": "gateway.stockx.com"},
    ).json()["access_token"]  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "x-api-key": "k"}
    product = http.get(f"{STOCKX}/catalog/search", params={"query": "DD1391-100"}, headers=headers).json()
    product_id = product["products"][0]["productId"]
    rows = http.get(f"{STOCKX}/catalog/products/{product_id}/market-data", headers=headers).json()
    expected = http.get("/_sandbox/market-prices", params={"sku": "DD1391-100", "size": "10"}).json()["stockx"]
    assert expected in rows
    assert http.get(f"{STOCKX}/catalog/search", params={"query": "x"}).status_code == 403


def test_alias_over_http(http):
    http.post("/_sandbox/alias-tokens", json={"token": "pat"})
    headers = {"Authorization": "Bearer pat"}
    item = http.get(f"{ALIAS}/catalog", params={"query": "DD1391-100"}, headers=headers).json()["catalog_items"][0]
    availability = http.get(
        f"{ALIAS}/pricing_insights/availability",
        params={"catalog_id": item["catalog_id"], "size": "10", **NEW_IN_BOX},
        headers=headers,
    ).json()
    expected = http.get("/_sandbox/market-prices", params={"sku": "DD1391-100", "size": "10"}).json()["alias"]
    assert availability == {"availability": expected}
    unauthenticated = http.get(f"{ALIAS}/catalog", params={"query": "x"})
    assert unauthenticated.status_code == 401 and unauthenticated.json()["code"] == 16
