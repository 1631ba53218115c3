"""Shared test settings: no test ever reaches real AWS."""

from __future__ import annotations

import os

# Set before anything imports boto3, so a stray client can only ever talk to moto.
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
})
os.environ.pop("AWS_PROFILE", None)
