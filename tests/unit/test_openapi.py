"""The OpenAPI document describes exactly the routes the template deploys, and holds together."""

from __future__ import annotations

from typing import Any

from local.template import Template
from sellerjobs.openapi import OPERATIONS, document


def test_every_deployed_route_is_documented_and_nothing_else():
    routes = {(r.method, r.path, r.auth) for r in Template.read().routes()}
    documented = {(op.method, op.path, not op.public) for op in OPERATIONS}
    assert documented == routes


def test_every_reference_resolves():
    doc = document()
    schemas = doc["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    found = refs(doc)
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref


def test_operations_need_the_jwt_unless_public():
    doc = document()
    assert doc["security"] == [{"jwt": []}]
    assert doc["paths"]["/admin"]["get"]["security"] == []
    assert "security" not in doc["paths"]["/promotions"]["post"]


def test_the_refresh_token_is_documented_write_only():
    token = document()["components"]["schemas"]["CredentialsRequest"]["properties"]["refreshToken"]
    assert token.get("writeOnly") is True
