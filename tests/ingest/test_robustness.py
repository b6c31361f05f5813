"""Malformed input never crashes an import: it ends in a Report (or a Chinese InvalidInput)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from parkhq.errors import InvalidInput, ValidationFailed
from parkhq.ingest.checks import CheckConfig, KnownKeys, validate
from parkhq.ingest.formats import FORMATS, get_format
from parkhq.ingest.readers import read_table
from parkhq.ingest.report import Report
from parkhq.ingest.templates import error_report_xlsx

CONFIG = CheckConfig(today=date(2024, 6, 15))
KINDS = list(FORMATS)
SUFFIXES = ["x.csv", "x.xlsx", "x.txt", "x.xls", "x", "x.tsv", "x.pdf"]
ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "latin-1"]
SETTINGS = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])

cell_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "2024-13",
            "2024年3月",
            "-1",
            "1e400",
            "nan",
            "是",
            "０１１１",
            "S119003",
            "；；",
            "=1+1",
            "91330106MA2H00001E",
            "2024/02/30",
            '"',
            "\r\n",
            ",",
            "\t",
        ]
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
cell_value = st.one_of(
    st.none(),
    st.text(max_size=10).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)),
)


def _import(data: bytes, filename: str, kind: str | None) -> None:
    """Read, validate every kind found, build the error workbook: only our errors may escape."""
    try:
        raw = read_table(data, filename, kind)
    except ValidationFailed as exc:
        assert isinstance(exc.report, Report)
        assert exc.report.problems and not exc.report.ok
        assert exc.message
        error_report_xlsx(None, exc.report)
        return
    except InvalidInput as exc:  # pragma: no cover - only for an unknown kind, never drawn here
        assert exc.message
        return
    reports = []
    for found in raw.kinds:
        frame, report = validate(raw, found, KnownKeys(), CONFIG)
        assert isinstance(report, Report)
        assert frame.height == report.rows_valid
        assert list(frame.columns) == list(get_format(found).names)
        reports.append(report)
    error_report_xlsx(raw, reports)


@SETTINGS
@given(
    data=st.binary(max_size=400),
    filename=st.sampled_from(SUFFIXES),
    kind=st.none() | st.sampled_from(KINDS),
)
def test_random_bytes_never_crash(data: bytes, filename: str, kind: str | None) -> None:
    _import(data, filename, kind)


@SETTINGS
@given(
    kind=st.sampled_from(KINDS),
    rows=st.lists(st.lists(cell_text, min_size=0, max_size=12), max_size=8),
    encoding=st.sampled_from(ENCODINGS),
    delimiter=st.sampled_from([",", ";", "\t"]),
    cut=st.none() | st.integers(0, 2000),
    english=st.booleans(),
)
def test_csv_with_random_cells_encodings_and_truncation_never_crashes(
    kind: str,
    rows: list[list[str]],
    encoding: str,
    delimiter: str,
    cut: int | None,
    english: bool,
) -> None:
    fmt = get_format(kind)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow([s.name if english else s.header for s in fmt.fields])
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding, errors="replace")
    if cut is not None:
        data = data[:cut]
    _import(data, "x.csv", None)
    _import(data, "x.csv", kind)


@SETTINGS
@given(
    kind=st.sampled_from(KINDS),
    rows=st.lists(st.lists(cell_value, min_size=0, max_size=10), max_size=6),
    cut=st.none() | st.integers(0, 6000),
    flip=st.none() | st.tuples(st.integers(0, 6000), st.integers(0, 255)),
)
def test_xlsx_with_random_cells_truncation_and_corruption_never_crashes(
    kind: str,
    rows: list[list[object]],
    cut: int | None,
    flip: tuple[int, int] | None,
) -> None:
    fmt = get_format(kind)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = fmt.sheet_name
    sheet.append([s.header for s in fmt.fields])
    for row in rows:
        sheet.append(row)
    if rows and len(rows[0]) > 1:
        sheet.merge_cells(start_row=2, start_column=1, end_row=2 + len(rows) - 1, end_column=2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = bytearray(buffer.getvalue())
    if flip is not None and flip[0] < len(data):
        data[flip[0]] = flip[1]
    if cut is not None:
        data = data[:cut]
    _import(bytes(data), "x.xlsx", None)
