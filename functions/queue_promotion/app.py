"""POST /queue-promotion and POST /promotions: queue one listing or a batch for promotion."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, config, wiring
from sellerjobs.promotions.requests import PromotionBatchRequest, PromotionRequest
from sellerjobs.promotions.views import first_attempt_note
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()


@app.post("/queue-promotion")
@app.post("/promotions")
@tracer.capture_method
def queue_promotion() -> Response[Any]:
    user = api.caller(app)
    settings = config.promotion_settings()
    body = api.json_body(app, settings.max_body_bytes)
    context = {"bid_bounds": (settings.bid_min, settings.bid_max), "max_batch": settings.max_batch}
    is_batch = "batch" in body
    new = (api.validate(PromotionBatchRequest, body, context).to_new() if is_batch
           else [api.validate(PromotionRequest, body, context).to_new()])
    service = wiring.promotion_service()
    queued = service.enqueue(user.user_id, new)
    # One line per job, so that a query for one job id finds it wherever it sits in a batch.
    for request, result in zip(new, queued, strict=True):
        logger.info("Promotion queued" if result.created else "Promotion already queued", extra={
            "job_id": result.job_id, "listing_id": request.listing_id, "user_id": user.user_id,
            "first_attempt_at": result.first_attempt_at})
    logger.info("Promotions queued", extra={"user_id": user.user_id, "jobs": len(queued),
                                            "jobs_created": sum(q.created for q in queued)})
    firsts = [q.first_attempt_at for q in queued if q.first_attempt_at is not None]
    first = min(firsts) if firsts else None
    note = first_attempt_note(first, service.now_ms()) if first is not None else ""
    if not is_batch:
        return api.json_response(HTTPStatus.ACCEPTED, {
            "success": True, "jobId": queued[0].job_id, "firstAttemptAt": first,
            "message": f"Promotion queued: {note}." if queued[0].created
            else "This listing already has a promotion job in progress."})
    return api.json_response(HTTPStatus.ACCEPTED, {
        "success": True, "jobIds": [q.job_id for q in queued], "count": len(queued), "firstAttemptAt": first,
        "message": f"Queued {len(queued)} promotion jobs: {note}." if first is not None
        else f"Queued {len(queued)} promotion jobs; every listing already had a job in progress."})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
