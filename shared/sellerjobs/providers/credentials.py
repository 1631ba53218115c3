"""Credentials for the market providers (plain data; no HTTP here).

They arrive as one JSON secret::

    {"stockx": {"apiKey": "...", "clientId": "...", "clientSecret": "...", "refreshToken": "..."},
     "alias": {"token": "..."}}

Either section may be left out when that provider is not used; a section that is present must
be complete. Errors name the missing or malformed key and never the value, and the secrets are
kept out of ``repr`` so a logged object or a traceback's locals cannot show them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StockXCredentials:
    api_key: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)


@dataclass(frozen=True)
class AliasCredentials:
    token: str = field(repr=False)  # a personal access token: nothing to refresh it with


@dataclass(frozen=True)
class MarketCredentials:
    stockx: StockXCredentials | None = None
    alias: AliasCredentials | None = None

    @classmethod
    def from_json(cls, text: str | bytes) -> MarketCredentials:
        try:
            raw = json.loads(text)
        except ValueError:
            # ``from None``: the decode error carries the whole document, secrets included.
            raise ValueError("market credentials are not valid JSON") from None
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: object) -> MarketCredentials:
        if not isinstance(raw, Mapping):
            raise ValueError("market credentials must be a JSON object with 'stockx' and/or 'alias'")
        stockx = _section(raw, "stockx")
        alias = _section(raw, "alias")
        return cls(
            stockx=None if stockx is None else StockXCredentials(
                api_key=_text(stockx, "stockx", "apiKey"), client_id=_text(stockx, "stockx", "clientId"),
                client_secret=_text(stockx, "stockx", "clientSecret"),
                refresh_token=_text(stockx, "stockx", "refreshToken")),
            alias=None if alias is None else AliasCredentials(token=_text(alias, "alias", "token")),
        )

    def require_stockx(self) -> StockXCredentials:
        if self.stockx is None:
            raise ValueError("no StockX credentials: the market credentials have no 'stockx' section")
        return self.stockx

    def require_alias(self) -> AliasCredentials:
        if self.alias is None:
            raise ValueError("no Alias credentials: the market credentials have no 'alias' section")
        return self.alias


def _section(raw: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    section = raw.get(name)
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise ValueError(f"market credentials: '{name}' must be an object")
    return section


def _text(section: Mapping[str, Any], name: str, key: str) -> str:
    if key not in section:
        raise ValueError(f"market credentials: '{name}.{key}' is missing")
    value = section[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"market credentials: '{name}.{key}' must be a non-empty string")
    return value.strip()
