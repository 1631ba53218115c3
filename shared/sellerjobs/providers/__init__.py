"""Market-data clients (httpx) for StockX, Alias and eBay Browse, behind one interface."""
