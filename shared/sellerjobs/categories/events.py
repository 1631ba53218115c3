"""The events a category fetch announces: when it finishes, and its progress while it runs."""

from __future__ import annotations

from collections.abc import Sequence

from sellerjobs.categories.job import FailedCategory, FetchJob, FetchStatus
from sellerjobs.categories.ports import FetchJobs
from sellerjobs.events.model import EventType, JobEvent
from sellerjobs.events.ports import EventAnnouncer

_FINISHED = {FetchStatus.COMPLETED: EventType.CATEGORY_FETCH_COMPLETED,
             FetchStatus.FAILED: EventType.CATEGORY_FETCH_FAILED,
             FetchStatus.CANCELLED: EventType.CATEGORY_FETCH_CANCELLED}
# A running job announces its progress at most this often.
PROGRESS_INTERVAL_MS = 60_000


def finished(job: FetchJob, status: FetchStatus, now_ms: int, error: str | None,
             errors: Sequence[FailedCategory] = ()) -> tuple[FetchJob, JobEvent]:
    """The job as finishing it stores it, and the event that announces it.

    A finished job can be reopened (retrying its failed categories) and finish again, so the id
    counts finishes: the n-th finish of a job is announced as itself, and the write that stores
    it only succeeds while the job has finished n - 1 times.
    """
    done = job.touched(now_ms, status=status, error=error, finishes=job.finishes + 1)
    event = JobEvent.create(_FINISHED[status].value, ("category_fetch", job.id, done.finishes), now_ms,
                            done.to_api(list(errors)), [job.user_id])
    return done, event


def progress(job: FetchJob, now_ms: int) -> JobEvent:
    """A snapshot of a running job's counters, as stored (the job was read after they were).

    The id names the counters it reports: a second run that reads the same counters produces the
    same event, which the outbox does not store twice.
    """
    return JobEvent.create(EventType.CATEGORY_FETCH_PROGRESS.value,
                           ("category_fetch", job.id, "progress", job.finishes, job.processed), now_ms,
                           job.to_api(), [job.user_id])


# As many failed categories as the status endpoint shows.
ERRORS_IN_EVENT = 100


def finish(jobs: FetchJobs, announcer: EventAnnouncer, job: FetchJob, status: FetchStatus, now_ms: int,
           error: str | None = None) -> bool:
    """Finish ``job`` (as read just before) and store its event in the same write; then tell the
    relay. False if the job was no longer active, or finished by someone else meanwhile."""
    errors = jobs.failures(job.id, ERRORS_IN_EVENT) if job.failed else []
    _, event = finished(job, status, now_ms, error, errors)
    if not jobs.finish(job, status, now_ms, error, [event]):
        return False
    announcer.announce([event])
    return True
