"""StockX's error envelope: ``{"statusCode": 404, "message": "..."}``.

StockX publishes no error ids, only the HTTP status and a message, so clients must branch on the
status. Messages are the sandbox's own short wording.
"""

from __future__ import annotations

from http import HTTPStatus

import httpx

from local.sandbox.responses import json_response


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_response(status: int, message: str | None = None) -> httpx.Response:
    """An error in StockX's envelope; the message defaults to the status's reason phrase."""
    return json_response(status, {"statusCode": status, "message": message or _reason(status)})


def oauth_error(status: int, error: str, description: str) -> httpx.Response:
    """The token endpoint (an Auth0 tenant at accounts.stockx.com) answers RFC 6749 errors instead."""
    return json_response(status, {"error": error, "error_description": description})
