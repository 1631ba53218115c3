"""The dashboard's "Market data" pane in a real (headless) Chromium against the running local stack.

An admin reads each provider's hourly budget as a bar, runs the scheduler by hand and watches the
workers spend the budget, queues a refresh through the form, and puts failed jobs back in the
queue; a seller without the admin scope gets the API's explanation instead of the overview.

The stack runs 60x real time: its scheduler runs every real second and a provider's hour lasts a
real minute, so a job queued here is dispatched and quoted within a second or two, and a test that
compares the budget before and after waits for an hour with enough of it left.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from tests.e2e.browser import UI_TIMEOUT_MS, require_browser, unique_user

pytestmark = pytest.mark.e2e

require_browser()

from playwright.sync_api import Locator, Page, expect  # noqa: E402

LIMITS = {"stockx": 100, "alias": 200, "ebay": 150}  # the template's default calls per hour
SKU = "DD1391-100"  # in the sandbox's catalog on StockX, Alias and eBay
UNKNOWN_SKU = "NO-SUCH-SKU-1"  # StockX answers not found
ADMIN_MESSAGE = "this needs the admin scope or group"
API_TIMEOUT_S = 30.0
HOUR_MS = 3_600_000
VIRTUAL_MINUTE_MS = 60_000
STATUSES = ("pending", "running", "deferred", "succeeded", "failed")


# ---- helpers --------------------------------------------------------------------------------

def as_admin(stack: Any, method: str, path: str, body: Any = None) -> httpx.Response:
    token = stack.token("e2e-market-admin", admin=True)
    return httpx.request(method, f"{stack.api_url}{path}", json=body, headers={"Authorization": f"Bearer {token}"},
                         timeout=30)


def overview(stack: Any) -> dict[str, Any]:
    response = as_admin(stack, "GET", "/market/overview")
    assert response.status_code == 200, response.text
    return dict(response.json())


def enqueue(stack: Any, provider: str, items: list[dict[str, str]]) -> list[str]:
    """Queue items at manual priority (the scheduler holds a few calls back from anything lower)."""
    response = stack.call("POST", "/market/jobs", unique_user(), body={"provider": provider, "items": items,
                                                                        "priority": 200})
    assert response.status_code == 202, response.text
    assert len(response.json()["queued"]) == len(items), response.text
    return [str(job_id) for job_id in response.json()["queued"]]


def market_jobs(stack: Any, status: str, provider: str) -> dict[str, dict[str, Any]]:
    response = stack.call("GET", f"/market/jobs?status={status}&provider={provider}&limit=50", unique_user())
    assert response.status_code == 200, response.text
    return {str(job["id"]): dict(job) for job in response.json()["jobs"]}


def find_job(stack: Any, provider: str, job_id: str) -> dict[str, Any] | None:
    for status in STATUSES:
        job = market_jobs(stack, status, provider).get(job_id)
        if job is not None:
            return job
    return None


def total_jobs(stack: Any, provider: str) -> int:
    return sum(int(n) for n in overview(stack)["jobs"][provider].values())


def fresh_hour(stack: Any, needed_virtual_minutes: int) -> None:
    """Wait until the providers' hour has ``needed_virtual_minutes`` left, so a budget read before
    and after some work belongs to one hour. Now is about the latest scheduler run (one per
    virtual minute); each virtual minute is a second here."""
    def latest_run() -> dict[str, Any] | None:
        runs = overview(stack)["recentRuns"]
        return dict(runs[0]) if runs else None

    run = stack.wait_for(latest_run, timeout_s=10)
    hour_start = overview(stack)["budgets"]["stockx"]["hourStart"]
    now = max(run["startedAt"], run["finishedAt"]) + VIRTUAL_MINUTE_MS  # a run may be due meanwhile
    left_ms = hour_start + HOUR_MS - now
    if left_ms < needed_virtual_minutes * VIRTUAL_MINUTE_MS:
        time.sleep(max(left_ms, 0) / 1000 / stack.time_scale + 1.0)
        assert overview(stack)["budgets"]["stockx"]["hourStart"] > hour_start, "the hour did not turn"


def meter(page: Page, provider: str) -> Locator:
    return page.get_by_test_id(f"market-budget-meter-{provider}")


def used(page: Page, provider: str) -> int:
    return int(meter(page, provider).get_attribute("data-used") or -1)


def job_row(page: Page, job_id: str) -> Locator:
    return page.locator(f'tr[data-market-job-id="{job_id}"]')


def open_job_list(page: Page) -> None:
    """The list loads only while it is open, so a closed one costs the page's refresh nothing."""
    details = page.get_by_test_id("market-jobs-details")
    if details.get_attribute("open") is None:
        page.get_by_test_id("market-jobs-summary").click()
    expect(details).to_have_attribute("open", "")


def show_jobs(page: Page, status: str, provider: str = "") -> None:
    open_job_list(page)
    page.get_by_test_id("market-list-provider").select_option(provider)
    page.get_by_test_id(f"market-filter-{status}").click()
    expect(page.get_by_test_id(f"market-filter-{status}")).to_have_attribute("aria-pressed", "true")


def open_dashboard(stack: Any, page: Page, user: str, admin: bool) -> None:
    page.goto(f"{stack.api_url}/admin#token={stack.token(user, admin=admin)}")
    expect(page.get_by_test_id("current-user")).to_have_text(user)
    expect(page.get_by_test_id("market")).to_be_visible()


# ---- fixtures -------------------------------------------------------------------------------

# ---- tests ----------------------------------------------------------------------------------

def test_an_admin_sees_each_providers_budget_as_a_bar(stack, page):
    open_dashboard(stack, page, unique_user(), admin=True)

    pane = page.get_by_test_id("market")
    expect(pane.get_by_role("meter")).to_have_count(3)
    for provider, limit in LIMITS.items():
        bar = pane.get_by_role("meter", name=f"{provider} calls used this hour", exact=True)
        expect(bar).to_have_attribute("max", str(limit))
        expect(bar).to_have_attribute("data-limit", str(limit))
        expect(bar).to_have_attribute("title", re.compile(rf"^\d+ of {limit} calls used$"))
        assert bar.evaluate("node => node.tagName") == "METER"
        assert bar.evaluate("node => node.value") == used(page, provider)
        expect(page.get_by_test_id(f"market-budget-text-{provider}")).to_contain_text(f"of {limit} calls used")
        expect(page.get_by_test_id(f"market-count-{provider}-total")).to_have_text(re.compile(r"^\d+$"))
    expect(page.get_by_test_id("market-admin-only")).to_be_hidden()
    expect(page.get_by_test_id("market-run-scheduler")).to_be_visible()
    expect(page.get_by_test_id("market-reset-failed")).to_be_visible()
    expect(page.get_by_test_id("last-updated")).to_contain_text("Last updated")


def test_running_the_scheduler_dispatches_jobs_the_workers_spend_the_budget_on(stack, page):
    fresh_hour(stack, needed_virtual_minutes=10)
    open_dashboard(stack, page, unique_user(), admin=True)
    expect(meter(page, "stockx")).to_be_visible()
    before = overview(stack)["budgets"]["stockx"]
    sizes = ["8", "8.5", "9"]

    job_ids = enqueue(stack, "stockx", [{"sku": SKU, "size": size} for size in sizes])
    with page.expect_response(lambda r: r.url.endswith("/market/scheduler/run")) as ran:
        page.get_by_test_id("market-run-scheduler").click()

    assert ran.value.status == 200, ran.value.text()
    run = ran.value.json()["run"]
    assert run["trigger"] == "manual", run
    dispatched = sum(run["dispatched"].values())
    # The stack's own scheduler runs every second and may have dispatched some of them first.
    expect(page.get_by_test_id("market-action-result")).to_have_text(
        re.compile(rf"^Scheduler dispatched {dispatched} jobs?\b"))
    expect(page.get_by_test_id("market-action-result")).to_have_class(re.compile(r"\bok\b"))
    manual = page.locator(f'[data-testid="market-run"][data-trigger="manual"][data-started-at="{run["startedAt"]}"]')
    expect(manual).to_have_attribute("data-dispatched", str(dispatched))

    def all_succeeded() -> bool:
        return set(job_ids) <= set(market_jobs(stack, "succeeded", "stockx"))

    stack.wait_for(all_succeeded, timeout_s=API_TIMEOUT_S)

    # No reload: the page's own refresh shows the jobs done and the calls they spent.
    show_jobs(page, "succeeded", "stockx")
    for job_id in job_ids:
        expect(job_row(page, job_id)).to_have_attribute("data-status", "succeeded")
    stack.wait_for(lambda: used(page, "stockx") >= before["used"] + len(sizes), timeout_s=UI_TIMEOUT_MS / 1000)
    bar = meter(page, "stockx")
    expect(bar).to_have_attribute("data-hour-start", str(before["hourStart"]))
    now_used = used(page, "stockx")
    expect(bar).to_have_attribute("title", f"{now_used} of 100 calls used")
    expect(page.get_by_test_id("market-budget-used-stockx")).to_have_text(f"{now_used} / 100")
    assert int(page.get_by_test_id("market-count-stockx-succeeded").inner_text()) >= len(sizes)
    expect(page.get_by_test_id("market-batches").locator('[data-provider="stockx"]').first).to_be_visible()


def test_the_refresh_form_queues_an_item_and_names_a_bad_sku(stack, page):
    open_dashboard(stack, page, unique_user(), admin=True)
    expect(meter(page, "alias")).to_be_visible()
    before = total_jobs(stack, "alias")

    page.get_by_test_id("market-provider").select_option("alias")
    page.get_by_label("SKU", exact=True).fill(SKU)
    page.get_by_label("Size (optional)", exact=True).fill("11.5")
    with page.expect_response(lambda r: r.url.endswith("/market/refresh")) as posted:
        page.get_by_test_id("market-refresh-submit").click()

    assert posted.value.status == 202, posted.value.text()
    (job_id,) = posted.value.json()["queued"]
    expect(page.get_by_test_id("market-refresh-result")).to_have_text(f"Queued alias {SKU} size 11.5 (job {job_id}).")
    expect(page.get_by_test_id("market-count-alias-total")).to_have_text(str(before + 1))
    assert find_job(stack, "alias", job_id) is not None
    expect(page.get_by_test_id("market-sku")).to_have_value("")

    for bad_sku in ("   ", "DD1391|100"):
        page.get_by_label("SKU", exact=True).fill(bad_sku)
        with page.expect_response(lambda r: r.url.endswith("/market/refresh")) as refused:
            page.get_by_test_id("market-refresh-submit").click()
        assert refused.value.status == 400, refused.value.text()
        assert [e["field"] for e in refused.value.json()["errors"]] == ["items[0].sku"]
        expect(page.get_by_test_id("market-error-sku")).to_be_visible()
        expect(page.get_by_test_id("market-error-sku")).to_contain_text("items[0].sku")
        expect(page.get_by_test_id("market-sku")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_test_id("market-error-size")).to_be_hidden()
        result = page.get_by_test_id("market-refresh-result")
        expect(result).to_have_class(re.compile(r"\berror\b"))
        expect(result).to_contain_text(f"Not queued: {refused.value.json()['error']}")
    assert total_jobs(stack, "alias") == before + 1


def test_reset_failed_puts_a_failed_job_back_in_the_queue(stack, page):
    (job_id,) = enqueue(stack, "stockx", [{"sku": UNKNOWN_SKU}])
    failed = stack.wait_for(lambda: market_jobs(stack, "failed", "stockx").get(job_id), timeout_s=API_TIMEOUT_S)
    assert "not found" in failed["error"], failed

    open_dashboard(stack, page, unique_user(), admin=True)
    open_job_list(page)
    row = job_row(page, job_id)  # failed jobs are what the list shows first
    expect(row).to_have_attribute("data-status", "failed")
    expect(row.get_by_test_id("market-job-error")).to_contain_text("not found")
    expect(page.get_by_test_id("market-filter-failed")).to_contain_text(re.compile(r"\(\d+\)"))

    with page.expect_response(lambda r: r.url.endswith("/market/jobs/reset-failed")) as reset:
        page.get_by_test_id("market-reset-failed").click()

    assert reset.value.status == 200, reset.value.text()
    count = reset.value.json()["reset"]
    assert count >= 1
    expect(page.get_by_test_id("market-action-result")).to_have_text(
        f"Reset {count} failed job{'' if count == 1 else 's'}.")
    # Back in the queue as of the reset; it fails again soon (StockX still does not know it) and
    # the page's next refresh lists it again, enqueued anew.
    def requeued() -> dict[str, Any] | None:
        job = find_job(stack, "stockx", job_id)
        return job if job is not None and job["enqueuedAt"] > failed["enqueuedAt"] else None

    again = stack.wait_for(requeued, timeout_s=API_TIMEOUT_S)
    assert again["status"] != "failed" or again["updatedAt"] > failed["updatedAt"], again
    expect(row).to_have_attribute("data-enqueued-at", str(again["enqueuedAt"]), timeout=UI_TIMEOUT_MS)
    expect(row).to_have_attribute("data-status", "failed")


def test_a_seller_gets_the_admin_message_instead_of_market_data(stack, page):
    open_dashboard(stack, page, unique_user(), admin=False)

    expect(page.get_by_test_id("market-admin-only")).to_be_visible()
    expect(page.get_by_test_id("market-admin-only")).to_contain_text(ADMIN_MESSAGE)
    expect(page.get_by_test_id("market-admin")).to_be_hidden()
    expect(page.get_by_role("meter")).to_have_count(0)
    expect(page.get_by_test_id("market-run-scheduler")).to_be_hidden()
    expect(page.get_by_test_id("market-reset-failed")).to_be_hidden()
    expect(page.get_by_test_id("market-error")).to_be_hidden()
    # A 403 is an answer, not a failure: the rest of the dashboard is up to date.
    expect(page.get_by_test_id("last-updated")).to_contain_text("Last updated")
    expect(page.get_by_test_id("market-refresh-form")).to_be_visible()
    expect(page.get_by_test_id("market-jobs-error")).to_be_hidden()


def test_runs_started_by_hand_are_lines_of_their_own_even_when_idle(stack, page):
    # Idle scheduled runs in a row fold into one line; a run someone started never does.
    open_dashboard(stack, page, unique_user(), admin=True)
    started = []
    for _ in range(2):
        with page.expect_response(lambda r: r.url.endswith("/market/scheduler/run")) as ran:
            page.get_by_test_id("market-run-scheduler").click()
        assert ran.value.status == 200, ran.value.text()
        started.append(ran.value.json()["run"]["startedAt"])
        expect(page.get_by_test_id("market-run-scheduler")).to_be_enabled()

    for at in started:
        line = page.locator(f'[data-testid="market-run"][data-trigger="manual"][data-started-at="{at}"]')
        expect(line).to_have_attribute("data-runs", "1")
