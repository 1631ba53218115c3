"""The HTTP API's OpenAPI 3.1 document, generated from the request and response models.

The operations are declared here by (method, path); a test checks that they are exactly the
routes template.yaml gives the HTTP API, so neither can change without the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from sellerjobs.categories import views as category_views
from sellerjobs.categories.requests import CategoryFetchRequest
from sellerjobs.market import views as market_views
from sellerjobs.market.requests import EnqueueRequest, RefreshRequest, SettingsRequest
from sellerjobs.operations import views as ops_views
from sellerjobs.operations.requests import BulkFilter, PauseRequest, SellerBulkFilter
from sellerjobs.promotions import views
from sellerjobs.promotions.requests import CredentialsRequest, PromotionBatchRequest, PromotionRequest

REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "query" or "path"
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    responses: dict[int, type[BaseModel] | tuple[type[BaseModel], ...] | None]
    body: tuple[type[BaseModel], ...] = ()
    params: tuple[Param, ...] = ()
    public: bool = False
    tags: tuple[str, ...] = ("promotions",)
    extra: dict[str, Any] = field(default_factory=dict)


JOB_ID = Param("jobId", "path", {"type": "string", "minLength": 1}, required=True)
ACTION_ID = Param("actionId", "path", {"type": "string", "minLength": 1}, required=True)
QUEUE = Param("queue", "path", {"enum": ["promotion", "categoryFetch", "market"]}, required=True)
ERRORS: dict[int, type[BaseModel] | tuple[type[BaseModel], ...] | None] = {
    400: views.ErrorView, 401: views.GatewayError}

OPERATIONS: tuple[Operation, ...] = (
    Operation("POST", "/queue-promotion", "Queue one listing or a batch (the original endpoint)",
              {202: (views.Queued, views.QueuedBatch), 413: views.ErrorView, **ERRORS},
              body=(PromotionRequest, PromotionBatchRequest)),
    Operation("POST", "/promotions", "Queue one listing or a batch",
              {202: (views.Queued, views.QueuedBatch), 413: views.ErrorView, **ERRORS},
              body=(PromotionRequest, PromotionBatchRequest)),
    Operation("GET", "/promotion-status", "A job with ?jobId=, else the caller's stats (the original endpoint)",
              {200: (views.JobEnvelope, views.StatsEnvelope), 404: views.ErrorView, **ERRORS},
              params=(Param("jobId", "query", {"type": "string"}),)),
    Operation("GET", "/promotions/stats", "The caller's queue stats", {200: views.StatsEnvelope, **ERRORS}),
    Operation("GET", "/promotions/{jobId}", "One of the caller's jobs",
              {200: views.JobEnvelope, 404: views.ErrorView, **ERRORS}, params=(JOB_ID,)),
    Operation("GET", "/promotions", "The caller's jobs, by status, a page at a time",
              {200: views.JobPage, **ERRORS},
              params=(Param("status", "query", {"enum": ["pending", "succeeded", "failed", "cancelled"]}),
                      Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100}),
                      Param("cursor", "query", {"type": "string"}))),
    Operation("DELETE", "/promotions/{jobId}", "Cancel an unfinished job",
              {200: views.JobAction, 404: views.ErrorView, 409: views.ErrorView, **ERRORS}, params=(JOB_ID,)),
    Operation("POST", "/promotions/{jobId}/retry", "Queue a failed job again",
              {202: views.JobAction, 404: views.ErrorView, 409: views.ErrorView, **ERRORS}, params=(JOB_ID,)),
    Operation("PUT", "/ebay/credentials", "Store the caller's eBay refresh token (never returned)",
              {200: views.Done, 413: views.ErrorView, **ERRORS}, body=(CredentialsRequest,), tags=("accounts",)),
    Operation("GET", "/ebay/connection", "Whether promotions can act on your eBay account, and what to do if not",
              {200: views.ConnectionEnvelope, **ERRORS}, tags=("accounts",)),
    Operation("POST", "/ebay-fetch-all-categories", "Start a category fetch (the original endpoint)",
              {202: category_views.FetchStarted, 413: views.ErrorView, **ERRORS}, body=(CategoryFetchRequest,),
              tags=("categories",)),
    Operation("POST", "/category-fetches", "Start fetching the item aspects of a category tree's leaves",
              {202: category_views.FetchStarted, 413: views.ErrorView, **ERRORS}, body=(CategoryFetchRequest,),
              tags=("categories",)),
    Operation("GET", "/ebay-fetch-categories-status", "A category fetch's progress (the original endpoint)",
              {200: category_views.FetchStatusEnvelope, 404: views.ErrorView, **ERRORS},
              params=(Param("jobId", "query", {"type": "string"}, required=True),), tags=("categories",)),
    Operation("GET", "/category-fetches/{jobId}", "A category fetch's progress and failed categories",
              {200: category_views.FetchStatusEnvelope, 404: views.ErrorView, **ERRORS}, params=(JOB_ID,),
              tags=("categories",)),
    Operation("GET", "/category-fetches", "The caller's category fetches, active first",
              {200: category_views.FetchList, **ERRORS}, tags=("categories",)),
    Operation("DELETE", "/category-fetches/{jobId}", "Cancel a category fetch",
              {200: category_views.FetchStatusEnvelope, 404: views.ErrorView, 409: views.ErrorView, **ERRORS},
              params=(JOB_ID,), tags=("categories",)),
    Operation("POST", "/category-fetches/{jobId}/retry-failed", "Fetch a finished job's failed categories again",
              {202: category_views.FetchRequeued, 404: views.ErrorView, 409: views.ErrorView, **ERRORS},
              params=(JOB_ID,), tags=("categories",)),
    Operation("GET", "/categories/{marketplaceId}/{categoryId}/aspects", "A leaf category's stored item aspects",
              {200: category_views.StoredAspects, 404: views.ErrorView, **ERRORS},
              params=(Param("marketplaceId", "path", {"type": "string", "minLength": 1}, required=True),
                      Param("categoryId", "path", {"type": "string", "minLength": 1}, required=True)),
              tags=("categories",)),
    Operation("POST", "/market/jobs", "Queue price refreshes for one item or a list (deduplicated)",
              {202: market_views.Enqueued, 413: views.ErrorView, **ERRORS}, body=(EnqueueRequest,),
              tags=("market",)),
    Operation("POST", "/market/refresh", "A seller's refresh: queue items at the highest priority",
              {202: market_views.Enqueued, 413: views.ErrorView, **ERRORS}, body=(RefreshRequest,),
              tags=("market",)),
    Operation("GET", "/market/jobs", "Market jobs by status (and provider), a page at a time",
              {200: market_views.MarketJobPage, **ERRORS},
              params=(Param("status", "query", {"enum": ["pending", "running", "succeeded", "failed", "deferred"]}),
                      Param("provider", "query", {"enum": ["stockx", "alias", "ebay"]}),
                      Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200}),
                      Param("cursor", "query", {"type": "string"})), tags=("market",)),
    Operation("GET", "/market/prices/{provider}/{sku}",
              "A cached price; reading a stale or missing one queues a refresh (202 while none is cached)",
              {200: market_views.PriceEnvelope, 202: market_views.PricePending, 404: views.ErrorView, **ERRORS},
              params=(Param("provider", "path", {"enum": ["stockx", "alias", "ebay"]}, required=True),
                      Param("sku", "path", {"type": "string", "minLength": 1}, required=True),
                      Param("size", "query", {"type": "string"})), tags=("market",)),
    Operation("GET", "/market/overview", "Budgets this hour, jobs by status, recent runs and batches (admin)",
              {200: market_views.Overview, 403: views.ErrorView, **ERRORS}, tags=("market",)),
    Operation("POST", "/market/scheduler/run", "Run the market scheduler now (admin)",
              {200: market_views.SchedulerRan, 403: views.ErrorView, **ERRORS}, tags=("market",)),
    Operation("PUT", "/market/settings", "Change the seller share of each provider's hourly calls (admin)",
              {200: market_views.SettingsChanged, 403: views.ErrorView, **ERRORS}, body=(SettingsRequest,),
              tags=("market",)),
    Operation("POST", "/market/jobs/reset-failed", "Put failed market jobs back in the queue (admin)",
              {200: market_views.FailedReset, 403: views.ErrorView, **ERRORS}, tags=("market",)),
    Operation("GET", "/admin/jobs", "Every seller's jobs of a family, filtered, newest first (admin)",
              {200: (ops_views.PromotionSearchPage, ops_views.FetchSearchPage, ops_views.MarketSearchPage),
               403: views.ErrorView, **ERRORS},
              params=(Param("family", "query", {"enum": ["promotion", "category_fetch", "market"]}),
                      Param("status", "query", {"type": "string"}, description="one of the family's statuses"),
                      Param("seller", "query", {"type": "string"}), Param("listingId", "query", {"type": "string"}),
                      Param("jobId", "query", {"type": "string"}),
                      Param("provider", "query", {"enum": ["stockx", "alias", "ebay"]}),
                      Param("sku", "query", {"type": "string"}), Param("size", "query", {"type": "string"}),
                      Param("reason", "query", {"type": "string"}),
                      Param("since", "query", {"type": "integer", "minimum": 0}),
                      Param("until", "query", {"type": "integer", "minimum": 0}),
                      Param("cursor", "query", {"type": "string"}),
                      Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100})),
              tags=("operations",)),
    Operation("POST", "/admin/promotions/retry", "Retry every failed job a filter matches, as a bulk action (admin)",
              {202: ops_views.BulkStarted, 200: ops_views.BulkPreview, 403: views.ErrorView, 413: views.ErrorView,
               **ERRORS}, body=(BulkFilter,), tags=("operations",)),
    Operation("POST", "/admin/promotions/cancel", "Cancel every pending job a filter matches, as a bulk action (admin)",
              {202: ops_views.BulkStarted, 200: ops_views.BulkPreview, 403: views.ErrorView, 413: views.ErrorView,
               **ERRORS}, body=(BulkFilter,), tags=("operations",)),
    Operation("GET", "/admin/bulk-actions/{actionId}", "A bulk action's progress (admin)",
              {200: ops_views.BulkActionEnvelope, 403: views.ErrorView, 404: views.ErrorView, **ERRORS},
              params=(ACTION_ID,), tags=("operations",)),
    Operation("POST", "/promotions/retry", "Retry your failed jobs a filter matches, as a bulk action",
              {202: ops_views.BulkStarted, 200: ops_views.BulkPreview, 413: views.ErrorView, **ERRORS},
              body=(SellerBulkFilter,)),
    Operation("GET", "/bulk-actions/{actionId}", "One of your bulk actions' progress",
              {200: ops_views.BulkActionEnvelope, 404: views.ErrorView, **ERRORS}, params=(ACTION_ID,)),
    Operation("GET", "/queues", "Every queue's jobs by state, dead-letter depth and age, pauses (admin)",
              {200: ops_views.QueuesView, 403: views.ErrorView, **ERRORS}, tags=("operations",)),
    Operation("POST", "/admin/queues/{queue}/pause", "Pause a queue: nothing new starts, nothing is lost (admin)",
              {200: ops_views.QueuePaused, 403: views.ErrorView, **ERRORS}, body=(PauseRequest,), params=(QUEUE,),
              tags=("operations",), extra={"optional_body": True}),
    Operation("POST", "/admin/queues/{queue}/resume", "Resume a paused queue (admin)",
              {200: ops_views.QueuePaused, 403: views.ErrorView, **ERRORS}, params=(QUEUE,), tags=("operations",)),
    Operation("GET", "/admin", "The dashboard page (static HTML; its data comes from this API)", {200: None},
              public=True, tags=("dashboard",), extra={"html": True}),
    Operation("GET", "/admin/assets/{file}", "A script or stylesheet of the dashboard page",
              {200: None, 404: views.ErrorView}, public=True, tags=("dashboard",),
              extra={"media": ["text/javascript", "text/css"]},
              params=(Param("file", "path", {"type": "string", "minLength": 1}, required=True),)),
    Operation("GET", "/openapi.json", "This document", {200: None}, public=True, tags=("meta",),
              extra={"json": True}),
)


def document(title: str = "sellerjobs", version: str = "1") -> dict[str, Any]:
    models: set[type[BaseModel]] = set()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {"summary": op.summary, "tags": list(op.tags),
                                 "operationId": _operation_id(op), "responses": {}}
        if op.public:
            entry["security"] = []
        if op.params:
            entry["parameters"] = [{"name": p.name, "in": p.where, "required": p.required, "schema": p.schema}
                                   | ({"description": p.description} if p.description else {}) for p in op.params]
        if op.body:
            models.update(op.body)
            entry["requestBody"] = {"required": not op.extra.get("optional_body"),
                                    "content": {"application/json": {"schema": _one_of(op.body)}}}
        for status, answer in op.responses.items():
            entry["responses"][str(status)] = _response(status, answer, op, models)
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    schemas: dict[str, Any] = {}
    for model in sorted(models, key=lambda m: m.__name__):
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Background jobs for marketplace sellers: eBay Promoted Listings ads, "
                                "eBay category aspect fetches, and market prices from StockX, Alias "
                                "and eBay."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "security": [{"jwt": []}],
    }


def _response(status: int, answer: type[BaseModel] | tuple[type[BaseModel], ...] | None, op: Operation,
              models: set[type[BaseModel]]) -> dict[str, Any]:
    if answer is None:
        kinds = op.extra.get("media", ["text/html"] if op.extra.get("html") else ["application/json"])
        return {"description": "OK", "content": {kind: {"schema": {"type": "object" if kind == "application/json"
                                                                   else "string"}} for kind in kinds}}
    variants = answer if isinstance(answer, tuple) else (answer,)
    models.update(variants)
    return {"description": _describe(status), "content": {"application/json": {"schema": _one_of(variants)}}}


def _one_of(models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    refs = [{"$ref": REF.format(model=m.__name__)} for m in models]
    return refs[0] if len(refs) == 1 else {"oneOf": refs}


def _operation_id(op: Operation) -> str:
    words = [w.strip("{}") for w in op.path.replace("-", "/").replace(".", "/").split("/") if w]
    return op.method.lower() + "".join(w[:1].upper() + w[1:] for w in words)


def _describe(status: int) -> str:
    return {200: "OK", 202: "Accepted", 400: "Bad input; `errors` names the fields", 401: "No valid token",
            403: "Needs the admin scope or group", 404: "No such job (or not yours)",
            409: "The job's state does not allow this",
            413: "Body too large"}.get(status, "")
