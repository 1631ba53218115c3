"""The collaborators promotion logic needs, as protocols.

Adapters in ``sellerjobs.aws`` (DynamoDB, SQS, KMS) and ``sellerjobs.ebay`` (httpx) implement
them; tests and simulations can pass in-memory versions. Nothing here knows about AWS or HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import Field, StrictInt

from sellerjobs.errors import Conflict, Invalid
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.marketplace import ErrorDetail
from sellerjobs.jobs.messages import MessageBody
from sellerjobs.promotions.job import PromotionJob, Status

JobKey = tuple[str, str]  # (user id, job id)
MAX_ADS_PER_CALL = 500  # eBay's limit for bulk_create_ads_by_listing_id


class JobMessage(MessageBody):
    """What travels through the queue: which job, which version of it, and not before when.

    ``version`` makes every message single-use: once the job has moved on, an old or duplicated
    message no longer matches and is dropped.
    """

    user_id: str = Field(alias="userId", min_length=1)
    job_id: str = Field(alias="jobId", min_length=1)
    version: StrictInt
    not_before: StrictInt = Field(alias="notBefore", description="epoch ms")

    @property
    def key(self) -> JobKey:
        return (self.user_id, self.job_id)

    @property
    def group(self) -> str:
        """The seller: the tenant SQS fair queues keep from crowding out the others."""
        return self.user_id


@dataclass(frozen=True)
class Page:
    jobs: list[PromotionJob]
    cursor: str | None


@dataclass(frozen=True)
class JobFilter:
    """Which jobs an operator (or a seller, about their own) asks for, across sellers.

    Jobs come newest first by their time: when they finished, or when unfinished ones are tried
    next; a listing's jobs (``listing_id``, ``job_id``) newest created first. ``since`` and
    ``until`` (epoch ms, inclusive) bound that time; ``reason`` is looked for in the last error,
    ignoring case.
    """

    status: Status | None = None
    seller: str | None = None
    listing_id: str | None = None
    job_id: str | None = None
    reason: str | None = None
    since: int | None = None
    until: int | None = None

    def matches(self, job: PromotionJob) -> bool:
        at = job.next_retry_at if job.next_retry_at is not None else job.updated_at
        return ((self.status is None or job.status is self.status)
                and (self.seller is None or job.user_id == self.seller)
                and (self.listing_id is None or job.listing_id == self.listing_id)
                and (self.job_id is None or job.id == self.job_id)
                and (self.reason is None or self.reason.casefold() in (job.last_error or "").casefold())
                and (self.since is None or at >= self.since)
                and (self.until is None or at <= self.until))


@dataclass(frozen=True)
class UnfinishedCounts:
    ready: int
    pending: int


class ListingBusy(Conflict):
    """Another unfinished job already promotes this listing for this seller."""

    def __init__(self, listing_id: str, job_id: str) -> None:
        super().__init__(f"listing {listing_id} already has an unfinished promotion job {job_id}", field="jobId")
        self.listing_id = listing_id
        self.job_id = job_id


@dataclass(frozen=True)
class Tally:
    """Count a job's change on a bulk action in the same write as the change: ``field`` of the
    action ``action_id``, as long as ``owner`` (the bulk worker's run) still holds the action."""

    action_id: str
    owner: str
    field: str = "done"


class TallyRefused(Exception):
    """The bulk action is no longer held by the run that tried to count on it; nothing was written."""

    def __init__(self, action_id: str) -> None:
        super().__init__(f"bulk action {action_id} is no longer held by this run")
        self.action_id = action_id


class InvalidCursor(Invalid):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="cursor")


def require_one_seller(jobs: Sequence[PromotionJob]) -> None:
    sellers = {job.user_id for job in jobs}
    if len(sellers) > 1:
        raise ValueError(f"jobs of one seller at a time, not {len(sellers)}: {', '.join(sorted(sellers))}")


class JobRepository(Protocol):
    def create_many(self, jobs: Sequence[PromotionJob]) -> dict[str, str]:
        """Store new jobs of one seller, at most one unfinished job per (user, listing).

        Returns ``{listing_id: existing_job_id}`` for listings that already had an unfinished
        job; those jobs were not created. All others were. Raises ``ValueError`` for jobs of
        several sellers (the answer is keyed by listing: two sellers' listings could collide).
        """
        ...

    def get(self, user_id: str, job_id: str) -> PromotionJob | None:
        """The job with its history (as every read by key)."""
        ...

    def get_many(self, keys: Iterable[JobKey]) -> dict[JobKey, PromotionJob]: ...

    def save(self, previous: PromotionJob, new: PromotionJob, events: Sequence[JobEvent] = (),
             tally: Tally | None = None) -> bool:
        """Write ``new`` (with its history) if the stored job is still ``previous`` (same version).

        Keeps the per-listing lock and the counters in step with the status change, stores
        ``events`` in the outbox and counts the change on ``tally``'s bulk action, all in the same
        write. Returns False when the job had already moved on (then none of it is written).
        Raises ``ListingBusy`` when a failed job is re-queued while another job holds its
        listing, ``TallyRefused`` when the bulk action's run lost its hold on it.
        """
        ...

    def count_unfinished(self, user_id: str, now_ms: int) -> UnfinishedCounts: ...

    def finished_counts(self, user_id: str) -> dict[Status, int]: ...

    def list_jobs(self, user_id: str, status: Status | None, limit: int, cursor: str | None) -> Page:
        """A page of the seller's jobs, without their histories (``history`` None)."""
        ...

    def due_for_user(self, user_id: str, until_ms: int, limit: int) -> list[PromotionJob]:
        """The seller's unfinished jobs due by ``until_ms``, soonest first, with their histories."""
        ...

    def overdue(self, before_ms: int, limit: int) -> list[PromotionJob]:
        """Unfinished jobs whose next attempt was due before ``before_ms``, oldest first, with
        their histories."""
        ...

    def search(self, where: JobFilter, limit: int, cursor: str | None) -> Page:
        """Jobs of every seller matching ``where``, through indexes, without their histories
        (a search by listing or job id reads the few jobs it finds by key, histories included).

        A page holds at most ``limit`` jobs, fewer when ``reason`` (or a filter an index cannot
        apply) skipped some; the next page follows ``cursor`` until it is None. Raises
        ``Invalid`` naming ``cursor`` for a cursor of another search.
        """
        ...

    def global_counts(self) -> dict[Status, int]:
        """Every seller's jobs by status (counters kept in step with each change)."""
        ...


class SellerPolls(Protocol):
    """Who is asking eBay about a seller's listings right now.

    Worker invocations run side by side, and one seller's messages may arrive in several of
    them at once. Only the holder of the seller's poll calls eBay for that seller (taking the
    seller's other due jobs along); the others step aside, so the listings still share a call.
    """

    def hold(self, user_id: str, owner: str, now_ms: int, until_ms: int) -> bool:
        """Take (or keep) the seller's poll until ``until_ms``; False while another owner holds it."""
        ...

    def release(self, user_id: str, owner: str) -> None: ...


class DelayQueue(Protocol):
    def send(self, messages: Sequence[JobMessage]) -> list[JobMessage]:
        """Deliver each message no earlier than its ``not_before``; returns those not sent."""
        ...


@dataclass(frozen=True)
class AdRequest:
    listing_id: str
    bid_percentage: str


@dataclass(frozen=True)
class ListingResult:
    """eBay's answer for one listing of a bulk ad request."""

    listing_id: str
    status_code: int
    ad_id: str | None = None
    errors: tuple[ErrorDetail, ...] = field(default_factory=tuple)


class AdsGateway(Protocol):
    """eBay Promoted Listings for one seller. Raises ``sellerjobs.jobs.marketplace`` exceptions or
    ``RateLimited`` when a whole call fails."""

    def create_ads(self, user_id: str, campaign_id: str, ads: Sequence[AdRequest], *,
                   urgent: bool = False) -> list[ListingResult]:
        """``urgent``: high-priority jobs, which may use the budget ordinary ones leave alone."""
        ...

    def find_ad_id(self, user_id: str, campaign_id: str, listing_id: str) -> str | None: ...

    def find_campaign(self, user_id: str) -> str | None:
        """The seller's RUNNING cost-per-sale campaign on our marketplace, if any."""
        ...

    def create_campaign(self, user_id: str, name: str, bid_percentage: str) -> str: ...


class CampaignCache(Protocol):
    def get(self, user_id: str) -> str | None: ...

    def put(self, user_id: str, campaign_id: str) -> None: ...

    def forget(self, user_id: str) -> None: ...
