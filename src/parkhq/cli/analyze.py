"""``parkhq analyze …``: analyses run on a file, results written as CSV.

``parkhq analyze complexity INPUT.csv --location COL --activity COL --value COL --out DIR``
reads a long location × activity table (CSV, UTF-8 with or without BOM, or GBK/GB18030), runs
:func:`parkhq.analysis.complexity.complexity` and writes ``locations.csv``, ``activities.csv``,
``cells.csv`` and ``proximity.csv`` (UTF-8) into DIR. Location and activity columns are read as
text, so codes such as ``0111`` keep their leading zeros. A missing file or column, or a value
that is not a non-negative number, exits with code 2 and a Chinese message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from parkhq.analysis.complexity import ComplexityConfig, ComplexityResult, complexity
from parkhq.cli.common import exits_on_error
from parkhq.errors import InvalidInput

__all__ = ["app", "read_table"]

app = typer.Typer(help="分析：产业关联与经济复杂度等（读文件，结果写 CSV）", no_args_is_help=True)

_ENCODINGS = ("utf-8-sig", "gb18030")
_SHOWN = 5


@app.callback()
def analyze() -> None:
    """对文件中的数据运行分析，结果写为 CSV。"""


def _decode(path: Path) -> str:
    if not path.is_file():
        raise InvalidInput(f"找不到输入文件：{path}", detail={"path": str(path)})
    data = path.read_bytes()
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        f"无法读取 {path.name}：文件应为 UTF-8（可带 BOM）或 GBK 编码的 CSV",
        detail={"path": str(path)},
    )


def read_table(path: Path, *, location: str, activity: str, value: str) -> pl.DataFrame:
    """Read the three named columns of a CSV file: codes as text, ``value`` as Float64.

    Raises :class:`InvalidInput` for an unreadable file, a missing column or a value that is
    not a number (blank cells stay null; the analysis then names them).
    """
    text = _decode(path)
    try:
        raw = pl.read_csv(text.encode("utf-8"), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise InvalidInput(
            f"无法按 CSV 解析 {path.name}：{exc}", detail={"path": str(path)}
        ) from exc
    for column, role in ((location, "地区"), (activity, "产业"), (value, "数值")):
        if column not in raw.columns:
            raise InvalidInput(
                f"{path.name} 缺少{role}列“{column}”；现有列：{'、'.join(raw.columns)}",
                detail={"field": column, "columns": raw.columns},
            )
    cleaned = pl.col(value).str.strip_chars()
    table = raw.select(
        pl.col(location),
        pl.col(activity),
        cleaned.cast(pl.Float64, strict=False).alias(value),
        cleaned.alias("_text"),
    )
    bad = table.with_row_index("_row", offset=2).filter(
        pl.col(value).is_null() & pl.col("_text").is_not_null() & (pl.col("_text") != "")
    )
    if bad.height:
        examples = "；".join(
            f"第 {row} 行“{text_value}”"
            for row, text_value in bad.head(_SHOWN).select("_row", "_text").iter_rows()
        )
        raise InvalidInput(
            f"数值列“{value}”有 {bad.height} 个值不是数字（{examples}）；"
            "应为不带千分位逗号和单位的数字，如 1234.5",
            detail={"field": value, "rows": bad.head(_SHOWN)["_row"].to_list()},
        )
    return table.drop("_text")


def _write(result: ComplexityResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    frames = {
        "locations.csv": result.locations,
        "activities.csv": result.activities,
        "cells.csv": result.cells,
        "proximity.csv": result.proximity,
    }
    written = []
    for name, frame in frames.items():
        target = out / name
        frame.write_csv(target)
        written.append(target)
    return written


@app.command("complexity")
@exits_on_error
def complexity_command(
    input_file: Annotated[
        Path, typer.Argument(metavar="INPUT.csv", help="输入 CSV：每行一个（地区, 产业, 数值）")
    ],
    location: Annotated[str, typer.Option("--location", help="地区（园区/国家）代码列名")],
    activity: Annotated[str, typer.Option("--activity", help="产业（行业/产品）代码列名")],
    value: Annotated[str, typer.Option("--value", help="数值列名（非负，全表同一单位）")],
    out: Annotated[Path, typer.Option("--out", help="结果目录（不存在则创建）")],
    rca_threshold: Annotated[
        float, typer.Option("--rca-threshold", help="RCA ≥ 该值视为具有比较优势（默认 1）")
    ] = 1.0,
) -> None:
    """计算区位熵（RCA）、产业邻近度、关联密度、经济复杂度（ECI/PCI）与复杂度前景（COI/COG）。"""
    table = read_table(input_file, location=location, activity=activity, value=value)
    result = complexity(
        table,
        location=location,
        activity=activity,
        value=value,
        config=ComplexityConfig(rca_threshold=rca_threshold),
    )
    written = _write(result, out)
    analysed = result.locations.filter(pl.col("eci").is_not_null()).height
    typer.echo(
        f"已分析 {result.locations.height} 个地区 × {result.activities.height} 个产业"
        f"（其中 {analysed} 个地区有 ECI），RCA 阈值 {rca_threshold:g}"
    )
    typer.echo(f"结果已写入 {out}：" + "、".join(path.name for path in written))
