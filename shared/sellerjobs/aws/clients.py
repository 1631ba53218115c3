"""boto3 clients, created on first use and kept for the life of the container.

boto3 is imported inside the factory, not at module import: cold starts of functions that never
reach AWS stay small, and tests can start moto before any client exists.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_events import EventBridgeClient
    from types_boto3_kms import KMSClient
    from types_boto3_s3 import S3Client
    from types_boto3_secretsmanager import SecretsManagerClient
    from types_boto3_sqs import SQSClient


# Creating clients from one session is not thread-safe; handlers run in threads in tests.
_lock = threading.Lock()


@cache
def _session() -> Any:
    """One session for every client: a session loads its configuration, credentials chain and
    endpoint data once (a new session per client cost ~35 ms of every cold start each)."""
    import boto3

    return boto3.session.Session()


@cache
def _client(service: str) -> Any:
    from botocore.config import Config

    # Standard retry mode backs off on throttling; short timeouts keep a stuck call from eating
    # the whole Lambda timeout.
    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)
    with _lock:
        return _session().client(service, config=config)


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    return _client("sqs")  # type: ignore[no-any-return]


def kms() -> KMSClient:
    return _client("kms")  # type: ignore[no-any-return]


def events() -> EventBridgeClient:
    return _client("events")  # type: ignore[no-any-return]


def s3() -> S3Client:
    return _client("s3")  # type: ignore[no-any-return]


def secretsmanager() -> SecretsManagerClient:
    return _client("secretsmanager")  # type: ignore[no-any-return]


def reset() -> None:
    """Drop cached clients (the local stack and tests point them at another endpoint)."""
    _client.cache_clear()
    _session.cache_clear()
