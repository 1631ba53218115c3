"""Category fetches end to end in virtual time: the API, the worker and eBay's Taxonomy (sandbox)."""

from __future__ import annotations

import itertools
import re

import httpx
import pytest

from local.http_api import ApiResponse
from sellerjobs.aws import clients
from sellerjobs.categories.worker import WORK_PAGE

MINUTE = 60.0
TREE_PATH = re.compile(r"/commerce/taxonomy/v1/category_tree/[^/]+")  # the whole tree, not a subtree


def start(system, user="alice", **body):
    # Without a parent category, the whole tree has to be asked for.
    scope = {} if "parentCategoryId" in body else {"wholeTree": True}
    response = system.call("POST", "/category-fetches", user=user, body={"marketplaceId": "EBAY_US"} | scope | body)
    assert response.status == 202, response.body
    return response.json()


def status(system, job_id, user="alice"):
    response = system.call("GET", f"/category-fetches/{job_id}", user=user)
    assert response.status == 200, response.body
    return response.json()["status"]


def finish(system, job_id, user="alice", max_seconds=6 * 3600):
    """Let virtual time pass until the job is no longer active."""
    system.sim.run_while(lambda: status(system, job_id, user)["status"] in ("queued", "processing"), max_seconds)
    return status(system, job_id, user)


def taxonomy_calls(system, operation="get_item_aspects_for_category"):
    return [c for c in system.sandbox.calls if c["operation"] == operation]


def test_a_subtree_is_read_at_once_and_its_leaves_fetched_in_the_background(system):
    leaves = system.sandbox.leaf_category_ids(parent="26395")[:10]

    started = start(system, parentCategoryId="26395", maxCategories=10)
    first = status(system, started["jobId"])
    done = finish(system, started["jobId"])

    assert started["totalCategories"] == 10 and started["parentCategory"] == "Health & Beauty (26395)"
    assert started["jobId"].startswith("job-")
    assert first["status"] in ("queued", "processing") and first["processed"] < 10
    assert done | {"updatedAt": 0, "createdAt": 0, "runs": []} == {
        "jobId": started["jobId"], "marketplaceId": "EBAY_US", "mode": "per_category", "totalCategories": 10,
        "processed": 10, "success": 10, "failed": 0, "status": "completed", "createdAt": 0, "updatedAt": 0,
        "parentCategory": "Health & Beauty (26395)", "error": None, "errors": [], "resumeAt": None, "runs": []}
    # Its run log: one run fetched them all and completed the job.
    assert [(r["outcome"], r["fetched"], r["ebayCalls"], r["runs"]) for r in done["runs"]] == [
        ("completed", 10, 10, 1)]
    assert sorted(c["category_id"] for c in taxonomy_calls(system)) == sorted(leaves)
    stored = system.call("GET", f"/categories/EBAY_US/{leaves[0]}/aspects").json()
    assert stored["categoryId"] == leaves[0]
    assert stored["aspects"] == (system.sandbox.category_aspects(leaves[0]) or [])


def test_the_original_endpoints_answer_in_the_original_shapes(system):
    started = system.call("POST", "/ebay-fetch-all-categories", body={
        "marketplaceId": "EBAY_US", "parentCategoryId": "26395", "maxCategories": 5}).json()
    reply = system.call("GET", f"/ebay-fetch-categories-status?jobId={started['jobId']}").json()

    assert set(started) == {"ok", "jobId", "totalCategories", "message", "parentCategory"}
    assert reply["ok"] is True
    assert {"jobId", "totalCategories", "processed", "success", "failed", "status", "createdAt", "updatedAt",
            "parentCategory", "errors"} <= set(reply["status"])


def test_a_whole_tree_is_read_by_the_worker_and_fetched_in_bulk(system):
    started = start(system)
    queued = status(system, started["jobId"])

    done = finish(system, started["jobId"])
    leaves = system.sandbox.leaf_category_ids()
    assert queued["status"] == "queued" and started["totalCategories"] == 0
    assert started["parentCategory"] == "All categories (EBAY_US)"
    assert done["status"] == "completed" and done["mode"] == "bulk"
    assert done["totalCategories"] == done["success"] == len(leaves)
    # The default tree id, the tree, one aspects file: no per-category calls at all.
    operations = [c["operation"] for c in system.sandbox.calls if c["operation"] != "oauth_token"]
    assert sorted(operations) == ["fetch_item_aspects", "get_category_tree", "get_default_category_tree_id"]
    with_aspects = next(c for c in leaves if system.sandbox.category_aspects(c))
    without = next(c for c in leaves if not system.sandbox.category_aspects(c))
    assert system.call("GET", f"/categories/EBAY_US/{with_aspects}/aspects").json()["aspects"] == \
        system.sandbox.category_aspects(with_aspects)
    assert system.call("GET", f"/categories/EBAY_US/{without}/aspects").json()["aspects"] == []


def test_a_capped_share_of_the_tree_is_fetched_category_by_category(system):
    started = start(system, maxCategories=20, mode="auto")
    done = finish(system, started["jobId"])
    assert done["mode"] == "per_category" and done["success"] == 20
    assert len(taxonomy_calls(system)) == 20


def test_a_category_that_keeps_failing_is_retried_with_backoff_then_recorded_with_its_name(system):
    system.sandbox.inject_fault("get_item_aspects_for_category", status=500, times=3)
    started = start(system, parentCategoryId="26395", maxCategories=1)

    done = finish(system, started["jobId"])
    failed = done["errors"][0]
    leaf = system.sandbox.leaf_category_ids(parent="26395")[0]
    assert done["status"] == "completed" and done["success"] == 0 and done["failed"] == 1
    assert failed["categoryId"] == leaf and failed["categoryName"]
    assert "500" in failed["error"]
    attempts = [c for c in taxonomy_calls(system) if c["category_id"] == leaf]
    assert len(attempts) == 3
    assert attempts[1]["at"] - attempts[0]["at"] >= 30 and attempts[2]["at"] - attempts[1]["at"] >= 60


def test_other_categories_go_on_while_one_waits_for_its_retry(system):
    system.sandbox.inject_fault("get_item_aspects_for_category", status=503, times=1)
    started = start(system, parentCategoryId="26395", maxCategories=5)
    done = finish(system, started["jobId"])
    calls = [c["category_id"] for c in taxonomy_calls(system)]
    assert done["success"] == 5 and done["failed"] == 0
    assert calls[0] == calls[-1] and len(calls) == 6  # the failed one came last, after the others


def test_retry_failed_fetches_only_the_failed_categories_again(system):
    system.sandbox.inject_fault("get_item_aspects_for_category", status=500, times=3)
    job_id = start(system, parentCategoryId="26395", maxCategories=1)["jobId"]
    finish(system, job_id)
    before = len(taxonomy_calls(system))

    response = system.call("POST", f"/category-fetches/{job_id}/retry-failed")
    done = finish(system, job_id)
    assert response.status == 202 and response.json()["requeued"] == 1
    assert response.json()["status"]["status"] == "processing"
    assert done["status"] == "completed" and done["success"] == 1 and done["failed"] == 0
    assert done["errors"] == [] and done["processed"] == 1
    assert len(taxonomy_calls(system)) == before + 1


def test_retry_failed_needs_a_finished_job_with_failures(system):
    job_id = start(system, parentCategoryId="26395", maxCategories=2)["jobId"]
    while_running = system.call("POST", f"/category-fetches/{job_id}/retry-failed")
    finish(system, job_id)
    nothing_failed = system.call("POST", f"/category-fetches/{job_id}/retry-failed")
    assert while_running.status == 409 and nothing_failed.status == 409


def test_ebays_429_stops_the_run_and_the_job_continues_later(system):
    system.sandbox.inject_fault("get_item_aspects_for_category", status=429, times=1)
    job_id = start(system, parentCategoryId="26395", maxCategories=5)["jobId"]

    done = finish(system, job_id)
    calls = taxonomy_calls(system)
    assert done["status"] == "completed" and done["success"] == 5 and done["failed"] == 0
    assert calls[1]["at"] - calls[0]["at"] >= 60  # waited a minute after the 429


def test_the_daily_taxonomy_budget_is_never_exceeded(system, monkeypatch):
    system.reconfigure(EBAY_TAXONOMY_CALLS_PER_DAY="4", EBAY_TAXONOMY_RESERVE="2")
    job_id = start(system, parentCategoryId="26395", maxCategories=6)["jobId"]

    system.sim.run_for(6 * 3600)
    partway = status(system, job_id)
    done = finish(system, job_id, max_seconds=2 * 86400)

    # 4 calls a day: the tree id and the subtree (read when the job starts), then 2 categories.
    assert partway["status"] == "processing" and partway["processed"] == 2
    assert done["status"] == "completed"
    per_day: dict[int, int] = {}
    for call in system.sandbox.calls:
        if call["operation"] != "oauth_token":
            day = int(call["at"] // 86400)
            per_day[day] = per_day.get(day, 0) + 1
    assert max(per_day.values()) <= 4


def test_calls_are_spaced(system):
    job_id = start(system, parentCategoryId="26395", maxCategories=5)["jobId"]
    assert finish(system, job_id)["status"] == "completed"
    calls = taxonomy_calls(system)
    # Float time stamps near 1.7e9 carry ~1e-7 s of rounding.
    assert min(b["at"] - a["at"] for a, b in itertools.pairwise(calls)) >= 0.2 - 1e-6


def test_an_expired_app_token_is_minted_again(system):
    job_id = start(system, parentCategoryId="26395", maxCategories=4)["jobId"]
    system.sandbox.expire_access_tokens()
    assert finish(system, job_id)["success"] == 4
    assert system.sandbox.tokens_minted["client_credentials"] == 2


def test_bad_app_credentials_fail_the_job_with_the_reason(system):
    job_id = start(system, parentCategoryId="26395", maxCategories=4)["jobId"]
    system.sandbox.expire_access_tokens()
    system.sandbox.inject_fault("oauth_token", status=401, body={"error": "invalid_client",
                                                                 "error_description": "client authentication failed"})
    done = finish(system, job_id)
    assert done["status"] == "failed" and "invalid_client" in done["error"]


def test_cancel_stops_a_running_job(system):
    # A job bigger than one run (50 s of calls 0.2 s apart): cancelled while its first run goes on.
    job_id = start(system, maxCategories=400, mode="per_category")["jobId"]
    system.sim.run_for(20)
    running = status(system, job_id)
    response = system.call("DELETE", f"/category-fetches/{job_id}")
    calls_at_cancel = len(taxonomy_calls(system))
    system.sim.run_for(3600)

    assert running["status"] == "processing" and 0 < running["processed"] < 400
    assert response.status == 200 and response.json()["status"]["status"] == "cancelled"
    # The run looks at the job before each page of work: it stops within one page.
    assert calls_at_cancel <= len(taxonomy_calls(system)) <= calls_at_cancel + WORK_PAGE
    assert status(system, job_id)["status"] == "cancelled"
    assert system.call("DELETE", f"/category-fetches/{job_id}").status == 409


def test_a_job_cancelled_while_its_tree_is_read_stops_its_run_cleanly(system, monkeypatch):
    # A whole-tree job, cancelled by its seller while eBay is sending the worker the tree.
    job_id = start(system)["jobId"]
    answer = system.sandbox.handle
    cancels: list[ApiResponse] = []

    def cancel_while_the_tree_is_read(request: httpx.Request) -> httpx.Response:
        response = answer(request)
        if TREE_PATH.fullmatch(request.url.path) and not cancels:
            cancels.append(system.call("DELETE", f"/category-fetches/{job_id}"))
        return response

    monkeypatch.setattr(system.sandbox, "handle", cancel_while_the_tree_is_read)
    system.sim.run_for(3600)  # long enough for a failed run's message to come back (visibility: 1800 s)

    [cancelled] = cancels
    assert cancelled.status == 200 and cancelled.json()["status"]["status"] == "cancelled"
    assert status(system, job_id)["status"] == "cancelled"
    # The run stopped without an error: no message failed, came back or went to the dead-letter queue.
    runs = [log for log in system.sim.invocations if "Records" in log.event]
    assert runs and all(not log.crashed and not log.result["batchItemFailures"] for log in runs)
    assert system.sim.waiting("CategoryFetchQueue") == 0 and not system.sim.dead_letters
    # And eBay was asked for the tree only: no aspects at all.
    operations = [c["operation"] for c in system.sandbox.calls if c["operation"] != "oauth_token"]
    assert sorted(operations) == ["get_category_tree", "get_default_category_tree_id"]


def test_duplicate_deliveries_fetch_nothing_twice_and_count_exactly(system):
    system.sim.duplicate_deliveries = True
    job_id = start(system, parentCategoryId="26395", maxCategories=40)["jobId"]
    done = finish(system, job_id)
    ids = [c["category_id"] for c in taxonomy_calls(system)]
    assert done["processed"] == done["success"] == 40
    assert len(ids) == len(set(ids)) == 40


def test_a_run_that_crashes_is_resumed_where_it_stopped(system):
    job_id = start(system, parentCategoryId="26395", maxCategories=20)["jobId"]
    dynamodb = clients.dynamodb()
    table = system.stack.table_name("CategoryFetchTable")

    def storing_a_category(params):
        return any(next(iter(i.values())).get("TableName") == table and "Delete" in i
                   for i in params.get("TransactItems", []))

    with system.sim.crash_on(dynamodb, "TransactWriteItems", times=1, when=lambda p: storing_a_category(p)):
        system.sim.run_for(1)  # the run dies storing a category
    mid = status(system, job_id)
    done = finish(system, job_id)
    ids = [c["category_id"] for c in taxonomy_calls(system)]
    assert mid["status"] == "processing"
    assert done["status"] == "completed" and done["processed"] == done["success"] == 20
    # Only the category in flight at the crash was fetched twice.
    assert len(ids) == 21 and len(set(ids)) == 20


def test_two_runs_of_one_job_never_work_at_once(system):
    job_id = start(system, parentCategoryId="26395", maxCategories=3)["jobId"]
    services = system.services("CategoryFetchWorkerFunction")
    worker, jobs = services.category_worker(), services.fetch_jobs()
    assert jobs.take_lease(job_id, "someone-else", 0, int(system.clock.now() * 1000) + 60_000) is not None

    report = worker.run(job_id)

    assert report.skipped and taxonomy_calls(system) == []


@pytest.mark.parametrize(("body", "field"), [
    ({"marketplaceId": "ebay us"}, "marketplaceId"),
    ({"marketplaceId": "EBAY_NOWHERE"}, "marketplaceId"),
    ({"parentCategoryId": "abc"}, "parentCategoryId"),
    ({"parentCategoryId": "999999999"}, "parentCategoryId"),
    ({"maxCategories": 0}, "maxCategories"),
    ({"maxCategories": 100001}, "maxCategories"),
    ({"mode": "fast"}, "mode"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(system, body, field):
    scope = {} if "parentCategoryId" in body else {"wholeTree": True}
    response = system.call("POST", "/category-fetches", body={"marketplaceId": "EBAY_US"} | scope | body)

    assert response.status == 400, response.body
    assert response.json()["ok"] is False
    assert response.json()["errors"][0]["field"] == field
    assert system.table_items("CategoryFetchTable") == []
    assert system.sim.waiting("CategoryFetchQueue") == 0


@pytest.mark.parametrize(("body", "message"), [
    ({}, "must be true to fetch the whole category tree; or give parentCategoryId to fetch one category's leaves"),
    ({"marketplaceId": "EBAY_US", "maxCategories": 100}, "must be true to fetch the whole category tree; or give "
                                                         "parentCategoryId to fetch one category's leaves"),
    ({"parentCategoryId": "26395", "wholeTree": True}, "must be left out when parentCategoryId is given"),
])
@pytest.mark.parametrize("path", ["/category-fetches", "/ebay-fetch-all-categories"])
def test_a_whole_tree_is_fetched_only_when_asked_for(system, path, body, message):
    response = system.call("POST", path, body=body)

    assert response.status == 400, response.body
    assert response.json()["errors"] == [{"field": "wholeTree", "message": message}]
    assert system.table_items("CategoryFetchTable") == [] and system.sandbox.calls == []


def test_another_users_job_is_not_found(system):
    job_id = start(system, user="alice", parentCategoryId="26395", maxCategories=2)["jobId"]
    paths = (("GET", f"/category-fetches/{job_id}"), ("GET", f"/ebay-fetch-categories-status?jobId={job_id}"),
             ("DELETE", f"/category-fetches/{job_id}"), ("POST", f"/category-fetches/{job_id}/retry-failed"))
    for method, path in paths:
        assert system.call(method, path, user="mallory").status == 404


def test_jobs_are_listed_active_first_then_newest(system):
    first = start(system, parentCategoryId="26395", maxCategories=2)["jobId"]
    finish(system, first)
    system.clock.advance(5)
    second = start(system, parentCategoryId="26395", maxCategories=2)["jobId"]
    listed = system.call("GET", "/category-fetches").json()
    assert [j["jobId"] for j in listed["jobs"]] == [second, first]
    assert [j["status"] for j in listed["jobs"]] == ["queued", "completed"]


def test_aspects_not_fetched_yet_are_not_found(system):
    assert system.call("GET", "/categories/EBAY_US/180959/aspects").status == 404
