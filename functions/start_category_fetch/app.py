"""Starting, cancelling and retrying category fetches (the initiator: it never fetches aspects)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.categories.requests import CategoryFetchRequest
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

MAX_BODY_BYTES = 4096


@app.post("/ebay-fetch-all-categories")
@app.post("/category-fetches")
@tracer.capture_method
def start() -> Response[Any]:
    user = api.caller(app)
    body = api.validate(CategoryFetchRequest, api.json_body(app, MAX_BODY_BYTES))
    started = wiring.category_service().start(user.user_id, body.marketplaceId, body.parentCategoryId,
                                              body.maxCategories, body.mode)
    job = started.job
    logger.info("Category fetch started", extra={"job_id": job.id, "user_id": user.user_id,
                                                 "categories": job.total, "mode": job.mode.value})
    return api.json_response(HTTPStatus.ACCEPTED, {
        "ok": True, "jobId": job.id, "totalCategories": job.total, "message": started.message,
        "parentCategory": job.parent_label})


@app.delete("/category-fetches/<jobId>")
@tracer.capture_method
def cancel(jobId: str) -> Response[Any]:
    user = api.caller(app)
    job = wiring.category_service().cancel(user.user_id, jobId)
    logger.info("Category fetch cancelled", extra={"job_id": job.id, "user_id": user.user_id})
    return api.json_response(HTTPStatus.OK, {"ok": True, "status": job.to_api()})


@app.post("/category-fetches/<jobId>/retry-failed")
@tracer.capture_method
def retry_failed(jobId: str) -> Response[Any]:
    user = api.caller(app)
    job, requeued = wiring.category_service().retry_failed(user.user_id, jobId)
    logger.info("Failed categories re-queued", extra={"job_id": job.id, "requeued": requeued})
    return api.json_response(HTTPStatus.ACCEPTED, {"ok": True, "status": job.to_api(), "requeued": requeued})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
