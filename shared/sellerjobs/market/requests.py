"""The market API's request bodies and the formats of its skus and sizes."""

from __future__ import annotations

from typing import Annotated, Self
from urllib.parse import unquote

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from sellerjobs.market.job import Priority, Provider
from sellerjobs.text import Matches

# Style codes and search terms as the providers spell them ("DD1391-100", "555088 134"). "|" is
# excluded because it separates the parts of a job's dedupe key.
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
                Matches("[A-Za-z0-9][A-Za-z0-9 ._/#+-]*",
                        "must be a style code: letters and digits, with spaces or . _ / # + - inside")]
# "10", "10.5", "W 7", "UK 9", "XL": what a seller's inventory calls the size.
Size = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16),
                 Matches("[A-Za-z0-9][A-Za-z0-9 ._/()+-]*",
                         "must be a size: letters and digits, with spaces or . _ / ( ) + - inside")]
# A sku in a URL path: API Gateway hands the path over as sent, "555088%20134" for "555088 134".
PathSku = Annotated[Sku, BeforeValidator(lambda value: unquote(value) if isinstance(value, str) else value)]

MAX_ITEMS = 100  # per request: a page of a seller's portfolio
_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class MarketItem(BaseModel):
    model_config = _STRICT

    sku: Sku = Field(description="the product's style code, as the provider knows it")
    size: Size | None = Field(None, description="a size of the product (any size if left out)")


class EnqueueRequest(BaseModel):
    """One item (``sku``/``size``) or a list of them (``items``), for one provider."""

    model_config = ConfigDict(**_STRICT, json_schema_extra={"examples": [
        {"provider": "stockx", "sku": "DD1391-100", "size": "10", "priority": 150},
        {"provider": "alias", "items": [{"sku": "DD1391-100", "size": "10"}, {"sku": "CW2288-111"}]}]})

    provider: Provider
    sku: Sku | None = None
    size: Size | None = None
    items: list[MarketItem] | None = Field(None, min_length=1, max_length=MAX_ITEMS)
    priority: int = Field(Priority.BACKGROUND, ge=1, le=Priority.MANUAL,
                          description="200 manual refresh, 150 just added, 100 background")

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        if (self.sku is None) == (self.items is None):
            raise ValueError("give either sku (with an optional size) or items, not both")
        if self.items is not None and self.size is not None:
            raise ValueError("size belongs inside each of items")
        return self

    def pairs(self) -> list[tuple[str, str | None]]:
        if self.items is not None:
            return [(item.sku, item.size) for item in self.items]
        assert self.sku is not None  # checked by _one_shape
        return [(self.sku, self.size)]


class RefreshRequest(BaseModel):
    """A seller pressed refresh: these items go first (priority 200)."""

    model_config = ConfigDict(**_STRICT, json_schema_extra={"examples": [
        {"provider": "stockx", "items": [{"sku": "DD1391-100", "size": "10"}]}]})

    provider: Provider
    items: list[MarketItem] = Field(min_length=1, max_length=MAX_ITEMS)

    def pairs(self) -> list[tuple[str, str | None]]:
        return [(item.sku, item.size) for item in self.items]


class SettingsRequest(BaseModel):
    """What an operator may change at run time."""

    model_config = ConfigDict(**_STRICT, json_schema_extra={"examples": [{"sellerShare": 0.2}]})

    sellerShare: float = Field(gt=0, le=1, description="the share of each provider's hourly calls one seller's "
                               "manual refreshes and first reads may use (0 < share <= 1)")
