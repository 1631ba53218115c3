"""The market API's request bodies and query strings."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from sellerjobs.market.job import MarketStatus, Priority, Provider

# Style codes and search terms as the providers spell them ("DD1391-100", "555088 134"). "|" is
# excluded because it separates the parts of a job's dedupe key.
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                       pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/#+-]*$")]
# "10", "10.5", "W 7", "UK 9", "XL": what a seller's inventory calls the size.
Size = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/()+-]*$")]

_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)
DEFAULT_MAX_ITEMS = 100


def _bounded(items: list[MarketItem] | None, info: ValidationInfo) -> list[MarketItem] | None:
    # The bound is configuration (MARKET_MAX_ITEMS), so it comes in through the context.
    limit = (info.context or {}).get("max_items", DEFAULT_MAX_ITEMS)
    if items is not None and len(items) > limit:
        raise ValueError(f"at most {limit} items per request, got {len(items)}")
    return items


class MarketItem(BaseModel):
    model_config = _STRICT

    sku: Sku = Field(description="the product's style code, as the provider knows it")
    size: Size | None = Field(None, description="a size of the product (any size if left out)")


class EnqueueRequest(BaseModel):
    """One item (``sku``/``size``) or a list of them (``items``), for one provider."""

    model_config = _STRICT

    provider: Provider
    sku: Sku | None = None
    size: Size | None = None
    items: list[MarketItem] | None = Field(None, min_length=1)
    priority: int = Field(Priority.BACKGROUND, ge=1, le=Priority.MANUAL,
                          description="200 manual refresh, 150 just added, 100 background")

    _items_bounded = field_validator("items")(_bounded)

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

    model_config = _STRICT

    provider: Provider
    items: list[MarketItem] = Field(min_length=1)

    _items_bounded = field_validator("items")(_bounded)

    def pairs(self) -> list[tuple[str, str | None]]:
        return [(item.sku, item.size) for item in self.items]


class JobListQuery(BaseModel):
    model_config = _STRICT

    status: MarketStatus = MarketStatus.PENDING
    provider: Provider | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=2048)


class SettingsRequest(BaseModel):
    """What an operator may change at run time."""

    model_config = _STRICT

    sellerShare: float = Field(gt=0, le=1, description="the share of each provider's hourly calls one seller's "
                               "manual refreshes and first reads may use (0 < share <= 1)")


class PriceQuery(BaseModel):
    model_config = _STRICT

    provider: Provider
    sku: Sku
    size: Size | None = None
