"""RFC 9457 problem documents for every error a Sinergi API returns.

A 422 carries an ``errors`` list with one entry per offending field, each naming the field
(``field``, dotted) and a JSON pointer into the request body (``pointer``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

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
    return validation_problem([field_error(field, detail)])


def validation_problem(errors: Sequence[FieldError]) -> ProblemError:
    """A 422 problem listing every invalid field."""
    names = ", ".join(dict.fromkeys(e.field for e in errors))
    return ProblemError(422, f"Invalid fields: {names}", kind="validation", errors=errors)


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
    errors = [schema_error(e) for e in exc.errors()]
    # The body's rule checks ran before its schema was validated (shared.rules): one answer
    # names every problem; a field the schema refused is not checked twice.
    refused = {e.field for e in errors}
    rule_errors: list[FieldError] = getattr(request.state, "rule_errors", [])
    errors += [e for e in rule_errors if e.field not in refused]
    problem = validation_problem(errors)
    return problem_response(request, 422, problem.detail, kind="validation", errors=problem.errors)


def schema_error(error: Mapping[str, Any]) -> FieldError:
    """The field error of one pydantic error (an item of ``ValidationError.errors()``)."""
    return field_error(_location_to_field(error.get("loc", ())), _message(error))


def _message(error: Mapping[str, Any]) -> str:
    # pydantic prefixes the message of a validator's ValueError with "Value error, ".
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "extra_forbidden":
        return "unknown field: this record has no such field"
    return message.removeprefix("Value error, ")


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
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's 400 for a JSON body that is not UTF-8: a body problem like any other.
        problem = invalid("body", "the body is not UTF-8 encoded JSON")
        return problem_response(
            request, 422, problem.detail, kind="validation", errors=problem.errors
        )
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        # Starlette's Allow names the methods of the first route matching the path only.
        allowed = allowed_methods(request.app.router.routes, request.scope)
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
    return problem_response(request, exc.status_code, str(exc.detail), headers=headers or None)


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    """Every method some route accepts at the scope's path."""
    found: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's lazily included router
        if included is not None:
            found |= allowed_methods(included.routes, scope)
            continue
        methods = getattr(route, "methods", None)
        if methods and route.matches(scope)[0] is not Match.NONE:
            found |= set(methods)
    return found


def sqlstate(exc: BaseException) -> str:
    """The PostgreSQL SQLSTATE of a database error ('' when there is none)."""
    original = getattr(exc, "orig", None)
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    cause = getattr(original, "__cause__", None)
    return str(code or getattr(cause, "sqlstate", "") or "")


async def _unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    # Database errors are logged by type and SQLSTATE only: their messages and causes can
    # quote statement parameters (NIKs, names).
    if isinstance(exc, DATABASE_UNAVAILABLE) and not _is_data_error(exc):
        # The transaction never committed: nothing was written, and the same request can be
        # sent again (writes are upserts by external_id).
        log.warning("database unavailable: %s", type(exc).__name__)
        return _unavailable(request, "The database is unavailable; nothing was written.")
    if isinstance(exc, sa_exc.DBAPIError):
        state = sqlstate(exc)
        log.error("database error %s (SQLSTATE %s)", type(exc).__name__, state or "unknown")
        if state == "57014":  # query_canceled: the statement timeout
            return _unavailable(request, "The request took too long and was cancelled.")
        if state.startswith("22"):  # data exception: a value the column cannot hold
            return problem_response(
                request, 422, "A value cannot be stored; nothing was written.", kind="validation"
            )
        if state.startswith("23"):  # integrity: a concurrent write of the same record
            return problem_response(
                request,
                409,
                "The record changed concurrently; nothing was written. Retry the request.",
                kind="conflict",
            )
        return problem_response(request, 500, "Internal error; the request was not applied.")
    log.error("unhandled error %s", type(exc).__name__, exc_info=exc)
    return problem_response(request, 500, "Internal error; the request was not applied.")


def _is_data_error(exc: Exception) -> bool:
    state = sqlstate(exc) if isinstance(exc, sa_exc.DBAPIError) else ""
    return state[:2] in {"22", "23"} or state == "57014"


def _unavailable(request: Request, detail: str) -> JSONResponse:
    return problem_response(
        request,
        503,
        detail + " Retry the request.",
        kind="unavailable",
        headers={"Retry-After": "5"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` an RFC 9457 problem document."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(ProblemError, _problem_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    # Database errors have their own handlers: an answered error must not close the
    # connection, which only the handler of last resort (``Exception``) does.
    for database_error in (sa_exc.DBAPIError, *DATABASE_UNAVAILABLE):
        app.add_exception_handler(database_error, _unhandled_handler)
    app.add_exception_handler(Exception, _unhandled_handler)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": title}
    for status, title in _TITLES.items()
    if status in (401, 403, 404, 422)
}
