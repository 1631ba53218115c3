"""Delivers job events to sellers' webhook endpoints: one signed POST per message, retried with
backoff through the queue, the last failure sent to the dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from sellerjobs import wiring
from sellerjobs.sqs_batches import parsed_records, report_unsaved
from sellerjobs.tracing import LazyTracer
from sellerjobs.webhooks.model import DeliveryMessage

logger = Logger()
tracer = LazyTracer()
metrics = Metrics()


class DeliveryRecord(SqsRecordModel):
    body: Json[DeliveryMessage]


# A body that does not parse fails its record: SQS delivers it again, then moves it to the DLQ.
processor = BatchProcessor(event_type=EventType.SQS, model=DeliveryRecord)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The deliverer takes the whole batch at once (it reads the endpoints once).
    messages = {record.messageId: record.body for record in parsed_records(event, DeliveryRecord, "webhook delivery")}
    report = wiring.services().webhook_deliverer().process(list(messages.items()),
                                                time_left_s=context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="WebhooksDelivered", unit=MetricUnit.Count, value=report.delivered)
    metrics.add_metric(name="WebhookAttemptsFailed", unit=MetricUnit.Count, value=report.retrying + report.failed)
    metrics.add_metric(name="WebhookDeliveriesFailed", unit=MetricUnit.Count, value=report.failed)
    metrics.add_metric(name="WebhooksDisabled", unit=MetricUnit.Count, value=report.disabled)

    def unsaved(record: DeliveryRecord) -> str | None:
        return "the delivery's outcome was not stored" if record.messageId in report.unsaved else None

    return report_unsaved(event, context, processor, unsaved)
