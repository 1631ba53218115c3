"""Operating the market queue (admin scope or group only): budgets and queue at a glance, run
the scheduler now, and put failed jobs back in the queue."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.market.requests import SettingsRequest
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

MAX_BODY_BYTES = 65_536


@app.get("/market/overview")
@tracer.capture_method
def overview() -> Response[Any]:
    api.admin(app)
    return api.json_response(HTTPStatus.OK, {"ok": True} | wiring.market_service().overview())


@app.post("/market/scheduler/run")
@tracer.capture_method
def run_scheduler() -> Response[Any]:
    user = api.admin(app)
    run = wiring.market_scheduler().run(trigger="manual")
    logger.info("Scheduler run by hand", extra={"user_id": user.user_id, "dispatched": run.dispatched})
    return api.json_response(HTTPStatus.OK, {"ok": True, "run": run.to_api()})


@app.put("/market/settings")
@tracer.capture_method
def settings() -> Response[Any]:
    user = api.admin(app)
    body = api.validate(SettingsRequest, api.json_body(app, MAX_BODY_BYTES))
    share = wiring.market_service().set_seller_share(body.sellerShare)
    logger.info("Market settings changed", extra={"user_id": user.user_id, "seller_share": share})
    return api.json_response(HTTPStatus.OK, {"ok": True, "settings": {"sellerShare": share}})


@app.post("/market/jobs/reset-failed")
@tracer.capture_method
def reset_failed() -> Response[Any]:
    user = api.admin(app)
    reset = wiring.market_service().reset_failed()
    logger.info("Failed market jobs reset", extra={"user_id": user.user_id, "reset": reset})
    return api.json_response(HTTPStatus.OK, {"ok": True, "reset": reset})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
