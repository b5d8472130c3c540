"""The event streams' AsyncAPI document (``/asyncapi.json``) and a page to read it
(``/asyncapi``), both generated from the event models (``shared.events.asyncapi``) and served
without anything from outside the gateway."""

from __future__ import annotations

import html
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from shared.events.asyncapi import asyncapi_document

from gateway.settings import GatewaySettings

router = APIRouter(include_in_schema=False)


@cache
def _document(bootstrap: str, security_protocol: str, sasl_mechanism: str) -> dict[str, Any]:
    return asyncapi_document(
        bootstrap=bootstrap, security_protocol=security_protocol, sasl_mechanism=sasl_mechanism
    )


def document(settings: GatewaySettings) -> dict[str, Any]:
    """The document for the broker the platform is configured with."""
    return _document(
        settings.kafka_bootstrap, settings.kafka_security_protocol, settings.kafka_sasl_mechanism
    )


@router.get("/asyncapi.json")
async def asyncapi_json(request: Request) -> JSONResponse:
    """The AsyncAPI 3.0 document of the event streams."""
    return JSONResponse(document(request.app.state.settings))


@router.get("/asyncapi")
async def asyncapi_page(request: Request) -> HTMLResponse:
    """The same document as a page: servers, channels, and each message's fields."""
    return HTMLResponse(render(document(request.app.state.settings)))


def _type_of(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[1]
    if "const" in schema:
        return f"= {schema['const']!r}"
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_type_of(s, schemas) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type_of(schema.get('items', {}), schemas)}"
    kind = str(schema.get("type", "any"))
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _fields(name: str, schemas: dict[str, Any]) -> str:
    schema = schemas.get(name, {})
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{html.escape(field)}</code>{'' if field in required else ' (optional)'}"
        f"</td><td>{html.escape(_type_of(spec, schemas))}</td>"
        f"<td>{html.escape(str(spec.get('description', '')))}</td></tr>"
        for field, spec in schema.get("properties", {}).items()
    )
    return f"<table><tr><th>Field</th><th>Type</th><th>About</th></tr>{rows}</table>"


def render(doc: dict[str, Any]) -> str:
    """The page of an AsyncAPI document (plain HTML, inline style, no script)."""
    components = doc["components"]
    schemas, messages = components["schemas"], components["messages"]
    parts = [
        f"<h1>{html.escape(doc['info']['title'])} <small>{html.escape(doc['info']['version'])}"
        f"</small></h1><p>{html.escape(doc['info']['description'])}</p>",
        '<p>Machine-readable: <a href="/asyncapi.json">/asyncapi.json</a> (AsyncAPI '
        f"{html.escape(doc['asyncapi'])}).</p><h2>Servers</h2><ul>",
    ]
    for name, server in doc["servers"].items():
        parts.append(
            f"<li><b>{html.escape(name)}</b>: <code>{html.escape(server['host'])}</code> "
            f"({html.escape(server['protocol'])}) {html.escape(server['description'])}</li>"
        )
    parts.append("</ul>")
    schemes = components["securitySchemes"].values()
    parts.append(
        "<p>Security: "
        + "; ".join(html.escape(f"{s['type']}: {s['description']}") for s in schemes)
        + "</p>"
    )
    for channel in doc["channels"].values():
        parts.append(
            f'<h2 id="{html.escape(channel["address"])}">Topic '
            f"<code>{html.escape(channel['address'])}</code></h2>"
            f"<p>{html.escape(channel['description'])}</p>"
        )
        for ref in channel["messages"].values():
            message = messages[ref["$ref"].rsplit("/", 1)[1]]
            data = message["payload"]["properties"]["data"]["$ref"].rsplit("/", 1)[1]
            parts.append(
                f"<h3><code>{html.escape(message['name'])}</code></h3>"
                f"<p>{html.escape(message['summary'])}</p>{_fields(data, schemas)}"
            )
    nested = sorted(
        name for name in schemas if not any(name == m["title"] for m in messages.values())
    )
    if nested:
        parts.append("<h2>Nested objects</h2>")
        for name in nested:
            parts.append(f'<h3 id="{html.escape(name)}">{html.escape(name)}</h3>')
            parts.append(_fields(name, schemas))
    style = (
        "body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.45}table{border-collapse:collapse;width:100%;margin-bottom:1rem}"
        "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}"
        "code{background:#f4f4f4;padding:0 .2rem}"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(doc['info']['title'])}</title><style>{style}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )
