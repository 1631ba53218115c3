"""The account ports' contract: the access-token cache (the in-memory fake and the DynamoDB
adapter with KMS), and a seller's eBay credentials and connection (the DynamoDB adapters with
KMS: the domain's own tests use no fake of those)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sellerjobs.accounts import ConnectionStatus
from sellerjobs.aws import clients
from sellerjobs.aws.ebay_accounts import DynamoConnections, DynamoCredentialStore, DynamoTokenCache, KmsSealer
from sellerjobs.clock import ManualClock
from tests.integration.contracts import IMPLEMENTATIONS, Tables, implementation
from tests.unit.provider_fakes import MemoryTokens

SCOPE = "https://api.ebay.com/oauth/api_scope/sell.marketing"
OTHER_SCOPE = "https://api.ebay.com/oauth/api_scope"
EXPIRES = 1_767_229_200.0  # 2026-01-01T01:00:00Z


# ---------------------------------------------------------------- the access-token cache

@pytest.fixture(params=IMPLEMENTATIONS)
def tokens(request: pytest.FixtureRequest) -> Any:
    return implementation(request, MemoryTokens,
                          lambda tables: DynamoTokenCache(tables("EbayAccountsTable"), KmsSealer(tables.kms_key())))


def test_a_token_is_read_back_for_its_owner_and_scope_only(tokens):
    assert tokens.get("alice", SCOPE) is None

    tokens.put("alice", SCOPE, "v^1.1#alice", EXPIRES)
    tokens.put("APP", SCOPE, "v^1.1#app", EXPIRES + 60)

    assert tokens.get("alice", SCOPE) == ("v^1.1#alice", EXPIRES)
    assert tokens.get("APP", SCOPE) == ("v^1.1#app", EXPIRES + 60)
    assert tokens.get("alice", OTHER_SCOPE) is None
    assert tokens.get("bob", SCOPE) is None


def test_a_put_replaces_the_token_and_a_delete_forgets_it(tokens):
    tokens.put("alice", SCOPE, "first", EXPIRES)
    tokens.put("alice", SCOPE, "second", EXPIRES + 7200)
    assert tokens.get("alice", SCOPE) == ("second", EXPIRES + 7200)

    tokens.delete("alice", SCOPE)
    tokens.delete("alice", SCOPE)  # forgetting what is not there is fine

    assert tokens.get("alice", SCOPE) is None


def test_an_expiry_reads_back_to_the_whole_second_never_later(tokens):
    tokens.put("alice", SCOPE, "token", EXPIRES + 0.75)

    (_, expires_at) = tokens.get("alice", SCOPE)

    assert EXPIRES <= expires_at <= EXPIRES + 0.75


# ---------------------------------------------------------------- credentials and connection

@pytest.fixture
def accounts(tables: Tables) -> tuple[DynamoCredentialStore, DynamoConnections, ManualClock]:
    clock = ManualClock()
    table = tables("EbayAccountsTable")
    return DynamoCredentialStore(table, KmsSealer(tables.kms_key()), clock), DynamoConnections(table), clock


def test_a_refresh_token_is_read_back_for_its_seller_only(accounts):
    store, _, _ = accounts
    assert store.get_refresh_token("alice") is None

    store.put_refresh_token("alice", "v^1.1#refresh-alice")

    assert store.get_refresh_token("alice") == "v^1.1#refresh-alice"
    assert store.get_refresh_token("bob") is None


def test_a_token_is_stored_sealed_and_does_not_open_on_another_sellers_item(accounts, tables):
    store, _, _ = accounts
    store.put_refresh_token("alice", "v^1.1#refresh-alice")
    table = tables("EbayAccountsTable")
    item = clients.dynamodb().get_item(TableName=table, Key={"pk": {"S": "USER#alice"},
                                                             "sk": {"S": "EBAY#REFRESH_TOKEN"}})["Item"]
    assert b"refresh-alice" not in item["ciphertext"]["B"]

    clients.dynamodb().put_item(TableName=table, Item=item | {"pk": {"S": "USER#mallory"}})

    with pytest.raises(ClientError):
        store.get_refresh_token("mallory")


def test_a_connection_goes_from_none_to_connected_to_revoked_and_back_with_a_new_token(accounts):
    store, connections, clock = accounts
    assert store.connection("alice").status is ConnectionStatus.NOT_CONNECTED

    store.put_refresh_token("alice", "first")
    stored_at = int(clock.now() * 1000)
    assert connections.connection("alice").status is ConnectionStatus.CONNECTED
    assert connections.connection("alice").since == stored_at

    clock.advance(60)
    store.mark_revoked("alice", "invalid_grant: the refresh token was revoked")
    revoked = connections.connection("alice")
    assert revoked.status is ConnectionStatus.REVOKED and revoked.since == stored_at + 60_000
    assert revoked.reason == "invalid_grant: the refresh token was revoked"
    assert store.connection("alice") == revoked

    clock.advance(60)
    store.put_refresh_token("alice", "second")  # a new token clears the mark
    assert connections.connection("alice").status is ConnectionStatus.CONNECTED
    assert store.get_refresh_token("alice") == "second"


def test_marking_a_seller_without_a_token_revoked_stores_nothing(accounts):
    store, connections, _ = accounts

    store.mark_revoked("bob", "invalid_grant")

    assert connections.connection("bob").status is ConnectionStatus.NOT_CONNECTED
    assert store.get_refresh_token("bob") is None
