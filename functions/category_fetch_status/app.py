"""Reading category fetches: one job's progress, the caller's jobs, and stored aspects."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.categories import views
from sellerjobs.categories.requests import CategoryId, MarketplaceId
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
TAGS = ["categories"]


@app.get("/ebay-fetch-categories-status", summary="A category fetch's progress (the original endpoint)",
         tags=TAGS, responses=api.answers(200, 404))
@tracer.capture_method
def seed_status(user: api.User, jobId: Annotated[str, Query(min_length=1, max_length=128)]
                ) -> views.FetchStatusEnvelope:
    return status(user, jobId)


@app.get("/category-fetches/<jobId>", summary="A category fetch's progress and failed categories", tags=TAGS,
         responses=api.answers(200, 404))
@tracer.capture_method
def status(user: api.User, jobId: api.JobId) -> views.FetchStatusEnvelope:
    return views.FetchStatusEnvelope.model_validate(
        {"ok": True, "status": wiring.services().category_service().report(user.user_id, jobId)})


@app.get("/category-fetches", summary="Your category fetches, active first", tags=TAGS)
@tracer.capture_method
def list_jobs(user: api.User) -> views.FetchList:
    jobs = wiring.services().category_service().list(user.user_id)
    return views.FetchList.model_validate({"ok": True, "jobs": [j.to_api() for j in jobs], "count": len(jobs)})


@app.get("/categories/<marketplaceId>/<categoryId>/aspects", summary="A leaf category's stored item aspects",
         description="eBay's public data, readable by every signed-in seller; 404 until fetched.", tags=TAGS,
         responses=api.answers(200, 404))
@tracer.capture_method(capture_response=False)
def aspects(user: api.User, marketplaceId: Annotated[MarketplaceId, Path()], categoryId: Annotated[CategoryId, Path()]
            ) -> views.StoredAspects:
    record = wiring.services().category_service().stored_aspects(marketplaceId, categoryId)
    return views.StoredAspects.model_validate({"ok": True} | record.to_api())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
