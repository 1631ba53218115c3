"""Per-seller eBay state in DynamoDB: refresh tokens, cached access tokens, default campaigns.

    pk = USER#<userId>  sk = EBAY#REFRESH_TOKEN        KMS-encrypted refresh token
    pk = USER#<userId>  sk = EBAY#TOKEN#<scope>        KMS-encrypted access token + expiry
    pk = APP            sk = EBAY#TOKEN#<scope>        application token + expiry
    pk = USER#<userId>  sk = EBAY#CAMPAIGN#<market>    default campaign id + expiry

Tokens are encrypted with a customer-managed KMS key and an encryption context naming the
owner and purpose, so a ciphertext copied onto another seller's item does not decrypt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sellerjobs.accounts import Connection, ConnectionStatus
from sellerjobs.aws import clients
from sellerjobs.aws.dynamo import from_item, is_condition_failure, to_item, to_values
from sellerjobs.clock import Clock, now_ms

REFRESH_TOKEN_SK = "EBAY#REFRESH_TOKEN"


def _owner_pk(owner: str) -> str:
    return "APP" if owner == "APP" else f"USER#{owner}"


@dataclass
class KmsSealer:
    key_id: str

    def seal(self, plaintext: str, context: dict[str, str]) -> bytes:
        response = clients.kms().encrypt(KeyId=self.key_id, Plaintext=plaintext.encode(),
                                         EncryptionContext=context)
        return bytes(response["CiphertextBlob"])

    def open(self, ciphertext: bytes, context: dict[str, str]) -> str:
        response = clients.kms().decrypt(CiphertextBlob=ciphertext, EncryptionContext=context,
                                         KeyId=self.key_id)
        return bytes(response["Plaintext"]).decode()


@dataclass
class DynamoCredentialStore:
    """The seller's eBay refresh token (lasts ~18 months), sealed with KMS."""

    table: str
    sealer: KmsSealer
    clock: Clock

    def put_refresh_token(self, user_id: str, refresh_token: str) -> None:
        sealed = self.sealer.seal(refresh_token, {"userId": user_id, "purpose": "ebay-refresh-token"})
        clients.dynamodb().put_item(TableName=self.table, Item=to_item({
            "pk": _owner_pk(user_id), "sk": REFRESH_TOKEN_SK, "ciphertext": sealed,
            "updatedAt": int(self.clock.now() * 1000)}))

    def connection(self, user_id: str) -> Connection:
        return DynamoConnections(self.table).connection(user_id)

    def mark_revoked(self, user_id: str, reason: str) -> None:
        # Only the token that is stored: storing a new one (a put) clears the mark.
        try:
            clients.dynamodb().update_item(
                TableName=self.table, Key=to_item({"pk": _owner_pk(user_id), "sk": REFRESH_TOKEN_SK}),
                UpdateExpression="SET revokedAt = :now, revokedReason = :reason",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_values({":now": now_ms(self.clock), ":reason": reason[:300]}))
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def get_refresh_token(self, user_id: str) -> str | None:
        response = clients.dynamodb().get_item(
            TableName=self.table, Key=to_item({"pk": _owner_pk(user_id), "sk": REFRESH_TOKEN_SK}),
            ConsistentRead=True)
        item = from_item(response.get("Item") or {})
        if "ciphertext" not in item:
            return None
        return self.sealer.open(bytes(item["ciphertext"]),
                                {"userId": user_id, "purpose": "ebay-refresh-token"})


@dataclass
class DynamoConnections:
    """Whether a seller's eBay account is connected, from what is stored, without decrypting
    anything: no KMS call, so a function that only checks needs no key."""

    table: str

    def connection(self, user_id: str) -> Connection:
        response = clients.dynamodb().get_item(
            TableName=self.table, Key=to_item({"pk": _owner_pk(user_id), "sk": REFRESH_TOKEN_SK}),
            ProjectionExpression="updatedAt, revokedAt, revokedReason", ConsistentRead=True)
        item = from_item(response.get("Item") or {})
        if not item:
            return Connection(ConnectionStatus.NOT_CONNECTED)
        if item.get("revokedAt") is not None:
            return Connection(ConnectionStatus.REVOKED, since=int(item["revokedAt"]), reason=item.get("revokedReason"))
        return Connection(ConnectionStatus.CONNECTED, since=int(item.get("updatedAt", 0)) or None)


@dataclass
class DynamoTokenCache:
    """Access tokens shared by every container, so eBay's daily mint quota is not spent on cold
    starts. ``owner`` is a user id, or "APP" for the application token."""

    table: str
    sealer: KmsSealer

    def get(self, owner: str, scope: str) -> tuple[str, float] | None:
        response = clients.dynamodb().get_item(TableName=self.table, Key=self._key(owner, scope))
        item = from_item(response.get("Item") or {})
        if "ciphertext" not in item:
            return None
        token = self.sealer.open(bytes(item["ciphertext"]), self._context(owner, scope))
        return token, float(item["tokenExpiresAt"])

    def put(self, owner: str, scope: str, token: str, expires_at: float) -> None:
        sealed = self.sealer.seal(token, self._context(owner, scope))
        clients.dynamodb().put_item(TableName=self.table, Item=self._key(owner, scope) | to_item({
            "ciphertext": sealed, "tokenExpiresAt": int(expires_at), "expiresAt": int(expires_at) + 3600}))

    def delete(self, owner: str, scope: str) -> None:
        clients.dynamodb().delete_item(TableName=self.table, Key=self._key(owner, scope))

    @staticmethod
    def _key(owner: str, scope: str) -> dict[str, Any]:
        return to_item({"pk": _owner_pk(owner), "sk": f"EBAY#TOKEN#{_scope_id(scope)}"})

    @staticmethod
    def _context(owner: str, scope: str) -> dict[str, str]:
        return {"owner": owner, "purpose": "ebay-access-token", "scope": _scope_id(scope)}


def _scope_id(scope: str) -> str:
    # Scopes are long URLs; a short digest keeps keys readable and bounded.
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


@dataclass
class DynamoCampaignCache:
    table: str
    clock: Clock
    marketplace_id: str
    ttl_s: int

    def _key(self, user_id: str) -> dict[str, Any]:
        return to_item({"pk": _owner_pk(user_id), "sk": f"EBAY#CAMPAIGN#{self.marketplace_id}"})

    def get(self, user_id: str) -> str | None:
        response = clients.dynamodb().get_item(TableName=self.table, Key=self._key(user_id))
        item = from_item(response.get("Item") or {})
        if not item or float(item.get("validUntil", 0)) <= self.clock.now():
            return None
        return str(item["campaignId"])

    def put(self, user_id: str, campaign_id: str) -> None:
        valid_until = int(self.clock.now()) + self.ttl_s
        clients.dynamodb().put_item(TableName=self.table, Item=self._key(user_id) | to_item({
            "campaignId": campaign_id, "validUntil": valid_until, "expiresAt": valid_until + 86400}))

    def forget(self, user_id: str) -> None:
        clients.dynamodb().delete_item(TableName=self.table, Key=self._key(user_id))
