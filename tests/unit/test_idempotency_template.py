"""The template gives Idempotency-Key what it needs, and only where it is used: the table (key "id",
TTL on "expiration"), its name in the environment and least-privilege access for exactly the
functions that take a POST or PUT."""

from __future__ import annotations

from typing import Any

from local.template import Template, _Tag

ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}


def statements_on_the_table(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in resource["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []):
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if any(isinstance(t, _Tag) and t.value[0] == "IdempotencyTable" for t in targets):
                found.append(statement)
    return found


def test_the_table_is_keyed_and_expires_as_powertools_writes_it():
    table = Template.read().resources["IdempotencyTable"]["Properties"]

    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_exactly_the_functions_with_a_post_or_put_route_get_the_table():
    template = Template.read()
    writers = {route.function for route in template.routes() if route.method in ("POST", "PUT")}

    for name, resource in template.of_type("AWS::Serverless::Function").items():
        environment = resource["Properties"].get("Environment", {}).get("Variables", {})
        statements = statements_on_the_table(resource)
        if name in writers:
            assert environment["IDEMPOTENCY_TABLE"].value == "IdempotencyTable", name
            assert [set(s["Action"]) for s in statements] == [ACTIONS], name
        else:
            assert "IDEMPOTENCY_TABLE" not in environment and statements == [], name
    assert writers
