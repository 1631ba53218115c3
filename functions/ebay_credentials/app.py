"""PUT /ebay/credentials: store the caller's eBay refresh token (sealed with KMS, never echoed);
GET /ebay/connection: whether promotions can act on the caller's eBay account, and what to do if not."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api, wiring
from sellerjobs.promotions.requests import CredentialsRequest
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

MAX_BODY_BYTES = 8192


@app.put("/ebay/credentials")
@tracer.capture_method
def put_credentials() -> Response[Any]:
    body = api.validate(CredentialsRequest, api.json_body(app, MAX_BODY_BYTES))
    user = api.caller(app)
    wiring.ebay_account_service().connect(user.user_id, body.refreshToken.get_secret_value())
    return api.json_response(200, {"success": True, "message": "eBay credentials stored."})


@app.get("/ebay/connection")
@tracer.capture_method
def connection() -> Response[Any]:
    user = api.caller(app)
    found = wiring.ebay_connections().connection(user.user_id)
    return api.json_response(200, {"ok": True, "connection": found.to_api()})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
