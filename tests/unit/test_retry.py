"""Retry policies: exact schedules, attempt counts, give-up rules, jitter bounds, stagger."""

from __future__ import annotations

import itertools
import random

import pytest

from sellerjobs.jobs.retry import (
    MINUTE,
    ExponentialPolicy,
    Jitter,
    SyncWindowPolicy,
    first_due_offset,
    policy_named,
)

NO_JITTER = Jitter(ratio=0.0, rng=random.Random(0))


def walk(policy: SyncWindowPolicy, first_age_s: float) -> list[float]:
    """Ages (seconds into the run) at which attempts happen, following next_delay until it gives up."""
    ages, attempts = [first_age_s], 1
    while (delay := policy.next_delay(attempts, ages[-1])) is not None:
        ages.append(ages[-1] + delay)
        attempts += 1
    return ages


# ---------------------------------------------------------------- exponential


@pytest.mark.parametrize(("attempts_made", "expected_s"), [(1, 120.0), (2, 240.0), (3, 480.0), (4, 600.0)])
def test_exponential_waits_2_4_8_10_minutes_after_attempts_1_to_4(attempts_made, expected_s):
    policy = ExponentialPolicy(jitter=NO_JITTER)

    assert policy.next_delay(attempts_made, age_s=0.0) == expected_s


def test_exponential_allows_five_attempts_and_gives_up_after_the_fifth():
    policy = ExponentialPolicy(jitter=NO_JITTER)

    assert policy.max_attempts == 5
    assert policy.next_delay(5, age_s=0.0) is None
    assert policy.next_delay(6, age_s=0.0) is None


def test_exponential_has_no_delay_before_any_attempt():
    assert ExponentialPolicy(jitter=NO_JITTER).next_delay(0, age_s=0.0) is None


def test_exponential_ignores_the_age_of_the_job():
    policy = ExponentialPolicy(jitter=NO_JITTER)

    assert policy.next_delay(2, age_s=10_000.0) == 240.0


def test_exponential_total_window_is_25_minutes_with_the_first_minute():
    # Given the first attempt one minute after queueing (the stagger's base)
    policy = ExponentialPolicy(jitter=NO_JITTER)

    # When every retry is taken
    total = MINUTE + sum(policy.next_delay(n, 0.0) or 0.0 for n in range(1, policy.max_attempts))

    # Then the last attempt is 25 minutes after queueing, as in the original system
    assert total == 25 * MINUTE


def test_exponential_treats_listing_not_found_as_retryable_forever():
    assert ExponentialPolicy(jitter=NO_JITTER).sync_window_s == float("inf")


# ---------------------------------------------------------------- sync window


def test_sync_window_first_tries_after_two_minutes_and_makes_14_attempts_with_defaults():
    policy = SyncWindowPolicy(jitter=NO_JITTER)

    # eBay refuses ads for at least a minute after publishing: a try at one minute is wasted.
    assert policy.first_delay_s == 120.0
    assert policy.max_attempts == 14
    assert SyncWindowPolicy(jitter=NO_JITTER, first_delay_s=60.0).max_attempts == 15


def test_each_policy_keeps_its_own_first_delay_unless_one_is_configured():
    assert policy_named("sync-window").first_delay_s == 120.0
    assert policy_named("exponential").first_delay_s == 60.0  # the original schedule's
    assert policy_named("exponential", first_delay_s=90.0).first_delay_s == 90.0


def test_sync_window_exact_schedule_with_defaults():
    # Given the default policy without jitter and its first attempt two minutes after queueing
    policy = SyncWindowPolicy(jitter=NO_JITTER)

    # When the schedule is followed until the policy gives up
    ages = walk(policy, first_age_s=policy.first_delay_s)

    # Then it polls each minute up to the 12-minute sync window, then backs off
    # max(120, 2 * (age - window)), the last wait cut to end exactly at 25 minutes.
    assert ages == [60.0 * m for m in range(2, 13)] + [840.0, 1080.0, 1500.0]
    assert len(ages) == policy.max_attempts


def test_sync_window_polls_every_minute_inside_the_window():
    policy = SyncWindowPolicy(jitter=NO_JITTER)

    assert policy.next_delay(1, age_s=60.0) == 60.0
    assert policy.next_delay(5, age_s=719.9) == 60.0


def test_sync_window_backs_off_from_the_end_of_the_window():
    policy = SyncWindowPolicy(jitter=NO_JITTER)

    assert policy.next_delay(12, age_s=720.0) == 120.0  # at least min_backoff_s
    assert policy.next_delay(13, age_s=780.0) == 120.0  # 2 * 60 = 120
    assert policy.next_delay(13, age_s=840.0) == 240.0  # 2 * 120


def test_sync_window_caps_the_last_wait_to_the_total_window():
    policy = SyncWindowPolicy(jitter=NO_JITTER)

    # 2 * (1080 - 720) = 720 s would overshoot; only 420 s are left of the 25 minutes.
    assert policy.next_delay(13, age_s=1080.0) == 420.0


def test_sync_window_gives_up_when_less_than_30_seconds_remain():
    policy = SyncWindowPolicy(jitter=NO_JITTER)

    assert policy.next_delay(3, age_s=1470.0) == 30.0  # exactly 30 s left: one last try
    assert policy.next_delay(3, age_s=1470.5) is None
    assert policy.next_delay(3, age_s=1500.0) is None


def test_sync_window_gives_up_after_max_attempts_even_with_time_left():
    policy = SyncWindowPolicy(jitter=NO_JITTER)

    assert policy.next_delay(14, age_s=120.0) is None
    assert policy.next_delay(13, age_s=120.0) == 60.0


def test_sync_window_max_attempts_follows_its_configuration():
    # A 5-minute sync window: attempts at 2..5 min, then 7, 11, 23 and 25 min.
    policy = SyncWindowPolicy(sync_window=5 * MINUTE, jitter=NO_JITTER)

    assert walk(policy, first_age_s=policy.first_delay_s) == [120.0, 180.0, 240.0, 300.0, 420.0, 660.0, 1380.0,
                                                             1500.0]
    assert policy.max_attempts == 8


def test_sync_window_reports_its_window():
    assert SyncWindowPolicy(sync_window=300.0, jitter=NO_JITTER).sync_window_s == 300.0


def test_both_policies_give_up_at_the_same_total_window():
    sync_policy = SyncWindowPolicy(jitter=NO_JITTER)
    sync = walk(sync_policy, first_age_s=sync_policy.first_delay_s)
    exponential = ExponentialPolicy(jitter=NO_JITTER)
    exp_last = exponential.first_delay_s + sum(exponential.next_delay(n, 0.0) or 0.0
                                               for n in range(1, exponential.max_attempts))

    assert sync[-1] == exp_last == 25 * MINUTE


# ---------------------------------------------------------------- jitter


@pytest.mark.parametrize("seed", [0, 1, 42, 2024])
@pytest.mark.parametrize(("ratio", "cap_s", "delay_s"), [
    (0.1, 15.0, 120.0),   # bound 12 s (ratio)
    (0.1, 15.0, 600.0),   # bound 15 s (cap)
    (0.1, 5.0, 60.0),     # the sync-window jitter: bound 5 s
    (0.5, 100.0, 30.0),   # bound 15 s
])
def test_jitter_only_adds_and_stays_within_its_bound(seed, ratio, cap_s, delay_s):
    jitter = Jitter(ratio=ratio, cap_s=cap_s, rng=random.Random(seed))
    bound = min(ratio * delay_s, cap_s)

    draws = [jitter.apply(delay_s) for _ in range(2000)]

    assert all(delay_s <= d <= delay_s + bound for d in draws)
    # It does add something: the draws spread over most of the allowed range.
    assert min(draws) < delay_s + bound * 0.05
    assert max(draws) > delay_s + bound * 0.95


def test_jitter_with_zero_ratio_returns_the_delay_unchanged():
    jitter = Jitter(ratio=0.0, rng=random.Random(3))

    assert [jitter.apply(d) for d in (0.0, 60.0, 600.0)] == [0.0, 60.0, 600.0]


def test_jitter_is_reproducible_with_a_seed():
    a = Jitter(rng=random.Random(9))
    b = Jitter(rng=random.Random(9))

    assert [a.apply(120.0) for _ in range(20)] == [b.apply(120.0) for _ in range(20)]


@pytest.mark.parametrize("seed", [0, 5, 77])
def test_policies_apply_jitter_never_earlier_than_the_schedule(seed):
    rng = random.Random(seed)
    exponential = ExponentialPolicy(jitter=Jitter(rng=rng))
    sync = SyncWindowPolicy(jitter=Jitter(ratio=0.1, cap_s=5.0, rng=rng))
    exact_exp = ExponentialPolicy(jitter=NO_JITTER)
    exact_sync = SyncWindowPolicy(jitter=NO_JITTER)

    for _ in range(200):
        n = rng.randint(1, 4)
        base = exact_exp.next_delay(n, 0.0)
        got = exponential.next_delay(n, 0.0)
        assert base is not None and got is not None
        assert base <= got <= base + min(0.1 * base, 15.0)

        age = rng.uniform(60.0, 1460.0)
        base = exact_sync.next_delay(2, age)
        got = sync.next_delay(2, age)
        assert base is not None and got is not None
        assert base <= got <= base + min(0.1 * base, 5.0)


def test_jittered_sync_window_never_makes_more_attempts_than_max_attempts():
    for seed in range(20):
        policy = SyncWindowPolicy(jitter=Jitter(ratio=0.1, cap_s=5.0, rng=random.Random(seed)))

        assert len(walk(policy, first_age_s=60.0)) <= policy.max_attempts


# ---------------------------------------------------------------- stagger


def test_stagger_spreads_a_25_item_batch_over_two_minutes():
    offsets = [first_due_offset(i, first_delay_s=60.0, stagger_s=5.0) for i in range(25)]

    assert offsets[0] == 60.0
    assert offsets[1] == 65.0
    assert offsets[24] == 180.0
    assert all(b - a == 5.0 for a, b in itertools.pairwise(offsets))


# ---------------------------------------------------------------- by name


def test_policy_named_builds_each_policy():
    exponential = policy_named("exponential", rng=random.Random(1))
    sync = policy_named("sync-window", sync_window_s=300.0, first_delay_s=30.0, rng=random.Random(1))

    assert isinstance(exponential, ExponentialPolicy)
    assert exponential.name == "exponential"
    assert isinstance(sync, SyncWindowPolicy)
    assert sync.name == "sync-window"
    assert sync.sync_window_s == 300.0
    assert sync.first_delay_s == 30.0


def test_policy_named_uses_the_given_rng_for_jitter():
    a = policy_named("sync-window", rng=random.Random(11))
    b = policy_named("sync-window", rng=random.Random(11))

    assert [a.next_delay(1, 60.0) for _ in range(10)] == [b.next_delay(1, 60.0) for _ in range(10)]


def test_policy_named_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="unknown retry policy 'linear'"):
        policy_named("linear", rng=random.Random(0))
