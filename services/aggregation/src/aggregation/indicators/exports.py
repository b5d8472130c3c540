"""Downloads of indicator values: CSV, Excel (XLSX) and SDMX-CSV 2.0 (pure functions).

Each renderer takes the ``IndicatorValues`` that ``GET /api/v1/indicators/values`` answers as
JSON and the breakdown asked (``by=``, the dimension names in the order asked, empty for
totals; every value then has exactly those keys in ``dimensions``), and returns the file's bytes.
``FORMATS`` names the formats with their media types and file extensions.

CSV (``text/csv; charset=utf-8``)
---------------------------------
A plain table (RFC 4180: comma-separated, ``"``-quoted where needed, CRLF line ends), UTF-8
*without* a byte-order mark (a BOM helps Excel guess the encoding but ends up in the first
column name of most other readers; Excel users should take the XLSX download, or import the CSV
as UTF-8). One header row, one row per value, nothing else: no comment or title lines.
Columns::

    indicator, indicator_name_id, indicator_name_en, region_code, region_name, period,
    <one column per breakdown dimension, named as in by=, in the order asked>,
    value, status, unit, as_of

- ``indicator``: the catalogue code (``GET /api/v1/indicators``); ``indicator_name_id`` and
  ``indicator_name_en`` its Indonesian and English names; ``unit`` its unit (``persons``,
  ``IDR``, ``ratio``, ...).
- ``region_code``: ``32.16`` (regency), ``32`` (province) or ``ID`` (the nation).
- ``period``: ``2026-03`` (month), ``2026-Q1`` (quarter) or ``2026`` (year).
- ``value``: a number (integers without a decimal point, ratios as decimals with ``.``); an
  empty cell when there is no value: a ratio whose denominator is 0, or a value that is
  ``not_reported`` or ``suppressed``. A suppressed value is never written, whatever it holds.
- ``status``: ``reported``, ``not_reported`` (the region sent nothing of the indicator's
  domain for the period and did not close it) or ``suppressed`` (a small count hidden to
  protect the people counted).
- ``as_of``: when the newest event the values reflect happened (ISO 8601), the same on every
  row (empty when unknown), so that a saved file still says how current it is.

Spreadsheet programs guess the type of CSV cells: Excel reads the region code ``32.10`` as the
number 32.1. The XLSX download has no such problem.

XLSX (``application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``)
-------------------------------------------------------------------------------
Sheet ``values``: the CSV's table, numbers stored as numbers, codes and periods as text, an
empty cell for no value. Sheet ``about``: ``as_of``, the definitions (Indonesian and English),
units and domains of the indicators in the file, the labels of the breakdown dimensions and
what each status means.

SDMX-CSV 2.0 (``application/vnd.sdmx.data+csv; version=2.0.0``)
----------------------------------------------------------------
The SDMX-CSV 2.0.0 data message (the SDMX 3.0 CSV format, as ``pysdmx`` writes and reads it),
one row per observation, reported against the dataflow ``KEMNAKER:SINERGI_INDICATORS(1.0)``
(``STRUCTURE`` = ``dataflow``; ``ACTION`` = ``I``, information, as for any query answer).
Columns, in the data structure's order (dimensions, measure, attributes)::

    STRUCTURE, STRUCTURE_ID, ACTION, FREQ, INDICATOR, REF_AREA, <breakdowns>, TIME_PERIOD,
    OBS_VALUE, OBS_STATUS, CONF_STATUS, UNIT_MEASURE

Dimensions:

- ``FREQ``: the period's frequency, SDMX ``CL_FREQ``: ``M`` monthly, ``Q`` quarterly, ``A``
  annual. A request may mix months, quarters and years; ``FREQ`` keeps each series to one.
- ``INDICATOR``: the catalogue code, as in the API (``job_seekers_registered``).
- ``REF_AREA``: the area code without its dot, as BPS writes it: ``3216`` (regency ``32.16``),
  ``32`` (province), ``ID`` (Indonesia, ISO 3166-1). A dot separates the parts of an SDMX key,
  so it cannot be part of a code; the API accepts ``3216`` as well as ``32.16``.
- One dimension per breakdown asked, its name upper-cased (``SEX``, ``AGE_BAND``,
  ``EDUCATION_LEVEL``, ``DISABILITY``, ``KBLI_SECTION``, ``MECHANISM``, ``OUTCOME``,
  ``PROGRAM``), always in that order whatever the order of ``by=``. A breakdown that was not
  asked has no column: each observation is the total over it. Values are the API's, except
  that a character an SDMX code may not contain (anything but letters, digits, ``_``, ``@``,
  ``$`` and ``-``) is written ``_``, and ``+`` as ``_PLUS``: the age band ``60+`` is ``60_PLUS``.
- ``TIME_PERIOD``: SDMX reporting periods ``2026-03``, ``2026-Q1``, ``2026``.

Measure ``OBS_VALUE``: the value (a decimal number); ``NaN`` when there is none (SDMX's
"intentionally missing" number, which ``pysdmx`` writes for a missing value too).

Attributes, per observation:

- ``OBS_STATUS`` (SDMX cross-domain code list ``CL_OBS_STATUS``)::

      reported, with a value          A  Normal value
      reported, no value (a ratio
        whose denominator is 0)       M  Missing value; data cannot exist
      not_reported                    O  Missing value (the platform cannot tell whether
                                         the region had nothing or sent nothing)
      suppressed                      Q  Missing value; suppressed

- ``CONF_STATUS`` (``CL_CONF_STATUS``): ``C`` (confidential statistical information, primary
  confidentiality: identifiable respondents) for a suppressed value, ``F`` (free) otherwise.
- ``UNIT_MEASURE``: the catalogue's unit of the indicator (``persons``, ``IDR``, ``ratio``...).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from aggregation.cube.cells import DIMENSIONS
from aggregation.indicators.catalogue import Indicator, by_code
from aggregation.indicators.models import IndicatorValue, IndicatorValues, Status

Cell = str | int | float | None

# -- the plain table (CSV and the XLSX "values" sheet) --------------------------------------

LEADING_COLUMNS: Final = (
    "indicator",
    "indicator_name_id",
    "indicator_name_en",
    "region_code",
    "region_name",
    "period",
)
TRAILING_COLUMNS: Final = ("value", "status", "unit", "as_of")

STATUS_MEANINGS: Final[Mapping[Status, str]] = {
    "reported": "The value as computed from the records received (empty for a ratio whose "
    "denominator is 0).",
    "not_reported": "No value: the region sent nothing of the indicator's domain for the "
    "period and did not close it.",
    "suppressed": "No value: a small count hidden to protect the people counted.",
}


_WIDTHS: Final[Mapping[str, int]] = {
    "indicator": 30,
    "indicator_name_id": 36,
    "indicator_name_en": 36,
    "region_code": 12,
    "region_name": 28,
    "period": 10,
    "value": 14,
    "status": 14,
    "unit": 14,
    "as_of": 28,
}


def table_columns(dimensions: Sequence[str]) -> list[str]:
    """The CSV header (and the XLSX ``values`` sheet's): one column per asked dimension."""
    _check_dimension_names(dimensions)
    return [*LEADING_COLUMNS, *dimensions, *TRAILING_COLUMNS]


def to_csv(values: IndicatorValues, *, dimensions: Sequence[str]) -> bytes:
    """The values as a UTF-8 CSV table (no BOM, CRLF line ends), header first.

    ``dimensions`` are the breakdown's dimension names (``by=``) in the order asked; every
    value must have exactly those keys. An empty cell stands for no value.
    """
    header = table_columns(dimensions)
    _check_breakdowns(values, dimensions)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in _table_rows(values, dimensions):
        writer.writerow(["" if cell is None else _text(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(values: IndicatorValues, *, dimensions: Sequence[str]) -> bytes:
    """The values as an Excel workbook: sheet ``values`` (the CSV's table, numbers as numbers)
    and sheet ``about`` (``as_of``, the indicators' definitions and units, the dimensions'
    labels and the statuses' meanings)."""
    columns = table_columns(dimensions)
    _check_breakdowns(values, dimensions)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("values")
    for position, column in enumerate(columns, start=1):
        width = _WIDTHS.get(column, 14)
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(values.values) + 1}"
    sheet.append(_bold_row(sheet, columns))
    for row in _table_rows(values, dimensions):
        sheet.append(row)
    _write_about(workbook, values, dimensions)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _table_rows(values: IndicatorValues, dimensions: Sequence[str]) -> Iterator[list[Cell]]:
    catalogue = by_code()
    as_of = values.as_of.isoformat() if values.as_of is not None else None
    for value in values.values:
        indicator = catalogue.get(value.indicator)
        yield [
            value.indicator,
            indicator.name_id if indicator else None,
            indicator.name_en if indicator else None,
            value.region_code,
            value.region_name,
            value.period,
            *(value.dimensions[name] for name in dimensions),
            published_value(value),
            value.status,
            indicator.unit if indicator else None,
            as_of,
        ]


def _write_about(workbook: Workbook, values: IndicatorValues, dimensions: Sequence[str]) -> None:
    about = workbook.create_sheet("about")
    for letter, width in zip("ABCDEFG", (28, 32, 32, 14, 16, 60, 60), strict=True):
        about.column_dimensions[letter].width = width
    about.append(_bold_row(about, ["Sinergi: indicator values"]))
    about.append(["as_of", values.as_of.isoformat() if values.as_of is not None else None])
    about.append(["rows", len(values.values)])
    about.append([])
    about.append(_bold_row(about, ["Indicators"]))
    about.append(
        _bold_row(
            about,
            ["code", "name_id", "name_en", "unit", "domain", "definition_id", "definition_en"],
        )
    )
    catalogue = by_code()
    for code in dict.fromkeys(value.indicator for value in values.values):
        indicator: Indicator | None = catalogue.get(code)
        if indicator is None:
            about.append([code])
            continue
        about.append(
            [
                indicator.code,
                indicator.name_id,
                indicator.name_en,
                indicator.unit,
                indicator.domain,
                indicator.definition_id,
                indicator.definition_en,
            ]
        )
    about.append([])
    about.append(_bold_row(about, ["Dimensions"]))
    about.append(_bold_row(about, ["name", "label_id", "label_en"]))
    labels = {dimension.name: dimension for dimension in DIMENSIONS}
    for name in dimensions:
        known = labels.get(name)
        about.append([name, known.label_id, known.label_en] if known else [name])
    about.append([])
    about.append(_bold_row(about, ["Status"]))
    about.append(_bold_row(about, ["status", "meaning"]))
    for status, meaning in STATUS_MEANINGS.items():
        about.append([status, meaning])


def _bold_row(sheet: object, texts: Sequence[str]) -> list[object]:
    cells: list[object] = []
    for text in texts:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


# -- SDMX-CSV 2.0 --------------------------------------------------------------------------

AGENCY: Final = "KEMNAKER"
DATAFLOW_ID: Final = "SINERGI_INDICATORS"
DATAFLOW_VERSION: Final = "1.0"
STRUCTURE_ID: Final = f"{AGENCY}:{DATAFLOW_ID}({DATAFLOW_VERSION})"
"""The dataflow's reference in the ``STRUCTURE_ID`` column."""

ACTION_INFORMATION: Final = "I"
MISSING_NUMBER: Final = "NaN"

OBS_STATUS: Final[Mapping[Status, str]] = {
    "reported": "A",  # Normal value
    "not_reported": "O",  # Missing value
    "suppressed": "Q",  # Missing value; suppressed
}
"""``CL_OBS_STATUS`` code of each status (a reported value of None is ``OBS_STATUS_NO_VALUE``)."""
OBS_STATUS_NO_VALUE: Final = "M"
"""Missing value; data cannot exist: a reported ratio whose denominator is 0."""
CONF_STATUS_CONFIDENTIAL: Final = "C"
CONF_STATUS_FREE: Final = "F"

SDMX_LEADING_COLUMNS: Final = (
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "FREQ",
    "INDICATOR",
    "REF_AREA",
)
SDMX_TRAILING_COLUMNS: Final = (
    "TIME_PERIOD",
    "OBS_VALUE",
    "OBS_STATUS",
    "CONF_STATUS",
    "UNIT_MEASURE",
)

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
_YEAR = re.compile(r"^\d{4}$")
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9_@$\-]")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def sdmx_dimensions(dimensions: Sequence[str]) -> list[str]:
    """The asked breakdown dimensions in the data structure's order (``DIMENSIONS``' order,
    then any other name in the order asked)."""
    _check_dimension_names(dimensions)
    order = {dimension.name: position for position, dimension in enumerate(DIMENSIONS)}
    return sorted(dimensions, key=lambda name: order.get(name, len(order)))


def sdmx_columns(dimensions: Sequence[str]) -> list[str]:
    """The SDMX-CSV header for a breakdown by ``dimensions``."""
    breakdown = [name.upper() for name in sdmx_dimensions(dimensions)]
    for column in breakdown:
        if not _ID.match(column) or column in (*SDMX_LEADING_COLUMNS, *SDMX_TRAILING_COLUMNS):
            raise ValueError(f"{column!r} cannot name an SDMX dimension")
    return [*SDMX_LEADING_COLUMNS, *breakdown, *SDMX_TRAILING_COLUMNS]


def to_sdmx_csv(values: IndicatorValues, *, dimensions: Sequence[str]) -> bytes:
    """The values as an SDMX-CSV 2.0.0 data message (UTF-8, CRLF line ends) for the dataflow
    ``KEMNAKER:SINERGI_INDICATORS(1.0)``; see the module documentation for its structure."""
    header = sdmx_columns(dimensions)
    breakdown = sdmx_dimensions(dimensions)
    _check_breakdowns(values, dimensions)
    catalogue = by_code()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for value in values.values:
        indicator = catalogue.get(value.indicator)
        number = published_value(value)
        writer.writerow(
            [
                "dataflow",
                STRUCTURE_ID,
                ACTION_INFORMATION,
                sdmx_frequency(value.period),
                sdmx_code(value.indicator),
                sdmx_area(value.region_code),
                *(sdmx_code(value.dimensions[name]) for name in breakdown),
                value.period.upper(),
                MISSING_NUMBER if number is None else _text(number),
                obs_status(value),
                CONF_STATUS_CONFIDENTIAL if value.status == "suppressed" else CONF_STATUS_FREE,
                sdmx_code(indicator.unit) if indicator else "",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def sdmx_frequency(period: str) -> str:
    """``CL_FREQ`` code of a period: ``M`` (2026-03), ``Q`` (2026-Q1) or ``A`` (2026)."""
    normal = period.upper()
    if _MONTH.match(normal):
        return "M"
    if _QUARTER.match(normal):
        return "Q"
    if _YEAR.match(normal):
        return "A"
    raise ValueError(f"{period!r} is not a month (2026-03), quarter (2026-Q1) or year (2026)")


def sdmx_area(region_code: str) -> str:
    """``REF_AREA`` of an area: its code without the dot (``32.16`` is ``3216``)."""
    return sdmx_code(region_code.replace(".", ""))


def sdmx_code(value: str) -> str:
    """A dimension or attribute value as an SDMX code: ``+`` becomes ``_PLUS`` and any other
    character an SDMX identifier may not hold becomes ``_``."""
    return _NOT_IN_ID.sub("_", value.replace("+", "_PLUS"))


def obs_status(value: IndicatorValue) -> str:
    """``CL_OBS_STATUS`` code of a value (see the module documentation)."""
    if value.status == "reported" and published_value(value) is None:
        return OBS_STATUS_NO_VALUE
    return OBS_STATUS[value.status]


# -- shared --------------------------------------------------------------------------------


def published_value(value: IndicatorValue) -> int | float | None:
    """The number a download shows: none for a suppressed value (whatever it holds), a missing
    value or a number that is not finite."""
    if value.status == "suppressed" or value.value is None:
        return None
    if isinstance(value.value, float) and not math.isfinite(value.value):
        return None
    return value.value


def _text(cell: str | int | float) -> str:
    # repr of a float is the shortest text that reads back as the same float.
    return repr(cell) if isinstance(cell, float) else str(cell)


def _check_dimension_names(dimensions: Sequence[str]) -> None:
    if len(set(dimensions)) != len(dimensions):
        raise ValueError(f"a dimension is named twice in {list(dimensions)!r}")
    taken = set(LEADING_COLUMNS) | set(TRAILING_COLUMNS)
    for name in dimensions:
        if name in taken:
            raise ValueError(f"{name!r} cannot name a dimension: it names another column")


def _check_breakdowns(values: IndicatorValues, dimensions: Sequence[str]) -> None:
    asked = set(dimensions)
    for value in values.values:
        if value.dimensions.keys() != asked:
            where = f"{value.indicator} for {value.region_code} {value.period}"
            raise ValueError(
                f"the value of {where} is broken down by {sorted(value.dimensions)},"
                f" not by {list(dimensions)}"
            )


# -- the formats ---------------------------------------------------------------------------


class Renderer(Protocol):
    """Renders indicator values broken down by ``dimensions`` as a file's bytes."""

    def __call__(self, values: IndicatorValues, *, dimensions: Sequence[str]) -> bytes:
        """The file."""
        ...


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """A download format: its short name, media type, file extension and renderer."""

    name: str
    media_type: str
    extension: str
    render: Renderer


CSV = ExportFormat("csv", "text/csv; charset=utf-8", "csv", to_csv)
XLSX = ExportFormat(
    "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    to_xlsx,
)
SDMX_CSV = ExportFormat(
    "sdmx-csv", "application/vnd.sdmx.data+csv; version=2.0.0", "csv", to_sdmx_csv
)

FORMATS: Final[Mapping[str, ExportFormat]] = {f.name: f for f in (CSV, XLSX, SDMX_CSV)}
"""Every download format by short name."""
MEDIA_TYPES: Final[Mapping[str, str]] = {f.name: f.media_type for f in FORMATS.values()}
"""The media type (``Content-Type``) of each format, by short name."""


def format_for_media_type(media_type: str) -> ExportFormat | None:
    """The format a media type (one entry of an ``Accept`` header) asks for, if any.

    Parameters are ignored but for SDMX-CSV's ``version``, which must be ``2.0.0`` when given
    (``application/vnd.sdmx.data+csv; version=2.0.0``); ``q`` and wildcards are the caller's.
    """
    essence, params = _parse_media_type(media_type)
    for candidate in FORMATS.values():
        candidate_essence, candidate_params = _parse_media_type(candidate.media_type)
        if essence != candidate_essence:
            continue
        version = params.get("version")
        if version is not None and version != candidate_params.get("version", version):
            return None
        return candidate
    return None


def _parse_media_type(media_type: str) -> tuple[str, dict[str, str]]:
    essence, *parts = media_type.split(";")
    params: dict[str, str] = {}
    for part in parts:
        key, _, raw = part.partition("=")
        params[key.strip().lower()] = raw.strip().strip('"')
    return essence.strip().lower(), params
