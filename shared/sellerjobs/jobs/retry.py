"""Retry policies: when a job tries again, and when it gives up.

A policy only answers "how long until the next attempt?" given how many attempts were made
and how old the job is. It never sleeps and never reads the time itself, so the same policy
drives production, unit tests on a manual clock and day-long virtual-time simulations.

Two policies exist because eBay's listing sync delay (1-10 minutes after publishing) is the
dominant reason a promotion fails at first:

* ``exponential`` is the schedule the original system used: 1, 2, 4, 8, 10 minutes, five
  attempts, about 25 minutes in all. A listing that syncs at minute 4 waits until minute 7.
* ``sync-window`` polls about once a minute while a listing may still be syncing (12 minutes by
  default), then backs off exponentially for the rest of the same total window. A listing that
  syncs at minute 4 is promoted within about a minute.

Jitter is only ever added, never subtracted: a retry may come a little late but never before
its time, which is what lets tests assert "not before" bounds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Protocol

MINUTE = 60.0


class RetryPolicy(Protocol):
    name: str

    @property
    def first_delay_s(self) -> float:
        """Seconds from queueing to a job's first attempt."""
        ...

    @property
    def max_attempts(self) -> int: ...

    @property
    def sync_window_s(self) -> float:
        """How long after queueing "listing not found" still means "not synced yet"."""
        ...

    def next_delay(self, attempts_made: int, age_s: float, sync_age_s: float | None = None) -> float | None:
        """Seconds until the next attempt, or None when the job should give up.

        ``age_s`` is how far into its run of attempts the job is; ``sync_age_s`` how long ago its
        listing was published (the same unless the job waited for a stagger slot).
        """
        ...


def first_due_offset(index: int, first_delay_s: float, stagger_s: float) -> float:
    """When the i-th part of a batch first becomes due: after the first delay, then ``stagger_s`` apart.

    A part is what one call to the provider carries (500 listings for eBay's bulk ad creation),
    so a big batch arrives as a few spaced calls rather than as one burst.
    """
    return first_delay_s + stagger_s * index


@dataclass
class Jitter:
    """Adds up to ``ratio`` of a delay (capped at ``cap_s``), never subtracts."""

    ratio: float = 0.1
    cap_s: float = 15.0
    rng: random.Random = field(default_factory=random.Random)

    def apply(self, delay_s: float) -> float:
        bound = min(delay_s * self.ratio, self.cap_s)
        return delay_s + self.rng.uniform(0.0, bound) if bound > 0 else delay_s


@dataclass
class ExponentialPolicy:
    """The original schedule: first after a minute, then 2, 4, 8, 10 minutes apart, five attempts."""

    delays_s: tuple[float, ...] = (2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 10 * MINUTE)
    first_delay_s: float = MINUTE
    jitter: Jitter = field(default_factory=Jitter)
    name: str = "exponential"

    @property
    def max_attempts(self) -> int:
        return len(self.delays_s) + 1

    @property
    def sync_window_s(self) -> float:
        # The original system treated "listing not found" as retryable on every attempt.
        return float("inf")

    def next_delay(self, attempts_made: int, age_s: float, sync_age_s: float | None = None) -> float | None:
        if attempts_made < 1 or attempts_made > len(self.delays_s):
            return None
        return self.jitter.apply(self.delays_s[attempts_made - 1])


@dataclass
class SyncWindowPolicy:
    """Poll every minute while the listing may be syncing, then back off.

    ``total_window_s`` defaults to the exponential schedule's window (1+2+4+8+10 = 25 min) so
    the two policies give up at the same time and differ only in how they spend it.
    """

    sync_window: float = 12 * MINUTE
    interval_s: float = MINUTE
    min_backoff_s: float = 2 * MINUTE
    total_window_s: float = 25 * MINUTE
    # eBay refuses an ad for at least a minute after publishing, so an attempt at one minute
    # (the original schedule's) finds almost nothing synced and only costs a call per seller;
    # at two minutes every listing that synced in between is caught at the same moment as by
    # the second of the minute-apart polls.
    first_delay_s: float = 2 * MINUTE
    # A last attempt closer than this to the end of the window is not worth scheduling.
    min_last_gap_s: float = 30.0
    jitter: Jitter = field(default_factory=lambda: Jitter(ratio=0.1, cap_s=5.0))
    name: str = "sync-window"

    @property
    def sync_window_s(self) -> float:
        return self.sync_window

    @property
    def max_attempts(self) -> int:
        # Walk the schedule without jitter; jitter only makes attempts later, never more.
        age, attempts = self.first_delay_s, 1
        while (delay := self._delay(age, age)) is not None:
            age += delay
            attempts += 1
        return attempts

    def _delay(self, age_s: float, sync_age_s: float) -> float | None:
        if sync_age_s < self.sync_window:
            delay = self.interval_s
        else:
            # Double the distance from the end of the sync window, at least min_backoff_s.
            delay = max(self.min_backoff_s, 2 * (sync_age_s - self.sync_window))
        remaining = self.total_window_s - age_s
        if remaining < self.min_last_gap_s:
            return None
        return min(delay, remaining)

    def next_delay(self, attempts_made: int, age_s: float, sync_age_s: float | None = None) -> float | None:
        if attempts_made >= self.max_attempts:
            return None
        delay = self._delay(age_s, age_s if sync_age_s is None else sync_age_s)
        return None if delay is None else self.jitter.apply(delay)


def policy_named(name: str, *, sync_window_s: float = 12 * MINUTE, first_delay_s: float | None = None,
                 rng: random.Random | None = None) -> RetryPolicy:
    """``first_delay_s``: None keeps the policy's own (a minute for ``exponential``, two for ``sync-window``)."""
    rng = rng or random.Random()
    if name == "exponential":
        exponential = ExponentialPolicy(jitter=Jitter(rng=rng))
        return exponential if first_delay_s is None else replace(exponential, first_delay_s=first_delay_s)
    if name == "sync-window":
        sync = SyncWindowPolicy(sync_window=sync_window_s, jitter=Jitter(ratio=0.1, cap_s=5.0, rng=rng))
        return sync if first_delay_s is None else replace(sync, first_delay_s=first_delay_s)
    raise ValueError(f"unknown retry policy {name!r}; expected 'exponential' or 'sync-window'")
