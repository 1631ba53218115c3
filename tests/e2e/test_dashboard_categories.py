"""The dashboard's "Category fetches" pane in a real (headless) Chromium against the running local stack.

A seller starts Taxonomy fetches through the page's form, watches them progress through the page's
own 5-second refresh, reads the categories that failed, retries them, and looks up the aspects a
fetch stored. Taxonomy calls use the app token, so the seller needs no eBay account.

The stack runs 60x real time and spaces categories 200 ms of virtual time apart, so a small fetch
finishes in well under a second; the waits are generous all the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.browser import require_browser, unique_user

pytestmark = pytest.mark.e2e

require_browser()

from playwright.sync_api import Locator, Page, expect  # noqa: E402

HEALTH_AND_BEAUTY = "26395"
# A parent apart from Health & Beauty, so the fetch under a fault calls eBay afresh for each category.
GIFT_CARDS = "172008"
API_TIMEOUT_S = 60.0
FAULTS_TO_FAIL_ONE_OF_THREE = 3 * 2 + 1
FINISHED = {"completed", "failed", "cancelled"}


# ---- helpers --------------------------------------------------------------------------------

def api_status(stack: Any, user: str, job_id: str) -> dict[str, Any]:
    response = stack.call("GET", f"/category-fetches/{job_id}", user)
    assert response.status_code == 200, response.text
    return dict(response.json()["status"])


def finished(stack: Any, user: str, job_id: str) -> dict[str, Any] | None:
    status = api_status(stack, user, job_id)
    return status if status["status"] in FINISHED else None


def sandbox(stack: Any, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, f"{stack.sandbox_url}/_sandbox/{path}", timeout=10, **kwargs)
    response.raise_for_status()
    return response.json() if response.content else None


def inject_fault(stack: Any, operation: str, status: int, times: int) -> None:
    sandbox(stack, "POST", "faults", json={"operation": operation, "status": status, "times": times})


def clear_faults(stack: Any) -> None:
    sandbox(stack, "POST", "faults/clear", json={})


def job_row(page: Page, job_id: str) -> Locator:
    return page.locator(f'[data-category-job-id="{job_id}"]')


def start_through_form(page: Page, parent: str, max_categories: int, mode: str = "auto",
                       marketplace: str = "EBAY_US") -> str:
    """Fill and submit the pane's form; the job id the API answered."""
    page.get_by_test_id("cf-marketplace").select_option(marketplace)
    page.get_by_test_id("cf-parent").fill(parent)
    page.get_by_test_id("cf-max").fill(str(max_categories))
    page.get_by_test_id("cf-mode").select_option(mode)
    with page.expect_response(lambda r: r.url.endswith("/category-fetches") and r.request.method == "POST") as posted:
        page.get_by_test_id("cf-submit").click()
    assert posted.value.status == 202, posted.value.text()
    job_id = str(posted.value.json()["jobId"])
    expect(page.get_by_test_id("cf-result")).to_contain_text(job_id)
    return job_id


def open_dashboard(stack: Any, page: Page, user: str) -> None:
    page.goto(f"{stack.api_url}/admin#token={stack.token(user)}")
    expect(page.get_by_test_id("current-user")).to_have_text(user)
    expect(page.get_by_test_id("category-fetches")).to_be_visible()


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture
def no_faults(stack: Any) -> Iterator[None]:
    """Faults are global to the sandbox: start and leave it without any."""
    clear_faults(stack)
    yield
    clear_faults(stack)


# ---- tests ----------------------------------------------------------------------------------

def test_a_seller_fetches_categories_watches_them_and_retries_the_failed_ones(stack, page, no_faults):
    user = unique_user()
    open_dashboard(stack, page, user)
    expect(page.get_by_test_id("cf-empty")).to_be_visible()

    # A fetch of 10 categories of Health & Beauty, started through the form.
    first = start_through_form(page, HEALTH_AND_BEAUTY, 10)
    row = job_row(page, first)
    expect(row).to_be_visible()
    progress = page.get_by_test_id(f"cf-progress-{first}")
    assert progress.evaluate("node => node.tagName") == "PROGRESS"

    done = stack.wait_for(lambda: finished(stack, user, first), timeout_s=API_TIMEOUT_S)
    assert done["status"] == "completed", done
    assert done["totalCategories"] == 10 and done["processed"] == 10, done
    assert done["success"] == 10 and done["failed"] == 0, done
    assert "26395" in str(done["parentCategory"])

    # No reload: the page's own refresh shows the end state.
    expect(row).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id(f"cf-status-{first}")).to_have_text("completed")
    expect(row).to_contain_text("10 / 10")
    expect(progress).to_have_attribute("max", "10")
    expect(progress).to_have_attribute("value", "10")
    expect(row).to_contain_text(str(done["parentCategory"]))
    counts = page.get_by_test_id(f"cf-counts-{first}")
    expect(counts).to_have_attribute("data-success", "10")
    expect(counts).to_have_attribute("data-failed", "0")
    expect(page.get_by_test_id(f"cf-cancel-{first}")).to_have_count(0)
    expect(page.get_by_test_id(f"cf-retry-{first}")).to_have_count(0)
    expect(page.get_by_test_id(f"cf-errors-{first}")).to_be_hidden()

    # The worker tries a category 3 times before counting it failed, postponing it with backoff
    # and going on with the others meanwhile: the tries of 3 categories run c1 c2 c3, c1 c2 c3, c1 ...
    # So 7 server errors fail every category's first two tries and the first category's third.
    inject_fault(stack, "get_item_aspects_for_category", 500, FAULTS_TO_FAIL_ONE_OF_THREE)
    second = start_through_form(page, GIFT_CARDS, 3, mode="per_category")
    failed = stack.wait_for(lambda: finished(stack, user, second), timeout_s=API_TIMEOUT_S)
    clear_faults(stack)  # whatever is left of them must not fail the retry
    assert failed["status"] in {"completed", "failed"}, failed
    assert failed["failed"] >= 1, failed
    assert failed["errors"], failed
    failed_category = str(failed["errors"][0]["categoryId"])

    second_row = job_row(page, second)
    expect(second_row).to_have_attribute("data-status", failed["status"])
    expect(page.get_by_test_id(f"cf-counts-{second}")).to_have_attribute("data-failed", str(failed["failed"]))
    expect(page.get_by_test_id(f"cf-cancel-{second}")).to_have_count(0)
    # Both jobs are listed, each once.
    expect(page.locator("[data-category-job-id]")).to_have_count(2)

    # The failed categories, fetched from GET /category-fetches/{jobId} when the list is opened.
    errors = page.get_by_test_id(f"cf-errors-{second}")
    expect(errors).to_be_visible()
    errors.locator("summary").click()
    expect(errors.locator(f'li[data-category-id="{failed_category}"]')).to_be_visible()
    expect(errors).to_contain_text(failed_category)

    with page.expect_response(lambda r: r.url.endswith(f"/category-fetches/{second}/retry-failed")) as retried:
        page.get_by_test_id(f"cf-retry-{second}").click()
    assert retried.value.status == 202, retried.value.text()
    answer = retried.value.json()
    assert answer["requeued"] >= 1, answer

    again = api_status(stack, user, second)
    running_again = again["status"] in {"queued", "processing"}
    assert running_again or (again["status"] == "completed" and again["failed"] == 0), again
    expect(page.get_by_test_id("notice")).to_contain_text("queued again")

    def retried_cleanly() -> dict[str, Any] | None:
        status = api_status(stack, user, second)
        return status if status["status"] == "completed" and status["failed"] == 0 else None

    recovered = stack.wait_for(retried_cleanly, timeout_s=API_TIMEOUT_S)
    assert recovered["processed"] == recovered["totalCategories"] == 3, recovered
    expect(second_row).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id(f"cf-counts-{second}")).to_have_attribute("data-failed", "0")
    expect(second_row).to_contain_text("3 / 3")
    expect(page.get_by_test_id(f"cf-retry-{second}")).to_have_count(0)
    expect(page.get_by_test_id(f"cf-errors-{second}")).to_be_hidden()


def test_a_parent_category_outside_the_tree_is_reported_next_to_its_field(stack, page, no_faults):
    user = unique_user()
    open_dashboard(stack, page, user)

    page.get_by_test_id("cf-parent").fill("999")
    with page.expect_response(lambda r: r.url.endswith("/category-fetches") and r.request.method == "POST") as posted:
        page.get_by_test_id("cf-submit").click()

    assert posted.value.status == 400, posted.value.text()
    expect(page.get_by_test_id("cf-error-parentCategoryId")).to_be_visible()
    expect(page.get_by_test_id("cf-error-parentCategoryId")).not_to_have_text("")
    expect(page.get_by_test_id("cf-parent")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("cf-error-maxCategories")).to_be_hidden()
    expect(page.get_by_test_id("cf-result")).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("[data-category-job-id]")).to_have_count(0)


def test_the_aspects_lookup_shows_a_stored_category(stack, page, no_faults):
    user = unique_user()
    response = stack.call("POST", "/category-fetches", user,
                          body={"marketplaceId": "EBAY_US", "parentCategoryId": HEALTH_AND_BEAUTY, "maxCategories": 10})
    assert response.status_code == 202, response.text
    job_id = str(response.json()["jobId"])
    done = stack.wait_for(lambda: finished(stack, user, job_id), timeout_s=API_TIMEOUT_S)
    assert done["status"] == "completed" and done["success"] >= 1, done

    # A category of that fetch that has aspects (not every leaf has any).
    leaves = sandbox(stack, "GET", "category-tree/leaves",
                     params={"parent": HEALTH_AND_BEAUTY, "withAspects": "true"})["categoryIds"]

    def stored() -> dict[str, Any] | None:
        for category_id in leaves:
            found = stack.call("GET", f"/categories/EBAY_US/{category_id}/aspects", user)
            if found.status_code == 200 and found.json()["aspects"]:
                return dict(found.json())
        return None

    aspects = stored()
    assert aspects is not None, "the fetch stored no category with aspects"
    category_id = str(aspects["categoryId"])
    required = [a for a in aspects["aspects"] if (a.get("aspectConstraint") or {}).get("aspectRequired") is True]

    open_dashboard(stack, page, user)
    page.get_by_test_id("aspects-marketplace").select_option("EBAY_US")
    page.get_by_test_id("aspects-category").fill(category_id)
    page.get_by_test_id("aspects-submit").click()

    result = page.get_by_test_id("aspects-result")
    expect(result).to_contain_text(str(aspects["categoryName"]))
    items = result.locator("li[data-aspect-name]")
    expect(items).to_have_count(len(aspects["aspects"]))
    expect(result.locator('li[data-required="true"]')).to_have_count(len(required))
    expect(result.locator('li[data-required="true"] .badge')).to_have_text(["required"] * len(required))
    first = aspects["aspects"][0]
    first_item = result.locator(f'li[data-aspect-name="{first["localizedAspectName"]}"]')
    expect(first_item).to_be_visible()
    for value in [v["localizedValue"] for v in first.get("aspectValues", [])][:10]:
        expect(first_item).to_contain_text(str(value))

    # A category no fetch has stored.
    page.get_by_test_id("aspects-category").fill("987654321")
    page.get_by_test_id("aspects-submit").click()
    expect(result).to_contain_text("not fetched yet")
    expect(items).to_have_count(0)
