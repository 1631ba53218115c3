"""Adapters for HTTP calls to sellers' own endpoints (webhooks): the only other package, beside
``ebay`` and ``providers``, that imports httpx."""
