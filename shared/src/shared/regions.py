"""Region reference data: Kemendagri codes of provinces, regencies and districts.

The data files under ``shared/data/`` come from the Kemendagri listing (see its README for the
attribution); adding a regency is a data change, not a code change. Codes are canonical in the
dotted Kemendagri form (``32.16``); the undotted form (``3216``) is accepted and normalised.
BPS statistical codes differ from Kemendagri's for some regencies, so they are kept beside the
Kemendagri code and never used as a join key.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

NATIONAL = "ID"


@dataclass(frozen=True, slots=True)
class Regency:
    """A kabupaten or kota."""

    code: str
    name: str
    province_code: str


@dataclass(frozen=True, slots=True)
class PilotRegion:
    """A region of the first data-integration agreement (MoU, 20 March 2025)."""

    code: str
    bps_code: str
    name: str


PILOT_REGIONS: tuple[PilotRegion, ...] = (
    PilotRegion("32.16", "3216", "Kabupaten Bekasi"),
    PilotRegion("32.73", "3273", "Kota Bandung"),
    PilotRegion("32.13", "3213", "Kabupaten Subang"),
    PilotRegion("33.25", "3325", "Kabupaten Batang"),
    PilotRegion("12.75", "1276", "Kota Binjai"),
    PilotRegion("12.09", "1208", "Kabupaten Asahan"),
    PilotRegion("13.03", "1304", "Kabupaten Sijunjung"),
    PilotRegion("82.04", "8204", "Kabupaten Halmahera Selatan"),
)

_REGENCY = re.compile(r"^(\d{2})\.?(\d{2})$")
_DISTRICT = re.compile(r"^(\d{2})\.?(\d{2})\.?(\d{2})$")
_PROVINCE = re.compile(r"^\d{2}$")


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("shared.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class RegionRegistry:
    """All provinces, regencies and districts known to the platform."""

    provinces: dict[str, str]
    regencies: dict[str, Regency]
    districts: dict[str, str]

    def normalise_regency(self, code: str) -> str | None:
        """Return the canonical code of a known regency, or None."""
        match = _REGENCY.match(code.strip())
        if not match:
            return None
        canonical = f"{match.group(1)}.{match.group(2)}"
        return canonical if canonical in self.regencies else None

    def normalise_area(self, code: str) -> str | None:
        """Canonical code of a regency, a province or the nation (``ID``), or None."""
        code = code.strip()
        if code.upper() == NATIONAL:
            return NATIONAL
        if _PROVINCE.match(code):
            return code if code in self.provinces else None
        return self.normalise_regency(code)

    def district_of_nik(self, nik: str) -> str | None:
        """The known district encoded in a NIK's first six digits, or None."""
        match = _DISTRICT.match(nik[:6])
        if not match:
            return None
        code = ".".join(match.groups())
        return code if code in self.districts else None

    def name_of(self, area: str) -> str:
        """The name of a regency, a province or the nation (``Indonesia``)."""
        if area == NATIONAL:
            return "Indonesia"
        if area in self.provinces:
            return self.provinces[area]
        return self.regencies[area].name

    def regencies_in(self, area: str) -> list[str]:
        """Regency codes that make up a regency, a province or the nation."""
        if area == NATIONAL:
            return list(self._by_province[NATIONAL])
        if _PROVINCE.match(area):
            return list(self._by_province.get(area, ()))
        return [area] if area in self.regencies else []

    @cached_property
    def _by_province(self) -> dict[str, tuple[str, ...]]:
        """Each province's regency codes in order, and every code under ``NATIONAL`` (asked
        for every province of an answer, so worked out once)."""
        found: dict[str, list[str]] = {NATIONAL: sorted(self.regencies)}
        for code in found[NATIONAL]:
            found.setdefault(self.regencies[code].province_code, []).append(code)
        return {area: tuple(codes) for area, codes in found.items()}


@cache
def registry() -> RegionRegistry:
    """Load the reference data once per process."""
    return RegionRegistry(
        provinces={r["code"]: r["name"] for r in _rows("provinces.csv")},
        regencies={
            r["code"]: Regency(r["code"], r["name"], r["province_code"])
            for r in _rows("regencies.csv")
        },
        districts={r["code"]: r["regency_code"] for r in _rows("districts.csv")},
    )
