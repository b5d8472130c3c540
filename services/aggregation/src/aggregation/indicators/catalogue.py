"""The indicator catalogue, as data: what each indicator means and how it is computed.

DHIS2-style: every indicator has a stable ``code``, Indonesian and English names and
definitions, a unit, the domain it belongs to, and a formula over base measures (see
``measures``). Adding an indicator is adding an entry here (and, for a new kind of data, a
measure and the projection it reads); the API, the validation of ``indicator=`` and the
catalogue endpoint follow from this list.

Values are per reporting area (regency, province = sum of its regencies, nation) and calendar
month. A ratio is computed from the area's summed numerator and denominator; its value is
``null`` when the denominator is 0, because a rate of nothing is undefined, not zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from aggregation.indicators.areas import Number
from aggregation.indicators.measures import (
    JOB_SEEKERS_REGISTERED,
    PLACEMENTS_MADE,
    POSITIONS_OFFERED,
    VACANCIES_POSTED,
    Measure,
)

JOB_MARKET = "job_market"


class Formula(Protocol):
    """How an indicator's value follows from its measures' totals for one area and month."""

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The measures the formula reads."""
        ...

    def value(self, total: Callable[[Measure], Number]) -> Number | None:
        """The indicator's value given each measure's total."""
        ...


@dataclass(frozen=True, eq=False)
class Total:
    """The measure's total for the area and month."""

    measure: Measure

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The one measure."""
        return (self.measure,)

    def value(self, total: Callable[[Measure], Number]) -> Number:
        """The total itself."""
        return total(self.measure)


@dataclass(frozen=True, eq=False)
class Ratio:
    """Numerator total over denominator total; None when the denominator is 0."""

    numerator: Measure
    denominator: Measure

    @property
    def measures(self) -> tuple[Measure, ...]:
        """Numerator and denominator."""
        return (self.numerator, self.denominator)

    def value(self, total: Callable[[Measure], Number]) -> float | None:
        """The ratio, or None for an empty denominator."""
        denominator = total(self.denominator)
        if denominator == 0:
            return None
        return total(self.numerator) / denominator


@dataclass(frozen=True, eq=False)
class Indicator:
    """One catalogue entry."""

    code: str
    name_id: str
    name_en: str
    definition_id: str
    definition_en: str
    unit: str
    domain: str
    formula: Formula


CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        code="job_seekers_registered",
        name_id="Pencari kerja terdaftar",
        name_en="Job seekers registered",
        definition_id=(
            "Jumlah pencari kerja (pemegang kartu AK/I) yang tanggal pendaftarannya jatuh pada "
            "bulan tersebut, menurut kabupaten/kota tempat mendaftar. Koreksi data (wilayah, "
            "tanggal atau status) memindahkan hitungan, tidak menambahnya."
        ),
        definition_en=(
            "Number of job seekers (AK/I card holders) whose registration date falls in the "
            "month, by the regency where they registered. A corrected record (region, date or "
            "status) moves the count; it is never counted twice."
        ),
        unit="persons",
        domain=JOB_MARKET,
        formula=Total(JOB_SEEKERS_REGISTERED),
    ),
    Indicator(
        code="vacancies_posted",
        name_id="Lowongan kerja yang diumumkan",
        name_en="Vacancies posted",
        definition_id=(
            "Jumlah lowongan kerja yang tanggal pengumumannya jatuh pada bulan tersebut, "
            "menurut kabupaten/kota lowongan, apa pun statusnya kini (dibuka atau ditutup)."
        ),
        definition_en=(
            "Number of vacancies whose posting date falls in the month, by the vacancy's "
            "regency, whatever their current status (open or closed)."
        ),
        unit="vacancies",
        domain=JOB_MARKET,
        formula=Total(VACANCIES_POSTED),
    ),
    Indicator(
        code="positions_offered",
        name_id="Formasi kerja yang ditawarkan",
        name_en="Positions offered",
        definition_id=(
            "Jumlah formasi (orang yang dibutuhkan) dari lowongan yang diumumkan pada bulan "
            "tersebut, menurut kabupaten/kota lowongan."
        ),
        definition_en=(
            "Sum of the positions (people wanted) of the vacancies posted in the month, by the "
            "vacancy's regency."
        ),
        unit="positions",
        domain=JOB_MARKET,
        formula=Total(POSITIONS_OFFERED),
    ),
    Indicator(
        code="placements",
        name_id="Penempatan tenaga kerja",
        name_en="Placements",
        definition_id=(
            "Jumlah penempatan pencari kerja dengan tanggal penempatan pada bulan tersebut, "
            "menurut kabupaten/kota yang mencatatnya, semua mekanisme (AKL, AKAD, AKAN)."
        ),
        definition_en=(
            "Number of job seekers' placements whose placement date falls in the month, by the "
            "regency that recorded them, all mechanisms (AKL local, AKAD between regions, AKAN "
            "abroad)."
        ),
        unit="placements",
        domain=JOB_MARKET,
        formula=Total(PLACEMENTS_MADE),
    ),
    Indicator(
        code="placement_rate",
        name_id="Rasio penempatan",
        name_en="Placement rate",
        definition_id=(
            "Penempatan dibagi pencari kerja terdaftar, pada wilayah dan bulan yang sama "
            "(rasio, bukan persen). Untuk provinsi dan nasional dihitung dari jumlah pembilang "
            "dan penyebut. Bisa melebihi 1 karena orang yang ditempatkan dapat terdaftar pada "
            "bulan sebelumnya. Bernilai null bila tidak ada pencari kerja terdaftar (penyebut 0)."
        ),
        definition_en=(
            "Placements divided by job seekers registered, same region and month (a ratio, "
            "not a percentage). For a province or the nation it is computed from the summed "
            "numerator and denominator. It can exceed 1 because people placed may have "
            "registered in earlier months. The value is null when no job seeker registered "
            "(denominator 0)."
        ),
        unit="ratio",
        domain=JOB_MARKET,
        formula=Ratio(numerator=PLACEMENTS_MADE, denominator=JOB_SEEKERS_REGISTERED),
    ),
)


@cache
def by_code() -> Mapping[str, Indicator]:
    """The catalogue keyed by indicator code."""
    return {indicator.code: indicator for indicator in CATALOGUE}
