"""eBay OAuth: the token endpoint, and bearer-token checks for the REST APIs.

Two grants matter to the system: ``client_credentials`` (application token for Taxonomy/Browse)
and ``refresh_token`` (user token for a seller, e.g. for Marketing). The authorization-code
consent step happens in a browser outside the system, so the sandbox seeds refresh tokens instead.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import parse_qs

import httpx

from local.sandbox.ebay_errors import error_response
from local.sandbox.responses import json_response
from local.sandbox.routing import RequestContext, Route
from local.sandbox.state import APPLICATION_TOKEN, USER_TOKEN, AccessToken, App, SandboxState

TOKEN_PATH = "/identity/v1/oauth2/token"

SCOPE_PUBLIC = "https://api.ebay.com/oauth/api_scope"
SCOPE_MARKETING = "https://api.ebay.com/oauth/api_scope/sell.marketing"
SCOPE_MARKETING_READONLY = "https://api.ebay.com/oauth/api_scope/sell.marketing.readonly"
# Taxonomy's aspect operations also accept this application scope.
SCOPE_METADATA_INSIGHTS = "https://api.ebay.com/oauth/api_scope/metadata.insights"

# What a seller consented to when the refresh token was issued, unless a test says otherwise.
DEFAULT_SELLER_SCOPES = frozenset({SCOPE_PUBLIC, SCOPE_MARKETING, SCOPE_MARKETING_READONLY})
# Application tokens carry no user data scopes.
APPLICATION_SCOPES = frozenset({SCOPE_PUBLIC, SCOPE_METADATA_INSIGHTS})


def _oauth_error(status: int, error: str, description: str) -> httpx.Response:
    return json_response(status, {"error": error, "error_description": description})


def _invalid_request() -> httpx.Response:
    return _oauth_error(400, "invalid_request", "request is missing a required parameter or malformed.")


def _invalid_scope() -> httpx.Response:
    return _oauth_error(
        400,
        "invalid_scope",
        "The requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client",
    )


def authenticate_client(state: SandboxState, request: httpx.Request) -> App | None:
    """The app named by a valid ``Authorization: Basic base64(id:secret)`` header, else None."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, client_secret = decoded.partition(":")
    app = state.apps.get(client_id)
    if not sep or app is None or not secrets.compare_digest(app.client_secret, client_secret):
        return None
    return app


def _mint(
    state: SandboxState, ctx: RequestContext, token_type: str, seller: str | None, scopes: frozenset[str]
) -> AccessToken:
    assert ctx.app is not None
    # Opaque like eBay's; the prefix only makes sandbox tokens recognisable in logs.
    value = "v^1.1#i^1#sandbox#" + secrets.token_urlsafe(32)
    token = AccessToken(value, token_type, ctx.app, seller, scopes, ctx.now + state.access_token_ttl_s)
    state.tokens[value] = token
    return token


def token_endpoint(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    if ctx.app is None:
        return _oauth_error(401, "invalid_client", "client authentication failed")
    try:
        form = parse_qs(ctx.request.content.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return _invalid_request()
    grant_type = form.get("grant_type", [""])[0]
    requested = frozenset(form.get("scope", [""])[0].split())
    if not grant_type:
        return _invalid_request()

    if grant_type == "client_credentials":
        if not requested:
            return _invalid_request()
        if not requested <= APPLICATION_SCOPES:
            return _invalid_scope()
        token = _mint(state, ctx, APPLICATION_TOKEN, None, requested)
        state.tokens_minted["client_credentials"] += 1
        return json_response(
            200,
            {
                "access_token": token.value,
                "expires_in": state.access_token_ttl_s,
                "token_type": APPLICATION_TOKEN,
            },
        )

    if grant_type == "refresh_token":
        refresh_token = form.get("refresh_token", [""])[0]
        if not refresh_token:
            return _invalid_request()
        seller = state.seller_for_refresh_token(refresh_token)
        if seller is None or seller.revoked:
            return _oauth_error(
                400,
                "invalid_grant",
                "the provided authorization refresh token is invalid or was issued to another client",
            )
        ctx.seller = seller.username  # attributes the call in the log
        # Omitting scope means "everything the seller consented to"; asking for more is an error.
        if not requested <= seller.scopes:
            return _invalid_scope()
        token = _mint(state, ctx, USER_TOKEN, seller.username, requested or seller.scopes)
        state.tokens_minted["refresh_token"] += 1
        # No refresh_token_expires_in here: eBay only sends it with the authorization-code grant.
        return json_response(
            200,
            {"access_token": token.value, "expires_in": state.access_token_ttl_s, "token_type": USER_TOKEN},
        )

    return _oauth_error(
        400, "unsupported_grant_type", "grant type in request is not supported by the authorization server"
    )


def lookup_bearer(state: SandboxState, request: httpx.Request) -> AccessToken | None:
    """The token a request presents, valid or not (used to attribute calls in the log)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return state.tokens.get(value.strip())


def authorize_bearer(state: SandboxState, ctx: RequestContext) -> httpx.Response | None:
    """None when the request may proceed, else the 401/403 eBay would answer."""
    header = ctx.request.headers.get("authorization", "").strip()
    if not header:
        return error_response(401, 1002)
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return error_response(401, 1003)
    token = ctx.token
    if token is None or token.expires_at <= ctx.now:
        return error_response(401, 1001)
    if token.token_type not in ctx.route.token_types or not token.scopes & ctx.route.scopes:
        return error_response(403, 1100)
    return None


ROUTES = [
    Route(
        "POST",
        TOKEN_PATH,
        "oauth_token",
        token_endpoint,
        group="oauth",
        auth="client_basic",
        dialect="ebay_oauth",
    ),
]
