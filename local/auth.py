"""A development identity provider: RS256 JWTs the local API accepts like API Gateway would.

The signing key is created once and kept in ``.local/`` (ignored by git), so tokens printed by
``make token`` stay valid across restarts of the stack. Claims mirror a Cognito access token:
``sub`` is the user id, ``scope`` carries ``sellerjobs/admin`` for administrators.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.aws import LOCAL_PARAMETERS
from local.template import ROOT

STATE_DIR = ROOT / ".local"
KEY_FILE = STATE_DIR / "dev-issuer-key.pem"
ISSUER = LOCAL_PARAMETERS["JwtIssuer"]
AUDIENCE = LOCAL_PARAMETERS["JwtAudience"]
KEY_ID = "sellerjobs-local-1"
ADMIN_SCOPE = "sellerjobs/admin"


class InvalidToken(Exception):
    """A refused token; the message says why, in the words API Gateway's JWT authorizer uses."""


# PyJWT's exceptions, most specific first (several subclass others), and how the authorizer
# describes each in its WWW-Authenticate header.
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token does not have a valid audience"),
    (jwt.InvalidIssuerError, "the token does not have a valid issuer"),
    (jwt.InvalidAlgorithmError, "the token's signing algorithm is not allowed"),
    (jwt.InvalidSignatureError, "the token's signature is invalid"),
    (jwt.DecodeError, "the token is malformed"),
)


def refusal_reason(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token has no {exc.claim} claim"
    return next((reason for kind, reason in _REASONS if isinstance(exc, kind)), "the token is invalid")


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or InvalidToken saying what is wrong."""
    if header is None or not header.strip():
        raise InvalidToken("the request has no Authorization header with a bearer token")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise InvalidToken("the Authorization header does not use the Bearer scheme")
    if not token.strip():
        raise InvalidToken("the Authorization header has no token after Bearer")
    return token.strip()


def challenge(reason: str) -> str:
    """The WWW-Authenticate value of a refusal, as API Gateway's JWT authorizer sends it."""
    return f'Bearer scope="" error="invalid_token" error_description="{reason}"'


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key


@dataclass
class DevIssuer:
    key_path: Path = KEY_FILE
    issuer: str = ISSUER
    audience: str = AUDIENCE
    _key: rsa.RSAPrivateKey = field(init=False)

    def __post_init__(self) -> None:
        self._key = _load_or_create_key(self.key_path)

    def token(self, user: str, *, admin: bool = False, ttl_s: int = 12 * 3600, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {"sub": user, "iss": self.issuer, "aud": self.audience, "iat": issued, "exp": issued + ttl_s,
                  "token_use": "access", "scope": f"openid {ADMIN_SCOPE}" if admin else "openid",
                  "username": user}
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": KEY_ID})

    def verify(self, token: str) -> dict[str, Any]:
        """The checks API Gateway's JWT authorizer makes: signature, issuer, audience, expiry."""
        try:
            claims: dict[str, Any] = jwt.decode(token, self._key.public_key(), algorithms=["RS256"],
                                                audience=self.audience, issuer=self.issuer,
                                                options={"require": ["exp", "iss", "sub"]})
        except jwt.PyJWTError as exc:
            raise InvalidToken(refusal_reason(exc)) from exc
        return claims

    def authorize(self, header: str | None) -> dict[str, Any]:
        """The claims of a request's Authorization header, or InvalidToken saying why not."""
        return self.verify(bearer_token(header))

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [public | {"kid": KEY_ID, "use": "sig", "alg": "RS256"}]}
