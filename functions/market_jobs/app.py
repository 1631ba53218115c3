"""Market data for sellers' pages: queue price refreshes, list the queue, read cached prices.

Nothing here calls a provider: refreshes are queued for the scheduler, which spends each
provider's hourly budget. Market jobs and prices are shared by every seller (a price is the
same whoever asks) and carry no seller data.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, config, wiring
from sellerjobs.market.job import Priority
from sellerjobs.market.ports import Enqueued
from sellerjobs.market.requests import EnqueueRequest, JobListQuery, PriceQuery, RefreshRequest
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

MAX_BODY_BYTES = 65_536


@app.post("/market/jobs")
@tracer.capture_method
def enqueue() -> Response[Any]:
    user = api.caller(app)
    body = api.validate(EnqueueRequest, api.json_body(app, MAX_BODY_BYTES), _limits())
    return _queued(user.user_id, body.provider.value, body.priority,
                   wiring.market_service().enqueue(body.provider, body.pairs(), body.priority, user.user_id))


@app.post("/market/refresh")
@tracer.capture_method
def refresh() -> Response[Any]:
    user = api.caller(app)
    body = api.validate(RefreshRequest, api.json_body(app, MAX_BODY_BYTES), _limits())
    return _queued(user.user_id, body.provider.value, Priority.MANUAL,
                   wiring.market_service().enqueue(body.provider, body.pairs(), Priority.MANUAL, user.user_id))


@app.get("/market/jobs")
@tracer.capture_method
def list_jobs() -> Response[Any]:
    api.caller(app)
    query = api.validate(JobListQuery, _query("status", "provider", "limit", "cursor"))
    page = wiring.market_service().page(query.status, query.provider, query.limit, query.cursor)
    return api.json_response(HTTPStatus.OK, {"ok": True, "jobs": [j.to_api() for j in page.jobs],
                                             "cursor": page.cursor})


@app.get("/market/prices/<provider>/<sku>")
@tracer.capture_method
def price(provider: str, sku: str) -> Response[Any]:
    user = api.caller(app)
    # HTTP APIs hand over the raw path: "555088%20134" is the sku "555088 134".
    query = api.validate(PriceQuery, {"provider": provider, "sku": unquote(sku)} | _query("size"))
    service = wiring.market_service()
    read = service.price(query.provider, query.sku, query.size, user.user_id)
    if read.price is None:  # never fetched: 202 and the job fetching it
        job = read.job.to_api() if read.job else None
        return api.json_response(HTTPStatus.ACCEPTED, {"ok": True, "price": None, "refreshQueued": True, "job": job})
    return api.json_response(HTTPStatus.OK, {
        "ok": True, "price": read.price.to_api(service.stale_after_ms, service.now_ms()),
        "refreshQueued": read.refresh_queued})


def _queued(user_id: str, provider: str, priority: int, results: list[Enqueued]) -> Response[Any]:
    queued = [r.job.id for r in results if r.created]
    deduplicated = [r.job.id for r in results if not r.created]
    raised = [r.job.id for r in results if r.raised]
    for result in results:
        logger.info("Market job queued" if result.created else "Market job already queued", extra={
            "job_id": result.job.id, "key": result.job.key, "user_id": user_id, "priority": result.job.priority})
    logger.info("Market jobs queued", extra={"user_id": user_id, "provider": provider, "priority": priority,
                                             "queued": len(queued), "deduplicated": len(deduplicated),
                                             "raised": len(raised)})
    return api.json_response(HTTPStatus.ACCEPTED, {
        "ok": True, "queued": queued, "deduplicated": deduplicated, "raised": raised,
        "jobs": [r.job.to_api() for r in results]})


def _limits() -> dict[str, Any]:
    return {"max_items": config.market_settings().max_items}


def _query(*names: str) -> dict[str, str]:
    values = {name: api.query_param(app, name) for name in names}
    return {name: value for name, value in values.items() if value is not None}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
