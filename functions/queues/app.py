"""Every queue's counts by state, dead-letter depth and pause switch; pausing and resuming (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.jobs.pause import QueueName
from sellerjobs.operations import views
from sellerjobs.operations.requests import PauseRequest
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
TAGS = ["operations"]
Queue = Annotated[QueueName, Path(description="promotion, categoryFetch or market")]


@app.get("/queues", summary="Every queue's jobs by state, dead-letter depth and age, pauses (admin)", tags=TAGS,
         responses=api.answers(200, 403))
@tracer.capture_method
def queues(user: api.Admin) -> views.QueuesView:
    return views.QueuesView.model_validate({"ok": True} | wiring.services().queues_service().overview())


@app.post("/admin/queues/<queue>/pause", summary="Pause a queue: nothing new starts, nothing is lost (admin)",
          description="The body, with a reason for the other operators, may be left out.", tags=TAGS,
          responses=api.answers(200, 403))
@tracer.capture_method
def pause(user: api.Admin, queue: Queue, body: Annotated[PauseRequest | None, Body()] = None) -> views.QueuePaused:
    paused = wiring.services().queues_service().pause(queue, user.user_id, body.reason if body else None)
    return views.QueuePaused.model_validate({"ok": True, "queue": queue.value, "paused": paused.to_api(),
                                             "message": f"The {queue.value} queue is paused: nothing new starts."})


@app.post("/admin/queues/<queue>/resume", summary="Resume a paused queue (admin)", tags=TAGS,
          responses=api.answers(200, 403))
@tracer.capture_method
def resume(user: api.Admin, queue: Queue) -> views.QueuePaused:
    wiring.services().queues_service().resume(queue, user.user_id)
    return views.QueuePaused.model_validate({"ok": True, "queue": queue.value, "paused": None,
                                             "message": f"The {queue.value} queue runs again."})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
