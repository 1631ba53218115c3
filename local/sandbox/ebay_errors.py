"""eBay's error objects: ``{"errors": [{"errorId", "domain", "category", "message", ...}]}``.

Ids, domains and categories follow the published contracts' error tables. Message texts are our own
short wording (with the same placeholders filled in); clients must branch on ``errorId``, never on
the message.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from local.sandbox.responses import JSONDict, json_response

REQUEST = "REQUEST"
BUSINESS = "BUSINESS"
APPLICATION = "APPLICATION"

MARKETING = "API_MARKETING"
ACCESS = "ACCESS"
OAUTH = "OAuth"


@dataclass(frozen=True)
class ErrorSpec:
    domain: str
    category: str
    message: str
    long_message: str | None = None


CATALOG: dict[int, ErrorSpec] = {
    # Gateway / OAuth errors, common to every eBay REST API.
    1001: ErrorSpec(
        OAUTH,
        REQUEST,
        "Invalid access token",
        "Invalid access token. Check the value of the Authorization HTTP request header.",
    ),
    1002: ErrorSpec(
        OAUTH,
        REQUEST,
        "Missing access token",
        "Access token is missing in the Authorization HTTP request header.",
    ),
    1003: ErrorSpec(
        OAUTH,
        REQUEST,
        "Token type in the Authorization header is invalid",
        "Token type in the Authorization header is invalid. Use 'Bearer <token>'.",
    ),
    1100: ErrorSpec(OAUTH, REQUEST, "Access denied", "Insufficient permissions to fulfill the request."),
    2001: ErrorSpec(
        ACCESS, REQUEST, "Too many requests. The request limit has been reached for the resource."
    ),
    # Unknown resource: the id is the sandbox's choice, no contract lists one.
    2002: ErrorSpec(ACCESS, REQUEST, "Resource not found", "No resource exists at {path}."),
    2003: ErrorSpec(ACCESS, APPLICATION, "Internal error", "An internal error occurred in the service."),
    2004: ErrorSpec(ACCESS, REQUEST, "Invalid request", "The request has errors. See the API documentation."),
    # Sell Marketing (Promoted Listings).
    35001: ErrorSpec(MARKETING, APPLICATION, "An eBay internal system or process failed."),
    35002: ErrorSpec(MARKETING, APPLICATION, "Internal error. Wait a few minutes, then retry the call."),
    35006: ErrorSpec(MARKETING, REQUEST, "The 'fundingStrategy' container is required."),
    35007: ErrorSpec(
        MARKETING,
        REQUEST,
        "The 'bidPercentage' {bidPercentage} is invalid: use one decimal place, "
        "between {minBidPercent} and {maxBidPercent}.",
    ),
    35014: ErrorSpec(MARKETING, REQUEST, "A listing ID is required."),
    35018: ErrorSpec(MARKETING, REQUEST, "The request repeats a listing ID; remove the duplicates."),
    35019: ErrorSpec(MARKETING, REQUEST, "A campaign name is required."),
    35020: ErrorSpec(MARKETING, REQUEST, "Campaign names are limited to {maxCampaignNameLength} characters."),
    35021: ErrorSpec(
        MARKETING, REQUEST, "A campaign named {campaignName} exists already; choose another name."
    ),
    35023: ErrorSpec(MARKETING, REQUEST, "The characters {notAllowedCharacters} are not allowed."),
    35024: ErrorSpec(MARKETING, REQUEST, "The start date {startDate} is after the end date {endDate}."),
    35025: ErrorSpec(MARKETING, REQUEST, "A campaign start date is required."),
    35029: ErrorSpec(
        MARKETING, REQUEST, "The 'limit' must be greater than zero and at most {maxLimitValue}."
    ),
    35030: ErrorSpec(MARKETING, REQUEST, "The 'offset' must not be negative."),
    35033: ErrorSpec(MARKETING, REQUEST, "A bulk call needs at least one request."),
    35035: ErrorSpec(MARKETING, REQUEST, "Campaign {campaign_id} has ended."),
    35036: ErrorSpec(MARKETING, REQUEST, "Listing ID {listingId} already has an ad."),
    35038: ErrorSpec(MARKETING, REQUEST, "A funding model is required; valid values: {fundingModelValues}."),
    35041: ErrorSpec(MARKETING, REQUEST, "The 'marketplaceId' is required."),
    35043: ErrorSpec(MARKETING, REQUEST, "Campaign status {campaignStatus} is invalid or unsupported here."),
    35045: ErrorSpec(MARKETING, REQUEST, "There is no campaign with campaign id {campaign_id}."),
    35046: ErrorSpec(MARKETING, REQUEST, "There is no campaign named {campaign_name}."),
    35048: ErrorSpec(MARKETING, REQUEST, "Listing ID {listingId} is invalid or has ended."),
    35051: ErrorSpec(
        MARKETING,
        BUSINESS,
        "Marketplace {marketplaceId} is not supported; Promoted Listings runs on: {supportedMarketplaces}.",
    ),
    35054: ErrorSpec(
        MARKETING, BUSINESS, "Listing ID {listingId} is on a different marketplace than the campaign."
    ),
    35057: ErrorSpec(
        MARKETING, BUSINESS, "Listing ID {listingId} is not one of the calling seller's listings."
    ),
    35061: ErrorSpec(
        MARKETING, BUSINESS, "Campaign {campaign_id} is being synchronized; retry in a few minutes."
    ),
    35068: ErrorSpec(MARKETING, BUSINESS, "Too many listing IDs: at most {maxSupportedNumber} per call."),
    35079: ErrorSpec(MARKETING, REQUEST, "The funding strategy must be one of {fundingStrategy}."),
    35080: ErrorSpec(MARKETING, REQUEST, "CPC campaigns do not take a 'bidPercentage'."),
    35083: ErrorSpec(MARKETING, REQUEST, "The requested 'adStatus' is invalid."),
    35106: ErrorSpec(
        MARKETING, BUSINESS, "A 'bidPercentage' is required when the ad rate strategy is FIXED."
    ),
    36152: ErrorSpec(MARKETING, BUSINESS, "CPC campaigns do not take a 'bidPercentage'."),
    36157: ErrorSpec(MARKETING, BUSINESS, "CPC campaigns need a daily budget."),
}


class _KeepMissing(dict[str, str]):
    """format_map helper: a placeholder with no value stays visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def ebay_error(error_id: int, *, parameters: bool = True, **values: object) -> JSONDict:
    """One eBay error object; ``values`` fill the message and, by default, become ``parameters``."""
    spec = CATALOG.get(error_id) or ErrorSpec(MARKETING, APPLICATION, f"Error {error_id}.")
    fill = _KeepMissing({name: str(value) for name, value in values.items()})
    error: JSONDict = {
        "errorId": error_id,
        "domain": spec.domain,
        "category": spec.category,
        "message": spec.message.format_map(fill),
    }
    if spec.long_message:
        error["longMessage"] = spec.long_message.format_map(fill)
    if parameters and values:
        error["parameters"] = [{"name": name, "value": str(value)} for name, value in values.items()]
    return error


def errors_body(*errors: JSONDict) -> JSONDict:
    return {"errors": list(errors)}


def error_response(
    status: int, error_id: int, *, parameters: bool = True, **values: object
) -> httpx.Response:
    """An HTTP error carrying a single eBay error object."""
    return json_response(status, errors_body(ebay_error(error_id, parameters=parameters, **values)))


def invalid_request(reason: str) -> httpx.Response:
    """eBay's generic 400 for bodies it cannot deserialize; the reason rides in ``parameters``."""
    return error_response(400, 2004, reason=reason)
