"""The named industry categories and their GB/T 4754-2017 codes."""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from parkhq.errors import InvalidCode, InvalidInput, RuleSetError
from parkhq.reference.categories import (
    KINDS,
    category_catalogue,
    load_categories,
    parse_categories,
)
from parkhq.reference.industries import industry_catalogue

SERVICE_SECTIONS = set("FGHIJKLMNOPQRST")


def _document() -> dict[str, Any]:
    text = (files("parkhq.reference") / "data" / "industry_categories.yaml").read_text("utf-8")
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def _section(class_code: str) -> str:
    return industry_catalogue().level_code(class_code, "section")


def test_table_header_names_source_version_and_valid_from() -> None:
    catalogue = category_catalogue()
    assert "GB/T 4754-2017" in catalogue.source
    assert catalogue.version
    assert catalogue.valid_from == date(2018, 2, 26)


def test_every_code_in_the_yaml_exists_in_gbt4754_2017() -> None:
    industries = industry_catalogue()
    for raw in _document()["categories"]:
        for code in raw["codes"]:
            assert isinstance(code, str), (raw["name"], code)
            assert industries.find(code) is not None, (raw["name"], code)
            assert industries.get(code).level in {"division", "group", "class"}


def test_table_has_30_to_45_categories_including_the_ones_park_plans_name() -> None:
    names = set(category_catalogue().names())
    assert 30 <= len(names) <= 45
    expected = {
        "电子信息", "装备制造", "新材料", "生物医药", "汽车及零部件", "新能源", "新能源汽车",
        "食品", "石化化工", "纺织服装", "冶金", "建材", "现代物流", "节能环保", "航空航天",
        "船舶及海洋工程", "轨道交通", "医疗器械", "集成电路", "软件和信息服务", "人工智能",
        "智能制造", "家具", "轻工", "造纸印刷", "有色金属", "钢铁", "农副产品加工", "商贸",
        "金融", "文化创意", "旅游", "现代服务业", "电力能源", "光伏", "锂电池及储能", "数字经济",
        "光电", "互联网金融", "商务服务",
    }  # fmt: skip
    assert expected <= names


def test_every_category_has_a_basis_and_a_known_kind() -> None:
    for category in category_catalogue():
        assert category.basis, category.name
        assert category.kind in KINDS


def test_a_name_or_alias_belongs_to_exactly_one_category() -> None:
    owners: dict[str, list[str]] = {}
    for category in category_catalogue():
        for word in (category.name, *category.aliases):
            owners.setdefault(word, []).append(category.name)
    assert {word: names for word, names in owners.items() if len(names) > 1} == {}


def test_kind_agrees_with_the_sections_of_the_classes() -> None:
    catalogue = category_catalogue()
    for category in catalogue:
        sections = {_section(code) for code in catalogue.classes_of(category.name)}
        if category.kind == "manufacturing":
            assert sections == {"C"}, category.name
        elif category.kind == "service":
            assert sections <= SERVICE_SECTIONS, category.name
        else:
            assert sections != {"C"} and not sections <= SERVICE_SECTIONS, category.name


def test_automobiles_cover_every_class_of_division_36_and_motorcycles() -> None:
    # GB/T 4754-2017 大类 36 汽车制造业 and 中类 375 摩托车制造, classes listed by hand.
    division_36 = {"3611", "3612", "3620", "3630", "3640", "3650", "3660", "3670"}
    assert category_catalogue().classes_of("汽车及零部件") == division_36 | {"3751", "3752"}


def test_pharmaceuticals_cover_division_27_plus_equipment_and_medical_research() -> None:
    division_27 = {"2710", "2720", "2730", "2740", "2750", "2761", "2762", "2770", "2780"}
    assert category_catalogue().classes_of("生物医药") == division_27 | {"3544", "7340"}


def test_equipment_manufacturing_is_divisions_33_to_40() -> None:
    catalogue = category_catalogue()
    divisions = {code[:2] for code in catalogue.classes_of("装备制造")}
    assert divisions == {"33", "34", "35", "36", "37", "38", "39", "40"}
    assert len(catalogue.classes_of("装备制造")) == sum(
        len(industry_catalogue().descendant_classes(code)) for code in sorted(divisions)
    )


def test_batteries_are_group_384_with_its_five_classes() -> None:
    assert category_catalogue().classes_of("锂电池及储能") == {
        "3841", "3842", "3843", "3844", "3849",
    }  # fmt: skip


def test_class_3670_vehicle_parts_belongs_to_equipment_and_automobiles() -> None:
    assert category_catalogue().category_of_class("3670") == ["装备制造", "汽车及零部件"]


def test_class_3841_lithium_cells_belongs_to_four_categories_in_table_order() -> None:
    assert category_catalogue().category_of_class("3841") == [
        "装备制造", "电气机械", "新能源汽车", "锂电池及储能",
    ]  # fmt: skip


def test_class_0111_rice_belongs_only_to_agriculture() -> None:
    assert category_catalogue().category_of_class("0111") == ["现代农业"]


@pytest.mark.parametrize("code", ["36", "367", "9999", "abcd", ""])
def test_category_of_class_refuses_anything_but_a_known_class(code: str) -> None:
    with pytest.raises(InvalidCode, match="小类代码"):
        category_catalogue().category_of_class(code)


def test_get_unknown_category_raises_invalid_input_in_chinese() -> None:
    with pytest.raises(InvalidInput, match="不在类别表中"):
        category_catalogue().get("量子玄学")
    assert category_catalogue().find("量子玄学") is None


def test_classes_of_returns_a_copy_the_caller_may_change() -> None:
    catalogue = category_catalogue()
    classes = catalogue.classes_of("钢铁")
    classes.add("0111")
    assert catalogue.classes_of("钢铁") == {"3110", "3120", "3130", "3140"}


def test_frame_holds_every_category_class_pair_once() -> None:
    catalogue = category_catalogue()
    frame = catalogue.frame()
    assert frame.columns == ["category", "class_code"]
    assert frame.is_duplicated().sum() == 0
    expected = sum(len(catalogue.classes_of(name)) for name in catalogue.names())
    assert frame.height == expected
    steel = frame.filter(frame["category"] == "钢铁")["class_code"].to_list()
    assert steel == ["3110", "3120", "3130", "3140"]


def test_vocabulary_maps_aliases_to_their_category() -> None:
    vocabulary = category_catalogue().vocabulary()
    assert vocabulary["汽车零部件"] == "汽车及零部件"
    assert vocabulary["新一代信息技术"] == "电子信息"
    assert vocabulary["电子信息"] == "电子信息"


def _minimal(**overrides: Any) -> dict[str, Any]:
    category = {"name": "测试", "kind": "manufacturing", "codes": ["36"], "basis": "测试"}
    category.update(overrides)
    return {"source": "测试", "version": "1", "valid_from": "2024-01-01", "categories": [category]}


def test_parse_rejects_a_code_not_in_gbt4754() -> None:
    with pytest.raises(RuleSetError, match="'3999' 不在 GB/T 4754-2017 中"):
        parse_categories(_minimal(codes=["3999"]))


def test_parse_rejects_an_unknown_kind() -> None:
    with pytest.raises(RuleSetError, match="kind 'factory' 不合法"):
        parse_categories(_minimal(kind="factory"))


def test_parse_rejects_an_alias_shared_by_two_categories() -> None:
    document = _minimal(aliases=["汽车"])
    document["categories"].append(
        {
            "name": "其他",
            "kind": "manufacturing",
            "codes": ["37"],
            "basis": "b",
            "aliases": ["汽车"],
        }
    )
    with pytest.raises(RuleSetError, match="'汽车' 同时属于"):
        parse_categories(document)


def test_parse_rejects_a_keyword_that_names_another_category() -> None:
    document = _minimal(aliases=["整车"])
    document["categories"].append(
        {
            "name": "其他",
            "kind": "manufacturing",
            "codes": ["37"],
            "basis": "b",
            "keywords": ["整车"],
        }
    )
    with pytest.raises(RuleSetError, match="关键词 '整车'"):
        parse_categories(document)


def test_parse_rejects_a_category_listed_twice() -> None:
    document = _minimal()
    document["categories"].append(dict(document["categories"][0]))
    with pytest.raises(RuleSetError, match="类别名称重复：测试"):
        parse_categories(document)


def test_parse_rejects_a_missing_valid_from() -> None:
    document = _minimal()
    document["valid_from"] = "明年"
    with pytest.raises(RuleSetError, match="valid_from"):
        parse_categories(document)


def test_load_categories_reads_a_local_government_table(tmp_path: Path) -> None:
    path = tmp_path / "categories.yaml"
    path.write_text(yaml.safe_dump(_minimal(aliases=["整车"]), allow_unicode=True), "utf-8")
    catalogue = load_categories(path)
    assert catalogue.names() == ["测试"]
    assert catalogue.classes_of("测试") == {
        "3611", "3612", "3620", "3630", "3640", "3650", "3660", "3670",
    }  # fmt: skip
    assert catalogue.valid_from == date(2024, 1, 1)


def test_load_categories_reports_an_unreadable_file_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="无法读取产业类别表"):
        load_categories(tmp_path / "missing.yaml")


def test_the_documentation_lists_every_category() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "industry-categories.md"
    text = docs.read_text("utf-8")
    missing = [name for name in category_catalogue().names() if f"| {name} |" not in text]
    assert missing == []
