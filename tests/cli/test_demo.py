"""``parkhq demo generate``: files written for the province and a reduced national set."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from openpyxl import load_workbook
from typer.testing import CliRunner

from parkhq.cli.demo import app
from parkhq.ingest.formats import get_format

runner = CliRunner()


def test_province_parquet_files_and_a_workbook_with_chinese_sheets(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["generate", "--out", str(tmp_path), "--seed", "3", "--workbook-months", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "园区 80 个" in result.output
    for name in ("parks", "enterprises", "monthly", "parcels", "anomalies", "park_design"):
        assert (tmp_path / f"{name}.parquet").exists()
    assert pl.read_parquet(tmp_path / "enterprises.parquet").height == 20_000
    workbook = load_workbook(tmp_path / "演示数据.xlsx", read_only=True)
    assert workbook.sheetnames == ["园区名录", "企业名录", "用地", "企业月报"]
    header = next(workbook["企业月报"].iter_rows(max_row=1, values_only=True))
    assert header == tuple(spec.header for spec in get_format("monthly_report").fields)
    workbook.close()


def test_national_csv_at_reduced_size(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "generate",
            "--scale",
            "national",
            "--out",
            str(tmp_path),
            "--format",
            "csv",
            "--parks",
            "30",
            "--enterprises",
            "3000",
            "--seed",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    parks = pl.read_csv(tmp_path / "parks.csv", infer_schema=False)
    assert parks.height == 30
    assert not (tmp_path / "monthly.parquet").exists()
    assert pl.read_csv(tmp_path / "monthly.csv", infer_schema=False).height > 0


def test_national_refuses_xlsx_and_bad_province_gives_a_chinese_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["generate", "--scale", "national", "--out", str(tmp_path), "--format", "xlsx"]
    )
    assert result.exit_code == 2
    assert "Excel" in result.output
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--province", "339999"])
    assert result.exit_code == 2
    assert "省级区划代码" in result.output
