"""Application credentials from Secrets Manager (cached by Powertools for 5 minutes): eBay's and
the market providers'."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sellerjobs.aws import clients
from sellerjobs.ebay.credentials import AppCredentials
from sellerjobs.providers.credentials import MarketCredentials

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider


@cache
def _provider() -> SecretsProvider:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    # Our own client: the same timeouts and retries as every other AWS call of ours.
    return SecretsProvider(boto3_client=clients.secretsmanager())


def ebay_app_credentials(secret_name: str) -> AppCredentials:
    raw = _provider().get(secret_name, transform="json", max_age=300)
    if not isinstance(raw, dict) or not raw.get("clientId") or not raw.get("clientSecret"):
        # Never echo the secret's content, only its shape.
        raise ValueError(f"secret {secret_name} must be JSON with clientId and clientSecret")
    return AppCredentials(client_id=str(raw["clientId"]), client_secret=str(raw["clientSecret"]))


def market_credentials(secret_name: str) -> MarketCredentials:
    """StockX and Alias credentials; errors name the missing key, never a value."""
    if not secret_name:
        raise ValueError("MARKET_PROVIDERS_SECRET_NAME is not set")
    raw = _provider().get(secret_name, max_age=300)
    return MarketCredentials.from_json(raw if isinstance(raw, (str, bytes)) else "")


def reset() -> None:
    _provider.cache_clear()
