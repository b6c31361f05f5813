"""Shipped 亩均效益 presets: they carry the published numbers and validate strictly."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from parkhq.errors import NotFound, RuleSetError
from parkhq.reference.land_rules import (
    Derived,
    QuotaGrading,
    RuleSet,
    list_presets,
    list_quota_presets,
    load_preset,
    load_quota,
    rule_set_from_mapping,
    rule_set_from_yaml,
)


def items(rules: RuleSet, segment: int) -> dict[str, tuple[float, Any]]:
    return {i.indicator: (i.weight, i.benchmark) for i in rules.segments[segment].items}


def test_every_preset_loads_and_names_its_source() -> None:
    names = {info.name for info in list_presets()}
    assert names == {"huangyan-2022", "huangyan-2023", "huaian-2024", "jingde-2022"}
    for info in list_presets():
        rules = load_preset(info.name)
        assert rules.name == info.name
        assert rules.source.url.startswith("http")
        assert rules.version and isinstance(rules.valid_from, date)
        assert rules.notes, f"{info.name} has no notes on what the source leaves open"


def test_huangyan_2023_carries_the_published_weights_and_benchmarks() -> None:
    rules = load_preset("huangyan-2023")
    assert rules.valid_from == date(2023, 9, 25)
    assert rules.source.url == "https://www.chacewang.com/newsdetail/news430850.html"
    assert items(rules, 0) == {
        "tax_per_mu": (30, 24.097),
        "va_per_mu": (20, 136.16),
        "va_per_energy": (20, 2.694),
        "va_per_emission": (10, 4929.81),
        "labour_productivity": (10, 18.14),
        "rd_intensity": (10, 0.0302),
    }
    assert items(rules, 1) == {"tax_per_mu": (50, 11.5932), "tax_per_electricity": (50, 0.2352)}
    emission = rules.segments[0].items[3]
    assert emission.missing == "segment_mean"
    assert [s.label for s in rules.segments] == ["规上", "规下"]


def test_huangyan_2023_indicator_formulas_match_the_published_definitions() -> None:
    ind = load_preset("huangyan-2023").indicators
    assert (ind["tax_per_mu"].numerator, ind["tax_per_mu"].denominator) == ("tax", "land_mu")
    assert (ind["va_per_energy"].numerator, ind["va_per_energy"].denominator) == (
        "value_added",
        "energy_tce",
    )
    assert ind["va_per_emission"].denominator == "emission_t"
    assert ind["labour_productivity"].denominator == "employees"
    assert (ind["rd_intensity"].numerator, ind["rd_intensity"].denominator) == (
        "rd_expense",
        "revenue",
    )
    assert (ind["tax_per_electricity"].numerator, ind["tax_per_electricity"].denominator) == (
        "tax",
        "electricity",
    )


def test_huangyan_2022_carries_the_2021_benchmarks() -> None:
    rules = load_preset("huangyan-2022")
    assert rules.source.url == "https://chacewang.com/newsdetail/news169062.html"
    assert [b for _, b in items(rules, 0).values()] == [26.01, 132.27, 2.54, 4861.08, 17.45, 0.0305]
    assert [b for _, b in items(rules, 1).values()] == [16.601058, 0.236565]


def test_huaian_2024_weights_derived_benchmarks_and_quota() -> None:
    rules = load_preset("huaian-2024")
    weights = {k: w for k, (w, _) in items(rules, 0).items()}
    assert weights == {"tax_per_mu": 45, "revenue_per_mu": 35, "green_tax": 20}
    for _, benchmark in items(rules, 0).values():
        assert benchmark == Derived(statistic="aggregate_ratio", factor=2)
    assert isinstance(rules.grading, QuotaGrading)
    assert rules.grading.quota == {"A": 20, "B": 40, "C": 35, "D": 5}
    assert {e.key for e in rules.exemptions} == {"status_undetermined", "utilities", "new_firm"}


def test_jingde_2022_is_min_max_with_seven_and_three_equal_weights() -> None:
    rules = load_preset("jingde-2022")
    above, below = rules.segments
    assert above.method == below.method == "min_max"
    assert (above.floor, above.span) == (20, 80)
    assert len(above.items) == 7 and len(below.items) == 3
    assert sum(i.weight for i in above.items) == pytest.approx(100)
    assert {i.weight for i in below.items} == {100 / 3}


def test_quota_presets_sum_to_100() -> None:
    assert {i.name for i in list_quota_presets()} == {"quota-20-45-30-5", "quota-20-40-35-5"}
    assert load_quota("quota-20-45-30-5").quota == {"A": 20, "B": 45, "C": 30, "D": 5}
    assert load_preset("huangyan-2023").grading.preset == "quota-20-45-30-5"  # type: ignore[union-attr]


def test_unknown_preset_is_not_found_with_the_choices() -> None:
    with pytest.raises(NotFound, match="huangyan-2023"):
        load_preset("huangyan-1999")
    with pytest.raises(NotFound):
        load_preset("quota-20-45-30-5")  # a quota preset is not a rule set


def minimal() -> dict[str, Any]:
    return {
        "name": "t",
        "title": "测试",
        "version": "1",
        "valid_from": "2024-01-01",
        "source": {"title": "测试"},
        "indicators": {"x": {"label": "亩均税收", "numerator": "tax", "denominator": "land_mu"}},
        "segments": [
            {
                "key": "all",
                "label": "全部",
                "when": {"column": "scale", "op": "not_null"},
                "method": "benchmark_ratio",
                "items": [{"indicator": "x", "weight": 100, "benchmark": 10}],
            }
        ],
        "grading": {"method": "quota", "preset": "quota-20-45-30-5"},
    }


def test_a_minimal_rule_set_validates_and_takes_a_quota_preset() -> None:
    rules = rule_set_from_mapping(minimal())
    assert rules.grading.quota == {"A": 20, "B": 45, "C": 30, "D": 5}  # type: ignore[union-attr]
    assert rules.required_columns() == ("scale", "tax", "land_mu")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("indicators", "x", "numerator"), "tax; import os", "格式不合法"),
        (("indicators", "x", "numerator"), "__import__('os')", "格式不合法"),
        (("segments", 0, "items", 0, "weight"), -1, "须大于 0"),
        (("segments", 0, "items", 0, "benchmark"), 0, "基准值须大于 0"),
        (("segments", 0, "items", 0, "indicator"), "y", "未定义的指标 y"),
        (("segments", 0, "method"), "eval", "取值须为"),
        (("grading",), {"method": "quota", "quota": {"A": 20, "B": 45, "C": 30}}, "之和须为 100"),
        (("grading",), {"method": "thresholds", "thresholds": {"A": 60, "B": 80}}, "从高到低"),
        (("segments", 0, "when"), {"column": "scale", "op": "gt", "value": "x"}, "需要数值"),
        (("segments", 0, "items", 0, "surprise"), 1, "不认识的字段"),
    ],
)
def test_invalid_rule_sets_are_rejected_with_a_chinese_message(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    data = minimal()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(RuleSetError, match=message):
        rule_set_from_mapping(data)


def test_min_max_items_may_not_have_a_benchmark() -> None:
    data = minimal()
    data["segments"][0]["method"] = "min_max"
    with pytest.raises(RuleSetError, match="最小-最大法"):
        rule_set_from_mapping(data)


def test_weights_may_be_written_as_fractions() -> None:
    data = minimal()
    data["segments"][0]["items"][0]["weight"] = "100/7"
    assert rule_set_from_mapping(data).segments[0].items[0].weight == 100 / 7


def test_yaml_text_round_trip_and_bad_yaml() -> None:
    text = """
name: yaml-rules
title: YAML 规则
version: "1"
valid_from: 2024-01-01
source: {title: 测试}
indicators:
  x: {label: 亩均税收, numerator: tax, denominator: land_mu}
segments:
  - key: all
    label: 全部
    when: {any: [{column: scale, op: eq, value: 规上}, {column: scale, op: eq, value: 规下}]}
    method: benchmark_ratio
    items: [{indicator: x, weight: 100, benchmark: 10}]
grading: {method: thresholds, thresholds: {A: 90, B: 60}, lowest: C}
"""
    rules = rule_set_from_yaml(text, "rules.yaml")
    assert rules.segments[0].when.any_of is not None
    assert rule_set_from_mapping(rules.model_dump(by_alias=True)) == rules
    with pytest.raises(RuleSetError, match="不是合法的 YAML"):
        rule_set_from_yaml("a: [", "bad.yaml")
    with pytest.raises(RuleSetError, match="kind"):
        rule_set_from_yaml("kind: quota\nquota: {A: 100}", "q.yaml")


def test_canonical_json_is_stable() -> None:
    assert (
        load_preset("huangyan-2023").canonical_json()
        == rule_set_from_mapping(
            load_preset("huangyan-2023").model_dump(by_alias=True)
        ).canonical_json()
    )
