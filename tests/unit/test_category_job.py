"""The category fetch job: statuses, ids, the API shape and the worker's queue message."""

from __future__ import annotations

import json
import random
import re
from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from pydantic import ValidationError

from sellerjobs.categories.job import (
    AspectRecord,
    Category,
    FailedCategory,
    FetchJob,
    FetchMode,
    FetchStatus,
    new_job_id,
)
from sellerjobs.categories.ports import FetchMessage

T0 = 1_767_225_600_000  # epoch ms
JOB_ID = re.compile(r"^job-(\d+)-([a-z0-9]{6})$")


def make_job(**changes: Any) -> FetchJob:
    base: dict[str, Any] = {"id": f"job-{T0}-abc123", "user_id": "alice", "marketplace_id": "EBAY_US",
            "status": FetchStatus.PROCESSING, "mode": FetchMode.PER_CATEGORY, "created_at": T0,
            "updated_at": T0 + 5_000, "parent_category_id": "26395", "parent_label": "Health & Beauty (26395)",
            "total": 10, "processed": 4, "success": 3, "failed": 1}
    return FetchJob(**(base | changes))


# ---------------------------------------------------------------- statuses


@pytest.mark.parametrize(("status", "active"), [
    (FetchStatus.QUEUED, True),
    (FetchStatus.PROCESSING, True),
    (FetchStatus.COMPLETED, False),
    (FetchStatus.FAILED, False),
    (FetchStatus.CANCELLED, False),
])
def test_only_queued_and_processing_are_active(status, active):
    assert status.active is active


def test_status_and_mode_values_are_the_api_strings():
    assert [s.value for s in FetchStatus] == ["queued", "processing", "completed", "failed", "cancelled"]
    assert [m.value for m in FetchMode] == ["auto", "per_category", "bulk"]


# ---------------------------------------------------------------- ids


def test_job_id_is_job_millis_and_six_lowercase_alphanumerics():
    job_id = new_job_id(T0, random.Random(42))

    match = JOB_ID.match(job_id)
    assert match is not None, job_id
    assert match.group(1) == str(T0)


def test_job_id_randomness_comes_from_the_given_generator():
    assert new_job_id(T0, random.Random(7)) == new_job_id(T0, random.Random(7))
    assert len({new_job_id(T0, random.Random(seed)) for seed in range(20)}) == 20


def test_job_ids_use_the_whole_lowercase_alphabet_and_digits():
    rng = random.Random(3)
    suffixes = "".join(new_job_id(T0, rng)[-6:] for _ in range(500))

    assert set(suffixes) == set("abcdefghijklmnopqrstuvwxyz0123456789")


def test_job_id_without_a_generator_has_the_same_format():
    assert JOB_ID.match(new_job_id(T0)) is not None


# ---------------------------------------------------------------- the job


def test_touched_changes_fields_and_the_update_time_only():
    job = make_job()

    later = job.touched(T0 + 9_000, status=FetchStatus.COMPLETED, processed=10)

    assert (later.status, later.processed, later.updated_at) == (FetchStatus.COMPLETED, 10, T0 + 9_000)
    assert later.created_at == T0 and later.success == 3
    assert job.status is FetchStatus.PROCESSING  # the original is unchanged
    with pytest.raises(FrozenInstanceError):
        job.status = FetchStatus.FAILED  # type: ignore[misc]


def test_to_api_is_the_seed_status_shape_plus_marketplace_mode_errors_and_when_it_goes_on():
    job = make_job(error=None)
    errors = [FailedCategory(Category("172020", "Eyes"), "eBay 62005: invalid category"),
              FailedCategory(Category("31411", "Fragrances"), "eBay server error (HTTP 500)")]

    assert job.to_api(errors) == {
        "jobId": f"job-{T0}-abc123", "marketplaceId": "EBAY_US", "mode": "per_category", "totalCategories": 10,
        "processed": 4, "success": 3, "failed": 1, "status": "processing", "createdAt": T0,
        "updatedAt": T0 + 5_000, "parentCategory": "Health & Beauty (26395)", "error": None,
        "errors": [{"categoryId": "172020", "categoryName": "Eyes", "error": "eBay 62005: invalid category"},
                   {"categoryId": "31411", "categoryName": "Fragrances", "error": "eBay server error (HTTP 500)"}],
        "resumeAt": None,
    }


def test_to_api_of_a_failed_bulk_job_carries_its_reason_and_no_errors():
    job = make_job(status=FetchStatus.FAILED, mode=FetchMode.BULK, error="eBay refused the application's token")

    shown = job.to_api()

    assert (shown["status"], shown["mode"], shown["error"], shown["errors"]) == (
        "failed", "bulk", "eBay refused the application's token", [])
    assert json.loads(json.dumps(shown)) == shown  # plain JSON values only


def test_aspect_record_to_api():
    record = AspectRecord(marketplace_id="EBAY_US", tree_id="0", tree_version="130", category_id="172020",
                          category_name="Eyes", aspects=[{"localizedAspectName": "Brand"}], fetched_at=T0,
                          job_id="job-1-aaaaaa")

    assert record.to_api() == {"marketplaceId": "EBAY_US", "categoryTreeId": "0", "categoryTreeVersion": "130",
                               "categoryId": "172020", "categoryName": "Eyes",
                               "aspects": [{"localizedAspectName": "Brand"}], "fetchedAt": T0}


# ---------------------------------------------------------------- the queue message


def test_message_is_compact_json_and_round_trips():
    message = FetchMessage(job_id=f"job-{T0}-abc123", not_before=T0 + 1)

    body = message.to_json()

    assert body == f'{{"jobId":"job-{T0}-abc123","notBefore":{T0 + 1}}}'
    assert FetchMessage.model_validate_json(body) == message


def test_message_without_not_before_is_due_at_once():
    message = FetchMessage.model_validate_json('{"jobId":"job-1-abcdef"}')

    assert message == FetchMessage(job_id="job-1-abcdef", not_before=0)


@pytest.mark.parametrize("body", [
    '{"notBefore": 5}',  # missing jobId
    '{"jobId": 123, "notBefore": 5}',  # non-string jobId
    '{"jobId": "", "notBefore": 5}',  # empty jobId
    '{"jobId": null}',
    '{"jobId": "job-1-abcdef", "notBefore": true}',  # a boolean is not a time
    '{"jobId": "job-1-abcdef", "notBefore": "5"}',
    '{"jobId": "job-1-abcdef", "notBefore": 1.5}',
    '{"jobId": "job-1-abcdef", "notBefore": null}',
    "{not json",  # garbage
    "",
    "[1, 2]",
    "null",
    '"job-1-abcdef"',
], ids=["missing-jobId", "int-jobId", "empty-jobId", "null-jobId", "bool-notBefore", "str-notBefore",
        "float-notBefore", "null-notBefore", "garbage", "empty-body", "array", "null", "bare-string"])
def test_a_malformed_message_is_refused(body):
    with pytest.raises(ValidationError):
        FetchMessage.model_validate_json(body)
