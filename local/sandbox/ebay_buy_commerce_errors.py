"""Error ids of the Commerce Taxonomy and Buy Browse APIs, added to the shared eBay catalog.

eBay error ids are unique across its APIs, so these tables join ``ebay_errors.CATALOG`` (which
``ebay_error`` and injected faults with an ``error_id`` read) instead of living in a second lookup.
Ids, domains and categories come from the two contracts; the wording is the sandbox's own.
"""

from __future__ import annotations

from local.sandbox.ebay_errors import APPLICATION, BUSINESS, CATALOG, REQUEST, ErrorSpec

TAXONOMY = "API_TAXONOMY"
BROWSE = "API_BROWSE"

TAXONOMY_INTERNAL_ERROR = 62000
BROWSE_INTERNAL_ERROR = 12000

TAXONOMY_ERRORS: dict[int, ErrorSpec] = {
    62000: ErrorSpec(TAXONOMY, APPLICATION, "An eBay internal system or process failed; retry later."),
    62002: ErrorSpec(TAXONOMY, REQUEST, "The 'marketplace_id' query parameter is missing."),
    62003: ErrorSpec(TAXONOMY, REQUEST, "Marketplace {marketplace_id} has no default category tree."),
    62004: ErrorSpec(TAXONOMY, REQUEST, "There is no category tree with id {category_tree_id}."),
    62005: ErrorSpec(
        TAXONOMY, REQUEST, "Category {category_id} is not part of category tree {category_tree_id}."
    ),
    62006: ErrorSpec(TAXONOMY, REQUEST, "The 'category_id' query parameter is missing."),
    62008: ErrorSpec(
        TAXONOMY,
        REQUEST,
        "Category {category_id} is the root of the tree; fetch {categoryTreeHref} for the whole tree.",
    ),
    62009: ErrorSpec(TAXONOMY, REQUEST, "Category {category_id} is not a leaf category."),
}

BROWSE_ERRORS: dict[int, ErrorSpec] = {
    12000: ErrorSpec(BROWSE, APPLICATION, "An eBay internal system or process failed; retry later."),
    12001: ErrorSpec(BROWSE, REQUEST, "Give at least one of 'q', 'category_ids', 'epid' or 'gtin'."),
    12002: ErrorSpec(BROWSE, REQUEST, "The {filterName} filter value is invalid."),
    12004: ErrorSpec(BROWSE, REQUEST, "The 'offset' must not be negative."),
    12005: ErrorSpec(BROWSE, REQUEST, "The 'offset' must be an integer."),
    12006: ErrorSpec(BROWSE, REQUEST, "The 'limit' must be between 1 and 200."),
    12007: ErrorSpec(BROWSE, REQUEST, "The 'limit' must be an integer."),
    12008: ErrorSpec(BROWSE, REQUEST, "The 'sort' value is invalid."),
    12009: ErrorSpec(BROWSE, REQUEST, "The 'category_ids' value is invalid."),
    12012: ErrorSpec(BROWSE, REQUEST, "A 'price' filter needs a valid 'priceCurrency' filter too."),
    12013: ErrorSpec(BROWSE, BUSINESS, "A top-level category alone is too broad; add keywords or filters."),
    12021: ErrorSpec(BROWSE, REQUEST, "The 'epid' value {epid} is invalid."),
    12022: ErrorSpec(BROWSE, REQUEST, "The 'gtin' value {gtin} is invalid."),
    12029: ErrorSpec(BROWSE, REQUEST, "At most 10,000 listings can be paged through: 'offset' must be below 10000."),
    12030: ErrorSpec(BROWSE, REQUEST, "Too many categories: at most {allowedMaxCategories}."),
}

CATALOG.update(TAXONOMY_ERRORS)
CATALOG.update(BROWSE_ERRORS)
