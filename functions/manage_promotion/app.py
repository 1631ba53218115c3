"""DELETE /promotions/{jobId} cancels a job; POST /promotions/{jobId}/retry re-queues a failed one."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.promotions import views
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
TAGS = ["promotions"]


@app.delete("/promotions/<jobId>", summary="Cancel an unfinished job", tags=TAGS,
            responses=api.answers(200, 404, 409))
@tracer.capture_method
def cancel(user: api.User, jobId: api.JobId) -> views.JobAction:
    job = wiring.services().promotion_service().cancel(user.user_id, jobId)
    logger.info("Job cancelled", extra={"job_id": job.id, "user_id": user.user_id})
    return views.JobAction.model_validate({"success": True, "job": job.to_api(history=True)})


@app.post("/promotions/<jobId>/retry", summary="Queue a failed job again", tags=TAGS, status_code=HTTPStatus.ACCEPTED,
          responses=api.answers(HTTPStatus.ACCEPTED, 404, 409))
@tracer.capture_method
def retry(user: api.User, jobId: api.JobId) -> views.JobAction:
    job = wiring.services().promotion_service().retry(user.user_id, jobId)
    logger.info("Job re-queued", extra={"job_id": job.id, "user_id": user.user_id})
    return views.JobAction.model_validate({"success": True, "job": job.to_api(history=True)})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
