"""What the adapters' writes cost in DynamoDB write units, as the benchmarks' meter counts them
(local/aws_meter.py, on the template's indexes): the cuts that keep a promoted listing cheap."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest

from local.aws_meter import AwsMeter, indexes_of
from local.template import Template
from sellerjobs.aws.events import DynamoEventStore, OutboxItems
from sellerjobs.aws.promotion_jobs import DynamoJobRepository
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.history import HistoryEntry, Note
from sellerjobs.promotions.job import PromotionJob, Status, new_job_id
from tests.integration.contracts import Tables

NOW = 1_767_225_600_000


@pytest.fixture
def metered(tables: Tables) -> Iterator[tuple[Tables, AwsMeter]]:
    logical = ("EventsTable", "PromotionJobsTable")
    names = {name: tables(name) for name in logical}
    declared = Template.read().of_type("AWS::DynamoDB::Table")
    meter = AwsMeter(indexes=indexes_of({name: declared[name] for name in logical}, names)).attach()
    yield tables, meter
    meter.detach()


def test_publishing_an_event_rewrites_no_copy_in_the_recent_index(metered):
    tables, meter = metered
    store = DynamoEventStore(tables("EventsTable"))
    event = JobEvent.create("promotion.succeeded", ["job", 1], NOW, {"jobId": "job-1"}, ("alice",))
    store.put(event)
    meter.reset()

    store.mark_published(event.id, NOW + 5)

    # Out of the unpublished index (one unit); the recent one holds only keys, which stay.
    assert meter.index_write_units_by_index == {f"{tables('EventsTable')}/Unpublished": 1}
    assert [s.published_at for s in store.recent(NOW + 10, 5)] == [NOW + 5]


def pending_job(due: int) -> PromotionJob:
    return PromotionJob(id=new_job_id("177681098666", NOW), user_id="alice", listing_id="177681098666",
                        ad_rate=Decimal("5"), campaign_id=None, status=Status.PENDING, attempts=0, max_attempts=15,
                        next_retry_at=due, created_at=NOW, updated_at=NOW, policy="sync-window",
                        run_started_at=NOW, listed_at=NOW, history=(HistoryEntry.of(NOW, "queued"),))


def retried(job: PromotionJob, at: int) -> PromotionJob:
    return job.retry_later("listing not synced yet", at + 60_000, at,
                           note=Note(operation="bulk_create_ads_by_listing_id", http_status=200, error_id=35048))


def test_an_attempt_within_its_lease_moves_the_job_in_the_sellers_index_only(metered):
    tables, meter = metered
    jobs = DynamoJobRepository(tables("PromotionJobsTable"), outbox=OutboxItems(tables("EventsTable")))
    first = pending_job(NOW + 60_000)
    jobs.create_many([first])
    meter.reset()

    second = retried(first, NOW + 60_000)  # next attempt at +2 min: the same 5-minute lease
    assert jobs.save(first, second)

    table = tables("PromotionJobsTable")
    # The seller's listing is ordered by next attempt: its key moves (out and in again). The
    # index of unfinished jobs keeps the job where it is, and the others do not hold it.
    assert meter.index_write_units_by_index == {f"{table}/ByUserStatus": 2}
    assert meter.write_units == 1 + 2

    meter.reset()
    third = retried(second, NOW + 4 * 60_000)  # next attempt at +5 min: still the same lease
    fourth = retried(third, NOW + 5 * 60_000)  # +6 min: the next lease
    assert jobs.save(second, third) and jobs.save(third, fourth)
    assert meter.index_write_units_by_index == {f"{table}/ByUserStatus": 4, f"{table}/Unfinished": 2}


def test_the_sweeper_reads_the_jobs_of_a_lease_at_half_the_price_of_consistent_reads(metered):
    tables, meter = metered
    jobs = DynamoJobRepository(tables("PromotionJobsTable"), due_shards=1)
    due = [replace(pending_job(NOW + minutes * 60_000), id=new_job_id(f"17768109866{minutes}", NOW),
                   listing_id=f"17768109866{minutes}") for minutes in (1, 2, 4)]
    jobs.create_many(due)
    meter.reset()

    # Due at +1, +2 and +4 minutes, one lease: all three read, two overdue at +3 minutes.
    assert [j.id for j in jobs.overdue(NOW + 3 * 60_000, 10)] == [due[0].id, due[1].id]
    assert meter.read_units == 0.5 + 3 * 0.5  # the index query, then three eventually consistent reads
