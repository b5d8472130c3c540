"""JWT verification and the caller's scopes and regions.

The gateway signs short-lived RS256 tokens (OAuth2 client credentials); every service verifies
them itself with the public key and never trusts plain headers. Claims: ``sub`` (client id),
``scope`` (space-separated, e.g. ``job-market:write``), ``regions`` (Kemendagri regency codes,
or ``["*"]`` for a national client).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared import context
from shared.errors import ProblemError

ALL_REGIONS = "*"
ALGORITHM = "RS256"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a regional system, a ministry service or BPJS."""

    client_id: str
    scopes: frozenset[str]
    regions: frozenset[str]
    expires_at: int | None = None
    """When the token stops being valid (Unix time), for answers that outlive a request."""

    @property
    def national(self) -> bool:
        """True for a client allowed in every region."""
        return ALL_REGIONS in self.regions

    def allows_region(self, region_code: str) -> bool:
        """May this caller read or write records of ``region_code``?"""
        return self.national or region_code in self.regions

    def region_scope(self) -> frozenset[str] | None:
        """The regions a query must be restricted to, or None for every region."""
        return None if self.national else self.regions


VERIFIED_TOKENS_KEPT = 4096
"""How many verified tokens a verifier remembers (the oldest is forgotten first)."""


class TokenVerifier:
    """Verify gateway-issued tokens with the gateway's public key.

    A client sends the same token with every request until it expires. The signature check
    (RSA) is most of the cost of verifying one, so a verified token's principal is kept and
    the token is only checked against the clock when it comes again; an expired one is
    refused as PyJWT refuses it. Only tokens that verified are kept: one the gateway did not
    sign never takes a place.
    """

    def __init__(self, *, public_key_pem: bytes, issuer: str, audience: str) -> None:
        key = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError(f"the token verification key must be RSA ({ALGORITHM})")
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self._verified: dict[str, Principal] = {}

    def verify(self, token: str) -> Principal:
        """Return the token's principal or raise a 401 problem."""
        known = self._verified.get(token)
        if known is None:
            known = self._decode(token)
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = known
        # PyJWT's own rule (no leeway): a token is good while now < exp.
        if known.expires_at is not None and known.expires_at <= time.time():
            self._verified.pop(token, None)
            raise unauthorized("invalid token: Signature has expired")
        return known

    def _decode(self, token: str) -> Principal:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise unauthorized(f"invalid token: {exc}") from exc
        return Principal(
            client_id=str(claims["sub"]),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            regions=frozenset(str(r) for r in claims.get("regions", [])),
            expires_at=int(claims["exp"]),
        )


class TokenIssuer:
    """Sign access tokens (the gateway's side; tests use it to act as a client)."""

    def __init__(self, *, private_key_pem: bytes, issuer: str, audience: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"the token signing key must be RSA ({ALGORITHM})")
        self._key = key
        self._issuer = issuer
        self._audience = audience

    def issue(
        self, *, client_id: str, scopes: Iterable[str], regions: Iterable[str], ttl: int
    ) -> str:
        """A signed JWT for ``client_id`` valid for ``ttl`` seconds."""
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": client_id,
            "iat": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
            "scope": " ".join(sorted(scopes)),
            "regions": sorted(regions),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401, detail, kind="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="sinergi"'}
    )


_bearer = HTTPBearer(auto_error=False, description="Token from POST /oauth/token")


async def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    # Async so that it runs in the request's own context: the caller it remembers there is
    # who the audit trail names.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized("a Bearer token is required")
    verifier: TokenVerifier = request.app.state.verifier
    principal = verifier.verify(credentials.credentials)
    context.set_caller(principal)
    return principal


class RequireScope:
    """Dependency: the caller, who must hold ``scope``."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    async def __call__(self, principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if self.scope not in principal.scopes:
            raise ProblemError(403, f"this token lacks the scope {self.scope}", kind="forbidden")
        return principal


def ensure_keypair(private_path: Path, public_path: Path) -> None:
    """Create the gateway's RSA signing key pair once (development and tests)."""
    if private_path.exists() and public_path.exists():
        return
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem)
    public_path.write_bytes(public_pem)


Caller = Annotated[Principal, Depends(_principal)]
"""Dependency: the authenticated caller, whatever its scopes (the route checks them)."""
