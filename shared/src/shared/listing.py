"""Query parameters every listing of pushed records shares, and its cursor.

Every listing takes the same filters and pages the same way, so a regional system can sync
"what changed since yesterday" from any collection:

- ``region_code`` (within the caller's regions), ``external_id`` (the sender's own id),
  ``updated_since`` (an RFC 3339 time: records created, corrected, withdrawn or revived at or
  after it), ``include_withdrawn`` (withdrawn records are left out unless asked);
- a stable order, ``updated_at`` then ``id``, and cursor pagination: each page's ``next`` is
  the link of the page after it (the same filters and an opaque ``cursor``), ``null`` on the
  last page. No page scans the ones before it (no ``OFFSET``), and the matching records are
  counted only when asked (``count=true``).

Every query parameter is declared, typed and bounded; one that an endpoint does not declare is
a 422 (:func:`refuse_unknown_query`), so a misspelt filter never silently lists everything.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from shared.errors import field_error, invalid, validation_problem
from shared.input import IsoDate, Text
from shared.regions import registry

MAX_LIMIT = 500

QueryText = Annotated[Text | None, Query(max_length=64)]
"""An optional text filter (``nib=...``)."""
QueryDate = Annotated[IsoDate | None, Query(description="YYYY-MM-DD")]
"""An optional date bound (``registered_from=2025-01-01``)."""

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def rfc3339(value: str | None, *, field: str = "updated_since") -> datetime | None:
    """An RFC 3339 time with its offset (``2026-12-01T00:00:00Z``); a 422 naming ``field`` else."""
    if value is None:
        return None
    if not _RFC3339.fullmatch(value):
        raise invalid(
            f"query.{field}", "an RFC 3339 time with its offset, e.g. 2026-12-01T00:00:00Z"
        )
    try:
        return datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise invalid(f"query.{field}", f"{value} is not a valid time") from None


@dataclass(frozen=True)
class Position:
    """Where a page ends in the listing order: the last record's ``updated_at`` and ``id``."""

    updated_at: datetime
    id: uuid.UUID

    def token(self) -> str:
        """The opaque cursor naming this position."""
        raw = json.dumps([self.updated_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> Position:
        """The position of a cursor; a 422 naming ``cursor`` when it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            when, ident = json.loads(raw)
            at = datetime.fromisoformat(when)
            if at.tzinfo is None:
                raise ValueError("no offset")
            return cls(updated_at=at, id=uuid.UUID(ident))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise invalid(
                "query.cursor", "not a cursor of this listing: follow the next link"
            ) from None


@dataclass
class Listing:
    """The filters and paging every listing shares (see the module docstring)."""

    request: Request
    region_code: Annotated[
        Text | None, Query(max_length=8, description="Regency code, e.g. 32.16")
    ] = None
    external_id: Annotated[
        Text | None, Query(max_length=64, description="The sender's own id of the record")
    ] = None
    updated_since: Annotated[
        Text | None,
        Query(
            max_length=40,
            description="RFC 3339 time: only records changed (or withdrawn) at or after it",
        ),
    ] = None
    include_withdrawn: Annotated[
        bool, Query(description="List withdrawn records too (they carry withdrawn_at)")
    ] = False
    cursor: Annotated[
        Text | None, Query(max_length=200, description="From the previous page's next link")
    ] = None
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50
    count: Annotated[
        bool, Query(description="Also count every matching record (total); costs a scan")
    ] = False

    @property
    def after(self) -> Position | None:
        """The position the requested page starts after."""
        return None if self.cursor is None else Position.parse(self.cursor)

    @property
    def since(self) -> datetime | None:
        """``updated_since`` as a time."""
        return rfc3339(self.updated_since)

    @property
    def region(self) -> str | None:
        """``region_code`` in its canonical form."""
        return region_filter(self.region_code)

    def link_after(self, position: Position) -> str:
        """The link of the page after ``position``: this request's path and query, new cursor."""
        params = [(k, v) for k, v in self.request.query_params.multi_items() if k != "cursor"]
        params.append(("cursor", position.token()))
        return f"{self.request.url.path}?{urlencode(params)}"


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


async def refuse_unknown_query(request: Request) -> None:
    """App-wide dependency: a 422 naming every query parameter the endpoint does not declare."""
    # Async, like every dependency that does not block: FastAPI runs a plain function in a
    # worker thread, a hop per request.
    route: Any = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _query_names(route))
    if unknown:
        raise validation_problem(
            [field_error(f"query.{name}", "unknown query parameter") for name in unknown]
        )
