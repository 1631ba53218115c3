"""A seller's bulk retry of their own failed promotion jobs, and its progress."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, config, wiring
from sellerjobs.operations.requests import SellerBulkFilter
from sellerjobs.promotions.bulk import BulkKind, BulkRequest
from sellerjobs.promotions.job import Status
from sellerjobs.promotions.ports import JobFilter
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

MAX_BODY_BYTES = 4096


@app.post("/promotions/retry")
@tracer.capture_method
def retry() -> Response[Any]:
    user = api.caller(app)
    context = {"status": Status.FAILED.value, "max_jobs": config.bulk_settings().max_jobs}
    body = api.validate(SellerBulkFilter, api.json_body(app, MAX_BODY_BYTES), context)
    request = BulkRequest(kind=BulkKind.RETRY, limit=body.limit, where=JobFilter(
        status=Status.FAILED, listing_id=body.listingId, reason=body.reason, since=body.since, until=body.until))
    service = wiring.bulk_action_service()
    # Scoped to the caller by the service: the seller filter is always the caller's own id.
    if body.dryRun:
        matched, more = service.preview(request, owner=user.user_id)
        return api.json_response(HTTPStatus.OK, {"ok": True, "success": True, "dryRun": True, "matched": matched,
                                                 "more": more, "limit": body.limit})
    action = service.start(request, by=user.user_id, owner=user.user_id)
    return api.json_response(HTTPStatus.ACCEPTED, {
        "ok": True, "success": True, "bulkActionId": action.id, "bulkAction": action.to_api(),
        "message": f"Retrying up to {action.limit} failed jobs; follow it at /bulk-actions/{action.id}"})


@app.get("/bulk-actions/<actionId>")
@tracer.capture_method
def bulk_action(actionId: str) -> Response[Any]:
    user = api.caller(app)
    action = wiring.bulk_action_service().get(actionId, owner=user.user_id)
    return api.json_response(HTTPStatus.OK, {"ok": True, "bulkAction": action.to_api()})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
