"""The dashboard at GET /admin in a real (headless) Chromium against the running local stack.

The page is static; everything it shows comes from the JSON API with the bearer token, so
these tests drive the page and check both what it shows and what the API then says.
The stack runs time 60x faster than real time: a listing that never syncs fails its job after
about 12 virtual minutes, i.e. about 12 s here.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import pytest

from tests.e2e.browser import require_browser, unique_user

pytestmark = pytest.mark.e2e

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402

# ---- helpers --------------------------------------------------------------------------------

def unique_listing() -> str:
    # eBay item ids are 12 digits; the sandbox keys listings by id across all sellers.
    return str(100_000_000_000 + uuid.uuid4().int % 900_000_000_000)


def connect(stack: Any, user: str) -> None:
    """Give ``user`` an eBay seller account and store its refresh token.

    No campaign is set up: the worker creates the seller's campaign on first need.
    """
    refresh_token = f"refresh-token-of-{user}-0123456789"
    stack.sandbox.add_seller(user, refresh_token)
    response = stack.call("PUT", "/ebay/credentials", user, body={"refreshToken": refresh_token})
    assert response.status_code == 200, response.text


def queue(stack: Any, user: str, listing_id: str, ad_rate: float = 5.0) -> str:
    response = stack.call("POST", "/promotions", user, body={"listingId": listing_id, "adRate": ad_rate})
    assert response.status_code == 202, response.text
    return str(response.json()["jobId"])


def api_job(stack: Any, user: str, job_id: str) -> dict[str, Any]:
    response = stack.call("GET", f"/promotions/{job_id}", user)
    assert response.status_code == 200, response.text
    return dict(response.json()["job"])


def forged(token: str, sub: str) -> str:
    """The same signature over a different payload: well-formed, decodable, and invalid."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = sub
    new_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{new_payload}.{signature}"


def row(page: Page, job_id: str) -> Any:
    return page.locator(f'tr[data-job-id="{job_id}"]')


def stored_token(page: Page) -> Any:
    return page.evaluate("() => window.sessionStorage.getItem('sellerjobs.token')")


# ---- fixtures -------------------------------------------------------------------------------

# ---- tests ----------------------------------------------------------------------------------

def test_a_seller_watches_a_job_fail_and_retries_it(stack, page):
    user = unique_user()
    connect(stack, user)
    never_syncs, normal = unique_listing(), unique_listing()
    stack.sandbox.publish_listing(user, never_syncs, never_syncs=True)
    stack.sandbox.publish_listing(user, normal)
    failing_id = queue(stack, user, never_syncs)
    normal_id = queue(stack, user, normal)

    page.goto(f"{stack.api_url}/admin#token={stack.token(user)}")

    expect(page.get_by_test_id("current-user")).to_have_text(user)
    assert "token" not in page.url
    assert page.evaluate("() => window.location.hash") == ""
    expect(row(page, failing_id)).to_be_visible()
    expect(row(page, normal_id)).to_be_visible()
    expect(row(page, failing_id).get_by_test_id("job-listing")).to_have_text(never_syncs)
    expect(page.get_by_test_id("last-updated")).to_contain_text("Last updated")

    stack.wait_for(lambda: api_job(stack, user, failing_id)["status"] == "failed", timeout_s=60)

    # No reload: the page refreshes itself every 5 s.
    failing = row(page, failing_id)
    expect(failing.get_by_test_id("job-status")).to_have_text("failed")
    expect(failing.get_by_test_id("job-error")).to_contain_text("sync window")
    expect(row(page, normal_id).get_by_test_id("job-status")).to_have_text("succeeded")
    expect(row(page, normal_id).get_by_test_id("job-ad-id")).not_to_have_text("\u2014")
    expect(page.get_by_test_id("stat-failed")).to_have_text("1")
    expect(page.get_by_test_id("stat-succeeded")).to_have_text("1")
    expect(page.get_by_test_id(f"cancel-{failing_id}")).to_have_count(0)

    with page.expect_response(lambda r: r.url.endswith(f"/promotions/{failing_id}/retry")) as retried:
        page.get_by_test_id(f"retry-{failing_id}").click()

    assert retried.value.status == 202
    answer = retried.value.json()["job"]
    assert answer["status"] == "pending" and answer["attempts"] == 0 and answer["lastError"] is None
    job = api_job(stack, user, failing_id)
    assert job["status"] == "pending"
    # A retried job is due at once, so allow its first new attempt to have started.
    assert job["attempts"] <= 1
    expect(failing.get_by_test_id("job-status")).to_have_text("pending")
    expect(page.get_by_test_id(f"cancel-{failing_id}")).to_be_visible()
    expect(page.get_by_test_id(f"retry-{failing_id}")).to_have_count(0)
    expect(failing.get_by_test_id("job-next-retry").locator("time[datetime]")).to_have_count(1)
    expect(page.get_by_test_id("stat-failed")).to_have_text("0")


def test_signing_in_with_a_pasted_token_queueing_and_signing_out(stack, page):
    user = unique_user()
    connect(stack, user)
    page.goto(f"{stack.api_url}/admin")
    expect(page.get_by_test_id("signin")).to_be_visible()
    expect(page.get_by_test_id("dashboard")).to_be_hidden()

    page.get_by_label("Access token (JWT)", exact=True).fill(stack.token(user))
    page.get_by_test_id("signin-submit").click()

    expect(page.get_by_test_id("current-user")).to_have_text(user)
    expect(page.get_by_test_id("signin")).to_be_hidden()
    expect(page.get_by_test_id("stat-total")).to_have_text("0")
    expect(page.get_by_test_id("jobs-empty")).to_be_visible()

    # A field error from the API is shown next to that field.
    listing = unique_listing()
    page.get_by_label("Listing id", exact=True).fill(listing)
    page.get_by_label("Ad rate (%)", exact=True).fill("150")
    page.get_by_test_id("queue-submit").click()
    expect(page.get_by_test_id("error-adRate")).to_have_text("must be between 2.0 and 100.0")
    expect(page.get_by_label("Ad rate (%)", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("error-listingId")).to_be_hidden()

    page.get_by_label("Ad rate (%)", exact=True).fill("7.5")
    page.get_by_test_id("queue-submit").click()
    expect(page.get_by_test_id("error-adRate")).to_be_hidden()
    expect(page.get_by_test_id("queue-result")).to_contain_text(f"{listing}_")
    job_id = re.search(rf"{listing}_\d+", page.get_by_test_id("queue-result").inner_text())
    assert job_id is not None
    expect(row(page, job_id.group(0))).to_be_visible()
    expect(page.get_by_test_id("stat-total")).to_have_text("1")
    # The empty campaign id was left out: the API refuses "" as a campaign id.
    assert api_job(stack, user, job_id.group(0))["adRate"] == 7.5

    page.get_by_test_id("signout").click()
    expect(page.get_by_test_id("signin")).to_be_visible()
    expect(page.locator("tr[data-job-id]")).to_have_count(0)
    assert stored_token(page) is None
    page.reload()
    expect(page.get_by_test_id("signin")).to_be_visible()
    expect(page.get_by_test_id("dashboard")).to_be_hidden()


def test_a_token_the_api_rejects_returns_to_the_sign_in_prompt(stack, page):
    bad = forged(stack.token(unique_user()), sub="mallory")

    page.goto(f"{stack.api_url}/admin#token={bad}")

    expect(page.get_by_test_id("signin")).to_be_visible()
    expect(page.get_by_test_id("signin-message")).to_contain_text("sign in again")
    expect(page.get_by_test_id("dashboard")).to_be_hidden()
    expect(page.get_by_test_id("current-user")).to_have_text("")
    assert "token" not in page.url
    assert stored_token(page) is None


def test_something_that_is_not_a_token_is_refused_without_calling_the_api(stack, page):
    api_calls: list[str] = []
    # The page's own files load as scripts and a stylesheet; every API call is a fetch().
    page.on("request", lambda request: api_calls.append(request.url) if request.resource_type == "fetch" else None)
    page.goto(f"{stack.api_url}/admin")

    page.get_by_label("Access token (JWT)", exact=True).fill("not-a-token")
    page.get_by_test_id("signin-submit").click()

    expect(page.get_by_test_id("signin-message")).to_contain_text("not a valid access token")
    expect(page.get_by_test_id("dashboard")).to_be_hidden()
    assert api_calls == []
