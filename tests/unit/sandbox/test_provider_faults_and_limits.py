"""Rate limits, injected faults and the call log for Taxonomy, Browse, StockX and Alias."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from local.sandbox import MarketplaceSandbox
from sellerjobs.clock import ManualClock

from .helpers import SCOPE_PUBLIC, bearer, only_error, request_token
from .provider_helpers import (
    ALIAS,
    ALIAS_PAT,
    BROWSE_SEARCH,
    NEW_IN_BOX,
    STOCKX,
    STOCKX_TOKEN,
    TAXONOMY,
    add_stockx_client,
    alias_headers,
    app_headers,
    stockx_headers,
)

PANDA = "DD1391-100"
EBAY_TOO_MANY = {"errorId": 2001, "domain": "ACCESS", "category": "REQUEST"}
STOCKX_TOO_MANY = {"statusCode": 429, "message": "Too Many Requests"}
ALIAS_TOO_MANY = {"code": 8, "message": "too many requests", "details": []}

Call = Callable[[], httpx.Response]


@pytest.fixture
def calls(client, sandbox) -> dict[str, Call]:
    """One representative call per new operation, with valid credentials."""
    app = app_headers(client)
    add_stockx_client(sandbox)
    sx = stockx_headers(client)
    sandbox.add_alias_token(ALIAS_PAT)
    pat = alias_headers()
    product = sandbox.market_product(PANDA)
    pid, vid, cid = product["stockxProductId"], product["stockxVariantIds"]["10"], product["aliasCatalogId"]
    tree = f"{TAXONOMY}/category_tree/0"
    token_form = {"grant_type": "refresh_token", "client_id": "sx-client", "client_secret": "sx-secret",
                  "refresh_token": "sx-refresh-token"}  # fmt: skip
    return {
        "get_default_category_tree_id": lambda: client.get(
            f"{TAXONOMY}/get_default_category_tree_id", params={"marketplace_id": "EBAY_US"}, headers=app
        ),
        "get_category_tree": lambda: client.get(tree, headers=app),
        "get_category_subtree": lambda: client.get(
            f"{tree}/get_category_subtree", params={"category_id": "26395"}, headers=app
        ),
        "get_item_aspects_for_category": lambda: client.get(
            f"{tree}/get_item_aspects_for_category", params={"category_id": "15709"}, headers=app
        ),
        "fetch_item_aspects": lambda: client.get(f"{tree}/fetch_item_aspects", headers=app),
        "search_item_summaries": lambda: client.get(BROWSE_SEARCH, params={"q": PANDA}, headers=app),
        "stockx_token": lambda: client.post(STOCKX_TOKEN, data=token_form),
        "stockx_search": lambda: client.get(f"{STOCKX}/catalog/search", params={"query": PANDA}, headers=sx),
        "stockx_variants": lambda: client.get(f"{STOCKX}/catalog/products/{pid}/variants", headers=sx),
        "stockx_variant_market_data": lambda: client.get(
            f"{STOCKX}/catalog/products/{pid}/variants/{vid}/market-data", headers=sx
        ),
        "stockx_product_market_data": lambda: client.get(f"{STOCKX}/catalog/products/{pid}/market-data", headers=sx),
        "alias_catalog": lambda: client.get(f"{ALIAS}/catalog", params={"query": PANDA}, headers=pat),
        "alias_availability": lambda: client.get(
            f"{ALIAS}/pricing_insights/availability", params={"catalog_id": cid, "size": "10", **NEW_IN_BOX},
            headers=pat,
        ),
        "alias_availabilities": lambda: client.get(f"{ALIAS}/pricing_insights/availabilities/{cid}", headers=pat),
    }


def _expected_fault(operation: str, status: int) -> dict[str, object]:
    if operation == "stockx_token":
        return {"error": "server_error", "error_description": "internal server error"}
    if operation.startswith("stockx_"):
        return {"statusCode": status, "message": "Internal Server Error"}
    if operation.startswith("alias_"):
        return {"code": 13, "message": "internal error", "details": []}
    error_id, domain = (12000, "API_BROWSE") if operation == "search_item_summaries" else (62000, "API_TAXONOMY")
    return {"errorId": error_id, "domain": domain, "category": "APPLICATION"}


OPERATIONS = [
    "get_default_category_tree_id", "get_category_tree", "get_category_subtree", "get_item_aspects_for_category",
    "fetch_item_aspects", "search_item_summaries", "stockx_token", "stockx_search", "stockx_variants",
    "stockx_variant_market_data", "stockx_product_market_data", "alias_catalog", "alias_availability",
    "alias_availabilities",
]  # fmt: skip


@pytest.mark.parametrize("operation", OPERATIONS)
def test_injected_5xx_in_each_providers_envelope_then_recovery(sandbox, calls, operation):
    assert operation in sandbox.operations
    sandbox.inject_fault(operation, status=500, times=2)

    for _ in range(2):
        response = calls[operation]()
        assert response.status_code == 500
        body = response.json()
        expected = _expected_fault(operation, 500)
        if "errorId" in expected:
            error = only_error(response)
            assert {key: error[key] for key in expected} == expected
        else:
            assert body == expected
    assert calls[operation]().is_success
    faulted = [call for call in sandbox.calls if call["operation"] == operation and call["fault"]]
    assert [call["status"] for call in faulted] == [500, 500]


def test_fault_options(sandbox, calls):
    sandbox.inject_fault("get_category_subtree", status=400, error_id=62005)
    sandbox.inject_fault("alias_catalog", status=503, error_id=14)
    sandbox.inject_fault("stockx_search", status=502, empty_body=True)
    sandbox.inject_fault("stockx_variants", status=504, body="<html>Gateway Timeout</html>")
    sandbox.inject_fault("search_item_summaries", status=0, timeout=True)

    assert only_error(calls["get_category_subtree"]())["domain"] == "API_TAXONOMY"
    assert calls["alias_catalog"]().json() == {"code": 14, "message": "service unavailable", "details": []}
    empty = calls["stockx_search"]()
    assert (empty.status_code, empty.content) == (502, b"")
    assert calls["stockx_variants"]().text == "<html>Gateway Timeout</html>"
    with pytest.raises(httpx.ReadTimeout):
        calls["search_item_summaries"]()
    assert (sandbox.calls[-1]["status"], sandbox.calls[-1]["fault"]) == (None, "timeout")


def test_faults_come_before_auth(client, sandbox):
    sandbox.inject_fault("stockx_search", status=429)
    sandbox.inject_fault("alias_catalog", status=500)
    assert client.get(f"{STOCKX}/catalog/search", params={"query": PANDA}).json() == STOCKX_TOO_MANY
    assert client.get(f"{ALIAS}/catalog", params={"query": PANDA}).json()["code"] == 13


# ---------------------------------------------------------------- rate limits


@pytest.mark.parametrize(
    ("group", "operation", "expected"),
    [
        ("taxonomy", "get_category_subtree", EBAY_TOO_MANY),
        ("browse", "search_item_summaries", EBAY_TOO_MANY),
        ("stockx", "stockx_variant_market_data", STOCKX_TOO_MANY),
        ("alias", "alias_availability", ALIAS_TOO_MANY),
    ],
)
def test_rate_limit_then_recovery(sandbox, calls, clock: ManualClock, group, operation, expected):
    sandbox.set_rate_limit(group, 2, 60)
    call = calls[operation]

    assert call().status_code == 200
    clock.advance(30)
    assert call().status_code == 200
    limited = call()
    assert limited.status_code == 429
    body = only_error(limited) if "errorId" in expected else limited.json()
    assert {key: body[key] for key in expected} == expected

    clock.advance(30)  # the first call leaves the window
    assert call().status_code == 200
    assert call().status_code == 429
    clock.advance(60)
    assert call().status_code == 200
    assert [c["status"] for c in sandbox.calls if c["operation"] == operation] == [200, 200, 429, 200, 429, 200]


def test_limits_are_per_app_or_credential(client, sandbox, calls):
    for group in ("taxonomy", "stockx", "alias"):
        sandbox.set_rate_limit(group, 1, 60)
    add_stockx_client(sandbox, "-2")
    sandbox.add_alias_token("second-pat", name="second")
    sandbox.add_app("other-app", "other-secret")
    other_app = bearer(
        request_token(
            client, {"grant_type": "client_credentials", "scope": SCOPE_PUBLIC},
            client_id="other-app", client_secret="other-secret",
        ).json()["access_token"]
    )  # fmt: skip

    for operation in ("get_category_subtree", "stockx_search", "alias_catalog"):
        assert calls[operation]().status_code == 200
        assert calls[operation]().status_code == 429
    tree = f"{TAXONOMY}/category_tree/0/get_category_subtree"
    assert client.get(tree, params={"category_id": "1"}, headers=other_app).status_code == 200
    assert client.get(f"{STOCKX}/catalog/search", params={"query": PANDA},
                      headers=stockx_headers(client, "-2")).status_code == 200  # fmt: skip
    assert client.get(f"{ALIAS}/catalog", params={"query": PANDA}, headers=alias_headers("second-pat")).is_success
    apps = {call["app"] for call in sandbox.calls if call["operation"] in ("stockx_search", "alias_catalog")}
    assert apps == {"sx-client", "sx-client-2", "alias-pat-1", "second"}


def test_token_endpoint_has_its_own_group(sandbox, calls):
    sandbox.set_rate_limit("stockx", 1, 60)
    assert all(calls["stockx_token"]().status_code == 200 for _ in range(3))
    sandbox.set_rate_limit("stockx_oauth", 1, 60)
    assert calls["stockx_token"]().status_code == 200
    limited = calls["stockx_token"]()
    assert (limited.status_code, limited.json()["error"]) == (429, "too_many_requests")


# ---------------------------------------------------------------- call log and unknown paths


def test_call_counts_per_provider(sandbox, calls):
    sandbox.reset_calls()
    for operation in ("stockx_search", "stockx_search", "alias_catalog", "get_category_tree", "search_item_summaries"):
        calls[operation]()
    assert sandbox.call_counts("stockx") == {"stockx_search": 2}
    assert sandbox.call_counts("alias") == {"alias_catalog": 1}
    assert sandbox.call_counts("ebay") == {"get_category_tree": 1, "search_item_summaries": 1}
    assert sum(sandbox.call_counts().values()) == len(sandbox.calls) == 5
    record = sandbox.calls[0]
    assert (record["operation"], record["status"], record["app"], record["at"]) == (
        "stockx_search", 200, "sx-client", sandbox.clock.now()
    )  # fmt: skip


def test_unknown_paths_and_methods_in_each_envelope(client, sandbox):
    assert client.get(f"{STOCKX}/catalog/nothing-here").json() == {"statusCode": 404, "message": "Not Found"}
    assert client.get(f"{ALIAS}/nothing-here").json() == {"code": 5, "message": "not found", "details": []}
    wrong = client.post(f"{STOCKX}/catalog/search")
    assert (wrong.status_code, wrong.headers["allow"], wrong.json()["statusCode"]) == (405, "GET", 405)
    assert only_error(client.get("/commerce/taxonomy/v1/nope"))["errorId"] == 2002


def test_unknown_fault_operations_are_still_rejected():
    with pytest.raises(ValueError, match="unknown operation"):
        MarketplaceSandbox().inject_fault("stockx_market_data", status=500)
