"""The operators' console (admin scope or group only): every seller's jobs, and bulk actions."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, config, wiring
from sellerjobs.operations.requests import BulkFilter, JobSearchQuery
from sellerjobs.operations.search import Search
from sellerjobs.promotions.bulk import BulkKind, BulkRequest
from sellerjobs.promotions.job import Status
from sellerjobs.promotions.ports import JobFilter
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

MAX_BODY_BYTES = 4096
QUERY = ("family", "status", "seller", "listingId", "jobId", "provider", "sku", "size", "reason", "since", "until",
         "cursor", "limit")


@app.get("/admin/jobs")
@tracer.capture_method
def search() -> Response[Any]:
    api.admin(app)
    query = api.validate(JobSearchQuery, _query(*QUERY))
    found = wiring.job_search().find(Search(
        family=query.family, status=query.status, seller=query.seller, listing_id=query.listingId,
        job_id=query.jobId, provider=query.provider, sku=query.sku, size=query.size, reason=query.reason,
        since=query.since, until=query.until), query.limit, query.cursor)
    return api.json_response(HTTPStatus.OK, {"ok": True, "family": found.family, "jobs": found.jobs,
                                             "count": len(found.jobs), "cursor": found.cursor})


@app.post("/admin/promotions/retry")
@tracer.capture_method
def retry() -> Response[Any]:
    return _bulk(BulkKind.RETRY)


@app.post("/admin/promotions/cancel")
@tracer.capture_method
def cancel() -> Response[Any]:
    return _bulk(BulkKind.CANCEL)


@app.get("/admin/bulk-actions/<actionId>")
@tracer.capture_method
def bulk_action(actionId: str) -> Response[Any]:
    api.admin(app)
    action = wiring.bulk_action_service().get(actionId, owner=None)
    return api.json_response(HTTPStatus.OK, {"ok": True, "bulkAction": action.to_api()})


def _bulk(kind: BulkKind) -> Response[Any]:
    user = api.admin(app)
    context = {"status": kind.status.value, "max_jobs": config.bulk_settings().max_jobs}
    body = api.validate(BulkFilter, api.json_body(app, MAX_BODY_BYTES), context)
    request = BulkRequest(kind=kind, limit=body.limit, where=JobFilter(
        status=Status(kind.status), seller=body.seller, listing_id=body.listingId, reason=body.reason,
        since=body.since, until=body.until))
    service = wiring.bulk_action_service()
    if body.dryRun:
        matched, more = service.preview(request, owner=None)
        return api.json_response(HTTPStatus.OK, {"ok": True, "success": True, "dryRun": True, "matched": matched,
                                                 "more": more, "limit": body.limit})
    action = service.start(request, by=user.user_id, owner=None)
    return api.json_response(HTTPStatus.ACCEPTED, {
        "ok": True, "success": True, "bulkActionId": action.id, "bulkAction": action.to_api(),
        "message": f"Bulk {kind.value} queued: at most {action.limit} {kind.status.value} jobs; "
                   f"follow it at /admin/bulk-actions/{action.id}"})


def _query(*names: str) -> dict[str, str]:
    values = {name: api.query_param(app, name) for name in names}
    return {name: value for name, value in values.items() if value is not None}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
