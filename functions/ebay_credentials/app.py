"""PUT /ebay/credentials: store the caller's eBay refresh token (sealed with KMS, never echoed);
GET /ebay/connection: whether promotions can act on the caller's eBay account, and what to do if not."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.promotions import views
from sellerjobs.promotions.requests import CredentialsRequest
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()


@app.put("/ebay/credentials", summary="Store your eBay refresh token (never returned)", tags=["accounts"])
@tracer.capture_method
def put_credentials(user: api.User, body: Annotated[CredentialsRequest, Body()]) -> views.Done:
    wiring.services().ebay_account_service().connect(user.user_id, body.refreshToken.get_secret_value())
    return views.Done(success=True, message="eBay credentials stored.")


@app.get("/ebay/connection", summary="Whether promotions can act on your eBay account, and what to do if not",
         tags=["accounts"])
@tracer.capture_method
def connection(user: api.User) -> views.ConnectionEnvelope:
    found = wiring.services().ebay_connections().connection(user.user_id)
    return views.ConnectionEnvelope.model_validate({"ok": True, "connection": found.to_api()})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
