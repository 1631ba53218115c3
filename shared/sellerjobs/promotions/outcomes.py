"""What eBay's answer means for a promotion job.

The table follows eBay's own Marketing contract (``x-response-codes``), which differs from what
the original system assumed: 35001 is an eBay internal error (retry), and "ad already exists"
is 35036 (success, the ad is there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from sellerjobs.jobs.marketplace import ErrorDetail
from sellerjobs.promotions.ports import ListingResult


class Verdict(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    FAILED = "failed"
    # The campaign is gone or ended: forget the cached default campaign, then retry or fail.
    CAMPAIGN_INVALID = "campaign_invalid"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str = ""
    ad_id: str | None = None
    # What eBay answered, for the job's history (context: two decisions alike in verdict and
    # reason are the same decision).
    error_id: int | None = field(default=None, compare=False)
    http_status: int | None = field(default=None, compare=False)
    operation: str | None = field(default=None, compare=False)  # the eBay call (set by the worker)


ALREADY_EXISTS = 35036
NOT_FOUND_OR_ENDED = 35048
RETRYABLE = frozenset({35001, 35002, 35061})
CAMPAIGN_PROBLEMS = frozenset({35035, 35045, 35046})
# Listing or account problems no retry can fix; the seller has to act.
# What a job waiting for eBay's sync delay says; the dashboard shows it as waiting, not as an error.
NOT_SYNCED_YET = "listing not synced yet (eBay 35048)"
TERMINAL = frozenset({
    35007, 35013, 35014, 35037, 35052, 35054, 35057, 35058, 35059, 35063,
    35067, 35075, 35077, 35078, 35089,
})


def classify_error(error: ErrorDetail, *, status: int, age_s: float, sync_window_s: float) -> Decision:
    """``age_s``: seconds since the listing was queued, i.e. since it was published."""
    code = error.error_id

    def decided(verdict: Verdict, reason: str) -> Decision:
        return Decision(verdict, reason, error_id=code or None, http_status=status or None)

    if code == ALREADY_EXISTS:
        return decided(Verdict.SUCCEEDED, "ad already exists")
    if code == NOT_FOUND_OR_ENDED:
        # Right after publishing, eBay answers this until the listing has synced.
        if age_s < sync_window_s:
            return decided(Verdict.RETRY, NOT_SYNCED_YET)
        return decided(Verdict.FAILED, f"listing not found after the sync window: {error.describe()}")
    if code in RETRYABLE:
        return decided(Verdict.RETRY, error.describe())
    if code in CAMPAIGN_PROBLEMS:
        return decided(Verdict.CAMPAIGN_INVALID, error.describe())
    if code in TERMINAL:
        return decided(Verdict.FAILED, error.describe())
    # Unknown codes: trust the HTTP class. 429 and 5xx are eBay's trouble, other 4xx ours.
    if status == 429 or status >= 500:
        return decided(Verdict.RETRY, error.describe())
    return decided(Verdict.FAILED, error.describe())


def classify_listing(result: ListingResult, *, age_s: float, sync_window_s: float) -> Decision:
    if not result.errors and 200 <= result.status_code < 300:
        return Decision(Verdict.SUCCEEDED, ad_id=result.ad_id, http_status=result.status_code)
    if not result.errors:
        transient = result.status_code == 429 or result.status_code >= 500 or result.status_code == 0
        verdict = Verdict.RETRY if transient else Verdict.FAILED
        return Decision(verdict, f"eBay answered HTTP {result.status_code} without details",
                        http_status=result.status_code or None)
    decisions = [classify_error(e, status=result.status_code, age_s=age_s, sync_window_s=sync_window_s)
                 for e in result.errors]
    decision = _most_decisive(decisions)
    if decision.verdict is Verdict.SUCCEEDED:
        return Decision(Verdict.SUCCEEDED, decision.reason, ad_id=result.ad_id, error_id=decision.error_id,
                        http_status=decision.http_status)
    return decision


def classify_request_errors(errors: Iterable[ErrorDetail], *, status: int, age_s: float,
                            sync_window_s: float) -> Decision:
    """A whole-request rejection (no per-listing answers) applies to every job in the call."""
    decisions = [classify_error(e, status=status, age_s=age_s, sync_window_s=sync_window_s) for e in errors]
    if not decisions:
        transient = status == 429 or status >= 500 or status == 0
        return Decision(Verdict.RETRY if transient else Verdict.FAILED, f"eBay answered HTTP {status}",
                        http_status=status or None)
    return _most_decisive(decisions)


# When one listing carries several errors, the one that settles the job wins: an existing ad
# beats everything; a terminal error beats a transient one.
_PRECEDENCE = {Verdict.SUCCEEDED: 0, Verdict.FAILED: 1, Verdict.CAMPAIGN_INVALID: 2, Verdict.RETRY: 3}


def _most_decisive(decisions: list[Decision]) -> Decision:
    return min(decisions, key=lambda d: _PRECEDENCE[d.verdict])
