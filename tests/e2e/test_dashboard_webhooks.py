"""The dashboard's "Webhooks" pane in a real (headless) Chromium against the running local stack.

A seller adds an endpoint on the sandbox's webhook receiver (its secret shown once), sends it a
test event and sees the delivery arrive, signed; rotates the secret, disables and enables the
endpoint, and deletes it. An admin sees the latest job events and whether the bus took them.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.e2e.browser import require_browser, unique_user

pytestmark = pytest.mark.e2e

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402


def receiver(stack: Any, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, f"{stack.sandbox_url}/_sandbox/webhook-receivers{path}", timeout=10, **kwargs)
    response.raise_for_status()
    return response.json()


def open_dashboard(stack: Any, page: Page, user: str, admin: bool = False) -> None:
    page.goto(f"{stack.api_url}/admin#token={stack.token(user, admin=admin)}")
    expect(page.get_by_test_id("current-user")).to_have_text(user)
    expect(page.get_by_test_id("webhooks")).to_be_visible()


def test_a_seller_adds_an_endpoint_tests_rotates_disables_and_deletes_it(stack, page):
    user = unique_user()
    open_dashboard(stack, page, user)
    expect(page.get_by_test_id("wh-empty")).to_be_visible()

    # No event type picked: refused on the page, naming the field; a bad URL: refused by the API.
    page.get_by_test_id("wh-url").fill(f"{stack.sandbox_url}/hooks/{user}")
    page.get_by_test_id("wh-submit").click()
    expect(page.get_by_test_id("wh-error-events")).to_have_text("pick at least one event type")
    page.get_by_test_id("wh-event-promotion.succeeded").check()
    page.get_by_test_id("wh-url").fill("ftp://example.com/hook")
    page.get_by_test_id("wh-submit").click()
    expect(page.get_by_test_id("wh-error-url")).to_contain_text("https://")
    expect(page.get_by_test_id("wh-url")).to_have_attribute("aria-invalid", "true")

    # Added: the secret is shown once, and the receiver is told it.
    page.get_by_test_id("wh-url").fill(f"{stack.sandbox_url}/hooks/{user}")
    page.get_by_test_id("wh-description").fill("order system")
    with page.expect_response(lambda r: r.url.endswith("/webhooks") and r.request.method == "POST") as posted:
        page.get_by_test_id("wh-submit").click()
    assert posted.value.status == 201
    hook_id = posted.value.json()["id"]
    expect(page.get_by_test_id("wh-result")).to_have_text(f"Endpoint {hook_id} added.")
    secret = page.get_by_test_id("wh-secret-value").inner_text()
    assert secret.startswith("whsec_") and secret == posted.value.json()["secret"]
    receiver(stack, "POST", "", json={"name": user, "secrets": [secret]})
    page.get_by_test_id("wh-secret-dismiss").click()
    expect(page.get_by_test_id("wh-secret")).to_be_hidden()
    row = page.locator(f'[data-webhook-id="{hook_id}"]')
    expect(row).to_have_attribute("data-status", "active")
    expect(row.get_by_test_id("wh-events-cell")).to_have_text("promotion.succeeded")

    # A test event: delivered, signed, and listed among the endpoint's deliveries.
    page.get_by_test_id(f"wh-test-{hook_id}").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Test event")
    delivered = page.get_by_test_id("wh-deliveries-body").locator('[data-state="delivered"]')
    expect(delivered).to_have_count(1)
    expect(delivered.get_by_test_id("wh-delivery-state")).to_have_text("delivered")
    expect(page.get_by_test_id("wh-deliveries-of")).to_contain_text(f"/hooks/{user}")
    summary = receiver(stack, "GET", f"?name={user}")
    assert summary["accepted"] >= 1 and summary["invalid"] == 0

    # Rotated: a new secret, shown once.
    page.get_by_test_id(f"wh-rotate-{hook_id}").click()
    expect(page.get_by_test_id("wh-secret")).to_be_visible()
    expect(page.get_by_test_id("wh-secret-value")).not_to_have_text(secret)
    expect(page.get_by_test_id("wh-secret-value")).to_have_text(re.compile(r"^whsec_"))

    # Disabled (no test events then), enabled again.
    page.get_by_test_id(f"wh-disable-{hook_id}").click()
    expect(row).to_have_attribute("data-status", "disabled")
    expect(page.get_by_test_id(f"wh-test-{hook_id}")).to_be_disabled()
    page.get_by_test_id(f"wh-disable-{hook_id}").click()
    expect(row).to_have_attribute("data-status", "active")

    # Deleted.
    page.get_by_test_id(f"wh-delete-{hook_id}").click()
    expect(row).to_have_count(0)
    expect(page.get_by_test_id("wh-empty")).to_be_visible()
    assert stack.call("GET", f"/webhooks/{hook_id}", user).status_code == 404


def test_another_seller_sees_none_of_them(stack, page):
    owner = unique_user()
    created = stack.call("POST", "/webhooks", owner, {"url": f"{stack.sandbox_url}/hooks/{owner}",
                                                      "events": ["promotion.failed"]})
    assert created.status_code == 201
    open_dashboard(stack, page, unique_user())
    expect(page.get_by_test_id("wh-empty")).to_be_visible()
    expect(page.locator(f'[data-webhook-id="{created.json()["id"]}"]')).to_have_count(0)
    expect(page.get_by_test_id("wh-log")).to_be_hidden()


def test_an_admin_sees_the_latest_job_events(stack, page):
    seller = unique_user()
    stack.connect(seller)  # queueing a promotion needs a connected eBay account
    queued = stack.call("POST", "/promotions", seller, {"listingId": "188000000001", "adRate": 5})
    assert queued.status_code == 202
    job_id = queued.json()["jobId"]
    assert stack.call("DELETE", f"/promotions/{job_id}", seller).status_code == 200

    admin = unique_user()

    def cancelled_event() -> Any:
        token = {"Authorization": f"Bearer {stack.token(admin, admin=True)}"}
        events = stack.call("GET", "/admin/events?limit=200", None, headers=token).json()["events"]
        return next((e for e in events if e["sellers"] == [seller] and e["publishedAt"]), None)

    event = stack.wait_for(cancelled_event, timeout_s=60)
    assert event["type"] == "promotion.cancelled" and event["data"]["id"] == job_id

    open_dashboard(stack, page, admin, admin=True)
    expect(page.get_by_test_id("wh-log")).to_be_visible()
    page.get_by_test_id("wh-log-summary").click()
    row = page.get_by_test_id("wh-log-body").locator(f'[data-event-id="{event["id"]}"]')
    expect(row).to_contain_text("promotion.cancelled")
    expect(row).to_contain_text(seller)

