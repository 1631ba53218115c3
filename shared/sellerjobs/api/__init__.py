"""What every HTTP handler shares: the resolver, the caller, one error shape, body limits and
``Idempotency-Key``.

Routes are declared once, on their handler's resolver, with typed parameters, body models and
return types: Powertools validates each request against them, serialises the answer, and
generates the OpenAPI document from them (``make openapi``).

Every refusal a function answers has one shape::

    {"success": false, "ok": false, "error": "limit must be at most 100",
     "errors": [{"field": "limit", "message": "must be at most 100"}]}

("success" for the promotion endpoints' callers, "ok" for the category endpoints' callers);
``errors`` always names the culprit: a body field, a query or path parameter, or a header.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Depends, Request, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sellerjobs.api.messages import field_errors
from sellerjobs.errors import Conflict, Invalid, NotFound, TooManyRequests
from sellerjobs.jobs.marketplace import MarketplaceThrottled, MarketplaceTransient
from sellerjobs.jobs.rate_budget import RateLimited

if TYPE_CHECKING:
    from sellerjobs.api.idempotency import Withheld

logger = Logger(child=True)

ADMIN_SCOPE = "sellerjobs/admin"
ADMIN_GROUP = "admin"
# One limit for every route that takes a body: the largest request (a batch of 500 listings)
# is about half of it. Checked before the body is parsed.
BODY_LIMIT_BYTES = 64 * 1024
# A JSON integer longer than this is refused before Python converts it (no id, count or time
# of ours comes near; Python itself gives up at 4,300 digits).
MAX_NUMBER_DIGITS = 30
AUTHORIZATION = "Authorization"
M = TypeVar("M", bound=BaseModel)


# -- the error shape ----------------------------------------------------------------------------

class FieldError(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="a body field (batch[2].adRate), a query or path parameter, or a header")
    message: str


class ErrorBody(BaseModel):
    """Every refusal of our functions: 4xx, and 5xx without details."""

    # success and ok are always sent: documented as required, though they need not be given.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    success: Literal[False] = False
    ok: Literal[False] = False
    error: str = Field(description="what went wrong, as a sentence")
    errors: list[FieldError] = Field(min_length=1)


class GatewayError(BaseModel):
    """API Gateway's own answers (no valid token, no such route, throttled): not our functions'."""

    model_config = ConfigDict(extra="forbid")

    message: str


class ApiError(Exception):
    """A refusal with its status, headline and the (field, message) pairs it is about."""

    def __init__(self, status: int, message: str, errors: list[tuple[str, str]],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or [("request", message)]
        self.headers = headers or {}


def refusal(field: str, detail: str, status: int = HTTPStatus.BAD_REQUEST, *,
            headers: dict[str, str] | None = None) -> ApiError:
    """A refusal about one field; the headline is the field and its problem as one sentence."""
    return ApiError(status, f"{field} {detail}", [(field, detail)], headers)


def error_response(error: ApiError) -> Response[Any]:
    body = ErrorBody(error=error.message, errors=[FieldError(field=f, message=m) for f, m in error.errors])
    return Response(status_code=error.status, content_type=content_types.APPLICATION_JSON,
                    body=body.model_dump(), headers=error.headers)


def _headline(errors: list[tuple[str, str]]) -> str:
    (field, message), more = errors[0], len(errors) - 1
    return f"{field} {message}" + (f" (and {more} more in errors)" if more else "")


# -- the caller -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Caller:
    user_id: str
    admin: bool


def signed_in(request: Request) -> Caller:
    """The signed-in user, from the claims API Gateway's JWT authorizer verified."""
    event = request.resolved_event
    claims = event.request_context.authorizer.jwt_claim if isinstance(event, APIGatewayProxyEventV2) else {}
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id:
        # Only reachable if a route were deployed without the authorizer.
        raise refusal(AUTHORIZATION, "must carry a valid bearer token", HTTPStatus.UNAUTHORIZED,
                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return Caller(user_id=user_id, admin=_is_admin(claims))


def administrator(request: Request) -> Caller:
    """The signed-in user, who must hold the admin scope or group (403 otherwise)."""
    user = signed_in(request)
    if not user.admin:
        raise ApiError(HTTPStatus.FORBIDDEN, "this needs the admin scope or group",
                       [(AUTHORIZATION, "the token has neither the sellerjobs/admin scope nor the admin group")])
    return user


# Route parameters shared by several routes: ``def cancel(user: User, jobId: JobId)``.
User = Annotated[Caller, Depends(signed_in)]
Admin = Annotated[Caller, Depends(administrator)]
JobId = Annotated[str, Path(min_length=1, max_length=128, description="a job id as the API returned it")]
Cursor = Annotated[str | None, Query(min_length=1, max_length=2048,
                                     description="the cursor of the previous page; left out for the first page")]


def _is_admin(claims: dict[str, Any]) -> bool:
    scopes = claims.get("scope", "")
    scope_list = scopes.split() if isinstance(scopes, str) else list(scopes or [])
    groups = claims.get("cognito:groups", [])
    group_list = groups.strip("[]").replace(",", " ").split() if isinstance(groups, str) else list(groups or [])
    return ADMIN_SCOPE in scope_list or ADMIN_GROUP in group_list


# -- reading the body -----------------------------------------------------------------------------

def read_json(text: str, *, limit: int) -> Any:
    """The request's JSON body; oversized, malformed or unreasonable input is refused before or
    while parsing, never by an exception from deep inside Python."""
    size = len(text.encode())
    if size > limit:
        raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the request body is {size} bytes, over this route's "
                       f"limit of {limit}", [("body", f"must be at most {limit} bytes")])
    try:
        return json.loads(text, parse_int=_whole_number, parse_float=_finite_number, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise refusal("body", f"is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise refusal("body", "nests too deeply") from None


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise refusal("body", f"has a number with more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _finite_number(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise refusal("body", "has a number too large to be one")
    return value


def _no_constant(text: str) -> Any:
    raise refusal("body", f"is not valid JSON ({text} is not a JSON value)")


def checked(model: type[M], values: dict[str, Any], source: str = "query") -> M:
    """Route parameters (each checked on its own by its type) as ``model``, whose rules about how
    they go together refuse like any other bad input: a 400 naming the parameter at fault."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": (source, *e["loc"])} for e in exc.errors()]) from None


# -- the resolver ---------------------------------------------------------------------------------

class HttpApp(APIGatewayHttpResolver):
    """APIGatewayHttpResolver with validation on, and the project's error shape, body limit and
    Idempotency-Key handling installed."""

    def __init__(self, body_limit: int = BODY_LIMIT_BYTES) -> None:
        super().__init__(enable_validation=True,
                         # An answer that does not match its model is our bug: a 500, not a 422.
                         response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
                         json_body_deserializer=partial(read_json, limit=body_limit))
        self.body_limit = body_limit
        # (method, route path) -> the field of its answer an Idempotency-Key replay does not keep.
        self.withheld: dict[tuple[str, str], Withheld] = {}
        handlers: list[tuple[type[Exception], Callable[[Any], Response[Any]]]] = [
            (ApiError, error_response), (Invalid, _invalid), (NotFound, _not_found), (Conflict, _conflict),
            (RequestValidationError, self._invalid_request), (RequestUnsupportedContentType, _not_json),
            (UnicodeDecodeError, _not_utf8), (NotFoundError, self._no_route), (TooManyRequests, _share_spent),
            (RateLimited, _budget_spent),
            (MarketplaceThrottled, _ebay_throttled), (MarketplaceTransient, _ebay_unavailable),
            (ResponseValidationError, _unexpected), (Exception, _unexpected),
        ]
        for kind, handler in handlers:
            self.exception_handler(kind)(handler)
        from sellerjobs.api.idempotency import honour_idempotency_key

        self.use(middlewares=[honour_idempotency_key])

    def allowed_methods(self, path: str) -> list[str]:
        """The methods some route of this resolver takes at ``path``."""
        return sorted({route.method for route in self._static_routes + self._dynamic_routes if route.rule.match(path)})

    def _invalid_request(self, exc: RequestValidationError) -> Response[Any]:
        about_body = any(tuple(e.get("loc", ()))[:1] == ("body",) for e in exc.errors())
        content_type = self.current_event.headers.get("content-type", "")
        if about_body and content_type and not content_type.startswith(content_types.APPLICATION_JSON):
            # A form-encoded body (curl -d without a Content-Type) fails as a whole, not field by field.
            return _not_json(exc)
        errors = field_errors(exc.errors())
        return error_response(ApiError(HTTPStatus.BAD_REQUEST, _headline(errors), errors))

    def _no_route(self, exc: NotFoundError) -> Response[Any]:
        path = self.current_event.path
        allowed = self.allowed_methods(path)
        if allowed:
            return error_response(refusal("method", f"must be one of {', '.join(allowed)} at {path}",
                                          HTTPStatus.METHOD_NOT_ALLOWED, headers={"Allow": ", ".join(allowed)}))
        return error_response(refusal("path", f"{path} is not a route of this API", HTTPStatus.NOT_FOUND))


def http_app() -> HttpApp:
    return HttpApp()


def _invalid(exc: Invalid) -> Response[Any]:
    return error_response(ApiError(HTTPStatus.BAD_REQUEST, str(exc), [(exc.field or "body", str(exc))]))


def _not_found(exc: NotFound) -> Response[Any]:
    return error_response(ApiError(HTTPStatus.NOT_FOUND, str(exc), [(exc.field or "path", str(exc))]))


def _conflict(exc: Conflict) -> Response[Any]:
    return error_response(ApiError(HTTPStatus.CONFLICT, str(exc), [(exc.field or "path", str(exc))]))


def _not_json(exc: Exception) -> Response[Any]:
    return error_response(refusal("Content-Type", "must be application/json: the body is JSON",
                                  HTTPStatus.UNSUPPORTED_MEDIA_TYPE))


def _not_utf8(exc: UnicodeDecodeError) -> Response[Any]:
    return error_response(refusal("body", "must be UTF-8 text"))


def _share_spent(exc: TooManyRequests) -> Response[Any]:
    seconds = max(1, math.ceil(exc.retry_after_s))
    return error_response(ApiError(HTTPStatus.TOO_MANY_REQUESTS, str(exc), [(exc.field or "request", str(exc))],
                                   {"Retry-After": str(seconds)}))


def _budget_spent(exc: RateLimited) -> Response[Any]:
    seconds = max(1, round(exc.retry_after_s))
    return error_response(ApiError(
        HTTPStatus.TOO_MANY_REQUESTS, f"the shared eBay call budget is spent; try again in {seconds} s",
        [("request", "needs eBay calls the budget does not have now")], {"Retry-After": str(seconds)}))


def _ebay_throttled(exc: MarketplaceThrottled) -> Response[Any]:
    return error_response(ApiError(
        HTTPStatus.TOO_MANY_REQUESTS, "eBay is rate limiting this application; try again in a minute",
        [("request", "eBay answered 429")], {"Retry-After": "60"}))


def _ebay_unavailable(exc: MarketplaceTransient) -> Response[Any]:
    return error_response(ApiError(HTTPStatus.SERVICE_UNAVAILABLE, f"eBay could not be reached: {exc}",
                                   [("request", "eBay did not answer; try again shortly")], {"Retry-After": "30"}))


def _unexpected(exc: Exception) -> Response[Any]:
    # Details go to the log (with the request id), never to the caller.
    logger.exception("Unhandled error")
    return error_response(ApiError(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error",
                                   [("request", "failed on our side; it is logged")]))


# -- what a route documents -----------------------------------------------------------------------

_ERROR_DESCRIPTIONS = {
    HTTPStatus.FORBIDDEN: "The token lacks the sellerjobs/admin scope or the admin group",
    HTTPStatus.NOT_FOUND: "No such job or item (or not yours)",
    HTTPStatus.CONFLICT: "The state of the job does not allow this",
    HTTPStatus.TOO_MANY_REQUESTS: "A shared budget (eBay's calls, your share of a provider's hour) is spent, or "
                                  "eBay is throttling; see Retry-After",
    HTTPStatus.SERVICE_UNAVAILABLE: "eBay did not answer; see Retry-After",
}


def answers(status: int = HTTPStatus.OK, *errors: int, description: str | None = None,
            models: dict[int, type[BaseModel]] | None = None,
            refusals: dict[int, str] | None = None) -> dict[int, OpenAPIResponse]:
    """A route's OpenAPI answers: its success (the return type) and the refusals only it gives.

    Refusals that follow from the shared machinery (bad input, no token, body limit,
    Idempotency-Key) are added to every operation they apply to when the document is built.
    ``models`` documents further successes with a model of their own; ``refusals`` documents
    refusals whose meaning on this route is not the usual one (status -> description).
    """
    out: dict[int, OpenAPIResponse] = {status: {"description": description or HTTPStatus(status).phrase}}
    for code, model in (models or {}).items():
        out[code] = {"description": HTTPStatus(code).phrase,
                     "content": {content_types.APPLICATION_JSON: {"model": model}}}
    described = {code: _ERROR_DESCRIPTIONS[HTTPStatus(code)] for code in errors} | (refusals or {})
    for code, text in described.items():
        out[code] = {"description": text, "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}}}
    return out
