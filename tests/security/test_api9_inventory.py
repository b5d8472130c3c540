"""OWASP API9:2023 Improper Inventory Management: the surface is exactly what is intended.

The merged OpenAPI document lists every route, each one intended (the inventory below: a new
route is added here on purpose, with its review), and every upstream is in it. Methods a path
does not document answer 405 problems with an ``Allow`` header listing exactly the documented
ones; unknown paths answer 404 problems, with or without a token; documentation and debug
surfaces other than ``/docs`` and ``/openapi.json`` do not exist.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from gateway.routes import resolve

ENTITY_ROUTES = [
    "/api/v1/job-market/job-seekers",
    "/api/v1/job-market/vacancies",
    "/api/v1/job-market/placements",
    "/api/v1/training/programs",
    "/api/v1/training/enrollments",
    "/api/v1/inspection/companies",
    "/api/v1/inspection/inspections",
    "/api/v1/inspection/accidents",
    "/api/v1/social-security/memberships",
    "/api/v1/social-security/claims",
    # Issue 10: employment-expansion programs, and the industrial-relations domain.
    "/api/v1/job-market/employment-programs",
    "/api/v1/job-market/program-beneficiaries",
    "/api/v1/industrial-relations/layoffs",
    "/api/v1/industrial-relations/disputes",
    "/api/v1/industrial-relations/agreements",
    "/api/v1/industrial-relations/unions",
]
INVENTORY: set[tuple[str, str]] = {
    ("post", "/oauth/token"),
    ("get", "/health"),
    ("get", "/api/v1/indicators"),
    ("get", "/api/v1/indicators/values"),
    # Issue 8: the region reference list.
    ("get", "/api/v1/regions"),
    # Issue 9: a domain's events as server-sent events (the merged document says {id}),
    # and webhook subscriptions with their delivery log and redelivery.
    ("get", "/api/v1/streams/{id}"),
    ("post", "/api/v1/subscriptions"),
    ("get", "/api/v1/subscriptions"),
    ("get", "/api/v1/subscriptions/{id}"),
    ("patch", "/api/v1/subscriptions/{id}"),
    ("delete", "/api/v1/subscriptions/{id}"),
    ("get", "/api/v1/subscriptions/{id}/deliveries"),
    ("post", "/api/v1/subscriptions/{id}/deliveries/{id}/redeliver"),
}
for _collection in ENTITY_ROUTES:
    INVENTORY |= {("post", _collection), ("get", _collection), ("get", _collection + "/{id}")}
    # Issue 7: retraction of a record by its sender.
    INVENTORY |= {("delete", _collection + "/{id}")}
    # Issue 7: import jobs of every entity (upload, template).
    INVENTORY |= {("post", _collection + "/imports"), ("get", _collection + "/imports/template")}
for _domain in {path.split("/")[3] for path in ENTITY_ROUTES}:
    # Issue 7: a domain's import jobs (read, cancel, conflicts).
    _jobs = f"/api/v1/{_domain}/imports/{{id}}"
    INVENTORY |= {("get", _jobs), ("delete", _jobs), ("get", _jobs + "/conflicts")}
    # Issue 8: a region closes and reopens a month of its reporting, and lists its closures.
    _periods = f"/api/v1/{_domain}/reporting-periods"
    _close = _periods + "/{id}/complete"  # the merged document calls path parameters {id}
    INVENTORY |= {("get", _periods), ("post", _close), ("delete", _close)}
# Routes issue 6 adds, whose exact paths their authors choose: an audit-trail read (item 9,
# scope audit:read) and a search that takes the NIK in a POST body (item 1).
INTENDED_PATTERNS = [
    ("get", re.compile(r"^/api/v1/[a-z-]+/(audit|[a-z-]+/\{[a-z_]+\}/audit)(/.*)?$")),
    ("post", re.compile(r"^/api/v1/[a-z-]+/[a-z-]+/search$")),
]
METHODS = ("get", "post", "put", "patch", "delete")


def _normalised(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def test_every_route_in_the_document_is_intended(openapi: Any) -> None:
    documented = {(op.method, _normalised(op.path)) for op in openapi.operations()}
    unexpected = sorted(
        (method, path)
        for method, path in documented - INVENTORY
        if not any(m == method and pattern.match(path) for m, pattern in INTENDED_PATTERNS)
    )
    assert not unexpected, f"routes nobody reviewed: {unexpected}"
    assert INVENTORY <= documented, f"routes missing from the document: {INVENTORY - documented}"
    upstreams = openapi.document.get("x-sinergi-upstreams", {})
    assert upstreams and set(upstreams.values()) == {"included"}, upstreams


async def test_undocumented_methods_are_405_problems_allowing_the_documented_ones(
    sec: Any, gateway: httpx.AsyncClient, openapi: Any, signer: Any
) -> None:
    headers = signer.headers(scopes=sec.DOMAIN_SCOPES)
    documented: dict[str, set[str]] = {}
    for op in openapi.operations():
        documented.setdefault(op.path, set()).add(op.method)
    failures = []
    for path, methods in documented.items():
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for method in (m for m in METHODS if m not in methods):
            response = await gateway.request(method.upper(), concrete, headers=headers, json={})
            allow = {
                m.strip().lower() for m in response.headers.get("allow", "").split(",") if m.strip()
            }
            if response.status_code != 405 or sec.problem_of(response) is None:
                failures.append(f"{method.upper()} {path}: {sec.short(response)}")
            elif allow - {"head", "options"} != methods:
                failures.append(
                    f"{method.upper()} {path}: Allow {sorted(allow)}, documented {sorted(methods)}"
                )
    assert not failures, "\n".join(failures)


UNKNOWN_PATHS = [
    "/nothing-here",
    "/api",
    "/api/v1",
    "/api/v2/job-market/job-seekers",
    "/api/v1/nothing-here",
    "/api/v1/job-market/nothing-here",
    "/api/v1/indicators-x",
    "/api/v1/job-market/job-seekers/{id}/nothing-here",
    "/redoc",
    "/openapi.yaml",
    "/admin",
    "/debug",
    "/.env",
    "/api/v1/job-market/openapi.json",
    "/api/v1/job-market/docs",
]


async def test_unknown_paths_are_404_problems_with_or_without_a_token(
    sec: Any, gateway: httpx.AsyncClient, signer: Any
) -> None:
    failures = []
    for raw in UNKNOWN_PATHS:
        path = raw.replace("{id}", str(uuid.uuid4()))
        for headers in ({}, signer.headers(scopes=sec.DOMAIN_SCOPES)):
            response = await gateway.get(path, headers=headers)
            # A routed path is the gateway's to guard first: without a token, 401 is right too.
            expected = (401, 404) if resolve(path) is not None and not headers else (404,)
            if response.status_code not in expected or sec.problem_of(response) is None:
                failures.append(
                    f"GET {path} {'with' if headers else 'without'} a token: {sec.short(response)}"
                )
    assert not failures, "\n".join(failures)
