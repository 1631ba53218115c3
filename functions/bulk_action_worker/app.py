"""Consumes the bulk action queue: each message is one run of a bulk retry or cancel."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from sellerjobs import wiring
from sellerjobs.promotions.bulk import BulkMessage
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
metrics = Metrics()


class BulkRecord(SqsRecordModel):
    body: Json[BulkMessage]


# A body that does not parse fails its record: SQS delivers it again, then moves it to the DLQ.
processor = BatchProcessor(event_type=EventType.SQS, model=BulkRecord)


def run_action(record: BulkRecord) -> None:
    report = wiring.services().bulk_worker().run(record.body.action_id)
    metrics.add_metric(name="BulkJobsDone", unit=MetricUnit.Count, value=report.done)
    metrics.add_metric(name="BulkJobsSkipped", unit=MetricUnit.Count, value=report.skipped)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=run_action, processor=processor,
                                         context=context))
