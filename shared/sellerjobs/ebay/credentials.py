"""eBay application credentials (plain data; no HTTP here)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    # Kept out of repr so a logged object never shows the secret.
    client_secret: str = field(repr=False)


MARKETING_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.marketing"
APP_SCOPE = "https://api.ebay.com/oauth/api_scope"
