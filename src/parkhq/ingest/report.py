"""Validation reports: every problem an import finds, with a stable code, a place and a message.

``PROBLEM_CODES`` is the one catalogue of problem codes: severity and Chinese message template.
Templates use the placeholders ``{row}`` (Excel row number), ``{column}`` (the header as the user
wrote it), ``{letter}`` (column letter), ``{value}``, ``{expected}``, ``{detail}`` and ``{sheet}``.
docs/data-formats.md lists every code (a test checks it).

Checks build problems as a Polars frame (:data:`PROBLEM_SCHEMA`) and render the messages
vectorised with :func:`render_messages`; :class:`Report` keeps the full frame and the first
``limit`` problems as :class:`Problem` objects.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from parkhq.errors import ValidationFailed

__all__ = [
    "PROBLEM_CODES",
    "PROBLEM_SCHEMA",
    "Problem",
    "ProblemCode",
    "Report",
    "Severity",
    "empty_problems",
    "file_problem",
    "render_message",
    "render_messages",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ProblemCode:
    """A catalogue entry: the stable code, its severity, a Chinese title and message template."""

    code: str
    severity: Severity
    title: str
    template: str


def _codes(*entries: tuple[str, Severity, str, str]) -> dict[str, ProblemCode]:
    return {code: ProblemCode(code, sev, title, tpl) for code, sev, title, tpl in entries}


PROBLEM_CODES: dict[str, ProblemCode] = _codes(
    # file and sheet level
    ("E001_UNREADABLE_FILE", "error", "文件无法读取", "文件「{value}」无法读取：{detail}"),
    (
        "E002_UNSUPPORTED_FILE_TYPE",
        "error",
        "不支持的文件类型",
        "不支持的文件类型「{value}」：{expected}",
    ),
    (
        "E003_UNKNOWN_ENCODING",
        "error",
        "文件编码无法识别",
        "文件「{value}」的编码无法识别：应为 {expected}",
    ),
    ("E004_NO_DATA", "error", "没有数据", "工作表「{sheet}」没有数据行：{detail}"),
    (
        "E005_UNKNOWN_KIND",
        "error",
        "无法判断数据类型",
        "无法判断「{sheet}」是哪种数据：{detail}；应为 {expected}",
    ),
    ("E006_MISSING_COLUMN", "error", "缺少必填列", "缺少必填列「{expected}」（{detail}）"),
    (
        "E007_DUPLICATE_COLUMN",
        "error",
        "列重复",
        "{letter} 列「{column}」与前面的列表示同一字段，只能出现一次",
    ),
    (
        "W008_UNKNOWN_COLUMN",
        "warning",
        "未识别的列",
        "{letter} 列「{column}」不属于{detail}格式，已忽略",
    ),
    (
        "E009_UNIT_MISMATCH",
        "error",
        "单位不符",
        "{letter} 列「{column}」单位不符：应为「{expected}」",
    ),
    (
        "W010_IGNORED_SHEET",
        "warning",
        "工作表已忽略",
        "工作表「{sheet}」不是可导入的数据表，已忽略：{detail}",
    ),
    (
        "W011_CODE_STORED_AS_NUMBER",
        "warning",
        "代码以数字保存",
        "第 {row} 行「{column}」以数字格式保存（读到 {value}），前导零可能已丢失；"
        "请把该列设为文本格式后重新填写",
    ),
    # values
    ("E101_MISSING_REQUIRED", "error", "必填项为空", "第 {row} 行「{column}」为必填项，不能为空"),
    (
        "E102_NOT_A_NUMBER",
        "error",
        "不是数字",
        "第 {row} 行「{column}」应为数字，实际为「{value}」",
    ),
    (
        "E103_NOT_AN_INTEGER",
        "error",
        "不是整数",
        "第 {row} 行「{column}」应为整数，实际为「{value}」",
    ),
    (
        "E104_BAD_DATE",
        "error",
        "日期无法识别",
        "第 {row} 行「{column}」日期无法识别：「{value}」，应为 {expected}",
    ),
    (
        "E105_BAD_PERIOD",
        "error",
        "年月无法识别",
        "第 {row} 行「{column}」年月无法识别：「{value}」，应为 {expected}",
    ),
    (
        "E106_NEGATIVE_VALUE",
        "error",
        "不能为负数",
        "第 {row} 行「{column}」不能为负数，实际为 {value}",
    ),
    (
        "E107_NOT_POSITIVE",
        "error",
        "必须大于 0",
        "第 {row} 行「{column}」必须大于 0，实际为 {value}",
    ),
    (
        "E108_OUT_OF_RANGE",
        "error",
        "超出合理范围",
        "第 {row} 行「{column}」超出合理范围：{value}，应为 {expected}",
    ),
    (
        "E109_FUTURE_DATE",
        "error",
        "晚于当前日期",
        "第 {row} 行「{column}」不能晚于当前日期：「{value}」，应不晚于 {expected}",
    ),
    (
        "E110_NOT_ALLOWED",
        "error",
        "不在可选范围",
        "第 {row} 行「{column}」取值「{value}」不在可选范围内：应为 {expected}",
    ),
    (
        "E111_BAD_BOOL",
        "error",
        "应为是或否",
        "第 {row} 行「{column}」应为「是」或「否」，实际为「{value}」",
    ),
    (
        "E112_BAD_LABEL",
        "error",
        "未知标签",
        "第 {row} 行「{column}」含未知标签「{detail}」：可选 {expected}",
    ),
    # codes
    ("E201_INVALID_USCC", "error", "统一社会信用代码不合法", "第 {row} 行「{column}」{detail}"),
    (
        "E202_UNKNOWN_INDUSTRY",
        "error",
        "行业代码不存在",
        "第 {row} 行「{column}」「{value}」不是国民经济行业分类（GB/T 4754-2017）中的代码",
    ),
    (
        "E203_UNKNOWN_REGION",
        "error",
        "区划代码不存在",
        "第 {row} 行「{column}」「{value}」不是有效的行政区划代码（GB/T 2260，6 位）",
    ),
    (
        "E204_UNKNOWN_PARK",
        "error",
        "园区不存在",
        "第 {row} 行「{column}」园区代码「{value}」不存在或不在您的权限范围内：既不在系统中，"
        "也不在本文件的园区名录里",
    ),
    (
        "W205_PARK_CODE_FORMAT",
        "warning",
        "园区代码不合目录规则",
        "第 {row} 行「{column}」「{value}」不符合开发区目录代码规则：{expected}",
    ),
    (
        "W206_PARK_PROVINCE_MISMATCH",
        "warning",
        "园区代码与省份不符",
        "第 {row} 行「{column}」「{value}」的第 2–3 位表示{detail}，与「省份」填写的不一致",
    ),
    # keys and references
    (
        "E301_DUPLICATE_KEY",
        "error",
        "重复记录",
        "第 {row} 行与第 {detail} 行重复：「{column}」均为「{value}」",
    ),
    (
        "E302_UNKNOWN_ENTERPRISE",
        "error",
        "企业未登记",
        "第 {row} 行「{column}」「{value}」的企业未登记或不在您的权限范围内：既不在系统中，"
        "也不在本文件的企业名录里；请先导入企业名录",
    ),
    (
        "E303_UNKNOWN_HOLDER",
        "error",
        "用地单位未登记",
        "第 {row} 行「{column}」「{value}」的用地单位未登记或不在您的权限范围内：既不在系统中，"
        "也不在本文件的企业名录里",
    ),
    (
        "E304_OUT_OF_SCOPE",
        "error",
        "超出权限范围",
        "第 {row} 行「{column}」「{value}」不在您的权限范围（{expected}）内",
    ),
    # plausibility warnings
    (
        "W401_OVER_INDUSTRY_MEDIAN",
        "warning",
        "远高于同行业中位数",
        "第 {row} 行「{column}」为 {value}，超过同行业同期中位数 {detail} 的 {expected} 倍，请核实",
    ),
    (
        "W402_MONTH_JUMP",
        "warning",
        "环比突变",
        "第 {row} 行「{column}」为 {value}，上月为 {detail}，变化超过 {expected} 倍，请核实",
    ),
    (
        "W403_NAME_MISMATCH",
        "warning",
        "企业名称不一致",
        "第 {row} 行「{column}」「{value}」与已登记的名称「{detail}」不一致，请核实",
    ),
)

PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.Utf8(),
    "severity": pl.Utf8(),
    "sheet": pl.Utf8(),
    "row": pl.Int64(),
    "column": pl.Utf8(),
    "column_letter": pl.Utf8(),
    "field": pl.Utf8(),
    "value": pl.Utf8(),
    "expected": pl.Utf8(),
    "detail": pl.Utf8(),
    "message": pl.Utf8(),
}
"""Columns of a problems frame (``Report.to_frame()``)."""

_PLACEHOLDERS = {
    "row": "row",
    "column": "column",
    "letter": "column_letter",
    "value": "value",
    "expected": "expected",
    "detail": "detail",
    "sheet": "sheet",
}
_MAX_VALUE_CHARS = 60


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def _short(value: str | None) -> str:
    if value is None:
        return ""
    return value if len(value) <= _MAX_VALUE_CHARS else value[: _MAX_VALUE_CHARS - 1] + "…"


def render_message(code: str, **values: object) -> str:
    """The Chinese message of ``code`` with its placeholders filled (missing ones left empty)."""
    template = PROBLEM_CODES[code].template
    parts: list[str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            value = values.get(name)
            parts.append("" if value is None else _short(str(value)))
    return "".join(parts)


def _template_expr(template: str) -> pl.Expr:
    pieces: list[pl.Expr] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            pieces.append(pl.lit(literal))
        if name is not None:
            col = pl.col(_PLACEHOLDERS[name]).cast(pl.Utf8).fill_null("")
            if name == "value":
                col = (
                    pl.when(col.str.len_chars() > _MAX_VALUE_CHARS)
                    .then(col.str.slice(0, _MAX_VALUE_CHARS - 1) + pl.lit("…"))
                    .otherwise(col)
                )
            pieces.append(col)
    return pl.concat_str(pieces) if pieces else pl.lit("")


def render_messages(problems: pl.DataFrame) -> pl.DataFrame:
    """Fill ``severity`` and ``message`` of a problems frame from the catalogue (vectorised)."""
    if problems.is_empty():
        return problems.select(list(PROBLEM_SCHEMA)).cast(PROBLEM_SCHEMA)  # type: ignore[arg-type]
    codes = problems.get_column("code").unique().to_list()
    severity = pl.col("code").replace_strict(
        {c: PROBLEM_CODES[c].severity for c in codes}, return_dtype=pl.Utf8
    )
    message: pl.Expr = pl.lit(None, dtype=pl.Utf8)
    for code in codes:
        message = (
            pl.when(pl.col("code") == code)
            .then(_template_expr(PROBLEM_CODES[code].template))
            .otherwise(message)
        )
    return problems.with_columns(severity=severity, message=message).select(list(PROBLEM_SCHEMA))


@dataclass(frozen=True)
class Problem:
    """One problem: where (sheet, Excel row, column header and letter), what, and the message."""

    code: str
    severity: Severity
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    column_letter: str | None = None
    field: str | None = None
    value: str | None = None
    expected: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "column_letter": self.column_letter,
            "field": self.field,
            "value": self.value,
            "expected": self.expected,
            "detail": self.detail,
            "message": self.message,
        }


def file_problem(
    code: str,
    *,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    column_letter: str | None = None,
    field: str | None = None,
    value: str | None = None,
    expected: str | None = None,
    detail: str | None = None,
) -> Problem:
    """Build one :class:`Problem` with its message rendered from the catalogue."""
    entry = PROBLEM_CODES[code]
    message = render_message(
        code,
        sheet=sheet,
        row=row,
        column=column,
        letter=column_letter,
        value=value,
        expected=expected,
        detail=detail,
    )
    return Problem(
        code=code,
        severity=entry.severity,
        message=message,
        sheet=sheet,
        row=row,
        column=column,
        column_letter=column_letter,
        field=field,
        value=value,
        expected=expected,
        detail=detail,
    )


def _problems_to_frame(problems: Sequence[Problem]) -> pl.DataFrame:
    if not problems:
        return empty_problems()
    return pl.DataFrame([p.to_dict() for p in problems], schema=PROBLEM_SCHEMA)


def _frame_to_problems(frame: pl.DataFrame) -> list[Problem]:
    return [Problem(**row) for row in frame.iter_rows(named=True)]


@dataclass
class Report:
    """The outcome of validating one sheet (or a file that could not be read).

    ``problems`` holds at most ``limit`` problems (the first by row); ``counts_by_code``,
    ``counts_by_severity`` and :meth:`to_frame` always cover all of them. ``ok`` is true when
    there is no error (warnings do not block an import).
    """

    kind: str | None
    filename: str
    sheet: str | None = None
    encoding: str | None = None
    rows_total: int = 0
    rows_valid: int = 0
    problems: list[Problem] = field(default_factory=list)
    counts_by_code: dict[str, int] = field(default_factory=dict)
    counts_by_severity: dict[str, int] = field(default_factory=dict)
    problems_omitted: int = 0
    _frame: pl.DataFrame | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.counts_by_code and self.problems and self._frame is None:
            frame = _problems_to_frame(self.problems)
            self.counts_by_code, self.counts_by_severity = _counts(frame)

    @classmethod
    def from_frame(
        cls,
        problems: pl.DataFrame,
        *,
        kind: str | None,
        filename: str,
        sheet: str | None = None,
        encoding: str | None = None,
        rows_total: int = 0,
        rows_valid: int = 0,
        limit: int | None = None,
    ) -> Report:
        """A report from a rendered problems frame (see :func:`render_messages`)."""
        frame = problems.select(list(PROBLEM_SCHEMA))
        by_code, by_severity = _counts(frame)
        shown = frame if limit is None else frame.head(limit)
        return cls(
            kind=kind,
            filename=filename,
            sheet=sheet,
            encoding=encoding,
            rows_total=rows_total,
            rows_valid=rows_valid,
            problems=_frame_to_problems(shown),
            counts_by_code=by_code,
            counts_by_severity=by_severity,
            problems_omitted=frame.height - shown.height,
            _frame=frame,
        )

    @property
    def ok(self) -> bool:
        return self.counts_by_severity.get("error", 0) == 0

    @property
    def errors(self) -> int:
        return self.counts_by_severity.get("error", 0)

    @property
    def warnings(self) -> int:
        return self.counts_by_severity.get("warning", 0)

    def summary(self) -> str:
        """One Chinese sentence: the verdict and the counts."""
        where = f"「{self.sheet}」" if self.sheet else f"「{self.filename}」"
        verdict = "校验通过" if self.ok else "校验未通过"
        return (
            f"{where}{verdict}：共 {self.rows_total} 行，有效 {self.rows_valid} 行，"
            f"错误 {self.errors} 个，警告 {self.warnings} 个"
        )

    def to_frame(self) -> pl.DataFrame:
        """All problems (including any beyond ``limit``) as a frame of :data:`PROBLEM_SCHEMA`."""
        if self._frame is not None:
            return self._frame
        return _problems_to_frame(self.problems)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the header fields, counts and the listed problems."""
        return {
            "kind": self.kind,
            "filename": self.filename,
            "sheet": self.sheet,
            "encoding": self.encoding,
            "rows_total": self.rows_total,
            "rows_valid": self.rows_valid,
            "ok": self.ok,
            "summary": self.summary(),
            "counts_by_code": dict(self.counts_by_code),
            "counts_by_severity": dict(self.counts_by_severity),
            "problems_omitted": self.problems_omitted,
            "problems": [p.to_dict() for p in self.problems],
        }

    def raise_for_errors(self) -> None:
        """Raise ``ValidationFailed`` carrying this report when it has an error."""
        if not self.ok:
            detail = {
                "kind": self.kind,
                "filename": self.filename,
                "sheet": self.sheet,
                "counts_by_code": dict(self.counts_by_code),
            }
            raise ValidationFailed(self.summary(), report=self, detail=detail)


def _counts(frame: pl.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    if frame.is_empty():
        return {}, {}
    by_code = dict(frame.group_by("code").len().sort("code").iter_rows())
    by_severity = dict(frame.group_by("severity").len().sort("severity").iter_rows())
    return by_code, by_severity
