"""Excel files ParkHQ hands to users: blank import templates and the error-report workbook.

Templates (:func:`template_xlsx`): one sheet per format named as the format (企业月报, 企业名录,
园区名录, 用地), Chinese headers with units on row 1, a note on every header (meaning, type, unit,
required, allowed values, example), drop-down lists for enumerated fields, text format on code
columns so Excel keeps leading zeros, date format on date columns, a frozen header row and
column widths; plus a 填表说明 sheet that readers skip.

The error report (:func:`error_report_xlsx`): the user's own rows at their original row numbers,
cells with errors filled red and with warnings yellow, each with a note holding the messages, and
a 问题清单 sheet listing every problem.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from parkhq.ingest.formats import ALL_SHEETS_ORDER, FORMATS, ExchangeFormat, FieldSpec, get_format
from parkhq.ingest.readers import INSTRUCTION_SHEET, RawSheet, RawTable
from parkhq.ingest.report import Problem, Report

__all__ = [
    "PROBLEM_SHEET",
    "TEMPLATE_ORDER",
    "error_report_xlsx",
    "header_note",
    "template_filename",
    "template_xlsx",
]

PROBLEM_SHEET = "问题清单"
TEMPLATE_ORDER: tuple[str, ...] = ALL_SHEETS_ORDER
"""Sheet order of the all-formats workbook: 园区名录, 企业名录, 用地, 企业月报."""

_LAST_ROW = 1_048_575  # 0-based index of Excel's last row
_HEADER = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "vcenter", "text_wrap": True}
_REQUIRED = {**_HEADER, "bg_color": "#FCE4D6", "font_color": "#9C0006"}
_ERROR = {"bg_color": "#FFC7CE", "font_color": "#9C0006", "num_format": "@"}
_WARNING = {"bg_color": "#FFEB9C", "font_color": "#9C5700", "num_format": "@"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _width(spec: FieldSpec) -> float:
    widest = max(_display_width(spec.header), _display_width(spec.example))
    return float(min(max(widest + 4, 10), 40))


def header_note(spec: FieldSpec) -> str:
    """The note on a template header: meaning, type, unit, required, allowed values, example."""
    lines = [f"{spec.header}（{spec.name}）", spec.description, f"类型：{spec.type_name}"]
    if spec.unit:
        lines.append(f"单位：{spec.unit}")
    lines.append("必填" if spec.required else "选填")
    if spec.allowed:
        lines.append("可选值：" + "、".join(spec.allowed))
    if spec.example:
        lines.append(f"示例：{spec.example}")
    return "\n".join(line for line in lines if line)


def template_filename(kind: str | None = None) -> str:
    """A file name for the template of ``kind`` (all formats when None)."""
    if kind is None:
        return "ParkHQ数据导入模板.xlsx"
    return f"ParkHQ{get_format(kind).title}模板.xlsx"


def _new_workbook(buffer: io.BytesIO) -> Any:
    import xlsxwriter

    return xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})


def _write_format_sheet(workbook: Any, fmt: ExchangeFormat) -> None:
    sheet = workbook.add_worksheet(fmt.sheet_name)
    header = workbook.add_format(_HEADER)
    required = workbook.add_format(_REQUIRED)
    text = workbook.add_format({"num_format": "@"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for col, spec in enumerate(fmt.fields):
        cell_format = text if spec.is_text else day if spec.type == "date" else None
        sheet.set_column(col, col, _width(spec), cell_format)
        sheet.write_string(0, col, spec.header, required if spec.required else header)
        sheet.write_comment(0, col, header_note(spec), {"x_scale": 2.2, "y_scale": 2.0})
        if spec.allowed and spec.type != "labels":
            sheet.data_validation(
                1,
                col,
                _LAST_ROW,
                col,
                {
                    "validate": "list",
                    "source": list(spec.allowed),
                    "input_title": spec.header,
                    "input_message": "请从下拉列表中选择",
                    "error_title": "取值不在可选范围",
                    "error_message": "应为：" + "、".join(spec.allowed),
                },
            )
    sheet.set_row(0, 32)
    sheet.freeze_panes(1, 0)


def _write_instructions(workbook: Any, kinds: Sequence[str]) -> None:
    sheet = workbook.add_worksheet(INSTRUCTION_SHEET)
    bold = workbook.add_format(_HEADER)
    wrap = workbook.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
    columns = ["工作表", "列名", "英文字段", "类型", "单位", "必填", "可选值", "示例", "说明"]
    widths = [12, 22, 20, 20, 10, 6, 30, 24, 48]
    for col, (title, width) in enumerate(zip(columns, widths, strict=True)):
        sheet.set_column(col, col, width, wrap)
        sheet.write_string(0, col, title, bold)
    row = 1
    for kind in kinds:
        fmt = FORMATS[kind]
        for spec in fmt.fields:
            values = [
                fmt.sheet_name,
                spec.header,
                spec.name,
                spec.type_name,
                spec.unit or "",
                "是" if spec.required else "否",
                "、".join(spec.allowed),
                spec.example,
                spec.description,
            ]
            for col, value in enumerate(values):
                sheet.write_string(row, col, value)
            row += 1
    keys = "；".join(
        f"{FORMATS[k].title}按「"
        + "+".join(FORMATS[k].field(n).header for n in FORMATS[k].key)
        + "」唯一"
        for k in kinds
    )
    notes = [
        "表头请勿修改；代码类列（统一社会信用代码、行业代码、区划代码、园区代码、报告期）已设为文本格式，"
        "请保留前导零。",
        "报告期写作 2024-03；日期写作 2024-03-01。金额单位为万元，面积单位见列名。",
        keys + "。",
        "本工作表只作说明，导入时自动跳过。",
    ]
    for offset, note in enumerate(notes, start=row + 1):
        sheet.write_string(offset, 0, note)
    sheet.freeze_panes(1, 0)


def template_xlsx(kind: str | None = None) -> bytes:
    """The blank import template of ``kind`` (or of all four formats when None) as .xlsx bytes."""
    kinds = list(TEMPLATE_ORDER) if kind is None else [get_format(kind).kind]
    buffer = io.BytesIO()
    workbook = _new_workbook(buffer)
    workbook.set_properties({"title": template_filename(kind), "author": "ParkHQ"})
    for name in kinds:
        _write_format_sheet(workbook, FORMATS[name])
    _write_instructions(workbook, kinds)
    workbook.close()
    return buffer.getvalue()


# ---------------------------------------------------------------- error report


def _sheet_title(name: str, used: set[str]) -> str:
    title = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "数据"
    base, n = title, 2
    while title in used or title == PROBLEM_SHEET:
        suffix = f"_{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title


def _cell_notes(
    problems: Sequence[Problem], sheet: RawSheet
) -> dict[tuple[int, int], list[Problem]]:
    letters = {sheet.letter(i): i for i in range(len(sheet.headers))}
    cells: dict[tuple[int, int], list[Problem]] = {}
    for problem in problems:
        if problem.column_letter not in letters:
            continue
        row = problem.row if problem.row is not None else sheet.header_row
        cells.setdefault((row - 1, letters[problem.column_letter]), []).append(problem)
    return cells


def _write_data_sheet(
    workbook: Any, sheet: RawSheet, problems: Sequence[Problem], title: str
) -> None:
    ws = workbook.add_worksheet(title)
    header = workbook.add_format(_HEADER)
    text = workbook.add_format({"num_format": "@"})
    error = workbook.add_format(_ERROR)
    warning = workbook.add_format(_WARNING)
    header_row = sheet.header_row - 1
    for col, name in enumerate(sheet.headers):
        ws.set_column(col, col, float(min(max(_display_width(name) + 4, 10), 40)), text)
        ws.write_string(header_row, col, name, header)
    rows = dict(sheet.rows())
    for excel_row, cells in rows.items():
        for col, value in enumerate(cells):
            if value is not None:
                ws.write_string(excel_row - 1, col, value)
    for (row, col), found in _cell_notes(problems, sheet).items():
        is_error = any(p.severity == "error" for p in found)
        line = rows.get(row + 1)
        value = sheet.headers[col] if row == header_row else line[col] if line else None
        ws.write_string(row, col, value or "", error if is_error else warning)
        note = "\n".join(dict.fromkeys(p.message for p in found))
        ws.write_comment(row, col, note, {"x_scale": 2.5, "y_scale": 1.5})
    ws.freeze_panes(header_row + 1, 0)


def _write_problem_sheet(workbook: Any, problems: Sequence[Problem]) -> None:
    ws = workbook.add_worksheet(PROBLEM_SHEET)
    header = workbook.add_format(_HEADER)
    text = workbook.add_format({"num_format": "@", "valign": "top"})
    error = workbook.add_format({**_ERROR, "valign": "top"})
    warning = workbook.add_format({**_WARNING, "valign": "top"})
    columns = [
        ("工作表", 14),
        ("行", 7),
        ("列", 6),
        ("列名", 20),
        ("级别", 7),
        ("问题代码", 28),
        ("值", 22),
        ("说明", 80),
    ]
    for col, (title, width) in enumerate(columns):
        ws.set_column(col, col, width, text)
        ws.write_string(0, col, title, header)
    for index, p in enumerate(problems, start=1):
        level = error if p.severity == "error" else warning
        ws.write_string(index, 0, p.sheet or "")
        if p.row is not None:
            ws.write_number(index, 1, p.row)
        ws.write_string(index, 2, p.column_letter or "")
        ws.write_string(index, 3, p.column or "")
        ws.write_string(index, 4, "错误" if p.severity == "error" else "警告", level)
        ws.write_string(index, 5, p.code)
        ws.write_string(index, 6, p.value or "")
        ws.write_string(index, 7, p.message)
    ws.autofilter(0, 0, max(len(problems), 1), len(columns) - 1)
    ws.freeze_panes(1, 0)


def error_report_xlsx(raw: RawTable | None, report: Report | Sequence[Report]) -> bytes:
    """The user's data with problem cells highlighted, plus a 问题清单 sheet, as .xlsx bytes.

    ``raw`` may be None when the file could not be read at all (then only 问题清单 is written).
    ``report`` is one report or the reports of several sheets of the same workbook.
    """
    reports = [report] if isinstance(report, Report) else list(report)
    problems = [p for r in reports for p in r.problems]
    buffer = io.BytesIO()
    workbook = _new_workbook(buffer)
    workbook.set_properties({"title": "ParkHQ 数据校验问题清单", "author": "ParkHQ"})
    _write_problem_sheet(workbook, problems)
    used: set[str] = set()
    for sheet in raw.sheets if raw is not None else ():
        mine = [p for p in problems if p.sheet == sheet.name]
        _write_data_sheet(workbook, sheet, mine, _sheet_title(sheet.name, used))
    workbook.close()
    return buffer.getvalue()
