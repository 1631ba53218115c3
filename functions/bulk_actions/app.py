"""A seller's bulk retry of their own failed promotion jobs, and its progress."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.operations import views
from sellerjobs.operations.requests import ActionId, RetryFilter
from sellerjobs.promotions.bulk import BulkKind, BulkRequest
from sellerjobs.promotions.job import Status
from sellerjobs.promotions.ports import JobFilter
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
TAGS = ["promotions"]


@app.post("/promotions/retry", summary="Retry your failed jobs a filter matches, as a bulk action", tags=TAGS,
          status_code=HTTPStatus.ACCEPTED, responses=api.answers(
              HTTPStatus.ACCEPTED, description="Queued: follow it at /bulk-actions/{actionId}",
              models={HTTPStatus.OK: views.BulkPreview}))
@tracer.capture_method
def retry(user: api.User, body: Annotated[RetryFilter, Body()]) -> tuple[views.BulkStarted | views.BulkPreview, int]:
    request = BulkRequest(kind=BulkKind.RETRY, limit=body.limit, where=JobFilter(
        status=Status.FAILED, listing_id=body.listingId, reason=body.reason, since=body.since, until=body.until))
    service = wiring.services().bulk_action_service()
    # Scoped to the caller by the service: the seller filter is always the caller's own id.
    if body.dryRun:
        matched, more = service.preview(request, owner=user.user_id)
        return views.BulkPreview(ok=True, success=True, dryRun=True, matched=matched, more=more,
                                 limit=body.limit), HTTPStatus.OK
    action = service.start(request, by=user.user_id, owner=user.user_id)
    return views.BulkStarted.model_validate({
        "ok": True, "success": True, "bulkActionId": action.id, "bulkAction": action.to_api(),
        "message": f"Retrying up to {action.limit} failed jobs; follow it at /bulk-actions/{action.id}"
    }), HTTPStatus.ACCEPTED


@app.get("/bulk-actions/<actionId>", summary="One of your bulk actions' progress", tags=TAGS,
         responses=api.answers(200, 404))
@tracer.capture_method
def bulk_action(user: api.User, actionId: Annotated[ActionId, Path()]) -> views.BulkActionEnvelope:
    action = wiring.services().bulk_action_service().get(actionId, owner=user.user_id)
    return views.BulkActionEnvelope.model_validate({"ok": True, "bulkAction": action.to_api()})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
