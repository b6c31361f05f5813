"""``parkhq analyze complexity INPUT.csv --location … --activity … --value … --out DIR``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import Result
from typer.testing import CliRunner

from parkhq.analysis.complexity import complexity
from parkhq.cli.analyze import app

runner = CliRunner()

SPAIN = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "datawheel_spain_subnational_exports_2022_hs_sections.csv"
)
OUTPUTS = ("locations.csv", "activities.csv", "cells.csv", "proximity.csv")

#: 3 parks × 3 GB/T 4754 classes (工业总产值, 万元); codes with leading zeros.
PARKS_CSV = """园区代码,行业代码,工业总产值
S3301,0111,10
S3302,0111,5
S3302,1311,5
S3303,1311,5
S3303,2511,5
"""


def write(tmp_path: Path, text: str, name: str = "input.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def invoke(input_file: Path, out: Path, *extra: str, value: str = "工业总产值") -> Result:
    return runner.invoke(
        app,
        [
            "complexity",
            str(input_file),
            "--location",
            "园区代码",
            "--activity",
            "行业代码",
            "--value",
            value,
            "--out",
            str(out),
            *extra,
        ],
    )


def read_text(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def test_complexity_writes_four_utf8_csv_files_and_keeps_leading_zeros(tmp_path: Path) -> None:
    out = tmp_path / "result"
    result = invoke(write(tmp_path, PARKS_CSV), out)
    assert result.exit_code == 0, result.output
    assert "3 个地区 × 3 个产业" in result.output
    for name in OUTPUTS:
        (out / name).read_bytes().decode("utf-8")
    activities = read_text(out / "activities.csv")
    assert activities["activity"].to_list() == ["0111", "1311", "2511"]
    cells = read_text(out / "cells.csv")
    assert cells.columns == ["location", "activity", "value", "rca", "m", "density", "cog"]
    # Hand computation: S3301 makes only 0111 (10 of its 10), 0111 is 15 of 30 → RCA 2.
    row = cells.filter((pl.col("location") == "S3301") & (pl.col("activity") == "0111"))
    assert float(row["rca"][0]) == pytest.approx(2.0)
    assert row["m"][0] == "1"
    proximity = read_text(out / "proximity.csv")
    assert proximity.columns == ["activity_1", "activity_2", "proximity"]
    pair = proximity.filter((pl.col("activity_1") == "0111") & (pl.col("activity_2") == "1311"))
    assert float(pair["proximity"][0]) == pytest.approx(0.5)


def test_complexity_files_hold_the_numbers_of_the_analysis(tmp_path: Path) -> None:
    out = tmp_path / "spain"
    result = runner.invoke(
        app,
        [
            "complexity",
            str(SPAIN),
            "--location",
            "Subnat Geography ID",
            "--activity",
            "Section ID",
            "--value",
            "Trade Value",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    expected = complexity(
        pl.read_csv(
            SPAIN, schema_overrides={"Subnat Geography ID": pl.String, "Section ID": pl.String}
        ),
        location="Subnat Geography ID",
        activity="Section ID",
        value="Trade Value",
    )
    locations = pl.read_csv(out / "locations.csv", schema_overrides={"location": pl.String})
    assert locations.equals(expected.locations)
    cells = pl.read_csv(
        out / "cells.csv",
        schema_overrides={"location": pl.String, "activity": pl.String, "m": pl.Int8},
    )
    assert cells.equals(expected.cells)


def test_utf8_with_bom_and_gbk_inputs_are_read(tmp_path: Path) -> None:
    for encoding in ("utf-8-sig", "gb18030"):
        out = tmp_path / encoding
        result = invoke(write(tmp_path, PARKS_CSV, f"{encoding}.csv", encoding), out)
        assert result.exit_code == 0, result.output
        assert read_text(out / "locations.csv").height == 3


def test_rca_threshold_option_changes_presence(tmp_path: Path) -> None:
    out = tmp_path / "strict"
    result = invoke(write(tmp_path, PARKS_CSV), out, "--rca-threshold", "1.2")
    assert result.exit_code == 0, result.output
    cells = read_text(out / "cells.csv")
    # S3302-0111 has RCA exactly 1: present at threshold 1, absent at 1.2.
    row = cells.filter((pl.col("location") == "S3302") & (pl.col("activity") == "0111"))
    assert row["m"][0] == "0"


def test_missing_column_exits_2_with_chinese_message(tmp_path: Path) -> None:
    result = invoke(write(tmp_path, PARKS_CSV), tmp_path / "out", value="产值")
    assert result.exit_code == 2
    assert "缺少数值列“产值”" in result.output
    assert not (tmp_path / "out").exists()


def test_non_numeric_value_exits_2_naming_the_line(tmp_path: Path) -> None:
    text = PARKS_CSV.replace("S3302,1311,5", "S3302,1311,五万")
    result = invoke(write(tmp_path, text), tmp_path / "out")
    assert result.exit_code == 2
    assert "不是数字" in result.output
    assert "第 4 行“五万”" in result.output


def test_blank_value_exits_2(tmp_path: Path) -> None:
    text = PARKS_CSV.replace("S3302,1311,5", "S3302,1311,")
    result = invoke(write(tmp_path, text), tmp_path / "out")
    assert result.exit_code == 2
    assert "为空" in result.output


def test_negative_value_exits_2(tmp_path: Path) -> None:
    text = PARKS_CSV.replace("S3302,1311,5", "S3302,1311,-5")
    result = invoke(write(tmp_path, text), tmp_path / "out")
    assert result.exit_code == 2
    assert "为负数" in result.output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = invoke(tmp_path / "nowhere.csv", tmp_path / "out")
    assert result.exit_code == 2
    assert "找不到输入文件" in result.output


def test_file_that_is_neither_utf8_nor_gbk_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x30\x81")
    result = invoke(path, tmp_path / "out")
    assert result.exit_code == 2
    assert "UTF-8" in result.output
