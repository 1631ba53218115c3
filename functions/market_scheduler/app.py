"""Every minute: spend each market provider's budget on its most important waiting jobs."""

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
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = wiring.services().market_scheduler().run(trigger="schedule")
    for provider, sent in run.dispatched.items():
        metrics.add_metric(name=f"MarketDispatched_{provider}", unit=MetricUnit.Count, value=sent)
    metrics.add_metric(name="MarketStuckReset", unit=MetricUnit.Count, value=run.reset_stuck)
    return run.to_api()
