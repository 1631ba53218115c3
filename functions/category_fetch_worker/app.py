"""The category fetch worker: every minute it fans active jobs out to its queue; each queued job
gets a run that fetches as many categories as the Taxonomy budget and the run's time allow."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from sellerjobs import wiring
from sellerjobs.categories.ports import FetchMessage
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
metrics = Metrics()


class FetchRecord(SqsRecordModel):
    body: Json[FetchMessage]


# A body that does not parse fails its record: SQS delivers it again, then moves it to the DLQ.
processor = BatchProcessor(event_type=EventType.SQS, model=FetchRecord)


def run_job(record: FetchRecord) -> None:
    report = wiring.services().category_worker().run(record.body.job_id, record.body.user_id)
    metrics.add_metric(name="CategoriesFetched", unit=MetricUnit.Count, value=report.fetched)
    metrics.add_metric(name="CategoriesFailed", unit=MetricUnit.Count, value=report.failed)
    metrics.add_metric(name="CategoryRunsDeferred", unit=MetricUnit.Count, value=int(report.deferred))
    metrics.add_metric(name="TaxonomyCalls", unit=MetricUnit.Count, value=report.ebay_calls)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" not in event:  # the every-minute schedule
        fanned_out = wiring.services().category_worker().tick()
        metrics.add_metric(name="CategoryJobsActive", unit=MetricUnit.Count, value=fanned_out)
        return {"jobs": fanned_out}
    return dict(process_partial_response(event=event, record_handler=run_job, processor=processor, context=context))
