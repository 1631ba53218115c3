"""The operators' console on fakes: queue counts in the phase-3 shape, pausing, and what a search accepts."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pydantic import ValidationError

from sellerjobs.api.messages import field_errors
from sellerjobs.clock import ManualClock
from sellerjobs.jobs.pause import Pause, PauseSwitch, QueueName
from sellerjobs.operations.queues import QueueDepth, QueuesService, QueueUrls
from sellerjobs.operations.requests import (
    MAX_BULK_JOBS,
    AdminCancelFilter,
    AdminRetryFilter,
    JobSearchQuery,
    RetryFilter,
)
from tests.unit.job_fakes import DictPauses


@dataclass
class FakeStats:
    depths: dict[str, QueueDepth]
    ages: dict[str, float] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def depth(self, queue_url: str) -> QueueDepth:
        self.calls.append(queue_url)
        return self.depths.get(queue_url, QueueDepth(0, 0, 0))

    def oldest_age_s(self, dead_letter_url: str) -> float | None:
        return self.ages.get(dead_letter_url)


def service(stats: FakeStats, pauses: DictPauses) -> QueuesService:
    return QueuesService(
        promotion_counts=lambda: {"pending": 7, "succeeded": 40, "failed": 2, "cancelled": 1},
        category_counts=lambda: {"queued": 1, "processing": 2, "completed": 5, "failed": 1, "cancelled": 0},
        market_counts=lambda: {p: {"pending": 3, "running": 1, "succeeded": 9, "failed": 2, "deferred": 4}
                               for p in ("stockx", "alias", "ebay")},
        stats=stats, urls={name: QueueUrls(f"{name.value}-queue", f"{name.value}-dlq") for name in QueueName},
        pauses=dict.fromkeys(QueueName, pauses), clock=ManualClock())


def test_counts_come_in_the_phase_3_shape_with_dead_letters_and_pauses():
    stats = FakeStats({"promotion-queue": QueueDepth(visible=2, delayed=4, in_flight=1),
                       "market-dlq": QueueDepth(visible=3, delayed=0, in_flight=0)}, ages={"market-dlq": 90.0})
    pauses = DictPauses()
    pauses.put(Pause(QueueName.MARKET, by="ops", at=1, reason="StockX outage"))

    view = service(stats, pauses).overview()

    assert view["promotion"] == {"waiting": 2, "active": 1, "delayed": 4, "unfinished": 7, "completed": 40,
                                 "failed": 2, "cancelled": 1, "total": 50}
    assert view["categoryFetch"] == {"waiting": 1, "active": 2, "delayed": 0, "completed": 5, "failed": 1,
                                     "cancelled": 0, "total": 9}
    assert view["market"]["stockx"] == {"waiting": 3, "active": 1, "delayed": 4, "completed": 9, "failed": 2,
                                        "total": 19}
    assert set(view["market"]) == {"stockx", "alias", "ebay"}
    assert view["deadLetters"]["market"] == {"depth": 3, "oldestAgeSeconds": 90.0}
    assert view["deadLetters"]["promotion"] == {"depth": 0, "oldestAgeSeconds": None}
    assert view["paused"] == {"promotion": None, "categoryFetch": None,
                              "market": {"by": "ops", "at": 1, "reason": "StockX outage"}}
    # O(states): one look at each queue and dead-letter queue, whatever the number of jobs.
    assert len(stats.calls) == 4


def test_pause_and_resume_flip_the_switch_the_workers_read():
    pauses = DictPauses()
    queues = service(FakeStats({}), pauses)
    clock = ManualClock()
    switch = PauseSwitch(pauses, QueueName.PROMOTION, clock, ttl_s=30)

    paused = queues.pause(QueueName.PROMOTION, "ops", "eBay outage")
    assert switch.current() == paused and paused.describe() == "the promotion queue is paused (eBay outage)"

    queues.resume(QueueName.PROMOTION, "ops")
    assert switch.current() == paused  # a worker sees it within its cache period...
    clock.advance(30)
    assert switch.current() is None  # ...not later


def field_of(error: ValidationError) -> str:
    return field_errors(error.errors())[0][0]


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"status": "done"}, "status", "must be one of pending, succeeded, failed, cancelled"),
    ({"family": "market", "status": "cancelled"}, "status", "must be one of pending, running"),
    ({"family": "everything"}, "family", ""),
    ({"since": 200, "until": 100}, "until", "must not be before since"),
    ({"since": -1}, "since", ""),
    ({"listingId": "abc"}, "listingId", "must be an eBay item id"),
    ({"seller": "a b"}, "seller", "must be a user id"),
    ({"family": "market", "listingId": "177681098666"}, "listingId", "applies to promotion jobs only"),
    ({"family": "market", "seller": "alice"}, "seller", "belong to no seller"),
    ({"family": "promotion", "provider": "stockx"}, "provider", "applies to market jobs only"),
    ({"family": "market", "sku": "DD1391-100"}, "sku", "needs provider too"),
])
def test_a_bad_search_names_its_field(query, field, message):
    with pytest.raises(ValidationError) as caught:
        JobSearchQuery.model_validate(query)

    assert field_of(caught.value) == field
    assert message in str(caught.value)


def test_a_good_search_keeps_its_filters():
    query = JobSearchQuery.model_validate({"family": "promotion", "status": "failed", "since": 100, "until": 200,
                                           "reason": " sync "})

    assert (query.status, query.since, query.until, query.reason) == ("failed", 100, 200, "sync")


@pytest.mark.parametrize(("model", "body", "field"), [
    (AdminRetryFilter, {"status": "pending"}, "status"),
    (AdminCancelFilter, {"status": "failed"}, "status"),
    (AdminRetryFilter, {"limit": MAX_BULK_JOBS + 1}, "limit"),
    (AdminRetryFilter, {"limit": 0}, "limit"),
    (AdminCancelFilter, {"since": 5, "until": 4}, "until"),
    (AdminRetryFilter, {"dryRun": "maybe"}, "dryRun"),
    (RetryFilter, {"seller": "bob"}, "seller"),
])
def test_a_bad_bulk_filter_names_its_field(model, body, field):
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)

    assert field_of(caught.value) == field


def test_a_bulk_filter_changes_the_status_its_action_changes_and_a_thousand_jobs_at_most_by_default():
    assert (RetryFilter.model_validate({}).status, RetryFilter.model_validate({}).limit) == ("failed", 1000)
    assert AdminCancelFilter.model_validate({"seller": "alice"}).status == "pending"
