"""The event relay: publishes stored job events to the EventBridge bus and fans them out to
sellers' webhook endpoints. Its queue brings the events writers announce; every minute it also
publishes what was stored but never announced, and queues again deliveries whose message was lost."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from sellerjobs import wiring
from sellerjobs.events.ports import RelayMessage
from sellerjobs.events.relay import RelayReport
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
metrics = Metrics()


class RelayRecord(SqsRecordModel):
    body: Json[RelayMessage]


# A body that does not parse fails its record: SQS delivers it again, then moves it to the DLQ.
processor = BatchProcessor(event_type=EventType.SQS, model=RelayRecord)


def relay(record: RelayRecord) -> None:
    report = wiring.services().event_relay().relay(record.body.event_ids)
    _count(report)
    if report.refused:
        raise RuntimeError(f"the bus refused {len(report.refused)} events; the message comes back")


def _count(report: RelayReport) -> None:
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=report.published)
    metrics.add_metric(name="WebhookDeliveriesQueued", unit=MetricUnit.Count, value=report.deliveries)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" not in event:  # the every-minute schedule
        report = wiring.services().event_relay().sweep()
        requeued = wiring.services().webhook_fanout().sweep()
        _count(report)
        metrics.add_metric(name="EventsRecovered", unit=MetricUnit.Count, value=report.published)
        metrics.add_metric(name="WebhookDeliveriesRecovered", unit=MetricUnit.Count, value=requeued)
        return {"published": report.published, "refused": len(report.refused), "deliveriesRequeued": requeued}
    return dict(process_partial_response(event=event, record_handler=relay, processor=processor, context=context))
