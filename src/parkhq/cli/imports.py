"""``parkhq import FILE`` and ``parkhq imports list|undo``: data intake from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from parkhq.cli.common import OutputFormat, database, emit_json, exits_on_error
from parkhq.ingest.formats import FORMATS
from parkhq.services import imports
from parkhq.services.access import system_principal

__all__ = ["app", "import_command"]

app = typer.Typer(help="导入历史与撤销", no_args_is_help=True)
EXIT_REJECTED = 1


def _print_outcome(outcome: imports.ImportOutcome) -> None:
    console = Console()
    console.print(f"[bold]{outcome.message}[/bold]")
    for sheet in outcome.sheets:
        report = sheet.report
        console.print(report.get("summary", ""))
        problems = report.get("problems", [])
        if not problems:
            continue
        table = Table(show_lines=False)
        for col in ("代码", "级别", "工作表", "行", "列", "值", "说明"):
            table.add_column(col)
        for p in problems[:200]:
            table.add_row(
                p["code"],
                "错误" if p["severity"] == "error" else "警告",
                p.get("sheet") or "",
                str(p.get("row") or ""),
                f"{p.get('column_letter') or ''} {p.get('column') or ''}".strip(),
                str(p.get("value") or ""),
                p["message"],
            )
        console.print(table)
        omitted = len(problems) - 200 + int(report.get("problems_omitted", 0))
        if omitted > 0:
            console.print(f"……另有 {omitted} 个问题未列出（用 --format json 查看全部已列问题）")


@exits_on_error
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="xlsx 或 csv 文件")],
    kind: Annotated[
        str | None,
        typer.Option(help="数据类型：" + "、".join(f"{k}={f.title}" for k, f in FORMATS.items())),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验，不写入")] = False,
    format: Annotated[OutputFormat, typer.Option("--format", help="json 或 table")] = (
        OutputFormat.table
    ),
) -> None:
    """导入企业月报、企业名录、园区名录或用地（xlsx / csv，GBK 或 UTF-8）；全部通过才写入。"""
    data = file.read_bytes()
    with (
        database() as db,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("开始", total=None)

        def progress(message: str) -> None:
            bar.update(task, description=message)
            Console(stderr=True).print(message)

        outcome = imports.import_file(
            db,
            system_principal("cli"),
            data,
            file.name,
            kind=kind,
            dry_run=dry_run,
            progress=progress,
        )
    if format is OutputFormat.json:
        emit_json(outcome)
    else:
        _print_outcome(outcome)
    if outcome.status == "rejected":
        raise typer.Exit(EXIT_REJECTED)


@app.command("list")
@exits_on_error
def list_command(
    limit: Annotated[int, typer.Option(help="显示条数")] = 20,
    format: Annotated[OutputFormat, typer.Option("--format", help="json 或 table")] = (
        OutputFormat.table
    ),
) -> None:
    """导入历史（最近的在前）。"""
    with database() as db:
        total, batches = imports.list_batches(db, system_principal("cli"), limit=limit)
    if format is OutputFormat.json:
        emit_json({"total": total, "items": [b.model_dump(mode="json") for b in batches]})
        return
    table = Table(title=f"导入历史（共 {total} 批）")
    for col in ("批次", "时间", "用户", "类型", "文件", "状态", "新增", "更新", "未变", "错误"):
        table.add_column(col)
    for b in batches:
        table.add_row(
            str(b.id),
            b.created_at.strftime("%Y-%m-%d %H:%M"),
            b.username,
            b.kind_title,
            b.filename,
            b.status,
            str(b.rows_inserted),
            str(b.rows_updated),
            str(b.rows_unchanged),
            str(b.errors),
        )
    Console().print(table)


@app.command("undo")
@exits_on_error
def undo_command(batch_id: Annotated[int, typer.Argument(help="导入批次编号")]) -> None:
    """撤销一次导入（须从同类数据最近的一次开始）。"""
    with database() as db:
        batch = imports.undo_batch(db, system_principal("cli"), batch_id)
    typer.echo(f"已撤销导入批次 {batch.id}（{batch.kind_title}，{batch.filename}）")
