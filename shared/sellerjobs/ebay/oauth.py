"""eBay OAuth: minting access tokens and keeping them until shortly before they expire.

eBay limits how often tokens may be minted (1,000 application tokens a day per app), and a
token lives two hours, so tokens are cached in memory and in a shared store (DynamoDB, sealed
with KMS) and reused by every container until ``margin_s`` before expiry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from sellerjobs.clock import Clock
from sellerjobs.ebay.credentials import AppCredentials
from sellerjobs.ebay.http import BudgetedHttp, json_body
from sellerjobs.jobs.marketplace import GrantRevoked, MarketplaceAuthError, MarketplaceTransient

TOKEN_PATH = "/identity/v1/oauth2/token"
APP = "APP"


class TokenCache(Protocol):
    def get(self, owner: str, scope: str) -> tuple[str, float] | None: ...

    def put(self, owner: str, scope: str, token: str, expires_at: float) -> None: ...

    def delete(self, owner: str, scope: str) -> None: ...


class RefreshTokens(Protocol):
    def get_refresh_token(self, user_id: str) -> str | None: ...

    def mark_revoked(self, user_id: str, reason: str) -> None:
        """Remember that eBay refused the seller's token, so the seller is told before queueing."""
        ...


@dataclass
class EbayOAuth:
    http: BudgetedHttp
    credentials: Callable[[], AppCredentials]
    clock: Clock

    def mint_user_token(self, refresh_token: str, scope: str) -> tuple[str, float]:
        return self._mint({"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": scope})

    def mint_app_token(self, scope: str) -> tuple[str, float]:
        return self._mint({"grant_type": "client_credentials", "scope": scope})

    def _mint(self, form: dict[str, str]) -> tuple[str, float]:
        app = self.credentials()
        response = self.http.send("POST", TOKEN_PATH, data=form, auth=(app.client_id, app.client_secret))
        if response.status_code == 200:
            body = json_body(response)
            try:
                return str(body["access_token"]), self.clock.now() + float(body["expires_in"])
            except (KeyError, TypeError, ValueError) as exc:
                raise MarketplaceTransient("eBay's token response had no access_token/expires_in") from exc
        error = _oauth_error(response)
        if error == "invalid_grant":
            raise GrantRevoked(
                "eBay rejected the stored refresh token (invalid_grant): reconnect the eBay account and "
                "store the new token with PUT /ebay/credentials")
        if error == "invalid_client":
            # Our app's credentials are wrong: no retry helps until an operator fixes the secret.
            raise MarketplaceAuthError(
                "eBay rejected the application's credentials (invalid_client): fix the eBay app secret")
        raise MarketplaceTransient(f"eBay token endpoint answered HTTP {response.status_code} ({error or 'no error'})")


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


@dataclass
class TokenProvider:
    oauth: EbayOAuth
    refresh_tokens: RefreshTokens
    cache: TokenCache
    clock: Clock
    margin_s: float = 300.0
    _memory: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)

    def user_token(self, user_id: str, scope: str) -> str:
        def mint() -> tuple[str, float]:
            refresh_token = self.refresh_tokens.get_refresh_token(user_id)
            if not refresh_token:
                raise MarketplaceAuthError(
                    "no eBay account connected for this user: store a refresh token with PUT /ebay/credentials")
            try:
                return self.oauth.mint_user_token(refresh_token, scope)
            except GrantRevoked as exc:
                self.refresh_tokens.mark_revoked(user_id, str(exc))
                raise

        return self._token(user_id, scope, mint)

    def app_token(self, scope: str) -> str:
        return self._token(APP, scope, lambda: self.oauth.mint_app_token(scope))

    def invalidate(self, owner: str, scope: str) -> None:
        """Forget a token eBay refused (revoked or expired early)."""
        self._memory.pop((owner, scope), None)
        self.cache.delete(owner, scope)

    def _token(self, owner: str, scope: str, mint: Callable[[], tuple[str, float]]) -> str:
        fresh_until = self.clock.now() + self.margin_s
        held = self._memory.get((owner, scope))
        if held and held[1] > fresh_until:
            return held[0]
        shared = self.cache.get(owner, scope)
        if shared and shared[1] > fresh_until:
            self._memory[(owner, scope)] = shared
            return shared[0]
        token, expires_at = mint()
        self.cache.put(owner, scope, token, expires_at)
        self._memory[(owner, scope)] = (token, expires_at)
        return token
