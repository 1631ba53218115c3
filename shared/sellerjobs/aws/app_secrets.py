"""eBay application credentials from Secrets Manager (cached by Powertools for 5 minutes)."""

from __future__ import annotations

from sellerjobs.ebay.credentials import AppCredentials


def ebay_app_credentials(secret_name: str) -> AppCredentials:
    from aws_lambda_powertools.utilities import parameters

    raw = parameters.get_secret(secret_name, transform="json", max_age=300)
    if not isinstance(raw, dict) or not raw.get("clientId") or not raw.get("clientSecret"):
        # Never echo the secret's content, only its shape.
        raise ValueError(f"secret {secret_name} must be JSON with clientId and clientSecret")
    return AppCredentials(client_id=str(raw["clientId"]), client_secret=str(raw["clientSecret"]))
