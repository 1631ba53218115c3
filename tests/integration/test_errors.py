"""One error shape on every refusal our functions answer, naming what it is about, in plain words."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.events import http_event
from local.http_api import ApiResponse


@pytest.fixture(autouse=True)
def sellers(system):
    """alice and bob have their eBay accounts connected: queueing a promotion needs one."""
    for user in ("alice", "bob"):
        system.connect(user)


LISTING = "177681098666"
# What pydantic, Python or a regex engine would say; a seller reads none of it.
NOT_PLAIN = ("Input should", "String should", "Value error", "pattern", "sys.set_int_max_str_digits", "^[",
             "Field required", "Extra inputs", "Traceback", "Exception")


def refusal(response: ApiResponse, status: int, *fields: str) -> dict[str, Any]:
    """The body of a refusal with ``status``, in the one shape, naming ``fields`` (in order)."""
    body = response.json()
    assert response.status == status, response.body
    assert set(body) == {"success", "ok", "error", "errors"}, body
    assert body["success"] is False and body["ok"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert body["errors"] and all(set(e) == {"field", "message"} for e in body["errors"]), body
    assert [e["field"] for e in body["errors"]][:len(fields)] == list(fields), body
    assert not any(word in response.body for word in NOT_PLAIN), body
    return dict(body)


def direct(system, function: str, method: str, path: str, *, claims: dict[str, Any] | None = None) -> ApiResponse:
    """A function invoked with an event API Gateway would never send (no route, no authorizer)."""
    event = http_event(method, path, claims=claims)
    result = system.invoke(function, event)
    return ApiResponse(result["statusCode"], {k.lower(): v for k, v in (result.get("headers") or {}).items()},
                       result["body"])


# ---------------------------------------------------------------- 400


@pytest.mark.parametrize(("query", "message"), [
    ("limit=%C2%B2", "must be a whole number"),  # "²" is a digit to str.isdigit(), not to int()
    ("limit=" + "9" * 5000, "is too large a number"),
    ("limit=0", "must be at least 1"),
    ("limit=101", "must be at most 100"),
    ("status=done", "must be one of pending, succeeded, failed or cancelled"),
])
def test_a_bad_query_parameter_is_a_400_naming_it(system, query, message):
    body = refusal(system.call("GET", f"/promotions?{query}"), 400, query.split("=")[0])

    assert body["errors"][0]["message"] == message
    assert body["error"] == f"{query.split('=')[0]} {message}"


def test_a_bad_path_parameter_is_a_400_naming_it(system):
    body = refusal(system.call("GET", "/categories/EBAY_US/abc/aspects"), 400, "categoryId")

    assert body["errors"][0]["message"] == "must be an eBay category id: up to 12 digits"


def test_a_bad_body_names_every_field(system):
    body = refusal(system.call("POST", "/promotions", body={"batch": [{"listingId": "12", "adRate": 5},
                                                                      {"listingId": LISTING, "adRate": 5.55}]}),
                   400, "batch[0].listingId", "batch[1].adRate")

    assert body["errors"][1]["message"] == "must have at most one decimal place"


@pytest.mark.parametrize(("raw", "message"), [
    ("", "is required"),
    ("{", "is not valid JSON (line 1, column 2)"),
    ("[]", "must be a JSON object"),
    ('{"listingId": "177681098666", "adRate": ' + "9" * 5000 + "}", "has a number with more than 30 digits"),
])
def test_a_body_that_is_no_request_is_a_400_naming_the_body(system, raw, message):
    body = refusal(system.call("POST", "/promotions", body=raw), 400, "body")

    assert body["errors"][0]["message"] == message


def test_a_body_that_is_not_utf8_is_a_400(system):
    refusal(system.call("POST", "/promotions", body=b'{"listingId": "\xff"}'), 400, "body")


# ---------------------------------------------------------------- 401, 403


def test_a_request_without_the_authorizers_claims_is_a_401(system):
    response = direct(system, "PromotionStatusFunction", "GET", "/promotions/stats")

    refusal(response, 401, "Authorization")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_admin_route_without_the_admin_scope_is_a_403(system):
    refusal(system.call("GET", "/market/overview"), 403, "Authorization")


# ---------------------------------------------------------------- 404, 405


def test_another_users_job_is_a_404_naming_the_id(system):
    job_id = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5}).json()["jobId"]

    for method, path in (("GET", f"/promotions/{job_id}"), ("DELETE", f"/promotions/{job_id}"),
                         ("GET", f"/promotion-status?jobId={job_id}")):
        refusal(system.call(method, path, user="bob"), 404, "jobId")


def test_a_path_no_route_takes_is_a_404_and_a_known_path_with_another_method_a_405(system):
    claims = {"sub": "alice"}

    refusal(direct(system, "PromotionStatusFunction", "GET", "/promotions/x/y", claims=claims), 404, "path")
    response = direct(system, "PromotionStatusFunction", "PATCH", "/promotions/stats", claims=claims)
    refusal(response, 405, "method")
    assert response.headers["allow"] == "GET"


# ---------------------------------------------------------------- 409


def test_cancelling_a_finished_job_is_a_409_naming_the_job(system):
    job_id = system.call("POST", "/promotions", body={"listingId": LISTING, "adRate": 5}).json()["jobId"]
    system.call("DELETE", f"/promotions/{job_id}")

    refusal(system.call("DELETE", f"/promotions/{job_id}"), 409, "jobId")


# ---------------------------------------------------------------- 413, 415


@pytest.mark.parametrize("path", ["/promotions", "/ebay/credentials", "/category-fetches", "/market/jobs",
                                  "/webhooks"])
def test_a_body_over_64_kib_is_a_413_on_every_route_with_a_body(system, path):
    method = "PUT" if path == "/ebay/credentials" else "POST"
    oversized = json.dumps({"refreshToken": "x" * 65_536})

    body = refusal(system.call(method, path, body=oversized), 413, "body")

    assert body["errors"][0]["message"] == "must be at most 65536 bytes"


def test_a_body_of_64_kib_is_read(system):
    # A body just under the limit is parsed and judged on its content.
    padded = json.dumps({"listingId": LISTING, "adRate": 5, "campaignId": "1" * 65_400})

    refusal(system.call("POST", "/promotions", body=padded), 400, "campaignId")


def test_a_form_encoded_body_is_a_415(system):
    response = system.call("POST", "/promotions", body="listingId=177681098666&adRate=5",
                           headers={"content-type": "application/x-www-form-urlencoded"})

    refusal(response, 415, "Content-Type")


# ---------------------------------------------------------------- 429, 503 (eBay behind the request)


def test_ebay_throttling_a_category_fetch_is_a_429_with_retry_after(system):
    system.sandbox.inject_fault("get_default_category_tree_id", status=429)

    response = system.call("POST", "/category-fetches", body={"parentCategoryId": "26395"})

    refusal(response, 429, "request")
    assert response.headers["retry-after"] == "60"
    assert system.call("GET", "/category-fetches").json()["count"] == 0


def test_ebay_failing_behind_a_category_fetch_is_a_503(system):
    system.sandbox.inject_fault("get_category_subtree", status=500)

    response = system.call("POST", "/category-fetches", body={"parentCategoryId": "26395"})

    refusal(response, 503, "request")
    assert system.call("GET", "/category-fetches").json()["count"] == 0
