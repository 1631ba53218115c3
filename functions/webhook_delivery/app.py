"""Delivers job events to sellers' webhook endpoints: one signed POST per message, retried with
backoff through the queue, the last failure sent to the dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json, ValidationError

from sellerjobs import wiring
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
    # The deliverer takes the whole batch at once (it reads the endpoints once), so it runs
    # first; Powertools then reports, record by record, which messages must come back.
    messages: dict[str, DeliveryMessage] = {}
    for raw in event.get("Records", []):
        try:
            record = DeliveryRecord.model_validate(raw)
            messages[record.messageId] = record.body
        except ValidationError:
            # The processor below fails this record with the same model: left for the DLQ to keep.
            logger.error("Malformed webhook delivery message", extra={"message_id": raw.get("messageId")})
    report = wiring.webhook_deliverer().process(list(messages.items()),
                                                time_left_s=context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="WebhooksDelivered", unit=MetricUnit.Count, value=report.delivered)
    metrics.add_metric(name="WebhookAttemptsFailed", unit=MetricUnit.Count, value=report.retrying + report.failed)
    metrics.add_metric(name="WebhookDeliveriesFailed", unit=MetricUnit.Count, value=report.failed)
    metrics.add_metric(name="WebhooksDisabled", unit=MetricUnit.Count, value=report.disabled)

    def record_handler(record: DeliveryRecord) -> None:
        if record.messageId in report.unsaved:
            raise RuntimeError("the delivery's outcome was not stored")

    return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                         context=context))
