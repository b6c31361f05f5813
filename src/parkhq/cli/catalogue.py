"""``parkhq catalogue …``: checks on a development-zone catalogue file (《中国开发区审核公告目录》).

``parkhq catalogue check FILE [--format json|csv]`` reads the catalogue in its own columns
(序号, 代码, 开发区名称, 省份, 城市/区县, 批准级别, 开发区类型, 批准时间, 核准面积_公顷, 主导产业;
CSV in UTF-8, UTF-8 with BOM or GBK/GB18030, or .xlsx), places every zone's declared 主导产业 in
the named industry categories (:mod:`parkhq.analysis.declared`) and reports, per zone, the
categories, the number of declared items, whether it exceeds three, and the names not placed;
plus a summary (zones, zones exceeding, distinct names, names placed, coverage).

JSON output is ``{"zones": [...], "summary": {...}}``. CSV output is one row per zone (lists
joined by ``；``); its summary goes to stderr. A missing column or an unreadable file exits
with code 2 and a Chinese message.
"""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from parkhq.analysis.declared import declared_coverage, normalise_declared
from parkhq.cli.common import exits_on_error
from parkhq.errors import InvalidInput

__all__ = ["CheckFormat", "app", "read_catalogue"]

app = typer.Typer(help="开发区目录：主导产业归类与“不超过 3 个”检查", no_args_is_help=True)

_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("代码", "园区代码", "开发区代码", "code"),
    "name": ("开发区名称", "园区名称", "name"),
    "declared": ("主导产业", "declared_industries"),
}
"""Field → accepted headers (the catalogue's own header first)."""

_CATALOGUE_HEADERS = (
    "序号,代码,开发区名称,省份,城市/区县,批准级别,开发区类型,批准时间,核准面积_公顷,主导产业"
)
_LIST_JOINER = "；"
_ZONE_FIELDS = ("code", "name", "declared", "categories", "count", "exceeds_three", "unmapped")


@app.callback()
def catalogue() -> None:
    """开发区目录（《中国开发区审核公告目录》列格式）的检查命令。"""


class CheckFormat(StrEnum):
    json = "json"
    csv = "csv"


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        f"无法识别文件 {path.name} 的编码（应为 UTF-8 或 GBK 编码的 CSV）",
        detail={"field": "file", "value": str(path)},
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput(
            f"无法读取 Excel 文件 {path.name}：{exc}（应为 .xlsx 工作簿）",
            detail={"field": "file", "value": str(path)},
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv_rows(path: Path) -> list[list[str]]:
    text = _decode(path.read_bytes(), path)
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def read_catalogue(path: Path) -> list[dict[str, str]]:
    """The zones of a catalogue file as ``{"code", "name", "declared"}`` texts (codes as written).

    Raises :class:`InvalidInput` (Chinese) if the file is missing, unreadable or lacks one of
    the columns 代码, 开发区名称, 主导产业.
    """
    if not path.is_file():
        raise InvalidInput(
            f"文件 {path} 不存在（应为目录的 CSV 或 .xlsx 文件）",
            detail={"field": "file", "value": str(path)},
        )
    is_excel = path.suffix.lower() in {".xlsx", ".xlsm"}
    rows = _xlsx_rows(path) if is_excel else _csv_rows(path)
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise InvalidInput(
            f"文件 {path.name} 是空的（第一行应为表头：{_CATALOGUE_HEADERS}）",
            detail={"field": "file", "value": str(path)},
        )
    headers = [cell.replace("\ufeff", "").strip() for cell in rows[0]]
    positions: dict[str, int] = {}
    missing: list[str] = []
    for field, names in _COLUMNS.items():
        found = next((headers.index(name) for name in names if name in headers), None)
        if found is None:
            missing.append(names[0])
        else:
            positions[field] = found
    if missing:
        raise InvalidInput(
            f"文件 {path.name} 缺少列：{'、'.join(missing)}（目录应有列：{_CATALOGUE_HEADERS}）",
            detail={"field": "columns", "missing": missing, "found": headers},
        )
    zones: list[dict[str, str]] = []
    for row in rows[1:]:
        cells = row + [""] * (len(headers) - len(row))
        zones.append({field: cells[index] for field, index in positions.items()})
    return zones


def _check(zones: list[dict[str, str]]) -> dict[str, Any]:
    records: list[dict[str, Any]] = []
    for zone in zones:
        portfolio = normalise_declared(zone["declared"])
        records.append(
            {
                "code": zone["code"],
                "name": zone["name"],
                "declared": zone["declared"],
                "categories": list(portfolio.categories),
                "count": portfolio.count,
                "exceeds_three": portfolio.exceeds_three,
                "unmapped": list(portfolio.unmapped),
            }
        )
    coverage = declared_coverage(zone["declared"] for zone in zones)
    summary = {
        "zones": len(records),
        "exceeding": sum(1 for record in records if record["exceeds_three"]),
        "names": coverage.names,
        "names_mapped": coverage.names_mapped,
        "coverage": round(coverage.coverage, 4),
    }
    return {"zones": records, "summary": summary}


def _csv_text(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_ZONE_FIELDS)
    for record in records:
        writer.writerow(
            [
                record["code"],
                record["name"],
                record["declared"],
                _LIST_JOINER.join(record["categories"]),
                record["count"],
                "true" if record["exceeds_three"] else "false",
                _LIST_JOINER.join(record["unmapped"]),
            ]
        )
    return buffer.getvalue().rstrip("\n")


def _summary_line(summary: dict[str, Any]) -> str:
    return (
        f"共 {summary['zones']} 个开发区，主导产业超过 3 个的 {summary['exceeding']} 个；"
        f"主导产业名称 {summary['names']} 个，已归类 {summary['names_mapped']} 个"
        f"（覆盖率 {summary['coverage']:.1%}）"
    )


@app.command("check")
@exits_on_error
def check(
    file: Annotated[Path, typer.Argument(help="目录文件：CSV（UTF-8/GBK）或 .xlsx")],
    output: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="输出格式：json 或 csv")
    ] = CheckFormat.json,
) -> None:
    """逐个开发区把主导产业归入产业类别，标出超过 3 个的开发区和未能归类的名称。"""
    result = _check(read_catalogue(file))
    if output is CheckFormat.json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        typer.echo(_csv_text(result["zones"]))
        typer.echo(_summary_line(result["summary"]), err=True)
