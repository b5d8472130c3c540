"""``/docs``: Swagger UI over the merged OpenAPI document, served wholly by the gateway.

Swagger UI's script, stylesheet and icon come from the ``fastapi-offline`` package (pinned
in uv.lock) and are served under ``/docs/assets``: the page loads nothing from another host,
so it works on a government network without internet access. The page's start script is a
file of its own rather than inline, so that the page's Content-Security-Policy can refuse
every inline or foreign script.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
START_SCRIPT = "/docs/swagger-init.js"
OPENAPI_URL = "/openapi.json"

# Swagger UI styles some elements inline; everything else may come from this host only.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SWAGGER_UI_CONFIG: dict[str, Any] = {
    "url": OPENAPI_URL,
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
    "persistAuthorization": True,
    # Otherwise Swagger UI sends the document to a public validator and shows its badge.
    "validatorUrl": None,
}

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sinergi API</title>
<link rel="icon" type="image/png" href="{ASSETS}/favicon.png">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{START_SCRIPT}"></script>
</body>
</html>
"""

START = f"""window.ui = SwaggerUIBundle(Object.assign({json.dumps(SWAGGER_UI_CONFIG)}, {{
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}}));
"""

router = APIRouter()


@router.get("/docs", include_in_schema=False)
async def swagger_ui() -> HTMLResponse:
    """Swagger UI over the merged document."""
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY})


@router.get(START_SCRIPT, include_in_schema=False)
async def swagger_ui_start() -> Response:
    """The script that starts Swagger UI on the page."""
    return Response(START, media_type="text/javascript")


def install(app: FastAPI) -> None:
    """Serve the docs page, its start script and Swagger UI's packaged assets."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")
