"""In-memory fakes of the category-fetch ports (``sellerjobs.categories.ports``) and tree builders.

The fakes follow the contracts the DynamoDB adapter (``sellerjobs.aws.category_fetches``) keeps:

* ``take_lease`` succeeds only on an active job whose lease has expired or is already ours, and
  moves an analysed ``queued`` job to ``processing``; ``release_lease`` only lets go of our lease.
* ``complete`` is one transaction per category: the aspects are stored, the work item dropped and
  the counters bumped together, only while the job is active; a work item completed twice (a
  duplicate delivery) is stored and counted once.
* ``add_work`` raises ``JobNotActive`` (the port's error) when the job stopped while its tree
  was read.
* ``fail`` counts only while the job is active; ``finish`` moves only an active job;
  ``requeue_failures`` reopens only a completed or failed job.
* Work items are keyed by (due time, category id), as the adapter's sort key is.
* ``search`` pages by position with a cursor checked to belong to the listing.

tests/integration/test_category_ports_contract.py runs the same tests against both.

test_category_service.py and test_category_worker.py share them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sellerjobs.categories import tree
from sellerjobs.categories.job import (
    AspectRecord,
    Category,
    FailedCategory,
    FetchJob,
    FetchMode,
    FetchStatus,
    RunEntry,
    WorkItem,
)
from sellerjobs.categories.ports import FetchFilter, FetchMessage, JobNotActive, TreeRef
from sellerjobs.categories.service import CategoryFetchService
from sellerjobs.categories.worker import CategoryFetchWorker, FetchSettings
from sellerjobs.clock import ManualClock, now_ms
from sellerjobs.errors import Invalid
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.history import appended
from sellerjobs.jobs.marketplace import ErrorDetail, RequestRejected

# ---------------------------------------------------------------- eBay tree nodes


def node(category_id: str | None, name: str = "", *children: dict[str, Any],
         leaf: bool | None = None) -> dict[str, Any]:
    """A category tree node as eBay's Taxonomy API returns it; a node without children is a leaf."""
    built: dict[str, Any] = {"category": {"categoryId": category_id, "categoryName": name} if category_id else {}}
    if children:
        built["childCategoryTreeNodes"] = list(children)
    is_leaf = not children if leaf is None else leaf
    if is_leaf:
        built["leafCategoryTreeNode"] = True
    return built


def leaf_id(i: int) -> str:
    """Category ids that sort in tree order (the adapter keeps work in category-id order)."""
    return f"{100000 + i}"


def flat_tree(n: int, root_id: str = "0", root_name: str = "Root") -> dict[str, Any]:
    """A root with ``n`` leaves ``leaf_id(0..n-1)`` named "Leaf <i>"."""
    return node(root_id, root_name, *(node(leaf_id(i), f"Leaf {i}") for i in range(n)))


def ebay_tree() -> dict[str, Any]:
    """A small EBAY_US tree: Health & Beauty (26395) with six leaves, Books with two."""
    return node(
        "0", "Root",
        node("26395", "Health & Beauty",
             node("11854", "Makeup",
                  node("172020", "Eyes"), node("172022", "Face"), node("172023", "Lips")),
             node("31411", "Fragrances"),
             node("67588", "Health Care",
                  node("181009", "First Aid"), node("181010", "Pain Relief"))),
        node("267", "Books", node("171228", "Fiction"), node("171229", "Non-Fiction")),
    )


SUBTREE_LEAVES = [Category("172020", "Eyes"), Category("172022", "Face"), Category("172023", "Lips"),
                  Category("31411", "Fragrances"), Category("181009", "First Aid"),
                  Category("181010", "Pain Relief")]


def find(root: dict[str, Any], category_id: str) -> dict[str, Any] | None:
    stack = [root]
    while stack:
        current = stack.pop()
        if (current.get("category") or {}).get("categoryId") == category_id:
            return current
        stack.extend(current.get("childCategoryTreeNodes") or [])
    return None


def aspect(name: str, *values: str) -> dict[str, Any]:
    return {"localizedAspectName": name, "aspectValues": [{"localizedValue": v} for v in values]}


def ebay_error(error_id: int, status: int = 400, message: str = "") -> RequestRejected:
    return RequestRejected(status, [ErrorDetail(error_id=error_id, message=message or f"message {error_id}")])


# ---------------------------------------------------------------- eBay Taxonomy


@dataclass(frozen=True)
class Call:
    operation: str
    arg: str
    at_ms: int


@dataclass
class FakeTaxonomy:
    """eBay's Taxonomy API in memory, with errors on demand.

    ``fail_next(operation, *errors, on=...)`` makes the next calls of ``operation`` (for one
    category or tree id, or any) raise ``errors`` in order before answering again.
    ``break_bulk_after(n, error)`` makes the next aspects file break off after ``n`` entries.
    ``on_call`` runs at every call (before answering), to simulate what happens meanwhile.
    """

    clock: ManualClock
    trees: dict[str, dict[str, Any]] = field(default_factory=lambda: {"0": ebay_tree()})
    markets: dict[str, TreeRef] = field(default_factory=lambda: {"EBAY_US": TreeRef("0", "130")})
    aspects_by_category: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    bulk_entries: Iterable[tuple[str, str, list[dict[str, Any]]]] | None = None  # None: from the tree
    on_call: Callable[[Call], None] | None = None
    calls: list[Call] = field(default_factory=list)
    _failures: dict[tuple[str, str | None], list[Exception]] = field(default_factory=dict)
    _bulk_break: tuple[int, Exception] | None = None

    def fail_next(self, operation: str, *errors: Exception, on: str | None = None) -> None:
        self._failures.setdefault((operation, on), []).extend(errors)

    def break_bulk_after(self, entries: int, error: Exception) -> None:
        self._bulk_break = (entries, error)

    def ops(self, operation: str) -> list[Call]:
        return [c for c in self.calls if c.operation == operation]

    def _call(self, operation: str, arg: str) -> None:
        call = Call(operation, arg, now_ms(self.clock))
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        for key in ((operation, arg), (operation, None)):
            queued = self._failures.get(key)
            if queued:
                raise queued.pop(0)

    def default_tree(self, marketplace_id: str) -> TreeRef:
        self._call("default_tree", marketplace_id)
        if marketplace_id not in self.markets:
            raise ebay_error(62002, 400, f"Invalid marketplace ID {marketplace_id}")
        return self.markets[marketplace_id]

    def subtree(self, tree_id: str, category_id: str) -> dict[str, Any]:
        self._call("subtree", category_id)
        found = find(self.trees[tree_id], category_id)
        if found is None:
            raise ebay_error(62005, 404, f"Invalid category ID {category_id}")
        return found

    def tree(self, tree_id: str) -> dict[str, Any]:
        self._call("tree", tree_id)
        return self.trees[tree_id]

    def aspects(self, tree_id: str, category_id: str) -> list[dict[str, Any]]:
        self._call("aspects", category_id)
        return list(self.aspects_by_category.get(category_id, []))  # none: eBay's 204

    def all_aspects(self, tree_id: str) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
        self._call("all_aspects", tree_id)
        entries = self.bulk_entries
        if entries is None:  # like eBay's file: only the leaves that have aspects
            entries = [(c.category_id, c.name, self.aspects_by_category[c.category_id])
                       for c in tree.leaves(self.trees[tree_id]) if self.aspects_by_category.get(c.category_id)]
        broken, self._bulk_break = self._bulk_break, None
        for i, entry in enumerate(entries):
            if broken is not None and i >= broken[0]:
                raise broken[1]
            yield entry
        if broken is not None:
            raise broken[1]


# ---------------------------------------------------------------- storage


@dataclass
class InMemoryAspectStore:
    records: dict[tuple[str, str], AspectRecord] = field(default_factory=dict)
    writes: Counter[str] = field(default_factory=Counter)  # category id -> times stored

    def put(self, record: AspectRecord) -> None:
        self.records[(record.marketplace_id, record.category_id)] = record
        self.writes[record.category_id] += 1

    def get(self, marketplace_id: str, category_id: str) -> AspectRecord | None:
        return self.records.get((marketplace_id, category_id))


@dataclass
class InMemoryFetchJobs:
    aspects: InMemoryAspectStore = field(default_factory=InMemoryAspectStore)
    jobs: dict[str, FetchJob] = field(default_factory=dict)
    work: dict[str, dict[tuple[int, str], WorkItem]] = field(default_factory=dict)
    slots: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)  # (user, n) -> (owner, until)
    failed: dict[str, dict[str, FailedCategory]] = field(default_factory=dict)
    completions: list[int] = field(default_factory=list)  # categories handed to each complete()
    finishes: list[tuple[str, FetchStatus]] = field(default_factory=list)  # successful finish() calls
    runs: dict[str, tuple[RunEntry, ...]] = field(default_factory=dict)  # each job's run log
    outbox: dict[str, JobEvent] = field(default_factory=dict)  # events stored with finishes and progress

    # -- test helpers ------------------------------------------------------------------------

    def put(self, job: FetchJob) -> FetchJob:
        self.jobs[job.id] = job
        self.work.setdefault(job.id, {})
        self.failed.setdefault(job.id, {})
        return job

    def stored(self, job_id: str) -> FetchJob:
        return self.jobs[job_id]

    def work_of(self, job_id: str) -> list[WorkItem]:
        return [self.work[job_id][key] for key in sorted(self.work.get(job_id, {}))]

    def _update(self, job_id: str, **changes: Any) -> FetchJob:
        self.jobs[job_id] = replace(self.jobs[job_id], **changes)
        return self.jobs[job_id]

    # -- the port ----------------------------------------------------------------------------

    def create(self, job: FetchJob, categories: Sequence[Category]) -> None:
        if job.id in self.jobs:
            raise RuntimeError(f"job {job.id} exists")
        self.put(job)
        for category in categories:
            self.work[job.id][(0, category.category_id)] = WorkItem(category=category)

    def add_work(self, job: FetchJob, categories: Sequence[Category]) -> FetchJob:
        stored = self.jobs[job.id]
        if not stored.status.active:
            raise JobNotActive(job.id)  # as the adapter's conditional update does
        for category in categories:
            self.work[job.id][(0, category.category_id)] = WorkItem(category=category)
        self._update(job.id, analysed=True, total=job.total, mode=job.mode, status=FetchStatus.PROCESSING,
                     updated_at=job.updated_at)
        return job

    def get(self, job_id: str) -> FetchJob | None:
        return self.jobs.get(job_id)

    def for_user(self, user_id: str, limit: int) -> list[FetchJob]:
        mine = [j for j in self.jobs.values() if j.user_id == user_id]
        return sorted(mine, key=lambda j: (not j.status.active, -j.created_at))[:limit]

    def search(self, where: FetchFilter, limit: int, cursor: str | None) -> tuple[list[FetchJob], str | None]:
        """Newest created first; a seller's jobs as ``for_user`` lists them (active first), the
        order of the index the adapter reads them from. A cursor is refused in another seller's
        listing, as the adapter refuses one that leads into another index partition."""
        def position(job: FetchJob) -> tuple[bool, int, str]:
            return (where.seller is not None and not job.status.active, -job.created_at, job.id)

        listed = sorted((j for j in self.jobs.values() if where.matches(j)), key=position)
        after = None
        if cursor:
            try:
                state = json.loads(cursor)
                if state["seller"] != where.seller:
                    raise ValueError("another seller's cursor")
                after = tuple(state["after"])
            except (ValueError, KeyError, TypeError) as exc:
                raise Invalid("cursor is not one this API returned for this search", field="cursor") from exc
        rest = [j for j in listed if after is None or position(j) > after]
        page = rest[:limit]
        more = len(rest) > limit
        return page, json.dumps({"seller": where.seller, "after": list(position(page[-1]))}) if more else None

    def active(self, limit: int) -> list[FetchJob]:
        return sorted((j for j in self.jobs.values() if j.status.active), key=lambda j: j.created_at)[:limit]

    def failures(self, job_id: str, limit: int) -> list[FailedCategory]:
        found = self.failed.get(job_id, {})
        return [found[cid] for cid in sorted(found)][:limit]

    def take_lease(self, job_id: str, owner: str, now_ms: int, until_ms: int) -> FetchJob | None:
        job = self.jobs.get(job_id)
        if job is None or not job.status.active:
            return None
        if job.lease_owner not in (None, owner) and job.lease_until >= now_ms:
            return None
        job = self._update(job_id, lease_owner=owner, lease_until=until_ms)
        if job.analysed and job.status is FetchStatus.QUEUED:
            job = self._update(job_id, status=FetchStatus.PROCESSING)
        return job

    def take_slot(self, user_id: str, owner: str, now_ms: int, until_ms: int, slots: int) -> int | None:
        for slot in range(slots):
            holder = self.slots.get((user_id, slot))
            if holder is None or holder[1] < now_ms or holder[0] == owner:
                self.slots[(user_id, slot)] = (owner, until_ms)
                return slot
        return None

    def release_slot(self, user_id: str, slot: int, owner: str) -> None:
        if self.slots.get((user_id, slot), ("", 0))[0] == owner:
            del self.slots[(user_id, slot)]

    def release_lease(self, job_id: str, owner: str, resume_at: int = 0, run: RunEntry | None = None) -> None:
        job = self.jobs.get(job_id)
        if job is not None and job.lease_owner == owner:
            self._update(job_id, lease_until=0, resume_at=resume_at)
            if run is not None:
                self.runs[job_id] = appended(self.runs.get(job_id, ()), run)

    def run_log(self, job_id: str) -> tuple[RunEntry, ...]:
        return self.runs.get(job_id, ())

    def counts(self) -> dict[str, int]:
        found = Counter(job.status.value for job in self.jobs.values())
        return {status.value: found[status.value] for status in FetchStatus}

    def due_work(self, job_id: str, now_ms: int, limit: int) -> list[WorkItem]:
        return [item for item in self.work_of(job_id) if item.due_at <= now_ms][:limit]

    def all_work(self, job_id: str) -> list[WorkItem]:
        return self.work_of(job_id)

    def next_work_due(self, job_id: str) -> int | None:
        items = self.work_of(job_id)
        return items[0].due_at if items else None

    def complete(self, job: FetchJob, done: Sequence[tuple[WorkItem, AspectRecord]], now_ms: int) -> int:
        self.completions.append(len(done))
        if not self.jobs[job.id].status.active:
            return 0  # the counters' condition fails: nothing is written
        counted = 0
        for item, record in done:
            key = (item.due_at, item.category.category_id)
            if key not in self.work[job.id]:
                continue  # completed by another run already: neither stored nor counted again
            del self.work[job.id][key]
            self.aspects.put(record)
            counted += 1
        if counted:
            stored = self.jobs[job.id]
            self._update(job.id, processed=stored.processed + counted, success=stored.success + counted,
                         updated_at=now_ms)
        return counted

    def postpone(self, job: FetchJob, item: WorkItem, due_at: int, error: str, now_ms: int) -> bool:
        key = (item.due_at, item.category.category_id)
        if key not in self.work[job.id]:
            return False
        del self.work[job.id][key]
        later = WorkItem(category=item.category, due_at=due_at, attempts=item.attempts + 1, last_error=error[:500])
        self.work[job.id][(due_at, item.category.category_id)] = later
        return True

    def fail(self, job: FetchJob, item: WorkItem, error: str, now_ms: int) -> bool:
        key = (item.due_at, item.category.category_id)
        stored = self.jobs[job.id]
        if key not in self.work[job.id] or not stored.status.active:
            return False
        del self.work[job.id][key]
        self.failed[job.id][item.category.category_id] = FailedCategory(item.category, error[:500])
        self._update(job.id, processed=stored.processed + 1, failed=stored.failed + 1, updated_at=now_ms)
        return True

    def finish(self, job: FetchJob, status: FetchStatus, now_ms: int, error: str | None = None,
               events: Sequence[JobEvent] = ()) -> bool:
        stored = self.jobs[job.id]
        if not stored.status.active or (events and stored.finishes != job.finishes):
            return False
        if any(event.id in self.outbox for event in events):
            return False  # the outbox refuses a second copy, and with it the whole write
        self._update(job.id, status=status, updated_at=now_ms, error=error,
                     finishes=stored.finishes + (1 if events else 0))
        self.outbox.update({event.id: event for event in events})
        self.finishes.append((job.id, status))
        return True

    def progress(self, job: FetchJob, event: JobEvent, now_ms: int, interval_ms: int) -> bool:
        stored = self.jobs[job.id]
        if not stored.status.active or (stored.progress_at and stored.progress_at > now_ms - interval_ms) \
                or event.id in self.outbox:
            return False
        self._update(job.id, progress_at=now_ms)
        self.outbox[event.id] = event
        return True

    def requeue_failures(self, job: FetchJob, now_ms: int) -> int:
        stored = self.jobs[job.id]
        failures = self.failed[job.id]
        if stored.status not in (FetchStatus.COMPLETED, FetchStatus.FAILED) or not failures:
            return 0  # nothing to retry leaves the job as it is
        for failure in failures.values():
            cid = failure.category.category_id
            self.work[job.id][(now_ms, cid)] = WorkItem(category=failure.category, due_at=now_ms)
        n = len(failures)
        self.failed[job.id] = {}
        self._update(job.id, processed=stored.processed - n, failed=stored.failed - n,
                     status=FetchStatus.PROCESSING, error=None, resume_at=0, updated_at=now_ms)
        return n


# ---------------------------------------------------------------- queue and budget


@dataclass
class ListFetchQueue:
    """A FetchQueue that keeps what it was given; ``refuse`` makes every send fail."""

    sent: list[FetchMessage] = field(default_factory=list)
    refuse: bool = False

    def send(self, messages: Sequence[FetchMessage]) -> list[FetchMessage]:
        if self.refuse:
            return list(messages)
        self.sent.extend(messages)
        return []

    def take(self) -> list[FetchMessage]:
        taken, self.sent = self.sent, []
        return taken


@dataclass
class BudgetReleases:
    """Counts the worker's ``release_budget`` calls."""

    count: int = 0

    def __call__(self) -> None:
        self.count += 1


# ---------------------------------------------------------------- a world of fakes


SETTINGS = FetchSettings(spacing_s=0.25, run_s=50.0, lease_s=120.0, max_attempts=3, retry_backoff_s=30.0,
                         throttled_wait_s=60.0, bulk_share=0.5)  # spacing exact in binary floating point


@dataclass
class World:
    clock: ManualClock = field(default_factory=ManualClock)
    aspects: InMemoryAspectStore = field(default_factory=InMemoryAspectStore)
    jobs: InMemoryFetchJobs = field(init=False)
    taxonomy: FakeTaxonomy = field(init=False)
    queue: ListFetchQueue = field(default_factory=ListFetchQueue)
    budget: BudgetReleases = field(default_factory=BudgetReleases)

    def __post_init__(self) -> None:
        self.jobs = InMemoryFetchJobs(aspects=self.aspects)
        self.taxonomy = FakeTaxonomy(clock=self.clock)

    def now(self) -> int:
        return now_ms(self.clock)

    def service(self) -> CategoryFetchService:
        return CategoryFetchService(jobs=self.jobs, aspects=self.aspects, taxonomy_factory=lambda: self.taxonomy,
                                    queue=self.queue, clock=self.clock)

    def worker(self, settings: FetchSettings = SETTINGS) -> CategoryFetchWorker:
        return CategoryFetchWorker(jobs=self.jobs, taxonomy=self.taxonomy, queue=self.queue, clock=self.clock,
                                   settings=settings, release_budget=self.budget)

    def add_job(self, categories: Sequence[Category] | None = None, *, job_id: str = "job-1-aaaaaa",
                user_id: str = "alice", mode: FetchMode = FetchMode.PER_CATEGORY, tree_id: str = "0",
                max_categories: int | None = None, created_at: int | None = None) -> FetchJob:
        """A stored job as the service creates it: analysed with ``categories``, or (None) not yet."""
        now = self.now() if created_at is None else created_at
        job = FetchJob(id=job_id, user_id=user_id, marketplace_id="EBAY_US", status=FetchStatus.QUEUED, mode=mode,
                       created_at=now, updated_at=now, max_categories=max_categories, tree_id=tree_id,
                       tree_version="130", analysed=categories is not None, total=len(categories or []),
                       parent_label="Test")
        self.jobs.create(job, categories or [])
        return job

    def categories(self, n: int) -> list[Category]:
        """The leaves of ``flat_tree(n)``, installed as tree "0"."""
        self.taxonomy.trees["0"] = flat_tree(n)
        return tree.leaves(self.taxonomy.trees["0"])
