"""Operating the market queue (admin scope or group only): budgets and queue at a glance, run
the scheduler now, and put failed jobs back in the queue."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.market import views
from sellerjobs.market.requests import SettingsRequest
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()
ADMIN: dict[str, Any] = {"tags": ["market"], "responses": api.answers(200, 403)}


@app.get("/market/overview", summary="Budgets this hour, jobs by status, recent runs and batches (admin)", **ADMIN)
@tracer.capture_method
def overview(user: api.Admin) -> views.Overview:
    return views.Overview.model_validate({"ok": True} | wiring.services().market_service().overview())


@app.post("/market/scheduler/run", summary="Run the market scheduler now (admin)", **ADMIN)
@tracer.capture_method
def run_scheduler(user: api.Admin) -> views.SchedulerRan:
    run = wiring.services().market_scheduler().run(trigger="manual")
    logger.info("Scheduler run by hand", extra={"user_id": user.user_id, "dispatched": run.dispatched})
    return views.SchedulerRan.model_validate({"ok": True, "run": run.to_api()})


@app.put("/market/settings", summary="Change the seller share of each provider's hourly calls (admin)", **ADMIN)
@tracer.capture_method
def settings(user: api.Admin, body: Annotated[SettingsRequest, Body()]) -> views.SettingsChanged:
    share = wiring.services().market_service().set_seller_share(body.sellerShare)
    logger.info("Market settings changed", extra={"user_id": user.user_id, "seller_share": share})
    return views.SettingsChanged.model_validate({"ok": True, "settings": {"sellerShare": share}})


@app.post("/market/jobs/reset-failed", summary="Put failed market jobs back in the queue (admin)", **ADMIN)
@tracer.capture_method
def reset_failed(user: api.Admin) -> views.FailedReset:
    reset = wiring.services().market_service().reset_failed()
    logger.info("Failed market jobs reset", extra={"user_id": user.user_id, "reset": reset})
    return views.FailedReset(ok=True, reset=reset)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
