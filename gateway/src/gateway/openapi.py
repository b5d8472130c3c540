"""One OpenAPI document of the whole public surface, served at ``/openapi.json`` (and shown
by ``/docs``, see :mod:`gateway.docs`).

The gateway's own operations (token endpoint, health) are joined with each upstream's
``/openapi.json``. Upstreams expose their routes at the public paths, so paths are merged as
they are; only paths the route table sends to that upstream are taken. Upstream documents are
fetched on demand and kept ``openapi_cache_seconds``; an upstream never reached yet is left
out and asked again on the next request, and one that stops answering keeps its last
document. Every secured upstream operation is offered the gateway's two security schemes:
OAuth2 client credentials (token URL ``/oauth/token``) and a plain Bearer JWT, and lists the
answers the gateway itself may give: 429 (quota used up) and, with a body, 413.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from shared.errors import PROBLEM_JSON

from gateway.routes import ROUTES, Route, resolve
from gateway.scopes import SCOPE_DESCRIPTIONS

log = logging.getLogger(__name__)

Document = dict[str, Any]

OAUTH2 = "OAuth2"
BEARER = "bearer"
TOKEN_URL = "/oauth/token"  # noqa: S105 (a URL, not a secret)
SCHEMA_REF = "#/components/schemas/"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def security_schemes() -> dict[str, Any]:
    """The gateway's security schemes: OAuth2 client credentials and a Bearer JWT."""
    return {
        OAUTH2: {
            "type": "oauth2",
            "description": "Client credentials of a registered client (RFC 6749 §4.4)",
            "flows": {
                "clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": dict(SCOPE_DESCRIPTIONS)}
            },
        },
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from POST /oauth/token",
        },
    }


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        result = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF):
                name = value[len(SCHEMA_REF) :]
                result[key] = SCHEMA_REF + renames.get(name, name)
            else:
                result[key] = _rewrite_refs(value, renames)
        return result
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


# What the gateway itself may answer on a proxied operation, besides the service's answers.
RATE_LIMITED: dict[str, Any] = {
    "description": "This client's request quota is used up: retry after Retry-After seconds",
    "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    "content": {PROBLEM_JSON: {}},
}
BODY_TOO_LARGE: dict[str, Any] = {
    "description": "The request body is larger than the gateway accepts on this path",
    "content": {PROBLEM_JSON: {}},
}


def _with_gateway_security(path_item: dict[str, Any]) -> dict[str, Any]:
    # Services declare their own Bearer scheme; through the gateway the same token comes from
    # the OAuth2 flow or is pasted as a Bearer token, so Swagger UI offers both.
    result = dict(path_item)
    for method, operation in path_item.items():
        if method in HTTP_METHODS and isinstance(operation, dict) and operation.get("security"):
            responses = {"429": RATE_LIMITED, **operation.get("responses", {})}
            if "requestBody" in operation:
                responses = {"413": BODY_TOO_LARGE, **responses}
            result[method] = {
                **operation,
                "security": [{OAUTH2: []}, {BEARER: []}],
                "responses": responses,
            }
    return result


def _conflicting_schemas(
    upstream: str, theirs: Mapping[str, Any], ours: Mapping[str, Any]
) -> dict[str, str]:
    # A schema conflicts when its name is taken by a different schema, or when it refers to
    # a conflicting one (then it differs once its references are renamed): repeat until no
    # new conflict appears.
    renames: dict[str, str] = {}
    while True:
        found = {
            name: f"{upstream}.{name}"
            for name, schema in theirs.items()
            if name in ours and (name in renames or ours[name] != _rewrite_refs(schema, renames))
        }
        if found == renames:
            return renames
        renames = found


def merge_documents(
    own: Document,
    upstream_documents: Mapping[str, Document],
    *,
    routes: tuple[Route, ...] = ROUTES,
) -> Document:
    """The gateway's document joined with the upstreams' paths, schemas and tags."""
    merged = copy.deepcopy(own)
    paths: dict[str, Any] = merged.setdefault("paths", {})
    components: dict[str, Any] = merged.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    tags: list[dict[str, Any]] = list(merged.get("tags", []))
    for upstream, document in upstream_documents.items():
        their_schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
        # Same name, different schema (e.g. two services' "Status"): keep both by giving the
        # upstream's one a qualified name and pointing its references there.
        renames = _conflicting_schemas(upstream, their_schemas, schemas)
        for name, schema in their_schemas.items():
            schemas.setdefault(renames.get(name, name), _rewrite_refs(schema, renames))
        for path, item in document.get("paths", {}).items():
            route = resolve(path, routes)
            if route is None or route.upstream != upstream:
                continue
            if path in paths:
                log.warning("path %s of %s is already documented; kept the first", path, upstream)
                continue
            paths[path] = _with_gateway_security(_rewrite_refs(item, renames))
        known_tags = {tag.get("name") for tag in tags}
        tags += [t for t in document.get("tags", []) if t.get("name") not in known_tags]
    if tags:
        merged["tags"] = tags
    components["securitySchemes"] = {**components.get("securitySchemes", {}), **security_schemes()}
    return merged


class OpenApiAggregator:
    """The merged document, with each upstream's part cached for a while."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        upstreams: Mapping[str, str],
        own: Callable[[], Document],
        cache_seconds: float,
        fetch_timeout: float = 3.0,
    ) -> None:
        self._client = client
        self._upstreams = {name: url.rstrip("/") for name, url in upstreams.items()}
        self._own = own
        self._cache_seconds = cache_seconds
        self._fetch_timeout = fetch_timeout
        self._cache: dict[str, tuple[float, Document]] = {}
        self._lock = asyncio.Lock()

    async def _fetch(self, name: str) -> None:
        try:
            response = await self._client.get(
                self._upstreams[name] + "/openapi.json", timeout=self._fetch_timeout
            )
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.info("OpenAPI of %s not available now: %r", name, exc)
            return
        if isinstance(document, dict):
            self._cache[name] = (time.monotonic(), document)

    async def document(self) -> Document:
        """The whole public surface as one OpenAPI document."""
        async with self._lock:
            now = time.monotonic()
            stale = [
                name
                for name in self._upstreams
                if name not in self._cache or now - self._cache[name][0] > self._cache_seconds
            ]
            await asyncio.gather(*(self._fetch(name) for name in stale))
        available = {name: self._cache[name][1] for name in self._upstreams if name in self._cache}
        merged = merge_documents(self._own(), available)
        merged["x-sinergi-upstreams"] = {
            name: ("included" if name in available else "unavailable") for name in self._upstreams
        }
        return merged


router = APIRouter()


@router.get("/openapi.json", include_in_schema=False)
async def openapi_document(request: Request) -> JSONResponse:
    """The merged OpenAPI document."""
    aggregator: OpenApiAggregator = request.app.state.openapi
    return JSONResponse(await aggregator.document())
