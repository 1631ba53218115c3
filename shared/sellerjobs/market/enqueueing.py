"""Queueing a refresh of one item: what happens to the job its (provider, sku, size) key has.

At most one job per key is queued or running. Queueing an item:

* with no job for its key, or only a finished one, makes a new pending job. A finished job is
  replaced, and the new one carries the next version: a write still guarded by the old job's
  version (a late worker, a stale page) can then never land on the new job;
* while its job waits or runs at a lower priority, raises that job's priority (a write);
* while its job waits or runs at the same or a higher priority, keeps it as it is: a priority is
  never lowered. A seller not yet among those the job's events go to is added (also a write).

Repositories load the key's current job, ask ``enqueueing`` and write what it answers with a
guard on the version and status they read; when the guard fails they load and ask again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sellerjobs.market.job import MarketJob, MarketStatus, Provider, dedupe_key
from sellerjobs.market.ports import Enqueued


@dataclass(frozen=True)
class EnqueueRequest:
    """One item to refresh, as asked at ``now_ms`` (by ``seller``, if a seller asked)."""

    provider: Provider
    sku: str
    size: str | None
    priority: int
    now_ms: int
    seller: str | None = None

    @property
    def key(self) -> str:
        return dedupe_key(self.provider, self.sku, self.size)


@dataclass(frozen=True)
class Enqueueing:
    """What queueing one item does: the answer, and whether its job must be written."""

    result: Enqueued
    write: bool  # False: the current job stays as it is (``result.job`` is that job)
    # A new job replacing a finished one: the finished job's status (whose count goes down).
    replaces: MarketStatus | None = None

    @property
    def job(self) -> MarketJob:
        return self.result.job


def enqueue_requests(provider: Provider, items: Sequence[tuple[str, str | None]], priority: int, now_ms: int,
                     seller: str | None = None) -> dict[str, EnqueueRequest]:
    """One request per key, in the order the items first name it: an item named twice in one
    call is one job (and one write)."""
    requests: dict[str, EnqueueRequest] = {}
    for sku, size in items:
        request = EnqueueRequest(provider=provider, sku=sku, size=size, priority=priority, now_ms=now_ms,
                                 seller=seller)
        requests.setdefault(request.key, request)
    return requests


def enqueueing(current: MarketJob | None, request: EnqueueRequest, new_id: str) -> Enqueueing:
    """What queueing ``request`` does to ``current``, its key's job as read (None: it has none).
    ``new_id`` is the id of the job made if one is."""
    if current is not None and current.key != request.key:
        raise ValueError(f"the job of {current.key!r} is not the job of {request.key!r}")
    if current is None or not current.status.active:
        job = MarketJob(id=new_id, provider=request.provider, sku=request.sku, size=request.size,
                        priority=request.priority, status=MarketStatus.PENDING, enqueued_at=request.now_ms,
                        updated_at=request.now_ms, version=current.version + 1 if current is not None else 0,
                        asked_by=frozenset({request.seller}) if request.seller is not None else frozenset())
        return Enqueueing(Enqueued(job, created=True), write=True,
                          replaces=current.status if current is not None else None)
    if current.priority < request.priority:
        # The enqueue time stays: among jobs of one priority, the older goes first.
        raised = replace(current, priority=request.priority, updated_at=request.now_ms,
                         version=current.version + 1)
        if request.seller is not None:
            raised = replace(raised, asked_by=raised.asked_by | {request.seller})
        return Enqueueing(Enqueued(raised, created=False, raised=True), write=True)
    if request.seller is not None and request.seller not in current.asked_by:
        return Enqueueing(Enqueued(current.asked(request.seller), created=False), write=True)
    return Enqueueing(Enqueued(current, created=False), write=False)
