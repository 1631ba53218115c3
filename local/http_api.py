"""The HTTP API in-process: route a request to its function the way API Gateway would.

Routes come from the template's ``HttpApi`` events. ``claims`` stands for a JWT that the
authorizer has already verified. Without them, the request's ``Authorization`` header is checked
against ``issuer`` (the local dev issuer) as API Gateway's JWT authorizer would; a refusal is
answered before any function runs, with API Gateway's fixed body and the reason in
``WWW-Authenticate``, and logged (reason and route, never the token).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from local.auth import DevIssuer, InvalidToken, bearer_token, challenge
from local.events import http_event
from local.lambda_runtime import invoke
from local.template import Function, Route, Template

log = logging.getLogger("sellerjobs.local")


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class HttpApi:
    routes: list[Route]
    functions: dict[str, Function]
    clock_now: Any = None  # optional () -> float, for the event's timestamps
    # How a function is run: in this process (tests; the virtual-time simulation, which charges it
    # virtual time) or in a worker process of its own (the live local stack, ``local/workers.py``).
    invoker: Callable[[Function, dict[str, Any]], Any] = field(default=invoke)

    @classmethod
    def from_template(cls, template: Template,
                      invoker: Callable[[Function, dict[str, Any]], Any] = invoke) -> HttpApi:
        return cls(routes=template.routes(), functions=template.functions(), invoker=invoker)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method.upper():
                continue
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
        return None

    def call(self, method: str, target: str, *, body: Any = None, claims: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None, issuer: DevIssuer | None = None) -> ApiResponse:
        parts = urlsplit(target)
        path, query = parts.path, parts.query
        matched = self.match(method, path)
        if matched is None:
            return ApiResponse(404, {"content-type": "application/json"}, json.dumps({"message": "Not Found"}))
        route, params = matched
        if route.auth and claims is None:
            try:
                claims = authorize({k.lower(): v for k, v in (headers or {}).items()}.get("authorization"), issuer)
            except InvalidToken as refused:
                return unauthorized(f"{route.method} {route.path}", str(refused))
        event = http_event(method.upper(), path, route=route, body=body, query=query, headers=headers,
                           claims=claims, path_parameters=params or None,
                           now=self.clock_now() if self.clock_now else None)
        result = self.invoker(self.functions[route.function], event)
        return _response(result)


def authorize(header: str | None, issuer: DevIssuer | None) -> dict[str, Any]:
    if issuer is None:  # nothing to check a token against: only verified claims get through
        bearer_token(header)
        raise InvalidToken("the token cannot be verified here")
    return issuer.authorize(header)


def unauthorized(route: str, reason: str) -> ApiResponse:
    """API Gateway's own 401: its body cannot be changed on an HTTP API; the reason is in the header."""
    log.warning("401 %s: %s", route, reason)
    return ApiResponse(401, {"content-type": "application/json", "www-authenticate": challenge(reason)},
                       json.dumps({"message": "Unauthorized"}))


def _response(result: Any) -> ApiResponse:
    # HTTP API payload 2.0: a dict with statusCode/headers/body, or anything else as a JSON body.
    if isinstance(result, dict) and "statusCode" in result:
        headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            import base64

            body = base64.b64decode(body).decode()
        return ApiResponse(int(result["statusCode"]), headers, body)
    return ApiResponse(200, {"content-type": "application/json"}, json.dumps(result))
