"""A fake marketplace that follows the providers' contracts: eBay OAuth, Sell Marketing,
Commerce Taxonomy and Browse; StockX and Alias market data.

In-process: ``httpx.Client(transport=httpx.MockTransport(MarketplaceSandbox(...).handle))``.
Over HTTP: ``with serve(sandbox) as server:`` and point clients at ``server.url``.
"""

from local.sandbox.app import MarketplaceSandbox
from local.sandbox.server import SandboxServer, serve

__all__ = ["MarketplaceSandbox", "SandboxServer", "serve"]
