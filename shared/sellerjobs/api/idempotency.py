"""``Idempotency-Key`` on POST and PUT: a retried request gets the first answer and does nothing again.

A client that timed out does not know whether its request was carried out; with a key it can
simply send the request again. The key belongs to the caller (the token's ``sub``), so two
users' equal keys never meet. Within 24 hours:

* the same key with the same route and body answers the first answer again (status and
  body, plus ``Idempotent-Replayed: true``) without running anything;
* the same key with another route or body is refused (422): it names a different request;
* while the first request is still running, the same key is refused (409): its outcome is
  not known yet, and running it twice is exactly what the key is there to prevent.

Only answers that did something are kept: a request that was refused (4xx) or failed ran
nothing worth remembering, so it can be corrected and sent again with the same key. A field of
an answer that holds a secret (a webhook's signing secret) is not kept at all: the route names
it (:class:`Withheld`), and a replay reads it again from where the secret is kept, sealed.
Powertools idempotency does the bookkeeping in DynamoDB (``IdempotencyTable``): a conditional
put marks the key in progress before the route runs, the answer replaces it afterwards, and
the table's TTL removes it a day later.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from sellerjobs.api import HttpApp, refusal, signed_in

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
EXPIRES_AFTER_S = 24 * 3600
METHODS = frozenset({"POST", "PUT"})
_PRINTABLE = re.compile(r"[\x20-\x7e]+")

Stored = dict[str, Any]


@dataclass(frozen=True)
class Withheld:
    """A field of a route's answer that is never kept with the answer: ``restore(user id, the kept
    answer's body)`` gives its value again when the answer is replayed."""

    field: str
    restore: Callable[[str, dict[str, Any]], Any]


def checked_key(value: str) -> str:
    """The header's value, or a 400 naming the header."""
    key = value.strip()
    if not key:
        raise refusal(HEADER, "must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise refusal(HEADER, f"must be at most {MAX_KEY_LENGTH} characters long")
    if not _PRINTABLE.fullmatch(key):
        raise refusal(HEADER, "must be printable ASCII: letters, digits, punctuation and spaces")
    return key


def honour_idempotency_key(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Middleware: runs after the request was validated, around the route itself."""
    event = app.current_event
    raw = event.headers.get(HEADER.lower())
    if raw is None or event.http_method not in METHODS:
        return next_middleware(app)
    key = checked_key(raw)
    user = signed_in(app.request)
    route = app.context.get("_route")
    takes_body = bool(route is not None and route.dependant.body_params)
    request = {"user": user.user_id, "key": key, "route": f"{event.http_method} {event.path}",
               # The parsed body (validated already): the same JSON in other whitespace is the same request.
               "body": event.json_body if takes_body else None}
    withheld = app.withheld.get((route.method, route.path)) if route is not None and isinstance(app, HttpApp) else None
    return run_once(request, lambda: next_middleware(app), app.lambda_context, withheld)


def run_once(request: dict[str, Any], action: Callable[[], Response[Any]], lambda_context: Any,
             withheld: Withheld | None = None) -> Response[Any]:
    """``action``'s answer, or the answer it gave the first time this request was made.

    ``withheld``: the field of the answer that is not kept (and is restored on a replay)."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from sellerjobs import wiring

    execute, config = _guard(wiring.services().idempotency_store())
    config.register_lambda_context(lambda_context)  # an in-progress key expires with the invocation
    answered: Response[Any] | None = None  # set when the action runs (not on a replay)

    def first_time() -> Stored:
        nonlocal answered
        answered = action()
        return _stored(answered, withheld)

    try:
        answer: Stored = execute(request=request, action=first_time)
    except IdempotencyAlreadyInProgressError:
        raise refusal(HEADER, "belongs to a request that is still in progress; send it again when that one "
                      "has answered", HTTPStatus.CONFLICT) from None
    except IdempotencyValidationError:
        raise refusal(HEADER, "was already used for a different request (another route or body) in the last "
                      "24 hours; use a new key", HTTPStatus.UNPROCESSABLE_ENTITY) from None
    if answered is not None:
        return answered  # the first time: the answer as the route gave it, withheld field included
    return _response(_restored(answer, withheld, str(request["user"])), replayed=True)


@cache
def _guard(store: BasePersistenceLayer) -> tuple[Callable[..., Stored], IdempotencyConfig]:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    config = IdempotencyConfig(event_key_jmespath="[user, key]", payload_validation_jmespath="[route, body]",
                               expires_after_seconds=EXPIRES_AFTER_S, raise_on_no_idempotency_key=True,
                               hash_function="sha256")

    # One prefix for every function: a key names one request of its user, whichever route it went to.
    @idempotent_function(data_keyword_argument="request", persistence_store=store, config=config,  # type: ignore[untyped-decorator]
                         key_prefix="http")
    def execute(*, request: dict[str, Any], action: Callable[[], Stored]) -> Stored:
        return action()

    return execute, config


def _stored(response: Response[Any], withheld: Withheld | None = None) -> Stored:
    body = response.body
    if withheld is not None and isinstance(body, dict):
        body = {name: value for name, value in body.items() if name != withheld.field}
    return {"status": response.status_code, "contentType": response.content_type,
            "headers": dict(response.headers), "body": body}


def _restored(answer: Stored, withheld: Withheld | None, user_id: str) -> Stored:
    body = answer.get("body")
    if withheld is None or not isinstance(body, dict):
        return answer
    return answer | {"body": body | {withheld.field: withheld.restore(user_id, body)}}


def _response(answer: Stored, *, replayed: bool) -> Response[Any]:
    headers = dict(answer.get("headers") or {}) | ({REPLAYED: "true"} if replayed else {})
    return Response(status_code=int(answer["status"]), content_type=answer.get("contentType"),
                    body=answer.get("body"), headers=headers)
