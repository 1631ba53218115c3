"""Every answer of the API matches what the OpenAPI document gives for its route and status."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from local.http_api import ApiResponse
from local.openapi import OUTPUT


@cache
def document() -> dict[str, Any]:
    # The committed document, as GET /openapi.json serves it (tests/unit/test_openapi.py keeps it current).
    loaded: dict[str, Any] = json.loads(OUTPUT.read_text(encoding="utf-8"))
    return loaded


def check(system, method: str, path: str, route: str, user: str | None = "alice", body: Any = None,
          admin: bool = False, headers: dict[str, str] | None = None) -> ApiResponse:
    response = system.call(method, path, user=user, body=body, admin=admin, headers=headers)
    answers = document()["paths"][route][method.lower()]["responses"]
    assert str(response.status) in answers, (method, path, response.status, response.body)
    if response.headers.get("content-type", "").startswith("application/json"):  # the dashboard's files are not
        schema = answers[str(response.status)]["content"]["application/json"]["schema"]
        Draft202012Validator(schema | {"components": document()["components"]}).validate(response.json())
    return response


def test_promotion_answers_match_the_document(system):
    system.connect("alice")
    system.publish("alice", "177681098666")
    system.publish("alice", "177681098667", never_syncs=True)
    one = check(system, "POST", "/queue-promotion", "/queue-promotion", body={"listingId": "177681098666", "adRate": 5})
    pair = [{"listingId": "177681098667", "adRate": 5}, {"listingId": "177681098668", "adRate": 5}]
    batch = check(system, "POST", "/promotions", "/promotions", body={"batch": pair + pair[:1]})
    job_id = one.json()["jobId"]
    cancel_id = batch.json()["jobIds"][1]
    check(system, "POST", "/promotions", "/promotions", body={"listingId": "x", "adRate": 5})
    check(system, "POST", "/promotions", "/promotions", body="x" * 70_000)
    check(system, "POST", "/promotions", "/promotions", user=None, body={})
    check(system, "POST", "/promotions", "/promotions", body={"listingId": "177681098666", "adRate": 6})
    check(system, "POST", "/promotions", "/promotions", body={"listingId": "177681098699", "adRate": 5},
          headers={"Idempotency-Key": "k-1"})
    check(system, "POST", "/promotions", "/promotions", body={"listingId": "177681098698", "adRate": 5},
          headers={"Idempotency-Key": "k-1"})
    check(system, "GET", f"/promotion-status?jobId={job_id}", "/promotion-status")
    check(system, "GET", "/promotion-status", "/promotion-status")
    check(system, "GET", "/promotion-status?jobId=nope", "/promotion-status")
    check(system, "GET", "/promotions/stats", "/promotions/stats")
    check(system, "GET", f"/promotions/{job_id}", "/promotions/{jobId}")
    check(system, "GET", "/promotions/nope", "/promotions/{jobId}")
    check(system, "GET", "/promotions?status=pending&limit=1", "/promotions")
    check(system, "GET", "/promotions?limit=0", "/promotions")
    check(system, "GET", "/promotions?limit=%C2%B2", "/promotions")
    check(system, "DELETE", f"/promotions/{cancel_id}", "/promotions/{jobId}")
    check(system, "DELETE", f"/promotions/{cancel_id}", "/promotions/{jobId}")
    system.sim.drain()
    failed = batch.json()["jobIds"][0]
    check(system, "POST", f"/promotions/{failed}/retry", "/promotions/{jobId}/retry")
    check(system, "POST", f"/promotions/{failed}/retry", "/promotions/{jobId}/retry")
    check(system, "PUT", "/ebay/credentials", "/ebay/credentials", body={"refreshToken": "r" * 20})
    check(system, "PUT", "/ebay/credentials", "/ebay/credentials", body={"refreshToken": "r"})
    document_answer = check(system, "GET", "/openapi.json", "/openapi.json", user=None)
    assert document_answer.json() == document()
    check(system, "GET", "/admin", "/admin", user=None)
    check(system, "GET", "/admin/assets/main.js", "/admin/assets/{file}", user=None)
    check(system, "GET", "/admin/assets/nope.js", "/admin/assets/{file}", user=None)


def test_category_fetch_answers_match_the_document(system):
    started = check(system, "POST", "/category-fetches", "/category-fetches",
                    body={"marketplaceId": "EBAY_US", "parentCategoryId": "26395", "maxCategories": 2})
    job_id = started.json()["jobId"]
    check(system, "POST", "/ebay-fetch-all-categories", "/ebay-fetch-all-categories",
          body={"marketplaceId": "EBAY_US", "parentCategoryId": "26395", "maxCategories": 1})
    check(system, "POST", "/category-fetches", "/category-fetches", body={"parentCategoryId": "x"})
    check(system, "POST", "/category-fetches", "/category-fetches", body={})
    check(system, "GET", f"/category-fetches/{job_id}", "/category-fetches/{jobId}")
    check(system, "GET", "/category-fetches/job-0-nope", "/category-fetches/{jobId}")
    check(system, "GET", f"/ebay-fetch-categories-status?jobId={job_id}", "/ebay-fetch-categories-status")
    check(system, "GET", "/ebay-fetch-categories-status", "/ebay-fetch-categories-status")
    check(system, "GET", "/category-fetches", "/category-fetches")
    check(system, "POST", f"/category-fetches/{job_id}/retry-failed", "/category-fetches/{jobId}/retry-failed")
    system.sim.run_for(600)
    leaf = system.sandbox.leaf_category_ids(parent="26395")[0]
    check(system, "GET", f"/categories/EBAY_US/{leaf}/aspects", "/categories/{marketplaceId}/{categoryId}/aspects")
    check(system, "GET", "/categories/EBAY_US/1/aspects", "/categories/{marketplaceId}/{categoryId}/aspects")
    check(system, "GET", "/categories/ebay/x/aspects", "/categories/{marketplaceId}/{categoryId}/aspects")
    check(system, "DELETE", f"/category-fetches/{job_id}", "/category-fetches/{jobId}")


def test_market_answers_match_the_document(system):
    item = {"sku": "DD1391-100", "size": "10"}
    check(system, "POST", "/market/jobs", "/market/jobs", body={"provider": "stockx", "priority": 150} | item)
    check(system, "POST", "/market/jobs", "/market/jobs", body={"provider": "goat", "sku": "x"})
    check(system, "POST", "/market/jobs", "/market/jobs", body="x" * 70_000)
    check(system, "POST", "/market/refresh", "/market/refresh", body={"provider": "alias", "items": [item]})
    check(system, "POST", "/market/refresh", "/market/refresh", body={"provider": "alias", "items": []})
    check(system, "GET", "/market/jobs?status=pending&limit=1", "/market/jobs")
    check(system, "GET", "/market/jobs", "/market/jobs")
    check(system, "GET", "/market/jobs?status=nope", "/market/jobs")
    check(system, "GET", "/market/prices/stockx/DD1391-100?size=10", "/market/prices/{provider}/{sku}")
    check(system, "GET", "/market/prices/goat/DD1391-100", "/market/prices/{provider}/{sku}")
    check(system, "GET", "/market/overview", "/market/overview")
    check(system, "POST", "/market/scheduler/run", "/market/scheduler/run")
    check(system, "POST", "/market/scheduler/run", "/market/scheduler/run", admin=True)
    system.sim.run_for(120)
    check(system, "GET", "/market/prices/stockx/DD1391-100?size=10", "/market/prices/{provider}/{sku}")
    check(system, "GET", "/market/prices/alias/DD1391-100?size=10", "/market/prices/{provider}/{sku}")
    check(system, "GET", "/market/jobs?status=succeeded", "/market/jobs")
    check(system, "GET", "/market/overview", "/market/overview", admin=True)
    check(system, "POST", "/market/jobs/reset-failed", "/market/jobs/reset-failed", admin=True)


def test_webhook_and_event_answers_match_the_document(system):
    url = f"{system.virtual.sandbox_url}/hooks/alice"
    hook = check(system, "POST", "/webhooks", "/webhooks", body={"url": url, "events": ["promotion.succeeded"]}).json()
    check(system, "POST", "/webhooks", "/webhooks", body={"url": "ftp://example.com/x", "events": ["x"]})
    path, item = f"/webhooks/{hook['id']}", "/webhooks/{webhookId}"
    check(system, "GET", "/webhooks", "/webhooks")
    check(system, "GET", path, item)
    check(system, "GET", "/webhooks/wh_none", item)
    check(system, "PATCH", path, item, body={"status": "disabled", "description": "paused"})
    check(system, "PATCH", path, item, body={})
    check(system, "POST", f"{path}/test", item + "/test")
    check(system, "PATCH", path, item, body={"status": "active"})
    check(system, "POST", f"{path}/test", item + "/test")
    system.sim.run_for(30)
    check(system, "GET", f"{path}/deliveries?limit=5", item + "/deliveries")
    check(system, "GET", f"{path}/deliveries?limit=0", item + "/deliveries")
    check(system, "POST", f"{path}/rotate-secret", item + "/rotate-secret")
    check(system, "GET", "/admin/events", "/admin/events")
    check(system, "GET", "/admin/events?limit=10", "/admin/events", admin=True)
    assert check(system, "DELETE", path, item).status == 204
    check(system, "DELETE", path, item)
