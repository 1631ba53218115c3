"""Constants and request helpers for the Taxonomy, Browse, StockX and Alias sandbox tests."""

from __future__ import annotations

from typing import Any

import httpx

from local.sandbox import MarketplaceSandbox

from .helpers import SCOPE_PUBLIC, bearer, request_token

TAXONOMY = "/commerce/taxonomy/v1"
BROWSE_SEARCH = "/buy/browse/v1/item_summary/search"
STOCKX_TOKEN = "/oauth/token"
STOCKX = "/v2"
ALIAS = "/api/v1"

STOCKX_CLIENT_ID = "sx-client"
STOCKX_SECRET = "sx-secret"
STOCKX_API_KEY = "sx-api-key"
STOCKX_REFRESH = "sx-refresh-token"
ALIAS_PAT = "goatapi_sandbox_pat"

NEW_IN_BOX = {
    "product_condition": "PRODUCT_CONDITION_NEW",
    "packaging_condition": "PACKAGING_CONDITION_GOOD_CONDITION",
}


def app_headers(client: httpx.Client) -> dict[str, str]:
    """An eBay application token (client_credentials), as Taxonomy and Browse callers use."""
    response = request_token(client, {"grant_type": "client_credentials", "scope": SCOPE_PUBLIC})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def add_stockx_client(sandbox: MarketplaceSandbox, suffix: str = "") -> None:
    sandbox.add_stockx_client(
        STOCKX_CLIENT_ID + suffix, STOCKX_SECRET + suffix, STOCKX_API_KEY + suffix, STOCKX_REFRESH + suffix
    )


def stockx_token(client: httpx.Client, suffix: str = "") -> str:
    response = client.post(
        STOCKX_TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": STOCKX_CLIENT_ID + suffix,
            "client_secret": STOCKX_SECRET + suffix,
            "refresh_token": STOCKX_REFRESH + suffix,
            "audience": "gateway.stockx.com",
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def stockx_headers(client: httpx.Client, suffix: str = "") -> dict[str, str]:
    return {"Authorization": f"Bearer {stockx_token(client, suffix)}", "x-api-key": STOCKX_API_KEY + suffix}


def alias_headers(token: str = ALIAS_PAT) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Every node of a CategoryTreeNode, depth first."""
    found = [node]
    for child in node.get("childCategoryTreeNodes", []):
        found.extend(walk(child))
    return found
