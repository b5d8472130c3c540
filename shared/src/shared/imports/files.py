"""Uploaded files of records: read JSON, NDJSON, CSV and XLSX as JSON records, write templates.

Every format is read as a stream, record by record: a file of a million rows is never held in
memory whole, and neither are its records. Each record comes out as the JSON object the API
takes for one record of the entity, which the entity's strict input model then validates, so
an upload and an API call are judged by the same rules and name fields the same way.

File formats
------------
- **JSON** (``application/json``, ``.json``): one array of record objects, ``[{...}, {...}]``.
  Record *N* is the *N*-th element, counted from 1. Values are taken as they are: the JSON types
  must already be right (``"2024-01-31"`` for a date, ``5`` for a number, ``true``).
- **NDJSON** (``application/x-ndjson``, ``.ndjson`` or ``.jsonl``): one record object per line,
  UTF-8. Record *N* is line *N* of the file; blank lines are skipped but still counted, so the
  number always is the line a text editor shows. A line that is not a JSON object is reported
  as that record's problem and the lines after it are still read.
- **CSV** (``text/csv``, ``.csv``) and **XLSX** (Excel workbook, ``.xlsx``): a table whose first
  row is the header naming the columns. Download the template of an entity to start from: it has
  the header, one example row, and the documentation of every column. An XLSX file is read from
  its first worksheet.

The table formats (CSV and XLSX)
--------------------------------
- **Header**: the first row. Column names are the record's JSON field names, case-sensitive
  (``full_name``, not ``Full Name``); spaces around a name are ignored. Columns may come in any
  order and optional columns may be left out. A column the record does not have, a required
  column that is missing, or a column named twice rejects the whole file, with every such
  column named at once.
- **Rows**: record *N* is data row *N*: the *N*-th row below the header, which is row *N + 1* of
  the sheet. Rows that are entirely empty, and rows whose first cell starts with ``#``
  (comments, like the documentation at the end of the CSV template), are skipped, but they are
  still counted, so the row numbers in the import's report are the ones you see.
- **Empty cells** are left out of the record: the field takes its default, or is reported as
  required.
- **Text** is taken as typed. Excel keeps only 15 significant digits of a number, so type a NIK
  (16 digits) as text: format the column as Text, or start the cell with an apostrophe
  (``'3216054101900007``). A number cell in a text column becomes its digits (no ``.0``).
- **Dates**: ``YYYY-MM-DD`` (``2024-01-31``) or ``DD/MM/YYYY`` (``31/01/2024``, also
  ``1/2/2024`` for 1 February), or in XLSX a date cell (or a date's serial number).
- **Whole numbers**: digits, optionally signed (``12``); no thousands separator. **Numbers**:
  a decimal point, not a comma (``12.5``).
- **Yes/no**: ``true``, ``ya``, ``yes``, ``y`` or ``1`` for yes; ``false``, ``tidak``, ``no``,
  ``n`` or ``0`` for no (any case), or an Excel TRUE/FALSE cell.
- **Fixed values** (such as ``sex``: ``M`` or ``F``): spaces around the value are ignored.
- **Lists of values** (such as ``skills``): one cell, the items separated by ``|``, e.g.
  ``welding|forklift``. Spaces around items and empty items are ignored.
- **Lists of objects** (such as the ``victims`` of an accident): one group of columns per item,
  named like the fields in the API's error messages, numbered from 0: ``victims.0.nik``,
  ``victims.0.full_name``, ``victims.1.nik``, ``victims.1.full_name``, ... The template has two
  groups; add more (``victims.2.nik``, ...) as needed. A group whose cells are all empty is left
  out, so rows may fill different numbers of groups.
- A value that cannot be read as its column's type (``abc`` for a number) is passed on as typed,
  and the record is reported with that field's error.

CSV specifically: UTF-8, with or without a byte-order mark (in Excel: *Save As* > *CSV UTF-8*);
cells separated by ``,`` or ``;`` (taken from the header line); a cell holding the separator,
a quote or a line break is quoted (``"Jl. Merdeka 5, Bandung"``, quotes inside doubled: ``""``).
A file that is not UTF-8 is refused with the line of the first byte that is not.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import enum
import io
import itertools
import json
import math
import re
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any, BinaryIO, NamedTuple, cast
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import BaseModel

from shared.errors import FieldError, ProblemError, field_error

__all__ = [
    "BOOLEAN_FALSE",
    "BOOLEAN_TRUE",
    "LIST_SEPARATOR",
    "MAX_ROWS",
    "MEDIA_TYPES",
    "Column",
    "FileFormat",
    "FileProblem",
    "Layout",
    "RawRecord",
    "format_of",
    "read_records",
    "template",
]


class FileFormat(enum.StrEnum):
    """The file formats records are imported from."""

    JSON = "json"
    NDJSON = "ndjson"
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES: dict[FileFormat, str] = {
    FileFormat.JSON: "application/json",
    FileFormat.NDJSON: "application/x-ndjson",
    FileFormat.CSV: "text/csv",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
"""The media type of each format (sent by uploads, answered with templates)."""

# Other names clients send for the same formats.
_MEDIA_ALIASES = {
    "application/ndjson": FileFormat.NDJSON,
    "application/jsonl": FileFormat.NDJSON,
    "application/x-jsonlines": FileFormat.NDJSON,
    "application/csv": FileFormat.CSV,
    "text/x-csv": FileFormat.CSV,
}
# Media types that say nothing about the format: the file name decides. Browsers on Windows
# send application/vnd.ms-excel for a .csv file, text/plain is common for .ndjson and .csv.
_GENERIC_MEDIA = {
    "",
    "application/octet-stream",
    "binary/octet-stream",
    "text/plain",
    "application/vnd.ms-excel",
    "application/zip",
    "application/x-zip-compressed",
}
_EXTENSIONS = {
    ".json": FileFormat.JSON,
    ".ndjson": FileFormat.NDJSON,
    ".jsonl": FileFormat.NDJSON,
    ".csv": FileFormat.CSV,
    ".xlsx": FileFormat.XLSX,
}

MAX_ROWS = 1_000_000
"""The most records one file may hold (a larger file is refused with 413)."""

BOOLEAN_TRUE = frozenset({"true", "ya", "yes", "y", "1"})
"""Cell texts read as ``true`` in a yes/no column (compared in lower case)."""
BOOLEAN_FALSE = frozenset({"false", "tidak", "no", "n", "0"})
"""Cell texts read as ``false`` in a yes/no column (compared in lower case)."""
LIST_SEPARATOR = "|"
"""Separates the items of a list of values in one cell."""

# ASCII digits only: int() and float() would also take other scripts' digits.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d{1,4000}", re.ASCII)  # int() refuses more than 4300 digits
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_LIST_INDEX = re.compile(r"0|[1-9]\d{0,5}", re.ASCII)
_FIRST_SERIAL, _END_SERIAL = 1, 2_958_466  # Excel's 1900-01-01 up to 9999-12-31
_MAX_DEPTH = 5  # objects nested deeper (recursive models) take one cell of raw text
_CHUNK = 1 << 16
MAX_RECORD_BYTES = 16 * 1024 * 1024
"""The largest single record of a JSON file."""


def format_of(content_type: str | None, filename: str | None = None) -> FileFormat:
    """The format of an upload: its media type, or its file name's extension when the media
    type is missing or generic (``application/octet-stream``); else a 415 problem."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    for fmt, name in MEDIA_TYPES.items():
        if media == name:
            return fmt
    if media in _MEDIA_ALIASES:
        return _MEDIA_ALIASES[media]
    if media in _GENERIC_MEDIA and filename:
        extension = "." + filename.rsplit(".", 1)[-1].strip().lower() if "." in filename else ""
        if extension in _EXTENSIONS:
            return _EXTENSIONS[extension]
    accepted = ", ".join(MEDIA_TYPES.values())
    extensions = ", ".join(_EXTENSIONS)
    sent = f"'{media}'" if media else "no media type"
    old_excel = (filename or "").lower().endswith(".xls")
    hint = " (an .xls workbook: save it as .xlsx)" if old_excel else ""
    raise ProblemError(
        415,
        f"Unsupported file type: {sent}{hint}. Send one of {accepted}, "
        f"or a file named {extensions} with application/octet-stream.",
        kind="unsupported-media-type",
        title="Unsupported media type",
    )


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record of a file as read, before the model validates it.

    ``index`` counts from 1: the element of a JSON array, the line of an NDJSON file, the data
    row of a CSV or XLSX table (the header is not counted; skipped blank and comment rows are,
    so record *N* is sheet row *N + 1*). ``data`` is None when the record could not be read at
    all, and ``problem`` then says why.
    """

    index: int
    data: dict[str, Any] | None
    problem: str | None = None


class FileProblem(ProblemError):
    """The file as a whole cannot be read (422), or holds too many records (413)."""

    def __init__(
        self, detail: str, *, status: int = 422, errors: Sequence[FieldError] = ()
    ) -> None:
        too_large = status == 413
        super().__init__(
            status,
            detail,
            kind="too-many-records" if too_large else "file",
            title="Content too large" if too_large else "The file cannot be read",
            errors=errors,
        )


# -- the columns of a model ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table file: a field of the record, or of an item of a list of objects.

    ``type`` is the JSON type of the value (``string``, ``integer``, ``number``, ``boolean``,
    ``array`` for a list of values in one cell, None when the schema allows several); ``items``
    is the JSON type of a list's items, and the constraints (``enum`` to ``pattern``) are then
    those of each item. ``required`` is within the column's object: for ``victims.0.nik``,
    required in each victim given. ``group`` names the list of objects the column belongs to
    (``victims``), None for a field of the record itself.
    """

    name: str
    path: tuple[str | int, ...]
    type: str | None
    format: str | None = None
    items: str | None = None
    required: bool = False
    enum: tuple[Any, ...] | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    max_items: int | None = None
    description: str | None = None
    group: str | None = None


class _Absent(enum.Enum):
    ABSENT = enum.auto()


_ABSENT = _Absent.ABSENT


class _Convert(NamedTuple):
    """Turn a cell into the JSON value of its column (``_ABSENT`` for an empty cell)."""

    text: Callable[[str], Any]  # a CSV cell, or an XLSX text cell
    cell: Callable[[Any], Any]  # any other XLSX cell that is not empty


@dataclass(frozen=True, slots=True)
class _Leaf:
    """A field that takes one cell."""

    column: Column  # name and path relative to the enclosing object
    convert: _Convert


@dataclass(frozen=True, slots=True)
class _Branch:
    """An object whose fields take columns of their own; ``listed``: a list of such objects."""

    fields: Mapping[str, _Leaf | _Branch]
    listed: bool
    required: bool
    max_items: int | None
    description: str | None


@dataclass(frozen=True, slots=True)
class Layout:
    """The flat columns of a model: built once per model, used to read and to write files."""

    model: type[BaseModel]
    columns: tuple[Column, ...]
    """The template's columns, in order (lists of objects with ``list_groups`` groups)."""
    properties: tuple[str, ...]
    """The record's top-level JSON fields, in schema order."""
    required: frozenset[str]
    """The top-level fields the model requires."""
    _root: _Branch

    @classmethod
    def of(cls, model: type[BaseModel], *, list_groups: int = 2) -> Layout:
        """The layout of ``model`` from its JSON schema; ``list_groups`` groups of columns for
        each list of objects in the template."""
        if list_groups < 1:
            raise ValueError("list_groups must be at least 1")
        schema = model.model_json_schema()
        root = _object(schema, schema.get("$defs", {}), listed=False, required=True, depth=0)
        return cls(
            model=model,
            columns=tuple(_columns(root, (), list_groups, None)),
            properties=tuple(root.fields),
            required=frozenset(n for n, f in root.fields.items() if _required(f)),
            _root=root,
        )


def _locate(layout: Layout, name: str) -> tuple[tuple[str | int, ...], _Leaf] | None:
    """The path and field of a column name such as ``victims.3.nik`` (any index), or None."""
    node: _Leaf | _Branch = layout._root
    path: list[str | int] = []
    parts = name.split(".")
    at = 0
    while at < len(parts):
        if not isinstance(node, _Branch):
            return None
        child = node.fields.get(parts[at])
        if child is None:
            return None
        path.append(parts[at])
        at += 1
        if isinstance(child, _Branch) and child.listed:
            if at == len(parts) or not _LIST_INDEX.fullmatch(parts[at]):
                return None
            path.append(int(parts[at]))
            at += 1
        node = child
    return (tuple(path), node) if isinstance(node, _Leaf) else None


def _required(node: _Leaf | _Branch) -> bool:
    return node.column.required if isinstance(node, _Leaf) else node.required


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    """The schema node with ``$ref``, a single ``allOf`` and ``anyOf: [X, null]`` replaced by
    their target; the node's own keys (description, default) win over the target's."""
    own = dict(node)
    target: Mapping[str, Any] | None = None
    if "$ref" in own:
        target = defs.get(str(own.pop("$ref")).rsplit("/", 1)[-1], {})
    elif len(own.get("allOf", ())) == 1:
        target = own.pop("allOf")[0]
    elif "anyOf" in own:
        options = [o for o in own["anyOf"] if o.get("type") != "null"]
        if len(options) == 1:
            del own["anyOf"]
            target = options[0]
    if target is None:
        return own
    return _resolve(target, defs) | own


def _json_type(node: Mapping[str, Any]) -> str | None:
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if kind is None and "properties" in node:
        return "object"
    return kind if isinstance(kind, str) else None


def _object(
    schema: Mapping[str, Any],
    defs: Mapping[str, Any],
    *,
    listed: bool,
    required: bool,
    depth: int,
    max_items: int | None = None,
    description: str | None = None,
) -> _Branch:
    needed = set(schema.get("required", ()))
    fields: dict[str, _Leaf | _Branch] = {}
    for name, raw in schema.get("properties", {}).items():
        node = _resolve(raw, defs)
        kind = _json_type(node)
        items = _resolve(node.get("items", {}), defs) if kind == "array" else {}
        if kind == "object" and "properties" in node and depth < _MAX_DEPTH:
            fields[name] = _object(
                node,
                defs,
                listed=False,
                required=name in needed,
                depth=depth + 1,
                description=node.get("description"),
            )
        elif _json_type(items) == "object" and "properties" in items and depth < _MAX_DEPTH:
            fields[name] = _object(
                items,
                defs,
                listed=True,
                required=name in needed,
                depth=depth + 1,
                max_items=node.get("maxItems"),
                description=node.get("description") or items.get("description"),
            )
        else:
            fields[name] = _leaf(name, node, items, required=name in needed)
    return _Branch(fields, listed, required, max_items, description)


def _leaf(name: str, node: Mapping[str, Any], items: Mapping[str, Any], *, required: bool) -> _Leaf:
    kind = _json_type(node)
    described = items if kind == "array" else node
    column = Column(
        name=name,
        path=(name,),
        type=kind if kind != "object" else None,
        format=described.get("format"),
        items=_json_type(items) if kind == "array" else None,
        required=required,
        enum=_enum(described),
        min_length=described.get("minLength"),
        max_length=described.get("maxLength"),
        minimum=described.get("minimum"),
        maximum=described.get("maximum"),
        pattern=described.get("pattern"),
        max_items=node.get("maxItems") if kind == "array" else None,
        description=node.get("description") or described.get("description"),
    )
    if kind == "array":
        return _Leaf(column, _list_converter(_scalar_converter(items)))
    return _Leaf(column, _scalar_converter(node))


def _enum(node: Mapping[str, Any]) -> tuple[Any, ...] | None:
    if "enum" in node:
        return tuple(node["enum"])
    if "const" in node:
        return (node["const"],)
    return None


def _columns(
    branch: _Branch, prefix: tuple[str | int, ...], groups: int, group: str | None
) -> Iterator[Column]:
    for name, node in branch.fields.items():
        if isinstance(node, _Leaf):
            path = prefix + node.column.path
            yield replace(node.column, name=_dotted(path), path=path, group=group)
            continue
        if not node.listed:
            yield from _columns(node, (*prefix, name), groups, group)
            continue
        for index in range(groups):
            yield from _columns(node, (*prefix, name, index), groups, _dotted((*prefix, name)))


def _dotted(path: Iterable[str | int]) -> str:
    return ".".join(str(part) for part in path)


# -- cell conversion ----------------------------------------------------------------------


def _scalar_converter(node: Mapping[str, Any]) -> _Convert:
    values = _enum(node)
    kind = _json_type(node)
    if values is not None:
        if all(isinstance(v, str) for v in values):
            return _Convert(_stripped_text, _string_cell)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            kind = "integer"
    if kind == "string":
        if node.get("format") == "date":
            return _Convert(_date_text, _date_cell)
        return _Convert(_string_text, _string_cell)
    if kind == "integer":
        return _Convert(_integer_text, _integer_cell)
    if kind == "number":
        return _Convert(_number_text, _number_cell)
    if kind == "boolean":
        return _Convert(_boolean_text, _boolean_cell)
    return _Convert(_string_text, _raw_cell)


def _list_converter(item: _Convert) -> _Convert:
    item_text, item_cell = item.text, item.cell

    def text(value: str) -> Any:
        if not value or value.isspace():
            return _ABSENT
        return [item_text(part) for part in map(str.strip, value.split(LIST_SEPARATOR)) if part]

    def cell(value: Any) -> Any:
        return [item_cell(value)]

    return _Convert(text, cell)


def _string_text(value: str) -> Any:
    return _ABSENT if not value or value.isspace() else value


def _stripped_text(value: str) -> Any:
    return value.strip() or _ABSENT


def _date_text(value: str) -> Any:
    text = value.strip()
    if not text:
        return _ABSENT
    if _ISO_DATE.fullmatch(text):
        return text
    found = _DMY_DATE.fullmatch(text)
    if found:
        day, month, year = found.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def _integer_text(value: str) -> Any:
    text = value.strip()
    if not text:
        return _ABSENT
    if _INTEGER.fullmatch(text):
        return int(text)
    return value


def _number_text(value: str) -> Any:
    text = value.strip()
    if not text:
        return _ABSENT
    if _DECIMAL.fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return number
    return value


def _boolean_text(value: str) -> Any:
    text = value.strip().lower()
    if not text:
        return _ABSENT
    if text in BOOLEAN_TRUE:
        return True
    if text in BOOLEAN_FALSE:
        return False
    return value


def _cell_text(value: Any) -> str:
    """The text of an XLSX cell that is not a number (dates as ISO 8601)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _string_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return _cell_text(value)


def _date_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _FIRST_SERIAL <= value < _END_SERIAL:
            return from_excel(value).date().isoformat()
        return _string_cell(value)
    return value if isinstance(value, bool) else _cell_text(value)


def _integer_cell(value: Any) -> Any:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return _cell_text(value)


def _number_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return _cell_text(value)


def _boolean_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return True if value == 1 else False if value == 0 else value
    return _cell_text(value)


def _raw_cell(value: Any) -> Any:
    return value if isinstance(value, bool | int | float) else _cell_text(value)


def _ignored(value: Any) -> Any:
    return _ABSENT


# -- reading ------------------------------------------------------------------------------


def read_records(
    stream: BinaryIO, fmt: FileFormat, layout: Layout, *, required: Collection[str] = ()
) -> Iterator[RawRecord]:
    """Yield the file's records one by one, lazily. A file that cannot be read raises
    ``FileProblem``: a CSV or XLSX header is checked before the first record (``required``
    names top-level fields whose columns must be there); over ``MAX_ROWS`` records is a 413."""
    if fmt == FileFormat.JSON:
        records = _json_records(stream)
    elif fmt == FileFormat.NDJSON:
        records = _ndjson_records(stream)
    elif fmt == FileFormat.CSV:
        records = _csv_records(stream, layout, required)
    elif fmt == FileFormat.XLSX:
        records = _xlsx_records(stream, layout, required)
    else:
        raise ValueError(f"unknown file format {fmt!r}")
    limit = MAX_ROWS
    for count, record in enumerate(records, start=1):
        if count > limit:
            raise FileProblem(
                f"The file holds more than {limit:,} records: split it into files of at most "
                f"{limit:,} records each.",
                status=413,
            )
        yield record


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _json_records(stream: BinaryIO) -> Iterator[RawRecord]:
    for count, value in enumerate(_JsonArray(stream), start=1):
        if isinstance(value, dict):
            yield RawRecord(count, value)
        else:
            yield RawRecord(count, None, f"record {count} is {_kind_of(value)}, not an object")


class _JsonArray:
    """The elements of a JSON array read from a byte stream one by one, in bounded memory.

    Each element is decoded by the standard library's (C) decoder, so every JSON value is a
    record: integers of any size and lone surrogates reach the model, which refuses them by
    field as a single ``POST`` does. Only the framing (``[``, ``,``, ``]``) is done here.
    Problems name the record after which the file breaks off, never the text around it (that
    is personal data).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._decode = codecs.getincrementaldecoder("utf-8")().decode
        self._decoder = json.JSONDecoder(parse_constant=_reject_constant)
        self._text = ""
        self._pos = 0
        self._eof = False
        self._count = 0

    def __iter__(self) -> Iterator[Any]:
        first = self._next_char(at_end="The file is empty: a JSON file holds an array [...].")
        if first != "[":
            shape = "an object" if first == "{" else "not an array"
            raise FileProblem(
                f"The JSON document is {shape}: a JSON file holds an array of records, "
                "[{...}, {...}] (for one object per line, send NDJSON)."
            )
        self._pos += 1
        if self._next_char() == "]":
            self._pos += 1
        else:
            while True:
                yield self._value()
                self._count += 1
                separator = self._next_char()
                self._pos += 1
                if separator == "]":
                    break
                if separator != ",":
                    raise self._malformed("a comma or ] was expected")
        if self._next_char(at_end=None) is not None:
            raise self._malformed("there is more after the closing ]")

    def _value(self) -> Any:
        self._next_char()
        want = _CHUNK
        while True:
            try:
                value, end = self._decoder.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as exc:
                if self._eof:
                    raise self._malformed(exc.msg) from None
            except RecursionError:
                raise self._malformed("a record is nested too deeply") from None
            except ValueError as exc:  # NaN, Infinity
                raise self._malformed(str(exc)) from None
            else:
                # A number at the end of what was read may go on in the next chunk.
                if end < len(self._text) or self._eof:
                    self._pos = end
                    if end > _CHUNK:
                        self._text, self._pos = self._text[end:], 0
                    return value
            if len(self._text) - self._pos > MAX_RECORD_BYTES:
                raise self._malformed(f"a record is larger than {MAX_RECORD_BYTES:,} bytes")
            self._read(want)
            want *= 2

    def _next_char(self, *, at_end: str | None = "") -> str | None:
        """The next non-blank character, not consumed. At the end of the file: None when
        ``at_end`` is None, else the problem ``at_end`` (or "ends too soon" if empty)."""
        while True:
            text = self._text
            while self._pos < len(text) and text[self._pos] in _JSON_BLANK:
                self._pos += 1
            if self._pos < len(text):
                return text[self._pos]
            if self._eof:
                if at_end is None:
                    return None
                raise FileProblem(at_end) if at_end else self._malformed("the file ends too soon")
            self._text, self._pos = "", 0
            self._read(_CHUNK)

    def _read(self, size: int) -> None:
        chunk = self._stream.read(size)
        self._eof = not chunk
        try:
            self._text += self._decode(chunk, final=self._eof)
        except UnicodeDecodeError:
            raise self._malformed("the file is not UTF-8 text") from None

    def _malformed(self, reason: str) -> FileProblem:
        where = f"after record {self._count}" if self._count else "before the first record"
        return FileProblem(f"The JSON breaks off or is malformed {where} ({reason}).")


_JSON_BLANK = frozenset(" \t\r\n\ufeff")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _ndjson_records(stream: BinaryIO) -> Iterator[RawRecord]:
    for number, line in enumerate(stream, start=1):
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if not line.strip():
            continue
        try:
            value = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            yield RawRecord(number, None, f"line {number} is not UTF-8 text")
            continue
        except json.JSONDecodeError as exc:
            problem = f"line {number} is not valid JSON: {exc.msg} at column {exc.colno}"
            yield RawRecord(number, None, problem)
            continue
        except ValueError as exc:
            yield RawRecord(number, None, f"line {number} is not valid JSON: {exc}")
            continue
        if isinstance(value, dict):
            yield RawRecord(number, value)
        else:
            yield RawRecord(number, None, f"line {number} is {_kind_of(value)}, not an object")


@dataclass(frozen=True, slots=True)
class _Plan:
    """How the cells of a table's rows become a record, from its header."""

    width: int
    keys: tuple[str, ...]  # per header position: the record key (dotted name when nested)
    converters: tuple[_Convert, ...]
    unnamed: tuple[int, ...]  # positions whose header cell is empty
    nested: tuple[tuple[str, tuple[str | int, ...]], ...]  # dotted name and path
    listed: tuple[str, ...]  # top-level fields holding lists of objects


def _plan(layout: Layout, header: Sequence[str], required: Collection[str]) -> _Plan:
    """Check the header (every problem named at once) and plan the conversion of its rows."""
    errors: list[FieldError] = []
    unknown: list[str] = []
    seen: set[str] = set()
    doubled: list[str] = []
    converters: list[_Convert] = []
    nested: list[tuple[str, tuple[str | int, ...]]] = []
    present: set[str] = set()
    nothing = _Convert(_ignored, _ignored)
    for name in header:
        if not name:
            converters.append(nothing)
            continue
        if name in seen:
            doubled.append(name)
            errors.append(field_error(f"columns.{name}", "the column appears more than once"))
            converters.append(nothing)
            continue
        seen.add(name)
        found = _locate(layout, name)
        if found is None:
            unknown.append(name)
            errors.append(field_error(f"columns.{name}", _unknown_column(layout, name)))
            converters.append(nothing)
            continue
        path, leaf = found
        present.add(str(path[0]))
        converters.append(leaf.convert)
        if len(path) > 1:
            nested.append((name, path))
    missing = [name for name in required if name not in present]
    errors += [field_error(f"columns.{name}", "required column is missing") for name in missing]
    if errors:
        parts = [
            f"{label}: {', '.join(names)}"
            for label, names in (
                ("unknown columns", unknown),
                ("missing required columns", missing),
                ("columns named twice", doubled),
            )
            if names
        ]
        raise FileProblem(
            "The header (first row) does not fit the record: " + "; ".join(parts) + ".",
            errors=errors,
        )
    return _Plan(
        width=len(header),
        keys=tuple(header),
        converters=tuple(converters),
        unnamed=tuple(i for i, name in enumerate(header) if not name),
        nested=tuple(nested),
        listed=tuple(dict.fromkeys(str(path[0]) for _, path in nested)),
    )


def _unknown_column(layout: Layout, name: str) -> str:
    """Why a column is unknown, with the column probably meant."""
    # Compared with group indexes as N, so victims.7.nikk suggests victims.7.nik.
    shapes = list(dict.fromkeys(_shape(column.name) for column in layout.columns))
    shape = _shape(name)
    close = [s for s in shapes if s.lower() == shape.lower()] or difflib.get_close_matches(
        shape, shapes, n=1, cutoff=0.75
    )
    if close:
        indexes = iter([part for part in name.split(".") if part.isdigit()])
        meant = ".".join(
            next(indexes, "0") if part == "N" else part for part in close[0].split(".")
        )
        return f"unknown column (did you mean {meant}?)"
    head = name.split(".", 1)[0]
    field = layout._root.fields.get(head)
    if isinstance(field, _Branch) and field.listed:
        return f"unknown column: {head} is a list of objects, with columns like {head}.0.*"
    if isinstance(field, _Leaf):
        return f"unknown column: {head} takes one cell (a list's items separated by |)"
    return "unknown column"


def _shape(name: str) -> str:
    return ".".join("N" if part.isdigit() else part for part in name.split("."))


def _assemble(plan: _Plan, data: dict[str, Any]) -> dict[str, Any]:
    """Move the cells of nested columns (``victims.0.nik``) into their lists of objects."""
    for name, path in plan.nested:
        value = data.pop(name, _ABSENT)
        if value is _ABSENT:
            continue
        node: dict[Any, Any] = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    for key in plan.listed:
        if key in data:
            data[key] = _as_lists(data[key])
    return data


def _as_lists(node: Any) -> Any:
    # Lists of objects were built as dicts keyed by index: the groups in index order.
    if not isinstance(node, dict):
        return node
    if node and isinstance(next(iter(node)), int):
        return [_as_lists(node[index]) for index in sorted(node)]
    return {key: _as_lists(value) for key, value in node.items()}


def _overflow(plan: _Plan, row: Sequence[Any], row_name: str) -> str | None:
    """The problem of a row with values outside the header's named columns, if any."""
    extra = [cell for cell in row[plan.width :] if _filled(cell)]
    if extra:
        return f"{row_name} has {len(row)} cells but the header has {plan.width} columns"
    for position in plan.unnamed:
        if position < len(row) and _filled(row[position]):
            return (
                f"{row_name} has a value in column {get_column_letter(position + 1)}, "
                "which has no name in the header"
            )
    return None


def _filled(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _is_comment(cell: Any) -> bool:
    return isinstance(cell, str) and cell.lstrip()[:1] == "#"


class _LineCounter(io.BufferedIOBase):
    """The upload as read by the text decoder, counting the line breaks handed out so far."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self.lines_before = 0  # line breaks in the chunks before the last one
        self.last = b""

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        self.lines_before += self.last.count(b"\n")
        self.last = self._raw.read(size if size > 0 else _CHUNK)
        return self.last

    def read(self, size: int | None = -1) -> bytes:
        return self.read1(size or -1)


def _not_utf8(exc: UnicodeDecodeError, counter: _LineCounter) -> FileProblem:
    """The problem of a CSV that is not UTF-8: where, what it looks like, and the fix."""
    data = bytes(exc.object)
    line = counter.lines_before + data.count(b"\n", 0, exc.start) + 1
    bad = data[exc.start]
    fix = (
        " In Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)' (or save it as UTF-8"
        " in your editor) and upload it again."
    )
    guess = ""
    if counter.lines_before == 0 and data.startswith(b"PK\x03\x04"):
        guess, fix = " It is an XLSX workbook:", " upload it as XLSX, or save it as CSV UTF-8."
    elif counter.lines_before == 0 and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        guess = " It looks like UTF-16 (Excel's 'Unicode Text')."
    else:
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        try:
            data[start : end if end >= 0 else len(data)].decode("cp1252")
            char = bytes([bad]).decode("cp1252")
            guess = f" It looks like Windows-1252 (ANSI) text, where 0x{bad:02X} is '{char}'."
        except UnicodeDecodeError:
            pass
    return FileProblem(
        f"The file is not UTF-8 text: line {line} holds the byte 0x{bad:02X}, which is not "
        f"UTF-8.{guess}{fix}"
    )


def _delimiter(line: str) -> str:
    """``;`` when the header line has more semicolons than commas outside quotes, else ``,``."""
    quoted = False
    commas = semicolons = 0
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            commas += char == ","
            semicolons += char == ";"
    return ";" if semicolons > commas else ","


def _csv_records(
    stream: BinaryIO, layout: Layout, required: Collection[str]
) -> Iterator[RawRecord]:
    counter = _LineCounter(stream)
    # typeshed wants a full binary file; the wrapper only reads, which is all it does here.
    buffer = cast(BinaryIO, counter)
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="strict", newline="")
    reader: Any = None
    try:
        first = text.readline()
        if not first.strip():
            raise FileProblem("The file is empty: its first line must be the header.")
        reader = csv.reader(itertools.chain((first,), text), delimiter=_delimiter(first))
        plan = _plan(layout, [cell.strip() for cell in next(reader)], required)
        yield from _csv_rows(reader, plan)
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc, counter) from exc
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 1
        raise FileProblem(f"The CSV cannot be read at line {line}: {exc}.") from exc
    finally:
        text.detach()


def _csv_rows(reader: Any, plan: _Plan) -> Iterator[RawRecord]:
    keys, texts = plan.keys, [converter.text for converter in plan.converters]
    checked = bool(plan.unnamed)
    for index, row in enumerate(reader, start=1):
        if not row or row[0].lstrip()[:1] == "#":
            continue
        if checked or len(row) > plan.width:
            problem = _overflow(plan, row, f"row {index} (line {reader.line_num})")
            if problem:
                yield RawRecord(index, None, problem)
                continue
        data: dict[str, Any] = {}
        for key, convert, cell in zip(keys, texts, row, strict=False):
            value = convert(cell)
            if value is not _ABSENT:
                data[key] = value
        if data:
            yield RawRecord(index, _assemble(plan, data) if plan.nested else data)


# What openpyxl raises for a file that is not a readable workbook; defusedxml's refusal of
# entity declarations (XML bombs) is a ValueError.
_XLSX_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    InvalidFileException,
    KeyError,
    ParseError,
    ValueError,
    EOFError,
    OSError,
)


def _xlsx_records(
    stream: BinaryIO, layout: Layout, required: Collection[str]
) -> Iterator[RawRecord]:
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except _XLSX_ERRORS as exc:
        raise FileProblem(
            "The file is not an XLSX workbook (an .xls or .ods file: save it as "
            "'Excel Workbook (.xlsx)')."
        ) from exc
    try:
        if not workbook.worksheets:
            raise FileProblem("The workbook has no worksheet.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a wrong stored size must not cut rows or columns off
        rows = _xlsx_rows(sheet.iter_rows(values_only=True))
        header = next(rows, None)
        if not header or not any(_filled(cell) for cell in header):
            raise FileProblem("The first row of the first worksheet must be the header.")
        names = ["" if cell is None else str(cell).strip() for cell in header]
        yield from _xlsx_data(rows, _plan(layout, names, required))
    finally:
        workbook.close()


def _xlsx_rows(rows: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """The worksheet's rows, with a broken worksheet as a ``FileProblem`` naming its row."""
    number = 0
    while True:
        number += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except _XLSX_ERRORS as exc:
            raise FileProblem(f"The worksheet cannot be read at sheet row {number}.") from exc
        yield row


def _xlsx_data(rows: Iterator[Sequence[Any]], plan: _Plan) -> Iterator[RawRecord]:
    keys, converters = plan.keys, plan.converters
    for index, row in enumerate(rows, start=1):
        if not row or _is_comment(row[0]):
            continue
        problem = _overflow(plan, row, f"row {index} (sheet row {index + 1})")
        if problem:
            yield RawRecord(index, None, problem)
            continue
        data: dict[str, Any] = {}
        for key, convert, cell in zip(keys, converters, row, strict=False):
            if cell is None:
                continue
            value = convert.text(cell) if isinstance(cell, str) else convert.cell(cell)
            if value is not _ABSENT:
                data[key] = value
        if data:
            yield RawRecord(index, _assemble(plan, data) if plan.nested else data)


# -- templates ----------------------------------------------------------------------------

_DOC_HEADER = ("column", "required", "type", "allowed values", "description")


def template(layout: Layout, fmt: FileFormat, *, example: Mapping[str, Any]) -> bytes:
    """A CSV or XLSX template: the header, ``example`` (a valid JSON record) as its one row,
    and the documentation of every column."""
    if fmt == FileFormat.CSV:
        return _csv_template(layout, example)
    if fmt == FileFormat.XLSX:
        return _xlsx_template(layout, example)
    raise ValueError(f"templates are CSV or XLSX, not {fmt}")


def _example_value(example: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    node: Any = example
    for part in path:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None:
            return None
    return node


def _text_of(value: Any) -> str:
    """A JSON value as typed in a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_text_of(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return repr(value) if isinstance(value, float) else str(value)


def _documentation(layout: Layout) -> list[tuple[str, ...]]:
    """One row per column, then notes on lists."""
    rows: list[tuple[str, ...]] = [
        (c.name, _required_text(c), _type_text(c), _allowed_text(c), _one_line(c.description))
        for c in layout.columns
    ]
    notes = ["Empty cells are left out: the field takes its default."]
    if any(c.type == "array" for c in layout.columns):
        notes.append(f"A list of values takes one cell, the items separated by {LIST_SEPARATOR}.")
    for name, node in layout._root.fields.items():
        if isinstance(node, _Branch) and node.listed:
            needed = "at least one" if node.required else "none or more"
            most = f", at most {node.max_items}" if node.max_items else ""
            about = f"{_one_line(node.description).rstrip('.')}. " if node.description else ""
            notes.append(
                f"{name}: {about}A list ({needed}{most}); each item takes its own group of columns "
                f"{name}.0.*, {name}.1.*, ... numbered from 0. Add groups as needed; a group "
                "left empty is ignored."
            )
    notes.append("Rows that are empty or whose first cell starts with # are skipped.")
    return [*rows, (), *((f"note: {note}",) for note in notes)]


def _required_text(column: Column) -> str:
    if not column.required:
        return "no"
    return f"yes, in each {column.group} item given" if column.group else "yes"


def _type_text(column: Column) -> str:
    if column.type == "array":
        item = replace(column, type=column.items, items=None, enum=None)
        of = "allowed values" if column.enum is not None else _type_text(item)
        return f"list of {of}, items separated by {LIST_SEPARATOR}"
    if column.enum is not None:
        return "one of the allowed values"
    if column.format == "date":
        return "date: YYYY-MM-DD or DD/MM/YYYY"
    return {
        "string": "text",
        "integer": "whole number",
        "number": "number (decimal point .)",
        "boolean": "yes/no: true/false, ya/tidak, yes/no, y/n, 1/0",
    }.get(column.type or "", "any")


def _allowed_text(column: Column) -> str:
    parts: list[str] = []
    if column.enum is not None:
        parts.append(", ".join(str(value) for value in column.enum))
    low, high = column.min_length, column.max_length
    if low is not None and high is not None:
        parts.append(f"{low} to {high} characters")
    elif high is not None:
        parts.append(f"at most {high} characters")
    elif low is not None:
        parts.append(f"at least {low} characters")
    if column.minimum is not None and column.maximum is not None:
        parts.append(f"{column.minimum:g} to {column.maximum:g}")
    elif column.minimum is not None:
        parts.append(f"at least {column.minimum:g}")
    elif column.maximum is not None:
        parts.append(f"at most {column.maximum:g}")
    if column.pattern:
        parts.append(f"pattern {column.pattern}")
    if column.max_items is not None:
        parts.append(f"at most {column.max_items} items")
    return "; ".join(parts)


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _csv_template(layout: Layout, example: Mapping[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.name for column in layout.columns])
    writer.writerow([_text_of(_example_value(example, c.path)) for c in layout.columns])
    writer.writerow([])
    # Documentation rows start with "#", which the reader skips: the file uploads as it is.
    for row in [_DOC_HEADER, *_documentation(layout)]:
        if row:
            writer.writerow([f"# {row[0]}", *row[1:]])
        else:
            writer.writerow(["#"])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_template(layout: Layout, example: Mapping[str, Any]) -> bytes:
    workbook = Workbook()
    data = workbook.active
    data.title = "data"
    bold = Font(bold=True)
    for position, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(position)
        # Text columns are formatted as text, so a NIK typed in keeps all its 16 digits.
        if column.format == "date":
            data.column_dimensions[letter].number_format = "yyyy-mm-dd"
        elif column.type in ("string", "array", None):
            data.column_dimensions[letter].number_format = "@"
        data.column_dimensions[letter].width = max(12, len(column.name) + 2)
        head = data.cell(row=1, column=position, value=column.name)
        head.font = bold
        _example_cell(data.cell(row=2, column=position), column, example)
    data.freeze_panes = "A2"
    docs = workbook.create_sheet("columns")
    docs.append(list(_DOC_HEADER))
    for cell in docs[1]:
        cell.font = bold
    for row in _documentation(layout):
        docs.append(list(row))
    for letter, width in zip("ABCDE", (28, 26, 34, 40, 60), strict=True):
        docs.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _example_cell(cell: Any, column: Column, example: Mapping[str, Any]) -> None:
    value = _example_value(example, column.path)
    if value is None:
        return
    if column.format == "date" and isinstance(value, str) and _ISO_DATE.fullmatch(value):
        cell.value = date.fromisoformat(value)
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, bool | int | float) and column.type not in ("string", None):
        cell.value = value
    else:
        cell.value = _text_of(value)
        cell.data_type = "s"  # never a formula, even when the text starts with "="
        cell.number_format = "@"
