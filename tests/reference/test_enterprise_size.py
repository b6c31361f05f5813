"""Enterprise size per 《中小企业划型标准规定》 (工信部联企业〔2011〕300号).

Golden values are read off the standard's wording: "X人以下或Y万元以下的为中小微型企业。其中，
从业人员A人及以上，且营业收入B万元及以上的为中型企业……" ("以上" includes the bound).
"""

from __future__ import annotations

import copy
import math
from datetime import date
from importlib.resources import files
from typing import Any

import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from parkhq.errors import InvalidCode, InvalidInput, RuleSetError
from parkhq.reference.enterprise_size import (
    SIZE_LABELS,
    classify_size,
    classify_size_frame,
    parse_size_standard,
    size_standard,
)

# (industry class, employees 人, revenue 万元, assets 万元, expected size)
GOLDEN: list[tuple[str, float | None, float | None, float | None, str]] = [
    # 工业: 1000人以下或40000万元以下为中小微型; 中型 300人且2000万元; 小型 20人且300万元
    ("3911", 1500, 1000, None, "小型"),  # the edge case: many staff, small revenue
    ("3911", 1000, 40000, None, "大型"),
    ("3911", 999, 40000, None, "中型"),
    ("3911", 1000, 39999.9, None, "中型"),
    ("3911", 300, 2000, None, "中型"),
    ("3911", 299, 2000, None, "小型"),
    ("3911", 20, 300, None, "小型"),
    ("3911", 19, 100000, None, "微型"),
    ("3911", 500, 299, None, "微型"),
    ("0610", 1200, 50000, None, "大型"),  # 采矿业 is 工业
    ("4411", 300, 2000, None, "中型"),  # 电力 is 工业
    # 农、林、牧、渔业: 营业收入20000万元以下; 中型 500万元; 小型 50万元
    ("0111", None, 20000, None, "大型"),
    ("0111", None, 500, None, "中型"),
    ("0111", 3, 499, None, "小型"),
    ("0111", None, 50, None, "小型"),
    ("0111", None, 49, None, "微型"),
    ("0511", None, 600, None, "中型"),  # 农、林、牧、渔专业及辅助性活动 is in section A
    # 建筑业: 营业收入80000万元以下或资产总额80000万元以下; 中型 6000且5000; 小型 300且300
    ("4710", None, 80000, 80000, "大型"),
    ("4710", None, 80000, 79999, "中型"),
    ("4710", None, 6000, 4999, "小型"),
    ("4710", None, 300, 299, "微型"),
    # 批发业: 200人以下或40000万元以下; 中型 20人且5000万元; 小型 5人且1000万元
    ("5111", 200, 40000, None, "大型"),
    ("5111", 20, 5000, None, "中型"),
    ("5111", 5, 1000, None, "小型"),
    ("5111", 4, 1000000, None, "微型"),
    # 零售业: 300人以下或20000万元以下; 中型 50人且500万元; 小型 10人且100万元
    ("5211", 300, 20000, None, "大型"),
    ("5211", 50, 500, None, "中型"),
    ("5211", 10, 100, None, "小型"),
    ("5211", 9, 100, None, "微型"),
    # 交通运输业: 1000人以下或30000万元以下; 中型 300人且3000万元; 小型 20人且200万元
    ("5411", 1000, 30000, None, "大型"),
    ("5411", 300, 3000, None, "中型"),
    ("5411", 20, 200, None, "小型"),
    ("5910", 100, 1000, None, "小型"),  # 装卸搬运 counts as 交通运输业
    # 仓储业: 200人以下或30000万元以下; 中型 100人且1000万元; 小型 20人且100万元
    ("5920", 100, 1000, None, "中型"),
    ("5920", 200, 30000, None, "大型"),
    ("5920", 19, 100, None, "微型"),
    # 邮政业: 1000人以下或30000万元以下; 中型 300人且2000万元; 小型 20人且100万元
    ("6010", 300, 2000, None, "中型"),
    ("6010", 20, 100, None, "小型"),
    # 住宿业 / 餐饮业: 300人以下或10000万元以下; 中型 100人且2000万元; 小型 10人且100万元
    ("6110", 100, 2000, None, "中型"),
    ("6210", 300, 10000, None, "大型"),
    ("6210", 10, 99, None, "微型"),
    # 信息传输业: 2000人以下或100000万元以下; 中型 100人且1000万元; 小型 10人且100万元
    ("6311", 2000, 100000, None, "大型"),
    ("6311", 1999, 100000, None, "中型"),
    ("6311", 10, 100, None, "小型"),
    # 软件和信息技术服务业: 300人以下或10000万元以下; 中型 100人且1000万元; 小型 10人且50万元
    ("6511", 300, 10000, None, "大型"),
    ("6511", 10, 50, None, "小型"),
    ("6511", 9, 50, None, "微型"),
    # 房地产开发经营: 营业收入200000万元以下或资产总额10000万元以下; 中型 1000且5000; 小型 100且2000
    ("7010", None, 200000, 10000, "大型"),
    ("7010", None, 1000, 5000, "中型"),
    ("7010", None, 100, 2000, "小型"),
    ("7010", None, 100, 1999, "微型"),
    # 物业管理: 1000人以下或5000万元以下; 中型 300人且1000万元; 小型 100人且500万元
    ("7020", 1000, 5000, None, "大型"),
    ("7020", 300, 1000, None, "中型"),
    ("7020", 100, 500, None, "小型"),
    ("7020", 99, 500, None, "微型"),
    # 租赁和商务服务业: 300人以下或资产总额120000万元以下; 中型 100人且8000万元; 小型 10人且100万元
    ("7211", 300, None, 120000, "大型"),
    ("7211", 100, None, 8000, "中型"),
    ("7211", 10, None, 100, "小型"),
    ("7211", 10, None, 99, "微型"),
    # 其他未列明行业: 300人以下; 中型 100人; 小型 10人
    ("7310", 300, None, None, "大型"),
    ("7310", 100, None, None, "中型"),
    ("7310", 10, None, None, "小型"),
    ("7310", 9, 1000000, None, "微型"),
    ("8411", 150, None, None, "中型"),  # 卫生 falls to 其他未列明行业
]


@pytest.mark.parametrize(("code", "employees", "revenue", "assets", "expected"), GOLDEN)
def test_classify_size_matches_the_standard(
    code: str,
    employees: float | None,
    revenue: float | None,
    assets: float | None,
    expected: str,
) -> None:
    assert classify_size(code, employees, revenue, assets) == expected


def test_industrial_firm_with_1500_staff_and_1000_wan_revenue_is_small() -> None:
    assert classify_size("C", 1500, 1000) == "小型"


def test_standard_file_names_its_source_version_and_start() -> None:
    standard = size_standard()
    assert "工信部联企业〔2011〕300号" in standard.source
    assert standard.version == "工信部联企业〔2011〕300号"
    assert standard.valid_from == date(2011, 6, 18)


def test_standard_has_the_16_sector_groups() -> None:
    names = [sector.name for sector in size_standard().sectors]
    assert names == [
        "农、林、牧、渔业",
        "工业",
        "建筑业",
        "批发业",
        "零售业",
        "交通运输业",
        "仓储业",
        "邮政业",
        "住宿业",
        "餐饮业",
        "信息传输业",
        "软件和信息技术服务业",
        "房地产开发经营",
        "物业管理",
        "租赁和商务服务业",
        "其他未列明行业",
    ]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("5311", "不含铁路运输业"),
        ("6610", "金融业企业划型标准规定"),
        ("7040", "自有房地产经营活动"),
        ("9100", "不属于本规定划型的企业"),
    ],
)
def test_industries_outside_the_standard_are_refused(code: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        classify_size(code, 100, 1000, 1000)


def test_a_section_spanning_several_sectors_is_refused() -> None:
    with pytest.raises(InvalidInput, match="跨越多个划型行业"):
        classify_size("G", 100, 1000)


def test_a_coarse_code_inside_one_sector_is_accepted() -> None:
    assert classify_size("39", 300, 2000) == "中型"
    assert classify_size("591", 300, 3000) == "中型"


def test_unknown_industry_raises_invalid_code() -> None:
    with pytest.raises(InvalidCode, match="行业代码 '9999'"):
        classify_size("9999", 10, 10)


def test_missing_required_measure_names_it() -> None:
    with pytest.raises(
        InvalidInput, match="工业按从业人员（人）、营业收入（万元）划型，缺少营业收入"
    ):
        classify_size("3911", 100, None)
    with pytest.raises(InvalidInput, match="缺少资产总额（万元）"):
        classify_size("4710", None, 1000)
    with pytest.raises(InvalidInput, match="缺少营业收入"):
        classify_size("3911", 100, math.nan)


def test_negative_measure_is_refused() -> None:
    with pytest.raises(InvalidInput, match="从业人员（人）不能为负数"):
        classify_size("3911", -1, 100)


def test_frame_classifies_rows_in_order_and_leaves_uncovered_industries_null() -> None:
    frame = pl.DataFrame(
        {
            "industry_code": ["3911", "0111", "7010", "6610", " c "],
            "employees": [1500, None, None, 5, 1000],
            "revenue": [1000.0, 600.0, 200000.0, 5.0, 40000.0],
            "assets": [None, None, 10000.0, None, None],
        }
    )
    sizes = classify_size_frame(frame)
    assert sizes.name == "size"
    assert sizes.to_list() == ["小型", "中型", "大型", None, "大型"]


def test_frame_without_assets_column_works_when_no_row_needs_assets() -> None:
    frame = pl.DataFrame(
        {"industry_code": ["3911", "7310"], "employees": [20, 9], "revenue": [300, 0]}
    )
    assert classify_size_frame(frame).to_list() == ["小型", "微型"]


def test_frame_names_rows_missing_a_needed_measure() -> None:
    frame = pl.DataFrame(
        {
            "industry_code": ["3911", "3911", "7310"],
            "employees": [20, 30, 5],
            "revenue": [300, None, None],
        }
    )
    with pytest.raises(InvalidInput, match="第 2 行缺少营业收入（万元）"):
        classify_size_frame(frame)


def test_frame_refuses_unknown_and_ambiguous_codes() -> None:
    unknown = pl.DataFrame(
        {"industry_code": ["3911", "9999"], "employees": [1, 1], "revenue": [1, 1]}
    )
    with pytest.raises(InvalidCode, match="9999"):
        classify_size_frame(unknown)
    coarse = pl.DataFrame({"industry_code": ["G"], "employees": [1], "revenue": [1]})
    with pytest.raises(InvalidInput, match="第 1 行"):
        classify_size_frame(coarse)
    missing = pl.DataFrame({"industry_code": [None], "employees": [1], "revenue": [1]})
    with pytest.raises(InvalidInput, match="缺少行业代码"):
        classify_size_frame(missing)


def test_frame_refuses_negative_values() -> None:
    frame = pl.DataFrame({"industry_code": ["3911"], "employees": [-5], "revenue": [100]})
    with pytest.raises(InvalidInput, match="为负数"):
        classify_size_frame(frame)


def _shipped_document() -> dict[str, Any]:
    text = (files("parkhq.reference") / "data" / "enterprise_size_2011.yaml").read_text("utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return copy.deepcopy(document)


def test_shipped_document_parses_to_the_cached_standard() -> None:
    parsed = parse_size_standard(_shipped_document())
    assert [s.key for s in parsed.sectors] == [s.key for s in size_standard().sectors]


def test_rule_set_with_bounds_out_of_order_is_refused() -> None:
    document = _shipped_document()
    document["sectors"][1]["small"]["employees"] = 500  # 工业 small above medium (300)
    with pytest.raises(RuleSetError, match="小型 ≤ 中型 ≤ 大型"):
        parse_size_standard(document)


def test_rule_set_with_an_unknown_industry_code_is_refused() -> None:
    document = _shipped_document()
    document["sectors"][3]["industries"] = ["5X"]
    with pytest.raises(RuleSetError, match="'5X' 不在 GB/T 4754-2017 中"):
        parse_size_standard(document)


def test_rule_set_listing_a_code_twice_is_refused() -> None:
    document = _shipped_document()
    document["sectors"][3]["industries"] = ["51", "52"]
    with pytest.raises(RuleSetError, match="多个行业组"):
        parse_size_standard(document)


def test_rule_set_without_a_source_is_refused() -> None:
    document = _shipped_document()
    del document["source"]
    with pytest.raises(RuleSetError, match="缺少字段 'source'"):
        parse_size_standard(document)


_CODES = ["3911", "0111", "4710", "5111", "5211", "5910", "5920", "6010", "6110", "6210",
          "6311", "6511", "7010", "7020", "7211", "7310"]  # fmt: skip
_AMOUNTS = st.one_of(
    st.sampled_from([0, 5, 10, 20, 50, 100, 300, 500, 1000, 2000, 5000, 8000, 10000, 30000]),
    st.sampled_from([40000, 80000, 100000, 120000, 200000]),
    st.floats(min_value=0, max_value=300000, allow_nan=False),
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_CODES), _AMOUNTS, _AMOUNTS, _AMOUNTS),
        min_size=1,
        max_size=30,
    )
)
def test_frame_equals_scalar(rows: list[tuple[str, float, float, float]]) -> None:
    frame = pl.DataFrame(
        rows, schema=["industry_code", "employees", "revenue", "assets"], orient="row"
    )
    expected = [classify_size(code, emp, rev, assets) for code, emp, rev, assets in rows]
    assert classify_size_frame(frame).to_list() == expected
    assert set(expected) <= set(SIZE_LABELS)
