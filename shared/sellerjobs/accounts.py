"""Connecting a seller's eBay account: storing the refresh token eBay issued after consent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aws_lambda_powertools import Logger

from sellerjobs.ebay.credentials import MARKETING_SCOPE

logger = Logger(child=True)


class CredentialStore(Protocol):
    def put_refresh_token(self, user_id: str, refresh_token: str) -> None: ...

    def get_refresh_token(self, user_id: str) -> str | None: ...


class TokenForgetter(Protocol):
    def delete(self, owner: str, scope: str) -> None: ...


@dataclass
class EbayAccountService:
    credentials: CredentialStore
    tokens: TokenForgetter

    def connect(self, user_id: str, refresh_token: str) -> None:
        self.credentials.put_refresh_token(user_id, refresh_token)
        # Access tokens minted from the previous refresh token belong to the old grant.
        self.tokens.delete(user_id, MARKETING_SCOPE)
        logger.info("eBay refresh token stored", extra={"user_id": user_id})
