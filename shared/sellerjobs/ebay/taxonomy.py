"""eBay Commerce Taxonomy with the application token: trees, subtrees and item aspects."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from sellerjobs.categories.ports import TreeRef
from sellerjobs.ebay.credentials import APP_SCOPE
from sellerjobs.ebay.http import BudgetedHttp, errors_of, json_body
from sellerjobs.ebay.oauth import APP, TokenProvider
from sellerjobs.jobs.marketplace import MarketplaceAuthError, MarketplaceTransient, RequestRejected

BASE = "/commerce/taxonomy/v1"


@dataclass
class TaxonomyApi:
    http: BudgetedHttp
    tokens: TokenProvider

    def default_tree(self, marketplace_id: str) -> TreeRef:
        body = json_body(self._get(f"{BASE}/get_default_category_tree_id", params={"marketplace_id": marketplace_id}))
        return TreeRef(str(body["categoryTreeId"]), str(body.get("categoryTreeVersion", "")))

    def subtree(self, tree_id: str, category_id: str) -> dict[str, Any]:
        body = json_body(self._get(f"{BASE}/category_tree/{tree_id}/get_category_subtree",
                                   params={"category_id": category_id}))
        return dict(body["categorySubtreeNode"])

    def tree(self, tree_id: str) -> dict[str, Any]:
        # eBay gzips this large answer when asked; httpx decodes it on the way in.
        body = json_body(self._get(f"{BASE}/category_tree/{tree_id}", headers={"Accept-Encoding": "gzip"}))
        return dict(body["rootCategoryNode"])

    def aspects(self, tree_id: str, category_id: str) -> list[dict[str, Any]]:
        response = self._get(f"{BASE}/category_tree/{tree_id}/get_item_aspects_for_category",
                             params={"category_id": category_id})
        if response.status_code == 204:  # a leaf without aspects
            return []
        return list(json_body(response).get("aspects") or [])

    def all_aspects(self, tree_id: str) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
        """Every leaf's aspects from one gzip file, parsed as it streams in.

        The file can exceed 100 MB compressed; it is decompressed and parsed incrementally, so
        only one category's aspects are in memory at a time.
        """
        import ijson

        with self._stream(f"{BASE}/category_tree/{tree_id}/fetch_item_aspects") as response:
            compressed = io.BufferedReader(_ResponseReader(response.iter_raw()), buffer_size=1 << 16)
            for entry in ijson.items(gzip.GzipFile(fileobj=compressed), "categoryAspects.item", use_float=True):
                category = entry.get("category") or {}
                yield str(category.get("categoryId")), str(category.get("categoryName") or ""), \
                    list(entry.get("aspects") or [])

    # -- plumbing ----------------------------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.app_token(APP_SCOPE)}"} | (extra or {})

    def _get(self, url: str, *, params: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        for attempt in range(2):
            response = self.http.send("GET", url, params=params, headers=self._headers(headers))
            if response.status_code == 401 and attempt == 0:
                self.tokens.invalidate(APP, APP_SCOPE)  # expired or revoked: mint once more
                continue
            return _raise_for_status(response)
        raise AssertionError("unreachable")

    def _stream(self, url: str) -> Any:
        return self.http.stream("GET", url, headers=self._headers())


def _raise_for_status(response: httpx.Response) -> httpx.Response:
    if response.status_code in (401, 403):
        raise MarketplaceAuthError(f"eBay refused the application's token (HTTP {response.status_code})")
    if response.status_code >= 400:
        raise RequestRejected(response.status_code, errors_of(response))
    return response


class _ResponseReader(io.RawIOBase):
    """A file object over a byte iterator, so gzip can read a body as it streams in."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.HTTPError as exc:
                raise MarketplaceTransient(f"eBay's aspects file broke off ({type(exc).__name__})") from exc
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
