from __future__ import annotations

import httpx
import pytest

from local.sandbox import MarketplaceSandbox
from sellerjobs.clock import ManualClock

from .helpers import (
    MARKETING,
    SCOPE_MARKETING,
    SCOPE_MARKETING_READONLY,
    SCOPE_PUBLIC,
    basic_auth,
    bearer,
    request_token,
    user_token,
)

INVALID_TOKEN = {
    "errors": [
        {
            "errorId": 1001,
            "domain": "OAuth",
            "category": "REQUEST",
            "message": "Invalid access token",
            "longMessage": "Invalid access token. Check the value of the Authorization HTTP request header.",
        }
    ]
}


def test_client_credentials_grant_returns_application_token(client, sandbox):
    response = request_token(client, {"grant_type": "client_credentials", "scope": SCOPE_PUBLIC})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["expires_in"] == 7200
    assert body["token_type"] == "Application Access Token"
    assert sandbox.tokens_minted == {"client_credentials": 1, "refresh_token": 0}


def test_refresh_token_grant_returns_user_token(client, sandbox):
    response = request_token(
        client, {"grant_type": "refresh_token", "refresh_token": "rt-alice", "scope": SCOPE_MARKETING}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "User Access Token"
    assert body["expires_in"] == 7200
    assert "refresh_token_expires_in" not in body  # only the authorization-code grant returns it
    assert sandbox.tokens_minted == {"client_credentials": 0, "refresh_token": 1}


def test_tokens_are_opaque_and_unique(client):
    first = user_token(client, "rt-alice")
    second = user_token(client, "rt-alice")
    assert first != second
    assert "alice" not in first


@pytest.mark.parametrize(
    "auth",
    [basic_auth(client_secret="wrong"), basic_auth(client_id="nobody"), {"Authorization": "Basic !!!"}, {}],
)
def test_bad_client_credentials_answer_invalid_client(client, sandbox, auth):
    response = client.post(
        "/identity/v1/oauth2/token",
        data={"grant_type": "client_credentials", "scope": SCOPE_PUBLIC},
        headers=auth,
    )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": "client authentication failed"}
    assert sandbox.tokens_minted["client_credentials"] == 0


def test_unknown_refresh_token_answers_invalid_grant(client):
    response = request_token(client, {"grant_type": "refresh_token", "refresh_token": "rt-nobody"})

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": (
            "the provided authorization refresh token is invalid or was issued to another client"
        ),
    }


def test_revoked_refresh_token_answers_invalid_grant(client, sandbox):
    user_token(client, "rt-alice")
    sandbox.revoke_refresh_token("alice")

    response = request_token(client, {"grant_type": "refresh_token", "refresh_token": "rt-alice"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert sandbox.tokens_minted["refresh_token"] == 1


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": SCOPE_MARKETING}, "invalid_scope"),
        (
            {"grant_type": "refresh_token", "refresh_token": "rt-alice", "scope": SCOPE_MARKETING + ".nope"},
            "invalid_scope",
        ),
    ],
)
def test_malformed_token_requests_are_400(client, form, error):
    response = request_token(client, form)

    assert response.status_code == 400
    assert response.json()["error"] == error


def test_user_token_expires_with_the_clock(client, clock: ManualClock):
    headers = bearer(user_token(client, "rt-alice"))
    assert client.get(f"{MARKETING}/ad_campaign", headers=headers).status_code == 200

    clock.advance(7199)
    assert client.get(f"{MARKETING}/ad_campaign", headers=headers).status_code == 200

    clock.advance(1)
    response = client.get(f"{MARKETING}/ad_campaign", headers=headers)
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_expire_access_tokens_control(client, sandbox):
    headers = bearer(user_token(client, "rt-alice"))
    sandbox.expire_access_tokens("alice")
    assert client.get(f"{MARKETING}/ad_campaign", headers=headers).status_code == 401


def test_unknown_token_is_401_1001(client):
    response = client.get(f"{MARKETING}/ad_campaign", headers=bearer("made-up"))
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_missing_token_is_401(client):
    response = client.get(f"{MARKETING}/ad_campaign")
    assert response.status_code == 401
    assert response.json()["errors"][0]["errorId"] == 1002
    assert response.json()["errors"][0]["domain"] == "OAuth"


def test_application_token_is_forbidden_on_marketing(client):
    token = request_token(client, {"grant_type": "client_credentials", "scope": SCOPE_PUBLIC}).json()
    response = client.get(f"{MARKETING}/ad_campaign", headers=bearer(token["access_token"]))

    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "errorId": 1100,
                "domain": "OAuth",
                "category": "REQUEST",
                "message": "Access denied",
                "longMessage": "Insufficient permissions to fulfill the request.",
            }
        ]
    }


def test_user_token_without_marketing_scope_is_forbidden(client):
    headers = bearer(user_token(client, "rt-alice", scope=SCOPE_PUBLIC))
    assert client.get(f"{MARKETING}/ad_campaign", headers=headers).status_code == 403


def test_readonly_scope_reads_but_cannot_write(client, campaign_id):
    headers = bearer(user_token(client, "rt-alice", scope=SCOPE_MARKETING_READONLY))

    assert client.get(f"{MARKETING}/ad_campaign/{campaign_id}", headers=headers).status_code == 200
    response = client.post(
        f"{MARKETING}/ad_campaign/{campaign_id}/ad", json={"listingId": "1"}, headers=headers
    )
    assert response.status_code == 403


def test_seller_scopes_limit_what_can_be_requested(clock):
    sb = MarketplaceSandbox(clock=clock)
    sb.add_app("a", "b")
    sb.add_seller("carol", "rt-carol", scopes=frozenset({SCOPE_PUBLIC}))
    with httpx.Client(transport=httpx.MockTransport(sb.handle), base_url="https://api.ebay.com") as c:
        form = {"grant_type": "refresh_token", "refresh_token": "rt-carol", "scope": SCOPE_MARKETING}
        response = request_token(c, form, client_id="a", client_secret="b")
    assert response.json()["error"] == "invalid_scope"
