"""What each projection row adds to the indicator cube: pure functions, no database.

The cube holds, per measure, regency (or province and nation, for distinct-person stocks),
month and disaggregation, the measure's value. Each source row (a job seeker, an inspection
with its findings, ...) contributes a fixed set of cells that follows from the row alone
(cross-domain links are columns of the row, kept current by the aggregation: see
``aggregation.cube.links``). So when a row changes, the cube changes by ``cells(new row) -
cells(old row)``, whatever order the events came in: the projection already keeps the newest
revision of each row.

Every measure's cells are kept for every area level: the row's regency, its province and the
nation, so that a value of any area is read from its own cells, however many regencies it
holds (the reads of the nation and of every province cost what the answer holds, not what the
country holds). A *flow* (records dated in the month) counts each row in all three. A *stock of
distinct persons* (active members at month end) is not additive: one person with memberships
in two regencies counts once in their province and once in the nation. Its cells are kept as
*changes*: ``+1`` in the first month a person is counted in an area, ``-1`` in the first month
they no longer are; the stock of a month is the sum of the changes up to and including it.

Every measure declares its dimensions; the cube keeps the total and every breakdown by one or
two of them (a *grouping*, named by its dimensions in declared order, ``sex,age_band``).
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, get_args

from shared.events.industrial_relations import AgreementState, DisputeState, LayoffState
from shared.events.inspection import AccidentOutcome
from shared.events.job_market import PlacementState, ProgramKind
from shared.events.social_security import Program
from shared.identifiers import Sex
from shared.regions import NATIONAL
from shared.services import DOMAIN_SERVICES

Row = Mapping[str, Any]
"""A projection row as a mapping of column names; a parent row carries ``children``."""

CellKey = tuple[str, str, tuple[str, ...], str, date]
"""(measure, grouping, the grouping's dimension values, area, first day of the month)."""

Cells = Counter[CellKey]

MAX_GROUPING = 2
"""The most dimensions one breakdown combines (``by=sex,age_band``)."""


# -- dimensions ----------------------------------------------------------------------------

AGE_BANDS: tuple[str, ...] = (
    "0-14",
    "15-19",
    "20-24",
    "25-29",
    "30-34",
    "35-39",
    "40-44",
    "45-49",
    "50-54",
    "55-59",
    "60+",
)
"""BPS/ILO five-year bands of the working-age population (15 and over), with 0-14 below it."""


def age_band(birth_year: int, on: date) -> str:
    """The age band of a person born in ``birth_year`` on the day ``on``.

    The events carry the birth year only (the birth date is personal data left in its domain),
    so the age is ``on.year - birth_year``: the age reached during that calendar year.
    """
    age = on.year - birth_year
    if age < 15:
        return "0-14"
    if age >= 60:
        return "60+"
    low = age - age % 5
    return f"{low}-{low + 4}"


# KBLI 2020 divisions (the first two digits) by section, as in ISIC Rev. 4.
_KBLI_SECTIONS: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 3),
    ("B", 5, 9),
    ("C", 10, 33),
    ("D", 35, 35),
    ("E", 36, 39),
    ("F", 41, 43),
    ("G", 45, 47),
    ("H", 49, 53),
    ("I", 55, 56),
    ("J", 58, 63),
    ("K", 64, 66),
    ("L", 68, 68),
    ("M", 69, 75),
    ("N", 77, 82),
    ("O", 84, 84),
    ("P", 85, 85),
    ("Q", 86, 88),
    ("R", 90, 93),
    ("S", 94, 96),
    ("T", 97, 98),
    ("U", 99, 99),
)
KBLI_SECTIONS: tuple[str, ...] = tuple(section for section, _, _ in _KBLI_SECTIONS)
UNKNOWN = "unknown"


def kbli_section(code: str | None) -> str:
    """The KBLI section (A to U) of a KBLI code, from its two-digit division; ``unknown``
    when the code names no division."""
    if not code or len(code) < 2 or not code[:2].isdigit():
        return UNKNOWN
    division = int(code[:2])
    for section, first, last in _KBLI_SECTIONS:
        if first <= division <= last:
            return section
    return UNKNOWN


@dataclass(frozen=True, slots=True)
class Dimension:
    """A way to break a measure down (a DHIS2 category): its name and how a row's value of it
    follows from the row and the day the row counts on."""

    name: str
    label_id: str
    label_en: str
    of: Callable[[Row, date], str]
    values: tuple[str, ...] = ()
    """The values the event contracts allow, in display order (empty: open-ended); a
    breakdown answers each of them, 0 where nothing was recorded."""


def _declared(annotation: Any) -> tuple[str, ...]:
    """The values of an optional ``Literal`` (``Literal[...] | None``), in declared order."""
    return tuple(v for arg in get_args(annotation) for v in (get_args(arg) or ()) if v)


def _column(name: str) -> Callable[[Row, date], str]:
    def value(row: Row, _: date) -> str:
        found = row.get(name)
        if isinstance(found, bool):
            return "true" if found else "false"
        return UNKNOWN if found is None else str(found)

    return value


SEX = Dimension("sex", "Jenis kelamin", "Sex", _column("sex"), get_args(Sex))
AGE_BAND = Dimension(
    "age_band",
    "Kelompok umur",
    "Age band",
    lambda row, on: age_band(int(row["birth_year"]), on),
    AGE_BANDS,
)
EDUCATION = Dimension(
    "education_level", "Pendidikan", "Education level", _column("education_level")
)
DISABILITY = Dimension(
    "disability", "Disabilitas", "Disability", _column("disability"), ("false", "true")
)
KBLI_SECTION = Dimension(
    "kbli_section",
    "Kategori KBLI",
    "KBLI section",
    lambda row, _: kbli_section(row.get("kbli_code")),
    KBLI_SECTIONS,
)
MECHANISM = Dimension(
    "mechanism",
    "Mekanisme penempatan",
    "Placement mechanism",
    _column("mechanism"),
    get_args(PlacementState.model_fields["mechanism"].annotation),
)
OUTCOME = Dimension(
    "outcome",
    "Akibat kecelakaan",
    "Accident outcome",
    _column("outcome"),
    get_args(AccidentOutcome),
)
PROGRAM = Dimension(
    "program", "Program jaminan", "Social-security program", _column("program"), get_args(Program)
)

LAYOFF_REASON = Dimension(
    "layoff_reason",
    "Alasan PHK",
    "Layoff reason",
    _column("reason"),
    get_args(LayoffState.model_fields["reason"].annotation),
)
DISPUTE_TYPE = Dimension(
    "dispute_type",
    "Jenis perselisihan",
    "Dispute type",
    _column("type"),
    get_args(DisputeState.model_fields["type"].annotation),
)
SETTLEMENT = Dimension(
    "settlement",
    "Cara penyelesaian",
    "Settlement",
    _column("settlement"),
    _declared(DisputeState.model_fields["settlement"].annotation),
)
PROGRAM_KIND = Dimension(
    "program_kind",
    "Jenis program",
    "Programme kind",
    _column("program_kind"),
    get_args(ProgramKind),
)
AGREEMENT_KIND = Dimension(
    "agreement_kind",
    "Jenis perjanjian",
    "Agreement kind",
    _column("kind"),
    get_args(AgreementState.model_fields["kind"].annotation),
)

DOMAIN = Dimension(
    "domain",
    "Urusan",
    "Domain",
    _column("domain"),
    tuple(service.name for service in DOMAIN_SERVICES),
)
"""The domain a report is of (the reporting-rate indicators only; no record has it)."""

DIMENSIONS: tuple[Dimension, ...] = (
    SEX,
    AGE_BAND,
    EDUCATION,
    DISABILITY,
    KBLI_SECTION,
    MECHANISM,
    OUTCOME,
    PROGRAM,
    PROGRAM_KIND,
    LAYOFF_REASON,
    DISPUTE_TYPE,
    SETTLEMENT,
    AGREEMENT_KIND,
    DOMAIN,
)
"""Every dimension, in the order groupings name them."""

_ORDER = {dimension.name: position for position, dimension in enumerate(DIMENSIONS)}


def grouping_name(names: Iterable[str]) -> str:
    """The canonical name of a breakdown: its dimensions in ``DIMENSIONS`` order."""
    return ",".join(sorted(names, key=_ORDER.__getitem__))


def groupings(dimensions: Sequence[Dimension]) -> list[tuple[Dimension, ...]]:
    """The total (no dimension) and every breakdown by up to ``MAX_GROUPING`` dimensions."""
    ordered = sorted(dimensions, key=lambda d: _ORDER[d.name])
    return [
        combination
        for size in range(min(MAX_GROUPING, len(ordered)) + 1)
        for combination in itertools.combinations(ordered, size)
    ]


@dataclass(frozen=True, slots=True)
class _Breakdowns:
    """A measure's groupings, worked out once: each grouping's name and the positions of its
    dimensions in ``dimensions``, so that a row's value of each dimension is computed once
    however many groupings use it."""

    dimensions: tuple[Dimension, ...]
    named: tuple[tuple[str, tuple[int, ...]], ...]

    @classmethod
    def of(cls, dimensions: Sequence[Dimension]) -> _Breakdowns:
        position = {d.name: i for i, d in enumerate(dimensions)}
        return cls(
            tuple(dimensions),
            tuple(
                (
                    ",".join(d.name for d in combination),
                    tuple(position[d.name] for d in combination),
                )
                for combination in groupings(dimensions)
            ),
        )

    def keys(self, row: Row, on: date) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(grouping name, the row's values of its dimensions) for every grouping."""
        values = [d.of(row, on) for d in self.dimensions]
        for name, positions in self.named:
            yield name, tuple(values[i] for i in positions)


# -- measures ------------------------------------------------------------------------------


def levels_of(regency: str) -> tuple[str, str, str]:
    """The areas a row of ``regency`` counts in: the regency, its province, the nation."""
    return regency, regency.split(".", 1)[0], NATIONAL


def _always(_: Row) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class Flow:
    """Rows of ``source`` whose ``date_column`` falls in the month, counted in the row's
    regency, its province and the nation.

    Each row meeting ``where`` counts 1, or its ``summed`` column; with ``child``, each child
    row (a finding, a victim) meeting it counts 1 instead, dated and placed by its parent.
    ``key`` is the key of the read-time measure it stands for (``indicators.measures``).
    """

    key: str
    source: str
    date_column: str
    dimensions: tuple[Dimension, ...] = ()
    where: Callable[[Row], bool] = _always
    summed: str | None = None
    child: Callable[[Row, Row], bool] | None = None

    def cells(self, row: Row) -> Cells:
        """The cells ``row`` adds to the cube."""
        out: Cells = Counter()
        day = row.get(self.date_column)
        if day is None or not self.where(row):
            return out
        if self.child is None:
            units: list[tuple[int, Row]] = [
                (1 if self.summed is None else int(row[self.summed]), row)
            ]
        else:
            units = [(1, {**row, **child}) for child in row["children"] if self.child(row, child)]
        month = day.replace(day=1)
        areas = levels_of(str(row["region_code"]))
        for value, unit in units:
            for name, values in self._breakdowns.keys(unit, day):
                for area in areas:
                    out[(self.key, name, values, area, month)] += value
        return out

    def marks(self, row: Row) -> tuple[str, date] | None:
        """The (regency, month) ``row`` counts in, if it counts (``cells`` is not empty)."""
        day = row.get(self.date_column)
        if day is None or not self.where(row):
            return None
        if self.child is not None and not any(self.child(row, c) for c in row["children"]):
            return None
        return str(row["region_code"]), day.replace(day=1)

    @functools.cached_property
    def _breakdowns(self) -> _Breakdowns:
        return _Breakdowns.of(self.dimensions)


@dataclass(frozen=True, eq=False)
class DistinctPersons:
    """Distinct ``person_ref`` values among the rows of ``source`` covering the month's last
    day (``start_column <= day < end_column``; ``end_column`` empty: open), counted per area:
    regency, province and nation. Cells are changes (see the module's description)."""

    key: str
    source: str
    start_column: str
    end_column: str
    dimensions: tuple[Dimension, ...] = ()

    def person_cells(self, rows: Iterable[Row]) -> Cells:
        """The cells one person's rows add to the cube."""
        spans: dict[tuple[str, tuple[str, ...], str], list[tuple[date, date | None]]] = {}
        for row in rows:
            span = covered_months(row[self.start_column], row[self.end_column])
            if span is None:
                continue
            # Dimensions of a stock are the person's, fixed over time (not age).
            keys = list(self._breakdowns.keys(row, span[0]))
            for area in levels_of(str(row["region_code"])):
                for name, values in keys:
                    spans.setdefault((name, values, area), []).append(span)
        out: Cells = Counter()
        for (name, values, area), covered in spans.items():
            for first, end in merged(covered):
                out[(self.key, name, values, area, first)] += 1
                if end is not None:
                    out[(self.key, name, values, area, end)] -= 1
        return out

    @functools.cached_property
    def _breakdowns(self) -> _Breakdowns:
        return _Breakdowns.of(self.dimensions)


@dataclass(frozen=True, eq=False)
class MonthEndSum:
    """The sum of ``summed`` over the rows of ``source`` in force on the month's last day
    (``start_column <= day``, and ``day <= end_column`` when the row has an end), by the row's
    regency. Additive like a flow, kept as changes like a stock: ``+value`` in the first month
    a row is in force, ``-value`` in the first month it no longer is, for the regency, its
    province and the nation, so that it is read as a stock is."""

    key: str
    source: str
    start_column: str
    summed: str
    end_column: str | None = None
    dimensions: tuple[Dimension, ...] = ()

    def cells(self, row: Row) -> Cells:
        """The cells ``row`` adds to the cube."""
        out: Cells = Counter()
        start = row.get(self.start_column)
        if start is None:
            return out
        last = row.get(self.end_column) if self.end_column is not None else None
        span = covered_months(start, None if last is None else last + timedelta(days=1))
        if span is None:
            return out
        value = int(row[self.summed])
        keys = list(self._breakdowns.keys(row, span[0]))
        for area in levels_of(str(row["region_code"])):
            for name, values in keys:
                out[(self.key, name, values, area, span[0])] += value
                if span[1] is not None:
                    out[(self.key, name, values, area, span[1])] -= value
        return out

    @functools.cached_property
    def _breakdowns(self) -> _Breakdowns:
        return _Breakdowns.of(self.dimensions)


Stock = DistinctPersons | MonthEndSum
"""Measures read at the period's last month from monthly changes (``cube.read``)."""
CubeMeasure = Flow | Stock
"""Any measure of the cube."""


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def covered_months(start: date, end: date | None) -> tuple[date, date | None] | None:
    """The months whose last day ``start <= day < end`` covers, as ``[first, end)`` (``end``
    None: every month from ``first`` on), or None when it covers no month's last day."""
    first = first_of_month(start)
    if end is None:
        return first, None
    # The last day of month M is covered iff M starts on or after ``first`` and ends before
    # ``end``: M < the month of ``end``.
    stop = first_of_month(end)
    return (first, stop) if first < stop else None


def merged(spans: Iterable[tuple[date, date | None]]) -> Iterator[tuple[date, date | None]]:
    """The union of half-open month spans, as disjoint spans in order."""
    current: tuple[date, date | None] | None = None
    for first, end in sorted(spans, key=lambda s: s[0]):
        if current is None:
            current = (first, end)
            continue
        current_end = current[1]
        if current_end is None or first <= current_end:
            # Overlapping or adjacent: extend (None, open, wins).
            new_end = None if current_end is None or end is None else max(current_end, end)
            current = (current[0], new_end)
        else:
            yield current
            current = (first, end)
    if current is not None:
        yield current


def difference(new: Cells, old: Cells) -> Cells:
    """``new - old`` cell by cell, keeping negative changes and dropping zeros."""
    out: Cells = Counter(new)
    out.subtract(old)
    return Counter({key: value for key, value in out.items() if value})
