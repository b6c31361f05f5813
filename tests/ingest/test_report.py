"""The problem catalogue, its documentation, and the Report object."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import polars as pl
import pytest

import parkhq.ingest as ingest
from parkhq.errors import ValidationFailed
from parkhq.ingest.formats import FORMATS
from parkhq.ingest.report import (
    PROBLEM_CODES,
    PROBLEM_SCHEMA,
    Report,
    file_problem,
    render_message,
    render_messages,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-formats.md"
PLACEHOLDERS = {"row", "column", "letter", "value", "expected", "detail", "sheet"}


def test_every_problem_code_is_documented_with_its_template() -> None:
    text = DOC.read_text(encoding="utf-8")
    for code, entry in PROBLEM_CODES.items():
        assert f"`{code}`" in text, code
        assert entry.template in text, code


def test_every_format_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for fmt in FORMATS.values():
        assert f"`{fmt.kind}`" in text
        for spec in fmt.fields:
            assert f"| {spec.header}" in text, spec.header
            assert f"`{spec.name}`" in text, spec.name


def test_codes_are_stable_shaped_and_severity_matches_the_prefix() -> None:
    for code, entry in PROBLEM_CODES.items():
        assert re.fullmatch(r"[EW]\d{3}_[A-Z0-9_]+", code), code
        assert entry.severity == ("error" if code.startswith("E") else "warning")
        names = {name for _, name, _, _ in string.Formatter().parse(entry.template) if name}
        assert names <= PLACEHOLDERS, code


def test_render_message_fills_placeholders() -> None:
    message = render_message("E106_NEGATIVE_VALUE", row=12, column="工业总产值(万元)", value="-5")
    assert message == "第 12 行「工业总产值(万元)」不能为负数，实际为 -5"


def test_vectorised_rendering_matches_single_rendering() -> None:
    frame = pl.DataFrame(
        {
            "code": ["E102_NOT_A_NUMBER", "W402_MONTH_JUMP"],
            "sheet": ["企业月报", "企业月报"],
            "row": [5, 9],
            "column": ["税收(万元)", "用电量(万千瓦时)"],
            "column_letter": ["G", "J"],
            "field": ["tax", "electricity"],
            "value": ["x" * 100, "900"],
            "expected": ["数字", "5"],
            "detail": [None, "100"],
            "severity": [None, None],
            "message": [None, None],
        },
        schema=PROBLEM_SCHEMA,
    )
    rendered = render_messages(frame)
    assert rendered.get_column("severity").to_list() == ["error", "warning"]
    for row in rendered.iter_rows(named=True):
        assert row["message"] == render_message(
            row["code"],
            row=row["row"],
            column=row["column"],
            letter=row["column_letter"],
            value=row["value"],
            expected=row["expected"],
            detail=row["detail"],
            sheet=row["sheet"],
        )
    assert rendered.get_column("message")[0].endswith("x…」")


def test_report_counts_ok_summary_and_json() -> None:
    problems = [
        file_problem(
            "E101_MISSING_REQUIRED",
            sheet="企业月报",
            row=3,
            column="报告期",
            column_letter="C",
            field="period",
        ),
        file_problem(
            "W008_UNKNOWN_COLUMN",
            sheet="企业月报",
            column="备注",
            column_letter="H",
            detail="企业月报",
        ),
    ]
    report = Report(
        kind="monthly_report",
        filename="m.csv",
        sheet="企业月报",
        encoding="gbk",
        rows_total=10,
        rows_valid=9,
        problems=problems,
    )
    assert report.ok is False
    assert report.counts_by_code == {"E101_MISSING_REQUIRED": 1, "W008_UNKNOWN_COLUMN": 1}
    assert report.counts_by_severity == {"error": 1, "warning": 1}
    assert report.summary() == "「企业月报」校验未通过：共 10 行，有效 9 行，错误 1 个，警告 1 个"
    payload = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert payload["problems"][0]["message"] == "第 3 行「报告期」为必填项，不能为空"
    assert payload["encoding"] == "gbk"
    assert report.to_frame().height == 2


def test_raise_for_errors_carries_the_report() -> None:
    report = Report(
        kind="land_parcels",
        filename="l.csv",
        problems=[file_problem("E107_NOT_POSITIVE", row=2, column="面积(亩)", value="0")],
    )
    with pytest.raises(ValidationFailed) as caught:
        report.raise_for_errors()
    assert caught.value.report is report
    Report(kind="land_parcels", filename="l.csv").raise_for_errors()  # no error: no raise


def test_public_api_is_what_the_import_service_codes_against() -> None:
    assert set(ingest.__all__) == {
        "FORMATS",
        "PROBLEM_CODES",
        "CheckConfig",
        "ExchangeFormat",
        "FieldSpec",
        "KnownKeys",
        "Problem",
        "RawSheet",
        "RawTable",
        "Report",
        "detect_kind",
        "error_report_xlsx",
        "get_format",
        "read_table",
        "template_xlsx",
        "validate",
        "validate_all",
    }
