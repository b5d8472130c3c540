"""Query parameters every listing of pushed records shares: region filter and pagination.

Every query parameter is declared, typed and bounded; one that an endpoint does not declare is
a 422 (:func:`refuse_unknown_query`), so a misspelt filter never silently lists everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from shared.errors import field_error, invalid, validation_problem
from shared.input import IsoDate, Text
from shared.regions import registry

MAX_LIMIT = 500
MAX_OFFSET = 100_000
"""Deeper pages are refused: narrow the filters instead (a cursor may come later)."""

QueryText = Annotated[Text | None, Query(max_length=64)]
"""An optional text filter (``external_id=...``)."""
QueryDate = Annotated[IsoDate | None, Query(description="YYYY-MM-DD")]
"""An optional date bound (``registered_from=2025-01-01``)."""


@dataclass
class Listing:
    """``region_code`` filter (within the caller's regions), ``limit`` and ``offset``."""

    region_code: Annotated[
        Text | None, Query(max_length=8, description="Regency code, e.g. 32.16")
    ] = None
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0


def region_filter(code: str | None) -> str | None:
    """Normalise an optional regency filter; an unknown code is a 422 naming it."""
    if code is None:
        return None
    canonical = registry().normalise_regency(code)
    if canonical is None:
        raise invalid("region_code", f"unknown regency code {code!r}")
    return canonical


_declared: dict[int, frozenset[str]] = {}


def _query_names(route: APIRoute) -> frozenset[str]:
    names = _declared.get(id(route))
    if names is None:
        names = _declared[id(route)] = frozenset(_walk(route.dependant))
    return names


def _walk(dependant: Dependant) -> list[str]:
    names = [param.alias for param in dependant.query_params]
    for sub in dependant.dependencies:
        names += _walk(sub)
    return names


def refuse_unknown_query(request: Request) -> None:
    """App-wide dependency: a 422 naming every query parameter the endpoint does not declare."""
    route: Any = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _query_names(route))
    if unknown:
        raise validation_problem(
            [field_error(f"query.{name}", "unknown query parameter") for name in unknown]
        )
