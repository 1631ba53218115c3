"""PUT /ebay/credentials: the refresh token is sealed with KMS, never echoed, never logged."""

from __future__ import annotations

import pytest

from sellerjobs.aws import clients

TOKEN = "v^1.1#i^1#r^1#f^0#p^3#t^Ul4xMF8xOkVYQU1QTEVfUkVGUkVTSF9UT0tFTg"


def test_the_token_is_stored_sealed_and_never_echoed(system, capsys):
    response = system.call("PUT", "/ebay/credentials", user="alice", body={"refreshToken": TOKEN})

    assert response.status == 200
    assert TOKEN not in response.body
    items = system.table_items("EbayAccountsTable")
    assert len(items) == 1
    stored = items[0]
    assert stored["pk"]["S"] == "USER#alice"
    assert TOKEN.encode() not in stored["ciphertext"]["B"]
    # Only KMS, with the owner's encryption context, can open it.
    opened = clients.kms().decrypt(CiphertextBlob=stored["ciphertext"]["B"],
                                   EncryptionContext={"userId": "alice", "purpose": "ebay-refresh-token"})
    assert opened["Plaintext"].decode() == TOKEN
    assert TOKEN not in capsys.readouterr().out


@pytest.mark.parametrize(("body", "field"), [
    ({}, "refreshToken"),
    ({"refreshToken": "short"}, "refreshToken"),
    ({"refreshToken": 12345678901234567890}, "refreshToken"),
    ({"refreshToken": TOKEN, "userId": "bob"}, "userId"),
    ("not json", "body"),
])
def test_bad_input_is_refused_and_nothing_is_stored(system, body, field, capsys):
    response = system.call("PUT", "/ebay/credentials", user="alice", body=body)

    assert response.status == 400
    assert response.json()["errors"][0]["field"] == field
    assert system.table_items("EbayAccountsTable") == []
    assert TOKEN not in response.body and TOKEN not in capsys.readouterr().out


def test_a_new_token_replaces_the_old_one_and_its_cached_access_token(system):
    system.connect("alice")
    system.publish("alice", "177681098666")
    system.publish("alice", "177681098667")
    system.call("POST", "/promotions", body={"listingId": "177681098666", "adRate": 5})
    system.sim.drain()
    assert system.sandbox.tokens_minted.get("refresh_token") == 1

    # The seller reconnects eBay: a new grant; the old grant and its access tokens die.
    new_token = "refresh-token-of-alice-after-reconnect"
    system.sandbox.revoke_refresh_token("alice")
    system.sandbox.expire_access_tokens("alice")
    system.sandbox.add_seller("alice", new_token)
    assert system.call("PUT", "/ebay/credentials", body={"refreshToken": new_token}).status == 200
    kinds = {item["sk"]["S"].split("#")[1] for item in system.table_items("EbayAccountsTable")}
    assert "TOKEN" not in kinds  # the shared access-token cache was dropped with the old grant
    job_id = system.call("POST", "/promotions", body={"listingId": "177681098667", "adRate": 5}).json()["jobId"]
    system.sim.drain()

    assert system.job("alice", job_id)["status"] == "succeeded"
    assert system.sandbox.tokens_minted.get("refresh_token") == 2


def test_tokens_never_reach_the_logs_of_a_whole_promotion(system, capsys):
    system.connect("alice")
    system.publish("alice", "177681098666", sync_delay_s=90)
    system.call("POST", "/promotions", body={"listingId": "177681098666", "adRate": 5})
    system.sim.drain()

    out = capsys.readouterr().out
    assert "refresh-token-of-alice" not in out
    assert "Bearer" not in out and "access_token" not in out
