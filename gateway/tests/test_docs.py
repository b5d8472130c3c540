"""``/docs`` is served wholly by the gateway: Swagger UI from packaged assets, nothing from
another host."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

EXTERNAL = re.compile(r"(https?:)?//", re.IGNORECASE)


class _References(HTMLParser):
    """Every URL an HTML page makes the browser load (src and href attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


async def test_the_docs_page_references_no_other_host(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = _References()
    parser.feed(response.text)
    assert len(parser.urls) == 4  # icon, stylesheet, Swagger UI, its start script
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), url
    assert not EXTERNAL.search(response.text)
    # No inline script: the page's policy allows scripts from this host only.
    assert "<script>" not in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy


async def test_every_asset_of_the_docs_page_is_served_by_the_gateway(
    gateway: httpx.AsyncClient,
) -> None:
    parser = _References()
    parser.feed((await gateway.get("/docs")).text)
    kinds = {}
    for url in parser.urls:
        response = await gateway.get(url)
        assert response.status_code == 200, url
        assert response.content, url
        assert response.headers["x-content-type-options"] == "nosniff"
        kinds[url.rsplit(".", 1)[-1]] = response.headers["content-type"]
    assert kinds["js"].startswith("text/javascript")
    assert kinds["css"].startswith("text/css")
    assert kinds["png"] == "image/png"

    bundle = await gateway.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    # Static assets may be cached; the API's answers may not.
    assert "no-store" not in bundle.headers.get("cache-control", "")


async def test_swagger_ui_reads_the_merged_document_and_no_validator(
    gateway: httpx.AsyncClient,
) -> None:
    start = await gateway.get("/docs/swagger-init.js")
    assert start.status_code == 200
    assert '"url": "/openapi.json"' in start.text
    assert '"validatorUrl": null' in start.text
    assert not EXTERNAL.search(start.text)
    assert (await gateway.get("/openapi.json")).status_code == 200
