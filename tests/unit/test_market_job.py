"""Market jobs, cached prices and the queue message: plain data and how it reads back."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from sellerjobs.market.job import CachedPrice, MarketJob, MarketStatus, Priority, Provider, Quote, dedupe_key
from sellerjobs.market.ports import BatchMetrics, MarketBatch, SchedulerRun
from sellerjobs.market.views import BatchMetricsView, MarketJobView, PriceView, SchedulerRunView

NOW = 1_767_225_600_000


def a_job(**changes: object) -> MarketJob:
    job = MarketJob(id="j1", provider=Provider.STOCKX, sku="DD1391-100", size="10", priority=Priority.HOT,
                    status=MarketStatus.PENDING, enqueued_at=NOW, updated_at=NOW)
    return job.moved(job.status, NOW, **changes) if changes else job  # type: ignore[arg-type]


# ---------------------------------------------------------------- keys, statuses, priorities


def test_the_dedupe_key_joins_provider_sku_and_size():
    assert dedupe_key(Provider.STOCKX, "DD1391-100", "10") == "stockx|DD1391-100|10"
    assert dedupe_key(Provider.ALIAS, "555088 134", None) == "alias|555088 134|"
    assert dedupe_key(Provider.EBAY, "A", "") == dedupe_key(Provider.EBAY, "A", None)
    assert a_job().key == "stockx|DD1391-100|10"


def test_which_statuses_wait_and_which_are_active():
    assert {s for s in MarketStatus if s.queued} == {MarketStatus.PENDING, MarketStatus.DEFERRED}
    assert {s for s in MarketStatus if s.active} == {MarketStatus.PENDING, MarketStatus.DEFERRED,
                                                     MarketStatus.RUNNING}


def test_priorities_order_manual_over_hot_over_background():
    assert Priority.MANUAL > Priority.HOT > Priority.BACKGROUND
    assert (Priority.MANUAL, Priority.HOT, Priority.BACKGROUND) == (200, 150, 100)


def test_a_move_bumps_the_version_and_the_update_time():
    job = a_job()

    moved = job.moved(MarketStatus.RUNNING, NOW + 5, started_at=NOW + 5)

    assert (moved.status, moved.updated_at, moved.started_at, moved.version) == (
        MarketStatus.RUNNING, NOW + 5, NOW + 5, job.version + 1)
    assert (moved.enqueued_at, moved.priority) == (job.enqueued_at, job.priority)
    assert job.status is MarketStatus.PENDING  # jobs are values


def test_a_started_job_runs_from_now():
    job = a_job()

    started = job.started(NOW + 5)

    assert (started.status, started.started_at, started.updated_at, started.version) == (
        MarketStatus.RUNNING, NOW + 5, NOW + 5, job.version + 1)
    assert started.enqueued_at == job.enqueued_at


def test_a_retried_job_waits_as_if_just_queued_without_its_error():
    failed = a_job().settled(MarketStatus.FAILED, NOW + 5, error="credentials: 401", retries=2)

    retried = failed.retried(NOW + 9)

    assert (retried.status, retried.error, retried.enqueued_at, retried.updated_at, retried.version) == (
        MarketStatus.PENDING, None, NOW + 9, NOW + 9, failed.version + 1)
    assert retried.retry_count == 2


def test_a_job_in_the_api():
    job = a_job(retry_count=2, error="gave up", completed_at=NOW + 9)

    api = job.to_api()

    assert api == {"id": "j1", "provider": "stockx", "sku": "DD1391-100", "size": "10", "priority": 150,
                   "status": "pending", "retryCount": 2, "error": "gave up", "enqueuedAt": NOW,
                   "updatedAt": NOW, "startedAt": None, "completedAt": NOW + 9}
    MarketJobView.model_validate(api)


# ---------------------------------------------------------------- cached prices


def price(quote: Quote, updated_at: int = NOW) -> CachedPrice:
    return CachedPrice(provider=Provider.STOCKX, sku="DD1391-100", size="10", quote=quote, updated_at=updated_at)


def test_amounts_are_strings_and_missing_ones_none():
    quote = Quote(currency="USD", lowest_ask=Decimal("110.00"), highest_bid=None, last_sale=Decimal("101.5"),
                  extra={"sellFaster": Decimal("108"), "earnMore": None}, reference="5e6a1e57")

    api = price(quote).to_api(stale_after_ms=3_600_000, now_ms=NOW)

    assert api == {"provider": "stockx", "sku": "DD1391-100", "size": "10", "currency": "USD",
                   "lowestAsk": "110.00", "highestBid": None, "lastSale": "101.5",
                   "extra": {"sellFaster": "108", "earnMore": None}, "reference": "5e6a1e57",
                   "updatedAt": NOW, "stale": False}
    PriceView.model_validate(api)


def test_a_quote_without_figures():
    api = price(Quote(currency="EUR")).to_api(stale_after_ms=1, now_ms=NOW)

    assert (api["lowestAsk"], api["highestBid"], api["lastSale"], api["extra"], api["reference"]) == (
        None, None, None, {}, None)
    assert api["currency"] == "EUR"


def test_cents_read_from_a_provider_keep_their_two_places():
    api = price(Quote(currency="USD", lowest_ask=Decimal("12700").scaleb(-2))).to_api(1, NOW)

    assert api["lowestAsk"] == "127.00"


@pytest.mark.parametrize(("age_ms", "stale"), [(0, False), (599_999, False), (600_000, False), (600_001, True)])
def test_a_price_is_stale_once_older_than_stale_after(age_ms: int, stale: bool):
    api = price(Quote(currency="USD"), updated_at=NOW - age_ms).to_api(stale_after_ms=600_000, now_ms=NOW)

    assert api["stale"] is stale


# ---------------------------------------------------------------- the queue message


def test_a_batch_reads_back_as_it_was_written():
    batch = MarketBatch(provider=Provider.ALIAS, keys=("alias|A|10", "alias|555088 134|"), reserved_at=NOW,
                        started_at=NOW + 12)

    body = batch.to_json()

    assert json.loads(body) == {"provider": "alias", "keys": ["alias|A|10", "alias|555088 134|"],
                                "reservedAt": NOW, "startedAt": NOW + 12}
    assert MarketBatch.model_validate_json(body) == batch
    assert batch.not_before == 0


def test_an_empty_batch_reads_back():
    batch = MarketBatch(provider=Provider.EBAY, keys=(), reserved_at=NOW, started_at=NOW)

    assert MarketBatch.model_validate_json(batch.to_json()) == batch


GOOD = {"provider": "stockx", "keys": ["stockx|A|"], "reservedAt": NOW, "startedAt": NOW}


@pytest.mark.parametrize("body", [
    "",
    "not json",
    "{",
    "null",
    "[]",
    '"a string"',
    "42",
    json.dumps({k: v for k, v in GOOD.items() if k != "keys"}),
    json.dumps({k: v for k, v in GOOD.items() if k != "provider"}),
    json.dumps({k: v for k, v in GOOD.items() if k != "reservedAt"}),
    json.dumps({k: v for k, v in GOOD.items() if k != "startedAt"}),
    json.dumps({**GOOD, "provider": "goat"}),
    json.dumps({**GOOD, "keys": "stockx|A|"}),
    json.dumps({**GOOD, "keys": [1, 2]}),
    json.dumps({**GOOD, "keys": ["stockx|A|", None]}),
    json.dumps({**GOOD, "keys": {"stockx|A|": 1}}),
    json.dumps({**GOOD, "reservedAt": None}),
    json.dumps({**GOOD, "reservedAt": "soon"}),
    json.dumps({**GOOD, "startedAt": []}),
])
def test_a_malformed_body_is_refused(body: str):
    with pytest.raises(ValidationError):
        MarketBatch.model_validate_json(body)


# ---------------------------------------------------------------- records


def test_a_scheduler_run_in_the_api():
    run = SchedulerRun(started_at=NOW, finished_at=NOW + 40, dispatched={"stockx": 3}, read={"stockx": 4},
                       available={"stockx": 15}, reset_stuck=1, trigger="schedule")

    api = run.to_api()

    assert api == {"startedAt": NOW, "finishedAt": NOW + 40, "dispatched": {"stockx": 3}, "read": {"stockx": 4},
                   "available": {"stockx": 15}, "resetStuck": 1, "trigger": "schedule"}
    SchedulerRunView.model_validate(api)


def test_batch_metrics_in_the_api():
    metrics = BatchMetrics(provider="ebay", started_at=NOW, size=10, succeeded=7, failed=1, deferred=2,
                           duration_ms=2500, calls=9)

    api = metrics.to_api()

    assert api == {"provider": "ebay", "startedAt": NOW, "batchSize": 10, "succeeded": 7, "failed": 1,
                   "deferred": 2, "durationMs": 2500, "calls": 9}
    BatchMetricsView.model_validate(api)
