"""A job's history: folded, bounded in entries and in bytes, stored compactly, shown in full words."""

from __future__ import annotations

import json

from sellerjobs.categories.job import RunEntry, RunOutcome, dump_runs, load_runs
from sellerjobs.jobs import history
from sellerjobs.jobs.history import (
    MAX_ENTRIES,
    MAX_ENTRY_BYTES,
    MAX_HISTORY_BYTES,
    HistoryEntry,
    Note,
    appended,
)

T0 = 1_767_225_600_000
NOT_SYNCED = Note(operation="bulk_create_ads_by_listing_id", http_status=200, error_id=35048,
                  message="listing not synced yet (eBay 35048)")


def retrying(at: int, attempt: int) -> HistoryEntry:
    return HistoryEntry.of(at, "retrying", NOT_SYNCED, attempt=attempt, next_at=at + 60_000)


def test_the_same_outcome_in_a_row_is_one_entry_with_a_count_and_its_first_and_last_time():
    entries: tuple[HistoryEntry, ...] = (HistoryEntry.of(T0, "queued", next_at=T0 + 60_000),)
    for attempt in range(1, 7):
        entries = appended(entries, retrying(T0 + attempt * 60_000, attempt))

    assert len(entries) == 2
    folded = entries[1]
    assert (folded.count, folded.at, folded.last_at) == (6, T0 + 60_000, T0 + 6 * 60_000)
    assert folded.attempt == 6 and folded.next_at == T0 + 7 * 60_000  # the latest of each
    assert folded.to_api() == {"at": T0 + 60_000, "lastAt": T0 + 360_000, "count": 6, "outcome": "retrying",
                               "attempt": 6, "operation": "bulk_create_ads_by_listing_id", "httpStatus": 200,
                               "errorId": 35048, "message": "listing not synced yet (eBay 35048)",
                               "nextAttemptAt": T0 + 420_000}


def test_a_different_answer_starts_a_new_entry():
    entries = appended((retrying(T0, 1),), HistoryEntry.of(T0 + 1, "retrying", Note(error_id=35001), attempt=2))
    entries = appended(entries, HistoryEntry.of(T0 + 2, "succeeded", ad_id="ad-1", campaign_id="c-1", attempt=3))

    assert [(e.outcome, e.error_id, e.count) for e in entries] == [
        ("retrying", 35048, 1), ("retrying", 35001, 1), ("succeeded", None, 1)]


def test_only_the_last_entries_are_kept():
    entries: tuple[HistoryEntry, ...] = ()
    for i in range(MAX_ENTRIES + 20):
        # Alternating answers never fold: the worst case for the bound.
        entries = appended(entries, HistoryEntry.of(T0 + i, "retrying", Note(error_id=35001 + i % 2), attempt=i))

    assert len(entries) == MAX_ENTRIES
    assert entries[0].attempt == 20 and entries[-1].attempt == MAX_ENTRIES + 19


def test_an_entry_never_exceeds_its_byte_bound_however_long_its_texts():
    huge = "é\"\\" * 5_000  # multi-byte and escaped characters: the worst for JSON's size
    entry = HistoryEntry.of(T0, "failed", Note(operation=huge, http_status=500, error_id=35001, message=huge,
                                               provider=huge, by=huge),
                            attempt=99, next_at=T0, ad_id=huge, campaign_id=huge)

    assert len(history.dumps([entry]).encode()) <= MAX_ENTRY_BYTES + 2
    assert entry.message is None or entry.message.endswith("…")


def test_a_full_history_stays_within_the_stated_bound():
    worst = HistoryEntry.of(T0, "retrying", Note(operation="x" * 100, http_status=503, error_id=35001,
                                                 message="m" * 5_000, by="u" * 200),
                            attempt=15, next_at=T0 + 1, ad_id="a" * 100, campaign_id="c" * 100)
    entries = tuple(worst for _ in range(MAX_ENTRIES))

    stored = history.dumps(entries)

    assert len(stored.encode()) <= MAX_HISTORY_BYTES
    assert MAX_HISTORY_BYTES < 20_000  # what the README states: under 20 KB, 5% of DynamoDB's 400 KB


def test_the_stored_form_is_compact_and_reads_back_the_same():
    entries = appended(appended((HistoryEntry.of(T0, "queued", next_at=T0 + 60_000),), retrying(T0 + 60_000, 1)),
                       retrying(T0 + 120_000, 2))

    stored = history.dumps(entries)

    assert history.loads(stored) == entries
    assert json.loads(stored)[0] == {"t": T0, "o": "queued", "n": T0 + 60_000}
    assert history.loads(None) == () and history.loads("") == ()


def test_category_runs_alike_fold_and_their_counts_add_up():
    runs: tuple[RunEntry, ...] = ()
    for i in range(3):
        runs = appended(runs, RunEntry(at=T0 + i * 60_000, ended_at=T0 + i * 60_000 + 50_000,
                                       outcome=RunOutcome.CONTINUED, fetched=200, ebay_calls=200))
    runs = appended(runs, RunEntry(at=T0 + 200_000, ended_at=T0 + 210_000, outcome=RunOutcome.COMPLETED,
                                   fetched=40, ebay_calls=40))

    assert [(r.outcome, r.count, r.fetched) for r in runs] == [(RunOutcome.CONTINUED, 3, 600),
                                                               (RunOutcome.COMPLETED, 1, 40)]
    assert runs[0].ended_at == T0 + 170_000
    assert load_runs(dump_runs(runs)) == runs
    assert runs[0].to_api()["runs"] == 3
