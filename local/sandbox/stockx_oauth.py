"""StockX auth: the OAuth2 token endpoint (accounts.stockx.com) and the API's two credentials.

Every catalog call needs the app's API key (``x-api-key``) *and* a bearer token minted for that
app. The token endpoint is an Auth0 tenant: client credentials in the body (form or JSON) or as
HTTP Basic, ``refresh_token`` and ``client_credentials`` grants, audience ``gateway.stockx.com``,
RFC 6749 error bodies. The API key identifies the caller for rate limits and the call log.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from urllib.parse import parse_qs

import httpx

from local.sandbox.responses import json_response
from local.sandbox.routing import RequestContext, Route
from local.sandbox.state import SandboxState, StockxClient, StockxToken
from local.sandbox.stockx_errors import error_response, oauth_error

TOKEN_PATH = "/oauth/token"
AUDIENCE = "gateway.stockx.com"
GROUP = "stockx_oauth"
# What a refresh grant is issued with (the scopes the app asked for at consent).
REFRESH_SCOPE = "offline_access openid"


def _form(request: httpx.Request) -> dict[str, str] | None:
    """Token request parameters from a form or JSON body; None when the body is unreadable."""
    raw = request.content or b""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return None
    if "json" in request.headers.get("content-type", "") or text.lstrip().startswith("{"):
        try:
            body = json.loads(text or "null")
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        return {str(key): str(value) for key, value in body.items() if value is not None}
    return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


def _basic_credentials(request: httpx.Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


def authenticate_client(state: SandboxState, request: httpx.Request) -> StockxClient | None:
    form = _form(request) or {}
    credentials = _basic_credentials(request) or (form.get("client_id", ""), form.get("client_secret", ""))
    client = state.stockx_clients.get(credentials[0])
    if client is None or not secrets.compare_digest(client.client_secret, credentials[1]):
        return None
    return client


def client_for_api_key(state: SandboxState, api_key: str) -> StockxClient | None:
    if not api_key:
        return None
    for client in state.stockx_clients.values():
        if secrets.compare_digest(client.api_key, api_key):
            return client
    return None


def _bearer(state: SandboxState, request: httpx.Request) -> StockxToken | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return state.stockx_tokens.get(value.strip())


def identify(state: SandboxState, ctx: RequestContext) -> None:
    """Attribute a catalog call to an app: by API key, else by the token's app."""
    client = client_for_api_key(state, ctx.request.headers.get("x-api-key", "").strip())
    if client is not None:
        ctx.app = client.client_id
        return
    token = _bearer(state, ctx.request)
    ctx.app = token.client_id if token is not None else None


def authorize(state: SandboxState, ctx: RequestContext) -> httpx.Response | None:
    """None when the call may proceed; else 403 (API key) or 401 (token), StockX's envelope."""
    client = client_for_api_key(state, ctx.request.headers.get("x-api-key", "").strip())
    if client is None:
        # The API gateway rejects a missing or unknown key before looking at the token.
        return error_response(403, "Forbidden")
    token = _bearer(state, ctx.request)
    if token is None or token.expires_at <= ctx.now:
        return error_response(401, "Unauthorized")
    if token.client_id != client.client_id:
        return error_response(401, "The access token was not issued to the application owning this API key")
    return None


def _mint(state: SandboxState, client: StockxClient, grant_type: str, now: float) -> StockxToken:
    value = "stockx-sandbox." + secrets.token_urlsafe(32)
    token = StockxToken(value, client.client_id, grant_type, now + state.stockx_token_ttl_s)
    state.stockx_tokens[value] = token
    return token


def token_endpoint(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    form = _form(ctx.request)
    if form is None:
        return oauth_error(400, "invalid_request", "the request body could not be parsed")
    client = state.stockx_clients.get(ctx.app) if ctx.app else None
    if client is None:
        return oauth_error(401, "access_denied", "Unauthorized")
    grant_type = form.get("grant_type", "")
    if not grant_type:
        return oauth_error(400, "invalid_request", "Missing required parameter: grant_type")
    audience = form.get("audience", "")
    if audience and audience != AUDIENCE:
        return oauth_error(403, "access_denied", f"Service not found: {audience}")

    if grant_type == "refresh_token":
        refresh_token = form.get("refresh_token", "")
        if not refresh_token:
            return oauth_error(400, "invalid_request", "Missing required parameter: refresh_token")
        if client.refresh_token is None or not secrets.compare_digest(client.refresh_token, refresh_token):
            return oauth_error(403, "invalid_grant", "Unknown or invalid refresh token.")
        token = _mint(state, client, grant_type, ctx.now)
        return json_response(
            200,
            {
                "access_token": token.value,
                "expires_in": state.stockx_token_ttl_s,
                "token_type": "Bearer",
                "scope": REFRESH_SCOPE,
            },
        )

    if grant_type == "client_credentials":
        if not audience:
            return oauth_error(403, "access_denied", "No audience parameter was provided")
        token = _mint(state, client, grant_type, ctx.now)
        # A client-credentials token acts for the app only; no user scopes come with it.
        return json_response(
            200, {"access_token": token.value, "expires_in": state.stockx_token_ttl_s, "token_type": "Bearer"}
        )

    return oauth_error(403, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")


ROUTES = [
    Route("POST", TOKEN_PATH, "stockx_token", token_endpoint, group=GROUP, auth="stockx_client",
          dialect="stockx_oauth"),
]  # fmt: skip
