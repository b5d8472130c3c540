"""OWASP API8:2023 Security Misconfiguration: headers, error pages, docs, database, broker.

- every answer, the gateway's own and the services' relayed, says ``X-Content-Type-Options:
  nosniff``; every answer about people says ``Cache-Control: no-store``;
- no answer lets any origin read it (no ``Access-Control-Allow-Origin: *`` or echo);
- ``/docs`` loads nothing from another host (packaged assets, served by the gateway);
- error answers show no stack trace or library internals; the OpenAPI document does not
  reveal where the services listen;
- PostgreSQL refuses its superuser without a password over TCP; each service connects as a
  role of its own that is no superuser and cannot open another service's database;
- Kafka refuses clients that do not authenticate, and wrong credentials.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient


async def _sample_answers(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, dossier: Any, factory: Any
) -> dict[str, httpx.Response]:
    """One answer of every kind: gateway's own, relayed successes and errors."""
    me = await dossier("sec-3216")
    headers = await tokens.headers("sec-3216")
    seekers = sec.ENTITIES["job_seekers"]
    answers = {
        "GET /health": await gateway.get("/health"),
        "GET /openapi.json": await gateway.get("/openapi.json"),
        "GET /docs": await gateway.get("/docs"),
        "GET /no-such-path": await gateway.get("/no-such-path"),
        "POST /oauth/token 200": await gateway.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "sec-3216",
                "client_secret": tokens.secret("sec-3216"),
            },
        ),
        "GET listing without a token": await gateway.get(seekers),
        "GET indicators": await gateway.get("/api/v1/indicators", headers=headers),
        "GET 404": await gateway.get(f"{seekers}/{uuid.uuid4()}", headers=headers),
        "GET malformed id": await gateway.get(f"{seekers}/not-a-uuid", headers=headers),
        "POST 422": await gateway.post(seekers, json={"external_id": ""}, headers=headers),
        "POST 403": await gateway.post(
            seekers,
            json=factory.job_seeker(factory.person(sec.BEKASI), region=sec.BANDUNG),
            headers=headers,
        ),
        "DELETE 405": await gateway.delete(f"{seekers}/{me.ids['job_seekers']}", headers=headers),
    }
    for entity in sec.PERSONAL:
        path = sec.ENTITIES[entity]
        answers[f"GET {entity} record"] = await gateway.get(
            f"{path}/{me.ids[entity]}", headers=headers
        )
        answers[f"GET {entity} listing"] = await gateway.get(path, headers=headers)
        answers[f"POST {entity} (replay)"] = await gateway.post(
            path, json=me.bodies[entity], headers=headers
        )
    return answers


async def test_every_answer_says_nosniff_and_answers_about_people_say_no_store(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, dossier: Any, factory: Any
) -> None:
    answers = await _sample_answers(sec, gateway, tokens, dossier, factory)
    failures = []
    for what, response in answers.items():
        if response.headers.get("x-content-type-options", "").lower() != "nosniff":
            failures.append(f"{what} ({response.status_code}): no X-Content-Type-Options: nosniff")
        personal = any(entity in what for entity in sec.PERSONAL)
        cache = response.headers.get("cache-control", "").lower()
        if personal and "no-store" not in cache:
            failures.append(f"{what} ({response.status_code}): Cache-Control {cache!r}")
    assert not failures, "\n".join(failures)


async def test_no_answer_is_readable_by_any_origin(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any
) -> None:
    origin = "https://attacker.example"
    headers = {**await tokens.headers("sec-3216"), "Origin": origin}
    preflight = await gateway.options(
        sec.ENTITIES["job_seekers"],
        headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
    )
    simple = await gateway.get(sec.ENTITIES["job_seekers"], headers=headers)
    for response in (preflight, simple):
        allowed = response.headers.get("access-control-allow-origin")
        assert allowed not in ("*", origin), f"{response.request.method}: {allowed!r}"


async def test_the_docs_load_nothing_from_another_host(
    gateway: httpx.AsyncClient, sec: Any
) -> None:
    page = await gateway.get("/docs")
    assert page.status_code == 200
    references = re.findall(
        r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""", page.text
    )
    urls = [a or b for a, b in references]
    gateway_host = urlsplit(str(gateway.base_url)).netloc
    external = [u for u in urls if urlsplit(u).netloc and urlsplit(u).netloc != gateway_host]
    assert not external, f"/docs loads from other hosts: {external}"
    assert re.search(r"https?://(?!127\.0\.0\.1|localhost)", page.text) is None, (
        "the page names another host: " + ", ".join(re.findall(r"https?://[^\s\"'<>]+", page.text))
    )
    # What it loads is served here (an offline government network has nothing else).
    for url in urls:
        if not url.startswith(("data:", "#")):
            asset = await gateway.get(url if url.startswith("/") else f"/{url}")
            assert asset.status_code == 200, f"{url}: {sec.short(asset)}"


async def test_error_answers_show_no_internals(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, dossier: Any, factory: Any
) -> None:
    answers = await _sample_answers(sec, gateway, tokens, dossier, factory)
    errors = {what: r for what, r in answers.items() if r.status_code >= 400}
    assert errors
    shown = {what: sec.short(r) for what, r in errors.items() if sec.STACK_TRACE.search(r.text)}
    assert not shown, shown
    for what, response in errors.items():
        assert "server" not in response.headers or not re.search(
            r"\d", response.headers["server"]
        ), f"{what}: Server header {response.headers['server']!r} names a version"


async def test_the_openapi_document_does_not_say_where_the_services_listen(
    gateway: httpx.AsyncClient, platform: Any
) -> None:
    text = (await gateway.get("/openapi.json")).text
    for spec in platform.services:
        port = str(platform.config.port_of(spec))
        assert f":{port}" not in text, f"the document names {spec.name}'s port {port}"


async def test_postgres_refuses_its_superuser_without_a_password_over_tcp(
    platform: Any, tmp_path: Any
) -> None:
    for user in ("postgres", "embedded_postgres"):
        try:
            connection = await asyncpg.connect(
                host="127.0.0.1",
                port=platform.postgres.port,
                user=user,
                database="postgres",
                password="",
                passfile=str(tmp_path / "no-passfile"),
                ssl=False,
                timeout=10,
            )
        except (asyncpg.PostgresError, OSError):
            continue
        await connection.close()
        raise AssertionError(f"PostgreSQL lets {user} in over TCP without a password")


async def test_each_service_connects_as_its_own_role_that_opens_only_its_database(
    platform: Any,
) -> None:
    failures = []
    databases = {spec.name: spec.database for spec in platform.services}
    for name, database in databases.items():
        url = platform.environment(name, database)["SINERGI_DATABASE_URL"]
        parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://"))
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            superuser = await connection.fetchval(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            )
        finally:
            await connection.close()
        if superuser:
            failures.append(f"{name} connects as superuser {parts.username}")
        for other in (d for n, d in databases.items() if n != name):
            try:
                foreign = await asyncpg.connect(
                    url.replace("postgresql+asyncpg://", "postgresql://").replace(
                        f"/{database}", f"/{other}"
                    )
                )
            except asyncpg.PostgresError:
                continue
            try:
                tables = await foreign.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
                readable = [
                    t["tablename"]
                    for t in tables
                    if await foreign.fetchval(
                        "SELECT has_table_privilege(current_user, $1, 'SELECT')",
                        f'public."{t["tablename"]}"',
                    )
                ]
            finally:
                await foreign.close()
            if readable:
                failures.append(f"{name}'s role reads {other}: {readable[:5]}")
    assert not failures, "\n".join(failures)


async def _broker_answers(bootstrap: str, **options: Any) -> list[str] | str:
    """The topics a client sees, or why it was refused."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000, **options)
    try:
        async with asyncio.timeout(20):
            await admin.start()
            return sorted(await admin.list_topics())
    except Exception as exc:  # noqa: BLE001 (any refusal is what the test wants)
        return repr(exc)
    finally:
        try:
            await admin.close()
        except Exception:  # noqa: BLE001, S110 (the client may never have connected)
            pass


async def test_kafka_refuses_clients_that_do_not_authenticate(platform: Any) -> None:
    bootstrap = platform.kafka.bootstrap_servers
    anonymous = await _broker_answers(bootstrap)
    assert isinstance(anonymous, str), f"an unauthenticated client lists the topics {anonymous}"
    wrong = await _broker_answers(
        bootstrap,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username="aggregation",
        sasl_plain_password="not-the-password",
    )
    assert isinstance(wrong, str), f"wrong credentials list the topics {wrong}"
