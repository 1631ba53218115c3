"""Reading eBay category tree nodes: leaf detection, tree order, the cap, labels."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from sellerjobs.categories.job import Category
from sellerjobs.categories.tree import label, leaves


def node(category_id: Any, name: str = "", *children: Any, leaf: bool | None = None) -> dict[str, Any]:
    built: dict[str, Any] = {"category": {"categoryId": category_id, "categoryName": name}}
    if children:
        built["childCategoryTreeNodes"] = list(children)
    if leaf is not None:
        built["leafCategoryTreeNode"] = leaf
    return built


def ids(found: list[Category]) -> list[str]:
    return [c.category_id for c in found]


class Untouchable(dict[str, Any]):
    """A node that must never be read (the walk should have stopped before it)."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the walk read a node past the cap")


# ---------------------------------------------------------------- leaf detection


def test_a_node_flagged_leaf_is_a_leaf_even_with_children():
    # Given a node eBay flags as a leaf that (oddly) lists children
    root = node("1", "Root", node("2", "Flagged", node("3", "Hidden"), leaf=True), node("4", "Plain", leaf=True))

    # Then the flagged node is the leaf; its children are not visited
    assert leaves(root) == [Category("2", "Flagged"), Category("4", "Plain")]


@pytest.mark.parametrize("childless", [
    {"category": {"categoryId": "2", "categoryName": "No key"}},
    {"category": {"categoryId": "2", "categoryName": "No key"}, "childCategoryTreeNodes": []},
    {"category": {"categoryId": "2", "categoryName": "No key"}, "childCategoryTreeNodes": None},
    {"category": {"categoryId": "2", "categoryName": "No key"}, "leafCategoryTreeNode": False},
], ids=["no-children-key", "empty-children", "null-children", "flag-false-no-children"])
def test_a_node_without_children_is_a_leaf(childless):
    root = node("1", "Root", childless, leaf=False)

    assert leaves(root) == [Category("2", "No key")]


def test_a_node_with_children_and_no_leaf_flag_is_not_a_leaf():
    root = node("1", "Root", node("2", "Parent", node("3", "Child")))

    assert ids(leaves(root)) == ["3"]


def test_a_node_that_is_itself_a_leaf_is_its_only_leaf():
    assert leaves(node("26395", "Health & Beauty", leaf=True)) == [Category("26395", "Health & Beauty")]
    assert leaves(node("26395", "Health & Beauty")) == [Category("26395", "Health & Beauty")]


# ---------------------------------------------------------------- order and cap


def wide_and_deep() -> dict[str, Any]:
    # Depth first: a1 a2 b c1 c2; breadth first would give b before a1.
    return node("0", "Root",
                node("a", "A", node("a1", "A1"), node("a2", "A2")),
                node("b", "B"),
                node("c", "C", node("cx", "CX", node("c1", "C1")), node("c2", "C2")))


def test_leaves_come_in_depth_first_tree_order():
    assert ids(leaves(wide_and_deep())) == ["a1", "a2", "b", "c1", "c2"]


@pytest.mark.parametrize(("limit", "expected"), [
    (1, ["a1"]),
    (3, ["a1", "a2", "b"]),
    (5, ["a1", "a2", "b", "c1", "c2"]),
    (50, ["a1", "a2", "b", "c1", "c2"]),
    (None, ["a1", "a2", "b", "c1", "c2"]),
])
def test_the_limit_keeps_the_first_leaves_in_tree_order(limit, expected):
    assert ids(leaves(wide_and_deep(), limit)) == expected


def test_the_walk_stops_at_the_cap():
    # Given a tree whose later part must not be read
    root = node("0", "Root", node("1", "One"), node("2", "Two"), Untouchable(node("3", "Three")))

    # When two leaves are asked for, the third subtree is never opened
    assert ids(leaves(root, 2)) == ["1", "2"]


def test_a_cap_of_zero_returns_nothing():
    assert leaves(wide_and_deep(), 0) == []


# ---------------------------------------------------------------- malformed nodes


def test_leaves_without_a_category_id_are_skipped_and_do_not_count_towards_the_cap():
    root = node("0", "Root",
                {"leafCategoryTreeNode": True},  # no category at all
                {"category": {}, "leafCategoryTreeNode": True},
                node("", "Empty id"),
                node(None, "Null id"),
                node("5", "Five"),
                node("6", "Six"))

    assert ids(leaves(root)) == ["5", "6"]
    assert ids(leaves(root, 1)) == ["5"]


def test_a_parent_without_a_category_id_is_still_walked():
    root = {"childCategoryTreeNodes": [node("1", "One")]}

    assert ids(leaves(root)) == ["1"]


def test_ids_become_strings_and_a_missing_name_becomes_empty():
    root = node("0", "Root", {"category": {"categoryId": 177}}, node("2", None))  # type: ignore[arg-type]

    assert leaves(root) == [Category("177", ""), Category("2", "")]


def test_children_that_are_not_objects_are_ignored():
    root = node("0", "Root", "junk", None, 42, node("1", "One"))

    assert ids(leaves(root)) == ["1"]


# ---------------------------------------------------------------- deep trees


def test_a_tree_deeper_than_the_recursion_limit_is_walked():
    # Given a chain 5000 levels deep, far beyond Python's recursion limit
    depth = 5000
    assert depth > sys.getrecursionlimit()
    bottom = node("deepest", "Deepest")
    current = bottom
    for level in range(depth):
        current = node(f"n{level}", f"Level {level}", current)

    # When its leaves are collected, Then the one leaf at the bottom is found
    assert leaves(current) == [Category("deepest", "Deepest")]


# ---------------------------------------------------------------- labels


def test_label_is_name_and_id_in_parentheses():
    assert label(node("26395", "Health & Beauty", node("1", "x"))) == "Health & Beauty (26395)"


def test_label_without_a_name_says_category():
    assert label({"category": {"categoryId": "26395"}}) == "Category (26395)"
