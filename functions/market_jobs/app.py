"""Market data for sellers' pages: queue price refreshes, list the queue, read cached prices.

Nothing here calls a provider: refreshes are queued for the scheduler, which spends each
provider's hourly budget. Market jobs and prices are shared by every seller (a price is the
same whoever asks) and carry no seller data.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.market import views
from sellerjobs.market.job import MarketStatus, Priority, Provider
from sellerjobs.market.ports import Enqueued
from sellerjobs.market.requests import EnqueueRequest, PathSku, RefreshRequest, Size
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
TAGS = ["market"]
QUEUE: dict[str, Any] = {"status_code": HTTPStatus.ACCEPTED, "tags": TAGS,
                         "responses": api.answers(HTTPStatus.ACCEPTED)}


@app.post("/market/jobs", summary="Queue price refreshes for one item or a list (deduplicated)", **QUEUE)
@tracer.capture_method
def enqueue(user: api.User, body: Annotated[EnqueueRequest, Body()]) -> views.Enqueued:
    results = wiring.services().market_service().enqueue(body.provider, body.pairs(), body.priority, user.user_id)
    return _queued(user.user_id, body.provider, body.priority, results)


@app.post("/market/refresh", summary="A seller's refresh: queue items at the highest priority", **QUEUE)
@tracer.capture_method
def refresh(user: api.User, body: Annotated[RefreshRequest, Body()]) -> views.Enqueued:
    results = wiring.services().market_service().enqueue(body.provider, body.pairs(), Priority.MANUAL, user.user_id)
    return _queued(user.user_id, body.provider, Priority.MANUAL, results)


@app.get("/market/jobs", summary="Market jobs, all or by status (and provider), newest first, a page at a time",
         tags=TAGS)
@tracer.capture_method
def list_jobs(user: api.User,
              status: Annotated[MarketStatus | None, Query(description="all statuses if left out")] = None,
              provider: Annotated[Provider | None, Query()] = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
              cursor: api.Cursor = None) -> views.MarketJobPage:
    page = wiring.services().market_service().page(status, provider, limit, cursor)
    return views.MarketJobPage.model_validate({"ok": True, "jobs": [j.to_api() for j in page.jobs],
                                               "cursor": page.cursor})


@app.get("/market/prices/<provider>/<sku>",
         summary="A cached price; reading a stale or missing one queues a refresh (202 while none is cached)",
         tags=TAGS, responses=api.answers(200, 404, models={202: views.PricePending}))
@tracer.capture_method
def price(user: api.User, provider: Annotated[Provider, Path()], sku: Annotated[PathSku, Path()],
          size: Annotated[Size | None, Query()] = None) -> tuple[views.PriceEnvelope | views.PricePending, int]:
    service = wiring.services().market_service()
    read = service.price(provider, sku, size, user.user_id)
    if read.price is None:  # never fetched: 202 and the job fetching it
        return views.PricePending.model_validate({
            "ok": True, "price": None, "refreshQueued": True, "job": read.job.to_api() if read.job else None,
        }), HTTPStatus.ACCEPTED
    return views.PriceEnvelope.model_validate({
        "ok": True, "price": read.price.to_api(service.stale_after_ms, service.now_ms()),
        "refreshQueued": read.refresh_queued}), HTTPStatus.OK


def _queued(user_id: str, provider: Provider, priority: int, results: list[Enqueued]) -> views.Enqueued:
    queued = [r.job.id for r in results if r.created]
    deduplicated = [r.job.id for r in results if not r.created]
    raised = [r.job.id for r in results if r.raised]
    for result in results:
        logger.info("Market job queued" if result.created else "Market job already queued", extra={
            "job_id": result.job.id, "key": result.job.key, "user_id": user_id, "priority": result.job.priority})
    logger.info("Market jobs queued", extra={"user_id": user_id, "provider": provider.value, "priority": priority,
                                             "queued": len(queued), "deduplicated": len(deduplicated),
                                             "raised": len(raised)})
    return views.Enqueued.model_validate({"ok": True, "queued": queued, "deduplicated": deduplicated,
                                          "raised": raised, "jobs": [r.job.to_api() for r in results]})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
