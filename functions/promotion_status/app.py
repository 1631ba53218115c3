"""Reading promotion jobs: one job, the caller's queue stats, and jobs by status."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.promotions import views
from sellerjobs.promotions.job import Status
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
TAGS = ["promotions"]


@app.get("/promotion-status", summary="A job with ?jobId=, else your stats (the original endpoint)", tags=TAGS,
         responses=api.answers(200, 404))
@tracer.capture_method
def promotion_status(user: api.User, jobId: Annotated[str | None, Query(max_length=128)] = None
                     ) -> views.JobEnvelope | views.StatsEnvelope:
    return job(user, jobId) if jobId else stats(user)


@app.get("/promotions/stats", summary="Your queue stats", tags=TAGS)
@tracer.capture_method
def stats(user: api.User) -> views.StatsEnvelope:
    stats = wiring.services().promotion_service().stats(user.user_id)
    return views.StatsEnvelope.model_validate({"stats": stats.to_api()})


@app.get("/promotions/<jobId>", summary="One of your jobs", tags=TAGS, responses=api.answers(200, 404))
@tracer.capture_method
def job(user: api.User, jobId: api.JobId) -> views.JobEnvelope:
    found = wiring.services().promotion_service().get(user.user_id, jobId)
    return views.JobEnvelope.model_validate({"job": found.to_api(history=True)})


@app.get("/promotions", summary="Your jobs, all or by status, a page at a time", tags=TAGS)
@tracer.capture_method
def list_jobs(user: api.User, status: Annotated[Status | None, Query(description="all statuses if left out")] = None,
              limit: Annotated[int, Query(ge=1, le=100)] = 25, cursor: api.Cursor = None) -> views.JobPage:
    page = wiring.services().promotion_service().list(user.user_id, status, limit, cursor)
    return views.JobPage.model_validate({"jobs": [j.to_api() for j in page.jobs], "count": len(page.jobs),
                                         "cursor": page.cursor})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
