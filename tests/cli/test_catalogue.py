"""``parkhq catalogue check`` on the real catalogue sample (《中国开发区审核公告目录》2018)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from parkhq.cli.catalogue import app

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "dev_zones_2018_sample20.csv"
ZONE_KEYS = {"code", "name", "declared", "categories", "count", "exceeds_three", "unmapped"}
SUMMARY_KEYS = {"zones", "exceeding", "names", "names_mapped", "coverage"}


def _raw_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _independent_count(text: str) -> int:
    """Items counted without the code under test: split on the catalogue's separators."""
    return len([part for part in re.split(r"[、，,；;]", text) if part.strip()])


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_check_flags_exactly_the_zones_declaring_more_than_three() -> None:
    code, out, _ = _run("check", str(SAMPLE), "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"zones", "summary"}
    raw = {row["代码"]: row["主导产业"] for row in _raw_rows()}
    assert [zone["code"] for zone in result["zones"]] == list(raw)
    for zone in result["zones"]:
        assert set(zone) == ZONE_KEYS
        assert zone["declared"] == raw[zone["code"]]
        assert zone["count"] == _independent_count(raw[zone["code"]])
        assert zone["exceeds_three"] == (_independent_count(raw[zone["code"]]) > 3)
    flagged = [zone["code"] for zone in result["zones"] if zone["exceeds_three"]]
    assert flagged == ["S129020"]  # 天津宝坻九园工业园区: 新能源、新材料、装备制造、医疗器械


def test_json_summary_counts_zones_names_and_coverage() -> None:
    _, out, _ = _run("check", str(SAMPLE))
    summary = json.loads(out)["summary"]
    assert set(summary) == SUMMARY_KEYS
    distinct = {
        part for row in _raw_rows() for part in re.split(r"[、，,；;]", row["主导产业"]) if part
    }
    assert summary["zones"] == 20
    assert summary["exceeding"] == 1
    assert summary["names"] == len(distinct) == 33
    assert summary["names_mapped"] <= summary["names"]
    assert summary["coverage"] == pytest.approx(summary["names_mapped"] / summary["names"])
    assert summary["coverage"] >= 0.95


def test_json_zone_lists_categories_of_a_real_zone() -> None:
    _, out, _ = _run("check", str(SAMPLE))
    zones = {zone["code"]: zone for zone in json.loads(out)["zones"]}
    assert zones["S119007"]["categories"] == ["汽车及零部件", "电子信息"]
    assert zones["S119007"]["unmapped"] == []
    assert zones["S119003"]["categories"] == ["互联网金融", "装备制造", "新材料"]


def test_csv_check_writes_one_row_per_zone_and_the_summary_to_stderr() -> None:
    code, out, err = _run("check", str(SAMPLE), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 20
    assert set(rows[0]) == ZONE_KEYS
    assert rows[0]["code"] == "S119003"
    assert rows[0]["categories"] == "互联网金融；装备制造；新材料"
    flagged = [row["code"] for row in rows if row["exceeds_three"] == "true"]
    assert flagged == ["S129020"]
    assert "覆盖率" not in out
    assert "共 20 个开发区" in err and "覆盖率" in err


def test_a_gbk_encoded_catalogue_is_read(tmp_path: Path) -> None:
    path = tmp_path / "目录.csv"
    path.write_bytes(SAMPLE.read_text("utf-8").encode("gbk"))
    code, out, _ = _run("check", str(path))
    assert code == 0
    assert json.loads(out)["summary"]["zones"] == 20


def test_a_utf8_bom_catalogue_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(SAMPLE.read_text("utf-8").encode("utf-8-sig"))
    code, out, _ = _run("check", str(path))
    assert code == 0
    assert json.loads(out)["zones"][0]["code"] == "S119003"


def test_an_xlsx_catalogue_is_read_with_codes_as_text(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text("utf-8"))))
    for row in rows:
        sheet.append(row)
    sheet.append(["99", "G330001", "数字代码测试区", "浙江省", "", "国务院", "经开区", "", "", ""])
    path = tmp_path / "目录.xlsx"
    workbook.save(path)
    code, out, _ = _run("check", str(path))
    assert code == 0
    zones = json.loads(out)["zones"]
    assert len(zones) == 21
    assert zones[12]["code"] == "S129020" and zones[12]["exceeds_three"]
    assert zones[-1]["count"] == 0 and zones[-1]["categories"] == []


def test_a_missing_column_exits_2_with_a_chinese_message(tmp_path: Path) -> None:
    path = tmp_path / "no_declared.csv"
    path.write_text("序号,代码,开发区名称\n1,S119003,北京房山工业园区\n", "utf-8")
    code, out, err = _run("check", str(path))
    assert code == 2
    assert out == ""
    assert "缺少列：主导产业" in err


def test_a_missing_file_exits_2_with_a_chinese_message(tmp_path: Path) -> None:
    code, _, err = _run("check", str(tmp_path / "nowhere.csv"))
    assert code == 2
    assert "不存在" in err
