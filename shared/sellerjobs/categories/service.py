"""What the category-fetch API does: start jobs, report progress, cancel, retry what failed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sellerjobs.categories import events as category_events
from sellerjobs.categories import tree
from sellerjobs.categories.job import AspectRecord, FailedCategory, FetchJob, FetchMode, FetchStatus, new_job_id
from sellerjobs.categories.ports import AspectStore, FetchJobs, FetchMessage, FetchQueue, Taxonomy
from sellerjobs.clock import Clock, now_ms
from sellerjobs.errors import Conflict, Invalid, NotFound
from sellerjobs.events.ports import EventAnnouncer, NoAnnouncer
from sellerjobs.jobs.marketplace import RequestRejected

# eBay's Taxonomy error ids that mean "your input is wrong", and which field it was.
MARKETPLACE_ERRORS = frozenset({62002, 62003})
CATEGORY_ERRORS = frozenset({62004, 62005, 62006, 62007})
MAX_ERRORS_SHOWN = 100
T = TypeVar("T")


class FetchNotFound(NotFound):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"category fetch job {job_id} not found", field="jobId")


class AspectsNotFound(NotFound):
    def __init__(self, marketplace_id: str, category_id: str) -> None:
        super().__init__(f"no aspects stored for category {category_id} on {marketplace_id}", field="categoryId")


@dataclass(frozen=True)
class Started:
    job: FetchJob
    message: str


@dataclass
class CategoryFetchService:
    jobs: FetchJobs
    aspects: AspectStore
    # Built on first use: the functions that only read jobs and aspects never configure eBay.
    taxonomy_factory: Callable[[], Taxonomy]
    queue: FetchQueue
    clock: Clock
    events: EventAnnouncer = field(default_factory=NoAnnouncer)

    def start(self, user_id: str, marketplace_id: str, parent_id: str | None, limit: int | None,
              mode: FetchMode) -> Started:
        """Read the categories to fetch and store the job; the worker fetches their aspects.

        A subtree is read here. A whole tree can be too big to read within the API's time
        limit, so that job starts ``queued`` and the worker reads the tree first.
        """
        now = now_ms(self.clock)
        tree_ref = self._call(lambda: self.taxonomy_factory().default_tree(marketplace_id), field="marketplaceId")
        job = FetchJob(id=new_job_id(now), user_id=user_id, marketplace_id=marketplace_id,
                       status=FetchStatus.QUEUED, mode=mode, created_at=now, updated_at=now,
                       parent_category_id=parent_id, max_categories=limit, tree_id=tree_ref.tree_id,
                       tree_version=tree_ref.version,
                       parent_label=f"All categories ({marketplace_id})")
        categories = []
        if parent_id is not None:
            node = self._call(lambda: self.taxonomy_factory().subtree(tree_ref.tree_id, parent_id),
                              field="parentCategoryId")
            categories = tree.leaves(node, limit)
            job = job.touched(now, parent_label=tree.label(node), analysed=True, total=len(categories),
                              mode=FetchMode.PER_CATEGORY if mode is FetchMode.AUTO else mode)
        self.jobs.create(job, categories)
        self.queue.send([FetchMessage(job_id=job.id, not_before=now, user_id=user_id)])
        if job.analysed:
            message = (f"Background job created: {job.total} categories will be fetched in the background. "
                       "Poll its status for progress.")
        else:
            message = "Background job created: the category tree is being read; the count follows shortly."
        return Started(job=job, message=message)

    def _call(self, call: Callable[[], T], *, field: str) -> T:
        """eBay refusing the marketplace or the category is the caller's bad input: a 400."""
        try:
            return call()
        except RequestRejected as exc:
            ids = {e.error_id for e in exc.errors}
            if ids & (MARKETPLACE_ERRORS | CATEGORY_ERRORS) or 400 <= exc.status < 500:
                raise Invalid(f"eBay: {exc}", field=field) from exc
            raise

    def status(self, user_id: str, job_id: str) -> tuple[FetchJob, list[FailedCategory]]:
        job = self._own(user_id, job_id)
        errors = self.jobs.failures(job.id, MAX_ERRORS_SHOWN) if job.failed else []
        return job, errors

    def report(self, user_id: str, job_id: str) -> dict[str, Any]:
        """The job as its status endpoints show it: progress, failed categories and its run log."""
        job, errors = self.status(user_id, job_id)
        return job.to_api(errors, self.jobs.run_log(job.id))

    def list(self, user_id: str, limit: int = 50) -> list[FetchJob]:
        return self.jobs.for_user(user_id, limit)

    def cancel(self, user_id: str, job_id: str) -> FetchJob:
        job = self._own(user_id, job_id)
        for _ in range(3):  # a job finished and reopened between the read and the write: read again
            if category_events.finish(self.jobs, self.events, job, FetchStatus.CANCELLED, now_ms(self.clock)):
                return self._own(user_id, job_id)
            job = self._own(user_id, job_id)
            if not job.status.active:
                break
        raise Conflict(f"category fetch job {job_id} is already {job.status.value}", field="jobId")

    def retry_failed(self, user_id: str, job_id: str) -> tuple[FetchJob, int]:
        job = self._own(user_id, job_id)
        if job.status.active:
            raise Conflict(f"category fetch job {job_id} is still {job.status.value}; retry when it has finished",
                           field="jobId")
        if job.failed == 0:
            raise Conflict(f"category fetch job {job_id} has no failed categories", field="jobId")
        now = now_ms(self.clock)
        requeued = self.jobs.requeue_failures(job, now)
        self.queue.send([FetchMessage(job_id=job.id, not_before=now, user_id=user_id)])
        return self._own(user_id, job_id), requeued

    def stored_aspects(self, marketplace_id: str, category_id: str) -> AspectRecord:
        record = self.aspects.get(marketplace_id, category_id)
        if record is None:
            raise AspectsNotFound(marketplace_id, category_id)
        return record

    def _own(self, user_id: str, job_id: str) -> FetchJob:
        job = self.jobs.get(job_id)
        if job is None or job.user_id != user_id:  # another user's job does not exist for you
            raise FetchNotFound(job_id)
        return job
