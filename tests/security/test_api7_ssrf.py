"""OWASP API7:2023 Server Side Request Forgery: nothing a client sends makes the platform fetch.

The platform has one URL-fetching surface, and these tests keep it the only one: no operation
of the merged OpenAPI document takes a URL (a parameter or body property named or formatted
like one) but the webhook endpoint of ``POST /api/v1/subscriptions`` (issue 9), whose URL must
be https and resolve to a public address, checked at registration and before every delivery
(``gateway.webhooks.rules``; refusals tested in ``tests/e2e/test_webhooks.py`` and
``gateway/tests/test_webhook_rules.py``); a token whose header points at a key elsewhere
(``jku``, ``x5u``) is refused without the platform ever connecting there; request targets in
absolute form, with userinfo or with a network-path prefix never make the gateway connect
anywhere but its route table. The
"elsewhere" is a listener of the test: it must see no connection at all.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

URL_LIKE_NAME = re.compile(
    r"(^|_)(url|uri|link|href|callback|webhook|redirect|endpoint|host|domain|feed|image|avatar)s?($|_)",
    re.IGNORECASE,
)
# URL inputs reviewed and guarded (see the module docstring); a subscription's ``domain`` is
# the name of a Sinergi domain (an enum: job-market, ...), not a host.
REVIEWED_URL_INPUTS = {
    "POST /api/v1/subscriptions body (application/json).url",
    "POST /api/v1/subscriptions body (application/json).domain",
}
URL_FORMATS = {"uri", "url", "iri", "uri-reference", "iri-reference", "hostname", "idn-hostname"}


def _walk(schema: Any, openapi: Any, where: str, seen: set[int]) -> list[str]:
    found: list[str] = []
    if not isinstance(schema, dict) or id(schema) in seen:
        return found
    seen.add(id(schema))
    schema = openapi.resolve(schema)
    if schema.get("format") in URL_FORMATS:
        found.append(f"{where} (format {schema['format']})")
    for name, sub in schema.get("properties", {}).items():
        if URL_LIKE_NAME.search(name):
            found.append(f"{where}.{name}")
        found += _walk(sub, openapi, f"{where}.{name}", seen)
    if "items" in schema:
        found += _walk(schema["items"], openapi, f"{where}[]", seen)
    return found


def test_no_operation_takes_a_url(openapi: Any) -> None:
    found = []
    for op in openapi.operations():
        for parameter in op.parameters:
            if URL_LIKE_NAME.search(parameter["name"]):
                found.append(f"{op.label} parameter {parameter['name']}")
            found += _walk(
                parameter.get("schema", {}), openapi, f"{op.label} {parameter['name']}", set()
            )
        for media, content in openapi.body_content(op).items():
            found += _walk(content.get("schema", {}), openapi, f"{op.label} body ({media})", set())
    found = [f for f in found if f not in REVIEWED_URL_INPUTS]
    assert not found, f"inputs that look like URLs (SSRF surface, review them): {found}"


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A listener standing for an attacker's host: (its base URL, what reached it)."""
    reached: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reached.append(await reader.read(4096))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", reached
    finally:
        server.close()
        await server.wait_closed()


async def test_token_headers_pointing_at_keys_elsewhere_are_never_fetched(
    elsewhere: tuple[str, list[bytes]], gateway: httpx.AsyncClient, signer: Any, sec: Any
) -> None:
    url, reached = elsewhere
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for header in ({"jku": f"{url}/jwks.json"}, {"x5u": f"{url}/cert.pem"}, {"kid": f"{url}/key"}):
        token = signer.sign(signer.claims(), key=key, headers=header)
        response = await gateway.get(
            "/api/v1/job-market/job-seekers", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, f"{header}: {sec.short(response)}"
    # Verification happens before the answer: a fetch would have reached the listener by now.
    assert reached == []


async def test_request_targets_never_send_the_gateway_elsewhere(
    elsewhere: tuple[str, list[bytes]], platform: Any, tokens: Any
) -> None:
    url, reached = elsewhere
    where = url.removeprefix("http://")
    token = await tokens.token("sec-3216")
    targets = [
        f"{url}/api/v1/job-market/job-seekers",
        f"/api/v1/job-market/job-seekers@{where}/",
        f"//{where}/api/v1/job-market/job-seekers",
        f"/api/v1/job-market/job-seekers/..%2f..%2f..%2f@{where}",
    ]
    port = int(platform.config.gateway_url.rsplit(":", 1)[1])
    answers = []
    for target in targets:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {where}\r\nAuthorization: Bearer {token}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = (await reader.read()).split(b"\r\n", 1)[0]
        writer.close()
        answers.append((target, status_line))
    assert reached == [], f"the gateway connected to the listener: {reached}"
    for target, status_line in answers:
        assert not status_line.startswith(b"HTTP/1.1 5"), f"{target}: {status_line!r}"
