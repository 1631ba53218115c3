"""Fuzzing the HTTP API from its own OpenAPI document: no server errors, and no request the API
refuses may change any table.

Two kinds of request go over HTTP, signed as one user, to a local stack without pollers or
schedules (so every change to a table is a request's own doing):

* schemathesis's: valid (positive) and invalid (negative) requests for every operation of
  ``GET /openapi.json``, generated from its schemas with schemathesis's default strategies;
* explicit edge cases that random generation seldom reaches: each query and path parameter,
  each top-level field of the document's example body and the ``Idempotency-Key`` header set in
  turn to Unicode digits, numbers thousands of digits long, 10,000-character strings, empty and
  unprintable text; an unknown field; bodies that are no JSON object, nest too deeply, are not
  UTF-8, exceed the body limit or are sent as a form.

Before and after each request every table is read; a request answered 4xx must leave them
exactly as they were, with one exception: the bookkeeping of calls to eBay. A request that only
eBay can refuse (an unknown category, say) has made an eBay call, which counts against the call
budget and may have minted and cached an access token; neither is data of the refused request.
Answers are also checked against the document (status codes and bodies); mismatches are counted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import boto3
import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from jsonschema import Draft202012Validator
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from bench.report import emit, fmt
from local.aws import REGION
from local.stack import LocalStack

USER = "fuzzer"
CALL_BOOKKEEPING_TABLES = {"RateBucketsTable"}  # calls spent against each provider's budget

HUGE = "9" * 5_000  # Python refuses to convert more than 4,300 digits to an int
LONG = "x" * 10_000
# Values of a query or path parameter, and of the Idempotency-Key header.
TEXTS = ["²", "٣٤", "\uff11\uff12", HUGE, LONG, "", " ", "\x00", "-1", "1e309", "NaN", "é", "%00", "../.."]
QUICK_TEXTS = ["²", HUGE, LONG, ""]
# Values of a body field, as JSON text.
JSON_VALUES = ['"²"', '"٣٤"', HUGE, "-" + HUGE, "1e309", "-1", "0.1", json.dumps(LONG), '""', "[]", "{}",
               "null", "true", json.dumps("\x00")]
QUICK_JSON_VALUES = ['"²"', HUGE, json.dumps(LONG), "null"]
BODY_LIMIT = 65_536


@dataclass(frozen=True)
class Edge:
    label: str
    method: str
    path: str  # filled in and encoded
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[bytes, bytes] = field(default_factory=dict)  # bytes: a header may be sent in UTF-8
    content: bytes | None = None


def edges(document: dict[str, Any], *, quick: bool) -> Iterator[Edge]:
    """The explicit edge cases of every operation of the document."""
    texts, values = (QUICK_TEXTS, QUICK_JSON_VALUES) if quick else (TEXTS, JSON_VALUES)
    for template, item in document["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {template}"
            parameters = operation.get("parameters", [])
            base_path = {p["name"]: _plain_value(p["schema"]) for p in parameters if p["in"] == "path"}
            example = _example_body(document, operation)
            body = _json(example) if example is not None else None
            json_type = _headers({"content-type": "application/json"}) if body is not None else {}
            path = _path(template, base_path)
            for parameter in parameters:
                name, where = parameter["name"], parameter["in"]
                for text in texts:
                    if where == "path":
                        yield Edge(label, method, _path(template, base_path | {name: text}), headers=json_type,
                                   content=body)
                    elif where == "query":
                        yield Edge(label, method, path, params={name: text}, headers=json_type, content=body)
                    elif where == "header" and _sendable(text):
                        yield Edge(label, method, path, headers=json_type | _headers({name: text}), content=body)
            if example is None:
                continue
            for key in example:
                for value in values:
                    yield Edge(label, method, path, headers=json_type, content=_with_raw(example, key, value))
            for content, content_type in _odd_bodies(example, quick=quick):
                yield Edge(label, method, path, headers=_headers({"content-type": content_type}), content=content)


def _odd_bodies(example: dict[str, Any], *, quick: bool) -> list[tuple[bytes, str]]:
    json_type = "application/json"
    bodies = [(_json(example | {"unknownField": 1}), json_type), (b"[]", json_type),
              (b"[" * 20_000 + b"]" * 20_000, json_type),
              (_json(example | {"padding": "x" * BODY_LIMIT}), json_type),
              (b'{"\xff\xfe": 1}', json_type)]
    if not quick:
        form = "&".join(f"{k}={quote(str(v))}" for k, v in example.items()).encode()
        bodies += [(b"null", json_type), (b'"x"', json_type), (b"", json_type), (b"{", json_type),
                   (form, "application/x-www-form-urlencoded"), (_json(example), "text/plain")]
    return bodies


def _sendable(text: str) -> bool:
    """Whether HTTP/1.1 can carry the text as a header value (no control characters, nothing to trim)."""
    return text == text.strip() and all(ord(c) >= 0x20 for c in text)


def _headers(values: dict[str, str]) -> dict[bytes, bytes]:
    return {name.encode(): value.encode() for name, value in values.items()}


def _plain_value(schema: dict[str, Any]) -> str:
    enum = schema.get("enum")
    return str(enum[0]) if enum else "1"


def _path(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", quote(value, safe=""))
    return template


def _example_body(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    ref = (schema.get("oneOf") or [schema])[0].get("$ref", "")
    examples = document["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}).get("examples") or [None]
    first = examples[0]
    return first if isinstance(first, dict) else None


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _with_raw(body: dict[str, Any], key: str, raw: str) -> bytes:
    """``body`` with ``key`` set to a JSON text as written (a number with 5,000 digits stays one)."""
    marker = "__value_under_test__"
    return json.dumps(body | {key: marker}).replace(json.dumps(marker), raw).encode()


def _is_cached_token(item: dict[str, Any]) -> bool:
    return str(item.get("sk", {}).get("S", "")).startswith("EBAY#TOKEN#")


@dataclass
class Tally:
    stack: LocalStack
    document: dict[str, Any]
    dynamodb: Any
    statuses: Counter[int] = field(default_factory=Counter)
    per_operation: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    changed_by_refusal: list[str] = field(default_factory=list)
    mismatches: Counter[str] = field(default_factory=Counter)
    # Without pollers and schedules only requests change the tables: the state after one request
    # is the state before the next, so each request costs one read of the tables, not two.
    _last: str | None = None

    def digest(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(set(self.stack.stack.template.of_type("AWS::DynamoDB::Table")) - CALL_BOOKKEEPING_TABLES):
            items = [i for i in self.dynamodb.scan(TableName=self.stack.stack.table_name(name),
                                                   ConsistentRead=True)["Items"] if not _is_cached_token(i)]
            for item in sorted(json.dumps(i, sort_keys=True, default=str) for i in items):
                digest.update(item.encode())
        return digest.hexdigest()

    def observe(self, label: str, send: Callable[[], Any]) -> Any:
        """Send a request, and count what it answered and whether a refusal wrote anything."""
        before = self._last or self.digest()
        response = send()
        self._last = after = self.digest()
        status = int(response.status_code)
        self.statuses[status] += 1
        self.per_operation[label] += 1
        if status >= 500:
            self.server_errors.append(f"{label} -> {status}: {response.text[:200]}")
        if 400 <= status < 500 and after != before:
            self.changed_by_refusal.append(f"{label} -> {status}")
        return response

    def conforms(self, label: str, method: str, template: str, response: httpx.Response) -> None:
        answers = self.document["paths"][template][method]["responses"]
        answer = answers.get(str(response.status_code))
        try:
            if answer is None:
                raise ValueError("status not documented")
            schema = answer["content"]["application/json"]["schema"]
            Draft202012Validator(schema | {"components": self.document["components"]}).validate(response.json())
        except Exception as exc:  # a failed check of any kind is one mismatch
            self.mismatches[f"{label} {response.status_code}: {type(exc).__name__}"] += 1


def run(examples: int, *, quick: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    with LocalStack(time_scale=1.0, api_port=0, sandbox_port=0, prefix_logs=False, write_state=False,
                    event_sources=False) as stack:
        token = {"Authorization": f"Bearer {stack.token(USER)}"}
        signed = _headers(token)
        document = httpx.get(f"{stack.api_url}/openapi.json", timeout=30).json()
        dynamodb = boto3.session.Session(region_name=REGION).client("dynamodb", endpoint_url=stack.aws_endpoint)
        tally = Tally(stack=stack, document=document, dynamodb=dynamodb)
        skipped = _schemathesis(stack.api_url, token, examples, tally)
        explicit = 0
        with httpx.Client(base_url=stack.api_url, timeout=30) as client:
            for edge in edges(document, quick=quick):
                explicit += 1

                def send(edge: Edge = edge) -> httpx.Response:
                    return client.request(edge.method.upper(), edge.path, params=edge.params,
                                          headers=signed | edge.headers, content=edge.content)

                response = tally.observe(edge.label, send)
                tally.conforms(edge.label, edge.method, edge.label.split(" ", 1)[1], response)
    return {
        "requests": sum(tally.statuses.values()), "explicit_requests": explicit,
        "statuses": dict(sorted(tally.statuses.items())), "operations": dict(tally.per_operation),
        "server_errors": len(tally.server_errors), "server_error_samples": tally.server_errors[:5],
        "refusals_that_changed_tables": len(tally.changed_by_refusal),
        "refusal_samples": tally.changed_by_refusal[:5], "document_mismatches": sum(tally.mismatches.values()),
        "mismatch_samples": dict(tally.mismatches.most_common(5)), "examples_per_operation_and_mode": examples,
        "quick": quick, "skipped": skipped, "real_seconds": time.perf_counter() - started,
    }


def _schemathesis(api_url: str, token: dict[str, str], examples: int, tally: Tally) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json")
    skipped: list[str] = []

    def fuzz(operation: Any, mode: GenerationMode) -> None:
        label = f"{operation.method.upper()} {operation.path}"

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def send(case: Any) -> None:
            response = tally.observe(label, lambda: case.call(base_url=api_url, headers=token, timeout=30))
            try:
                case.validate_response(response, checks=[status_code_conformance, response_schema_conformance])
            except Exception as exc:  # schemathesis reports each failed check as an exception
                tally.mismatches[f"{label} {response.status_code}: {type(exc).__name__}"] += 1

        try:
            send()
        except Unsatisfiable:  # nothing about this operation can be made invalid (no inputs)
            skipped.append(f"{label} ({mode.value})")

    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid document fails loading first
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode)
    return skipped


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench fuzz")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--examples", type=int, default=40, help="per operation and per mode (valid, invalid)")
    parser.add_argument("--quick", action="store_true", help="fewer explicit edge values (for make test)")
    args = parser.parse_args(argv)
    result = run(args.examples, quick=args.quick)
    rows = [("", "count"), ("requests sent", fmt(result["requests"])),
            ("of them explicit edge cases", fmt(result["explicit_requests"]))]
    rows += [(f"answered {status}", fmt(count)) for status, count in result["statuses"].items()]
    rows += [("server errors (5xx)", fmt(result["server_errors"])),
             ("refused requests that changed a table", fmt(result["refusals_that_changed_tables"])),
             ("answers not matching the document", fmt(result["document_mismatches"]))]
    notes = [f"  {s}" for s in result["server_error_samples"] + result["refusal_samples"]]
    notes += [f"  mismatch: {k} x{v}" for k, v in result["mismatch_samples"].items()]
    emit("fuzz", result, as_json=args.json,
         title=f"fuzz: schemathesis and explicit edge cases against GET /openapi.json, local stack "
         f"({result['real_seconds']:.0f} s)", table=rows, notes=notes)
    clean = result["server_errors"] == 0 and result["refusals_that_changed_tables"] == 0
    return 0 if clean else 1
