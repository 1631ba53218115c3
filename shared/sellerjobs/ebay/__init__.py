"""eBay REST clients (httpx). ``errors`` is plain data and safe to import anywhere."""
