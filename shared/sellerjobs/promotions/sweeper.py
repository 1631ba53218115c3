"""Recovers jobs whose next attempt never arrived.

SQS rarely loses a message, but our own code can: the job's next attempt is written first and
its message sent second, so a failed send (or a crash between the two) leaves a job waiting for
a message that will never come. Every minute the sweeper looks for unfinished jobs more than
two minutes overdue (through a sparse index of unfinished jobs, never a scan), moves each one's
version on so any straggling message for it is void, and queues it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger

from sellerjobs.clock import Clock, now_ms
from sellerjobs.promotions.ports import DelayQueue, JobRepository
from sellerjobs.promotions.service import message_for

logger = Logger(child=True)


@dataclass(frozen=True)
class SweepReport:
    overdue: int
    requeued: int
    unsent: int


@dataclass
class PromotionSweeper:
    jobs: JobRepository
    queue: DelayQueue
    clock: Clock
    overdue_s: float
    max_jobs: int

    def sweep(self) -> SweepReport:
        now = now_ms(self.clock)
        overdue = self.jobs.overdue(before_ms=now - int(self.overdue_s * 1000), limit=self.max_jobs)
        requeued = []
        for job in overdue:
            revived = job.recover(now)
            if self.jobs.save(job, revived):  # False: a worker got to it meanwhile
                requeued.append(revived)
                logger.warning("Overdue job re-queued", extra={
                    "job_id": job.id, "user_id": job.user_id, "listing_id": job.listing_id,
                    "attempt": job.attempts, "overdue_s": (now - (job.next_retry_at or now)) / 1000})
        unsent = self.queue.send([message_for(job) for job in requeued])
        report = SweepReport(overdue=len(overdue), requeued=len(requeued) - len(unsent), unsent=len(unsent))
        logger.info(f"Sweep complete: {report.overdue} overdue, {report.requeued} re-queued",
                    extra={"overdue": report.overdue, "requeued": report.requeued, "unsent": report.unsent})
        return report
