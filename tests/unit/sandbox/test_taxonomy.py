"""Commerce Taxonomy: tree ids, whole trees (gzip), subtrees, item aspects and the aspects file."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import httpx
import pytest

from local.sandbox import MarketplaceSandbox
from sellerjobs.clock import ManualClock

from .helpers import BASE_URL, CLIENT_ID, CLIENT_SECRET, SCOPE_PUBLIC, bearer, only_error, user_token
from .provider_helpers import TAXONOMY, app_headers, walk

TREE = f"{TAXONOMY}/category_tree/0"
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture
def app(client):
    return app_headers(client)


def _error(response: httpx.Response, status: int, error_id: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = only_error(response)
    assert (error["errorId"], error["domain"], error["category"]) == (error_id, "API_TAXONOMY", "REQUEST")
    return error


# ---------------------------------------------------------------- default tree ids


@pytest.mark.parametrize(
    ("marketplace", "tree_id"),
    [("EBAY_US", "0"), ("EBAY_MOTORS_US", "100"), ("EBAY_CA", "2"), ("EBAY_GB", "3"), ("EBAY_AU", "15"),
     ("EBAY_FR", "71"), ("EBAY_DE", "77"), ("EBAY_IT", "101"), ("EBAY_ES", "186")],
)  # fmt: skip
def test_default_tree_id_per_marketplace(client, app, marketplace, tree_id):
    url = f"{TAXONOMY}/get_default_category_tree_id"
    response = client.get(url, params={"marketplace_id": marketplace}, headers=app)

    assert response.status_code == 200
    assert response.json() == {"categoryTreeId": tree_id, "categoryTreeVersion": "131"}


def test_default_tree_id_errors(client, app):
    url = f"{TAXONOMY}/get_default_category_tree_id"
    _error(client.get(url, headers=app), 400, 62002)
    error = _error(client.get(url, params={"marketplace_id": "EBAY_XX"}, headers=app), 400, 62003)
    assert error["parameters"] == [{"name": "marketplace_id", "value": "EBAY_XX"}]


# ---------------------------------------------------------------- whole tree


def test_whole_tree_follows_the_contract(client, sandbox, app):
    response = client.get(TREE, headers={**app, **IDENTITY})

    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    tree = response.json()
    assert tree["categoryTreeId"] == "0"
    assert tree["categoryTreeVersion"] == "131"
    assert tree["applicableMarketplaceIds"] == ["EBAY_US"]
    root = tree["rootCategoryNode"]
    assert root["categoryTreeNodeLevel"] == 0
    assert "parentCategoryTreeNodeHref" not in root

    nodes = walk(root)
    levels = {node["category"]["categoryId"]: node["categoryTreeNodeLevel"] for node in nodes}
    assert len(levels) == len(nodes)  # ids are unique
    leaves = []
    for node in nodes:
        assert set(node["category"]) == {"categoryId", "categoryName"}
        assert isinstance(node["category"]["categoryId"], str) and node["category"]["categoryName"]
        children = node.get("childCategoryTreeNodes")
        if children is None:
            assert node["leafCategoryTreeNode"] is True
            leaves.append(node["category"]["categoryId"])
        else:
            assert children and "leafCategoryTreeNode" not in node  # only ever sent as true
            for child in children:
                assert child["categoryTreeNodeLevel"] == node["categoryTreeNodeLevel"] + 1
                parent_id = node["category"]["categoryId"]
                assert child["parentCategoryTreeNodeHref"] == (
                    f"/category_tree/0/get_category_subtree?category_id={parent_id}"
                )
    assert 300 <= len(leaves) <= 600
    assert leaves == sandbox.leaf_category_ids()
    assert max(levels.values()) >= 4
    names = {node["category"]["categoryId"]: node["category"]["categoryName"] for node in nodes}
    assert names["26395"] == "Health & Beauty"
    assert names["11450"] == "Clothing, Shoes & Accessories"
    assert names["15709"] == "Athletic Shoes"


def test_whole_tree_is_gzipped_when_the_client_accepts_it(client, sandbox, app):
    plain = client.get(TREE, headers={**app, **IDENTITY})
    zipped = client.get(TREE, headers={**app, "Accept-Encoding": "gzip"})

    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json() == plain.json()  # httpx decompressed it transparently
    assert zipped.num_bytes_downloaded < len(zipped.content) / 5

    # In-process the body arrives decoded, marked as sent gzip-encoded (the HTTP server encodes it).
    raw = sandbox.handle(httpx.Request("GET", BASE_URL + TREE, headers={**app, "Accept-Encoding": "gzip"}))
    assert raw.headers["content-encoding"] == "gzip"
    assert json.loads(raw.read()) == plain.json()


def test_gzip_refused_with_zero_q_value(client, app):
    response = client.get(TREE, headers={**app, "Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in response.headers


def test_tree_of_another_marketplace(client, app):
    tree = client.get(f"{TAXONOMY}/category_tree/3", headers=app).json()
    assert tree["categoryTreeId"] == "3"
    assert tree["applicableMarketplaceIds"] == ["EBAY_GB"]


def test_unknown_tree(client, app):
    for path in ("category_tree/999", "category_tree/999/fetch_item_aspects"):
        error = _error(client.get(f"{TAXONOMY}/{path}", headers=app), 400, 62004)
        assert error["parameters"] == [{"name": "category_tree_id", "value": "999"}]
    url = f"{TAXONOMY}/category_tree/999/get_category_subtree"
    _error(client.get(url, params={"category_id": "26395"}, headers=app), 400, 62004)


# ---------------------------------------------------------------- subtrees


def test_health_and_beauty_subtree(client, sandbox, app):
    response = client.get(f"{TREE}/get_category_subtree", params={"category_id": "26395"}, headers=app)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"categorySubtreeNode", "categoryTreeId", "categoryTreeVersion"}
    assert (body["categoryTreeId"], body["categoryTreeVersion"]) == ("0", "131")
    top = body["categorySubtreeNode"]
    assert top["category"] == {"categoryId": "26395", "categoryName": "Health & Beauty"}
    assert top["categoryTreeNodeLevel"] == 1  # levels stay absolute in a subtree
    assert top["parentCategoryTreeNodeHref"] == "/category_tree/0/get_category_subtree?category_id=0"

    nodes = walk(top)
    leaves = [node["category"]["categoryId"] for node in nodes if node.get("leafCategoryTreeNode")]
    assert leaves == sandbox.leaf_category_ids(parent="26395")
    assert 24 <= len(leaves) <= 100
    paths = {node["category"]["categoryName"] for node in nodes}
    assert {"Makeup", "Face", "Foundation", "Fragrances", "Women's Fragrances", "Skin Care"} <= paths


def test_subtree_of_a_leaf_is_just_the_leaf(client, sandbox, app):
    leaf = sandbox.leaf_category_ids(parent="26395")[0]
    node = client.get(f"{TREE}/get_category_subtree", params={"category_id": leaf}, headers=app).json()
    assert node["categorySubtreeNode"]["leafCategoryTreeNode"] is True
    assert "childCategoryTreeNodes" not in node["categorySubtreeNode"]


@pytest.mark.parametrize(
    ("params", "error_id"),
    [({}, 62006), ({"category_id": "0"}, 62008), ({"category_id": "999999999"}, 62005)],
)
def test_subtree_errors(client, app, params, error_id):
    response = client.get(f"{TREE}/get_category_subtree", params=params, headers=app)
    error = _error(response, 400, error_id)
    if error_id == 62008:
        assert {"name": "categoryTreeHref", "value": f"{TAXONOMY}/category_tree/0"} in error["parameters"]


def test_subtree_is_gzipped_on_request(client, app):
    response = client.get(
        f"{TREE}/get_category_subtree", params={"category_id": "11450"}, headers={**app, "Accept-Encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["categorySubtreeNode"]["category"]["categoryId"] == "11450"


# ---------------------------------------------------------------- item aspects


CONSTRAINT_TYPES = {
    "aspectDataType": str,
    "aspectMode": str,
    "aspectRequired": bool,
    "aspectUsage": str,
    "itemToAspectCardinality": str,
    "aspectEnabledForVariations": bool,
    "aspectApplicableTo": list,
}


def test_aspects_of_a_leaf(client, sandbox, app):
    leaf = sandbox.leaf_category_ids(parent="26395", with_aspects=True)[0]
    response = client.get(f"{TREE}/get_item_aspects_for_category", params={"category_id": leaf}, headers=app)

    assert response.status_code == 200
    aspects = response.json()["aspects"]
    assert aspects == sandbox.category_aspects(leaf)
    assert aspects[0]["localizedAspectName"] == "Brand"
    required = [aspect["aspectConstraint"]["aspectRequired"] for aspect in aspects]
    assert required == sorted(required, reverse=True)  # required aspects come first
    for aspect in aspects:
        assert isinstance(aspect["localizedAspectName"], str)
        constraint = aspect["aspectConstraint"]
        for name, kind in CONSTRAINT_TYPES.items():
            assert isinstance(constraint[name], kind), (name, constraint)
        assert constraint["aspectDataType"] in {"STRING", "NUMBER", "DATE", "STRING_ARRAY"}
        assert constraint["aspectMode"] in {"FREE_TEXT", "SELECTION_ONLY"}
        assert constraint["aspectUsage"] in {"RECOMMENDED", "OPTIONAL"}
        assert constraint["itemToAspectCardinality"] in {"SINGLE", "MULTI"}
        for value in aspect.get("aspectValues", []):
            assert set(value) == {"localizedValue"} and isinstance(value["localizedValue"], str)


def test_aspects_vary_by_category(sandbox):
    shoes = {aspect["localizedAspectName"]: aspect for aspect in sandbox.category_aspects("15709")}
    size = shoes["US Shoe Size"]["aspectConstraint"]
    assert (size["aspectMode"], size["aspectRequired"], size["aspectEnabledForVariations"]) == (
        "SELECTION_ONLY", True, True
    )  # fmt: skip

    leaves = sandbox.leaf_category_ids(with_aspects=True)
    every = [aspect for leaf in leaves for aspect in sandbox.category_aspects(leaf)]
    seen = {name: {aspect["aspectConstraint"][name] for aspect in every} for name in
            ("aspectMode", "aspectUsage", "aspectRequired", "itemToAspectCardinality", "aspectDataType")}  # fmt: skip
    assert seen["aspectMode"] == {"FREE_TEXT", "SELECTION_ONLY"}
    assert seen["aspectUsage"] == {"RECOMMENDED", "OPTIONAL"}
    assert seen["aspectRequired"] == {True, False}
    assert seen["itemToAspectCardinality"] == {"SINGLE", "MULTI"}
    assert {"STRING", "NUMBER", "DATE"} <= seen["aspectDataType"]
    names = {aspect["localizedAspectName"] for aspect in every}
    assert {"Brand", "Type", "Size", "Color", "Department", "Model", "Shade"} <= names


def test_leaf_without_aspects_answers_204(client, sandbox, app):
    leaf = sandbox.leaf_category_ids(with_aspects=False)[0]
    response = client.get(f"{TREE}/get_item_aspects_for_category", params={"category_id": leaf}, headers=app)
    assert (response.status_code, response.content) == (204, b"")
    assert sandbox.category_aspects(leaf) is None


@pytest.mark.parametrize(
    ("category_id", "error_id"),
    [("26395", 62009), ("999999999", 62005), ("", 62006), ("0", 62008)],
)
def test_aspects_errors(client, app, category_id, error_id):
    params = {"category_id": category_id} if category_id else {}
    _error(client.get(f"{TREE}/get_item_aspects_for_category", params=params, headers=app), 400, error_id)


def test_fetch_item_aspects_is_a_gzip_file_of_every_leaf(client, sandbox, app):
    response = client.get(f"{TREE}/fetch_item_aspects", headers=app)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert "content-encoding" not in response.headers  # the payload itself is the .gz file
    assert re.search(r'filename=".+\.json\.gz"', response.headers["content-disposition"])
    document = json.loads(gzip.decompress(response.content))
    assert (document["categoryTreeId"], document["categoryTreeVersion"]) == ("0", "131")
    entries = {entry["category"]["categoryId"]: entry for entry in document["categoryAspects"]}
    assert list(entries) == sandbox.leaf_category_ids(with_aspects=True)
    for leaf in list(entries)[:25]:
        assert entries[leaf]["aspects"] == sandbox.category_aspects(leaf)
    assert entries["15709"]["category"] == {"categoryId": "15709", "categoryName": "Athletic Shoes"}


# ---------------------------------------------------------------- auth


def test_taxonomy_accepts_application_and_user_tokens_with_the_public_scope(client, app):
    url, params = f"{TREE}/get_category_subtree", {"category_id": "1"}
    user = bearer(user_token(client, "rt-alice", scope=SCOPE_PUBLIC))
    for headers in (app, user):
        assert client.get(url, params=params, headers=headers).is_success

    marketing_only = bearer(user_token(client, "rt-alice"))
    denied = client.get(url, params=params, headers=marketing_only)
    assert (denied.status_code, only_error(denied)["errorId"]) == (403, 1100)


@pytest.mark.parametrize(
    ("headers", "error_id"),
    [({}, 1002), ({"Authorization": "Bearer nope"}, 1001), ({"Authorization": "Basic abc"}, 1003)],
)
def test_taxonomy_rejects_missing_or_bad_tokens(client, headers, error_id):
    response = client.get(TREE, headers=headers)
    assert response.status_code == 401
    assert only_error(response)["errorId"] == error_id


# ---------------------------------------------------------------- generated trees


def test_bigger_tree_for_benchmarks(client, sandbox, app):
    version = sandbox.use_category_tree(1200, seed=7)

    assert version == "132"  # a new tree is a new version
    assert len(sandbox.leaf_category_ids()) == 1200
    tree = client.get(TREE, headers=app).json()
    assert tree["categoryTreeVersion"] == "132"
    leaves = [node for node in walk(tree["rootCategoryNode"]) if node.get("leafCategoryTreeNode")]
    assert len(leaves) == 1200
    ids = {node["category"]["categoryId"] for node in walk(tree["rootCategoryNode"])}
    assert {"26395", "180959", "177011", "11450", "15709", "95672"} <= ids
    default = client.get(f"{TAXONOMY}/get_default_category_tree_id", params={"marketplace_id": "EBAY_US"}, headers=app)
    assert default.json()["categoryTreeVersion"] == "132"


def test_tree_size_has_a_floor(sandbox):
    with pytest.raises(ValueError, match="at least"):
        sandbox.use_category_tree(10)
    with pytest.raises(ValueError, match="no marketplace"):
        sandbox.use_category_tree(500, tree_id="42")


def _fresh(leaves: int | None = None, seed: int = 0) -> tuple[MarketplaceSandbox, httpx.Client]:
    sb = MarketplaceSandbox(clock=ManualClock())
    sb.add_app(CLIENT_ID, CLIENT_SECRET)
    if leaves is not None:
        sb.use_category_tree(leaves, seed)
    return sb, httpx.Client(transport=httpx.MockTransport(sb.handle), base_url=BASE_URL)


def test_same_seed_same_tree_and_aspects():
    first, second = _fresh(), _fresh()
    for path in (TREE, f"{TREE}/fetch_item_aspects"):
        responses = [c.get(path, headers={**app_headers(c), **IDENTITY}).content for _, c in (first, second)]
        assert responses[0] == responses[1]

    seeded = [sb.leaf_category_ids() for sb, _ in (_fresh(800, 3), _fresh(800, 3), _fresh(800, 4))]
    assert seeded[0] == seeded[1]
    assert seeded[0] != seeded[2]


def test_calls_are_logged_with_their_category(client, sandbox, app):
    sandbox.reset_calls()
    client.get(f"{TREE}/get_item_aspects_for_category", params={"category_id": "15709"}, headers=app)
    client.get(TREE, headers=app)

    aspects_call, tree_call = sandbox.calls
    assert (aspects_call["operation"], aspects_call["category_id"], aspects_call["status"]) == (
        "get_item_aspects_for_category", "15709", 200
    )  # fmt: skip
    assert (tree_call["operation"], tree_call["category_id"]) == ("get_category_tree", None)
    assert tree_call["app"] == CLIENT_ID
    assert sandbox.call_counts("ebay") == {"get_item_aspects_for_category": 1, "get_category_tree": 1}
