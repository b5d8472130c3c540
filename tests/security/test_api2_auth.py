"""OWASP API2:2023 Broken Authentication: forged tokens and guessed secrets get nowhere.

Every forged token is refused (401 problem with a ``WWW-Authenticate: Bearer`` challenge) by
the gateway and by each service on its own port, since every service verifies tokens itself:
``alg: none``, HS256 signed with the public key, another key (RSA, EC, or one embedded in the
header), expired, not yet valid, wrong issuer or audience, missing ``exp`` or ``aud``, claims
edited after signing, the signature stripped. The platform-signed tokens that differ from a
valid one in a single claim come from ``signer``.

Guessing secrets: 300 wrong secrets for one client id (from 30 addresses), or for 300 client
ids from one address, sent 7 at a time: a 429 with ``Retry-After`` comes after at most 20
failures within a minute; a locked address stays locked whatever it claims to forward for
(``X-Forwarded-For``), and the lock-out of one client or address leaves the others alone.
Each attack comes from its own loopback address (``from_address``) so the rest of the suite
keeps getting tokens from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

LISTINGS = {
    "gateway": "/api/v1/job-market/job-seekers",
    "job_market": "/api/v1/job-market/job-seekers",
    "training": "/api/v1/training/programs",
    "inspection": "/api/v1/inspection/companies",
    "social_security": "/api/v1/social-security/memberships",
    "industrial_relations": "/api/v1/industrial-relations/disputes",
    "aggregation": "/api/v1/indicators",
}
FORGERIES = (
    "alg_none",
    "alg_None",
    "hs256_signed_with_the_public_key",
    "rs256_another_key",
    "es256_another_key",
    "key_embedded_in_the_header",
    "kid_path_traversal",
    "expired",
    "not_yet_valid",
    "wrong_issuer",
    "wrong_audience",
    "no_audience",
    "no_exp",
    "regions_edited_after_signing",
    "scope_edited_after_signing",
    "signature_stripped",
    "not_a_jwt",
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _decoded(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return value


def forged(kind: str, signer: Any, real: str) -> str:
    """A token of ``kind`` (see ``FORGERIES``); ``real`` is a token the gateway issued."""
    now = int(time.time())
    claims = signer.claims()
    header, payload, signature = real.split(".")
    issued = _decoded(payload)
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind in ("alg_none", "alg_None"):
        alg = "none" if kind == "alg_none" else "None"
        return f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(claims)}."
    if kind == "hs256_signed_with_the_public_key":
        signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}"
        mac = hmac.new(signer.public_pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"
    if kind == "rs256_another_key":
        return str(signer.sign(claims, key=other_rsa))
    if kind == "es256_another_key":
        return str(
            signer.sign(claims, key=ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
        )
    if kind == "key_embedded_in_the_header":
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(other_rsa.public_key(), as_dict=True)
        return str(signer.sign(claims, key=other_rsa, headers={"jwk": jwk}))
    if kind == "kid_path_traversal":
        return str(signer.sign(claims, key=other_rsa, headers={"kid": "../../../../../dev/null"}))
    if kind == "expired":
        return str(signer.sign({**claims, "iat": now - 3600, "exp": now - 120}))
    if kind == "not_yet_valid":
        return str(signer.sign({**claims, "nbf": now + 3600}))
    if kind == "wrong_issuer":
        return str(signer.sign({**claims, "iss": "https://attacker.example"}))
    if kind == "wrong_audience":
        return str(signer.sign({**claims, "aud": "another-api"}))
    if kind in ("no_audience", "no_exp"):
        dropped = "aud" if kind == "no_audience" else "exp"
        return str(signer.sign({k: v for k, v in claims.items() if k != dropped}))
    if kind == "regions_edited_after_signing":
        return f"{header}.{_segment({**issued, 'regions': ['*']})}.{signature}"
    if kind == "scope_edited_after_signing":
        scope = issued.get("scope", "") + " social-security:write job-market:write"
        return f"{header}.{_segment({**issued, 'scope': scope})}.{signature}"
    if kind == "signature_stripped":
        return f"{header}.{payload}."
    return "not-a-jwt"


@pytest.fixture(scope="module")
def targets(platform: Any) -> dict[str, str]:
    """Base URL of the gateway and of each service's own port."""
    urls = {"gateway": platform.config.gateway_url}
    for spec in platform.services:
        urls[spec.name] = f"http://127.0.0.1:{platform.config.port_of(spec)}"
    return urls


async def test_a_valid_token_is_accepted_everywhere(
    targets: dict[str, str], tokens: Any, sec: Any
) -> None:
    # The control of the forgery tests: the same requests with a real token succeed.
    headers = await tokens.headers("sec-3216")
    async with httpx.AsyncClient(timeout=30) as client:
        for name, url in targets.items():
            response = await client.get(url + LISTINGS[name], headers=headers)
            assert response.status_code == 200, f"{name}: {sec.short(response)}"


@pytest.mark.parametrize("kind", FORGERIES)
async def test_a_forged_token_is_refused_by_the_gateway_and_by_every_service(
    kind: str, targets: dict[str, str], tokens: Any, signer: Any, sec: Any
) -> None:
    token = forged(kind, signer, await tokens.token("sec-3216"))
    async with httpx.AsyncClient(timeout=30) as client:
        for name, url in targets.items():
            response = await client.get(
                url + LISTINGS[name], headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401, f"{kind} at {name}: {sec.short(response)}"
            assert sec.problem_of(response) is not None, f"{name}: {sec.short(response)}"
            challenge = response.headers.get("www-authenticate", "")
            assert challenge.lower().startswith("bearer"), f"{name}: {challenge!r}"


async def test_tokens_are_short_lived(tokens: Any, gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sec-3216",
            "client_secret": tokens.secret("sec-3216"),
        },
    )
    assert response.status_code == 200
    claims = _decoded(response.json()["access_token"].split(".")[1])
    assert claims["exp"] - claims["iat"] == response.json()["expires_in"] <= 3600
    assert response.headers.get("cache-control") == "no-store"


WINDOW_SECONDS = 60
MAX_FAILURES = 20
ATTEMPTS = 300
# Guesses arrive concurrently, as a real attacker sends them (the count must not be raced).
WAVE = 7
# Without a 429 this many attempts in, the throttle is missing: the rest would only cost time.
GIVE_UP_AFTER = 21


async def _guess(
    clients: list[httpx.AsyncClient], attempt_form: Any
) -> tuple[list[tuple[float, int]], str | None]:
    """Send wrong secrets; (time, status) of each attempt and the first ``Retry-After``."""
    seen: list[tuple[float, int]] = []
    retry_after: list[str] = []

    async def one(attempt: int) -> None:
        response = await clients[attempt % len(clients)].post(
            "/oauth/token", data=attempt_form(attempt)
        )
        seen.append((time.monotonic(), response.status_code))
        if response.status_code == 429:
            retry_after.append(response.headers.get("retry-after", ""))

    for start in range(0, ATTEMPTS, WAVE):
        await asyncio.gather(*(one(n) for n in range(start, start + WAVE)))
        if len(seen) >= GIVE_UP_AFTER and not retry_after:
            break
    return seen, (retry_after[0] if retry_after else None)


def _judge_throttle(seen: list[tuple[float, int]], retry_after: str | None, what: str) -> int:
    """Assert the throttle held; return how many secrets were checked before it did."""
    statuses = [status for _, status in seen]
    assert 429 in statuses, (
        f"{what}: {len(statuses)} wrong secrets, no 429 (statuses {sorted(set(statuses))})"
    )
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) > 0, (
        f"{what}: Retry-After {retry_after!r}"
    )
    start = seen[0][0]
    checked = [s for t, s in seen if s != 429 and t - start < WINDOW_SECONDS]
    assert set(checked) <= {401}, f"{what}: answers {sorted(set(checked))}"
    assert len(checked) <= MAX_FAILURES, (
        f"{what}: {len(checked)} secrets were checked within a minute (at most {MAX_FAILURES})"
    )
    return len(checked)


async def test_wrong_secrets_for_one_client_id_are_throttled(
    tokens: Any, from_address: Any, report: Any, gateway: httpx.AsyncClient
) -> None:
    victim = "sec-brute-victim"
    await tokens.register(victim, regions=("33.25",), scopes=("indicators:read",))
    # 30 addresses, 10 attempts each: only the per-client count can reach 20.
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(from_address(f"127.0.0.{100 + i}")) for i in range(30)
        ]
        seen, retry_after = await _guess(
            clients,
            lambda n: {
                "grant_type": "client_credentials",
                "client_id": victim,
                "client_secret": f"wrong-secret-{n:04d}",
            },
        )
    first = _judge_throttle(seen, retry_after, f"client id {victim}")
    report("security: rate-limit figures").append(
        f"per client id: 429 after {first} wrong secrets (Retry-After {retry_after} s), "
        f"{len(seen)} attempts"
    )


async def test_wrong_secrets_from_one_address_are_throttled_whatever_it_forwards(
    from_address: Any, report: Any, sec: Any
) -> None:
    def guess(n: int) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": f"sec-guess-{n:04d}",
            "client_secret": "wrong-secret-wrong-secret",
        }

    async with from_address("127.0.0.77") as client:
        seen, retry_after = await _guess([client], guess)
        first = _judge_throttle(seen, retry_after, "address 127.0.0.77")
        # Claiming to forward for someone else does not make a locked address another one.
        spoofed = await client.post(
            "/oauth/token", data=guess(9999), headers={"X-Forwarded-For": "203.0.113.9"}
        )
    assert spoofed.status_code == 429, f"X-Forwarded-For evades the lock: {sec.short(spoofed)}"
    report("security: rate-limit figures").append(
        f"per source address: 429 after {first} wrong secrets (Retry-After {retry_after} s), "
        f"{len(seen)} attempts"
    )


async def test_a_locked_client_or_address_leaves_the_others_alone(
    tokens: Any, from_address: Any, sec: Any
) -> None:
    # Runs after the attacks above (same module, in order): another client from a fresh
    # address still gets its token at once.
    async with from_address("127.0.0.79") as client:
        response = await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "sec-3273",
                "client_secret": tokens.secret("sec-3273"),
            },
        )
    assert response.status_code == 200, sec.short(response)


async def test_unknown_clients_and_wrong_secrets_get_the_same_answer(
    tokens: Any, from_address: Any
) -> None:
    # Otherwise the token endpoint tells which client ids exist.
    async with from_address("127.0.0.80") as client:
        answers = []
        for client_id in ("sec-3213", "sec-no-such-client"):
            response = await client.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": "wrong-secret-wrong-secret",
                },
            )
            answers.append((response.status_code, response.text))
    assert answers[0] == answers[1]
    assert answers[0][0] == 401
