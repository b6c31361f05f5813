"""``parkhq reference industry|region``: table and JSON output, exit code 2 on unknown codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from parkhq.cli.reference import app

runner = CliRunner()


def test_industry_table_shows_name_chain_and_tags() -> None:
    result = runner.invoke(app, ["industry", "3911"])
    assert result.exit_code == 0
    out = result.stdout
    assert "计算机整机制造" in out
    assert "小类" in out
    assert "C 制造业 → 39 计算机、通信和其他电子设备制造业 → 391 计算机制造" in out
    assert "高技术制造业" in out
    assert "数字经济核心产业" in out


def test_industry_json_lists_ancestors_section_first() -> None:
    result = runner.invoke(app, ["industry", "3911", "--format", "json"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["code"] == "3911"
    assert payload["name"] == "计算机整机制造"
    assert payload["level"] == "class"
    assert [a["code"] for a in payload["ancestors"]] == ["C", "39", "391"]
    assert "高技术制造业" in payload["tags"]


def test_industry_json_keeps_leading_zeros() -> None:
    result = runner.invoke(app, ["industry", "0111", "-f", "json"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["code"] == "0111"
    assert payload["parent"] == "011"


def test_industry_table_marks_partial_tags() -> None:
    result = runner.invoke(app, ["industry", "0211"])
    assert result.exit_code == 0
    assert "数字化效率提升业（部分）" in result.stdout


def test_unknown_industry_prints_chinese_message_to_stderr_and_exits_2() -> None:
    result = runner.invoke(app, ["industry", "9999"])
    assert result.exit_code == 2
    assert "行业代码 '9999' 不在 GB/T 4754-2017 中" in result.stderr
    assert result.stdout == ""


def test_region_table_shows_chain_and_full_name() -> None:
    result = runner.invoke(app, ["region", "330102"])
    assert result.exit_code == 0
    assert "330000 浙江省 → 330100 杭州市" in result.stdout
    assert "浙江省杭州市上城区" in result.stdout


def test_region_json_has_full_name_and_ancestors() -> None:
    result = runner.invoke(app, ["region", "110101", "--format", "json"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["full_name"] == "北京市东城区"
    assert payload["level"] == "county"
    assert [a["code"] for a in payload["ancestors"]] == ["110000", "110100"]


def test_region_accepts_a_two_digit_province_code() -> None:
    result = runner.invoke(app, ["region", "33", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["code"] == "330000"


def test_unknown_region_prints_chinese_message_to_stderr_and_exits_2() -> None:
    result = runner.invoke(app, ["region", "999999"])
    assert result.exit_code == 2
    assert "区划代码 '999999' 不在 GB/T 2260 中" in result.stderr


def test_unknown_format_is_a_usage_error() -> None:
    result = runner.invoke(app, ["region", "330102", "--format", "xml"])
    assert result.exit_code == 2
