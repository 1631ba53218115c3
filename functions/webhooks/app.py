"""Sellers' webhook endpoints (register, list, change, rotate, delete, deliveries, test) and, for
admins, the latest job events (GET /admin/events)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.api.idempotency import Withheld
from sellerjobs.tracing import LazyTracer
from sellerjobs.webhooks import views
from sellerjobs.webhooks.model import Webhook
from sellerjobs.webhooks.requests import WebhookCreate, WebhookUpdate

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
TAGS = ["webhooks"]

WebhookId = Annotated[str, Path(min_length=1, max_length=64, description="a webhook id as the API returned it")]
NOT_YOURS = {404: "No such webhook endpoint (or not yours)"}


@app.post("/webhooks", summary="Register a webhook endpoint (the answer holds its secret, shown only here)",
          status_code=HTTPStatus.CREATED, tags=TAGS,
          responses=api.answers(HTTPStatus.CREATED, refusals={
              409: "The seller has as many endpoints as allowed (10); delete one first"}))
@tracer.capture_method(capture_response=False)  # the answer holds the secret
def create(user: api.User, body: Annotated[WebhookCreate, Body()]) -> views.WebhookWithSecret:
    hooks = wiring.services().webhook_service()
    hook = hooks.create(user.user_id, body.url, [e.value for e in body.events], body.description)
    logger.info("Webhook created", extra={"webhook_id": hook.id, "user_id": user.user_id, "events": list(hook.events)})
    return _with_secret(hook)


@app.get("/webhooks", summary="Your webhook endpoints, oldest first (never their secrets)", tags=TAGS)
@tracer.capture_method
def list_webhooks(user: api.User) -> views.WebhookList:
    hooks = wiring.services().webhook_service().for_user(user.user_id)
    return views.WebhookList.model_validate({"webhooks": [h.to_api() for h in hooks]})


@app.get("/webhooks/<webhookId>", summary="One of your webhook endpoints (never its secret)", tags=TAGS,
         responses=api.answers(200, refusals=NOT_YOURS))
@tracer.capture_method
def get(user: api.User, webhookId: WebhookId) -> views.WebhookView:
    return views.WebhookView.model_validate(wiring.services().webhook_service().get(user.user_id, webhookId).to_api())


@app.patch("/webhooks/<webhookId>", summary="Enable or disable an endpoint, or change its events or description",
           tags=TAGS, responses=api.answers(200, refusals=NOT_YOURS))
@tracer.capture_method
def update(user: api.User, webhookId: WebhookId, body: Annotated[WebhookUpdate, Body()]) -> views.WebhookView:
    hook = wiring.services().webhook_service().update(user.user_id, webhookId, status=body.status,
                                           events=[e.value for e in body.events] if body.events else None,
                                           description=body.description)
    logger.info("Webhook changed", extra={"webhook_id": webhookId, "user_id": user.user_id, "status": hook.status})
    return views.WebhookView.model_validate(hook.to_api())


@app.delete("/webhooks/<webhookId>", summary="Delete an endpoint: no more deliveries to it",
            status_code=HTTPStatus.NO_CONTENT, tags=TAGS,
            responses=api.answers(HTTPStatus.NO_CONTENT, refusals=NOT_YOURS))
@tracer.capture_method
def delete(user: api.User, webhookId: WebhookId) -> Response[None]:
    wiring.services().webhook_service().delete(user.user_id, webhookId)
    logger.info("Webhook deleted", extra={"webhook_id": webhookId, "user_id": user.user_id})
    return Response(status_code=HTTPStatus.NO_CONTENT, body=None)


@app.post("/webhooks/<webhookId>/rotate-secret",
          summary="A new signing secret; the old one keeps signing for 24 hours (both signatures are sent)",
          tags=TAGS, responses=api.answers(200, refusals=NOT_YOURS))
@tracer.capture_method(capture_response=False)  # the answer holds the new secret
def rotate(user: api.User, webhookId: WebhookId) -> views.WebhookWithSecret:
    hook = wiring.services().webhook_service().rotate(user.user_id, webhookId)
    logger.info("Webhook secret rotated", extra={"webhook_id": webhookId, "user_id": user.user_id})
    return _with_secret(hook)


@app.get("/webhooks/<webhookId>/deliveries", summary="An endpoint's recent deliveries, newest event first",
         tags=TAGS, responses=api.answers(200, refusals=NOT_YOURS))
@tracer.capture_method
def deliveries(user: api.User, webhookId: WebhookId,
               limit: Annotated[int, Query(ge=1, le=100)] = 50) -> views.DeliveryList:
    found = wiring.services().webhook_service().recent_deliveries(user.user_id, webhookId, limit)
    return views.DeliveryList.model_validate({"webhookId": webhookId, "deliveries": [d.to_api() for d in found]})


@app.post("/webhooks/<webhookId>/test", summary="Send the endpoint a webhook.test event",
          status_code=HTTPStatus.ACCEPTED, tags=TAGS,
          responses=api.answers(HTTPStatus.ACCEPTED, refusals=NOT_YOURS | {
              409: "The endpoint is disabled; enable it (PATCH status active) first"}))
@tracer.capture_method
def test(user: api.User, webhookId: WebhookId) -> views.TestSent:
    delivery = wiring.services().webhook_service().send_test(user.user_id, webhookId)
    return views.TestSent.model_validate({"eventId": delivery.event_id, "type": delivery.type,
                                          "delivery": delivery.to_api()})


@app.get("/admin/events", summary="The latest job events, and when the bus accepted each (admin)",
         tags=["events"], responses=api.answers(200, 403))
@tracer.capture_method(capture_response=False)
def recent_events(user: api.Admin, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> views.EventList:
    events = wiring.services().event_log().recent(limit)
    return views.EventList.model_validate({"events": [e.to_api() for e in events]})


def _with_secret(hook: Webhook) -> views.WebhookWithSecret:
    return views.WebhookWithSecret.model_validate(hook.to_api() | {"secret": hook.secret})


def _current_secret(user_id: str, answer: dict[str, Any]) -> str:
    # The endpoint's secret now, opened from its sealed copy: the same as in the first answer
    # unless it was rotated since (then the one that signs).
    return wiring.services().webhook_service().current_secret(user_id, str(answer["id"]))


# A replayed answer (Idempotency-Key) is kept without the secret: the table of answers is no
# place for it. A replay reads it again from the endpoint, where it is stored sealed.
SECRET = Withheld("secret", _current_secret)
app.withheld.update({("POST", "/webhooks"): SECRET, ("POST", "/webhooks/<webhookId>/rotate-secret"): SECRET})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
