"""The OpenAPI document, generated from the routes of every HTTP handler (``make openapi``).

Each handler's resolver describes its own routes: typed query and path parameters, body models,
return types and the refusals only that route gives. Powertools' ``OpenAPIMerge`` joins them.
Two things are added here, each once for the whole API: what the shared machinery of
``sellerjobs.api`` answers on every route it applies to (bad input, no token, the body limit,
``Idempotency-Key``), and which routes the template deploys without the JWT authorizer.

The result is written to ``functions/openapi/openapi.json``, which ``GET /openapi.json`` serves;
``tests/unit/test_openapi.py`` fails when the committed file is stale.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from local.template import ROOT, Template
from sellerjobs.api import BODY_LIMIT_BYTES, ErrorBody, GatewayError
from sellerjobs.api.idempotency import EXPIRES_AFTER_S, HEADER, MAX_KEY_LENGTH, REPLAYED

OUTPUT = ROOT / "functions" / "openapi" / "openapi.json"
REF = "#/components/schemas/{model}"
# Powertools' own shapes for refusals; our functions answer ErrorBody instead.
_POWERTOOLS_SHAPES = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
DESCRIPTION = ("Background jobs for marketplace sellers: eBay Promoted Listings ads, eBay category aspect "
               "fetches, and market prices from StockX, Alias and eBay. Every refusal of the API's functions "
               "is an ErrorBody whose errors name the field, parameter or header at fault.")


def handler_modules(template: Template) -> list[str]:
    functions = template.functions()
    return sorted({functions[route.function].module for route in template.routes()})


def build(template: Template | None = None) -> dict[str, Any]:
    template = template or Template.read()
    merge = OpenAPIMerge(title="sellerjobs", version="1", description=DESCRIPTION, on_conflict="error")
    for module in handler_modules(template):
        merge.add_schema(importlib.import_module(module).app.get_openapi_schema())
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    public = {(route.method.lower(), route.path) for route in template.routes() if not route.auth}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            _shared_answers(method, operation, public=(method, path) in public)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _POWERTOOLS_SHAPES:
        schemas.pop(name, None)
    for model in (ErrorBody, GatewayError):
        # As answered: every field is present, defaults included.
        schema = model.model_json_schema(ref_template=REF, mode="serialization")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    document["components"]["securitySchemes"] = {"jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    document["security"] = [{"jwt": []}]
    return document


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}}}


def _shared_answers(method: str, operation: dict[str, Any], *, public: bool) -> None:
    responses: dict[str, Any] = operation["responses"]
    for code in list(responses):
        if any(name in json.dumps(responses[code]) for name in _POWERTOOLS_SHAPES):
            del responses[code]
    if public:
        operation["security"] = []
    else:
        responses["401"] = {
            "description": "No valid token: API Gateway's JWT authorizer refused it and says why in WWW-Authenticate",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description":
                                             'Bearer scope="" error="invalid_token" error_description="..."'}},
            "content": {"application/json": {"schema": {"$ref": REF.format(model="GatewayError")}}}}
    if "204" in responses:
        responses["204"] = {"description": responses["204"]["description"]}  # no content: no body to describe
    if operation.get("parameters") or "requestBody" in operation:
        responses.setdefault("400", _error("Bad input; errors names each field, parameter or header at fault"))
    if any(p["in"] == "path" for p in operation.get("parameters", [])):
        # A path whose id is empty matches no route: API Gateway answers that itself.
        ours = responses["404"]["description"] if "404" in responses else "No such item"
        responses["404"] = {
            "description": f"{ours}; or, from API Gateway, no route for the path (an empty id)",
            "content": {"application/json": {"schema": {"anyOf": [{"$ref": REF.format(model="ErrorBody")},
                                                                  {"$ref": REF.format(model="GatewayError")}]}}}}
    if "requestBody" in operation:
        responses["413"] = _error(f"The body is over {BODY_LIMIT_BYTES} bytes (refused before it is read)")
        responses["415"] = _error("The body is not sent as application/json")
    if method in ("post", "put"):
        operation.setdefault("parameters", []).append({
            "name": HEADER, "in": "header", "required": False,
            "description": f"Sending the same request again with the same key within {EXPIRES_AFTER_S // 3600} "
                           f"hours answers the first answer again (with {REPLAYED}: true) and does nothing; "
                           f"the key is yours alone",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[\\x20-\\x7e]+$"}})
        responses.setdefault("400", _error(f"Bad input, or a malformed {HEADER}"))
        in_progress = f"a request with this {HEADER} is still in progress"
        responses["409"] = _error(f"{responses['409']['description']}; or {in_progress}" if "409" in responses
                                  else in_progress[0].upper() + in_progress[1:])
        responses["422"] = _error(f"This {HEADER} was used for a different request")
    responses["500"] = _error("Failed on our side; the cause is logged, not shown")
    operation["responses"] = dict(sorted(responses.items()))


def rendered() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def run(*, check: bool = False) -> int:
    """Write the document, or with ``check`` only say whether the committed one is stale."""
    current = rendered()
    if check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != current:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run make openapi", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(current, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0
