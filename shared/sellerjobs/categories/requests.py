"""The category-fetch API's request body (the original system's payload, plus ``mode``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sellerjobs.categories.job import FetchMode

# The marketplaces eBay has category trees for (its documented tree ids).
MARKETPLACES = ("EBAY_US", "EBAY_MOTORS_US", "EBAY_CA", "EBAY_GB", "EBAY_AU", "EBAY_FR", "EBAY_DE", "EBAY_IT",
                "EBAY_ES", "EBAY_AT", "EBAY_BE", "EBAY_CH", "EBAY_HK", "EBAY_IE", "EBAY_IN", "EBAY_MY", "EBAY_NL",
                "EBAY_PH", "EBAY_PL", "EBAY_SG")


class CategoryFetchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    marketplaceId: str = Field("EBAY_US", min_length=1, max_length=40, pattern="^[A-Z_]+$",
                               description="eBay marketplace whose default category tree to read")
    parentCategoryId: str | None = Field(None, pattern="^[0-9]{1,12}$",
                                         description="fetch only this category's leaves (default: the whole tree)")
    maxCategories: int | None = Field(None, ge=1, le=100_000, description="at most this many leaf categories")
    mode: FetchMode = Field(FetchMode.AUTO, description="per_category, bulk (one download), or auto")
