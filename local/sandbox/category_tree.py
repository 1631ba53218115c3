"""eBay category trees: the data model and a seeded generator.

A tree is the fixed core of real categories (``category_names.CORE``) grown to a requested number of
leaves by splitting leaves into named sub-categories. Generation is deterministic in
(tree id, leaves, seed) and built trees are cached per process, so every sandbox with the same
settings serves byte-identical trees without paying for the build again.

Which tree each marketplace uses, and each tree's current settings and version, are per sandbox
(``TreeSettings`` in ``SandboxState``); resizing a tree publishes a new ``categoryTreeVersion``, as a
real tree change would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache

from local.sandbox.category_names import CORE, PROTECTED_LEAVES, QUALIFIERS, CoreCategory

# Default tree id per marketplace (the fact sheet's table).
DEFAULT_TREE_IDS: dict[str, str] = {
    "EBAY_US": "0",
    "EBAY_MOTORS_US": "100",
    "EBAY_CA": "2",
    "EBAY_GB": "3",
    "EBAY_AU": "15",
    "EBAY_FR": "71",
    "EBAY_DE": "77",
    "EBAY_IT": "101",
    "EBAY_ES": "186",
}
US_TREE_ID = "0"
DEFAULT_LEAVES = 450
FIRST_VERSION = 131
ROOT_NAME = "Root"
# Splitting stops at this depth so big benchmark trees stay plausible (eBay's are ~6 deep).
_MAX_LEVEL = 6
# Ancestors that decide which aspect templates and sub-category names a leaf gets.
DOMAINS: dict[str, str] = {
    "93427": "shoes", "3034": "shoes", "171146": "apparel", "11450": "apparel",
    "180959": "makeup", "26395": "beauty",
    "293": "electronics", "15032": "electronics", "58058": "electronics", "625": "electronics",
    "1249": "electronics",
    "1": "collectibles", "64482": "collectibles", "45100": "collectibles", "11116": "collectibles",
    "260": "collectibles", "20081": "collectibles", "550": "collectibles", "870": "collectibles",
    "220": "toys", "237": "toys", "2984": "toys",
    "267": "media", "11232": "media", "11233": "media",
}  # fmt: skip


@dataclass(frozen=True)
class CategoryNode:
    category_id: str
    name: str
    level: int
    parent_id: str | None
    children: tuple[str, ...]

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True)
class CategoryTree:
    """An immutable tree; shared between sandboxes, so nothing may mutate it after the build."""

    tree_id: str
    root_id: str
    nodes: dict[str, CategoryNode]
    seed: int
    # Serialised forms, keyed by what they depend on besides the tree (e.g. the version string).
    cache: dict[tuple[str, ...], bytes] = field(default_factory=dict, compare=False, repr=False)

    def node(self, category_id: str) -> CategoryNode | None:
        return self.nodes.get(category_id)

    def leaf_ids(self, parent: str | None = None) -> list[str]:
        """Leaf ids under ``parent`` (the whole tree when None), depth first in tree order."""
        start = self.nodes[parent if parent is not None else self.root_id]
        found: list[str] = []
        stack = [start.category_id]
        while stack:
            node = self.nodes[stack.pop()]
            if node.is_leaf:
                found.append(node.category_id)
            else:
                stack.extend(reversed(node.children))
        return found

    def ancestors(self, category_id: str) -> list[CategoryNode]:
        """From the node's parent up to (excluding) the root."""
        chain: list[CategoryNode] = []
        parent = self.nodes[category_id].parent_id
        while parent is not None and parent != self.root_id:
            node = self.nodes[parent]
            chain.append(node)
            parent = node.parent_id
        return chain

    def domain(self, category_id: str) -> str:
        """The aspect/name domain of a category: its nearest ancestor-or-self listed in DOMAINS."""
        for node in [self.nodes[category_id], *self.ancestors(category_id)]:
            if node.category_id in DOMAINS:
                return DOMAINS[node.category_id]
        return "general"


@dataclass(frozen=True)
class TreeSettings:
    """What a sandbox serves for one tree id: generator inputs plus the published version."""

    leaves: int = DEFAULT_LEAVES
    seed: int = 0
    version: int = FIRST_VERSION


def core_leaf_count() -> int:
    def count(entry: CoreCategory) -> int:
        return 1 if not entry.children else sum(count(child) for child in entry.children)

    return sum(count(entry) for entry in CORE)


def marketplaces_of(tree_id: str) -> list[str]:
    return [marketplace for marketplace, tree in DEFAULT_TREE_IDS.items() if tree == tree_id]


@lru_cache(maxsize=32)
def build_tree(tree_id: str, leaves: int, seed: int) -> CategoryTree:
    """The tree for these inputs; cached, since trees are immutable and builds cost milliseconds."""
    return _Builder(tree_id, leaves, seed).build()


class _Builder:
    def __init__(self, tree_id: str, leaves: int, seed: int) -> None:
        minimum = core_leaf_count()
        if leaves < minimum:
            raise ValueError(f"a category tree needs at least {minimum} leaves (the fixed core)")
        self.tree_id = tree_id
        self.target = leaves
        self.seed = seed
        # The tree id joins the seed so each marketplace's tree differs in its generated part.
        self.rng = random.Random(f"category-tree:{tree_id}:{seed}")
        self.names: dict[str, str] = {}
        self.parents: dict[str, str | None] = {}
        self.children: dict[str, list[str]] = {}
        self.levels: dict[str, int] = {}
        self.domains: dict[str, str] = {}
        self.used_ids = {entry_id for entry_id in _known_ids(CORE)} | {tree_id}
        # Qualifiers used on the path to each generated node (core nodes have no entry).
        self.qualifiers: dict[str, frozenset[str]] = {}

    def build(self) -> CategoryTree:
        root_id = self.tree_id  # eBay gives the root the tree's own id ("0" for the US tree)
        self._add(root_id, ROOT_NAME, None, "general")
        for entry in CORE:
            self._add_core(entry, root_id)
        self._grow()
        nodes = {
            node_id: CategoryNode(node_id, self.names[node_id], self.levels[node_id], self.parents[node_id],
                                  tuple(self.children[node_id]))
            for node_id in self.names
        }  # fmt: skip
        return CategoryTree(self.tree_id, root_id, nodes, self.seed)

    def _add(self, node_id: str, name: str, parent: str | None, domain: str) -> None:
        self.names[node_id] = name
        self.parents[node_id] = parent
        self.children[node_id] = []
        self.levels[node_id] = 0 if parent is None else self.levels[parent] + 1
        self.domains[node_id] = domain
        self.used_ids.add(node_id)
        if parent is not None:
            self.children[parent].append(node_id)

    def _add_core(self, entry: CoreCategory, parent: str) -> None:
        node_id = entry.category_id or self._new_id()
        domain = DOMAINS.get(node_id, self.domains[parent])
        self._add(node_id, entry.name, parent, domain)
        for child in entry.children:
            self._add_core(child, node_id)

    def _new_id(self) -> str:
        # Six-digit ids like most of eBay's newer categories; collisions with real ids are skipped.
        while True:
            candidate = str(self.rng.randint(100_000, 299_999))
            if candidate not in self.used_ids:
                return candidate

    def _grow(self) -> None:
        """Split leaves until the target is reached, spreading growth evenly over top levels."""
        top_levels = list(self.children[self.tree_id])
        splittable = {top: [leaf for leaf in self._leaves_under(top) if self._can_split(leaf)] for top in top_levels}
        count = sum(1 for node_id in self.names if not self.children[node_id])
        while count < self.target:
            open_tops = [top for top in top_levels if splittable[top]]
            if not open_tops:
                raise ValueError(f"cannot grow the category tree beyond {count} leaves")
            top = self.rng.choice(open_tops)
            candidates = splittable[top]
            index = self.rng.randrange(len(candidates))
            leaf = candidates[index]
            candidates[index] = candidates[-1]
            candidates.pop()
            # Splitting one leaf into k children adds k - 1 leaves; never overshoot the target.
            k = min(self.rng.randint(2, 5), self.target - count + 1)
            created = self._split(leaf, k)
            candidates.extend(child for child in created if self._can_split(child))
            count += len(created) - 1

    def _leaves_under(self, node_id: str) -> list[str]:
        if not self.children[node_id]:
            return [node_id]
        return [leaf for child in self.children[node_id] for leaf in self._leaves_under(child)]

    def _can_split(self, node_id: str) -> bool:
        # "Other ..." is eBay's catch-all leaf; it never gets sub-categories of its own.
        return (
            node_id not in PROTECTED_LEAVES
            and self.levels[node_id] < _MAX_LEVEL
            and not self.names[node_id].startswith("Other")
        )

    def _split(self, leaf: str, k: int) -> list[str]:
        """Turn ``leaf`` into a parent of ``k`` new leaves.

        Children of a core category are named "Vintage Headphones", "Headphones Parts" ...; below a
        generated category only the qualifier is used ("Vintage Headphones" > "Parts"), and no
        qualifier repeats along a path, which keeps deep benchmark trees readable.
        """
        leaf_name = self.names[leaf]
        domain = self.domains[leaf]
        used = self.qualifiers.get(leaf, frozenset())
        patterns = [
            pattern
            for pattern in QUALIFIERS.get(domain, QUALIFIERS["general"])
            if pattern not in used and not set(_short(pattern).split()) & set(leaf_name.split())
        ]
        if len(patterns) < k:
            patterns = [pattern for pattern in QUALIFIERS["general"] if pattern not in used]
        chosen = self.rng.sample(patterns, min(k, len(patterns)))
        created = []
        for pattern in chosen:
            full = pattern.format(p=leaf_name)
            name = full if leaf not in self.qualifiers and len(full) <= 60 else _short(pattern)
            child = self._new_id()
            self._add(child, name, leaf, domain)
            self.qualifiers[child] = used | {pattern}
            created.append(child)
        return created


def _short(pattern: str) -> str:
    return pattern.replace("{p}", "").strip()


def _known_ids(entries: tuple[CoreCategory, ...]) -> set[str]:
    found: set[str] = set()
    for entry in entries:
        if entry.category_id is not None:
            found.add(entry.category_id)
        found |= _known_ids(entry.children)
    return found


def subtree_href(tree_id: str, category_id: str) -> str:
    """The relative getCategorySubtree href eBay puts in ``parentCategoryTreeNodeHref``."""
    return f"/category_tree/{tree_id}/get_category_subtree?category_id={category_id}"


def node_json(tree: CategoryTree, category_id: str) -> dict[str, object]:
    """A CategoryTreeNode with all descendants, as the contract shapes it."""
    node = tree.nodes[category_id]
    data: dict[str, object] = {
        "category": {"categoryId": node.category_id, "categoryName": node.name},
        "categoryTreeNodeLevel": node.level,
    }
    if node.is_leaf:
        data["leafCategoryTreeNode"] = True  # only ever sent as true; absent means false
    else:
        data["childCategoryTreeNodes"] = [node_json(tree, child) for child in node.children]
    if node.parent_id is not None:
        data["parentCategoryTreeNodeHref"] = subtree_href(tree.tree_id, node.parent_id)
    return data
