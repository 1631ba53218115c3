"""DELETE /promotions/{jobId} cancels a job; POST /promotions/{jobId}/retry re-queues a failed one."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()


@app.delete("/promotions/<jobId>")
@tracer.capture_method
def cancel(jobId: str) -> Response[Any]:
    user = api.caller(app)
    job = wiring.promotion_service().cancel(user.user_id, jobId)
    logger.info("Job cancelled", extra={"job_id": job.id, "user_id": user.user_id})
    return api.json_response(200, {"success": True, "job": job.to_api(history=True)})


@app.post("/promotions/<jobId>/retry")
@tracer.capture_method
def retry(jobId: str) -> Response[Any]:
    user = api.caller(app)
    job = wiring.promotion_service().retry(user.user_id, jobId)
    logger.info("Job re-queued", extra={"job_id": job.id, "user_id": user.user_id})
    return api.json_response(202, {"success": True, "job": job.to_api(history=True)})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
