"""GET /openapi.json: the API's OpenAPI document (public; it describes, it holds no data)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()


@cache
def _document() -> dict[str, Any]:
    from sellerjobs.openapi import document

    return document()


@app.get("/openapi.json")
@tracer.capture_method(capture_response=False)
def openapi() -> Response[Any]:
    return api.json_response(200, _document())


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
