"""``parkhq demo``: generate deterministic demo data (a province, or the national benchmark set).

Thin: parse, call :mod:`parkhq.demo`, report what was written.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from parkhq.cli.common import exits_on_error
from parkhq.demo import generate, write_national
from parkhq.demo.export import WORKBOOK_NAME, write_frames, write_workbook

__all__ = ["app"]

app = typer.Typer(
    help="演示数据：生成确定性的演示省份数据或全国规模的基准数据。", no_args_is_help=True
)


class Scale(StrEnum):
    province = "province"
    national = "national"


class Format(StrEnum):
    parquet = "parquet"
    csv = "csv"
    xlsx = "xlsx"


@app.callback()
def _group() -> None:
    """演示数据。"""


def _national(
    out: Path, seed: int, file_format: Format, size: tuple[int, int], months: int, end_period: str
) -> None:
    if file_format is Format.xlsx:
        typer.echo(
            "错误：全国规模约 900 万行月报，超出 Excel 单表上限，请用 parquet 或 csv", err=True
        )
        raise typer.Exit(2)
    files = write_national(
        out, seed, parks=size[0], enterprises=size[1], months=months, end_period=end_period
    )
    for name, path in files.paths.items():
        if file_format is Format.csv:
            target = path.with_suffix(".csv")
            frame = pl.scan_parquet(path)
            if name == "park_design":
                frame = frame.with_columns(pl.col(pl.List(pl.String)).list.join("、"))
            frame.sink_csv(target, include_bom=True)
            path.unlink()
            path = target
        typer.echo(f"  {path}（{files.rows[name]:,} 行）")


@app.command("generate")
@exits_on_error
def generate_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="输出目录（不存在则创建）")],
    scale: Annotated[Scale, typer.Option(help="规模：province 演示省份；national 全国基准")] = (
        Scale.province
    ),
    seed: Annotated[int, typer.Option(help="随机种子：同一种子生成完全相同的数据")] = 42,
    file_format: Annotated[
        Format,
        typer.Option(
            "--format",
            help="文件格式：parquet、csv（UTF-8 带 BOM）或 xlsx（仅导入工作簿）",
        ),
    ] = Format.parquet,
    province: Annotated[
        str, typer.Option(help="演示省份的 6 位区划代码（仅 province 规模）")
    ] = "330000",
    months: Annotated[int, typer.Option(help="月报月份数")] = 36,
    end_period: Annotated[str, typer.Option(help="最后一个报告期 YYYY-MM")] = "2026-10",
    parks: Annotated[int, typer.Option(help="园区数（仅 national 规模）")] = 3_000,
    enterprises: Annotated[int, typer.Option(help="企业数（仅 national 规模）")] = 1_000_000,
    workbook_months: Annotated[
        int,
        typer.Option(help="导入工作簿的企业月报只保留最近几个月（0 表示全部，写入较慢）"),
    ] = 12,
) -> None:
    """生成演示数据并写入文件。

    province 规模另写一个导入工作簿（演示数据.xlsx：园区名录、企业名录、用地、企业月报，中文表头），
    可直接走与用户文件相同的导入流程。
    """
    started = time.perf_counter()
    typer.echo(
        f"正在生成{'演示省份' if scale is Scale.province else '全国规模'}数据（种子 {seed}）…"
    )
    if scale is Scale.national:
        _national(out, seed, file_format, (parks, enterprises), months, end_period)
    else:
        data = generate(
            "province", seed, province_code=province, months=months, end_period=end_period
        )
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        if file_format is not Format.xlsx:
            written = write_frames(data, out, "parquet" if file_format is Format.parquet else "csv")
        written.append(write_workbook(data, out / WORKBOOK_NAME, months=workbook_months or None))
        for path in written:
            typer.echo(f"  {path}")
        typer.echo(
            f"园区 {data.parks.height} 个，企业 {data.enterprises.height:,} 家，"
            f"月报 {data.monthly.height:,} 行，地块 {data.parcels.height:,} 块，"
            f"注入异常 {data.anomalies.height} 条"
        )
    typer.echo(f"完成，用时 {time.perf_counter() - started:.1f} 秒，输出目录：{out}")


@app.command("load")
@exits_on_error
def load_command(
    seed: Annotated[int, typer.Option(help="随机种子：同一种子生成完全相同的数据")] = 42,
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            exists=True,
            file_okay=False,
            help="改为载入 parkhq demo generate 写出的 Parquet 目录（如全国规模数据）",
        ),
    ] = None,
) -> None:
    """载入演示数据（经由与文件导入相同的写入路径；可重复执行）。"""
    from parkhq.cli.common import database
    from parkhq.services.access import system_principal
    from parkhq.services.demo import ensure_demo_evaluation, load_demo, load_generated

    started = time.perf_counter()
    echo = lambda m: typer.echo(m, err=True)  # noqa: E731
    with database() as db:
        if source is None:
            counts = load_demo(db, system_principal("demo"), seed=seed, progress=echo)
        else:
            counts = load_generated(db, system_principal("demo"), source, progress=echo)
        run_id = ensure_demo_evaluation(db, system_principal("demo")) if source is None else None
    for kind, (new, changed, same) in counts.items():
        typer.echo(f"  {kind}: 新增 {new:,}，更新 {changed:,}，未变 {same:,}")
    if run_id is not None:
        typer.echo(f"  亩均评价：已生成演示评价（编号 {run_id}，草稿）")
    typer.echo(f"演示数据已载入（{time.perf_counter() - started:.1f} 秒）")


@app.command("users")
@exits_on_error
def users_command() -> None:
    """创建（如尚无）并列出演示登录：每个角色一个账号。"""
    from parkhq.cli.common import database
    from parkhq.services.access import system_principal
    from parkhq.services.demo import DEMO_PASSWORD, ensure_demo_users

    with database() as db:
        logins = ensure_demo_users(db, system_principal("demo"))
    typer.echo(f"演示登录（密码均为 {DEMO_PASSWORD}）：")
    for login in logins:
        typer.echo(f"  {login.username:<10} {login.role_name:<8} 范围：{login.scope}")
    typer.echo("打开 http://127.0.0.1:8000 登录。")
