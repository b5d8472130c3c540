"""Query parameters every listing of pushed records shares: region filter and pagination."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Query

from shared.errors import invalid
from shared.regions import registry


@dataclass
class Listing:
    """``region_code`` filter (within the caller's regions), ``limit`` and ``offset``."""

    region_code: str | None = Query(default=None, description="Regency code, e.g. 32.16")
    limit: int = Query(default=50, ge=1, le=500)
    offset: int = Query(default=0, ge=0)


def region_filter(code: str | None) -> str | None:
    """Normalise an optional regency filter; an unknown code is a 422 naming it."""
    if code is None:
        return None
    canonical = registry().normalise_regency(code)
    if canonical is None:
        raise invalid("region_code", f"unknown regency code {code!r}")
    return canonical
