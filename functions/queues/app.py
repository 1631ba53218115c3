"""Every queue's counts by state, dead-letter depth and pause switch; pausing and resuming (admin)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.errors import Invalid
from sellerjobs.operations.requests import PauseRequest, queue_name
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

MAX_BODY_BYTES = 4096


@app.get("/queues")
@tracer.capture_method
def queues() -> Response[Any]:
    api.admin(app)
    return api.json_response(HTTPStatus.OK, {"ok": True} | wiring.queues_service().overview())


@app.post("/admin/queues/<queue>/pause")
@tracer.capture_method
def pause(queue: str) -> Response[Any]:
    user = api.admin(app)
    name = _queue(queue)
    raw = app.current_event.body
    body = api.validate(PauseRequest, api.json_body(app, MAX_BODY_BYTES) if raw and raw.strip() else {})
    paused = wiring.queues_service().pause(name, user.user_id, body.reason)
    return api.json_response(HTTPStatus.OK, {"ok": True, "queue": name.value, "paused": paused.to_api(),
                                             "message": f"The {name.value} queue is paused: nothing new starts."})


@app.post("/admin/queues/<queue>/resume")
@tracer.capture_method
def resume(queue: str) -> Response[Any]:
    user = api.admin(app)
    name = _queue(queue)
    wiring.queues_service().resume(name, user.user_id)
    return api.json_response(HTTPStatus.OK, {"ok": True, "queue": name.value, "paused": None,
                                             "message": f"The {name.value} queue runs again."})


def _queue(value: str) -> Any:
    try:
        return queue_name(value)
    except ValueError as exc:
        raise Invalid(f"queue {exc}", field="queue") from None


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
