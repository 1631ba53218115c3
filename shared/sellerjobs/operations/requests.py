"""What the operators' console (and a seller's bulk retry) accepts: query strings and bodies.

Every rule names its field when it refuses: an unknown status for the family, ``until`` before
``since``, a limit out of range, a filter the family does not have. The types below are shared by
the routes' parameters (so the OpenAPI document shows their bounds) and the models that check
the rules between parameters.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from sellerjobs.categories.job import FetchStatus
from sellerjobs.market.job import MarketStatus, Provider
from sellerjobs.promotions.job import Status
from sellerjobs.text import Matches

_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)

# The most jobs one bulk action may touch: a large eBay outage's worth, in a few worker runs.
MAX_BULK_JOBS = 5000
DEFAULT_BULK_JOBS = 1000

Family = Literal["promotion", "category_fetch", "market"]
STATUSES: dict[str, tuple[str, ...]] = {
    "promotion": tuple(s.value for s in Status),
    "category_fetch": tuple(s.value for s in FetchStatus),
    "market": tuple(s.value for s in MarketStatus),
}
# A user id as the identity provider issues it (the token's sub).
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128),
                   Matches(r"[^\s]+", "must be a user id: no spaces")]
ListingId = Annotated[str, StringConstraints(max_length=19),
                      Matches("[0-9]{6,19}", "must be an eBay item id: 6 to 19 digits")]
SearchJobId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
StatusName = Annotated[str, StringConstraints(min_length=1, max_length=20)]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=64)]
SizeName = Annotated[str, StringConstraints(min_length=1, max_length=16)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Instant = Annotated[int, Field(ge=0, le=10**15)]
ActionId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


def _only_for(family: str, value: Any, info: ValidationInfo, what: str) -> Any:
    if value is not None and info.data.get("family", "promotion") != family:
        raise ValueError(f"{what} applies to {family} jobs only")
    return value


def _not_before_since(value: int | None, info: ValidationInfo) -> int | None:
    since = info.data.get("since")
    if value is not None and since is not None and value < since:
        raise ValueError("must not be before since")
    return value


class JobSearchQuery(BaseModel):
    """``GET /admin/jobs``: every seller's jobs of one family, filtered, newest first. The route
    takes each parameter typed; this model checks how they go together."""

    model_config = _STRICT

    family: Family = "promotion"
    status: StatusName | None = None
    seller: UserId | None = None
    listingId: ListingId | None = None
    jobId: SearchJobId | None = None
    provider: Provider | None = None
    sku: Sku | None = None
    size: SizeName | None = None
    reason: Reason | None = None
    since: Instant | None = None
    until: Instant | None = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None, info: ValidationInfo) -> str | None:
        allowed = STATUSES[info.data.get("family", "promotion")]
        if value is not None and value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    @field_validator("seller", "jobId")
    @classmethod
    def _not_market(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("family") == "market":
            raise ValueError("market jobs belong to no seller and are found by status, provider or sku")
        return value

    @field_validator("listingId")
    @classmethod
    def _listing(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _only_for("promotion", value, info, "listingId")  # type: ignore[no-any-return]

    @field_validator("provider", "size")
    @classmethod
    def _market_only(cls, value: Any, info: ValidationInfo) -> Any:
        return _only_for("market", value, info, str(info.field_name))

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str | None, info: ValidationInfo) -> str | None:
        _only_for("market", value, info, "sku")
        if value is not None and info.data.get("provider") is None:
            raise ValueError("needs provider too")
        return value

    _until = field_validator("until")(_not_before_since)


class _BulkFilter(BaseModel):
    listingId: ListingId | None = None
    reason: Reason | None = Field(None, description="text in the job's last error, any case")
    since: Instant | None = Field(None, description="epoch ms: jobs that finished (failed jobs) or are next due "
                                                    "(pending jobs) at or after this")
    until: Instant | None = Field(None, description="epoch ms: ... at or before this")
    limit: int = Field(DEFAULT_BULK_JOBS, ge=1, le=MAX_BULK_JOBS, description="at most this many jobs")
    dryRun: bool = Field(False, description="count the jobs it would match (up to limit), change nothing")

    _until = field_validator("until")(_not_before_since)


class RetryFilter(_BulkFilter):
    """``POST /promotions/retry``: which of the seller's own failed jobs, and at most how many."""

    model_config = ConfigDict(**_STRICT, json_schema_extra={"examples": [
        {"reason": "not synced", "limit": 500}, {"since": 1767225600000, "dryRun": True}]})

    status: Literal["failed"] = Field("failed", description="retry changes failed jobs only")


class AdminRetryFilter(RetryFilter):
    """``POST /admin/promotions/retry``: the same across sellers, or one seller's."""

    model_config = ConfigDict(**_STRICT, json_schema_extra={"examples": [
        {"reason": "sync window", "since": 1767225600000, "limit": 500}, {"seller": "alice", "dryRun": True}]})

    seller: UserId | None = Field(None, description="one seller's jobs only (their user id)")


class AdminCancelFilter(_BulkFilter):
    """``POST /admin/promotions/cancel``: pending jobs across sellers, or one seller's."""

    model_config = ConfigDict(**_STRICT, json_schema_extra={"examples": [
        {"seller": "alice", "listingId": "177681098666"}, {"reason": "not synced", "dryRun": True}]})

    status: Literal["pending"] = Field("pending", description="cancel changes pending jobs only")
    seller: UserId | None = Field(None, description="one seller's jobs only (their user id)")


class PauseRequest(BaseModel):
    model_config = ConfigDict(**_STRICT, json_schema_extra={"examples": [{"reason": "eBay Marketing outage"}]})

    reason: Reason | None = Field(None, description="why, for the other operators (shown on the dashboard)")
