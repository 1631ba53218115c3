"""What every job family shares: retry policies and rate budgets."""
