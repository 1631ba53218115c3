"""In-memory ports the provider clients need, shared by the provider client tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from local.sandbox import MarketplaceSandbox
from sellerjobs.market.job import Provider
from sellerjobs.market.quotes import OutOfBudget


class MemoryCatalog:
    """CatalogCache as a store would keep it: values go through JSON, as DynamoDB items would."""

    def __init__(self) -> None:
        self.entries: dict[tuple[Provider, str], str] = {}
        self.puts = 0

    def get(self, provider: Provider, sku: str) -> dict[str, Any] | None:
        raw = self.entries.get((provider, sku))
        return None if raw is None else json.loads(raw)

    def put(self, provider: Provider, sku: str, value: dict[str, Any]) -> None:
        self.entries[(provider, sku)] = json.dumps(value)
        self.puts += 1


class MemoryTokens:
    """The token cache port (owner, scope) -> (token, expires at)."""

    def __init__(self) -> None:
        self.tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self.deletes = 0

    def get(self, owner: str, scope: str) -> tuple[str, float] | None:
        return self.tokens.get((owner, scope))

    def put(self, owner: str, scope: str, token: str, expires_at: float) -> None:
        self.tokens[(owner, scope)] = (token, expires_at)

    def delete(self, owner: str, scope: str) -> None:
        self.tokens.pop((owner, scope), None)
        self.deletes += 1


class Gate:
    """Counts the calls taken; after ``allow`` calls it raises OutOfBudget. ``observe`` runs at each call."""

    def __init__(self, allow: int | None = None, observe: Callable[[], int] | None = None,
                 provider: str = "provider") -> None:
        self.calls = 0
        self.allow = allow
        self.observe = observe
        self.provider = provider
        self.seen: list[int] = []

    def __call__(self) -> None:
        if self.allow is not None and self.calls >= self.allow:
            raise OutOfBudget(f"{self.provider} budget spent")
        self.calls += 1
        if self.observe is not None:
            self.seen.append(self.observe())


def sandbox_client(sandbox: MarketplaceSandbox) -> Iterator[httpx.Client]:
    """An httpx client whose requests the sandbox answers in-process."""
    with httpx.Client(transport=httpx.MockTransport(sandbox.handle), base_url="http://sandbox") as client:
        yield client
