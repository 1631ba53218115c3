"""What eBay's answers mean for a promotion job: the classification table."""

from __future__ import annotations

import pytest

from sellerjobs.jobs.marketplace import ErrorDetail
from sellerjobs.promotions.outcomes import (
    TERMINAL,
    Decision,
    Verdict,
    classify_error,
    classify_listing,
    classify_request_errors,
)
from sellerjobs.promotions.ports import ListingResult

WINDOW = 720.0
YOUNG = 100.0  # inside the sync window
OLD = 800.0  # after it


def err(code: int, message: str = "") -> ErrorDetail:
    return ErrorDetail(error_id=code, message=message or f"message for {code}")


def listing(status: int, *codes: int, ad_id: str | None = None) -> ListingResult:
    return ListingResult(listing_id="177681098666", status_code=status, ad_id=ad_id,
                         errors=tuple(err(c) for c in codes))


# ---------------------------------------------------------------- single errors


@pytest.mark.parametrize(("code", "status", "age_s", "verdict"), [
    # 35036: "an ad for this listing already exists" is success (idempotent).
    (35036, 400, YOUNG, Verdict.SUCCEEDED),
    (35036, 400, OLD, Verdict.SUCCEEDED),
    # 35048: the sync delay while young, a real failure after the window.
    (35048, 400, YOUNG, Verdict.RETRY),
    (35048, 400, WINDOW - 0.001, Verdict.RETRY),
    (35048, 400, WINDOW, Verdict.FAILED),
    (35048, 400, OLD, Verdict.FAILED),
    # eBay internal errors and a syncing campaign: retry, whatever the HTTP status.
    (35001, 500, YOUNG, Verdict.RETRY),
    (35001, 400, OLD, Verdict.RETRY),
    (35002, 400, OLD, Verdict.RETRY),
    (35061, 409, OLD, Verdict.RETRY),
    # Campaign problems.
    (35045, 404, YOUNG, Verdict.CAMPAIGN_INVALID),
    (35035, 400, YOUNG, Verdict.CAMPAIGN_INVALID),
    (35046, 404, YOUNG, Verdict.CAMPAIGN_INVALID),
    # Terminal listing / account problems: failed even on a 5xx.
    (35013, 400, YOUNG, Verdict.FAILED),
    (35037, 400, YOUNG, Verdict.FAILED),
    (35054, 400, YOUNG, Verdict.FAILED),
    (35057, 400, YOUNG, Verdict.FAILED),
    (35058, 400, YOUNG, Verdict.FAILED),
    (35059, 400, YOUNG, Verdict.FAILED),
    (35052, 400, YOUNG, Verdict.FAILED),
    (35075, 400, YOUNG, Verdict.FAILED),
    (35067, 400, YOUNG, Verdict.FAILED),
    (35077, 400, YOUNG, Verdict.FAILED),
    (35078, 500, YOUNG, Verdict.FAILED),
    (35007, 400, YOUNG, Verdict.FAILED),
    # Unknown codes: the HTTP class decides.
    (99999, 429, YOUNG, Verdict.RETRY),
    (99999, 500, YOUNG, Verdict.RETRY),
    (99999, 503, OLD, Verdict.RETRY),
    (99999, 400, YOUNG, Verdict.FAILED),
    (99999, 404, YOUNG, Verdict.FAILED),
    (0, 409, YOUNG, Verdict.FAILED),
])
def test_classify_error_table(code, status, age_s, verdict):
    decision = classify_error(err(code), status=status, age_s=age_s, sync_window_s=WINDOW)

    assert decision.verdict is verdict


def test_marketplace_terminal_codes_from_the_reference_table_are_all_terminal():
    documented = {35013, 35037, 35054, 35057, 35058, 35059, 35052, 35075, 35067, 35077, 35078, 35007}

    assert documented <= TERMINAL


def test_terminal_error_keeps_ebays_message():
    decision = classify_error(err(35067, "Seller has not accepted the Promoted Listings terms"),
                              status=400, age_s=YOUNG, sync_window_s=WINDOW)

    assert decision == Decision(Verdict.FAILED, "eBay 35067: Seller has not accepted the Promoted Listings terms")


def test_unknown_client_error_keeps_ebays_message():
    decision = classify_error(err(12345, "Something odd"), status=400, age_s=YOUNG, sync_window_s=WINDOW)

    assert decision.reason == "eBay 12345: Something odd"


def test_listing_not_synced_reason_is_readable():
    decision = classify_error(err(35048), status=400, age_s=YOUNG, sync_window_s=WINDOW)

    assert decision.reason == "listing not synced yet (eBay 35048)"


def test_listing_not_found_after_the_window_names_the_window_and_ebays_message():
    decision = classify_error(err(35048, "The listing ID 1 is invalid or has ended."), status=400,
                              age_s=OLD, sync_window_s=WINDOW)

    assert decision.reason == ("listing not found after the sync window: "
                               "eBay 35048: The listing ID 1 is invalid or has ended.")


def test_listing_not_found_is_retryable_forever_with_an_infinite_window():
    decision = classify_error(err(35048), status=400, age_s=1e9, sync_window_s=float("inf"))

    assert decision.verdict is Verdict.RETRY


def test_error_without_message_is_described_by_its_code():
    decision = classify_error(ErrorDetail(error_id=35013), status=400, age_s=YOUNG, sync_window_s=WINDOW)

    assert decision.reason == "eBay error 35013"


# ---------------------------------------------------------------- per-listing answers


@pytest.mark.parametrize("status", [200, 201, 207])
def test_2xx_without_errors_succeeds_with_the_ad_id(status):
    decision = classify_listing(listing(status, ad_id="ad-9"), age_s=YOUNG, sync_window_s=WINDOW)

    assert decision == Decision(Verdict.SUCCEEDED, ad_id="ad-9")


def test_ad_already_exists_succeeds_even_without_an_ad_id():
    decision = classify_listing(listing(400, 35036), age_s=OLD, sync_window_s=WINDOW)

    assert decision.verdict is Verdict.SUCCEEDED
    assert decision.ad_id is None
    assert decision.reason == "ad already exists"


def test_ad_already_exists_keeps_an_ad_id_ebay_sent():
    decision = classify_listing(listing(400, 35036, ad_id="ad-7"), age_s=OLD, sync_window_s=WINDOW)

    assert decision == Decision(Verdict.SUCCEEDED, "ad already exists", ad_id="ad-7")


@pytest.mark.parametrize(("status", "verdict"), [
    (0, Verdict.RETRY),  # no status at all: treat like an empty body
    (429, Verdict.RETRY),
    (500, Verdict.RETRY),
    (502, Verdict.RETRY),
    (400, Verdict.FAILED),
    (404, Verdict.FAILED),
])
def test_non_2xx_without_errors_is_decided_by_the_status(status, verdict):
    decision = classify_listing(listing(status), age_s=YOUNG, sync_window_s=WINDOW)

    assert decision.verdict is verdict
    assert decision.reason == f"eBay answered HTTP {status} without details"


def test_35048_on_a_listing_follows_the_sync_window():
    young = classify_listing(listing(400, 35048), age_s=YOUNG, sync_window_s=WINDOW)
    old = classify_listing(listing(400, 35048), age_s=OLD, sync_window_s=WINDOW)

    assert young.verdict is Verdict.RETRY
    assert old.verdict is Verdict.FAILED


@pytest.mark.parametrize(("codes", "verdict"), [
    # An existing ad beats everything.
    ((35001, 35036), Verdict.SUCCEEDED),
    ((35013, 35036), Verdict.SUCCEEDED),
    ((35045, 35036), Verdict.SUCCEEDED),
    # A terminal error beats a transient one and a campaign problem.
    ((35001, 35013), Verdict.FAILED),
    ((35048, 35013), Verdict.FAILED),
    ((35045, 35013), Verdict.FAILED),
    # A campaign problem beats a transient error.
    ((35001, 35045), Verdict.CAMPAIGN_INVALID),
    ((35061, 35035), Verdict.CAMPAIGN_INVALID),
    # Only transient errors: retry.
    ((35001, 35002, 35048), Verdict.RETRY),
])
def test_several_errors_on_one_listing_the_most_decisive_wins(codes, verdict):
    # Order must not matter.
    forward = classify_listing(listing(400, *codes), age_s=YOUNG, sync_window_s=WINDOW)
    backward = classify_listing(listing(400, *reversed(codes)), age_s=YOUNG, sync_window_s=WINDOW)

    assert forward.verdict is verdict
    assert backward.verdict is verdict


def test_the_winning_error_supplies_the_reason():
    decision = classify_listing(listing(400, 35001, 35013), age_s=YOUNG, sync_window_s=WINDOW)

    assert decision.reason == "eBay 35013: message for 35013"


# ---------------------------------------------------------------- whole-request rejections


@pytest.mark.parametrize(("status", "verdict"), [
    (429, Verdict.RETRY),
    (500, Verdict.RETRY),
    (503, Verdict.RETRY),
    (400, Verdict.FAILED),
    (404, Verdict.FAILED),
])
def test_request_errors_without_any_error_object_follow_the_status(status, verdict):
    decision = classify_request_errors([], status=status, age_s=YOUNG, sync_window_s=WINDOW)

    assert decision == Decision(verdict, f"eBay answered HTTP {status}")


def test_request_errors_use_the_table_and_the_most_decisive_wins():
    errors = [err(35001), err(35045)]

    decision = classify_request_errors(errors, status=400, age_s=YOUNG, sync_window_s=WINDOW)

    assert decision.verdict is Verdict.CAMPAIGN_INVALID
    assert decision.reason == "eBay 35045: message for 35045"


def test_request_errors_accept_any_iterable():
    decision = classify_request_errors(iter([err(35048)]), status=400, age_s=OLD, sync_window_s=WINDOW)

    assert decision.verdict is Verdict.FAILED
