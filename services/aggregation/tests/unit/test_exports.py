"""Downloads of indicator values (pure logic): each format read back by the library that reads
it keeps the values, the missing and suppressed ones, the breakdown and the periods."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from aggregation.indicators.catalogue import by_code
from aggregation.indicators.exports import (
    FORMATS,
    MEDIA_TYPES,
    SDMX_CSV,
    STRUCTURE_ID,
    XLSX,
    format_for_media_type,
    sdmx_columns,
    table_columns,
    to_csv,
    to_sdmx_csv,
    to_xlsx,
)
from aggregation.indicators.models import IndicatorValue, IndicatorValues
from openpyxl import load_workbook

AS_OF = datetime(2026, 4, 2, 7, 30, tzinfo=UTC)
BY = ["sex", "age_band"]


def value(**fields: Any) -> IndicatorValue:
    defaults: dict[str, Any] = {
        "indicator": "job_seekers_registered",
        "region_code": "32.16",
        "region_name": "Kabupaten Bekasi",
        "period": "2026-03",
        "dimensions": {"sex": "F", "age_band": "20-24"},
        "value": 12,
        "status": "reported",
    }
    return IndicatorValue(**(defaults | fields))


def broken_down() -> IndicatorValues:
    """Every case: a month, a quarter and a year; an integer, a ratio, a ratio with no value, a
    value not reported and a suppressed one (one that still holds a number, too)."""
    return IndicatorValues(
        as_of=AS_OF,
        values=[
            value(),
            value(region_code="32.10", region_name="Kabupaten Majalengka", period="2026-Q1"),
            value(
                indicator="placement_rate",
                region_code="32",
                region_name="Jawa Barat",
                period="2026",
                dimensions={"sex": "M", "age_band": "60+"},
                value=0.1,
            ),
            value(indicator="placement_rate", period="2026-02", value=None),
            value(region_code="ID", region_name="Indonesia", value=None, status="not_reported"),
            value(
                period="2025-Q4",
                dimensions={"sex": "F", "age_band": "15-19"},
                value=None,
                status="suppressed",
            ),
            value(period="2025-12", value=3, status="suppressed"),
        ],
    )


def totals() -> IndicatorValues:
    return IndicatorValues(
        as_of=None,
        values=[
            value(dimensions={}, value=1_234),
            value(region_code="ID", region_name="Indonésia (uji)", dimensions={}, value=98_765),
        ],
    )


# -- CSV -----------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_is_a_plain_utf8_table_with_one_column_per_asked_dimension() -> None:
    data = to_csv(broken_down(), dimensions=BY)

    assert not data.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert header == table_columns(BY)
    assert header == [
        "indicator", "indicator_name_id", "indicator_name_en", "region_code", "region_name",
        "period", "sex", "age_band", "value", "status", "unit", "as_of",
    ]  # fmt: skip
    rows = read_csv(data)
    assert len(rows) == len(broken_down().values)
    assert rows[0] == {
        "indicator": "job_seekers_registered",
        "indicator_name_id": "Pencari kerja terdaftar",
        "indicator_name_en": "Job seekers registered",
        "region_code": "32.16",
        "region_name": "Kabupaten Bekasi",
        "period": "2026-03",
        "sex": "F",
        "age_band": "20-24",
        "value": "12",
        "status": "reported",
        "unit": "persons",
        "as_of": "2026-04-02T07:30:00+00:00",
    }


def test_csv_keeps_periods_codes_and_numbers_and_leaves_no_value_empty() -> None:
    rows = read_csv(to_csv(broken_down(), dimensions=BY))

    assert [row["period"] for row in rows] == [
        "2026-03", "2026-Q1", "2026", "2026-02", "2026-03", "2025-Q4", "2025-12",
    ]  # fmt: skip
    assert rows[1]["region_code"] == "32.10"
    assert float(rows[2]["value"]) == 0.1
    assert (rows[2]["sex"], rows[2]["age_band"], rows[2]["unit"]) == ("M", "60+", "ratio")
    assert [(row["value"], row["status"]) for row in rows[3:]] == [
        ("", "reported"),
        ("", "not_reported"),
        ("", "suppressed"),
        ("", "suppressed"),  # the number it held is not written
    ]


def test_csv_of_totals_has_no_dimension_column_and_an_empty_as_of_when_unknown() -> None:
    rows = read_csv(to_csv(totals(), dimensions=[]))

    assert list(rows[0]) == table_columns([])
    assert "sex" not in rows[0]
    assert [(row["region_name"], row["value"], row["as_of"]) for row in rows] == [
        ("Kabupaten Bekasi", "1234", ""),
        ("Indonésia (uji)", "98765", ""),
    ]


def test_csv_puts_the_dimension_columns_in_the_order_asked() -> None:
    values = IndicatorValues(values=[value()])
    header = next(csv.reader(io.StringIO(to_csv(values, dimensions=BY[::-1]).decode())))

    assert header[6:8] == ["age_band", "sex"]


def test_an_empty_answer_is_the_header_alone() -> None:
    empty = IndicatorValues(values=[])

    assert to_csv(empty, dimensions=BY).decode().splitlines() == [",".join(table_columns(BY))]
    assert read_csv(to_csv(empty, dimensions=[])) == []
    assert to_sdmx_csv(empty, dimensions=BY).decode().splitlines() == [",".join(sdmx_columns(BY))]
    assert list(load_workbook(io.BytesIO(to_xlsx(empty, dimensions=BY)))["values"].values) == [
        tuple(table_columns(BY))
    ]


@pytest.mark.parametrize(
    "render",
    [format.render for format in FORMATS.values()],
    ids=list(FORMATS),
)
def test_a_value_not_broken_down_as_asked_is_refused(render: Any) -> None:
    values = IndicatorValues(values=[value(dimensions={"sex": "F"})])

    with pytest.raises(ValueError, match="broken down by"):
        render(values, dimensions=BY)
    with pytest.raises(ValueError, match="twice"):
        render(IndicatorValues(values=[]), dimensions=["sex", "sex"])


# -- XLSX ----------------------------------------------------------------------------------


def test_xlsx_holds_the_table_with_numbers_as_numbers() -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(broken_down(), dimensions=BY)))

    assert workbook.sheetnames == ["values", "about"]
    rows = list(workbook["values"].values)
    assert list(rows[0]) == table_columns(BY)
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(records) == len(broken_down().values)
    assert records[0]["value"] == 12
    assert isinstance(records[0]["value"], int)
    assert records[2]["value"] == pytest.approx(0.1)
    assert isinstance(records[2]["value"], float)
    assert records[1]["region_code"] == "32.10"  # text, not the number 32.1
    assert [record["period"] for record in records[:3]] == ["2026-03", "2026-Q1", "2026"]
    assert (records[2]["sex"], records[2]["age_band"]) == ("M", "60+")
    assert [(record["value"], record["status"]) for record in records[3:]] == [
        (None, "reported"),
        (None, "not_reported"),
        (None, "suppressed"),
        (None, "suppressed"),
    ]
    assert records[0]["as_of"] == "2026-04-02T07:30:00+00:00"
    assert records[0]["indicator_name_en"] == "Job seekers registered"


def test_xlsx_about_sheet_gives_as_of_definitions_units_and_dimension_labels() -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(broken_down(), dimensions=BY)))
    rows = [row for row in workbook["about"].values if any(cell is not None for cell in row)]
    first = {row[0]: row for row in rows}

    assert first["as_of"][1] == "2026-04-02T07:30:00+00:00"
    for code in ("job_seekers_registered", "placement_rate"):
        indicator = by_code()[code]
        assert first[code][:7] == (
            code,
            indicator.name_id,
            indicator.name_en,
            indicator.unit,
            indicator.domain,
            indicator.definition_id,
            indicator.definition_en,
        )
    assert first["sex"][:3] == ("sex", "Jenis kelamin", "Sex")
    assert first["age_band"][:3] == ("age_band", "Kelompok umur", "Age band")
    assert {"reported", "not_reported", "suppressed"} <= set(first)


def test_xlsx_of_totals_reads_back() -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(totals(), dimensions=[])))
    rows = list(workbook["values"].values)

    assert list(rows[0]) == table_columns([])
    assert [(row[4], row[-4]) for row in rows[1:]] == [
        ("Kabupaten Bekasi", 1_234),
        ("Indonésia (uji)", 98_765),
    ]


# -- SDMX-CSV ------------------------------------------------------------------------------

SDMX_HEADER = [
    "STRUCTURE", "STRUCTURE_ID", "ACTION", "FREQ", "INDICATOR", "REF_AREA", "SEX", "AGE_BAND",
    "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS", "CONF_STATUS", "UNIT_MEASURE",
]  # fmt: skip


JOBS = "job_seekers_registered"
RATE = "placement_rate"


def test_sdmx_csv_follows_the_dataflow_structure() -> None:
    data = to_sdmx_csv(broken_down(), dimensions=BY)
    rows = read_csv(data)

    assert next(csv.reader(io.StringIO(data.decode()))) == SDMX_HEADER
    assert {(row["STRUCTURE"], row["STRUCTURE_ID"], row["ACTION"]) for row in rows} == {
        ("dataflow", "KEMNAKER:SINERGI_INDICATORS(1.0)", "I")
    }
    assert [
        (row["FREQ"], row["INDICATOR"], row["REF_AREA"], row["SEX"], row["AGE_BAND"])
        + (row["TIME_PERIOD"], row["OBS_VALUE"], row["OBS_STATUS"], row["CONF_STATUS"])
        + (row["UNIT_MEASURE"],)
        for row in rows
    ] == [
        ("M", JOBS, "3216", "F", "20-24", "2026-03", "12", "A", "F", "persons"),
        ("Q", JOBS, "3210", "F", "20-24", "2026-Q1", "12", "A", "F", "persons"),
        ("A", RATE, "32", "M", "60_PLUS", "2026", "0.1", "A", "F", "ratio"),
        ("M", RATE, "3216", "F", "20-24", "2026-02", "NaN", "M", "F", "ratio"),
        ("M", JOBS, "ID", "F", "20-24", "2026-03", "NaN", "O", "F", "persons"),
        ("Q", JOBS, "3216", "F", "15-19", "2025-Q4", "NaN", "Q", "C", "persons"),
        ("M", JOBS, "3216", "F", "20-24", "2025-12", "NaN", "Q", "C", "persons"),
    ]  # fmt: skip


def test_sdmx_csv_orders_breakdown_dimensions_as_the_structure_does() -> None:
    assert sdmx_columns(["age_band", "sex"]) == SDMX_HEADER
    assert sdmx_columns([]) == [c for c in SDMX_HEADER if c not in ("SEX", "AGE_BAND")]
    rows = read_csv(to_sdmx_csv(totals(), dimensions=[]))
    assert [(row["REF_AREA"], row["OBS_VALUE"]) for row in rows] == [
        ("3216", "1234"),
        ("ID", "98765"),
    ]


def test_sdmx_csv_refuses_a_period_that_is_no_month_quarter_or_year() -> None:
    with pytest.raises(ValueError, match="not a month"):
        to_sdmx_csv(IndicatorValues(values=[value(period="2026-W10")]), dimensions=BY)


def test_pysdmx_recognises_the_message_as_sdmx_csv() -> None:
    from pysdmx.io.format import Format
    from pysdmx.io.input_processor import process_string_to_read

    text = to_sdmx_csv(broken_down(), dimensions=BY).decode()
    _, found = process_string_to_read(text)

    # pysdmx reads SDMX-CSV 2.0 and 2.1 with one reader and names both 2.1.
    assert found in (Format.DATA_SDMX_CSV_2_0_0, Format.DATA_SDMX_CSV_2_1_0)


def test_sdmx_csv_reads_back_with_pysdmx() -> None:
    # pysdmx reads data into pandas data frames (its "data" extra, a test dependency).
    from pysdmx.io import read_sdmx
    from pysdmx.model.dataset import ActionType

    message = read_sdmx(to_sdmx_csv(broken_down(), dimensions=BY).decode())

    assert message.data is not None
    (dataset,) = message.data
    assert dataset.short_urn == f"Dataflow={STRUCTURE_ID}"
    assert dataset.action == ActionType.Information
    frame = dataset.data  # type: ignore[attr-defined]
    assert list(frame.columns) == SDMX_HEADER[3:]
    records = frame.to_dict(orient="records")
    assert [record["TIME_PERIOD"] for record in records] == [
        "2026-03", "2026-Q1", "2026", "2026-02", "2026-03", "2025-Q4", "2025-12",
    ]  # fmt: skip
    assert [record["FREQ"] for record in records] == ["M", "Q", "A", "M", "M", "Q", "M"]
    assert [record["REF_AREA"] for record in records[:3]] == ["3216", "3210", "32"]
    assert [(record["SEX"], record["AGE_BAND"]) for record in records[1:3]] == [
        ("F", "20-24"),
        ("M", "60_PLUS"),
    ]
    numbers = [float(record["OBS_VALUE"]) for record in records]
    assert numbers[:3] == [12, 12, 0.1]
    assert all(math.isnan(number) for number in numbers[3:])
    assert [record["OBS_STATUS"] for record in records] == ["A", "A", "A", "M", "O", "Q", "Q"]
    assert [record["CONF_STATUS"] for record in records] == ["F"] * 5 + ["C"] * 2


# -- formats -------------------------------------------------------------------------------


def test_the_formats_and_their_media_types() -> None:
    assert MEDIA_TYPES == {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "sdmx-csv": "application/vnd.sdmx.data+csv; version=2.0.0",
    }
    assert {name: format.extension for name, format in FORMATS.items()} == {
        "csv": "csv",
        "xlsx": "xlsx",
        "sdmx-csv": "csv",
    }


@pytest.mark.parametrize(
    ("asked", "name"),
    [
        ("text/csv", "csv"),
        ("Text/CSV; charset=UTF-8", "csv"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        ("application/vnd.sdmx.data+csv", "sdmx-csv"),
        ("application/vnd.sdmx.data+csv;version=2.0.0", "sdmx-csv"),
        ('application/vnd.sdmx.data+csv; version="2.0.0"; labels=id', "sdmx-csv"),
        ("application/vnd.sdmx.data+csv; version=1.0.0", None),
        ("application/json", None),
    ],
)
def test_a_media_type_names_its_format(asked: str, name: str | None) -> None:
    found = format_for_media_type(asked)

    assert (found.name if found else None) == name


def test_each_format_renders_through_the_registry() -> None:
    values = broken_down()

    assert FORMATS["csv"].render(values, dimensions=BY) == to_csv(values, dimensions=BY)
    assert SDMX_CSV.render(values, dimensions=BY) == to_sdmx_csv(values, dimensions=BY)
    assert XLSX.render(values, dimensions=BY).startswith(b"PK")  # a zip, as XLSX files are
