"""Commerce Taxonomy: default tree ids, whole trees, subtrees and item aspects.

Everything here reads the category trees the sandbox serves (see ``category_tree``); responses
that eBay compresses are gzip-encoded when the client accepts it, and the large, unchanging ones
(whole tree, all-leaf aspects file) are serialised once per tree version and cached.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from local.sandbox.category_tree import (
    DEFAULT_TREE_IDS,
    CategoryTree,
    TreeSettings,
    build_tree,
    marketplaces_of,
    node_json,
)
from local.sandbox.content_encoding import compress, gzip_file_response, json_bytes, json_response_maybe_gzip
from local.sandbox.ebay_errors import error_response
from local.sandbox.ebay_oauth import SCOPE_METADATA_INSIGHTS, SCOPE_PUBLIC
from local.sandbox.item_aspects import aspects_for
from local.sandbox.responses import empty_response, json_response
from local.sandbox.routing import Handler, RequestContext, Route
from local.sandbox.state import APPLICATION_TOKEN, USER_TOKEN, SandboxState

BASE_PATH = "/commerce/taxonomy/v1"
GROUP = "taxonomy"

# Taxonomy takes application tokens (what the system uses) and user tokens alike.
_TOKEN_TYPES = frozenset({APPLICATION_TOKEN, USER_TOKEN})
_SCOPES = frozenset({SCOPE_PUBLIC})
_ASPECT_SCOPES = frozenset({SCOPE_PUBLIC, SCOPE_METADATA_INSIGHTS})


def tree_settings(state: SandboxState, tree_id: str) -> TreeSettings:
    return state.category_trees.get(tree_id, TreeSettings())


def served_tree(state: SandboxState, tree_id: str) -> tuple[CategoryTree, str] | None:
    """The tree and its version string, or None if no marketplace uses ``tree_id``."""
    if tree_id not in DEFAULT_TREE_IDS.values():
        return None
    settings = tree_settings(state, tree_id)
    return build_tree(tree_id, settings.leaves, settings.seed), str(settings.version)


def _tree_or_error(state: SandboxState, ctx: RequestContext) -> tuple[CategoryTree, str] | httpx.Response:
    tree_id = ctx.path_params["category_tree_id"]
    found = served_tree(state, tree_id)
    if found is None:
        # The contract lists 62004 under 400, not 404.
        return error_response(400, 62004, category_tree_id=tree_id)
    return found


def _category_or_error(tree: CategoryTree, ctx: RequestContext) -> str | httpx.Response:
    """The ``category_id`` query parameter, checked against the tree (62006, 62008, 62005)."""
    category_id: str = ctx.query.get("category_id", "").strip()
    if not category_id:
        return error_response(400, 62006, parameters=False)
    if category_id == tree.root_id:
        href = f"{BASE_PATH}/category_tree/{tree.tree_id}"
        return error_response(400, 62008, category_id=category_id, categoryTreeHref=href)
    if category_id not in tree.nodes:
        return error_response(400, 62005, category_id=category_id, category_tree_id=tree.tree_id)
    return category_id


def _cached(tree: CategoryTree, key: tuple[str, ...], build: Callable[[], bytes]) -> bytes:
    """Serialised bytes that depend only on the (immutable) tree and ``key``, built once."""
    found = tree.cache.get(key)
    if found is None:
        found = build()
        tree.cache[key] = found
    return found


def get_default_category_tree_id(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    marketplace_id = ctx.query.get("marketplace_id", "").strip()
    if not marketplace_id:
        return error_response(400, 62002, parameters=False)
    tree_id = DEFAULT_TREE_IDS.get(marketplace_id)
    if tree_id is None:
        return error_response(400, 62003, marketplace_id=marketplace_id)
    version = str(tree_settings(state, tree_id).version)
    return json_response(200, {"categoryTreeId": tree_id, "categoryTreeVersion": version})


def get_category_tree(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    found = _tree_or_error(state, ctx)
    if isinstance(found, httpx.Response):
        return found
    tree, version = found
    whole = {
        "applicableMarketplaceIds": marketplaces_of(tree.tree_id),
        "categoryTreeId": tree.tree_id,
        "categoryTreeVersion": version,
    }
    body = _cached(
        tree, ("tree", version), lambda: json_bytes({**whole, "rootCategoryNode": node_json(tree, tree.root_id)})
    )
    return json_response_maybe_gzip(
        ctx.request, body, compressed=lambda: _cached(tree, ("tree.gz", version), lambda: compress(body))
    )


def get_category_subtree(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    found = _tree_or_error(state, ctx)
    if isinstance(found, httpx.Response):
        return found
    tree, version = found
    category_id = _category_or_error(tree, ctx)
    if isinstance(category_id, httpx.Response):
        return category_id
    body = {
        "categorySubtreeNode": node_json(tree, category_id),
        "categoryTreeId": tree.tree_id,
        "categoryTreeVersion": version,
    }
    return json_response_maybe_gzip(ctx.request, json_bytes(body))


def get_item_aspects_for_category(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    found = _tree_or_error(state, ctx)
    if isinstance(found, httpx.Response):
        return found
    tree, _version = found
    category_id = _category_or_error(tree, ctx)
    if isinstance(category_id, httpx.Response):
        return category_id
    if not tree.nodes[category_id].is_leaf:
        return error_response(400, 62009, category_id=category_id)
    aspects = aspects_for(tree, category_id)
    if aspects is None:
        return empty_response(204)
    return json_response(200, {"aspects": aspects})


def fetch_item_aspects(state: SandboxState, ctx: RequestContext) -> httpx.Response:
    found = _tree_or_error(state, ctx)
    if isinstance(found, httpx.Response):
        return found
    tree, version = found

    def build() -> bytes:
        # Leaves without aspects are left out, as getItemAspectsForCategory answers 204 for them.
        category_aspects = []
        for leaf in tree.leaf_ids():
            aspects = aspects_for(tree, leaf)
            if aspects is not None:
                category = {"categoryId": leaf, "categoryName": tree.nodes[leaf].name}
                category_aspects.append({"category": category, "aspects": aspects})
        whole = {"categoryTreeId": tree.tree_id, "categoryTreeVersion": version, "categoryAspects": category_aspects}
        return compress(json_bytes(whole))

    archive = _cached(tree, ("aspects.gz", version), build)
    return gzip_file_response(archive, f"category_aspects_{tree.tree_id}_{version}.json.gz")


_TREE = f"{BASE_PATH}/category_tree/{{category_tree_id}}"


def _route(template: str, operation: str, handler: Handler, scopes: frozenset[str] = _SCOPES) -> Route:
    return Route(
        "GET",
        template,
        operation,
        handler,
        group=GROUP,
        auth="bearer",
        dialect="ebay_taxonomy",
        scopes=scopes,
        token_types=_TOKEN_TYPES,
    )


ROUTES = [
    _route(f"{BASE_PATH}/get_default_category_tree_id", "get_default_category_tree_id", get_default_category_tree_id),
    _route(f"{_TREE}/get_category_subtree", "get_category_subtree", get_category_subtree),
    _route(f"{_TREE}/get_item_aspects_for_category", "get_item_aspects_for_category",
           get_item_aspects_for_category, _ASPECT_SCOPES),
    _route(f"{_TREE}/fetch_item_aspects", "fetch_item_aspects", fetch_item_aspects, _ASPECT_SCOPES),
    _route(_TREE, "get_category_tree", get_category_tree),
]  # fmt: skip
