"""Alias auth: a personal access token as ``Authorization: Bearer <PAT>``, nothing to refresh.

The token's name identifies the caller in the call log and for rate limits.
"""

from __future__ import annotations

import secrets

import httpx

from local.sandbox.alias_errors import UNAUTHENTICATED, error_response
from local.sandbox.routing import RequestContext
from local.sandbox.state import AliasToken, SandboxState


def _presented(ctx: RequestContext) -> tuple[str, str]:
    scheme, _, value = ctx.request.headers.get("authorization", "").strip().partition(" ")
    return scheme.lower(), value.strip()


def _valid_token(state: SandboxState, value: str) -> AliasToken | None:
    for token in state.alias_tokens.values():
        if secrets.compare_digest(token.value, value) and not token.revoked:
            return token
    return None


def identify(state: SandboxState, ctx: RequestContext) -> None:
    scheme, value = _presented(ctx)
    token = _valid_token(state, value) if scheme == "bearer" and value else None
    ctx.app = token.name if token is not None else None


def authorize(state: SandboxState, ctx: RequestContext) -> httpx.Response | None:
    """None when the call may proceed, else 401 with gRPC code 16 (UNAUTHENTICATED)."""
    scheme, value = _presented(ctx)
    if scheme != "bearer" or not value:
        return error_response(401, "missing bearer token", code=UNAUTHENTICATED)
    if _valid_token(state, value) is None:
        return error_response(401, "invalid or revoked access token", code=UNAUTHENTICATED)
    return None
