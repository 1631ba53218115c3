"""The category-fetch API's request body (the original system's payload, plus ``mode`` and
``wholeTree``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from sellerjobs.categories.job import FetchMode
from sellerjobs.text import Matches

MarketplaceId = Annotated[str, StringConstraints(max_length=40),
                          Matches("[A-Z][A-Z_]{0,39}", "must be an eBay marketplace id such as EBAY_US")]
CategoryId = Annotated[str, StringConstraints(max_length=12),
                       Matches("[0-9]{1,12}", "must be an eBay category id: up to 12 digits")]


class CategoryFetchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, json_schema_extra={"examples": [
        {"marketplaceId": "EBAY_US", "parentCategoryId": "26395", "maxCategories": 100},
        {"marketplaceId": "EBAY_US", "wholeTree": True, "mode": "bulk"}]})

    marketplaceId: MarketplaceId = Field("EBAY_US", description="eBay marketplace whose default category tree to read")
    parentCategoryId: CategoryId | None = Field(None, description="fetch this category's leaves")
    # A whole tree is thousands of eBay calls (or one bulk download): it has to be asked for,
    # an empty body must not start one.
    wholeTree: bool = Field(False, validate_default=True,
                            description="true to fetch every leaf of the tree; required without parentCategoryId")
    maxCategories: int | None = Field(None, ge=1, le=100_000, description="at most this many leaf categories")
    mode: FetchMode = Field(FetchMode.AUTO, description="per_category, bulk (one download), or auto")

    @field_validator("wholeTree")
    @classmethod
    def _scope_is_explicit(cls, whole_tree: bool, info: ValidationInfo) -> bool:
        if "parentCategoryId" not in info.data:
            return whole_tree  # parentCategoryId itself was refused; that error says enough
        parent = info.data["parentCategoryId"]
        if parent is None and not whole_tree:
            raise ValueError("must be true to fetch the whole category tree; or give parentCategoryId to fetch "
                             "one category's leaves")
        if parent is not None and whole_tree:
            raise ValueError("must be left out when parentCategoryId is given")
        return whole_tree
