"""HTTP routes of the indicators API (public paths; the gateway forwards them unchanged)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import StringConstraints
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.errors import PROBLEM_RESPONSES
from shared.regions import registry

from aggregation.indicators import service
from aggregation.indicators.exports import FORMATS, ExportFormat, format_for_media_type
from aggregation.indicators.models import IndicatorPublic, IndicatorValues, answer_json
from aggregation.indicators.query import parse_values_query
from aggregation.indicators.reporting import ReportingRules

# Any holder of the scope may read any region's aggregates; small counts of areas outside the
# reader's own regions are suppressed unless it holds indicators:read-exact (``protection``).
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


FormatParam = Annotated[
    Literal["json", "csv", "xlsx", "sdmx-csv"] | None,
    Query(
        alias="format",
        description=(
            "The answer's format: json, csv, xlsx or sdmx-csv (SDMX-CSV 2.0). Without it, the "
            "Accept header decides (text/csv, the XLSX media type, "
            "application/vnd.sdmx.data+csv); JSON otherwise."
        ),
    ),
]
_DOWNLOADS = {
    fmt.media_type.split(";", 1)[0]: {"schema": {"type": "string", "format": "binary"}}
    for fmt in FORMATS.values()
}


@router.get(
    "/values",
    response_model=IndicatorValues,
    summary="Indicator values",
    responses={200: {"content": _DOWNLOADS}},
)
async def indicator_values(
    request: Request,
    session: SessionDep,
    principal: Reader,
    indicator: IndicatorParam = None,
    region: RegionParam = None,
    period: PeriodParam = None,
    by: ByParam = None,
    file_format: FormatParam = None,
) -> IndicatorValues | Response:
    """One value per requested indicator, region, period and breakdown; 0 where nothing was
    recorded. Values come from the indicator cube, current to ``as_of``. Also as a CSV, XLSX
    or SDMX-CSV download (``format=`` or ``Accept``)."""
    regions = registry()
    query = parse_values_query(
        indicator=indicator, region=region, period=period, regions=regions, by=by
    )
    answer = await service.compute_values(
        session,
        query=query,
        regions=regions,
        principal=principal,
        rules=ReportingRules.from_settings(request.app.state.settings),
    )
    download = (
        FORMATS.get(file_format) if file_format else _negotiated(request.headers.get("accept"))
    )
    if download is None:
        return Response(answer_json(answer), media_type="application/json")
    return Response(
        download.render(answer, dimensions=query.by),
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="indicators.{download.extension}"'},
    )


def _negotiated(accept: str | None) -> ExportFormat | None:
    """The download format the Accept header prefers over JSON, if any (by ``q``, then order)."""
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate((accept or "").split(",")):
        quality = 1.0
        for parameter in entry.split(";")[1:]:
            name, _, raw = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(raw)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, entry))
    for negative_quality, _, entry in sorted(ranked):
        if negative_quality >= 0:
            break
        essence = entry.split(";", 1)[0].strip().lower()
        if essence in ("application/json", "application/*", "*/*"):
            return None
        found = format_for_media_type(entry)
        if found is not None:
            return found
    return None
