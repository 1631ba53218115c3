"""Connecting a seller's eBay account: storing the refresh token eBay issued after consent."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from sellerjobs.errors import Conflict

logger = Logger(child=True)


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    NOT_CONNECTED = "not_connected"
    REVOKED = "revoked"  # eBay refused the stored refresh token


@dataclass(frozen=True)
class Connection:
    """Whether promotions can act on the seller's eBay account, and what to do if not."""

    status: ConnectionStatus
    since: int | None = None  # epoch ms: when the token was stored, or found revoked
    reason: str | None = None

    @property
    def usable(self) -> bool:
        return self.status is ConnectionStatus.CONNECTED

    def advice(self) -> str:
        if self.status is ConnectionStatus.CONNECTED:
            return "Your eBay account is connected: promotions act on it."
        if self.status is ConnectionStatus.REVOKED:
            return ("eBay no longer accepts your account's authorisation (it was revoked or has expired): "
                    "connect your eBay account again, then retry your failed promotions.")
        return ("No eBay account is connected: connect yours (eBay's consent page, then PUT /ebay/credentials) "
                "before queueing promotions.")

    def to_api(self) -> dict[str, Any]:
        return {"status": self.status.value, "connected": self.usable, "since": self.since,
                "message": self.advice()}


class NotConnected(Conflict):
    """A promotion was asked for while no usable eBay account is connected: refused before anything
    is queued, rather than failing minutes later."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection.advice(), field="request")
        self.connection = connection


class CredentialStore(Protocol):
    def put_refresh_token(self, user_id: str, refresh_token: str) -> None: ...

    def get_refresh_token(self, user_id: str) -> str | None: ...

    def connection(self, user_id: str) -> Connection: ...


class TokenForgetter(Protocol):
    def delete(self, owner: str, scope: str) -> None: ...


@dataclass
class EbayAccountService:
    credentials: CredentialStore
    tokens: TokenForgetter
    # The scope of the access tokens minted from a seller's refresh token (the adapter's name for
    # it; the composition root passes it in).
    token_scope: str

    def connect(self, user_id: str, refresh_token: str) -> None:
        self.credentials.put_refresh_token(user_id, refresh_token)
        # Access tokens minted from the previous refresh token belong to the old grant.
        self.tokens.delete(user_id, self.token_scope)
        logger.info("eBay refresh token stored", extra={"user_id": user_id})

    def connection(self, user_id: str) -> Connection:
        return self.credentials.connection(user_id)
