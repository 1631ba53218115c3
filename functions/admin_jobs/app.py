"""The operators' console (admin scope or group only): every seller's jobs, and bulk actions."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.market.job import Provider
from sellerjobs.operations import views
from sellerjobs.operations.requests import (
    ActionId,
    AdminCancelFilter,
    AdminRetryFilter,
    Family,
    Instant,
    JobSearchQuery,
    ListingId,
    Reason,
    SearchJobId,
    SizeName,
    Sku,
    StatusName,
    UserId,
)
from sellerjobs.operations.search import Search
from sellerjobs.promotions.bulk import BulkKind, BulkRequest
from sellerjobs.promotions.job import Status
from sellerjobs.promotions.ports import JobFilter
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
TAGS = ["operations"]
BULK: dict[str, Any] = {"status_code": HTTPStatus.ACCEPTED, "tags": TAGS, "responses": api.answers(
    HTTPStatus.ACCEPTED, HTTPStatus.FORBIDDEN, description="Queued: follow it at /admin/bulk-actions/{actionId}",
    models={HTTPStatus.OK: views.BulkPreview})}


@app.get("/admin/jobs", summary="Every seller's jobs of a family, filtered, newest first (admin)", tags=TAGS,
         description="A search by a job's own key (jobId; a market job's provider, sku and size) answers the job "
                     "with its history.", responses=api.answers(200, 403))
@tracer.capture_method
def search(user: api.Admin,
           family: Annotated[Family, Query(description="promotion, category_fetch or market")] = "promotion",
           status: Annotated[StatusName | None, Query(description="one of the family's statuses")] = None,
           seller: Annotated[UserId | None, Query(description="the seller's user id (promotion, category_fetch)")]
           = None,
           listingId: Annotated[ListingId | None, Query(description="an eBay listing id (promotion)")] = None,
           jobId: Annotated[SearchJobId | None, Query(description="a job id (promotion, category_fetch)")] = None,
           provider: Annotated[Provider | None, Query(description="market")] = None,
           sku: Annotated[Sku | None, Query(description="a market job's sku, with provider (and size): that job")]
           = None,
           size: Annotated[SizeName | None, Query(description="market, with sku")] = None,
           reason: Annotated[Reason | None, Query(description="text in the job's last error, any case")] = None,
           since: Annotated[Instant | None, Query(description="epoch ms")] = None,
           until: Annotated[Instant | None, Query(description="epoch ms")] = None,
           limit: Annotated[int, Query(ge=1, le=100)] = 25, cursor: api.Cursor = None,
           ) -> views.PromotionSearchPage | views.FetchSearchPage | views.MarketSearchPage:
    query = api.checked(JobSearchQuery, {
        "family": family, "status": status, "seller": seller, "listingId": listingId, "jobId": jobId,
        "provider": provider, "sku": sku, "size": size, "reason": reason, "since": since, "until": until})
    found = wiring.services().job_search().find(Search(
        family=query.family, status=query.status, seller=query.seller, listing_id=query.listingId,
        job_id=query.jobId, provider=query.provider, sku=query.sku, size=query.size, reason=query.reason,
        since=query.since, until=query.until), limit, cursor)
    page = {"ok": True, "family": found.family, "jobs": found.jobs, "count": len(found.jobs), "cursor": found.cursor}
    if found.family == "promotion":
        return views.PromotionSearchPage.model_validate(page)
    if found.family == "category_fetch":
        return views.FetchSearchPage.model_validate(page)
    return views.MarketSearchPage.model_validate(page)


@app.post("/admin/promotions/retry", summary="Retry every failed job a filter matches, as a bulk action (admin)",
          **BULK)
@tracer.capture_method
def retry(user: api.Admin, body: Annotated[AdminRetryFilter, Body()]
          ) -> tuple[views.BulkStarted | views.BulkPreview, int]:
    return _bulk(user, BulkKind.RETRY, body)


@app.post("/admin/promotions/cancel", summary="Cancel every pending job a filter matches, as a bulk action (admin)",
          **BULK)
@tracer.capture_method
def cancel(user: api.Admin, body: Annotated[AdminCancelFilter, Body()]
           ) -> tuple[views.BulkStarted | views.BulkPreview, int]:
    return _bulk(user, BulkKind.CANCEL, body)


@app.get("/admin/bulk-actions/<actionId>", summary="A bulk action's progress (admin)", tags=TAGS,
         responses=api.answers(200, 403, 404))
@tracer.capture_method
def bulk_action(user: api.Admin, actionId: Annotated[ActionId, Path()]) -> views.BulkActionEnvelope:
    action = wiring.services().bulk_action_service().get(actionId, owner=None)
    return views.BulkActionEnvelope.model_validate({"ok": True, "bulkAction": action.to_api()})


def _bulk(user: api.Caller, kind: BulkKind, body: AdminRetryFilter | AdminCancelFilter
          ) -> tuple[views.BulkStarted | views.BulkPreview, int]:
    request = BulkRequest(kind=kind, limit=body.limit, where=JobFilter(
        status=Status(kind.status), seller=body.seller, listing_id=body.listingId, reason=body.reason,
        since=body.since, until=body.until))
    service = wiring.services().bulk_action_service()
    if body.dryRun:
        matched, more = service.preview(request, owner=None)
        return views.BulkPreview(ok=True, success=True, dryRun=True, matched=matched, more=more,
                                 limit=body.limit), HTTPStatus.OK
    action = service.start(request, by=user.user_id, owner=None)
    return views.BulkStarted.model_validate({
        "ok": True, "success": True, "bulkActionId": action.id, "bulkAction": action.to_api(),
        "message": f"Bulk {kind.value} queued: at most {action.limit} {kind.status.value} jobs; "
                   f"follow it at /admin/bulk-actions/{action.id}"}), HTTPStatus.ACCEPTED


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
