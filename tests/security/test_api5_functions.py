"""OWASP API5:2023 Broken Function Level Authorization: each function needs its own scope.

From the merged OpenAPI document: every API operation refuses (403 problem) a token holding
every scope but the one it needs (``<domain>:read`` for a GET, ``<domain>:write`` for a
write and for every import-job operation (uploads, templates, jobs: the writer's tools),
``indicators:read``, ``audit:read`` for the audit trail, ``<domain>:subscribe`` for the
event streams, any ``<domain>:subscribe`` for webhook subscriptions), and accepts one holding
only that scope. Read-only clients (the ministry's, a
token narrowed with ``scope=``) cannot write anywhere. ``/metrics`` needs ``metrics:read`` on
the gateway and is not served to anyone on a service's port; the gateway does not let a path
reach a service's own routes.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from shared.services import DOMAIN_SERVICES, SERVICES

DOMAIN_OF_PREFIX = {
    prefix: service.domain or "indicators" for service in SERVICES for prefix in service.prefixes
}
ALL_SCOPES = (
    *(
        service.scope(action)
        for service in DOMAIN_SERVICES
        for action in ("read", "write", "subscribe")
    ),
    "indicators:read",
    "indicators:read-exact",
    "audit:read",
    "metrics:read",
)
STREAMS = "/api/v1/streams/"
SUBSCRIPTIONS = "/api/v1/subscriptions"


def required_scope(op: Any) -> str:
    """The scope an API operation needs."""
    if op.path.startswith(STREAMS):
        return "job-market:subscribe"  # the stream _request asks for
    if op.path.startswith(SUBSCRIPTIONS):
        return "job-market:subscribe"  # any {domain}:subscribe manages the client's webhooks
    if "/audit" in op.path:
        return "audit:read"
    domain = next(d for prefix, d in DOMAIN_OF_PREFIX.items() if op.path.startswith(prefix))
    reads = not op.is_import and (op.method in ("get", "head") or op.is_search)
    return f"{domain}:{'read' if reads else 'write'}"


def _request(op: Any) -> tuple[str, dict[str, Any]]:
    if op.path.startswith(STREAMS):
        return STREAMS + "job-market", {}
    path = op.path
    for name in op.names_in("path"):
        path = path.replace("{" + name + "}", str(uuid.uuid4()))
    return path, ({"json": {}} if op.method not in ("get", "head", "delete") else {})


async def test_every_operation_refuses_a_token_without_its_scope(
    sec: Any, gateway: httpx.AsyncClient, openapi: Any, signer: Any
) -> None:
    async def check(op: Any) -> list[str]:
        needed = required_scope(op)
        path, extra = _request(op)
        others = [
            s
            for s in ALL_SCOPES
            if s != needed and not (op.path.startswith(SUBSCRIPTIONS) and s.endswith(":subscribe"))
        ]
        found = []
        refused = await gateway.request(
            op.method.upper(), path, headers=signer.headers(scopes=others), **extra
        )
        if refused.status_code != 403 or sec.problem_of(refused) is None:
            found.append(f"{op.label} without {needed}: {sec.short(refused)}")
        # A stream stays open: its status line is all this needs.
        async with gateway.stream(
            op.method.upper(), path, headers=signer.headers(scopes=[needed]), **extra
        ) as allowed:
            if allowed.status_code in (401, 403):
                await allowed.aread()
        if allowed.status_code in (401, 403):
            found.append(f"{op.label} with only {needed}: {sec.short(allowed)}")
        return found

    results = await sec.gather_limited(check(op) for op in openapi.operations() if op.is_api)
    failures = [line for found in results for line in found]
    assert not failures, "\n".join(failures)


async def test_read_only_clients_cannot_write_anywhere(
    sec: Any,
    gateway: httpx.AsyncClient,
    tokens: Any,
    openapi: Any,
    valid_body: Any,
    db_counts: Any,
) -> None:
    ministry = await tokens.headers(sec.MINISTRY)
    narrowed = await tokens.headers("sec-3216", scope="job-market:read training:read")
    failures = []
    for op in openapi.writes():
        service = sec.service_of(op.path)
        before = await db_counts(service)
        for who, headers in (("the ministry", ministry), ("a read-only token", narrowed)):
            response = await gateway.post(op.path, json=valid_body(op), headers=headers)
            if response.status_code != 403:
                failures.append(f"{op.label} by {who}: {sec.short(response)}")
        upload = openapi.uploads().get(op.path)
        for who, headers in (("the ministry", ministry), ("a read-only token", narrowed)):
            if upload is None:
                failures.append(f"{op.label}: no import operation")
                break
            response = await gateway.post(upload.path, json=[valid_body(op)], headers=headers)
            if response.status_code != 403:
                failures.append(f"{upload.label} by {who}: {sec.short(response)}")
        if sec.grown(before, await db_counts(service)):
            failures.append(f"{op.label}: a refused write changed the database")
    assert not failures, "\n".join(failures)


async def test_the_audit_trail_needs_audit_read(
    sec: Any, gateway: httpx.AsyncClient, openapi: Any, signer: Any, tokens: Any, dossier: Any
) -> None:
    audit = [op for op in openapi.operations() if op.is_api and "audit" in op.path]
    assert audit, "no audit-trail operation in the OpenAPI document (issue 6, item 9)"
    # The scope can be granted to a registered client through the token endpoint.
    await tokens.register("sec-auditor", regions=("*",), scopes=("audit:read",))
    officer = await tokens.headers("sec-auditor")
    me = await dossier("sec-3216")
    for op in audit:
        path = op.path
        for name in op.names_in("path"):
            path = path.replace("{" + name + "}", me.ids["job_seekers"])
        refused = await gateway.get(path, headers=await tokens.headers("sec-3216"))
        assert refused.status_code == 403, f"{op.label} without audit:read: {sec.short(refused)}"
        allowed = await gateway.get(path, headers=officer)
        assert allowed.status_code not in (401, 403), f"{op.label}: {sec.short(allowed)}"


async def test_gateway_metrics_need_metrics_read(
    sec: Any, gateway: httpx.AsyncClient, signer: Any, tokens: Any
) -> None:
    anonymous = await gateway.get("/metrics")
    assert anonymous.status_code == 401, sec.short(anonymous)
    without = await gateway.get("/metrics", headers=signer.headers(scopes=sec.DOMAIN_SCOPES))
    assert without.status_code == 403, sec.short(without)
    await tokens.register("sec-monitoring", regions=("*",), scopes=("metrics:read",))
    allowed = await gateway.get("/metrics", headers=await tokens.headers("sec-monitoring"))
    assert allowed.status_code == 200, sec.short(allowed)
    assert "sinergi_gateway_requests_total" in allowed.text


async def test_service_ports_serve_no_metrics_to_anyone(platform: Any, sec: Any) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for spec in platform.services:
            url = f"http://127.0.0.1:{platform.config.port_of(spec)}/metrics"
            response = await client.get(url)
            assert response.status_code in (401, 403, 404), f"{spec.name}: {sec.short(response)}"
            assert "# HELP" not in response.text, f"{spec.name} serves its metrics"


async def test_no_public_path_reaches_a_services_own_routes(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any
) -> None:
    headers = await tokens.headers("sec-3216")
    probes = [
        "/api/v1/job-market/metrics",
        "/api/v1/job-market/%2e%2e/%2e%2e/%2e%2e/metrics",
        "/api/v1/job-market/..%2f..%2f..%2fmetrics",
        "/api/v1/training/%2e%2e%2f%2e%2e%2f%2e%2e%2fopenapi.json",
        "/api/v1/indicators/%2e%2e/%2e%2e/%2e%2e/health",
    ]
    for path in probes:
        response = await gateway.get(path, headers=headers)
        assert response.status_code in (400, 404), f"{path}: {sec.short(response)}"
        assert "# HELP" not in response.text and '"openapi"' not in response.text, path
