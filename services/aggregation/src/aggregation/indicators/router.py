"""HTTP routes of the indicators API (public paths; the gateway forwards them unchanged)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import StringConstraints
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.errors import PROBLEM_RESPONSES
from shared.regions import registry

from aggregation.indicators import service
from aggregation.indicators.models import IndicatorPublic, IndicatorValues
from aggregation.indicators.query import parse_values_query

# Aggregates are not personal data: any holder of the scope may read any region's values.
Reader = Annotated[Principal, Depends(RequireScope("indicators:read"))]

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"], responses=PROBLEM_RESPONSES)

# The parameters are optional here and validated by ``parse_values_query`` so that every
# mistake (missing or malformed) gives the same 422 problem naming ``indicator``, ``region``
# or ``period``.
# Bounds of the raw parameters (the cell cap bounds what they may ask for). The HTTP server
# refuses a request target over 64 KiB before the application sees it, so the bounds are chosen
# for the longest request they allow to stay below that: codes are ASCII letters, digits and
# ``_ . , -`` (at most three bytes each once percent-encoded), a region value holds every
# regency comma-separated (553 x "32.16," < 3,400 characters), and the three parameters
# together stay under 54 KB.
CODE_PATTERN = r"^[0-9A-Za-z_.,*\-]*$"
Code = Annotated[str, StringConstraints(max_length=256, pattern=CODE_PATTERN)]
RegionCodes = Annotated[str, StringConstraints(max_length=3_400, pattern=CODE_PATTERN)]

IndicatorParam = Annotated[
    list[Code] | None,
    Query(
        max_length=8,
        description="Indicator code(s): repeated or comma-separated (see GET /api/v1/indicators)",
        examples=["job_seekers_registered"],
    ),
]
RegionParam = Annotated[
    list[RegionCodes] | None,
    Query(
        max_length=4,
        description=(
            "Regency (32.16 or 3216), province (32, sum of its regencies), every regency of a "
            "province (32.*), every province (*) or ID (nation); repeated or comma-separated. "
            "Omitted: ID."
        ),
        examples=["32.16"],
    ),
]
PeriodParam = Annotated[
    list[Code] | None,
    Query(
        max_length=8,
        description=(
            "Month(s) YYYY-MM, quarter(s) YYYY-Qn or year(s) YYYY: repeated, comma-separated "
            "or a range of one kind (2026-01..2026-06, 2025-Q3..2026-Q2, 2020..2026). A flow "
            "sums its months, a stock takes the period's last month, a ratio is formed from "
            "its summed parts."
        ),
        examples=["2026-03"],
    ),
]
ByParam = Annotated[
    list[Code] | None,
    Query(
        max_length=2,
        description=(
            "Break the values down by one or two dimensions, comma-separated (sex, age_band, "
            "education_level, disability, kbli_section, mechanism, outcome, program; "
            "GET /api/v1/indicators lists each indicator's). One value per combination."
        ),
        examples=["sex,age_band"],
    ),
]


@router.get("", response_model=list[IndicatorPublic], summary="The indicator catalogue")
async def list_indicators(_: Reader) -> list[IndicatorPublic]:
    """Every indicator with its Indonesian and English name and definition, unit and domain."""
    return service.list_indicators()


@router.get("/values", response_model=IndicatorValues, summary="Indicator values")
async def indicator_values(
    session: SessionDep,
    _: Reader,
    indicator: IndicatorParam = None,
    region: RegionParam = None,
    period: PeriodParam = None,
    by: ByParam = None,
) -> IndicatorValues:
    """One value per requested indicator, region, period and breakdown; 0 where nothing was
    recorded. Values come from the indicator cube, current to ``as_of``."""
    regions = registry()
    query = parse_values_query(
        indicator=indicator, region=region, period=period, regions=regions, by=by
    )
    return await service.compute_values(session, query=query, regions=regions)
