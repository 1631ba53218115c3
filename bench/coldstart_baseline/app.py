"""The cold-start benchmark's yardstick: about the smallest useful Lambda handler in Python.

A Powertools Logger, one boto3 client made at import (the usual place), one DynamoDB GetItem per
invocation. Every handler of ours is measured against this one in the same run.
"""

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger

logger = Logger()
dynamodb = boto3.client("dynamodb")


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, bool]:
    found = dynamodb.get_item(TableName=os.environ["BASELINE_TABLE"], Key={"pk": {"S": "baseline"},
                                                                           "sk": {"S": "baseline"}})
    logger.info("Baseline read", extra={"found": "Item" in found})
    return {"found": "Item" in found}
