"""Small helpers over the low-level DynamoDB client: (de)serialising items, error codes."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

Item = dict[str, Any]


@cache
def _serializer() -> TypeSerializer:
    # Imported on first use: boto3.dynamodb pulls in all of boto3, which an API function's
    # import path does not otherwise need.
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


@cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python values to DynamoDB attribute values; ``None`` means "attribute absent"."""
    serialize = _serializer().serialize
    return {k: serialize(v) for k, v in values.items() if v is not None}


def to_values(values: Mapping[str, Any]) -> dict[str, Any]:
    serialize = _serializer().serialize
    return {k: serialize(v) for k, v in values.items()}


def from_item(item: Mapping[str, Any]) -> Item:
    deserialize = _deserializer().deserialize
    return {k: deserialize(v) for k, v in item.items()}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_condition_failure(exc: ClientError) -> bool:
    return error_code(exc) == "ConditionalCheckFailedException"


def cancellation_reasons(exc: ClientError) -> list[dict[str, Any]]:
    """Per-item reasons of a cancelled transaction, in the order the items were sent."""
    return list(exc.response.get("CancellationReasons", []))  # type: ignore[arg-type]
