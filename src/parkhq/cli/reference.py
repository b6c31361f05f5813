"""``parkhq reference``: look up GB/T 4754-2017 industries and GB/T 2260 regions.

Thin shell over :mod:`parkhq.reference`: parse the code, look it up, render it as a table (rich)
or as JSON. An unknown code prints the Chinese message to stderr and exits with status 2.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from parkhq.cli.common import OutputFormat, emit_json, exits_on_error
from parkhq.reference.industries import Industry, industry_catalogue
from parkhq.reference.regions import Region, region_catalogue

__all__ = ["app", "industry", "region"]

app = typer.Typer(
    help="查询参考数据：国民经济行业分类（GB/T 4754-2017）与行政区划代码（GB/T 2260）。",
    no_args_is_help=True,
)

_TABLE_WIDTH = 100


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="输出格式：table（表格，默认）或 json。"),
]


def _render(title: str, rows: list[tuple[str, str]]) -> str:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("项目", style="bold", no_wrap=True)
    table.add_column("内容")
    for label, value in rows:
        table.add_row(label, value)
    buffer = io.StringIO()
    Console(file=buffer, width=_TABLE_WIDTH, color_system=None).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").splitlines())


def _industry_payload(item: Industry, ancestors: list[Industry]) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "level": item.level,
        "level_name": item.level_name,
        "parent": item.parent,
        "ancestors": [
            {"code": entry.code, "name": entry.name, "level": entry.level} for entry in ancestors
        ],
        "tags": list(item.tags),
        "partial_tags": list(item.partial_tags),
    }


@app.command("industry")
@exits_on_error
def industry(
    code: Annotated[
        str, typer.Argument(help="行业代码：门类字母或 2/3/4 位数字，如 C、39、391、3911。")
    ],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """显示一个国民经济行业（GB/T 4754-2017）：名称、层级、上级链和产业标签。"""
    catalogue = industry_catalogue()
    item = catalogue.get(code)
    ancestors = catalogue.ancestors(item.code)
    if output_format is OutputFormat.json:
        emit_json(_industry_payload(item, ancestors))
        return
    chain = " → ".join(f"{entry.code} {entry.name}" for entry in ancestors) or "（无，本身是门类）"
    tags = "、".join(
        f"{tag}（部分）" if tag in item.partial_tags else tag for tag in item.tags
    ) or ("（无）" if item.level == "class" else "（标签只标注在小类上）")
    rows = [
        ("代码", item.code),
        ("名称", item.name),
        ("层级", f"{item.level_name}（{item.level}）"),
        ("上级", chain),
        ("标签", tags),
    ]
    typer.echo(_render(f"GB/T 4754-2017 行业 {item.code} {item.name}", rows))


def _region_payload(item: Region, ancestors: list[Region], full_name: str) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "level": item.level,
        "level_name": item.level_name,
        "parent": item.parent,
        "province_code": item.province_code,
        "ancestors": [
            {"code": entry.code, "name": entry.name, "level": entry.level} for entry in ancestors
        ],
        "full_name": full_name,
    }


@app.command("region")
@exits_on_error
def region(
    code: Annotated[
        str, typer.Argument(help="区划代码：6 位数字（也接受 2 位省级、4 位地级代码）。")
    ],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """显示一个行政区划（GB/T 2260）：名称、层级、上级链和全称。"""
    catalogue = region_catalogue()
    item = catalogue.get(code)
    ancestors = catalogue.ancestors(item.code)
    full_name = catalogue.full_name(item.code)
    if output_format is OutputFormat.json:
        emit_json(_region_payload(item, ancestors, full_name))
        return
    chain = " → ".join(f"{entry.code} {entry.name}" for entry in ancestors) or "（无，本身是省级）"
    rows = [
        ("代码", item.code),
        ("名称", item.name),
        ("层级", f"{item.level_name}（{item.level}）"),
        ("上级", chain),
        ("全称", full_name),
    ]
    typer.echo(_render(f"GB/T 2260 区划 {item.code} {item.name}", rows))
