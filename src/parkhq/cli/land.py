"""``parkhq land …``: 亩均效益综合评价 from a file, with a shipped preset or a rule-set YAML.

``parkhq land score (--preset NAME | --rules FILE) --input FILE --out FILE [--quota A,B,C,D]
[--reference FILE]``
reads one row per firm (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030, or .xlsx; Chinese headers
such as 统一社会信用代码, 用地面积(亩), 税收(万元) … or the English column names), scores, ranks
and grades every firm (:func:`parkhq.analysis.land.score`) and writes the result (.csv with a
BOM, or .xlsx). ``--quota 20,45,30,5`` replaces the rule set's grading by these A/B/C/D shares
within each group; they must add up to 100. ``--reference`` gives the data derived benchmarks
(e.g. 淮安's 2 × previous-year average) are computed from; by default the input itself.
``parkhq land list`` lists the presets and their sources.

``parkhq land run create --year 2025 --preset huangyan-2023 --scope 331003`` evaluates the firms
of an area stored in the database and keeps the run as a draft (see ``docs/land-efficiency.md``);
``parkhq land run list`` lists the stored runs.

Any problem (unknown preset, bad rule file, missing column, non-numeric value, duplicate
统一社会信用代码, bad --quota) exits with code 2 and a Chinese message.
"""

from __future__ import annotations

import io
import re
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from parkhq.analysis.land import (
    INPUT_HEADERS,
    TEXT_COLUMNS,
    grade_counts,
    numeric_columns,
    resolve_benchmarks,
    score,
)
from parkhq.cli.common import database, exits_on_error
from parkhq.errors import InvalidInput
from parkhq.reference.land_rules import (
    RuleSet,
    list_presets,
    list_quota_presets,
    load_preset,
    rule_set_from_yaml,
)
from parkhq.services import land as land_service
from parkhq.services import land_runs
from parkhq.services.access import Principal, system_principal
from parkhq.store.db import Database

__all__ = ["app", "parse_quota", "read_land_input", "write_land_output"]

app = typer.Typer(help="亩均效益综合评价：按规则集给企业打分、排名、分档", no_args_is_help=True)

_QUOTA_GRADES = ("A", "B", "C", "D")
_HEADER_ALIASES = {"是否规上": "above_scale", "above_scale": "above_scale"}
_NUMBER = re.compile(r"^\s*[-+]?(\d[\d,]*)?(\.\d+)?([eE][-+]?\d+)?\s*$")


def _normalise_header(header: str) -> str:
    text = header.strip().replace("（", "(").replace("）", ")").replace(" ", "")
    if text in INPUT_HEADERS:
        return INPUT_HEADERS[text]
    return _HEADER_ALIASES.get(text, header.strip())


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"无法识别文件 {path.name} 的编码：应为 UTF-8、UTF-8 BOM 或 GBK/GB18030")


def _read_raw(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise InvalidInput(f"找不到输入文件：{path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text = _decode(path.read_bytes(), path)
            return pl.read_csv(io.StringIO(text), infer_schema=False)
        if suffix in (".xlsx", ".xlsm"):
            frame = pl.read_excel(path, infer_schema_length=0)
            assert isinstance(frame, pl.DataFrame)
            return frame
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise InvalidInput(f"无法读取 {path.name}：{exc}") from exc
    raise InvalidInput(f"不支持的输入文件类型 {suffix or '（无扩展名）'}：应为 .csv 或 .xlsx")


def _to_number(frame: pl.DataFrame, column: str) -> pl.Expr:
    text = pl.col(column).cast(pl.String).str.strip_chars()
    bad = frame.select(
        pl.int_range(pl.len()).filter(
            text.is_not_null() & (text != "") & ~text.str.contains(_NUMBER.pattern)
        )
    ).to_series()
    if bad.len():
        row = int(bad[0])
        value = frame.get_column(column)[row]
        raise InvalidInput(
            f"第 {row + 2} 行“{column}”的值 {value!r} 不是数值",
            detail={"column": column, "row": row + 2, "value": value},
        )
    return (
        pl.when(text == "")
        .then(None)
        .otherwise(text.str.replace_all(",", "", literal=True))
        .cast(pl.Float64)
        .alias(column)
    )


def read_land_input(path: Path, rules: RuleSet) -> pl.DataFrame:
    """Read a firm table for ``rules``: Chinese or English headers, text kept as text.

    Known numeric columns and those the rule set computes with become Float64 (thousands
    separators allowed, empty cells null); 统一社会信用代码 and other text columns stay strings.
    A ``是否规上`` (是/否) column fills ``scale`` (规上/规下) when ``scale`` is absent.
    """
    raw = _read_raw(path)
    renamed = raw.rename({c: _normalise_header(c) for c in raw.columns})
    duplicated = sorted({c for c in renamed.columns if renamed.columns.count(c) > 1})
    if duplicated:
        raise InvalidInput(f"表头重复：{'、'.join(duplicated)}")
    if "scale" not in renamed.columns and "above_scale" in renamed.columns:
        flag = pl.col("above_scale").cast(pl.String).str.strip_chars()
        renamed = renamed.with_columns(
            pl.when(flag == "是")
            .then(pl.lit("规上"))
            .when(flag == "否")
            .then(pl.lit("规下"))
            .alias("scale")
        )
    wanted = set(INPUT_HEADERS.values()) - TEXT_COLUMNS | set(numeric_columns(rules))
    numeric = [c for c in renamed.columns if c in wanted]
    text = [c for c in renamed.columns if c in TEXT_COLUMNS]
    return renamed.with_columns(
        *[_to_number(renamed, c) for c in numeric],
        *[pl.col(c).cast(pl.String).str.strip_chars() for c in text],
    )


def write_land_output(result: pl.DataFrame, path: Path) -> None:
    """Write a score result as .csv (UTF-8 with BOM, for Excel) or .xlsx."""
    plain = result.with_columns(pl.col(pl.Enum).cast(pl.String))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        plain.write_csv(path, include_bom=True)
    elif suffix == ".xlsx":
        plain.write_excel(path, worksheet="亩均效益评价", autofit=True)
    else:
        raise InvalidInput(f"不支持的输出文件类型 {suffix or '（无扩展名）'}：应为 .csv 或 .xlsx")


def parse_quota(text: str) -> dict[str, float]:
    """``"20,45,30,5"`` → ``{"A": 20, "B": 45, "C": 30, "D": 5}``; the shares must sum to 100."""
    parts = [p.strip() for p in re.split(r"[,，]", text)]
    if len(parts) != len(_QUOTA_GRADES):
        raise InvalidInput(f"--quota 须为 4 个百分比 A,B,C,D（如 20,45,30,5），实际为 {text!r}")
    shares: list[Fraction] = []
    for part in parts:
        try:
            share = Fraction(part)
        except (ValueError, ZeroDivisionError) as exc:
            raise InvalidInput(f"--quota 中的 {part!r} 不是数值") from exc
        if share < 0:
            raise InvalidInput(f"--quota 中的比例不能为负：{part}")
        shares.append(share)
    total = sum(shares, Fraction(0))
    if total != 100:
        raise InvalidInput(
            f"--quota 各档比例之和须为 100，现为 {float(total):g}（{'+'.join(parts)}）"
        )
    return {g: float(s) for g, s in zip(_QUOTA_GRADES, shares, strict=True)}


def _rule_set(preset: str | None, rules: Path | None) -> RuleSet:
    if (preset is None) == (rules is None):
        raise InvalidInput("请用 --preset NAME 或 --rules FILE 指定规则集（二者选一）")
    if preset is not None:
        return load_preset(preset)
    assert rules is not None
    if not rules.is_file():
        raise InvalidInput(f"找不到规则集文件：{rules}")
    return rule_set_from_yaml(rules.read_text(encoding="utf-8"), rules.name)


@app.command("score")
@exits_on_error
def score_command(
    input_path: Annotated[
        Path, typer.Option("--input", "-i", help="企业数据 .csv 或 .xlsx（中文或英文表头）")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="结果文件 .csv 或 .xlsx")],
    preset: Annotated[
        str | None, typer.Option("--preset", "-p", help="内置规则集，见 parkhq land list")
    ] = None,
    rules: Annotated[Path | None, typer.Option("--rules", "-r", help="规则集 YAML 文件")] = None,
    quota: Annotated[
        str | None, typer.Option("--quota", help="各组内 A,B,C,D 比例（%），如 20,45,30,5")
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option("--reference", help="计算派生基准值所用的数据（如上年度），默认用本次输入"),
    ] = None,
) -> None:
    """按规则集对企业打分、组内排名并分档，写出结果与说明。"""
    rule_set = _rule_set(preset, rules)
    if quota is not None:
        rule_set = rule_set.with_quota(parse_quota(quota), preset="--quota")
    frame = read_land_input(input_path, rule_set)
    base = None if reference is None else read_land_input(reference, rule_set)
    if rule_set.has_derived_benchmarks():
        rule_set = resolve_benchmarks(frame if base is None else base, rule_set)
        typer.echo(rule_set.notes[-1])
    result = score(frame, rule_set)
    write_land_output(result, out)
    typer.echo(f"规则集：{rule_set.title}（{rule_set.name} {rule_set.version}）")
    typer.echo(f"已评价 {result.height} 家企业，结果已写入 {out}")
    counts = grade_counts(result).with_columns(pl.col(pl.Enum).cast(pl.String))
    for segment, grade, firms in counts.select("segment", "grade", "firms").iter_rows():
        typer.echo(f"  {segment or '未分组'} {grade}：{firms} 家")


@app.command("list")
def list_command() -> None:
    """列出内置规则集与分档比例预设及其来源。"""
    typer.echo("规则集：")
    for info in list_presets():
        typer.echo(f"  {info.name}  {info.title}（版本 {info.version}，自 {info.valid_from} 起）")
        typer.echo(f"      来源：{info.source_title} {info.source_url}")
    typer.echo("分档比例：")
    for info in list_quota_presets():
        typer.echo(f"  {info.name}  {info.title}")
        typer.echo(f"      来源：{info.source_title} {info.source_url}")


run_app = typer.Typer(help="数据库中的亩均评价：发起、查看", no_args_is_help=True)
app.add_typer(run_app, name="run")


def _stored_rule_set(
    db: Database, principal: Principal, preset: str | None, rule_set_id: int | None
) -> int:
    if (preset is None) == (rule_set_id is None):
        raise InvalidInput("请用 --preset NAME 或 --rule-set-id N 指定规则集（二者选一）")
    if rule_set_id is not None:
        return rule_set_id
    for row in land_service.list_rule_sets(db, principal):
        if row.is_preset and row.name == preset:
            return row.id
    names = "、".join(i.name for i in list_presets())
    raise InvalidInput(f"没有名为 {preset!r} 的规则集预设；可选：{names}")


@run_app.command("create")
@exits_on_error
def run_create(
    year: Annotated[int, typer.Option("--year", help="评价年度，如 2025")],
    scope: Annotated[str, typer.Option("--scope", help="评价范围：省/市/县区代码或园区代码")],
    preset: Annotated[str | None, typer.Option("--preset", "-p", help="内置规则集")] = None,
    rule_set_id: Annotated[
        int | None, typer.Option("--rule-set-id", help="已保存的规则集版本编号")
    ] = None,
    title: Annotated[str, typer.Option("--title", help="评价标题")] = "",
    exempt_new_firms: Annotated[
        bool, typer.Option("--exempt-new-firms", help="成立不满 2 年的企业记为不定等级")
    ] = False,
) -> None:
    """对一个范围内的企业按规则集评价，保存为草稿（输入、规则集与结果一并冻结）。"""
    principal = system_principal("cli")
    with database() as db:
        stored = _stored_rule_set(db, principal, preset, rule_set_id)
        run_id = land_service.create_run(
            db,
            principal,
            year=year,
            rule_set_id=stored,
            scope_code=scope,
            title=title,
            exempt_new_firms=exempt_new_firms,
        )
        detail = land_runs.get_run(db, principal, run_id)
    typer.echo(f"已生成评价 {detail.id}：{detail.title}（{detail.firm_count} 家企业，草稿）")
    typer.echo(f"规则集：{detail.rule_set}；内容哈希：{detail.content_hash}")
    for count in detail.counts:
        typer.echo(f"  {count.segment} {count.grade}：{count.firms} 家")


@run_app.command("list")
@exits_on_error
def run_list(
    year: Annotated[int | None, typer.Option("--year", help="只列出该年度")] = None,
) -> None:
    """列出已保存的评价。"""
    with database() as db:
        page = land_runs.list_runs(db, system_principal("cli"), year=year, limit=500)
    if not page.items:
        typer.echo("暂无评价。")
    for run in page.items:
        typer.echo(
            f"{run.id}\t{run.year}\t{run.scope_code}\t{run.status_label}\t第 {run.version} 版\t"
            f"{run.firm_count} 家\t{run.title}"
        )
