"""``parkhq land``: score a firm file end to end (CSV in three encodings, xlsx, rule files)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from parkhq.cli.land import app

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "land" / "firms_huangyan.csv"
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def read_result(path: Path) -> dict[str, dict[str, object]]:
    if path.suffix == ".xlsx":
        frame = pl.read_excel(path, schema_overrides={"uscc": pl.String})
    else:
        frame = pl.read_csv(path, schema_overrides={"uscc": pl.String, "rank": pl.Int64})
    return {row["uscc"]: row for row in frame.iter_rows(named=True)}


def x1_total() -> float:
    # 台州庚五金厂 (规下): 亩均税收 50/5, 单位用电税收 50/200 → 黄岩 2022 年度规下公式
    return 50 / 5 / 11.5932 * 50 + 50 / 200 / 0.2352 * 50


def test_score_csv_with_chinese_headers_and_bom(tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    code, output = run(
        "score", "--preset", "huangyan-2023", "--input", str(FIXTURE), "--out", str(out)
    )
    assert code == 0, output
    assert "已评价 10 家企业" in output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_result(out)
    assert len(rows) == 10
    assert "913310031234567890" in rows  # an all-digit USCC stays text
    assert rows["91331003MA2AB0C062"]["total"] == pytest.approx(x1_total())
    assert rows["91331003MA2AB0C051"]["grade"] == "不定等级"
    tax_per_mu = rows["91331003MA2AB0C040"]["tax_per_mu_value"]
    assert tax_per_mu == pytest.approx(100.0)  # "1,200" / 12
    explanation = rows["91331003MA2AB0C02Y"]["explanation"]
    assert isinstance(explanation, str) and "单位排放增加值 无数据，按本组平均得分计" in explanation


def test_score_gbk_csv(tmp_path: Path) -> None:
    source = tmp_path / "gbk.csv"
    source.write_bytes(FIXTURE.read_text(encoding="utf-8-sig").encode("gbk"))
    out = tmp_path / "result.csv"
    code, output = run("score", "-p", "huangyan-2023", "-i", str(source), "-o", str(out))
    assert code == 0, output
    assert read_result(out)["91331003MA2AB0C062"]["total"] == pytest.approx(x1_total())


def test_score_xlsx_in_and_out(tmp_path: Path) -> None:
    source = tmp_path / "firms.xlsx"
    pl.read_csv(FIXTURE, infer_schema=False).write_excel(source)
    out = tmp_path / "result.xlsx"
    code, output = run(
        "score", "--preset", "huangyan-2023", "--input", str(source), "--out", str(out)
    )
    assert code == 0, output
    rows = read_result(out)
    assert rows["91331003MA2AB0C062"]["total"] == pytest.approx(x1_total())
    assert rows["913310031234567890"]["segment"] == "规上"


def test_score_accepts_english_headers(tmp_path: Path) -> None:
    english = {
        "统一社会信用代码": "uscc",
        "企业名称": "name",
        "规模": "scale",
        "用地面积(亩)": "land_mu",
        "税收(万元)": "tax",
        "用电量(万千瓦时)": "electricity",
    }
    frame = pl.read_csv(FIXTURE, infer_schema=False).rename(english, strict=False)
    source = tmp_path / "english.csv"
    frame.filter(pl.col("scale") == "规下").select(english.values()).write_csv(source)
    rules = tmp_path / "below.yaml"
    rules.write_text(BELOW_ONLY_RULES, encoding="utf-8")
    out = tmp_path / "out.csv"
    code, output = run("score", "--rules", str(rules), "--input", str(source), "--out", str(out))
    assert code == 0, output
    assert read_result(out)["91331003MA2AB0C062"]["total"] == pytest.approx(x1_total())


BELOW_ONLY_RULES = """
kind: rule_set
name: below-only
title: 规下企业评价（测试）
version: "1"
valid_from: 2024-01-01
source: {title: 黄岩区 2022 年度规下公式}
indicators:
  tax_per_mu: {label: 亩均税收, unit: 万元/亩, numerator: tax, denominator: land_mu}
  tax_per_electricity: {label: 单位用电税收, numerator: tax, denominator: electricity}
segments:
  - key: below
    label: 规下
    when: {column: scale, op: eq, value: 规下}
    method: benchmark_ratio
    items:
      - {indicator: tax_per_mu, weight: 50, benchmark: 11.5932}
      - {indicator: tax_per_electricity, weight: 50, benchmark: 0.2352}
grading: {method: quota, preset: quota-20-45-30-5}
"""


def test_quota_override_applies_within_each_segment(tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    args = ["score", "-p", "huangyan-2023", "-i", str(FIXTURE), "-o", str(out)]
    code, output = run(*args, "--quota", "40,40,20,0")
    assert code == 0, output
    grades = pl.read_csv(out).group_by("segment", "grade").len()
    counts = {(s, g): n for s, g, n in grades.iter_rows()}
    # 规上: 5 graded firms → boundaries 2, 4, 5 ; 规下: 4 graded → 1.6→2, 3.2→3, 4
    assert counts[("规上", "A")] == 2 and counts[("规上", "B")] == 2 and counts[("规上", "C")] == 1
    assert counts[("规下", "A")] == 2 and counts[("规下", "B")] == 1 and counts[("规下", "C")] == 1
    assert counts[("规上", "不定等级")] == 1


def test_quota_that_does_not_sum_to_100_exits_2_in_chinese(tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    code, output = run(
        "score", "-p", "huangyan-2023", "-i", str(FIXTURE), "-o", str(out), "--quota", "20,45,30,4"
    )
    assert code == 2
    assert "各档比例之和须为 100，现为 99" in output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quota", "20,45,35"], "须为 4 个百分比"),
        (["--preset", "nowhere-2020"], "没有名为 'nowhere-2020' 的规则集预设"),
        (["--rules", "/nonexistent/rules.yaml"], "二者选一"),
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    base = ["score", "-i", str(FIXTURE), "-o", str(tmp_path / "out.csv")]
    if "--preset" not in args:
        base += ["--preset", "huangyan-2023"]
    code, output = run(*base, *args)
    assert code == 2
    assert message in output


def test_non_numeric_value_names_row_and_column(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8-sig").replace(",20,200,1000,", ",二十,200,1000,", 1)
    source = tmp_path / "bad.csv"
    source.write_text(text, encoding="utf-8")
    code, output = run(
        "score", "-p", "huangyan-2023", "-i", str(source), "-o", str(tmp_path / "o.csv")
    )
    assert code == 2
    assert "第 3 行“land_mu”的值 '二十' 不是数值" in output


def test_missing_column_and_unsupported_file_type(tmp_path: Path) -> None:
    source = tmp_path / "few.csv"
    source.write_text("统一社会信用代码,企业名称\n1,甲\n", encoding="utf-8")
    code, output = run(
        "score", "-p", "huangyan-2023", "-i", str(source), "-o", str(tmp_path / "o.csv")
    )
    assert code == 2 and "输入缺少列" in output
    code, output = run(
        "score", "-p", "huangyan-2023", "-i", str(FIXTURE), "-o", str(tmp_path / "o.json")
    )
    assert code == 2 and "不支持的输出文件类型 .json" in output


def test_list_shows_presets_with_sources() -> None:
    code, output = run("list")
    assert code == 0
    for name in (
        "huangyan-2023",
        "huangyan-2022",
        "huaian-2024",
        "jingde-2022",
        "quota-20-45-30-5",
    ):
        assert name in output
    assert "https://www.chacewang.com/newsdetail/news430850.html" in output


HUAIAN_HEADER = (
    "统一社会信用代码,企业名称,规模,用地面积(亩),"
    "税收(万元),营业收入(万元),用电量(万千瓦时),行业代码\n"
)


def test_huaian_with_a_previous_year_reference_file(tmp_path: Path) -> None:
    this_year = tmp_path / "2024.csv"
    this_year.write_text(
        HUAIAN_HEADER
        + "H1,甲,规上,10,100,1000,500,3311\n"
        + "H2,乙,规上,30,60,600,100,3311\n"
        + "H3,丙,规上,10,50,500,100,4411\n",
        encoding="utf-8",
    )
    last_year = tmp_path / "2023.csv"
    last_year.write_text(
        HUAIAN_HEADER + "H1,甲,规上,10,80,800,400,3311\nH2,乙,规上,30,40,400,200,3311\n",
        encoding="gbk",
    )
    out = tmp_path / "out.csv"
    code, output = run(
        "score",
        "-p",
        "huaian-2024",
        "-i",
        str(this_year),
        "--reference",
        str(last_year),
        "-o",
        str(out),
    )
    assert code == 0, output
    # 2 × Σ/Σ of 2023: 亩均税收 2×120/40 = 6, 亩均销售收入 2×1200/40 = 60,
    # 单位电耗税收 2×120/600 = 0.4
    assert "基准值已由 2 家企业的数据算出" in output
    rows = read_result(out)
    assert rows["H1"]["total"] == pytest.approx(
        100 / 10 / 6 * 45 + 1000 / 10 / 60 * 35 + 100 / 500 / 0.4 * 20
    )
    assert rows["H3"]["grade"] == "不定等级"  # 电力 (行业代码 44) is T 类
