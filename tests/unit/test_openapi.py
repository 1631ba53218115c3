"""The OpenAPI document: generated from the handlers' routes, current, and describing exactly the
routes the template deploys."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from local.openapi import OUTPUT, build, rendered
from local.template import Template
from sellerjobs.api import BODY_LIMIT_BYTES


@cache
def document() -> dict[str, Any]:
    return build()


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): operation for path, item in document()["paths"].items()
            for method, operation in item.items()}


def test_the_template_and_the_document_list_the_same_routes():
    deployed = {(route.method, route.path) for route in Template.read().routes()}

    assert set(operations()) == deployed


def test_routes_without_the_authorizer_are_public_and_every_other_needs_the_jwt():
    public = {(route.method, route.path) for route in Template.read().routes() if not route.auth}

    assert document()["security"] == [{"jwt": []}]
    for key, operation in operations().items():
        assert (operation.get("security") == []) is (key in public), key
        assert ("401" in operation["responses"]) is (key not in public), key


def test_the_committed_document_is_the_generated_one():
    # `make openapi` writes it; GET /openapi.json serves the committed file.
    assert OUTPUT.read_text(encoding="utf-8") == rendered(), "functions/openapi/openapi.json is stale: make openapi"


def test_every_reference_resolves():
    schemas = document()["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    found = refs(document())
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref


def test_every_refusal_of_our_functions_has_the_one_error_shape():
    ours, gateways = {"$ref": "#/components/schemas/ErrorBody"}, {"$ref": "#/components/schemas/GatewayError"}
    for key, operation in operations().items():
        for status, answer in operation["responses"].items():
            if status == "204":  # no content
                assert "content" not in answer, key
                continue
            schema = answer["content"]["application/json"]["schema"]
            if status == "401":  # API Gateway's own answer: the JWT authorizer runs before any function
                assert schema == gateways, key
            elif status == "404" and "{" in key[1]:  # or no route at all, for an empty id
                assert schema == {"anyOf": [ours, gateways]}, key
            elif int(status) >= 400:
                assert schema == ours, (key, status)
    shape = document()["components"]["schemas"]["ErrorBody"]
    assert set(shape["required"]) == {"success", "ok", "error", "errors"}


def test_powertools_own_refusal_shapes_are_not_documented():
    text = json.dumps(document())

    assert "HTTPValidationError" not in text and "ResponseValidationError" not in text


def test_every_post_and_put_takes_an_idempotency_key_and_says_what_it_answers():
    for (method, path), operation in operations().items():
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        if method in ("POST", "PUT"):
            assert headers == ["Idempotency-Key"], path
            assert {"409", "422"} <= set(operation["responses"]), path
        else:
            assert headers == [], path


def test_routes_with_a_body_document_its_limit():
    for key, operation in operations().items():
        if "requestBody" in operation:
            assert str(BODY_LIMIT_BYTES) in operation["responses"]["413"]["description"], key


def test_query_parameters_carry_their_bounds():
    limit = next(p for p in operations()[("GET", "/promotions")]["parameters"] if p["name"] == "limit")

    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)


def test_the_refresh_token_is_documented_write_only():
    token = document()["components"]["schemas"]["CredentialsRequest"]["properties"]["refreshToken"]
    assert token.get("writeOnly") is True
