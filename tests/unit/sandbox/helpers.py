"""Shared constants and small request helpers for the sandbox tests."""

from __future__ import annotations

import base64
from typing import Any

import httpx

CLIENT_ID = "sellerjobs-app"
CLIENT_SECRET = "s3cret"
BASE_URL = "https://api.ebay.com"
TOKEN_PATH = "/identity/v1/oauth2/token"
MARKETING = "/sell/marketing/v1"
SCOPE_PUBLIC = "https://api.ebay.com/oauth/api_scope"
SCOPE_MARKETING = "https://api.ebay.com/oauth/api_scope/sell.marketing"
SCOPE_MARKETING_READONLY = "https://api.ebay.com/oauth/api_scope/sell.marketing.readonly"


def basic_auth(client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def request_token(client: httpx.Client, form: dict[str, str], **auth: str) -> httpx.Response:
    return client.post(TOKEN_PATH, data=form, headers=basic_auth(**auth))


def user_token(client: httpx.Client, refresh_token: str, scope: str = SCOPE_MARKETING) -> str:
    response = request_token(
        client, {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": scope}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ads_request(*listing_ids: str, bid: str | None = "5.0") -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for listing_id in listing_ids:
        item: dict[str, Any] = {"listingId": listing_id}
        if bid is not None:
            item["bidPercentage"] = bid
        items.append(item)
    return {"requests": items}


def only_error(response: httpx.Response) -> dict[str, Any]:
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    return error
