"""``parkhq template``: export the blank import templates (.xlsx)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parkhq.errors import InvalidInput
from parkhq.ingest.formats import FORMATS, get_format
from parkhq.ingest.templates import template_filename, template_xlsx

__all__ = ["app"]

app = typer.Typer(help="导入模板：导出企业月报、企业名录、园区名录、用地的 Excel 模板。")


@app.callback()
def _group() -> None:
    """导入模板。"""


@app.command("export")
def export(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="输出文件（.xlsx）；默认为当前目录下的模板文件名"),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            "-k",
            help="数据类型：monthly_report、enterprise_registry、park_registry、land_parcels"
            "（或中文名）；不填则导出含全部四张表的工作簿",
        ),
    ] = None,
) -> None:
    """导出导入模板（含表头说明、下拉选项、文本格式的代码列）。"""
    try:
        canonical = get_format(kind).kind if kind is not None else None
    except InvalidInput as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(code=2) from exc
    target = out or Path(template_filename(canonical))
    if target.suffix.lower() != ".xlsx":
        typer.echo(f"输出文件应以 .xlsx 结尾：{target}", err=True)
        raise typer.Exit(code=2)
    try:
        target.write_bytes(template_xlsx(canonical))
    except OSError as exc:
        typer.echo(f"无法写入「{target}」：{exc.strerror}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"已导出模板：{target}")


@app.command("list")
def list_formats() -> None:
    """列出可导入的数据类型及其字段。"""
    for fmt in FORMATS.values():
        key = "+".join(fmt.field(n).header for n in fmt.key)
        typer.echo(f"{fmt.kind}\t{fmt.title}\t{len(fmt.fields)} 列，唯一键：{key}")
