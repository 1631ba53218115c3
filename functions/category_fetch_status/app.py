"""Reading category fetches: one job's progress, the caller's jobs, and stored aspects."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.errors import Invalid
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()


@app.get("/ebay-fetch-categories-status")
@tracer.capture_method
def seed_status() -> Response[Any]:
    """The original endpoint: ``?jobId=``."""
    job_id = api.query_param(app, "jobId")
    if job_id is None:
        raise Invalid("jobId is required", field="jobId")
    return status(job_id)


@app.get("/category-fetches/<jobId>")
@tracer.capture_method
def status(jobId: str) -> Response[Any]:
    user = api.caller(app)
    return api.json_response(200, {"ok": True, "status": wiring.category_service().report(user.user_id, jobId)})


@app.get("/category-fetches")
@tracer.capture_method
def list_jobs() -> Response[Any]:
    user = api.caller(app)
    jobs = wiring.category_service().list(user.user_id)
    return api.json_response(200, {"ok": True, "jobs": [j.to_api() for j in jobs], "count": len(jobs)})


@app.get("/categories/<marketplaceId>/<categoryId>/aspects")
@tracer.capture_method(capture_response=False)
def aspects(marketplaceId: str, categoryId: str) -> Response[Any]:
    api.caller(app)  # stored aspects are eBay's public data, shared by every signed-in seller
    record = wiring.category_service().stored_aspects(marketplaceId, categoryId)
    return api.json_response(200, {"ok": True} | record.to_api())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
