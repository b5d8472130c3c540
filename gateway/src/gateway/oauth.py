"""The OAuth2 token endpoint: client credentials grant (RFC 6749 §4.4).

A client authenticates with its id and secret, either in the form body or with HTTP Basic
(RFC 6749 §2.3.1), and receives a short-lived RS256 JWT whose claims carry its scopes and
regions. Errors here use the RFC 6749 §5.2 shape (``{"error", "error_description"}`` as
``application/json``) rather than RFC 9457: OAuth2 client libraries expect that shape from a
token endpoint.

Failed authentications are throttled per client id and per source address
(:class:`gateway.throttling.LoginThrottle`): once either has too many failures in its window,
attempts are answered 429 ``temporarily_unavailable`` with ``Retry-After``, right secret or not.
The source address is the ASGI client address; behind a load balancer, run uvicorn with
``--forwarded-allow-ips`` naming the balancer so that it is the caller's address.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from limits.errors import StorageError
from pydantic import BaseModel
from shared.auth import TokenIssuer
from shared.db import SessionDep
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.clients import authenticate
from gateway.models import Client
from gateway.scopes import SCOPE_DESCRIPTIONS
from gateway.throttling import LoginThrottle, Throttled

log = logging.getLogger(__name__)

CLIENT_CREDENTIALS = "client_credentials"
FORM = "application/x-www-form-urlencoded"
# RFC 6749 §5.1: token responses must not be cached by anyone.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="sinergi"'}


class TokenResponse(BaseModel):
    """A successful token response (RFC 6749 §5.1)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a token type, not a secret)
    expires_in: int
    scope: str


class OAuthErrorBody(BaseModel):
    """A token endpoint error (RFC 6749 §5.2)."""

    error: str
    error_description: str | None = None


class OAuthError(Exception):
    """A token request refused with an RFC 6749 error code."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers: dict[str, str] = {}


def invalid_client(description: str, *, basic: bool) -> OAuthError:
    """401 invalid_client; a Basic challenge when the client tried Basic (RFC 6749 §5.2)."""
    error = OAuthError("invalid_client", description, status=401)
    if basic:
        error.headers = dict(BASIC_CHALLENGE)
    return error


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A parsed token request; ``scopes`` is None when the client asked for all it has."""

    grant_type: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] | None
    basic_auth: bool


def _basic_credentials(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise invalid_client("use HTTP Basic or form parameters for the client", basic=True)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise invalid_client("malformed Basic credentials", basic=True) from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise invalid_client("malformed Basic credentials", basic=True)
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def parse_token_request(
    body: bytes, *, content_type: str | None, authorization: str | None
) -> TokenRequest:
    """Read a token request from its form body and Authorization header."""
    if (content_type or "").split(";")[0].strip().lower() != FORM:
        raise OAuthError("invalid_request", f"the request body must be {FORM}")
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise OAuthError("invalid_request", "the form body is not UTF-8") from exc
    repeated = sorted(name for name, values in form.items() if len(values) > 1)
    if repeated:
        raise OAuthError("invalid_request", f"parameter(s) sent more than once: {repeated}")
    # RFC 6749 §3.1: parameters sent without a value are treated as omitted.
    params = {name: values[0] for name, values in form.items() if values[0]}

    grant_type = params.get("grant_type")
    if grant_type is None:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type != CLIENT_CREDENTIALS:
        raise OAuthError(
            "unsupported_grant_type", f"only grant_type={CLIENT_CREDENTIALS} is supported"
        )

    if authorization:
        if "client_secret" in params:
            raise OAuthError(
                "invalid_request", "authenticate the client with Basic or with the form, not both"
            )
        client_id, secret = _basic_credentials(authorization)
        if params.get("client_id", client_id) != client_id:
            raise OAuthError("invalid_request", "client_id differs from the Basic credentials")
    else:
        if "client_id" not in params or "client_secret" not in params:
            raise invalid_client("client_id and client_secret are required", basic=False)
        client_id, secret = params["client_id"], params["client_secret"]

    scope = params.get("scope", "").split()
    return TokenRequest(
        grant_type=grant_type,
        client_id=client_id,
        client_secret=secret,
        scopes=tuple(dict.fromkeys(scope)) if scope else None,
        basic_auth=bool(authorization),
    )


def too_many_failures(retry_after: int) -> OAuthError:
    """429: too many failed attempts for this client id or from this address."""
    error = OAuthError(
        "temporarily_unavailable",
        f"too many failed authentication attempts; retry after {retry_after} s",
        status=429,
    )
    error.headers = {"Retry-After": str(retry_after)}
    return error


async def _authenticate(
    session: AsyncSession,
    *,
    request: TokenRequest,
    throttle: LoginThrottle | None,
    address: str | None,
) -> Client | None:
    if throttle is None:
        return await authenticate(
            session, client_id=request.client_id, secret=request.client_secret
        )
    try:
        async with throttle.attempt(client_id=request.client_id, address=address) as attempt:
            client = await authenticate(
                session, client_id=request.client_id, secret=request.client_secret
            )
            if client is None:
                attempt.failed()
            return client
    except Throttled as exc:
        log.info("token refused: too many failures for client %r or its address", request.client_id)
        raise too_many_failures(exc.retry_after) from exc
    except StorageError as exc:
        # Without its count the throttle cannot tell whether to admit a guess: refuse.
        log.warning("token refused: the throttle's storage failed: %r", exc)
        error = OAuthError("temporarily_unavailable", "try again shortly", status=503)
        error.headers = {"Retry-After": "5"}
        raise error from exc


async def issue_token(
    session: AsyncSession,
    *,
    request: TokenRequest,
    issuer: TokenIssuer,
    ttl: int,
    throttle: LoginThrottle | None = None,
    address: str | None = None,
) -> TokenResponse:
    """Authenticate the client (failures throttled) and sign a token for the scopes it asked
    for (default: all)."""
    client = await _authenticate(session, request=request, throttle=throttle, address=address)
    if client is None:
        log.info("token refused: client %r failed authentication", request.client_id)
        raise invalid_client(
            "unknown client, wrong secret or inactive client", basic=request.basic_auth
        )
    granted = set(client.scopes)
    if request.scopes is None:
        scopes = list(client.scopes)
    else:
        refused = [s for s in request.scopes if s not in granted]
        if refused:
            raise OAuthError(
                "invalid_scope", f"scope(s) not granted to this client: {' '.join(refused)}"
            )
        scopes = list(request.scopes)
    token = issuer.issue(client_id=client.client_id, scopes=scopes, regions=client.regions, ttl=ttl)
    return TokenResponse(access_token=token, expires_in=ttl, scope=" ".join(sorted(scopes)))


router = APIRouter(tags=["OAuth2"])

_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": [CLIENT_CREDENTIALS]},
        "client_id": {"type": "string", "description": "unless sent with HTTP Basic"},
        "client_secret": {"type": "string", "description": "unless sent with HTTP Basic"},
        "scope": {
            "type": "string",
            "description": "space-separated subset of the client's scopes (default: all): "
            + ", ".join(SCOPE_DESCRIPTIONS),
        },
    },
}


def _oauth_error_response(error: OAuthError) -> JSONResponse:
    body = OAuthErrorBody(error=error.error, error_description=error.description)
    return JSONResponse(
        body.model_dump(), status_code=error.status, headers={**NO_STORE, **error.headers}
    )


@router.post(
    "/oauth/token",
    summary="Get an access token (OAuth2 client credentials)",
    response_model=TokenResponse,
    responses={
        400: {"model": OAuthErrorBody, "description": "Invalid request, grant type or scope"},
        401: {"model": OAuthErrorBody, "description": "Unknown client or wrong secret"},
        429: {
            "model": OAuthErrorBody,
            "description": "Too many failed attempts for this client or from this address; "
            "wait Retry-After seconds",
        },
    },
    openapi_extra={"requestBody": {"required": True, "content": {FORM: {"schema": _FORM_SCHEMA}}}},
)
async def token(request: Request, session: SessionDep) -> JSONResponse:
    """Exchange client credentials for a Bearer token carrying the client's scopes and regions."""
    try:
        parsed = parse_token_request(
            await request.body(),
            content_type=request.headers.get("content-type"),
            authorization=request.headers.get("authorization"),
        )
        issued = await issue_token(
            session,
            request=parsed,
            issuer=request.app.state.issuer,
            ttl=request.app.state.settings.token_ttl_seconds,
            throttle=request.app.state.login_throttle,
            address=request.client.host if request.client else None,
        )
    except OAuthError as exc:
        return _oauth_error_response(exc)
    return JSONResponse(issued.model_dump(), headers=NO_STORE)
