"""Reading eBay category tree nodes: which categories are leaves, what a node is called."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from sellerjobs.categories.job import Category


def leaves(node: dict[str, Any], limit: int | None = None) -> list[Category]:
    """The leaf categories under ``node`` (itself included if it is a leaf), in tree order."""
    # islice stops before taking a leaf beyond the cap, so a cap of 0 takes none (None: no cap).
    return list(itertools.islice(_walk(node), limit))


def _walk(node: dict[str, Any]) -> Iterator[Category]:
    # Iterative depth-first walk: whole trees are deep enough to make recursion a risk.
    stack = [node]
    while stack:
        current = stack.pop()
        children = current.get("childCategoryTreeNodes") or []
        if current.get("leafCategoryTreeNode") or not children:
            category = current.get("category") or {}
            if category.get("categoryId"):
                yield Category(str(category["categoryId"]), str(category.get("categoryName") or ""))
            continue
        stack.extend(reversed([c for c in children if isinstance(c, dict)]))


def label(node: dict[str, Any]) -> str:
    """"Health & Beauty (26395)", as the original system labelled a job's parent category."""
    category = node.get("category") or {}
    return f"{category.get('categoryName') or 'Category'} ({category.get('categoryId')})"
