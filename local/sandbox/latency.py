"""How long the marketplace takes to answer: the sandbox's modelled provider latency.

Off by default (tests that assert exact times want instant answers); the capacity-aware
simulation and ``make up`` turn it on. The sandbox waits before serving a request, so what the
request does on the marketplace (an ad created, a price read) happens at the end of the wait, as
the caller would see it. Over HTTP in real time the wait is a real (time-scaled) sleep; in virtual
time it is charged to the invocation that made the call.

The figures are modelled, not measured: a few hundred milliseconds for eBay's Marketing API
(bulk ad creation grows with the listings in the call), 150 ms for lighter reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx

BULK_OPERATIONS = frozenset({"bulk_create_ads_by_listing_id"})


@dataclass(frozen=True)
class ProviderLatency:
    ebay_marketing_s: float = 0.300
    ebay_per_listing_s: float = 0.002  # per listing in a bulk call
    ebay_oauth_s: float = 0.150
    taxonomy_s: float = 0.150
    taxonomy_bulk_file_s: float = 2.0  # fetch_item_aspects: one large gzip download
    browse_s: float = 0.150
    stockx_s: float = 0.150
    alias_s: float = 0.150
    webhook_receiver_s: float = 0.050  # a seller's endpoint taking a delivery
    by_operation: dict[str, float] = field(default_factory=dict)  # overrides, in seconds

    def seconds(self, dialect: str, operation: str, request: httpx.Request) -> float:
        if operation in self.by_operation:
            return self.by_operation[operation]
        if operation == "fetch_item_aspects":
            return self.taxonomy_bulk_file_s
        if operation in BULK_OPERATIONS:
            return self.ebay_marketing_s + self.ebay_per_listing_s * _listings(request)
        return {"ebay": self.ebay_marketing_s, "ebay_oauth": self.ebay_oauth_s, "ebay_taxonomy": self.taxonomy_s,
                "ebay_browse": self.browse_s, "stockx": self.stockx_s, "stockx_oauth": self.stockx_s,
                "alias": self.alias_s}.get(dialect, self.ebay_marketing_s)

    def describe(self) -> dict[str, float]:
        return {"ebay_marketing_s": self.ebay_marketing_s, "ebay_per_listing_s": self.ebay_per_listing_s,
                "ebay_oauth_s": self.ebay_oauth_s, "taxonomy_s": self.taxonomy_s,
                "taxonomy_bulk_file_s": self.taxonomy_bulk_file_s, "browse_s": self.browse_s,
                "stockx_s": self.stockx_s, "alias_s": self.alias_s, "webhook_receiver_s": self.webhook_receiver_s}


def _listings(request: httpx.Request) -> int:
    try:
        body = json.loads(request.content or b"{}")
        return len(body.get("requests", [])) if isinstance(body, dict) else 0
    except ValueError:
        return 0
