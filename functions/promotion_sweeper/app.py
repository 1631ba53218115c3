"""Every minute: re-queue unfinished promotion jobs whose next attempt is long overdue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import wiring
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    report = wiring.services().promotion_sweeper().sweep()
    metrics.add_metric(name="PromotionsRecovered", unit=MetricUnit.Count, value=report.requeued)
    return {"overdue": report.overdue, "requeued": report.requeued, "unsent": report.unsent}
