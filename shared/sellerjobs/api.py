"""What every HTTP handler shares: the resolver, the caller's identity, bodies and errors.

Errors have one shape everywhere, ``{"success": false, "error": "...", "errors": [{"field",
"message"}]}``, with the offending field named so a front end can point at it.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from pydantic import BaseModel, ValidationError

from sellerjobs.errors import Conflict, Invalid, NotFound, TooManyRequests

logger = Logger(child=True)

Model = TypeVar("Model", bound=BaseModel)

ADMIN_SCOPE = "sellerjobs/admin"
ADMIN_GROUP = "admin"


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


@dataclass(frozen=True)
class Caller:
    user_id: str
    admin: bool


def json_response(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def error_response(status: int, message: str, errors: list[dict[str, str]] | None = None) -> Response[Any]:
    # "success" for the promotion endpoints' callers, "ok" for the category endpoints' callers.
    body: dict[str, Any] = {"success": False, "ok": False, "error": message}
    if errors:
        body["errors"] = errors
    return json_response(status, body)


def http_app() -> APIGatewayHttpResolver:
    """A resolver with the project's error mapping installed."""
    app = APIGatewayHttpResolver()
    handlers: list[tuple[type[Exception], Callable[[Any], Response[Any]]]] = [
        (ApiError, _api_error), (Invalid, _invalid), (NotFound, _not_found), (Conflict, _conflict),
        (TooManyRequests, _too_many), (NotFoundError, _no_route), (Exception, _unexpected),
    ]
    for kind, handler in handlers:
        app.exception_handler(kind)(handler)
    return app


def _api_error(exc: ApiError) -> Response[Any]:
    return error_response(exc.status, exc.message, exc.errors)


def _invalid(exc: Invalid) -> Response[Any]:
    errors = [{"field": exc.field, "message": str(exc)}] if exc.field else None
    return error_response(HTTPStatus.BAD_REQUEST, str(exc), errors)


def _not_found(exc: NotFound) -> Response[Any]:
    return error_response(HTTPStatus.NOT_FOUND, str(exc))


def _conflict(exc: Conflict) -> Response[Any]:
    return error_response(HTTPStatus.CONFLICT, str(exc))


def _too_many(exc: TooManyRequests) -> Response[Any]:
    response = error_response(HTTPStatus.TOO_MANY_REQUESTS, str(exc), [{"field": exc.field, "message": str(exc)}])
    response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
    return response


def _no_route(exc: NotFoundError) -> Response[Any]:
    return error_response(HTTPStatus.NOT_FOUND, "no such route")


def _unexpected(exc: Exception) -> Response[Any]:
    # Details go to the log (with the request id), never to the caller.
    logger.exception("Unhandled error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")


def caller(app: APIGatewayHttpResolver) -> Caller:
    """The signed-in user, from the claims API Gateway's JWT authorizer verified."""
    claims = app.current_event.request_context.authorizer.jwt_claim
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id:
        # Only reachable if a route were deployed without the authorizer.
        raise ApiError(HTTPStatus.UNAUTHORIZED, "missing or invalid token")
    return Caller(user_id=user_id, admin=_is_admin(claims))


def admin(app: APIGatewayHttpResolver) -> Caller:
    """The signed-in user, who must hold the admin scope or group (403 otherwise)."""
    user = caller(app)
    if not user.admin:
        raise ApiError(HTTPStatus.FORBIDDEN, "this needs the admin scope or group")
    return user


def _is_admin(claims: dict[str, Any]) -> bool:
    scopes = claims.get("scope", "")
    scope_list = scopes.split() if isinstance(scopes, str) else list(scopes or [])
    groups = claims.get("cognito:groups", [])
    group_list = groups.strip("[]").replace(",", " ").split() if isinstance(groups, str) else list(groups or [])
    return ADMIN_SCOPE in scope_list or ADMIN_GROUP in group_list


def json_body(app: APIGatewayHttpResolver, max_bytes: int) -> Any:
    """The request's JSON body, refusing oversized or malformed input before any work."""
    event = app.current_event
    body = event.body or ""
    try:
        raw_bytes = base64.b64decode(body) if event.is_base64_encoded else body.encode()
        raw = raw_bytes.decode()
    except (ValueError, UnicodeError) as exc:  # binascii.Error is a ValueError
        raise ApiError(HTTPStatus.BAD_REQUEST, "request body must be UTF-8 JSON",
                       [{"field": "body", "message": "not UTF-8 text"}]) from exc
    if len(raw_bytes) > max_bytes:
        raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body exceeds {max_bytes} bytes",
                       [{"field": "body", "message": f"at most {max_bytes} bytes"}])
    if not raw.strip():
        raise ApiError(HTTPStatus.BAD_REQUEST, "request body is required",
                       [{"field": "body", "message": "expected a JSON object"}])
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ApiError(HTTPStatus.BAD_REQUEST, "request body is not valid JSON",
                       [{"field": "body", "message": str(exc)}]) from exc
    if not isinstance(value, dict):
        raise ApiError(HTTPStatus.BAD_REQUEST, "request body must be a JSON object",
                       [{"field": "body", "message": "expected a JSON object"}])
    return value


def validate(model: type[Model], value: Any, context: dict[str, Any] | None = None) -> Model:
    try:
        return model.model_validate(value, context=context)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def validation_error(exc: ValidationError) -> ApiError:
    errors = [{"field": field_path(e["loc"]), "message": e["msg"].removeprefix("Value error, ")}
              for e in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return ApiError(HTTPStatus.BAD_REQUEST, f"{first['field']}: {first['message']}", errors)


def field_path(loc: tuple[int | str, ...]) -> str:
    """("batch", 3, "adRate") -> "batch[3].adRate"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def query_param(app: APIGatewayHttpResolver, name: str) -> str | None:
    value = app.current_event.get_query_string_value(name)
    return value if value not in (None, "") else None
