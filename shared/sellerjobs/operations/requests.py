"""What the operators' console (and a seller's bulk retry) accepts: query strings and bodies.

Every rule names its field when it refuses: an unknown status for the family, ``until`` before
``since``, a limit out of range, a filter the family does not have.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from sellerjobs.categories.job import FetchStatus
from sellerjobs.jobs.pause import QueueName
from sellerjobs.market.job import MarketStatus, Provider
from sellerjobs.promotions.job import Status

_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)

Family = Literal["promotion", "category_fetch", "market"]
STATUSES: dict[str, tuple[str, ...]] = {
    "promotion": tuple(s.value for s in Status),
    "category_fetch": tuple(s.value for s in FetchStatus),
    "market": tuple(s.value for s in MarketStatus),
}
# A user id as the identity provider issues it (the token's sub).
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\s]+$")]
ListingId = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,19}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Instant = Annotated[int, Field(ge=0, le=10**15, description="epoch ms")]


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
    """``GET /admin/jobs``: every seller's jobs of one family, filtered, newest first."""

    model_config = _STRICT

    family: Family = Field("promotion", description="promotion, category_fetch or market")
    status: str | None = Field(None, description="one of the family's statuses")
    seller: UserId | None = Field(None, description="the seller's user id (promotion, category_fetch)")
    listingId: ListingId | None = Field(None, description="an eBay listing id (promotion)")
    jobId: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = Field(
        None, description="a job id (promotion, category_fetch)")
    provider: Provider | None = Field(None, description="stockx, alias or ebay (market)")
    sku: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="a market job's sku, with provider (and size): that one job, with its attempts")
    size: Annotated[str, StringConstraints(min_length=1, max_length=16)] | None = None
    reason: Reason | None = Field(None, description="text in the job's last error, any case")
    since: Instant | None = None
    until: Instant | None = None
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=8192)] | None = None
    limit: int = Field(25, ge=1, le=100)

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


class SellerBulkFilter(BaseModel):
    """``POST /promotions/retry``: which of the seller's own failed jobs, and at most how many."""

    model_config = _STRICT

    status: Literal["failed", "pending"] | None = Field(
        None, description="retry: failed (the default); cancel: pending (the default)")
    listingId: ListingId | None = None
    reason: Reason | None = Field(None, description="text in the job's last error, any case")
    since: Instant | None = Field(None, description="finished (failed jobs) or next due (pending jobs) since")
    until: Instant | None = None
    limit: int = Field(1000, ge=1, description="at most this many jobs (up to BULK_ACTION_MAX_JOBS, 5,000)")
    dryRun: bool = Field(False, description="count the jobs it would match (up to limit), change nothing")

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None, info: ValidationInfo) -> str | None:
        wanted = (info.context or {}).get("status")
        if value is not None and wanted is not None and value != wanted:
            raise ValueError(f"this action changes {wanted} jobs only")
        return value

    @field_validator("limit")
    @classmethod
    def _limit(cls, value: int, info: ValidationInfo) -> int:
        most = (info.context or {}).get("max_jobs", 5000)
        if value > most:
            raise ValueError(f"must be at most {most}")
        return value

    _until = field_validator("until")(_not_before_since)


class BulkFilter(SellerBulkFilter):
    """``POST /admin/promotions/retry`` and ``/cancel``: the same across sellers, or one seller's."""

    seller: UserId | None = None


class PauseRequest(BaseModel):
    model_config = _STRICT

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = Field(
        None, description="why, for the other operators (shown on the dashboard)")


def queue_name(value: str) -> QueueName:
    """A queue's name from a path; raises ValueError naming the choices."""
    try:
        return QueueName(value)
    except ValueError:
        raise ValueError(f"must be one of {', '.join(q.value for q in QueueName)}") from None
