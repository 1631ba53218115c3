"""POST /queue-promotion and POST /promotions: queue one listing or a batch for promotion."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.promotions import views
from sellerjobs.promotions.requests import PromotionBatchRequest, QueueRequest
from sellerjobs.promotions.service import NewPromotion, Queued
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

QUEUE: dict[str, Any] = {"status_code": HTTPStatus.ACCEPTED, "tags": ["promotions"],
                         "responses": api.answers(HTTPStatus.ACCEPTED, HTTPStatus.CONFLICT)}


@app.post("/queue-promotion", summary="Queue one listing or a batch (the original endpoint)", **QUEUE)
@app.post("/promotions", summary="Queue one listing or a batch", **QUEUE)
@tracer.capture_method
def queue_promotion(user: api.User, body: Annotated[QueueRequest, Body()]) -> views.Queued | views.QueuedBatch:
    service = wiring.services().promotion_service()
    if isinstance(body, PromotionBatchRequest):
        return views.queued(_enqueue(user, body.to_new()), service.now_ms(), duplicates=body.duplicates())
    return views.queued_one(_enqueue(user, [body.to_new()])[0], service.now_ms())


def _enqueue(user: api.Caller, requests: list[NewPromotion]) -> list[Queued]:
    results = wiring.services().promotion_service().enqueue(user.user_id, requests)
    # One line per job, so that a query for one job id finds it wherever it sits in a batch.
    for result in results:
        logger.info("Promotion queued" if result.created else "Promotion already queued", extra={
            "job_id": result.job_id, "listing_id": result.listing_id, "user_id": user.user_id,
            "outcome": result.outcome.value, "first_attempt_at": result.first_attempt_at})
    logger.info("Promotions queued", extra={"user_id": user.user_id, "jobs": len(results),
                                            "jobs_created": sum(r.created for r in results)})
    return results


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
