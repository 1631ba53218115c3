"""Powertools idempotency's DynamoDB persistence layer on the project's lazily created client."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from sellerjobs.aws import clients


def persistence_layer(table: str) -> DynamoDBPersistenceLayer:
    # The table's key is "id" and its TTL attribute "expiration": Powertools' defaults.
    return DynamoDBPersistenceLayer(table_name=table, boto3_client=clients.dynamodb())
