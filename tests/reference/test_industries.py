"""GB/T 4754-2017 catalogue: counts, hierarchy, codes as strings, tags.

Golden values come from the standard itself (counts per level, names, the 13–43 range of 制造业)
and from the source data (tag counts of swifthu/industrial_classifi).
"""

from __future__ import annotations

import polars as pl
import pytest

from parkhq.errors import InvalidCode, InvalidInput
from parkhq.reference.industries import TAGS, industry_catalogue


def test_catalogue_has_20_sections_97_divisions_473_groups_1382_classes() -> None:
    levels = industry_catalogue().frame().get_column("level").value_counts()
    counts = dict(zip(levels["level"], levels["count"], strict=True))
    assert counts == {"section": 20, "division": 97, "group": 473, "class": 1382}
    assert len(industry_catalogue()) == 1972


def test_sections_run_from_a_to_t() -> None:
    assert [item.code for item in industry_catalogue().sections()] == list("ABCDEFGHIJKLMNOPQRST")


def test_class_3911_is_computer_manufacturing_under_c_39_391() -> None:
    catalogue = industry_catalogue()
    item = catalogue.get("3911")
    assert item.name == "计算机整机制造"
    assert item.level == "class"
    assert item.parent == "391"
    chain = [(a.code, a.name) for a in catalogue.ancestors("3911")]
    assert chain == [
        ("C", "制造业"),
        ("39", "计算机、通信和其他电子设备制造业"),
        ("391", "计算机制造"),
    ]


def test_class_3911_is_high_tech_manufacturing_and_digital_economy_core() -> None:
    tags = industry_catalogue().get("3911").tags
    assert "高技术制造业" in tags
    assert "数字经济核心产业" in tags
    assert "战略性新兴产业" in tags


def test_codes_are_strings_that_keep_leading_zeros() -> None:
    catalogue = industry_catalogue()
    assert catalogue.get("0111").name == "稻谷种植"
    assert catalogue.get("01").name == "农业"
    assert catalogue.get("011").name == "谷物种植"
    assert catalogue.find("1") is None
    assert catalogue.find(111) is None
    frame = catalogue.frame()
    assert frame.schema["code"] == pl.String
    assert "0111" in frame.get_column("code").to_list()


def test_frame_row_of_0111_names_its_section_division_and_group() -> None:
    frame = industry_catalogue().frame()
    assert frame.columns == [
        "code",
        "name",
        "level",
        "parent",
        "section",
        "division",
        "group",
        "tags",
    ]
    row = frame.filter(pl.col("code") == "0111").row(0, named=True)
    assert row == {
        "code": "0111",
        "name": "稻谷种植",
        "level": "class",
        "parent": "011",
        "section": "A",
        "division": "01",
        "group": "011",
        "tags": [],
    }
    section = frame.filter(pl.col("code") == "A").row(0, named=True)
    assert (section["parent"], section["section"], section["division"]) == (None, "A", None)


def test_frame_is_a_copy_the_caller_may_change() -> None:
    frame = industry_catalogue().frame()
    frame.drop_in_place("name")
    assert "name" in industry_catalogue().frame().columns


def test_unknown_code_raises_invalid_code_with_chinese_message() -> None:
    with pytest.raises(InvalidCode) as caught:
        industry_catalogue().get("9999")
    assert caught.value.message == (
        "行业代码 '9999' 不在 GB/T 4754-2017 中（应为门类字母或 2/3/4 位数字代码）"
    )


def test_find_ignores_spaces_and_the_case_of_a_section_letter() -> None:
    catalogue = industry_catalogue()
    assert catalogue.find(" c ") == catalogue.get("C")
    assert catalogue.find("Z") is None
    assert "3911" in catalogue
    assert "39110" not in catalogue


def test_children_of_group_391_are_its_six_classes() -> None:
    children = [(item.code, item.name) for item in industry_catalogue().children("391")]
    assert children == [
        ("3911", "计算机整机制造"),
        ("3912", "计算机零部件制造"),
        ("3913", "计算机外围设备制造"),
        ("3914", "工业控制计算机及系统制造"),
        ("3915", "信息安全设备制造"),
        ("3919", "其他计算机制造"),
    ]
    assert industry_catalogue().children("3911") == []


def test_ancestors_of_a_section_are_empty() -> None:
    assert industry_catalogue().ancestors("C") == []


def test_descendant_classes_of_manufacturing_are_the_classes_of_divisions_13_to_43() -> None:
    catalogue = industry_catalogue()
    manufacturing = [item.code for item in catalogue.classes() if 13 <= int(item.code[:2]) <= 43]
    assert catalogue.descendant_classes("C") == manufacturing
    assert catalogue.descendant_classes("391") == ["3911", "3912", "3913", "3914", "3915", "3919"]
    assert catalogue.descendant_classes("3911") == ["3911"]


@pytest.mark.parametrize(
    ("level", "expected"),
    [("section", "C"), ("division", "39"), ("group", "391"), ("class", "3911")],
)
def test_level_code_of_3911(level: str, expected: str) -> None:
    assert industry_catalogue().level_code("3911", level) == expected  # type: ignore[arg-type]


def test_level_code_below_the_code_itself_is_refused() -> None:
    with pytest.raises(InvalidInput, match="大类"):
        industry_catalogue().level_code("39", "class")
    with pytest.raises(InvalidInput, match="行业层级"):
        industry_catalogue().level_code("39", "subclass")  # type: ignore[arg-type]


def test_tags_sit_on_classes_only() -> None:
    catalogue = industry_catalogue()
    assert all(not item.tags for item in catalogue if item.level != "class")
    assert all(set(item.tags) <= set(TAGS) for item in catalogue)
    assert all(set(item.partial_tags) <= set(item.tags) for item in catalogue)


@pytest.mark.parametrize(
    ("tag", "count"),
    [
        ("高技术制造业", 85),
        ("高技术服务业", 97),
        ("战略性新兴产业", 469),
        ("数字经济核心产业", 124),
        ("数字化效率提升业", 6),
        ("知识产权密集型产业", 188),
        ("文化产业", 150),
        ("养老产业", 197),
    ],
)
def test_tagged_class_counts_match_the_source(tag: str, count: int) -> None:
    tagged = industry_catalogue().tagged(tag)
    assert len(tagged) == count
    assert all(len(code) == 4 for code in tagged)


def test_digital_efficiency_classes_are_not_counted_as_digital_core() -> None:
    # 0211 林木育种 is in 数字经济及其核心产业统计分类 only under 05 数字化效率提升业 (智慧农业).
    item = industry_catalogue().get("0211")
    assert item.tags == ("数字化效率提升业",)
    assert item.partial_tags == ("数字化效率提升业",)


def test_tagged_rejects_an_unknown_tag() -> None:
    with pytest.raises(InvalidInput, match="行业标签 '高科技' 不存在"):
        industry_catalogue().tagged("高科技")


def test_names_carry_no_stray_spaces() -> None:
    catalogue = industry_catalogue()
    assert catalogue.get("5182").name == "一般物品拍卖"
    assert all(item.name == item.name.strip() for item in catalogue)


def test_catalogue_is_loaded_once() -> None:
    assert industry_catalogue() is industry_catalogue()
