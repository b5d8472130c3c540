"""``TokenVerifier`` remembers the tokens it verified: a token's signature is checked once,
the clock at every use, and nothing that failed to verify is remembered."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from shared.auth import TokenIssuer, TokenVerifier, ensure_keypair
from shared.errors import ProblemError

ISSUER, AUDIENCE = "sinergi-gateway", "sinergi"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    private, public = folder / "private.pem", folder / "public.pem"
    ensure_keypair(private, public)
    return private, public


@pytest.fixture
def issuer(keys: tuple[Path, Path]) -> TokenIssuer:
    return TokenIssuer(private_key_pem=keys[0].read_bytes(), issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture
def verifier(keys: tuple[Path, Path]) -> TokenVerifier:
    return TokenVerifier(public_key_pem=keys[1].read_bytes(), issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature PyJWT checked, in order."""
    seen: list[str] = []
    real = jwt.decode

    def counted(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr("shared.auth.jwt.decode", counted)
    return seen


def _token(issuer: TokenIssuer, ttl: int = 600) -> str:
    return issuer.issue(client_id="disnaker-32-16", scopes=["a:read"], regions=["32.16"], ttl=ttl)


def test_a_token_sent_again_is_not_checked_again_and_means_the_same(
    issuer: TokenIssuer, verifier: TokenVerifier, decodes: list[str]
) -> None:
    token = _token(issuer)
    first = verifier.verify(token)
    assert [verifier.verify(token) for _ in range(5)] == [first] * 5
    assert decodes == [token]
    assert first.client_id == "disnaker-32-16" and first.regions == frozenset({"32.16"})


def test_a_remembered_token_is_refused_once_it_expires(
    issuer: TokenIssuer, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token(issuer, ttl=60)
    expires_at = verifier.verify(token).expires_at
    assert expires_at is not None
    monkeypatch.setattr(time, "time", lambda: float(expires_at))
    with pytest.raises(ProblemError) as refused:
        verifier.verify(token)
    assert refused.value.status == 401
    assert "expired" in refused.value.detail
    with pytest.raises(ProblemError):  # and stays refused, remembered or not
        verifier.verify(token)


def test_a_token_that_fails_is_checked_again_every_time(
    issuer: TokenIssuer, verifier: TokenVerifier, decodes: list[str]
) -> None:
    header, claims, signature = _token(issuer).split(".")
    forged = f"{header}.{claims}.{signature[::-1]}"
    for _ in range(3):
        with pytest.raises(ProblemError):
            verifier.verify(forged)
    assert decodes == [forged] * 3


def test_the_oldest_token_is_forgotten_when_the_memory_is_full(
    issuer: TokenIssuer,
    verifier: TokenVerifier,
    decodes: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shared.auth.VERIFIED_TOKENS_KEPT", 2)
    oldest, middle, newest = (_token(issuer) for _ in range(3))
    for token in (oldest, middle, newest, middle, newest, oldest):
        verifier.verify(token)
    assert decodes == [oldest, middle, newest, oldest]
