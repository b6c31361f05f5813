"""``parkhq template``: export the import templates from the command line."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from parkhq.cli.template import app

runner = CliRunner()


def test_export_without_kind_writes_the_workbook_with_all_four_sheets(tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    result = runner.invoke(app, ["export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "已导出模板" in result.output
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["园区名录", "企业名录", "用地", "企业月报", "填表说明"]


def test_export_with_kind_writes_one_format(tmp_path: Path) -> None:
    out = tmp_path / "land.xlsx"
    result = runner.invoke(app, ["export", "--out", str(out), "--kind", "land_parcels"])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames == ["用地", "填表说明"]


def test_export_accepts_the_chinese_kind_name(tmp_path: Path) -> None:
    out = tmp_path / "m.xlsx"
    result = runner.invoke(app, ["export", "-o", str(out), "-k", "企业月报"])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames[0] == "企业月报"


def test_unknown_kind_exits_with_a_chinese_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "x.xlsx"), "--kind", "sales"])
    assert result.exit_code == 2
    assert "未知的数据类型「sales」" in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_output_must_be_xlsx(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert ".xlsx" in result.output


def test_list_names_every_kind() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    for kind in ("monthly_report", "enterprise_registry", "park_registry", "land_parcels"):
        assert kind in result.output
