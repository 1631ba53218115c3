"""Stored item aspects: one DynamoDB item per (marketplace, category), gzip-compressed JSON.

A category with very many aspect values can exceed DynamoDB's 400 KB item limit even
compressed; its aspects go to S3 and the item keeps the object's key.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import from_item, to_item
from sellerjobs.categories.job import AspectRecord

# Comfortably under DynamoDB's 400 KB item limit, leaving room for the other attributes.
MAX_INLINE_BYTES = 350_000


@dataclass
class AspectItems:
    table: str
    bucket: str = ""

    def put(self, record: AspectRecord) -> dict[str, Any]:
        """The transaction Put that stores ``record`` (uploading oversized aspects to S3 first)."""
        packed = gzip.compress(json.dumps(record.aspects, separators=(",", ":")).encode(), mtime=0)
        values: dict[str, Any] = {
            "pk": _key(record.marketplace_id, record.category_id), "marketplaceId": record.marketplace_id,
            "categoryId": record.category_id, "categoryName": record.category_name,
            "categoryTreeId": record.tree_id, "categoryTreeVersion": record.tree_version,
            "fetchedAt": record.fetched_at, "jobId": record.job_id, "aspectCount": len(record.aspects),
        }
        if len(packed) <= MAX_INLINE_BYTES:
            values["aspectsGz"] = packed
        else:
            key = f"aspects/{record.marketplace_id}/{record.category_id}.json.gz"
            clients.s3().put_object(Bucket=self.bucket, Key=key, Body=packed, ContentType="application/json",
                                    ContentEncoding="gzip")
            values["s3Key"] = key
        return {"Put": {"TableName": self.table, "Item": to_item(values)}}


@dataclass
class DynamoAspectStore:
    table: str
    bucket: str = ""

    def get(self, marketplace_id: str, category_id: str) -> AspectRecord | None:
        response = clients.dynamodb().get_item(TableName=self.table,
                                               Key=to_item({"pk": _key(marketplace_id, category_id)}))
        item = from_item(response.get("Item") or {})
        if not item:
            return None
        if "s3Key" in item:
            packed = clients.s3().get_object(Bucket=self.bucket, Key=item["s3Key"])["Body"].read()
        else:
            packed = bytes(item["aspectsGz"])
        return AspectRecord(
            marketplace_id=item["marketplaceId"], tree_id=item["categoryTreeId"],
            tree_version=item.get("categoryTreeVersion", ""), category_id=item["categoryId"],
            category_name=item.get("categoryName", ""), aspects=json.loads(gzip.decompress(packed)),
            fetched_at=int(item["fetchedAt"]), job_id=item.get("jobId", ""))


def _key(marketplace_id: str, category_id: str) -> str:
    return f"{marketplace_id}#{category_id}"
