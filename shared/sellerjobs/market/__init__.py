"""Market data: provider prices by priority, inside each provider's hourly call budget."""
