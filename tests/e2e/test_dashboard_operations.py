"""The dashboard's job histories, the sellers' account status and bulk retry, and the operators'
"Operations" pane, in a real (headless) Chromium against the running local stack (60x real time:
a listing that never syncs fails its job after about 12 s)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.e2e.browser import require_browser, unique_user

pytestmark = pytest.mark.e2e

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402

OPERATOR = "e2e-operator"


def unique_listing() -> str:
    return str(100_000_000_000 + uuid.uuid4().int % 900_000_000_000)


def as_operator(stack: Any, method: str, path: str, body: Any = None) -> Any:
    return stack.call(method, path, OPERATOR, body=body, admin=True)


def queue(stack: Any, user: str, listing_id: str) -> str:
    response = stack.call("POST", "/promotions", user, body={"listingId": listing_id, "adRate": 5})
    assert response.status_code == 202, response.text
    return str(response.json()["jobId"])


def job(stack: Any, user: str, job_id: str) -> dict[str, Any]:
    return dict(stack.call("GET", f"/promotions/{job_id}", user).json()["job"])


def row(page: Page, job_id: str) -> Any:
    return page.locator(f'tr[data-job-id="{job_id}"]')


def test_a_seller_without_an_account_is_told_what_to_do_and_not_queued(stack, page):
    user = unique_user()
    page.goto(f"{stack.api_url}/admin#token={stack.token(user)}")

    expect(page.get_by_test_id("ebay-connection-status")).to_have_text("not connected")
    expect(page.get_by_test_id("ebay-connection-message")).to_contain_text("No eBay account is connected")
    page.get_by_label("Listing id", exact=True).fill(unique_listing())
    page.get_by_label("Ad rate (%)", exact=True).fill("5")
    page.get_by_test_id("queue-submit").click()

    expect(page.get_by_test_id("queue-result")).to_contain_text("No eBay account is connected")
    expect(page.locator("tr[data-job-id]")).to_have_count(0)
    stack.connect(user)
    expect(page.get_by_test_id("ebay-connection-status")).to_have_text("connected")


def test_a_seller_reads_a_jobs_timeline_while_ebay_syncs_the_listing(stack, page):
    user = unique_user()
    stack.connect(user)
    listing = unique_listing()
    stack.sandbox.publish_listing(user, listing, never_syncs=True)
    job_id = queue(stack, user, listing)
    stack.wait_for(lambda: job(stack, user, job_id)["attempts"] >= 1, timeout_s=30)
    # Hold it there, whatever the machine's speed: a paused queue keeps the job waiting as it is
    # (its sync window moves on with it).
    assert as_operator(stack, "POST", "/admin/queues/promotion/pause").status_code == 200
    try:
        page.goto(f"{stack.api_url}/admin#token={stack.token(user)}")

        # Waiting for eBay's sync delay is not an error.
        detail = row(page, job_id).get_by_test_id("job-error")
        expect(detail).to_have_text("Waiting for eBay to sync the listing")
        expect(detail).to_have_class(re.compile("waiting-text"))
        # Its next attempt (a virtual minute apart) is measured from the server's clock, which runs 60x
        # and is hours ahead of the browser's by now: seconds or minutes away, not hours.
        expect(row(page, job_id).get_by_test_id("job-next-retry")).to_have_text(
            re.compile(r"^(in \d+ s|in [1-5] min|\d+ s ago|[1-5] min ago|now)$"))
        # Cards and filter buttons count the same jobs.
        expect(page.get_by_test_id("stat-pending")).to_have_text("1")
        expect(page.get_by_test_id("filter-pending").locator("[data-count]")).to_have_text("(1)")
        expect(page.get_by_test_id("stat-total")).to_have_text("1")
        expect(page.get_by_test_id("filter-all").locator("[data-count]")).to_have_text("(1)")

        page.get_by_test_id(f"job-history-toggle-{job_id}").locator("summary").click()
        timeline = page.get_by_test_id(f"job-timeline-{job_id}")
        expect(timeline.locator("li").first).to_contain_text("queued")
        expect(timeline).to_contain_text("waiting for eBay to sync the listing")
        expect(timeline.locator('li[data-outcome="deferred"]')).to_contain_text("paused")
    finally:
        as_operator(stack, "POST", "/admin/queues/promotion/resume")

    # Resumed, it goes on until its sync window is over: the timeline grows as it does.
    stack.wait_for(lambda: job(stack, user, job_id)["status"] == "failed", timeout_s=60)
    expect(timeline.locator('li[data-outcome="failed"]')).to_contain_text("sync window")


def test_a_seller_retries_every_failed_job_after_a_count(stack, page):
    user = unique_user()
    stack.connect(user)
    listings = [unique_listing() for _ in range(2)]
    for listing in listings:
        stack.sandbox.publish_listing(user, listing, never_syncs=True)
    job_ids = [queue(stack, user, listing) for listing in listings]
    stack.wait_for(lambda: all(job(stack, user, j)["status"] == "failed" for j in job_ids), timeout_s=60)
    page.goto(f"{stack.api_url}/admin#token={stack.token(user)}")
    expect(page.get_by_test_id("stat-failed")).to_have_text("2")

    page.get_by_test_id("retry-all-failed").click()
    expect(page.get_by_test_id("retry-all-result")).to_have_text("2 failed jobs would be retried.")
    page.get_by_test_id("retry-all-confirm").click()

    expect(page.get_by_test_id("retry-all-result")).to_have_text("Retried 2 jobs.")
    assert all(job(stack, user, j)["history"][-1]["outcome"] in ("retried", "retrying") for j in job_ids)


def test_an_operator_pauses_and_resumes_a_queue_and_finds_a_sellers_job(stack, page):
    seller = unique_user()
    stack.connect(seller)
    listing = unique_listing()
    stack.sandbox.publish_listing(seller, listing, sync_delay_s=3 * 60)
    job_id = queue(stack, seller, listing)

    page.goto(f"{stack.api_url}/admin#token={stack.token(OPERATOR, admin=True)}")

    queues = page.get_by_test_id("ops-queues")
    expect(queues.locator('tr[data-queue="promotion"]')).to_be_visible()
    expect(page.get_by_test_id("ops-count-promotion-total")).not_to_have_text("0")
    page.get_by_test_id("ops-pause-promotion").click()
    expect(page.get_by_test_id("ops-state-promotion")).to_contain_text("paused")
    assert as_operator(stack, "GET", "/queues").json()["paused"]["promotion"]["by"] == OPERATOR
    page.get_by_test_id("ops-resume-promotion").click()
    expect(page.get_by_test_id("ops-state-promotion")).to_have_text("running")
    assert as_operator(stack, "GET", "/queues").json()["paused"]["promotion"] is None

    page.get_by_test_id("ops-jobId").fill(job_id)
    page.get_by_test_id("ops-search-submit").click()
    found = page.locator(f'tr[data-ops-job-id="{job_id}"]')
    expect(found).to_contain_text(seller)
    found.get_by_test_id(f"ops-history-toggle-{job_id}").locator("summary").click()
    expect(page.get_by_test_id(f"ops-timeline-{job_id}").locator("li").first).to_contain_text("queued")


def test_an_operator_retries_one_reasons_failures_across_sellers_after_a_count(stack, page):
    sellers = [unique_user() for _ in range(2)]
    job_ids = []
    for seller in sellers:
        stack.connect(seller)
        listing = unique_listing()
        stack.sandbox.publish_listing(seller, listing, never_syncs=True)
        job_ids.append((seller, queue(stack, seller, listing)))
    stack.wait_for(lambda: all(job(stack, s, j)["status"] == "failed" for s, j in job_ids), timeout_s=60)

    page.goto(f"{stack.api_url}/admin#token={stack.token(OPERATOR, admin=True)}")

    group = page.locator('tr[data-testid="ops-failure"][data-reason^="listing not found after the sync window"]')
    expect(group).to_have_count(1)
    group.get_by_role("button").click()
    expect(page.get_by_test_id("ops-bulk-text")).to_contain_text("failed with")
    page.get_by_test_id("ops-bulk-confirm").click()

    expect(page.get_by_test_id("ops-bulk-result")).to_have_attribute("data-status", "completed")
    for seller, job_id in job_ids:
        history = job(stack, seller, job_id)["history"]
        assert any(entry["outcome"] == "retried" and entry.get("by") == OPERATOR for entry in history)


def test_a_seller_sees_the_operations_pane_is_for_operators(stack, page):
    page.goto(f"{stack.api_url}/admin#token={stack.token(unique_user())}")

    expect(page.get_by_test_id("ops-admin-only")).to_contain_text("admins only")
    expect(page.get_by_test_id("ops-admin")).to_be_hidden()


def test_a_seller_sees_the_price_of_an_item_they_refreshed(stack, page):
    page.goto(f"{stack.api_url}/admin#token={stack.token(unique_user())}")

    page.get_by_label("SKU", exact=True).fill("DD1391-100")
    page.get_by_label("Size (optional)", exact=True).fill("10")
    page.get_by_test_id("market-refresh-submit").click()

    item = page.get_by_test_id("market-price-item")
    expect(item).to_contain_text("stockx DD1391-100 size 10")
    expect(item.get_by_test_id("market-price")).to_contain_text("USD")


def test_an_operator_cancels_a_sellers_pending_jobs_found_by_a_search_after_a_count(stack, page):
    seller = unique_user()
    stack.connect(seller)
    job_ids = []
    for _ in range(2):
        listing = unique_listing()
        stack.sandbox.publish_listing(seller, listing, never_syncs=True)
        job_ids.append(queue(stack, seller, listing))

    page.goto(f"{stack.api_url}/admin#token={stack.token(OPERATOR, admin=True)}")
    page.get_by_test_id("ops-seller").fill(seller)
    page.get_by_test_id("ops-status").fill("pending")
    page.get_by_test_id("ops-search-submit").click()
    expect(page.get_by_test_id("ops-search-result")).to_contain_text("2 jobs")

    page.get_by_test_id("ops-cancel-matching").click()
    expect(page.get_by_test_id("ops-bulk-text")).to_have_text("2 pending jobs match this search.")
    page.get_by_test_id("ops-bulk-confirm").click()

    expect(page.get_by_test_id("ops-bulk-result")).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id("ops-bulk-result")).to_contain_text("2 cancelled")
    assert all(job(stack, seller, j)["status"] == "cancelled" for j in job_ids)
