"""``GET /api/v1/regions``: the areas indicators are reported for, with names and codes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, StringConstraints
from shared.auth import Principal, RequireScope
from shared.errors import PROBLEM_RESPONSES, field_error, validation_problem
from shared.regions import NATIONAL, PILOT_REGIONS, RegionRegistry, registry

Reader = Annotated[Principal, Depends(RequireScope("indicators:read"))]

router = APIRouter(prefix="/api/v1/regions", tags=["regions"], responses=PROBLEM_RESPONSES)

_BPS_CODES = {region.code: region.bps_code for region in PILOT_REGIONS}


class RegionPublic(BaseModel):
    """An area: the nation, a province or a regency (kabupaten/kota)."""

    code: str = Field(description="Kemendagri code: ID, 32 or 32.16", examples=["32.16"])
    name: str = Field(examples=["Kabupaten Bekasi"])
    level: Literal["nation", "province", "regency"]
    parent: str | None = Field(description="The area it belongs to (None for the nation)")
    bps_code: str | None = Field(
        description=(
            "The BPS statistical code where it differs from or is known beside the Kemendagri "
            "one (provinces: the same two digits; regencies: known for the pilot regions)"
        ),
        examples=["3216"],
    )


def list_regions(regions: RegionRegistry, *, parent: str | None) -> list[RegionPublic]:
    """The nation, every province and every regency; with ``parent``, the areas directly in
    it (``ID``: the provinces; ``32``: its regencies)."""
    nation = RegionPublic(
        code=NATIONAL, name=regions.name_of(NATIONAL), level="nation", parent=None, bps_code=None
    )
    provinces = [
        RegionPublic(code=code, name=name, level="province", parent=NATIONAL, bps_code=code)
        for code, name in sorted(regions.provinces.items())
    ]
    regencies = [
        RegionPublic(
            code=code,
            name=regency.name,
            level="regency",
            parent=regency.province_code,
            bps_code=_BPS_CODES.get(code),
        )
        for code, regency in sorted(regions.regencies.items())
    ]
    if parent is None:
        return [nation, *provinces, *regencies]
    return [area for area in (*provinces, *regencies) if area.parent == parent]


ParentParam = Annotated[
    Annotated[str, StringConstraints(max_length=8, pattern=r"^[0-9A-Za-z.]*$")] | None,
    Query(description="Only the areas directly in this one: ID (provinces) or 32 (its regencies)"),
]


@router.get("", response_model=list[RegionPublic], summary="Regions and their codes")
async def regions(_: Reader, parent: ParentParam = None) -> list[RegionPublic]:
    """Every area indicators are reported for: codes, names, levels and BPS codes."""
    known = registry()
    canonical = None if parent is None else known.normalise_area(parent)
    if parent is not None and (canonical is None or canonical in known.regencies):
        raise validation_problem(
            [field_error("parent", "not the nation (ID) or a known province code (32)")]
        )
    return list_regions(known, parent=canonical)
