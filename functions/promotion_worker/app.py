"""Consumes the promotion queue: due jobs go to eBay in bulk, outcomes are stored, retries re-queued."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from sellerjobs import wiring
from sellerjobs.promotions.ports import JobMessage
from sellerjobs.promotions.worker import WorkReport
from sellerjobs.sqs_batches import parsed_records, report_unsaved
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
metrics = Metrics()


class JobRecord(SqsRecordModel):
    body: Json[JobMessage]


# A body that does not parse fails its record: SQS delivers it again, then moves it to the DLQ.
processor = BatchProcessor(event_type=EventType.SQS, model=JobRecord)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The worker needs the whole batch at once (one eBay call per seller and campaign).
    messages = [record.body for record in parsed_records(event, JobRecord, "promotion")]
    time_left_s = context.get_remaining_time_in_millis() / 1000
    report = (wiring.services().promotion_worker().process(messages, time_left_s=time_left_s)
              if messages else WorkReport())
    _publish(report)

    def unsaved(record: JobRecord) -> str | None:
        return f"outcome of job {record.body.job_id} was not stored" if record.body.key in report.unsaved else None

    return report_unsaved(event, context, processor, unsaved)


def _publish(report: WorkReport) -> None:
    metrics.add_metric(name="PromotionsSucceeded", unit=MetricUnit.Count, value=report.succeeded)
    metrics.add_metric(name="PromotionsRetried", unit=MetricUnit.Count, value=report.retrying)
    metrics.add_metric(name="PromotionsFailed", unit=MetricUnit.Count, value=report.failed)
    metrics.add_metric(name="PromotionsDeferred", unit=MetricUnit.Count, value=report.deferred)
    metrics.add_metric(name="EbayCalls", unit=MetricUnit.Count, value=report.ebay_calls)
