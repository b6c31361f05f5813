"""Read a user's .xlsx or .csv file into :class:`RawTable`: every cell as text, nothing cast yet.

Codes (统一社会信用代码, 行业代码 ``0111``, 区划代码, 园区代码, 报告期) must keep their leading
zeros, so readers never guess types: checks cast each column by its format later.

* **xlsx** (openpyxl, full mode for fidelity): merged ranges in the data area are filled into every
  cell; numbers become text without float artefacts (``0.30000000000000004`` → ``0.3``, ten
  significant digits); date cells, and serial numbers in date columns, become ISO dates; a number
  in a code column is kept but noted (``W011_CODE_STORED_AS_NUMBER``) because Excel drops leading
  zeros. A workbook's sheets are matched to kinds by sheet name (企业月报/企业名录/园区名录/用地)
  or by their headers.
* **csv**: the bytes are decoded in Python (UTF-16 with BOM, UTF-8 with or without BOM, GBK,
  GB18030; the one used is reported) and the delimiter (``,`` ``;`` tab) is sniffed.
* **xls** and other types are refused with a Chinese message asking for .xlsx.

The header row is the first of the top ten rows that matches a format (so a title row above the
headers is fine); rows are numbered as Excel shows them. Fully blank rows are skipped.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import polars as pl

from parkhq.errors import InvalidInput, ValidationFailed
from parkhq.ingest.formats import (
    FORMATS,
    FieldSpec,
    detect_kind,
    get_format,
    match_columns,
    normalise_header,
)
from parkhq.ingest.report import Problem, Report, file_problem

__all__ = [
    "ENCODINGS",
    "INSTRUCTION_SHEET",
    "RawSheet",
    "RawTable",
    "column_letter",
    "decode_text",
    "number_text",
    "read_table",
]

logger = logging.getLogger(__name__)

ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "utf-16", "gbk", "gb18030")
"""Encodings a CSV may use (reported in ``RawTable.encoding``)."""

INSTRUCTION_SHEET = "填表说明"
"""Templates carry this sheet; readers skip it silently."""

_HEADER_SCAN_ROWS = 10
_EXCEL_EPOCH = date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_SAVE_AS = "请在 Excel 或 WPS 中“另存为” .xlsx（Excel 工作簿）或 .csv 后再导入"


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class RawSheet:
    """One sheet as text.

    ``data`` has one Utf8 column per header cell, named ``c0``, ``c1`` …, and ``row``
    (Int64): the row number the user sees in Excel. ``notes`` are problems the reader saw.
    """

    name: str
    kind: str | None
    headers: tuple[str, ...]
    header_row: int
    data: pl.DataFrame
    notes: tuple[Problem, ...] = ()

    @property
    def height(self) -> int:
        return self.data.height

    def letter(self, index: int) -> str:
        return column_letter(index)

    def rows(self) -> list[tuple[int, list[str | None]]]:
        """``(excel_row, cells)`` pairs, cells in header order."""
        names = [f"c{i}" for i in range(len(self.headers))]
        return [(int(r[-1]), list(r[:-1])) for r in self.data.select([*names, "row"]).iter_rows()]


@dataclass(frozen=True)
class RawTable:
    """A read file: its sheets (one for CSV), the encoding used (CSV) and file-level notes."""

    filename: str
    file_type: Literal["csv", "xlsx"]
    encoding: str | None
    sheets: tuple[RawSheet, ...]
    notes: tuple[Problem, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(s.kind for s in self.sheets if s.kind is not None)

    def sheet(self, kind: str) -> RawSheet | None:
        """The sheet holding ``kind``; a lone sheet of unknown kind also answers."""
        for sheet in self.sheets:
            if sheet.kind == kind:
                return sheet
        if len(self.sheets) == 1 and self.sheets[0].kind is None:
            return self.sheets[0]
        return None


def _fail(
    code: str,
    filename: str,
    kind: str | None,
    *,
    sheet: str | None = None,
    value: str | None = None,
    expected: str | None = None,
    detail: str | None = None,
) -> ValidationFailed:
    problem = file_problem(code, sheet=sheet, value=value, expected=expected, detail=detail)
    report = Report(kind=kind, filename=filename, problems=[problem])
    return ValidationFailed(problem.message, report=report, detail={"code": code})


# ---------------------------------------------------------------- values


def number_text(value: float | int) -> str:
    """A number as the text a person would type: ten significant digits, no float artefacts."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = format(Decimal(f"{value:.10g}"), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _serial_date(value: float) -> date | None:
    if 1 <= value <= _MAX_SERIAL:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    return None


def _date_text(value: date, spec: FieldSpec | None) -> str:
    if spec is not None and spec.type == "period":
        return f"{value.year:04d}-{value.month:02d}"
    if (
        isinstance(value, datetime)
        and value.time() != time(0)
        and (spec is None or spec.type != "date")
    ):
        return value.isoformat(sep=" ")
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _numeric_text(value: float | int, spec: FieldSpec | None) -> str:
    kind = spec.type if spec is not None else None
    if kind == "date":
        day = _serial_date(float(value))
        if day is not None and not 19000101 <= value <= 99991231:
            return _date_text(day, spec)
    if (
        kind == "period"
        and isinstance(value, float)
        and not value.is_integer()
        and (1900 < value < 3000)
    ):
        return f"{value:.2f}"  # 2006.1 typed as a number means 2006.10
    if kind == "period" and 20000 <= value <= 80000:
        day = _serial_date(float(value))
        if day is not None:
            return _date_text(day, spec)
    return number_text(value)


def _cell_text(value: object, spec: FieldSpec | None) -> tuple[str | None, bool]:
    """The cell as text, and whether a code column held a number."""
    if value is None:
        return None, False
    if isinstance(value, str):
        return (value if value.strip() else None), False
    if isinstance(value, bool):
        return ("是" if value else "否"), False
    if isinstance(value, datetime | date):
        return _date_text(value, spec), False
    if isinstance(value, time):
        return value.isoformat(), False
    if isinstance(value, int | float):
        return _numeric_text(value, spec), spec is not None and spec.type == "code"
    return str(value), False


# ---------------------------------------------------------------- header and kind


def _row_texts(row: Sequence[object]) -> list[str]:
    return ["" if v is None else str(v).strip() for v in row]


def _find_header(rows: Sequence[Sequence[object]], kind: str | None) -> tuple[int, str | None]:
    """Index of the header row among the first rows, and the kind it matches."""
    first_filled: int | None = None
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        texts = _row_texts(row)
        if not any(texts):
            continue
        if first_filled is None:
            first_filled = index
        if kind is not None:
            if match_columns(texts, kind).score >= min(2, len(get_format(kind).required)):
                return index, kind
            continue
        detected = detect_kind(texts)
        if detected is not None:
            return index, detected
    return (first_filled if first_filled is not None else 0), kind


def _sheet_kind_by_name(name: str) -> str | None:
    text = normalise_header(name)
    for fmt in FORMATS.values():
        if text in (normalise_header(fmt.title), fmt.kind):
            return fmt.kind
    return None


def _specs_for(headers: Sequence[str], kind: str | None) -> list[FieldSpec | None]:
    specs: list[FieldSpec | None] = [None] * len(headers)
    if kind is None:
        return specs
    fmt = get_format(kind)
    for name, index in match_columns(headers, kind).columns.items():
        specs[index] = fmt.field(name)
    return specs


def _frame(columns: list[list[str | None]], rows: list[int]) -> pl.DataFrame:
    data: dict[str, pl.Series] = {
        f"c{i}": pl.Series(f"c{i}", col, dtype=pl.Utf8) for i, col in enumerate(columns)
    }
    data["row"] = pl.Series("row", rows, dtype=pl.Int64)
    return pl.DataFrame(data)


# ---------------------------------------------------------------- xlsx


def _merge_fill(grid: list[list[object]], merged: Sequence[tuple[int, int, int, int]]) -> None:
    for min_row, min_col, max_row, max_col in merged:
        if min_row - 1 >= len(grid):
            continue
        top = grid[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        for r in range(min_row - 1, min(max_row, len(grid))):
            line = grid[r]
            if len(line) < max_col:
                line.extend([None] * (max_col - len(line)))
            for c in range(min_col - 1, max_col):
                line[c] = value


def _xlsx_sheet(
    name: str, grid: list[list[object]], merged: list[tuple[int, int, int, int]], kind: str | None
) -> RawSheet | None:
    while grid and all(v is None or (isinstance(v, str) and not v.strip()) for v in grid[-1]):
        grid.pop()
    if not grid:
        return None
    header_index, found = _find_header(grid, kind)
    _merge_fill(grid, [m for m in merged if m[0] - 1 > header_index])
    headers = tuple(_row_texts(grid[header_index]))
    while headers and not headers[-1]:
        headers = headers[:-1]
    specs = _specs_for(headers, found)
    width = len(headers)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    rows: list[int] = []
    notes: list[Problem] = []
    for index in range(header_index + 1, len(grid)):
        line = grid[index]
        cells = [_cell_text(line[c] if c < len(line) else None, specs[c]) for c in range(width)]
        if all(text is None for text, _ in cells):
            continue
        excel_row = index + 1
        rows.append(excel_row)
        for c, (text, numeric_code) in enumerate(cells):
            columns[c].append(text)
            spec = specs[c]
            if numeric_code and spec is not None:
                notes.append(
                    file_problem(
                        "W011_CODE_STORED_AS_NUMBER",
                        sheet=name,
                        row=excel_row,
                        column=headers[c],
                        column_letter=column_letter(c),
                        field=spec.name,
                        value=text,
                    )
                )
    return RawSheet(
        name=name,
        kind=found,
        headers=headers,
        header_row=header_index + 1,
        data=_frame(columns, rows),
        notes=tuple(notes),
    )


def _load_workbook(data: bytes, filename: str, kind: str | None) -> Any:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError) as exc:
        raise _fail(
            "E001_UNREADABLE_FILE",
            filename,
            kind,
            value=filename,
            detail=f"不是有效的 .xlsx 工作簿（{type(exc).__name__}）；{_SAVE_AS}",
        ) from exc
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise _fail(
            "E001_UNREADABLE_FILE",
            filename,
            kind,
            value=filename,
            detail=f"工作簿已损坏（{type(exc).__name__}）；{_SAVE_AS}",
        ) from exc


def _read_xlsx(data: bytes, filename: str, kind: str | None) -> RawTable:
    workbook = _load_workbook(data, filename, kind)
    sheets: list[RawSheet] = []
    notes: list[Problem] = []
    worksheets = list(workbook.worksheets)
    data_sheets = [ws for ws in worksheets if ws.title != INSTRUCTION_SHEET]
    for ws in data_sheets:
        by_name = _sheet_kind_by_name(ws.title)
        wanted = by_name or (kind if len(data_sheets) == 1 else None)
        try:
            grid = [list(r) for r in ws.iter_rows(values_only=True)]
            merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
        except Exception as exc:  # a damaged sheet part surfaces only while iterating
            raise _fail(
                "E001_UNREADABLE_FILE",
                filename,
                kind,
                value=filename,
                detail=f"工作表「{ws.title}」已损坏（{type(exc).__name__}）；{_SAVE_AS}",
            ) from exc
        sheet = _xlsx_sheet(ws.title, grid, merged, wanted)
        if sheet is None:
            continue
        if sheet.kind is None and not (kind is not None and len(data_sheets) == 1):
            notes.append(
                file_problem(
                    "W010_IGNORED_SHEET",
                    sheet=ws.title,
                    detail="工作表名称和表头都不对应企业月报、企业名录、园区名录或用地",
                )
            )
            continue
        sheets.append(sheet)
    return _table(filename, "xlsx", None, sheets, notes, kind)


# ---------------------------------------------------------------- csv


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-16 (BOM), UTF-8 (with or without BOM), GBK, then GB18030.

    Returns ``(text, encoding)``; raises ``UnicodeDecodeError`` when none fits.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    last: UnicodeDecodeError | None = None
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            last = exc
    assert last is not None
    raise last


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_score = ",", -1.0
    for delimiter in (",", ";", "\t"):
        counts = [line.count(delimiter) for line in lines]
        filled = [c for c in counts if c]
        if not filled:
            continue
        mode = max(set(filled), key=filled.count)
        score = mode * filled.count(mode) / len(lines)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_records(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _csv_frame(text: str, delimiter: str, width: int, utf8: bytes | None = None) -> pl.DataFrame:
    """All records as Utf8 columns ``c0``… (Polars; the csv module if Polars refuses).

    ``utf8`` is the file's own bytes when they are already UTF-8 (no re-encoding needed).
    """
    schema = {f"c{i}": pl.Utf8 for i in range(width)}
    try:
        return pl.read_csv(
            io.BytesIO(utf8 if utf8 is not None else text.encode("utf-8")),
            has_header=False,
            schema=schema,
            separator=delimiter,
            quote_char='"',
            truncate_ragged_lines=True,
            missing_columns="insert",
        )
    except Exception as exc:  # Polars' CSV parser is stricter than Excel; fall back
        logger.debug("polars could not parse the CSV (%s); using the csv module", exc)
    records = _csv_records(text, delimiter)
    columns = [[(r[c] if c < len(r) else None) for r in records] for c in range(width)]
    return pl.DataFrame({f"c{i}": pl.Series(col, dtype=pl.Utf8) for i, col in enumerate(columns)})


_SAMPLE_CHARS = 256 * 1024


def _read_csv(data: bytes, filename: str, kind: str | None) -> RawTable:
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError as exc:
        raise _fail(
            "E003_UNKNOWN_ENCODING",
            filename,
            kind,
            value=filename,
            expected="UTF-8、UTF-8-BOM、GBK 或 GB18030（Excel 中“另存为 CSV UTF-8”即可）",
        ) from exc
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text or text.isspace():  # isspace stops at the first visible character
        raise _fail("E004_NO_DATA", filename, kind, sheet=filename, detail="文件是空的")
    head = "\n".join(text[:_SAMPLE_CHARS].splitlines()[:200])
    delimiter = _sniff_delimiter(head)
    try:
        sample = _csv_records(head, delimiter)[:50]
    except csv.Error as exc:
        raise _fail(
            "E001_UNREADABLE_FILE",
            filename,
            kind,
            value=filename,
            detail=f"CSV 格式有误：{exc}",
        ) from exc
    header_index, found = _find_header(sample, kind)
    headers = tuple(_row_texts(sample[header_index])) if sample else ()
    while headers and not headers[-1]:
        headers = headers[:-1]
    width = max([len(headers), *(len(r) for r in sample)], default=1) or 1
    utf8 = data[3:] if encoding == "utf-8-sig" else data
    raw = utf8 if encoding in ("utf-8", "utf-8-sig") and b"\x00" not in data else None
    frame = _csv_frame(text, delimiter, width, raw).with_row_index("row", offset=1)
    frame = frame.with_columns(pl.col("row").cast(pl.Int64))
    names = [f"c{i}" for i in range(len(headers))]
    body = frame.slice(header_index + 1).select([*names, "row"])
    if names:
        body = body.filter(
            ~pl.all_horizontal(
                pl.col(n).is_null() | (pl.col(n).str.strip_chars() == "") for n in names
            )
        )
    sheet_name = Path(filename).stem or filename
    sheet = RawSheet(
        name=sheet_name, kind=found, headers=headers, header_row=header_index + 1, data=body
    )
    return _table(filename, "csv", encoding, [sheet], [], kind)


# ---------------------------------------------------------------- entry point


def _table(
    filename: str,
    file_type: Literal["csv", "xlsx"],
    encoding: str | None,
    sheets: list[RawSheet],
    notes: list[Problem],
    kind: str | None,
) -> RawTable:
    if not any(s.kind is not None for s in sheets) and not (kind is not None and sheets):
        names = "、".join(f"{f.title}（{f.kind}）" for f in FORMATS.values())
        sheet = sheets[0].name if sheets else filename
        detail = "表头与任何一种数据格式都对不上" if sheets else "文件中没有数据"
        raise _fail("E005_UNKNOWN_KIND", filename, kind, sheet=sheet, detail=detail, expected=names)
    if kind is not None and len(sheets) == 1 and sheets[0].kind is None:
        only = sheets[0]
        sheets = [RawSheet(only.name, kind, only.headers, only.header_row, only.data, only.notes)]
    return RawTable(filename, file_type, encoding, tuple(sheets), tuple(notes))


def read_table(
    path_or_bytes: str | os.PathLike[str] | bytes,
    filename: str | None = None,
    kind: str | None = None,
) -> RawTable:
    """Read a .xlsx or .csv file (a path, or its bytes plus ``filename``) as text.

    ``kind`` (``monthly_report``, ``enterprise_registry``, ``park_registry``, ``land_parcels``, or
    the Chinese title) fixes the kind of a single-sheet file; without it the kind is detected from
    sheet names and headers. Raises ``ValidationFailed`` (with a one-problem ``report``) when the
    file cannot be read at all; ``InvalidInput`` for an unknown ``kind``.
    """
    if kind is not None:
        kind = get_format(kind).kind
    if isinstance(path_or_bytes, bytes | bytearray):
        data = bytes(path_or_bytes)
        name = filename or "上传文件"
    else:
        path = Path(path_or_bytes)
        name = filename or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(
                f"文件「{name}」无法打开：{exc.strerror}", detail={"path": str(path)}
            ) from exc
    suffix = Path(name).suffix.lower()
    if data.startswith(_XLS_MAGIC) or suffix in (".xls", ".et", ".ods", ".numbers", ".wps"):
        raise _fail(
            "E002_UNSUPPORTED_FILE_TYPE", name, kind, value=suffix or name, expected=_SAVE_AS
        )
    if data.startswith(_ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, name, kind)
    if suffix not in ("", ".csv", ".txt", ".tsv"):
        raise _fail("E002_UNSUPPORTED_FILE_TYPE", name, kind, value=suffix, expected=_SAVE_AS)
    return _read_csv(data, name, kind)
