"""Lambda event payloads as AWS sends them: HTTP API (v2), SQS, and schedules."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from local.template import Route

REGION = "us-east-1"
ACCOUNT = "123456789012"


def http_event(method: str, path: str, *, route: Route | None = None, body: Any = None,
               query: str = "", headers: dict[str, str] | None = None,
               claims: dict[str, Any] | None = None, path_parameters: dict[str, str] | None = None,
               now: float | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API payload (format 2.0) as the JWT authorizer passes it on."""
    now = time.time() if now is None else now
    encoded = False
    if isinstance(body, bytes):
        # API Gateway passes text bodies as they are and anything else base64-encoded.
        try:
            text: str | None = body.decode()
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
    else:
        text = body if isinstance(body, str) or body is None else json.dumps(body)
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if text is not None:
        headers.setdefault("content-type", "application/json")
    route_key = f"{route.method} {route.path}" if route else f"{method} {path}"
    query_params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        # API Gateway joins repeated parameters with commas.
        query_params[key] = f"{query_params[key]},{value}" if key in query_params else value
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": headers.get("user-agent", "local")},
            "requestId": uuid.uuid4().hex,
            "routeKey": route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if claims is not None:
        # The JWT authorizer hands claims over as strings; lists become "[a b]".
        event["requestContext"]["authorizer"] = {"jwt": {
            "claims": {k: _claim_text(v) for k, v in claims.items()}, "scopes": None}}
    if query_params:
        event["queryStringParameters"] = query_params
    if path_parameters:
        event["pathParameters"] = path_parameters
    if text is not None:
        event["body"] = text
    return event


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return str(value)


def sqs_record(body: str, *, queue_arn: str, message_id: str | None = None, receive_count: int = 1,
               sent_at: float | None = None, receipt_handle: str | None = None,
               group: str | None = None) -> dict[str, Any]:
    sent_at = time.time() if sent_at is None else sent_at
    record: dict[str, Any] = {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": receipt_handle or uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": str(int(sent_at * 1000)),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(int(sent_at * 1000)),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if group is not None:
        # A fair queue's tenant, as Lambda passes it on for standard queues.
        record["attributes"]["MessageGroupId"] = group
    return record


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def scheduled_event(schedule_name: str, *, now: float | None = None) -> dict[str, Any]:
    """What EventBridge delivers for a rate() schedule."""
    now = time.time() if now is None else now
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT,
        "time": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{schedule_name}"],
        "detail": {},
    }
