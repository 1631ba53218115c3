"""Consumes the market queue: each message is one provider's batch of running jobs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from sellerjobs import wiring
from sellerjobs.market.ports import MarketBatch
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
metrics = Metrics()


class BatchRecord(SqsRecordModel):
    body: Json[MarketBatch]


# A body that does not parse fails its record: SQS delivers it again, then moves it to the DLQ.
processor = BatchProcessor(event_type=EventType.SQS, model=BatchRecord)


def work_batch(record: BatchRecord) -> None:
    batch = record.body
    # A second delivery cannot know which calls the first one made before it died, so it pays
    # for its calls afresh instead of trusting the reservation.
    first = record.attributes.ApproximateReceiveCount in ("", "1")
    result = wiring.services().market_worker().process(batch, first_delivery=first)
    # One metric per provider (a name suffix rather than a dimension: a dimension would apply
    # to every metric this invocation flushes).
    for name, value in (("MarketJobsSucceeded", result.succeeded), ("MarketJobsFailed", result.failed),
                        ("MarketJobsDeferred", result.deferred), ("MarketProviderCalls", result.calls)):
        metrics.add_metric(name=f"{name}_{batch.provider.value}", unit=MetricUnit.Count, value=value)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=work_batch, processor=processor,
                                         context=context))
