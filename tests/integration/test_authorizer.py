"""The local API's JWT authorizer refuses as API Gateway's does: 401, its fixed body, the reason in
WWW-Authenticate, and one log line per refusal that names the reason and the route, never the token."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jwt
import pytest

from local.auth import DevIssuer, challenge

ROUTE = "GET /promotions/stats"
FAR_FUTURE = 4_102_444_800  # 2100-01-01


@pytest.fixture
def issuer(tmp_path) -> DevIssuer:
    return DevIssuer(key_path=tmp_path / "key.pem")


def other(issuer: DevIssuer, key_path: Path | None = None, **changes: str) -> DevIssuer:
    """An issuer with the same signing key (or another one) but other settings."""
    return DevIssuer(key_path=key_path or issuer.key_path, issuer=changes.get("iss", issuer.issuer),
                     audience=changes.get("aud", issuer.audience))


def refused(system, issuer, header: str | None, caplog) -> str:
    """The reason a request with this Authorization header is refused (checking the whole answer)."""
    headers = {} if header is None else {"Authorization": header}
    with caplog.at_level(logging.WARNING, logger="sellerjobs.local"):
        response = system.http.call("GET", "/promotions/stats", headers=headers, issuer=issuer)
    assert response.status == 401 and response.json() == {"message": "Unauthorized"}
    challenge_header = response.headers["www-authenticate"]
    reason = challenge_header.split('error_description="', 1)[1].rstrip('"')
    assert challenge_header == challenge(reason)
    lines = [r.getMessage() for r in caplog.records if r.name == "sellerjobs.local"]
    assert lines == [f"401 {ROUTE}: {reason}"]
    token = (header or "").partition(" ")[2]
    assert not token or token not in caplog.text  # the token itself is never logged
    return reason


def test_a_valid_token_passes(system, issuer):
    header = {"Authorization": f"Bearer {issuer.token('alice')}"}

    response = system.http.call("GET", "/promotions/stats", headers=header, issuer=issuer)

    assert response.status == 200


def test_an_expired_token(system, issuer, caplog):
    assert refused(system, issuer, f"Bearer {issuer.token('alice', now=0)}", caplog) == "the token has expired"


def test_a_token_not_valid_yet(system, issuer, caplog):
    token = issuer.token("alice", now=FAR_FUTURE)

    assert refused(system, issuer, f"Bearer {token}", caplog) == "the token is not valid yet"


def test_a_token_for_another_audience(system, issuer, caplog):
    token = other(issuer, aud="someone-else").token("alice")

    assert refused(system, issuer, f"Bearer {token}", caplog) == "the token does not have a valid audience"


def test_a_token_from_another_issuer(system, issuer, caplog):
    token = other(issuer, iss="https://issuer.example").token("alice")

    assert refused(system, issuer, f"Bearer {token}", caplog) == "the token does not have a valid issuer"


def test_a_token_signed_by_another_key(system, issuer, tmp_path, caplog):
    token = other(issuer, tmp_path / "other.pem").token("alice")

    assert refused(system, issuer, f"Bearer {token}", caplog) == "the token's signature is invalid"


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
def test_a_token_with_another_algorithm(system, issuer, caplog, algorithm):
    claims = {"sub": "alice", "iss": issuer.issuer, "aud": issuer.audience, "exp": FAR_FUTURE}
    secret: Any = "a-shared-secret-of-32-bytes-or-more" if algorithm == "HS256" else None
    token = jwt.encode(claims, secret, algorithm=algorithm)

    assert refused(system, issuer, f"Bearer {token}", caplog) == "the token's signing algorithm is not allowed"


def test_a_token_without_a_subject(system, issuer, caplog):
    claims = {"iss": issuer.issuer, "aud": issuer.audience, "exp": FAR_FUTURE}
    token = jwt.encode(claims, issuer._key, algorithm="RS256")

    assert refused(system, issuer, f"Bearer {token}", caplog) == "the token has no sub claim"


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30"])
def test_a_malformed_token(system, issuer, caplog, token):
    assert refused(system, issuer, f"Bearer {token}", caplog) == "the token is malformed"


@pytest.mark.parametrize(("header", "reason"), [
    (None, "the request has no Authorization header with a bearer token"),
    ("", "the request has no Authorization header with a bearer token"),
    ("Bearer", "the Authorization header has no token after Bearer"),
    ("Bearer    ", "the Authorization header has no token after Bearer"),
    ("Basic YWxpY2U6c2VjcmV0", "the Authorization header does not use the Bearer scheme"),
])
def test_a_missing_or_non_bearer_header(system, issuer, caplog, header, reason):
    assert refused(system, issuer, header, caplog) == reason


def test_public_routes_need_no_token(system, issuer):
    assert system.http.call("GET", "/openapi.json", issuer=issuer).status == 200
