"""What happened to a job, kept in the job's own item.

Every state change appends an entry in the same conditional write as the change itself, so the
history costs no extra request. It costs write units instead (one per started KB of the item,
on every attempt), so it is kept small:

* consecutive entries that say the same thing are folded into one with a count and the first and
  last time ("listing not synced yet (eBay 35048) x6, 00:01-00:06"), which is what a job waiting
  for eBay's sync delay mostly does;
* only the last ``MAX_ENTRIES`` entries are kept;
* an entry is at most ``MAX_ENTRY_BYTES`` of JSON (its message is shortened to fit), so a whole
  history is at most ``MAX_HISTORY_BYTES`` — about 5% of DynamoDB's 400 KB item limit.

Entries are stored as one compact JSON string with short keys; ``to_api`` spells them out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, Self, TypeVar

MAX_ENTRIES = 50
MAX_ENTRY_BYTES = 384
MAX_MESSAGE_CHARS = 200
MAX_ID_CHARS = 64
# Every entry at its largest, the separators and the brackets of the JSON list.
MAX_HISTORY_BYTES = MAX_ENTRIES * MAX_ENTRY_BYTES + MAX_ENTRIES + 1


class Foldable(Protocol):
    def same_as(self, other: Self) -> bool:
        """Whether ``other`` says the same as this entry, so the two can be one entry."""
        ...

    def folded(self, later: Self) -> Self:
        """This entry and a later one that says the same, as one."""
        ...


E = TypeVar("E", bound=Foldable)


def appended(history: Sequence[E], entry: E, limit: int = MAX_ENTRIES) -> tuple[E, ...]:
    """``history`` with ``entry`` added: folded into the last entry when it says the same, the
    oldest entries dropped beyond ``limit``."""
    if history and history[-1].same_as(entry):
        return (*history[:-1], history[-1].folded(entry))
    return (*history, entry)[-limit:]


@dataclass(frozen=True)
class Note:
    """What a call answered, as far as an entry records it (all optional)."""

    operation: str | None = None  # the marketplace call, e.g. bulk_create_ads_by_listing_id
    http_status: int | None = None
    error_id: int | None = None  # the marketplace's error id, e.g. eBay's 35048
    message: str | None = None
    provider: str | None = None
    by: str | None = None  # who asked for the change (a user id), when not the system itself


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened to a job (or the same thing ``count`` times in a row)."""

    at: int  # epoch ms; the first time when folded
    outcome: str  # our decision: queued, succeeded, retrying, failed, deferred, cancelled, retried, ...
    attempt: int | None = None  # the attempt number, for outcomes of an attempt
    operation: str | None = None
    http_status: int | None = None
    error_id: int | None = None
    message: str | None = None
    next_at: int | None = None  # epoch ms: when the job is tried next (retrying, deferred)
    ad_id: str | None = None
    campaign_id: str | None = None
    provider: str | None = None
    by: str | None = None
    count: int = 1
    last_at: int | None = None  # epoch ms of the last time, when folded

    @classmethod
    def of(cls, at: int, outcome: str, note: Note | None = None, **values: Any) -> HistoryEntry:
        note = note or Note()
        entry = cls(at=at, outcome=outcome, operation=note.operation, http_status=note.http_status,
                    error_id=note.error_id, message=note.message, provider=note.provider, by=note.by, **values)
        return entry.fitted()

    def same_as(self, other: HistoryEntry) -> bool:
        return _identity(self) == _identity(other)

    def folded(self, later: HistoryEntry) -> HistoryEntry:
        return replace(self, count=self.count + later.count, last_at=later.last_at or later.at,
                       attempt=later.attempt if later.attempt is not None else self.attempt,
                       next_at=later.next_at)

    def fitted(self) -> HistoryEntry:
        """The entry within ``MAX_ENTRY_BYTES``: long texts shortened, the message first."""
        entry = replace(self, message=_clip(self.message, MAX_MESSAGE_CHARS),
                        operation=_clip(self.operation, MAX_ID_CHARS), ad_id=_clip(self.ad_id, MAX_ID_CHARS),
                        campaign_id=_clip(self.campaign_id, MAX_ID_CHARS), provider=_clip(self.provider, MAX_ID_CHARS),
                        by=_clip(self.by, MAX_ID_CHARS), outcome=_clip(self.outcome, MAX_ID_CHARS) or "")
        for name in ("message", "by", "provider", "operation", "campaign_id", "ad_id"):
            while len(_dump(entry.to_store())) > MAX_ENTRY_BYTES and getattr(entry, name):
                text: str = getattr(entry, name)
                entry = replace(entry, **{name: _clip(text, len(text) - 8)})  # type: ignore[arg-type]
        return entry

    def to_store(self) -> dict[str, Any]:
        return {key: value for key, value in (
            ("t", self.at), ("o", self.outcome), ("a", self.attempt), ("op", self.operation),
            ("s", self.http_status), ("e", self.error_id), ("m", self.message), ("n", self.next_at),
            ("ad", self.ad_id), ("c", self.campaign_id), ("p", self.provider), ("by", self.by),
            ("x", self.count if self.count != 1 else None), ("l", self.last_at)) if value is not None}

    @classmethod
    def from_store(cls, raw: dict[str, Any]) -> HistoryEntry:
        return cls(at=int(raw["t"]), outcome=str(raw["o"]), attempt=raw.get("a"), operation=raw.get("op"),
                   http_status=raw.get("s"), error_id=raw.get("e"), message=raw.get("m"), next_at=raw.get("n"),
                   ad_id=raw.get("ad"), campaign_id=raw.get("c"), provider=raw.get("p"), by=raw.get("by"),
                   count=int(raw.get("x", 1)), last_at=raw.get("l"))

    def to_api(self) -> dict[str, Any]:
        values = {"at": self.at, "lastAt": self.last_at, "count": self.count, "outcome": self.outcome,
                  "attempt": self.attempt, "operation": self.operation, "httpStatus": self.http_status,
                  "errorId": self.error_id, "message": self.message, "nextAttemptAt": self.next_at,
                  "adId": self.ad_id, "campaignId": self.campaign_id, "provider": self.provider, "by": self.by}
        return {key: value for key, value in values.items() if value is not None}


_IDENTITY = ("outcome", "operation", "http_status", "error_id", "message", "ad_id", "campaign_id", "provider", "by")


def _identity(entry: HistoryEntry) -> tuple[Any, ...]:
    return tuple(getattr(entry, name) for name in _IDENTITY)


def _clip(text: str | None, limit: int) -> str | None:
    """``text`` within ``limit`` characters, marked when shortened; None when nothing would be left."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit - 1] + "…" if limit > 1 else None


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def dumps(entries: Iterable[HistoryEntry]) -> str:
    """The stored form: one compact JSON list."""
    return _dump([entry.to_store() for entry in entries]).decode()


def loads(text: str | None) -> tuple[HistoryEntry, ...]:
    if not text:
        return ()
    return tuple(HistoryEntry.from_store(raw) for raw in json.loads(text))
