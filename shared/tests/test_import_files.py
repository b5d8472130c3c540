"""Uploaded files become the JSON records the strict input models judge; templates read back."""

from __future__ import annotations

import csv
import enum
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Literal

import pytest
from inspection.accidents.models import AccidentCreate
from job_market.job_seekers.models import JobSeekerCreate
from openpyxl import Workbook, load_workbook
from pydantic import BaseModel, Field, ValidationError
from shared.errors import ProblemError
from shared.identifiers import nik_for
from shared.imports import files
from shared.imports.files import (
    MEDIA_TYPES,
    FileFormat,
    FileProblem,
    Layout,
    RawRecord,
    format_of,
    read_records,
    template,
)
from shared.input import STRICT_INPUT, IsoDate, Text


class Level(enum.StrEnum):
    """Education level."""

    SD = "SD"
    SMK = "SMK"


class Member(BaseModel):
    """A family member (a list of objects with a date inside, like an accident's victims)."""

    model_config = STRICT_INPUT

    nik: Text = Field(min_length=1, max_length=32)
    full_name: Text = Field(min_length=1, max_length=200)
    birth_date: IsoDate


class Person(BaseModel):
    """A record shaped like the real input models."""

    model_config = STRICT_INPUT

    external_id: Text = Field(min_length=1, max_length=64, description="The record's own id")
    nik: Text = Field(min_length=1, max_length=32)
    born: IsoDate
    level: Level = Field(strict=False)  # as in the real models: the enum's value is taken
    sex: Literal["M", "F"]
    children: int | None = Field(default=None, ge=0, le=30)
    height: float | None = None
    disability: bool = False
    skills: list[Text] = Field(default_factory=list, max_length=50)
    members: list[Member] = Field(default_factory=list, max_length=10)


LAYOUT = Layout.of(Person)
REQUIRED = ("external_id", "nik", "born", "level", "sex")
NIK = "3216054101900007"
HEADER = "external_id,nik,born,level,sex,children,height,disability,skills"


def _read(
    content: bytes | io.BytesIO, fmt: FileFormat, *, required: Iterable[str] = REQUIRED
) -> list[RawRecord]:
    stream = content if isinstance(content, io.BytesIO) else io.BytesIO(content)
    return list(read_records(stream, fmt, LAYOUT, required=tuple(required)))


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def _xlsx(rows: Sequence[Sequence[Any]]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def _problem(content: bytes | io.BytesIO, fmt: FileFormat, **kwargs: Any) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        _read(content, fmt, **kwargs)
    return caught.value


# -- formats ------------------------------------------------------------------------------


def test_the_format_comes_from_the_media_type_then_the_file_name() -> None:
    assert format_of("text/csv; charset=utf-8") is FileFormat.CSV
    assert format_of("Application/JSON") is FileFormat.JSON
    assert format_of("application/x-ndjson", "records.csv") is FileFormat.NDJSON
    assert format_of(MEDIA_TYPES[FileFormat.XLSX]) is FileFormat.XLSX
    assert format_of("application/octet-stream", "Pencari Kerja.XLSX") is FileFormat.XLSX
    assert format_of(None, "records.jsonl") is FileFormat.NDJSON
    # Browsers on Windows send Excel's old media type for any .csv file.
    assert format_of("application/vnd.ms-excel", "data.csv") is FileFormat.CSV


@pytest.mark.parametrize(
    ("content_type", "filename"),
    [("application/pdf", "data.csv"), ("application/octet-stream", "data.xls"), (None, None)],
)
def test_other_files_are_415_naming_the_accepted_media_types(
    content_type: str | None, filename: str | None
) -> None:
    with pytest.raises(ProblemError) as caught:
        format_of(content_type, filename)
    assert caught.value.status == 415
    assert caught.value.kind == "unsupported-media-type"
    assert all(media in caught.value.detail for media in MEDIA_TYPES.values())


def test_the_layout_has_a_column_per_field_and_groups_for_lists_of_objects() -> None:
    names = [column.name for column in LAYOUT.columns]
    assert names == [
        "external_id",
        "nik",
        "born",
        "level",
        "sex",
        "children",
        "height",
        "disability",
        "skills",
        "members.0.nik",
        "members.0.full_name",
        "members.0.birth_date",
        "members.1.nik",
        "members.1.full_name",
        "members.1.birth_date",
    ]
    by_name = {column.name: column for column in LAYOUT.columns}
    assert by_name["external_id"].required and by_name["external_id"].max_length == 64
    assert by_name["external_id"].description == "The record's own id"
    assert by_name["level"].enum == ("SD", "SMK")  # through $defs
    assert by_name["children"].type == "integer" and not by_name["children"].required
    assert (by_name["children"].minimum, by_name["children"].maximum) == (0, 30)
    assert by_name["born"].format == "date"
    assert by_name["members.1.birth_date"].format == "date"
    assert by_name["members.1.nik"].required and by_name["members.1.nik"].group == "members"
    assert LAYOUT.required == set(REQUIRED)
    assert len(Layout.of(Person, list_groups=3).columns) == len(LAYOUT.columns) + 3


# -- JSON and NDJSON ----------------------------------------------------------------------


def test_json_records_pass_through_unchanged_and_non_objects_are_reported() -> None:
    content = (
        b'\xef\xbb\xbf [{"external_id": "a", "children": "3", "height": 1.5, "born": 20010203},'
        b' 7, {"external_id": "b", "members": [{"nik": "1"}]}]'
    )
    records = _read(content, FileFormat.JSON)
    assert records == [
        RawRecord(1, {"external_id": "a", "children": "3", "height": 1.5, "born": 20010203}),
        RawRecord(2, None, "record 2 is a number, not an object"),
        RawRecord(3, {"external_id": "b", "members": [{"nik": "1"}]}),
    ]
    assert [type(value) for value in (records[0].data or {}).values()] == [str, str, float, int]
    assert _read(b"[]", FileFormat.JSON) == []


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b'[{"a": 1}, {"a": 2}, {"a": ', "after record 2"),
        (b'[{"a": 1}, x]', "after record 1"),
        (b'{"external_id": "a"}', "an object"),
        (b"", "empty"),
    ],
)
def test_json_that_is_not_an_array_or_breaks_off_is_a_file_problem(
    content: bytes, where: str
) -> None:
    problem = _problem(content, FileFormat.JSON)
    assert problem.status == 422 and problem.kind == "file"
    assert where in problem.detail


def test_json_values_the_model_must_judge_reach_it_as_they_were_sent() -> None:
    # Integers beyond 64 bits and lone surrogates are the model's to refuse, field by field.
    content = b'[{"positions": 9223372036854775808, "title": "a\\ud800b", "low": -1e400}]'
    (record,) = _read(content, FileFormat.JSON)
    assert record.data == {"positions": 2**63, "title": "a\ud800b", "low": float("-inf")}


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_json_records_across_read_boundaries_are_whole(chunk: int, monkeypatch: Any) -> None:
    # A number cut by a chunk boundary ("12" + "345") is one number.
    monkeypatch.setattr(files, "_CHUNK", chunk)
    records = [{"external_id": f"r{i}", "n": 12345 + i, "s": "é" * i} for i in range(40)]
    content = json.dumps(records, ensure_ascii=False).encode()
    assert [r.data for r in _read(content, FileFormat.JSON)] == records


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'[{"a": 1}] {"a": 2}', "there is more after the closing ]"),
        (b'[{"a": 1} {"a": 2}]', "a comma or ] was expected"),
        (b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]", "nested too deeply"),
        (b'[{"a": NaN}]', "NaN is not a JSON value"),
        (b'[{"a": "\xff"}]', "not UTF-8"),
        (b"[", "the file ends too soon"),
    ],
)
def test_json_framing_problems_say_what_is_wrong_without_quoting_the_file(
    content: bytes, reason: str
) -> None:
    problem = _problem(content, FileFormat.JSON)
    assert problem.status == 422 and reason in problem.detail, problem.detail


def test_a_json_record_larger_than_the_limit_is_a_file_problem(monkeypatch: Any) -> None:
    monkeypatch.setattr(files, "MAX_RECORD_BYTES", 1000)
    monkeypatch.setattr(files, "_CHUNK", 100)
    content = json.dumps([{"a": "x" * 5000}]).encode()
    assert "larger than 1,000 bytes" in _problem(content, FileFormat.JSON).detail


def test_ndjson_reports_a_bad_line_and_reads_on() -> None:
    content = b'{"external_id": "a"}\n\n{"external_id": \n[1, 2]\r\n{"external_id": "c"}\r\n'
    records = _read(content, FileFormat.NDJSON)
    assert [(r.index, r.data) for r in records] == [
        (1, {"external_id": "a"}),
        (3, None),
        (4, None),
        (5, {"external_id": "c"}),
    ]
    assert records[1].problem is not None and records[1].problem.startswith(
        "line 3 is not valid JSON"
    )
    assert records[2].problem == "line 4 is an array, not an object"


def test_records_are_read_lazily_from_the_stream() -> None:
    # A million-row file must not be read whole before its first record is written.
    content = _csv(HEADER, *(f"P-{i},{NIK},2001-02-03,SD,F,,,,," for i in range(50_000)))
    stream = io.BytesIO(content)
    first = next(read_records(stream, FileFormat.CSV, LAYOUT))
    assert first.data is not None and first.data["external_id"] == "P-0"
    assert stream.tell() < len(content) // 4


def _file_of(fmt: FileFormat, count: int) -> io.BytesIO:
    """A file of ``count`` records in ``fmt``."""
    header = ["external_id", "nik", "born", "level", "sex"]
    rows = [[f"P-{i}", NIK, "2001-02-03", "SD", "F"] for i in range(count)]
    if fmt == FileFormat.JSON:
        return io.BytesIO(
            json.dumps([dict(zip(header, row, strict=True)) for row in rows]).encode()
        )
    if fmt == FileFormat.NDJSON:
        lines = [json.dumps(dict(zip(header, row, strict=True))) for row in rows]
        return io.BytesIO(_csv(*lines))
    if fmt == FileFormat.CSV:
        return io.BytesIO(_csv(",".join(header), *map(",".join, rows)))
    return _xlsx([header, *rows])


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_more_than_max_rows_records_is_413(fmt: FileFormat, monkeypatch: Any) -> None:
    monkeypatch.setattr(files, "MAX_ROWS", 3)
    assert len(_read(_file_of(fmt, 3), fmt)) == 3
    problem = _problem(_file_of(fmt, 4), fmt)
    assert problem.status == 413 and "more than 3 records" in problem.detail


# -- CSV ----------------------------------------------------------------------------------


def test_a_csv_row_becomes_the_json_the_model_expects() -> None:
    content = b"\xef\xbb\xbf" + _csv(
        HEADER + ",members.0.nik,members.0.full_name,members.0.birth_date",
        f"P-1,{NIK},1/2/1990, SMK ,F,2,1.58,Ya, welding | forklift ||,"
        "3216050101150001,Rina,15/01/2015",
    )
    [record] = _read(content, FileFormat.CSV)
    assert record == RawRecord(
        1,
        {
            "external_id": "P-1",
            "nik": NIK,
            "born": "1990-02-01",
            "level": "SMK",
            "sex": "F",
            "children": 2,
            "height": 1.58,
            "disability": True,
            "skills": ["welding", "forklift"],
            "members": [
                {"nik": "3216050101150001", "full_name": "Rina", "birth_date": "2015-01-15"}
            ],
        },
    )
    person = Person.model_validate(record.data)
    assert person.born == date(1990, 2, 1) and person.members[0].birth_date == date(2015, 1, 15)


@pytest.mark.parametrize(
    ("cell", "value"),
    [("tidak", False), ("TIDAK", False), ("ya", True), ("y", True), ("0", False), ("true", True)],
)
def test_yes_no_cells_in_indonesian_and_english(cell: str, value: bool) -> None:
    [record] = _read(_csv(HEADER, f"P-1,{NIK},2001-02-03,SD,M,,,{cell},"), FileFormat.CSV)
    assert record.data is not None and record.data["disability"] is value


def test_semicolons_quotes_and_line_breaks_inside_cells() -> None:
    content = _csv(
        "external_id;nik;born;level;sex;skills",
        f'"P-1; Bandung, ""Barat""";{NIK};2001-02-03;SD;M;"las\nlistrik|bubut"',
    )
    [record] = _read(content, FileFormat.CSV)
    assert record.data is not None
    assert record.data["external_id"] == 'P-1; Bandung, "Barat"'
    assert record.data["skills"] == ["las\nlistrik", "bubut"]


def test_a_windows_1252_file_is_refused_with_its_line_and_the_fix() -> None:
    content = _csv(
        HEADER, f"P-1,{NIK},2001-02-03,SD,M,,,,", "P-2,André,x,SD,M,,,,", encoding="cp1252"
    )
    problem = _problem(content, FileFormat.CSV)
    assert problem.status == 422
    assert "line 3" in problem.detail and "0xE9" in problem.detail
    assert "Windows-1252" in problem.detail and "CSV UTF-8" in problem.detail


def test_the_line_of_a_bad_byte_is_right_deep_into_a_large_file() -> None:
    rows = [f"P-{i},{NIK},2001-02-03,SD,M,,,," for i in range(20_000)]
    content = _csv(HEADER, *rows) + "P-x,Jum\u2019at,2001-02-03,SD,M,,,,\n".encode("cp1252")
    problem = _problem(content, FileFormat.CSV)
    assert "line 20002" in problem.detail and "Windows-1252" in problem.detail


def test_unknown_and_missing_columns_are_all_named_at_once() -> None:
    content = _csv("external_id,NIK,birthday,level,members.0.nikk,members,members.0.nik", "a")
    problem = _problem(content, FileFormat.CSV)
    assert problem.status == 422 and problem.kind == "file"
    named = {error.field: error.detail for error in problem.errors}
    assert set(named) == {
        "columns.NIK",
        "columns.birthday",
        "columns.members.0.nikk",
        "columns.members",
        "columns.nik",
        "columns.born",
        "columns.sex",
    }
    assert "did you mean nik?" in named["columns.NIK"]
    assert "did you mean members.0.nik?" in named["columns.members.0.nikk"]
    assert named["columns.born"] == "required column is missing"
    assert "NIK, birthday" in problem.detail and "nik, born, sex" in problem.detail


def test_a_column_named_twice_is_a_file_problem() -> None:
    problem = _problem(_csv(HEADER + ",nik", "a"), FileFormat.CSV)
    assert [error.field for error in problem.errors] == ["columns.nik"]
    assert "named twice: nik" in problem.detail


def test_groups_of_a_list_of_objects_any_index_in_order_empty_ones_dropped() -> None:
    header = "external_id,members.3.nik,members.3.full_name,members.0.nik,members.0.full_name"
    content = _csv(header, "P-1,333,Tiga,000,Nol", "P-2,, ,000,Nol", "P-3,,,,")
    records = _read(content, FileFormat.CSV, required=())
    assert [r.data for r in records] == [
        {
            "external_id": "P-1",
            "members": [{"nik": "000", "full_name": "Nol"}, {"nik": "333", "full_name": "Tiga"}],
        },
        {"external_id": "P-2", "members": [{"nik": "000", "full_name": "Nol"}]},
        {"external_id": "P-3"},
    ]


def test_a_cell_that_cannot_be_converted_reaches_the_model_which_names_the_field() -> None:
    content = _csv(HEADER, f"P-1,{NIK},31-12-2001,SD,M,2.5,tinggi,mungkin,")
    [record] = _read(content, FileFormat.CSV)
    assert record.data is not None
    assert [record.data[k] for k in ("born", "children", "height", "disability")] == [
        "31-12-2001",
        "2.5",
        "tinggi",
        "mungkin",
    ]
    with pytest.raises(ValidationError) as caught:
        Person.model_validate(record.data)
    assert {e["loc"] for e in caught.value.errors()} == {
        ("born",),
        ("children",),
        ("height",),
        ("disability",),
    }


def test_empty_cells_are_left_out_so_defaults_and_required_apply() -> None:
    [record] = _read(_csv(HEADER, f"P-1,{NIK},2001-02-03,SD,  ,,,,"), FileFormat.CSV)
    assert record.data == {"external_id": "P-1", "nik": NIK, "born": "2001-02-03", "level": "SD"}
    with pytest.raises(ValidationError) as caught:
        Person.model_validate(record.data)
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("sex",), "missing")]


def test_blank_and_comment_rows_are_skipped_but_counted_and_long_rows_reported() -> None:
    content = _csv(
        HEADER,
        f"P-1,{NIK},2001-02-03,SD,M",
        "",
        ",,,, ,",
        "# a note,with cells",
        f"P-2,{NIK},2001-02-03,SD,M,,,,,surplus",
        f"P-3,{NIK},2001-02-03,SD,M,,,,,,",
    )
    records = _read(content, FileFormat.CSV)
    assert [(r.index, r.data and r.data["external_id"]) for r in records] == [
        (1, "P-1"),
        (5, None),
        (6, "P-3"),  # empty cells past the header are harmless
    ]
    assert records[1].problem == "row 5 (line 6) has 10 cells but the header has 9 columns"


def test_an_empty_csv_is_a_file_problem() -> None:
    assert "empty" in _problem(b"\xef\xbb\xbf\n", FileFormat.CSV).detail


# -- XLSX ---------------------------------------------------------------------------------


def test_xlsx_cells_become_the_json_the_model_expects() -> None:
    content = _xlsx(
        [
            ["external_id ", "nik", "born", "level", "sex", "children", "disability", "skills"],
            ["P-1", 3216054101900007, datetime(1990, 1, 1), "SD", "F", 2.0, True, "las"],
            ["P-2", "3216054101900007", 45000, "SMK", "M", 3, False, 7],
            ["P-3", NIK, "01/01/1990", "SD", "M", 1, "tidak", None],
            [],
            ["# comment"],
            ["P-6", 3216054101900007.0, date(1990, 1, 1), "SD", "M", None, 1, "a|b"],
        ]
    )
    records = _read(content, FileFormat.XLSX)
    base = {"nik": NIK, "born": "1990-01-01", "level": "SD"}
    by_id = {r.data["external_id"]: r.data for r in records if r.data}
    assert [r.index for r in records] == [1, 2, 3, 6]
    assert by_id["P-1"] == base | {
        "external_id": "P-1",
        "sex": "F",
        "children": 2,
        "disability": True,
        "skills": ["las"],
    }
    assert by_id["P-2"] == base | {
        "external_id": "P-2",
        "born": "2023-03-15",  # Excel serial date
        "level": "SMK",
        "sex": "M",
        "children": 3,
        "disability": False,
        "skills": ["7"],
    }
    assert by_id["P-3"]["born"] == "1990-01-01" and by_id["P-3"]["disability"] is False
    assert by_id["P-6"]["nik"] == NIK and by_id["P-6"]["disability"] is True
    assert by_id["P-6"]["skills"] == ["a", "b"]
    for data in by_id.values():
        Person.model_validate(data)


def test_an_xlsx_header_is_checked_like_a_csv_header() -> None:
    problem = _problem(_xlsx([["external_id", "Nik", None, "born"], ["P-1"]]), FileFormat.XLSX)
    assert {e.field for e in problem.errors} == {
        "columns.Nik",
        "columns.nik",
        "columns.level",
        "columns.sex",
    }


def test_a_value_under_an_unnamed_xlsx_column_is_that_rows_problem() -> None:
    content = _xlsx([["external_id", None, "nik"], ["P-1", None, NIK], ["P-2", "x", NIK]])
    records = _read(content, FileFormat.XLSX, required=())
    assert records[0].data == {"external_id": "P-1", "nik": NIK}
    assert records[1] == RawRecord(
        2, None, "row 2 (sheet row 3) has a value in column B, which has no name in the header"
    )


def test_a_file_that_is_not_an_xlsx_workbook_is_a_file_problem() -> None:
    problem = _problem(io.BytesIO(b"PK\x03\x04 not really a zip"), FileFormat.XLSX)
    assert problem.status == 422 and "not an XLSX workbook" in problem.detail


def test_an_xlsx_with_xml_entity_declarations_is_refused() -> None:
    # The billion-laughs attack hides in the worksheet's XML; defusedxml refuses entities.
    source = zipfile.ZipFile(_xlsx([["external_id"], ["P-1"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(
                    b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY a "aaaa">]><worksheet', 1
                )
            target.writestr(item, body)
    out.seek(0)
    assert _problem(out, FileFormat.XLSX, required=()).status == 422


# -- templates ----------------------------------------------------------------------------


EXAMPLE = {
    "external_id": "P-1",
    "nik": NIK,
    "born": "1990-01-01",
    "level": "SMK",
    "sex": "F",
    "children": 2,
    "disability": True,
    "skills": ["welding", "forklift"],
    "members": [{"nik": "3216050101150001", "full_name": "Rina", "birth_date": "2015-01-15"}],
}


def test_the_csv_template_uploads_as_it_is_and_documents_every_column() -> None:
    content = template(LAYOUT, FileFormat.CSV, example=EXAMPLE)
    assert content.startswith(b"\xef\xbb\xbf")  # so Excel opens it as UTF-8
    assert _read(content, FileFormat.CSV) == [RawRecord(1, EXAMPLE)]
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[0] == [column.name for column in LAYOUT.columns] and lines[2] == []
    docs = {line[0].removeprefix("# "): line[1:] for line in lines[3:] if line}
    assert docs["external_id"] == ["yes", "text", "1 to 64 characters", "The record's own id"]
    assert docs["level"][1:3] == ["one of the allowed values", "SD, SMK"]
    assert docs["children"][:3] == ["no", "whole number", "0 to 30"]
    assert docs["members.1.birth_date"][0] == "yes, in each members item given"
    assert "|" in docs["skills"][1]


def test_the_xlsx_template_has_a_data_sheet_that_reads_back_and_a_columns_sheet() -> None:
    content = template(LAYOUT, FileFormat.XLSX, example=EXAMPLE)
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["data", "columns"]
    data = list(workbook["data"].iter_rows(values_only=True))
    assert data[0] == tuple(column.name for column in LAYOUT.columns)
    assert data[1][1] == NIK  # text, so no digit is lost
    docs = {row[0]: row[1:] for row in workbook["columns"].iter_rows(values_only=True) if row[0]}
    assert docs["column"] == ("required", "type", "allowed values", "description")
    assert docs["born"][:2] == ("yes", "date: YYYY-MM-DD or DD/MM/YYYY")
    assert _read(io.BytesIO(content), FileFormat.XLSX) == [RawRecord(1, EXAMPLE)]


def test_templates_are_csv_or_xlsx_only() -> None:
    with pytest.raises(ValueError, match="CSV or XLSX"):
        template(LAYOUT, FileFormat.JSON, example=EXAMPLE)


def _victim(serial: int, sex: Literal["M", "F"]) -> dict[str, Any]:
    birth = date(1991, 4, 23)
    nik = nik_for(district="32.16.01", birth_date=birth, sex=sex, serial=serial)
    name = "Agus Pratama" if sex == "M" else "Dewi Lestari"
    return {"nik": nik, "full_name": name, "birth_date": birth.isoformat(), "sex": sex}


REAL_EXAMPLES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (
        JobSeekerCreate,
        {
            "external_id": "JS-0001",
            "nik": nik_for(district="32.16.01", birth_date=date(1998, 3, 14), sex="F", serial=7),
            "full_name": "Siti Rahmawati",
            "birth_date": "1998-03-14",
            "sex": "F",
            "education_level": "SMK",
            "region_code": "32.16",
            "registered_at": "2025-10-05",
            "graduation_year": 2016,
            "skills": ["welding", "forklift"],
            "desired_occupation_code": "7212",
            "disability": False,
        },
    ),
    (
        AccidentCreate,
        {
            "external_id": "ACC-0001",
            "company_nib": "9100000000000",
            "region_code": "32.16",
            "occurred_at": "2025-08-02",
            "outcome": "disability",
            "lost_days": 30,
            "injury": "crushed hand",
            "victims": [_victim(1, "M"), _victim(2, "F")],
        },
    ),
]


@pytest.mark.parametrize(("model", "example"), REAL_EXAMPLES, ids=["job_seeker", "accident"])
@pytest.mark.parametrize("fmt", [FileFormat.CSV, FileFormat.XLSX])
def test_the_templates_of_real_models_read_back_as_valid_records(
    model: type[BaseModel], example: dict[str, Any], fmt: FileFormat
) -> None:
    layout = Layout.of(model)
    content = template(layout, fmt, example=example)
    records = list(read_records(io.BytesIO(content), fmt, layout, required=layout.required))
    assert records == [RawRecord(1, example)]
    model.model_validate(records[0].data)
