"""Path templates to operations.

Each fake API module exposes a ``ROUTES`` list; the sandbox concatenates them. Routes are tried in
order, so literal paths (``/ad_campaign/get_campaign_by_name``) must come before templated ones
(``/ad_campaign/{campaign_id}``) that would also match them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import httpx

from local.sandbox.state import USER_TOKEN, AccessToken, SandboxState

# How a route authenticates: HTTP Basic client credentials (eBay's token endpoint), an eBay bearer
# token, StockX client credentials in the body (its token endpoint), StockX's API key plus bearer
# token, or an Alias personal access token.
AuthKind = Literal["client_basic", "bearer", "stockx_client", "stockx", "alias"]
# Which error format injected faults and generic errors use. eBay APIs share one envelope but each
# has its own "internal error" id, hence one dialect per eBay API family.
Dialect = Literal["ebay", "ebay_oauth", "ebay_taxonomy", "ebay_browse", "stockx", "stockx_oauth", "alias"]

_PROVIDERS: dict[str, str] = {"stockx": "stockx", "stockx_oauth": "stockx", "alias": "alias"}


@dataclass
class RequestContext:
    request: httpx.Request
    route: Route
    path_params: dict[str, str]
    now: float
    app: str | None = None
    seller: str | None = None
    token: AccessToken | None = None
    listing_ids: list[str] = field(default_factory=list)

    @property
    def query(self) -> httpx.QueryParams:
        return self.request.url.params


Handler = Callable[[SandboxState, RequestContext], httpx.Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    operation: str
    handler: Handler
    group: str
    auth: AuthKind
    dialect: Dialect = "ebay"
    # For bearer routes: the token needs at least one of these scopes and one of these token types.
    scopes: frozenset[str] = frozenset()
    token_types: frozenset[str] = frozenset({USER_TOKEN})
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def provider(self) -> str:
        """Whose API this is ("ebay", "stockx", "alias"), for per-provider call counts."""
        return _PROVIDERS.get(self.dialect, "ebay")


@dataclass(frozen=True)
class Match:
    route: Route
    path_params: dict[str, str]


@dataclass(frozen=True)
class WrongMethod:
    allowed: tuple[str, ...]
    operation: str
    dialect: Dialect = "ebay"


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes: Sequence[Route] = tuple(routes)

    @property
    def operations(self) -> set[str]:
        return {route.operation for route in self._routes}

    @property
    def routes(self) -> Sequence[Route]:
        return self._routes

    def match(self, method: str, path: str) -> Match | WrongMethod | None:
        # HEAD is answered like GET; the HTTP server drops the body.
        wanted = "GET" if method == "HEAD" else method
        allowed: list[str] = []
        first: Route | None = None
        for route in self._routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == wanted:
                return Match(route, found.groupdict())
            allowed.append(route.method)
            first = first or route
        if first is not None:
            return WrongMethod(tuple(dict.fromkeys(allowed)), first.operation, first.dialect)
        return None

    def nearest_dialect(self, path: str) -> Dialect:
        """The error dialect of the API whose paths share the most leading segments with ``path``.

        An unknown path under ``/v2/`` should fail in StockX's envelope, not eBay's; paths that share
        nothing with any route get eBay's (the sandbox's original dialect).
        """
        wanted = path.strip("/").split("/")
        best: tuple[int, Dialect] = (0, "ebay")
        for route in self._routes:
            shared = 0
            for have, want in zip(route.template.strip("/").split("/"), wanted, strict=False):
                if have != want or "{" in have:
                    break
                shared += 1
            if shared > best[0]:
                best = (shared, route.dialect)
        return best[1]
