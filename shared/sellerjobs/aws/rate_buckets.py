"""Shared call budgets in DynamoDB: one counter item per budget and window.

Taking ``n`` calls is a single conditional ``ADD``: it succeeds only while ``used + n`` stays
within the window's allowance, so any number of concurrent Lambdas can share one provider
quota without a lock and without ever overshooting it.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import from_item, is_condition_failure, to_item, to_values
from sellerjobs.clock import Clock
from sellerjobs.jobs.rate_budget import Grant, RateBudget


@dataclass
class DynamoRateLimiter:
    table: str
    clock: Clock

    def acquire(self, budget: RateBudget, n: int = 1, *, headroom: int = 0) -> Grant:
        now = self.clock.now()
        headroom = budget.held_back(now, headroom)
        ceiling = budget.allowance(now) - n - headroom
        if ceiling < 0:
            # More than the allowance so far, whatever is used: how long depends on what is.
            return Grant(False, max(1.0, budget.wait_for(self.used(budget, now) + headroom, n, now)))
        try:
            clients.dynamodb().update_item(
                TableName=self.table,
                Key=to_item({"pk": budget.window_key(now)}),
                UpdateExpression="ADD used :n SET expiresAt = if_not_exists(expiresAt, :ttl)",
                ConditionExpression="attribute_not_exists(used) OR used <= :ceiling",
                ExpressionAttributeValues=to_values({
                    ":n": n, ":ceiling": ceiling,
                    ":ttl": int(budget.window_start(now) + 2 * budget.window_s)}),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return Grant(True)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            used = int(from_item(exc.response.get("Item") or {}).get("used", 0))  # type: ignore[arg-type]
            return Grant(False, max(1.0, budget.wait_for(used + headroom, n, now)))

    def refund(self, budget: RateBudget, n: int, when: float) -> None:
        """Give back calls reserved but not made (in the window they were taken from)."""
        clients.dynamodb().update_item(
            TableName=self.table, Key=to_item({"pk": budget.window_key(when)}),
            UpdateExpression="ADD used :n", ExpressionAttributeValues=to_values({":n": -n}))

    def used(self, budget: RateBudget, when: float) -> int:
        response = clients.dynamodb().get_item(TableName=self.table, Key=to_item({"pk": budget.window_key(when)}))
        return int(from_item(response.get("Item") or {}).get("used", 0))
