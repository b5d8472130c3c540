"""The console reads and writes through the platform's own API, as the signed-in person.

Each call carries a short-lived token the gateway signs for the person (``user:<username>``,
the role's scopes, the person's regions) and goes to the service that owns the path, exactly
as a client's call through the gateway would: the services check scopes and regions
themselves, so a page can never show or change more than the person's API access allows.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request
from shared.auth import TokenIssuer

from gateway.console.accounts import Account
from gateway.routes import resolve

TOKEN_SECONDS = 300
"""How long a token made for one page's calls lives."""


def person_token(request: Request, account: Account, *, ttl: int = TOKEN_SECONDS) -> str:
    """A signed access token of ``account`` (its scopes and regions)."""
    issuer: TokenIssuer = request.app.state.issuer
    principal = account.principal()
    return issuer.issue(
        client_id=principal.client_id, scopes=principal.scopes, regions=principal.regions, ttl=ttl
    )


class PersonApi:
    """The platform's API as one person, for one request of the console."""

    def __init__(self, request: Request, account: Account) -> None:
        self._request = request
        self._headers = {
            "Authorization": f"Bearer {person_token(request, account)}",
            "X-Request-ID": str(getattr(request.state, "request_id", "") or ""),
        }

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request to the service owning ``path``."""
        route = resolve(path)
        if route is None:
            raise ValueError(f"no service answers {path}")
        base = self._request.app.state.settings.upstream_urls()[route.upstream]
        http: httpx.AsyncClient = self._request.app.state.http
        return await http.request(
            method,
            base + path,
            params=params,
            json=json,
            content=content,
            headers={**self._headers, **(headers or {})},
        )

    async def get_json(self, path: str, **params: Any) -> Any:
        """``GET path`` answered with JSON; raises ``ApiRefused`` on a 4xx/5xx."""
        response = await self.call("GET", path, params=params)
        if response.status_code >= 400:
            raise ApiRefused(response)
        return response.json()


class ApiRefused(Exception):
    """A call of the console that the API refused (its problem document is shown)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.status_code} {response.text[:200]}")
        self.response = response

    @property
    def detail(self) -> str:
        """The problem's detail, for the page."""
        try:
            body = self.response.json()
        except ValueError:
            return self.response.reason_phrase
        return str(body.get("detail") or body.get("title") or self.response.reason_phrase)
