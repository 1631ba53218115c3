"""The promotion API's request bodies, validated with pydantic.

Payloads are the original system's (``listingId``, ``adRate``, ``campaignId``, ``batch``), so
existing front ends keep working; the rules are eBay's, checked here so a job that eBay would
reject with 35007 is refused at the door instead of failing minutes later.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    StringConstraints,
    Tag,
    WithJsonSchema,
    field_validator,
)

from sellerjobs.promotions.job import Priority
from sellerjobs.promotions.service import NewPromotion
from sellerjobs.text import Matches

# eBay's bidPercentage bounds in the current Marketing contract, and its bulk call's size.
BID_MIN, BID_MAX = Decimal("2.0"), Decimal("100.0")
MAX_BATCH = 500
_NUMERIC = re.compile(r"-?[0-9]{1,10}(\.[0-9]{1,10})?")


def _number(value: Any) -> Decimal:
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


def _ebay_bid_rule(value: Decimal) -> Decimal:
    if not BID_MIN <= value <= BID_MAX:
        raise ValueError(f"must be between {BID_MIN} and {BID_MAX}")
    if value != value.quantize(Decimal("0.1")):
        raise ValueError("must have at most one decimal place")
    return value.quantize(Decimal("0.1"))


ListingId = Annotated[str, StringConstraints(max_length=19),
                      Matches("[0-9]{6,19}", "must be an eBay item id: 6 to 19 digits")]
CampaignId = Annotated[str, StringConstraints(max_length=19),
                       Matches("[0-9]{1,19}", "must be an eBay campaign id: digits")]
AdRate = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_ebay_bid_rule), WithJsonSchema({
    "anyOf": [{"type": "number", "minimum": float(BID_MIN), "maximum": float(BID_MAX), "multipleOf": 0.1},
              {"type": "string", "pattern": "^[0-9]{1,3}(\\.[0-9])?$"}]})]
_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _examples(*bodies: dict[str, Any]) -> ConfigDict:
    # Shown in the OpenAPI document; clients and the fuzzer start from them.
    return ConfigDict(**_STRICT, json_schema_extra={"examples": list(bodies)})


class PromotionRequest(BaseModel):
    model_config = _examples({"listingId": "177681098666", "adRate": 5, "campaignId": "10000000001"})

    listingId: ListingId = Field(description="eBay listing (item) id: 6-19 digits")
    adRate: AdRate = Field(description="bid percentage, 2.0-100.0 with at most one decimal (a number or a string)")
    campaignId: CampaignId | None = Field(None, description="eBay campaign id; default: your running campaign")
    priority: Priority = Field(Priority.NORMAL, description="high: goes first when eBay's call budget is short")

    def to_new(self, priority: Priority | None = None) -> NewPromotion:
        """``priority``: the batch's, for a listing that does not name its own."""
        chosen = self.priority if "priority" in self.model_fields_set or priority is None else priority
        return NewPromotion(listing_id=self.listingId, ad_rate=self.adRate, campaign_id=self.campaignId,
                            priority=chosen)


class PromotionBatchRequest(BaseModel):
    model_config = _examples({"batch": [{"listingId": "177681098667", "adRate": 5},
                                        {"listingId": "177681098668", "adRate": "7.5"}]})

    batch: list[PromotionRequest] = Field(min_length=1, max_length=MAX_BATCH,
                                          description="a listing named twice counts once (see duplicates)")
    priority: Priority | None = Field(None, description="for every listing of the batch that does not name its own")

    @field_validator("batch")
    @classmethod
    def _one_rate_per_listing(cls, value: list[PromotionRequest]) -> list[PromotionRequest]:
        # The same listing twice is one job; twice with other terms has no honest answer.
        first: dict[str, PromotionRequest] = {}
        for index, item in enumerate(value):
            earlier = first.setdefault(item.listingId, item)
            if earlier != item:
                raise ValueError(f"batch[{index}] names listing {item.listingId} again with another adRate, "
                                 "campaignId or priority; name each listing once")
        return value

    def duplicates(self) -> list[str]:
        """Listings the batch names more than once, in order of first appearance."""
        named = Counter(r.listingId for r in self.batch)
        return [listing for listing, times in named.items() if times > 1]

    def to_new(self) -> list[NewPromotion]:
        return [item.to_new(self.priority) for item in self.batch]


def _shape(value: Any) -> str:
    return "<batch>" if isinstance(value, dict) and "batch" in value else "<listing>"


# One listing, or a batch of them. The tags ("<...>") are not field names: error messages skip them.
QueueRequest = Annotated[
    Annotated[PromotionRequest, Tag("<listing>")] | Annotated[PromotionBatchRequest, Tag("<batch>")],
    Discriminator(_shape)]


class CredentialsRequest(BaseModel):
    model_config = _examples({"refreshToken": "v^1.1#i^1#p^3#r^1#I^3#f^0#t^Ul4xMF8xOjQ0ODg="})

    # SecretStr: printing or logging the model shows "**********", never the token.
    refreshToken: SecretStr = Field(min_length=16, max_length=4096, description="eBay user refresh token")
