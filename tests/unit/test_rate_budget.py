"""Rate budget arithmetic: a linearly growing allowance per window."""

from __future__ import annotations

import random

import pytest

from sellerjobs.clock import ManualClock
from sellerjobs.jobs.rate_budget import Grant, RateBudget, RateLimited

HOUR = 3600.0
START = ManualClock().now()  # 2026-01-01T00:00:00Z, the start of an hour window


def test_the_manual_clock_starts_on_a_window_boundary():
    assert RateBudget("m", limit=100).window_start(START) == START


# ---------------------------------------------------------------- allowance


def test_allowance_starts_at_the_burst():
    budget = RateBudget("m", limit=3600, burst=10)

    assert budget.allowance(START) == 10


def test_allowance_grows_linearly_through_the_window():
    budget = RateBudget("m", limit=3600, burst=10)

    assert budget.allowance(START + 1) == 11
    assert budget.allowance(START + 900) == 910
    assert budget.allowance(START + 1800) == 1810


def test_allowance_never_exceeds_the_limit():
    budget = RateBudget("m", limit=3600, burst=10)

    assert budget.allowance(START + 3595) == 3600
    assert budget.allowance(START + HOUR - 0.001) == 3600


def test_allowance_restarts_at_the_burst_in_the_next_window():
    budget = RateBudget("m", limit=3600, burst=10)

    assert budget.allowance(START + HOUR) == 10


def test_allowance_rounds_down_to_whole_calls():
    budget = RateBudget("m", limit=100, burst=1)  # one more call every 36 s

    assert budget.allowance(START + 35.9) == 1
    assert budget.allowance(START + 36) == 2


def test_allowance_is_monotonic_within_a_window():
    rng = random.Random(1234)
    budget = RateBudget("m", limit=5000, burst=100)
    times = sorted(START + rng.uniform(0, HOUR - 1e-3) for _ in range(500))

    values = [budget.allowance(t) for t in times]

    assert values == sorted(values)
    assert all(100 <= v <= 5000 for v in values)


# ---------------------------------------------------------------- windows


def test_window_key_names_the_budget_and_the_window_start():
    budget = RateBudget("ebay-marketing", limit=100)

    assert budget.window_key(START + 10) == f"ebay-marketing#{int(START)}"


def test_window_key_is_stable_within_a_window_and_changes_with_the_next():
    budget = RateBudget("m", limit=100, window_s=60.0)

    assert budget.window_key(START) == budget.window_key(START + 59.999)
    assert budget.window_key(START + 60) != budget.window_key(START + 59.999)
    assert budget.window_key(START + 60) == f"m#{int(START) + 60}"


# ---------------------------------------------------------------- wait_for


def test_wait_for_is_zero_when_the_calls_fit():
    budget = RateBudget("m", limit=3600, burst=10)

    assert budget.wait_for(used=0, n=10, now=START) == 0.0
    assert budget.wait_for(used=900, n=10, now=START + 900) == 0.0


def test_wait_for_is_the_time_until_the_allowance_covers_used_plus_n():
    # Given a budget of one call per second after a burst of 10, with 10 calls used at the start
    budget = RateBudget("m", limit=3600, burst=10)

    # When 5 more calls are wanted
    wait = budget.wait_for(used=10, n=5, now=START)

    # Then they fit 5 seconds later, and not a second earlier
    assert wait == pytest.approx(5.0)
    assert budget.allowance(START + wait) >= 15
    assert budget.allowance(START + wait - 1) < 15


def test_wait_for_accounts_for_time_already_elapsed():
    budget = RateBudget("m", limit=3600, burst=10)

    assert budget.wait_for(used=100, n=1, now=START + 50) == pytest.approx(41.0)


def test_wait_for_over_the_limit_waits_for_the_next_window():
    budget = RateBudget("m", limit=100, burst=5)

    assert budget.wait_for(used=100, n=1, now=START + 1000) == pytest.approx(HOUR - 1000)
    assert budget.wait_for(used=0, n=101, now=START + 10) == pytest.approx(HOUR - 10)


def test_wait_for_just_fits_at_the_limit_within_the_window():
    budget = RateBudget("m", limit=100, burst=5)

    wait = budget.wait_for(used=99, n=1, now=START)

    assert 0 < wait < HOUR
    assert budget.allowance(START + wait + 1e-6) == 100


def test_wait_for_integral_cases_are_honoured_after_waiting():
    # Rates that divide the window evenly: waiting the answer is always enough.
    rng = random.Random(99)
    for _ in range(500):
        limit = rng.choice([60, 120, 3600, 7200])
        budget = RateBudget("m", limit=limit, window_s=HOUR, burst=rng.randint(1, 30))
        used = rng.randint(0, limit - 1)
        n = rng.randint(1, limit - used)

        wait = budget.wait_for(used, n, START)

        assert wait >= 0
        assert budget.allowance(START + wait) >= used + n


def test_waiting_exactly_wait_for_is_always_enough():
    # Given 7 calls an hour (not a divisor of 3600 s), 2 used at the start of the window
    budget = RateBudget("m", limit=7, window_s=HOUR, burst=1)

    # When we wait exactly as long as wait_for says
    wait = budget.wait_for(used=2, n=1, now=START)

    # Then the third call fits
    assert budget.allowance(START + wait) >= 3


# ---------------------------------------------------------------- the limiter's vocabulary


def test_rate_limited_carries_the_budget_and_the_wait():
    exc = RateLimited("ebay-marketing", 42.4)

    assert exc.budget == "ebay-marketing"
    assert exc.retry_after_s == 42.4
    assert str(exc) == "rate budget 'ebay-marketing' exhausted; retry in 42s"


def test_grant_defaults_to_no_wait():
    assert Grant(True).retry_after_s == 0.0
