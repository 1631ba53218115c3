"""GET /openapi.json: the API's OpenAPI document (public; it describes, it holds no data).

The document is generated from the routes of every handler by ``make openapi`` and committed
next to this file: in Lambda, this function has only its own folder and the layer, not the other
handlers whose routes it describes. A test fails when the file is stale.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from sellerjobs import api
from sellerjobs.tracing import LazyTracer

logger = Logger()
tracer = LazyTracer()
app = api.http_app()

DOCUMENT = Path(__file__).with_name("openapi.json")


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


@app.get("/openapi.json", summary="This document", tags=["meta"])
@tracer.capture_method(capture_response=False)
def openapi() -> dict[str, Any]:
    return document()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
