"""The promotion API's request bodies, validated with pydantic.

Payloads are the original system's (``listingId``, ``adRate``, ``campaignId``, ``batch``), so
existing front ends keep working; the rules are eBay's, checked here so a job that eBay would
reject with 35007 is refused at the door instead of failing minutes later.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, WithJsonSchema, field_validator

from sellerjobs.promotions.job import Priority
from sellerjobs.promotions.service import NewPromotion

_LISTING_ID = re.compile(r"[0-9]{6,19}")  # eBay item ids are numeric (12 digits today)
_CAMPAIGN_ID = re.compile(r"[0-9]{1,19}")
# What the validators below accept, for the OpenAPI document (bounds are configurable; these are
# eBay's current ones).
AD_RATE_SCHEMA = {"anyOf": [{"type": "number", "minimum": 2.0, "maximum": 100.0, "multipleOf": 0.1},
                            {"type": "string", "pattern": "^[0-9]{1,3}(\\.[0-9])?$"}]}
_NUMERIC = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class PromotionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    listingId: str = Field(description="eBay listing (item) id: 6-19 digits",
                           json_schema_extra={"pattern": "^[0-9]{6,19}$"})
    adRate: Annotated[Decimal, WithJsonSchema(AD_RATE_SCHEMA)] = Field(
        description="bid percentage, 2.0-100.0 with at most one decimal")
    campaignId: str | None = Field(None, description="eBay campaign id (digits); default: your running campaign",
                                   json_schema_extra={"pattern": "^[0-9]{1,19}$"})
    priority: Literal["normal", "high"] = Field(
        "normal", description="high: goes first when eBay's call budget is short")

    @field_validator("listingId")
    @classmethod
    def _listing_id(cls, value: str) -> str:
        if not _LISTING_ID.fullmatch(value):
            raise ValueError("must be an eBay item id: 6 to 19 digits")
        return value

    @field_validator("campaignId")
    @classmethod
    def _campaign_id(cls, value: str | None) -> str | None:
        if value is not None and not _CAMPAIGN_ID.fullmatch(value):
            raise ValueError("must be an eBay campaign id: digits only")
        return value

    @field_validator("adRate", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Decimal:
        # JSON numbers or numeric strings; never booleans (True would pass as 1).
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("must be a number")
        text = str(value).strip()
        if not _NUMERIC.fullmatch(text):
            raise ValueError("must be a number")
        try:
            return Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("must be a number") from exc

    @field_validator("adRate")
    @classmethod
    def _ebay_bid_rule(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        bounds = (info.context or {}).get("bid_bounds", (2.0, 100.0))
        low, high = Decimal(str(bounds[0])), Decimal(str(bounds[1]))
        if not low <= value <= high:
            raise ValueError(f"must be between {low:.1f} and {high:.1f}")
        if value != value.quantize(Decimal("0.1")):
            raise ValueError("must have at most one decimal place")
        return value.quantize(Decimal("0.1"))

    def to_new(self, priority: str | None = None) -> NewPromotion:
        """``priority``: the batch's, for a listing that does not name its own."""
        chosen = self.priority if "priority" in self.model_fields_set or priority is None else priority
        return NewPromotion(listing_id=self.listingId, ad_rate=self.adRate, campaign_id=self.campaignId,
                            priority=Priority(chosen))


class PromotionBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    batch: list[PromotionRequest] = Field(min_length=1)
    priority: Literal["normal", "high"] | None = Field(
        None, description="for every listing of the batch that does not name its own")

    @field_validator("batch")
    @classmethod
    def _size(cls, value: list[PromotionRequest], info: ValidationInfo) -> list[PromotionRequest]:
        limit = (info.context or {}).get("max_batch", 500)
        if len(value) > limit:
            raise ValueError(f"at most {limit} listings per batch")
        return value

    def to_new(self) -> list[NewPromotion]:
        return [item.to_new(self.priority) for item in self.batch]


class CredentialsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    # SecretStr: printing or logging the model shows "**********", never the token.
    refreshToken: SecretStr = Field(min_length=16, max_length=4096, description="eBay user refresh token")
