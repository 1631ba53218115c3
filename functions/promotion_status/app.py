"""Reading promotion jobs: one job, the caller's queue stats, and jobs by status."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.errors import Invalid
from sellerjobs.promotions.job import Status
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

DEFAULT_LIMIT, MAX_LIMIT = 25, 100


@app.get("/promotion-status")
@tracer.capture_method
def promotion_status() -> Response[Any]:
    """The original endpoint: a job with ``?jobId=``, the caller's stats without."""
    job_id = api.query_param(app, "jobId")
    return job(job_id) if job_id else stats()


@app.get("/promotions/stats")
@tracer.capture_method
def stats() -> Response[Any]:
    user = api.caller(app)
    return api.json_response(200, {"stats": wiring.promotion_service().stats(user.user_id).to_api()})


@app.get("/promotions/<jobId>")
@tracer.capture_method
def job(jobId: str) -> Response[Any]:
    user = api.caller(app)
    found = wiring.promotion_service().get(user.user_id, jobId)
    return api.json_response(200, {"job": found.to_api(history=True)})


@app.get("/promotions")
@tracer.capture_method
def list_jobs() -> Response[Any]:
    user = api.caller(app)
    status = _status(api.query_param(app, "status"))
    limit = _limit(api.query_param(app, "limit"))
    page = wiring.promotion_service().list(user.user_id, status, limit, api.query_param(app, "cursor"))
    return api.json_response(200, {"jobs": [j.to_api() for j in page.jobs], "count": len(page.jobs),
                                   "cursor": page.cursor})


def _status(value: str | None) -> Status | None:
    if value is None:
        return None
    try:
        return Status(value)
    except ValueError:
        raise Invalid(f"status must be one of {', '.join(s.value for s in Status)}", field="status") from None


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise Invalid(f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit")
    return int(value)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
