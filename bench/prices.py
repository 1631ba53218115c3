"""AWS list prices used by the cost benchmark, in one place (us-east-1, USD, on-demand, no free tier).

Check them against the AWS pricing pages before relying on a figure; change them here only.
"""

from __future__ import annotations

LAMBDA_ARM_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1e6
DYNAMODB_WRITE_UNIT = 0.625 / 1e6  # on-demand write request unit
DYNAMODB_READ_UNIT = 0.125 / 1e6  # on-demand read request unit
SQS_REQUEST = 0.40 / 1e6  # standard queue, per 64 KB chunk
SCHEDULER_INVOCATION = 1.00 / 1e6  # EventBridge Scheduler
HTTP_API_REQUEST = 1.00 / 1e6  # API Gateway HTTP API, first 300 million a month
KMS_REQUEST = 0.03 / 1e4
SECRETS_MANAGER_REQUEST = 0.05 / 1e4
STEP_FUNCTIONS_STANDARD_TRANSITION = 0.025 / 1e3

# For the Step Functions comparison: one listing per call, the call's round trip billed.
EBAY_CALL_SECONDS = 0.4
LAMBDA_MIN_BILLED_SECONDS = 0.001
