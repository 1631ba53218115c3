"""Starting, cancelling and retrying category fetches (the initiator: it never fetches aspects)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.categories import views
from sellerjobs.categories.requests import CategoryFetchRequest
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
TAGS = ["categories"]
START: dict[str, Any] = {"status_code": HTTPStatus.ACCEPTED, "tags": TAGS,
                         "responses": api.answers(HTTPStatus.ACCEPTED, 429, 503)}


@app.post("/ebay-fetch-all-categories", summary="Start a category fetch (the original endpoint)", **START)
@app.post("/category-fetches", summary="Start fetching the item aspects of a category's leaves, or a whole tree's",
          **START)
@tracer.capture_method
def start(user: api.User, body: Annotated[CategoryFetchRequest, Body()]) -> views.FetchStarted:
    started = wiring.services().category_service().start(user.user_id, body.marketplaceId, body.parentCategoryId,
                                              body.maxCategories, body.mode)
    job = started.job
    logger.info("Category fetch started", extra={"job_id": job.id, "user_id": user.user_id,
                                                 "categories": job.total, "mode": job.mode.value})
    return views.FetchStarted(ok=True, jobId=job.id, totalCategories=job.total, message=started.message,
                              parentCategory=job.parent_label)


@app.delete("/category-fetches/<jobId>", summary="Cancel a category fetch", tags=TAGS,
            responses=api.answers(200, 404, 409))
@tracer.capture_method
def cancel(user: api.User, jobId: api.JobId) -> views.FetchStatusEnvelope:
    job = wiring.services().category_service().cancel(user.user_id, jobId)
    logger.info("Category fetch cancelled", extra={"job_id": job.id, "user_id": user.user_id})
    return views.FetchStatusEnvelope.model_validate({"ok": True, "status": job.to_api()})


@app.post("/category-fetches/<jobId>/retry-failed", summary="Fetch a finished job's failed categories again",
          tags=TAGS, status_code=HTTPStatus.ACCEPTED, responses=api.answers(HTTPStatus.ACCEPTED, 404, 409))
@tracer.capture_method
def retry_failed(user: api.User, jobId: api.JobId) -> views.FetchRequeued:
    job, requeued = wiring.services().category_service().retry_failed(user.user_id, jobId)
    logger.info("Failed categories re-queued", extra={"job_id": job.id, "requeued": requeued})
    return views.FetchRequeued.model_validate({"ok": True, "status": job.to_api(), "requeued": requeued})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
