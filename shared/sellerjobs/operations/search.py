"""The operators' job search: every seller's jobs of one family, through indexes, newest first.

A search by a job's own key (a promotion's or category fetch's id, a market job's provider, sku
and size) answers the job whole: its history (a category fetch: its run log) included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sellerjobs.categories.job import FetchStatus
from sellerjobs.categories.ports import FetchFilter, FetchJobs
from sellerjobs.market.job import MarketStatus, Provider, dedupe_key
from sellerjobs.market.ports import MarketFilter, MarketJobs
from sellerjobs.promotions.job import Status
from sellerjobs.promotions.ports import JobFilter, JobRepository


@dataclass(frozen=True)
class Search:
    family: str
    status: str | None = None
    seller: str | None = None
    listing_id: str | None = None
    job_id: str | None = None
    provider: Provider | None = None
    sku: str | None = None
    size: str | None = None
    reason: str | None = None
    since: int | None = None
    until: int | None = None


@dataclass(frozen=True)
class Found:
    family: str
    jobs: list[dict[str, Any]]
    cursor: str | None


@dataclass
class JobSearch:
    promotions: JobRepository
    fetches: FetchJobs
    market: MarketJobs

    def find(self, search: Search, limit: int, cursor: str | None) -> Found:
        if search.family == "promotion":
            where = JobFilter(status=Status(search.status) if search.status else None, seller=search.seller,
                              listing_id=search.listing_id, job_id=search.job_id, reason=search.reason,
                              since=search.since, until=search.until)
            page = self.promotions.search(where, limit, cursor)
            return Found(search.family, [job.to_api(history=True) for job in page.jobs], page.cursor)
        if search.family == "category_fetch":
            fetch_filter = FetchFilter(status=FetchStatus(search.status) if search.status else None,
                                       seller=search.seller, job_id=search.job_id, reason=search.reason,
                                       since=search.since, until=search.until)
            fetches, next_cursor = self.fetches.search(fetch_filter, limit, cursor)
            if search.job_id is not None:
                return Found(search.family, [job.to_api(self.fetches.failures(job.id, 100),
                                                        self.fetches.run_log(job.id)) for job in fetches], None)
            return Found(search.family, [job.to_api() for job in fetches], next_cursor)
        market_filter = MarketFilter(status=MarketStatus(search.status) if search.status else None,
                                     provider=search.provider, reason=search.reason, since=search.since,
                                     until=search.until)
        if search.sku is not None and search.provider is not None:
            job = self.market.get_many([dedupe_key(search.provider, search.sku, search.size)]).values()
            return Found(search.family, [j.to_api(history=True) for j in job if market_filter.matches(j)], None)
        market_page = self.market.search(market_filter, limit, cursor)
        return Found(search.family, [job.to_api() for job in market_page.jobs], market_page.cursor)
