"""RFC 9457 problem documents for every error a Sinergi API returns.

A 422 carries an ``errors`` list with one entry per offending field, each naming the field
(``field``, dotted) and a JSON pointer into the request body (``pointer``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

# Connection-level failures of PostgreSQL (server down, restarting, unreachable).
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, OSError)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://sinergi.kemnaker.go.id/problems/"

log = logging.getLogger(__name__)

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable content",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
}


class FieldError(BaseModel):
    """One invalid field of a request."""

    field: str
    pointer: str
    detail: str


class Problem(BaseModel):
    """The RFC 9457 problem document (documented in OpenAPI for every error response)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.title = title or _TITLES.get(status, "Error")
        self.errors = list(errors)
        self.headers = headers


def field_error(field: str, detail: str) -> FieldError:
    """Build a field error from a dotted field name such as ``victims.0.nik``."""
    return FieldError(field=field, pointer="#/" + field.replace(".", "/"), detail=detail)


def invalid(field: str, detail: str) -> ProblemError:
    """A 422 problem about one field."""
    return ProblemError(
        422, f"{field}: {detail}", kind="validation", errors=[field_error(field, detail)]
    )


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    kind: str | None = None,
    title: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind if kind else "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location_to_field(loc: Sequence[str | int]) -> str:
    # FastAPI prefixes the location with "body", "query" or "path"; integrators name fields
    # by their JSON names, so the prefix is dropped for the body and kept for the others.
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        field_error(_location_to_field(e.get("loc", ())), str(e.get("msg", "invalid")))
        for e in exc.errors()
    ]
    names = ", ".join(dict.fromkeys(e.field for e in errors))
    return problem_response(
        request, 422, f"Invalid fields: {names}", kind="validation", errors=errors
    )


async def _problem_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        exc.status,
        exc.detail,
        kind=exc.kind,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(request, exc.status_code, str(exc.detail), headers=headers)


async def _unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DATABASE_UNAVAILABLE):
        # The transaction never committed: nothing was written, and the same request can be
        # sent again (writes are upserts by external_id).
        log.warning("database unavailable on %s: %s", request.url.path, exc)
        return problem_response(
            request,
            503,
            "The database is unavailable; nothing was written. Retry the request.",
            kind="unavailable",
            headers={"Retry-After": "5"},
        )
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem_response(request, 500, "Internal error; the request was not applied.")


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` an RFC 9457 problem document."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(ProblemError, _problem_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unhandled_handler)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": title}
    for status, title in _TITLES.items()
    if status in (401, 403, 404, 422)
}
