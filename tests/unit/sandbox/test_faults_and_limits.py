from __future__ import annotations

import httpx
import pytest

from sellerjobs.clock import ManualClock

from .helpers import MARKETING, SCOPE_PUBLIC, ads_request, bearer, only_error, request_token, user_token

CAMPAIGNS = f"{MARKETING}/ad_campaign"
TOO_MANY = {
    "errors": [
        {
            "errorId": 2001,
            "domain": "ACCESS",
            "category": "REQUEST",
            "message": "Too many requests. The request limit has been reached for the resource.",
        }
    ]
}


# ---------------------------------------------------------------- rate limits


def test_rate_limit_429_then_recovery_after_window(client, sandbox, alice, clock: ManualClock):
    sandbox.set_rate_limit("marketing", 2, 1.0)

    assert client.get(CAMPAIGNS, headers=alice).status_code == 200
    clock.advance(0.5)
    assert client.get(CAMPAIGNS, headers=alice).status_code == 200
    limited = client.get(CAMPAIGNS, headers=alice)
    assert limited.status_code == 429
    assert limited.json() == TOO_MANY

    clock.advance(0.5)  # the first call leaves the window
    assert client.get(CAMPAIGNS, headers=alice).status_code == 200
    assert client.get(CAMPAIGNS, headers=alice).status_code == 429
    clock.advance(1.0)
    assert client.get(CAMPAIGNS, headers=alice).status_code == 200


def test_a_fixed_rate_limit_counts_per_clock_aligned_window(client, sandbox, alice, clock: ManualClock):
    clock.set((clock.now() // 3600 + 1) * 3600 - 10)  # ten seconds before the hour
    sandbox.set_rate_limit("marketing", 2, 3600, fixed=True)

    assert [client.get(CAMPAIGNS, headers=alice).status_code for _ in range(3)] == [200, 200, 429]
    clock.advance(10)  # a new hour: the count starts again, however recent the last calls were
    assert [client.get(CAMPAIGNS, headers=alice).status_code for _ in range(3)] == [200, 200, 429]


def test_rate_limit_is_per_app(client, sandbox, alice):
    sandbox.add_app("other-app", "other-secret")
    form = {"grant_type": "refresh_token", "refresh_token": "rt-alice"}
    other = request_token(client, form, client_id="other-app", client_secret="other-secret").json()
    sandbox.set_rate_limit("marketing", 1, 60)

    assert client.get(CAMPAIGNS, headers=alice).status_code == 200
    assert client.get(CAMPAIGNS, headers=alice).status_code == 429
    assert client.get(CAMPAIGNS, headers=bearer(other["access_token"])).status_code == 200
    assert sandbox.calls[-1]["app"] == "other-app"


def test_oauth_group_is_limited_too(client, sandbox):
    sandbox.set_rate_limit("oauth", 1, 60)
    form = {"grant_type": "client_credentials", "scope": SCOPE_PUBLIC}

    assert request_token(client, form).status_code == 200
    assert request_token(client, form).status_code == 429
    assert sandbox.tokens_minted["client_credentials"] == 1


def test_rate_limit_rejects_nonsense(sandbox):
    with pytest.raises(ValueError):
        sandbox.set_rate_limit("marketing", 0, 1.0)


# ---------------------------------------------------------------- faults


def test_5xx_fault_defaults_to_35001_then_recovers(client, sandbox, alice, campaign_id):
    sandbox.publish_listing("alice", "1001")
    sandbox.inject_fault("bulk_create_ads_by_listing_id", status=500, times=2)
    url = f"{CAMPAIGNS}/{campaign_id}/bulk_create_ads_by_listing_id"

    for _ in range(2):
        response = client.post(url, json=ads_request("1001"), headers=alice)
        assert response.status_code == 500
        error = only_error(response)
        assert (error["errorId"], error["domain"], error["category"]) == (
            35001,
            "API_MARKETING",
            "APPLICATION",
        )
    assert sandbox.ads == []

    assert client.post(url, json=ads_request("1001"), headers=alice).status_code == 200
    faulted = [call for call in sandbox.calls if call["fault"]]
    assert [call["status"] for call in faulted] == [500, 500]
    assert faulted[0]["listing_ids"] == ["1001"]


def test_fault_with_error_id_and_custom_body(client, sandbox, alice):
    sandbox.inject_fault("get_campaigns", status=503, error_id=35002)
    sandbox.inject_fault("get_campaigns", status=502, body="<html>Bad Gateway</html>")
    sandbox.inject_fault("get_campaigns", status=400, body={"anything": True})

    assert only_error(client.get(CAMPAIGNS, headers=alice))["errorId"] == 35002
    gateway = client.get(CAMPAIGNS, headers=alice)
    assert (gateway.status_code, gateway.text) == (502, "<html>Bad Gateway</html>")
    assert client.get(CAMPAIGNS, headers=alice).json() == {"anything": True}
    assert client.get(CAMPAIGNS, headers=alice).status_code == 200


def test_timeout_fault_raises_read_timeout_in_process(client, sandbox, alice):
    sandbox.inject_fault("get_campaign_by_name", status=0, timeout=True)
    url = f"{CAMPAIGNS}/get_campaign_by_name"

    with pytest.raises(httpx.ReadTimeout):
        client.get(url, params={"campaign_name": "x"}, headers=alice)

    assert sandbox.calls[-1]["status"] is None
    assert sandbox.calls[-1]["fault"] == "timeout"
    assert client.get(url, params={"campaign_name": "x"}, headers=alice).status_code == 404


def test_empty_body_fault(client, sandbox, alice, campaign_id):
    sandbox.inject_fault("create_ad_by_listing_id", status=502, empty_body=True)

    response = client.post(f"{CAMPAIGNS}/{campaign_id}/ad", json={"listingId": "1"}, headers=alice)

    assert response.status_code == 502
    assert response.content == b""


def test_fault_applies_before_auth(client, sandbox):
    sandbox.inject_fault("get_campaign", status=500)
    assert client.get(f"{CAMPAIGNS}/1").status_code == 500
    assert client.get(f"{CAMPAIGNS}/1").status_code == 401


def test_oauth_fault_speaks_oauth(client, sandbox):
    sandbox.inject_fault("oauth_token", status=500)
    sandbox.inject_fault("oauth_token", status=429)

    failed = request_token(client, {"grant_type": "refresh_token", "refresh_token": "rt-alice"})
    assert failed.status_code == 500
    assert failed.json()["error"] == "server_error"
    assert (
        request_token(client, {"grant_type": "refresh_token", "refresh_token": "rt-alice"}).json() == TOO_MANY
    )
    assert sandbox.tokens_minted["refresh_token"] == 0
    assert user_token(client, "rt-alice")


def test_unknown_fault_operation_is_rejected(sandbox):
    with pytest.raises(ValueError, match="unknown operation"):
        sandbox.inject_fault("bulk_create_ads", status=500)
    assert "create_campaign" in sandbox.operations


def test_clear_faults(client, sandbox, alice):
    sandbox.inject_fault("get_campaigns", status=500, times=5)
    sandbox.clear_faults()
    assert client.get(CAMPAIGNS, headers=alice).status_code == 200


# ---------------------------------------------------------------- call log


def test_calls_record_every_request_and_reset(client, sandbox, alice, clock: ManualClock):
    clock.advance(10)
    client.get(CAMPAIGNS, headers=alice)

    oauth_call, campaigns_call = sandbox.calls
    assert oauth_call == {
        "operation": "oauth_token",
        "method": "POST",
        "path": "/identity/v1/oauth2/token",
        "status": 200,
        "seller": "alice",  # the refresh token's owner
        "app": "sellerjobs-app",
        "at": clock.now() - 10,
        "listing_ids": [],
        "fault": None,
    }
    assert campaigns_call["operation"] == "get_campaigns"
    assert campaigns_call["seller"] == "alice"
    assert campaigns_call["at"] == clock.now()

    sandbox.reset_calls()
    assert sandbox.calls == []
