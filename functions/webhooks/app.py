"""Sellers' webhook endpoints (register, list, change, rotate, delete, deliveries, test) and, for
admins, the latest job events (GET /admin/events)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.tracing import LazyTracer
from sellerjobs.webhooks.model import Webhook
from sellerjobs.webhooks.requests import DeliveriesQuery, EventsQuery, WebhookCreate, WebhookUpdate

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

MAX_BODY_BYTES = 16_384


@app.post("/webhooks")
@tracer.capture_method(capture_response=False)  # the answer holds the secret
def create() -> Response[Any]:
    user = api.caller(app)
    body = api.validate(WebhookCreate, api.json_body(app, MAX_BODY_BYTES))
    hook = wiring.webhook_service().create(user.user_id, body.url, [e.value for e in body.events], body.description)
    logger.info("Webhook created", extra={"webhook_id": hook.id, "user_id": user.user_id, "events": list(hook.events)})
    return api.json_response(HTTPStatus.CREATED, _with_secret(hook))


@app.get("/webhooks")
@tracer.capture_method
def list_webhooks() -> Response[Any]:
    user = api.caller(app)
    return api.json_response(HTTPStatus.OK, {"webhooks": [h.to_api() for h in wiring.webhook_service().for_user(
        user.user_id)]})


@app.get("/webhooks/<webhookId>")
@tracer.capture_method
def get(webhookId: str) -> Response[Any]:
    user = api.caller(app)
    return api.json_response(HTTPStatus.OK, wiring.webhook_service().get(user.user_id, webhookId).to_api())


@app.patch("/webhooks/<webhookId>")
@tracer.capture_method
def update(webhookId: str) -> Response[Any]:
    user = api.caller(app)
    body = api.validate(WebhookUpdate, api.json_body(app, MAX_BODY_BYTES))
    hook = wiring.webhook_service().update(user.user_id, webhookId, status=body.status,
                                           events=[e.value for e in body.events] if body.events else None,
                                           description=body.description)
    logger.info("Webhook changed", extra={"webhook_id": webhookId, "user_id": user.user_id, "status": hook.status})
    return api.json_response(HTTPStatus.OK, hook.to_api())


@app.delete("/webhooks/<webhookId>")
@tracer.capture_method
def delete(webhookId: str) -> Response[Any]:
    user = api.caller(app)
    wiring.webhook_service().delete(user.user_id, webhookId)
    logger.info("Webhook deleted", extra={"webhook_id": webhookId, "user_id": user.user_id})
    return Response(status_code=HTTPStatus.NO_CONTENT, body="")


@app.post("/webhooks/<webhookId>/rotate-secret")
@tracer.capture_method(capture_response=False)  # the answer holds the new secret
def rotate(webhookId: str) -> Response[Any]:
    user = api.caller(app)
    hook = wiring.webhook_service().rotate(user.user_id, webhookId)
    logger.info("Webhook secret rotated", extra={"webhook_id": webhookId, "user_id": user.user_id})
    return api.json_response(HTTPStatus.OK, _with_secret(hook))


@app.get("/webhooks/<webhookId>/deliveries")
@tracer.capture_method
def deliveries(webhookId: str) -> Response[Any]:
    user = api.caller(app)
    query = api.validate(DeliveriesQuery, _query("limit"))
    found = wiring.webhook_service().recent_deliveries(user.user_id, webhookId, query.limit)
    return api.json_response(HTTPStatus.OK, {"webhookId": webhookId, "deliveries": [d.to_api() for d in found]})


@app.post("/webhooks/<webhookId>/test")
@tracer.capture_method
def test(webhookId: str) -> Response[Any]:
    user = api.caller(app)
    delivery = wiring.webhook_service().send_test(user.user_id, webhookId)
    return api.json_response(HTTPStatus.ACCEPTED, {"eventId": delivery.event_id, "type": delivery.type,
                                                   "delivery": delivery.to_api()})


@app.get("/admin/events")
@tracer.capture_method(capture_response=False)
def recent_events() -> Response[Any]:
    api.admin(app)
    query = api.validate(EventsQuery, _query("limit"))
    events = wiring.event_log().recent(query.limit)
    return api.json_response(HTTPStatus.OK, {"events": [e.to_api() for e in events]})


def _with_secret(hook: Webhook) -> dict[str, Any]:
    return hook.to_api() | {"secret": hook.secret}


def _query(*names: str) -> dict[str, str]:
    values = {name: api.query_param(app, name) for name in names}
    return {name: value for name, value in values.items() if value is not None}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
