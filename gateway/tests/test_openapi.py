"""One OpenAPI document of the whole public surface: merging (pure) and serving it."""

from __future__ import annotations

from typing import Any

import httpx
from gateway.openapi import merge_documents
from sinergi_local.testing import free_port


def _doc(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.1.0", "paths": paths, "components": {"schemas": schemas}}


SECURED_GET: dict[str, Any] = {"get": {"security": [{"HTTPBearer": []}], "responses": {}}}


def test_merge_takes_only_paths_routed_to_that_upstream() -> None:
    own = _doc({"/oauth/token": {"post": {}}}, {})
    training = _doc(
        {"/api/v1/training/courses": SECURED_GET, "/api/v1/job-market/x": {}, "/debug": {}}, {}
    )
    merged = merge_documents(own, {"training": training})
    assert set(merged["paths"]) == {"/oauth/token", "/api/v1/training/courses"}


def test_merge_offers_the_gateway_security_schemes_to_secured_operations() -> None:
    merged = merge_documents(
        _doc({}, {}), {"training": _doc({"/api/v1/training/courses": SECURED_GET}, {})}
    )
    operation = merged["paths"]["/api/v1/training/courses"]["get"]
    assert operation["security"] == [{"OAuth2": []}, {"bearer": []}]
    # The gateway's own refusals are documented too: no body, so no 413.
    assert set(operation["responses"]) == {"429"}
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    schemes = merged["components"]["securitySchemes"]
    flow = schemes["OAuth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token"
    assert "job-market:write" in flow["scopes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /oauth/token",
    }


def test_operations_with_a_body_may_be_refused_as_too_large() -> None:
    post = {"post": {"security": [{"HTTPBearer": []}], "requestBody": {}, "responses": {"201": {}}}}
    merged = merge_documents(_doc({}, {}), {"training": _doc({"/api/v1/training/x": post}, {})})
    assert set(merged["paths"]["/api/v1/training/x"]["post"]["responses"]) == {"201", "413", "429"}


def test_merge_keeps_both_schemas_when_names_clash_and_repoints_references() -> None:
    problem = {"type": "object", "properties": {"title": {"type": "string"}}}
    ref = {"$ref": "#/components/schemas/Status"}
    job_market = _doc(
        {"/api/v1/job-market/a": {"get": {"responses": {"200": {"schema": ref}}}}},
        {"Status": {"enum": ["active", "placed"]}, "Problem": problem},
    )
    training = _doc(
        {"/api/v1/training/b": {"get": {"responses": {"200": {"schema": ref}}}}},
        {
            "Status": {"enum": ["enrolled", "graduated"]},
            "Problem": problem,
            "Course": {"properties": {"status": ref}},
        },
    )
    merged = merge_documents(_doc({}, {}), {"job_market": job_market, "training": training})

    schemas = merged["components"]["schemas"]
    assert schemas["Status"] == {"enum": ["active", "placed"]}
    assert schemas["training.Status"] == {"enum": ["enrolled", "graduated"]}
    assert schemas["Problem"] == problem and "training.Problem" not in schemas
    assert schemas["Course"] == {
        "properties": {"status": {"$ref": "#/components/schemas/training.Status"}}
    }
    training_ref = merged["paths"]["/api/v1/training/b"]["get"]["responses"]["200"]["schema"]
    assert training_ref == {"$ref": "#/components/schemas/training.Status"}
    job_market_ref = merged["paths"]["/api/v1/job-market/a"]["get"]["responses"]["200"]["schema"]
    assert job_market_ref == {"$ref": "#/components/schemas/Status"}


async def test_served_document_holds_the_gateway_and_upstream_surface(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()

    paths = document["paths"]
    assert "post" in paths["/oauth/token"]
    assert "/health" in paths
    assert "/api/v1/job-market/job-seekers/{job_seeker_id}" in paths
    assert "/api/v1/job-market/whoami" in paths
    assert "/internal/debug" not in paths
    assert "JobSeekerPublic" in document["components"]["schemas"]
    assert paths["/api/v1/job-market/whoami"]["get"]["security"] == [
        {"OAuth2": []},
        {"bearer": []},
    ]
    token_body = paths["/oauth/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in token_body
    assert document["x-sinergi-upstreams"]["job_market"] == "included"
    assert document["x-sinergi-upstreams"]["aggregation"] == "unavailable"


async def test_an_upstream_that_was_down_is_included_once_it_answers(
    gateway_for: Any, make_settings: Any, upstream: Any
) -> None:
    stub, _ = upstream
    port = free_port()
    async with gateway_for(
        make_settings(upstreams={"job_market": f"http://127.0.0.1:{port}"})
    ) as client:
        before = (await client.get("/openapi.json")).json()
        late = type(upstream[1])(stub.app, port=port).start()
        try:
            after = (await client.get("/openapi.json")).json()
        finally:
            late.stop()

    assert "/api/v1/job-market/whoami" not in before["paths"]
    assert "/oauth/token" in before["paths"]
    assert "/api/v1/job-market/whoami" in after["paths"]
