"""Market-data clients (httpx) for StockX, Alias and eBay Browse, behind the market domain's ``QuoteSource``."""
