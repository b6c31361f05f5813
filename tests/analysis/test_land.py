"""亩均效益 scoring engine: golden values computed by hand from the published formulas."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest

from parkhq.analysis.land import (
    content_hash,
    explain_firm,
    grade_counts,
    quota_counts,
    resolve_benchmarks,
    score,
    what_if,
)
from parkhq.errors import InvalidInput, NotFound, RuleSetError
from parkhq.reference.land_rules import RuleSet, load_preset, rule_set_from_mapping

COLUMNS = (
    "land_mu",
    "tax",
    "value_added",
    "revenue",
    "energy_tce",
    "emission_t",
    "employees",
    "rd_expense",
    "electricity",
    "tech_investment",
)


def firms(*rows: dict[str, Any]) -> pl.DataFrame:
    """A firm table with every numeric column (Float64) and text columns, defaults filled."""
    filled = []
    for row in rows:
        base: dict[str, Any] = {"name": f"企业{row['uscc']}", "status": "参评"}
        base.update(dict.fromkeys(COLUMNS))
        base.update(row)
        filled.append(base)
    schema = {"uscc": pl.String, "name": pl.String, "scale": pl.String, "status": pl.String}
    schema.update(dict.fromkeys(COLUMNS, pl.Float64))
    extra = {k: pl.String for row in filled for k in row if k not in schema}
    return pl.DataFrame(filled, schema={**schema, **extra})


def below_scale_firms(n: int, prefix: str = "X") -> pl.DataFrame:
    """``n`` 规下 firms with distinct totals under huangyan-2023 (tax grows with the index)."""
    return firms(
        *[
            {
                "uscc": f"{prefix}{i:03d}",
                "scale": "规下",
                "land_mu": 10.0,
                "tax": float(i),
                "electricity": 100.0,
            }
            for i in range(1, n + 1)
        ]
    )


def by_uscc(result: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["uscc"]: row for row in result.iter_rows(named=True)}


def with_weight(rules: RuleSet, segment: int, item: int, weight: float) -> RuleSet:
    data = rules.model_dump(by_alias=True)
    data["segments"][segment]["items"][item]["weight"] = weight
    return rule_set_from_mapping(data)


# --- huangyan-2023: benchmark ratio ----------------------------------------------------------

HUANGYAN_FIRMS = (
    {
        "uscc": "S1",
        "scale": "规上",
        "land_mu": 10.0,
        "tax": 300.0,
        "value_added": 1500.0,
        "energy_tce": 500.0,
        "emission_t": 0.3,
        "employees": 80.0,
        "rd_expense": 40.0,
        "revenue": 5000.0,
    },
    {
        "uscc": "S2",
        "scale": "规上",
        "land_mu": 20.0,
        "tax": 200.0,
        "value_added": 1000.0,
        "energy_tce": 300.0,
        "emission_t": 0.25,
        "employees": 60.0,
        "rd_expense": 10.0,
        "revenue": 3000.0,
    },
    {
        "uscc": "S3",
        "scale": "规上",
        "land_mu": 8.0,
        "tax": 100.0,
        "value_added": 400.0,
        "energy_tce": 100.0,
        "emission_t": None,
        "employees": 30.0,
        "rd_expense": 5.0,
        "revenue": 900.0,
    },
    {
        "uscc": "S4",
        "scale": "规上",
        "land_mu": 15.0,
        "tax": 450.0,
        "value_added": 2400.0,
        "energy_tce": 1000.0,
        "emission_t": 0.5,
        "employees": 100.0,
        "rd_expense": 120.0,
        "revenue": 6000.0,
    },
    {"uscc": "X1", "scale": "规下", "land_mu": 5.0, "tax": 50.0, "electricity": 200.0},
    {"uscc": "X2", "scale": "规下", "land_mu": 4.0, "tax": 30.0, "electricity": 150.0},
)


def huangyan_by_hand(f: dict[str, Any]) -> dict[str, float]:
    """黄岩区 2022 年度 规上 formula, term by term (emission term only when data exist)."""
    va = f["value_added"]
    scores = {
        "tax_per_mu": f["tax"] / f["land_mu"] / 24.097 * 30,
        "va_per_mu": va / f["land_mu"] / 136.16 * 20,
        "va_per_energy": va / f["energy_tce"] / 2.694 * 20,
        "labour_productivity": va / f["employees"] / 18.14 * 10,
        "rd_intensity": f["rd_expense"] / f["revenue"] / 0.0302 * 10,
    }
    if f["emission_t"] is not None:
        scores["va_per_emission"] = va / f["emission_t"] / 4929.81 * 10
    return scores


def test_huangyan_2023_above_scale_scores_follow_the_published_formula() -> None:
    result = by_uscc(score(firms(*HUANGYAN_FIRMS), load_preset("huangyan-2023")))
    for f in HUANGYAN_FIRMS[:4]:
        if f["uscc"] == "S3":
            continue
        expected = huangyan_by_hand(f)
        row = result[f["uscc"]]
        for key, value in expected.items():
            assert row[f"{key}_score"] == pytest.approx(value, rel=1e-12), (f["uscc"], key)
        assert row["total"] == pytest.approx(sum(expected.values()), rel=1e-12)
        assert row["segment"] == "规上"


def test_firm_without_emission_data_gets_the_segment_average_emission_score() -> None:
    result = by_uscc(score(firms(*HUANGYAN_FIRMS), load_preset("huangyan-2023")))
    # 规上无排放数据的，单位排放增加值得分按规上企业此项平均得分赋分: S1, S2, S4 have data.
    with_data = [
        huangyan_by_hand(f)["va_per_emission"]
        for f in HUANGYAN_FIRMS
        if f["uscc"] in {"S1", "S2", "S4"}
    ]
    average = sum(with_data) / 3
    s3 = result["S3"]
    assert s3["va_per_emission_value"] is None
    assert s3["va_per_emission_score"] == pytest.approx(average, rel=1e-12)
    others = huangyan_by_hand(HUANGYAN_FIRMS[2])
    assert s3["total"] == pytest.approx(sum(others.values()) + average, rel=1e-12)
    assert f"单位排放增加值 无数据，按本组平均得分计 {round(average, 2)} 分" in s3["explanation"]


def test_huangyan_2023_below_scale_uses_tax_per_mu_and_tax_per_electricity() -> None:
    result = by_uscc(score(firms(*HUANGYAN_FIRMS), load_preset("huangyan-2023")))
    # 规下: 亩均税收/11.5932×50 + 单位用电税收/0.2352×50
    assert result["X1"]["total"] == pytest.approx(50 / 5 / 11.5932 * 50 + 50 / 200 / 0.2352 * 50)
    assert result["X2"]["total"] == pytest.approx(30 / 4 / 11.5932 * 50 + 30 / 150 / 0.2352 * 50)
    assert result["X1"]["va_per_mu_score"] is None
    assert result["X1"]["segment_size"] == 2


def test_firm_exactly_at_every_benchmark_scores_100_and_double_scores_200() -> None:
    def at_benchmark(uscc: str, k: float) -> dict[str, Any]:
        va = 136.16 * k
        return {
            "uscc": uscc,
            "scale": "规上",
            "land_mu": 1.0,
            "tax": 24.097 * k,
            "value_added": va,
            "energy_tce": 136.16 / 2.694,
            "emission_t": 136.16 / 4929.81,
            "employees": 136.16 / 18.14,
            "rd_expense": 0.0302 * 1000 * k,
            "revenue": 1000.0,
        }

    result = by_uscc(
        score(firms(at_benchmark("B1", 1), at_benchmark("B2", 2)), load_preset("huangyan-2023"))
    )
    assert result["B1"]["total"] == pytest.approx(100.0, rel=1e-12)
    # Every indicator doubles (energy, emission and staff are held fixed); no cap in the preset.
    assert result["B2"]["total"] == pytest.approx(200.0, rel=1e-12)


def test_huangyan_2022_uses_the_2021_benchmarks() -> None:
    result = by_uscc(score(firms(*HUANGYAN_FIRMS), load_preset("huangyan-2022")))
    assert result["X1"]["total"] == pytest.approx(
        50 / 5 / 16.601058 * 50 + 50 / 200 / 0.236565 * 50
    )
    assert result["S1"]["tax_per_mu_score"] == pytest.approx(300 / 10 / 26.01 * 30)
    assert result["S1"]["rd_intensity_score"] == pytest.approx(40 / 5000 / 0.0305 * 10)


def test_explanation_names_rank_grade_quota_and_each_contribution() -> None:
    result = by_uscc(score(firms(*HUANGYAN_FIRMS), load_preset("huangyan-2023")))
    s4 = result["S4"]
    assert s4["rank"] == 1
    assert s4["explanation"].startswith(
        "规上组第 1/4 名，位于前 25%，按 A 20%/B 45%/C 30%/D 5% 的比例评为 A 类"
    )
    assert "亩均税收 30.0万元/亩（基准 24.097万元/亩，权重 30）得 " in s4["explanation"]
    assert f"总分 {round(s4['total'], 2)} 分" in s4["explanation"]


# --- min–max (旌德县) ---------------------------------------------------------------------


def test_min_max_formula_on_a_hand_computed_case() -> None:
    data = firms(
        {
            "uscc": "Y1",
            "scale": "规下",
            "land_mu": 10.0,
            "tax": 20.0,
            "revenue": 100.0,
            "energy_tce": 10.0,
            "emission_t": 1.0,
        },
        {
            "uscc": "Y2",
            "scale": "规下",
            "land_mu": 5.0,
            "tax": 25.0,
            "revenue": 200.0,
            "energy_tce": 10.0,
            "emission_t": 4.0,
        },
        {
            "uscc": "Y3",
            "scale": "规下",
            "land_mu": 6.0,
            "tax": 66.0,
            "revenue": 600.0,
            "energy_tce": 20.0,
            "emission_t": 3.0,
        },
        {
            "uscc": "Y4",
            "scale": "规下",
            "land_mu": 4.0,
            "tax": 99.0,
            "revenue": 900.0,
            "energy_tce": 1.0,
            "emission_t": 1.0,
        },
    )
    result = by_uscc(score(data, load_preset("jingde-2022")))
    w = 100 / 3  # 3 indicators, equal weights (the published text gives no weights)

    def minmax(x: float, lo: float, hi: float) -> float:
        return w * (20 + 80 * (x - lo) / (hi - lo)) / 100

    # 亩均税收 2, 5, 11; 单位能耗营业收入 10, 20, 30; 单位污染物排放营业收入 100, 50, 200.
    assert result["Y1"]["tax_per_mu_score"] == pytest.approx(w * 0.2)
    assert result["Y2"]["tax_per_mu_score"] == pytest.approx(minmax(5, 2, 11))
    assert result["Y3"]["tax_per_mu_score"] == pytest.approx(w)
    assert result["Y2"]["revenue_per_energy_score"] == pytest.approx(minmax(20, 10, 30))
    assert result["Y1"]["revenue_per_emission_score"] == pytest.approx(minmax(100, 50, 200))
    assert result["Y2"]["total"] == pytest.approx(
        minmax(5, 2, 11) + minmax(20, 10, 30) + minmax(50, 50, 200)
    )
    # 规下 under 5 mu is outside 旌德's scope.
    assert result["Y4"]["grade"] == "不参评"
    assert result["Y4"]["total"] is None
    assert result["Y4"]["segment"] is None


def test_min_max_with_equal_values_gives_full_weight() -> None:
    data = firms(
        *[
            {
                "uscc": f"Y{i}",
                "scale": "规下",
                "land_mu": 10.0,
                "tax": 50.0,
                "revenue": 100.0,
                "energy_tce": 10.0,
                "emission_t": 1.0,
            }
            for i in range(3)
        ]
    )
    result = score(data, load_preset("jingde-2022"))
    assert result.get_column("total").to_list() == pytest.approx([100.0, 100.0, 100.0])


def test_jingde_utilities_are_out_of_scope() -> None:
    data = firms(
        {
            "uscc": "U1",
            "scale": "规下",
            "land_mu": 10.0,
            "tax": 20.0,
            "revenue": 100.0,
            "energy_tce": 10.0,
            "emission_t": 1.0,
            "industry_code": "4411",
        },
        {
            "uscc": "Y1",
            "scale": "规下",
            "land_mu": 10.0,
            "tax": 20.0,
            "revenue": 100.0,
            "energy_tce": 10.0,
            "emission_t": 1.0,
            "industry_code": "3311",
        },
    )
    result = by_uscc(score(data, load_preset("jingde-2022")))
    assert result["U1"]["grade"] == "不参评"
    assert result["U1"]["exempt_reason"].startswith("供电、给排水")
    assert result["Y1"]["segment_size"] == 1


# --- quotas and ties --------------------------------------------------------------------------


def test_quota_20_45_30_5_on_120_firms_gives_24_54_36_6() -> None:
    rules = load_preset("huangyan-2023").with_quota({"A": 20, "B": 45, "C": 30, "D": 5})
    result = score(below_scale_firms(120), rules)
    counts = result.get_column("grade").cast(pl.String).value_counts()
    assert dict(counts.iter_rows()) == {"A": 24, "B": 54, "C": 36, "D": 6}
    # The 24 firms with the highest tax (uscc X097–X120) are the A firms.
    a_firms = set(result.filter(pl.col("grade") == "A").get_column("uscc"))
    assert a_firms == {f"X{i:03d}" for i in range(97, 121)}


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        # cumulative boundaries round_half_up(n × 20%, 65%, 95%, 100%)
        (120, {"A": 24, "B": 54, "C": 36, "D": 6}),  # 24, 78, 114, 120
        (39, {"A": 8, "B": 17, "C": 12, "D": 2}),  # 7.8→8, 25.35→25, 37.05→37, 39
        (10, {"A": 2, "B": 5, "C": 3, "D": 0}),  # 2, 6.5→7 (half up), 9.5→10, 10
        (2, {"A": 0, "B": 1, "C": 1, "D": 0}),  # 0.4→0, 1.3→1, 1.9→2, 2
        (1, {"A": 0, "B": 1, "C": 0, "D": 0}),  # 0.2→0, 0.65→1, 0.95→1, 1
    ],
)
def test_quota_counts_round_cumulative_boundaries_half_up(n: int, expected: dict[str, int]) -> None:
    assert quota_counts(n, {"A": 20, "B": 45, "C": 30, "D": 5}) == expected


def test_ties_at_a_grade_boundary_share_the_better_grade() -> None:
    # 10 firms, boundaries A ≤ 2, B ≤ 7, C ≤ 10. Taxes 100, 90, 90, 80, … : ranks 1, 2, 2, 4, …
    data = below_scale_firms(10)
    taxes = [100.0, 90.0, 90.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0, 20.0]
    data = data.with_columns(pl.Series("tax", taxes))
    result = score(data, load_preset("huangyan-2023"))
    assert result.get_column("rank").to_list() == [1, 2, 2, 4, 5, 6, 7, 8, 9, 10]
    grades = result.get_column("grade").cast(pl.String).to_list()
    assert grades == ["A", "A", "A", "B", "B", "B", "B", "C", "C", "C"]


def test_threshold_grading_uses_score_lines() -> None:
    data = rules_dict()
    data["grading"] = {"method": "thresholds", "thresholds": {"A": 90, "B": 70, "C": 50}}
    rules = rule_set_from_mapping(data)
    frame = firms(
        *[
            {"uscc": f"T{t}", "scale": "规上", "land_mu": 1.0, "tax": float(t)}
            for t in (95, 90, 89.99, 50, 10)
        ]
    )
    grades = score(frame, rules).get_column("grade").cast(pl.String).to_list()
    assert grades == ["A", "A", "B", "C", "D"]


# --- exemptions ----------------------------------------------------------------------------


def test_exempt_firms_get_undetermined_grade_and_are_excluded_from_quota_counts() -> None:
    graded = below_scale_firms(120)
    exempt = below_scale_firms(5, prefix="E").with_columns(pl.lit("不定等级").alias("status"))
    result = score(pl.concat([graded, exempt]), load_preset("huangyan-2023"))
    counts = dict(result.get_column("grade").cast(pl.String).value_counts().iter_rows())
    assert counts == {"A": 24, "B": 54, "C": 36, "D": 6, "不定等级": 5}
    exempt_rows = result.filter(pl.col("uscc").str.starts_with("E"))
    assert exempt_rows.get_column("total").null_count() == 5
    assert exempt_rows.get_column("rank").null_count() == 5
    assert (
        exempt_rows.get_column("explanation")[0]
        == "因“评价状态为不定等级”，评为不定等级，不参与排名和分档。"
    )
    assert set(result.filter(pl.col("total").is_not_null()).get_column("segment_size")) == {120}


def huaian_firm(uscc: str, **extra: Any) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "scale": "规上",
        "land_mu": 10.0,
        "tax": 100.0,
        "revenue": 1000.0,
        "electricity": 500.0,
        **extra,
    }


def test_huaian_utilities_and_new_firms_are_not_graded() -> None:
    frame = firms(
        huaian_firm("H1", industry_code="3311", years_in_production="5"),
        huaian_firm("H2", industry_code="4411", years_in_production="10"),
        huaian_firm("H3", industry_code="3311", years_in_production="1.5"),
        huaian_firm("H4", industry_code="4610", years_in_production="3"),
    )
    result = by_uscc(score(frame, load_preset("huaian-2024")))
    assert result["H1"]["grade"] != "不定等级"
    assert result["H2"]["grade"] == "不定等级"
    assert result["H2"]["exempt_reason"] == "水、电、气资源要素供给企业（T 类）"
    assert result["H3"]["exempt_reason"] == "投产不到 2 年的新办企业（T 类）"
    assert result["H4"]["grade"] == "不定等级"
    assert result["H1"]["segment_size"] == 1


def test_a_firm_in_no_group_is_out_of_scope_even_if_an_exemption_matches() -> None:
    frame = firms(
        huaian_firm("H1", industry_code="3311"),
        huaian_firm("H2", scale="规下", land_mu=2.0, industry_code="4411"),
    )
    h2 = by_uscc(score(frame, load_preset("huaian-2024")))["H2"]
    assert h2["grade"] == "不参评"
    assert h2["exempt_reason"] is None
    assert h2["explanation"].startswith("不属于本规则集的任何评价分组（参评企业）")


def test_exemption_rules_whose_columns_are_absent_do_not_apply() -> None:
    frame = firms(huaian_firm("H1"), huaian_firm("H2"))
    result = score(frame, load_preset("huaian-2024"))
    assert result.get_column("exempt_reason").null_count() == 2
    assert result.get_column("segment_size").to_list() == [2, 2]


def test_major_project_under_construction_exemption_from_a_custom_rule_set() -> None:
    data = rules_dict()
    data["exemptions"] = [
        {
            "key": "major_project",
            "label": "重大项目在建",
            "when": {"column": "under_construction", "op": "eq", "value": "是"},
        }
    ]
    frame = firms(
        {"uscc": "P1", "scale": "规上", "land_mu": 1.0, "tax": 10.0, "under_construction": "是"},
        {"uscc": "P2", "scale": "规上", "land_mu": 1.0, "tax": 10.0, "under_construction": "否"},
    )
    result = by_uscc(score(frame, rule_set_from_mapping(data)))
    assert result["P1"]["grade"] == "不定等级"
    assert result["P2"]["grade"] != "不定等级"


# --- derived benchmarks (淮安) ----------------------------------------------------------------


def test_huaian_benchmark_is_twice_the_aggregate_ratio_of_the_reference_year() -> None:
    this_year = firms(
        huaian_firm("H1", land_mu=10.0, tax=100.0, revenue=1000.0, electricity=500.0),
        huaian_firm("H2", land_mu=30.0, tax=60.0, revenue=600.0, electricity=100.0),
        huaian_firm("H3", scale="规下", land_mu=2.0, tax=99.0, revenue=99.0, electricity=9.0),
    )
    last_year = firms(
        huaian_firm("H1", land_mu=10.0, tax=80.0, revenue=800.0, electricity=400.0),
        huaian_firm("H2", land_mu=30.0, tax=40.0, revenue=400.0, electricity=200.0),
    )
    # Benchmarks = 2 × Σ / Σ of last year: tax/mu 2×120/40 = 6; revenue/mu 2×1200/40 = 60;
    # tax/electricity 2×120/600 = 0.4.
    result = by_uscc(score(this_year, load_preset("huaian-2024"), reference=last_year))
    expected_h1 = 100 / 10 / 6 * 45 + 1000 / 10 / 60 * 35 + 100 / 500 / 0.4 * 20
    assert result["H1"]["total"] == pytest.approx(expected_h1)
    assert result["H3"]["grade"] == "不参评"  # 规下 under 3 mu
    resolved = resolve_benchmarks(last_year, load_preset("huaian-2024"))
    benchmarks = [item.benchmark for item in resolved.segments[0].items]
    assert benchmarks == pytest.approx([6.0, 60.0, 0.4])


def test_derived_benchmark_defaults_to_the_scored_frame() -> None:
    frame = firms(
        huaian_firm("H1", tax=100.0, land_mu=10.0), huaian_firm("H2", tax=300.0, land_mu=10.0)
    )
    result = by_uscc(score(frame, load_preset("huaian-2024")))
    # tax/mu benchmark 2 × 400 / 20 = 40
    assert result["H1"]["tax_per_mu_score"] == pytest.approx(10 / 40 * 45)


def test_derived_benchmark_without_data_is_a_rule_set_error() -> None:
    frame = firms(huaian_firm("H1", electricity=None))
    with pytest.raises(RuleSetError, match="单位电耗税收"):
        score(frame, load_preset("huaian-2024"))


# --- caps, bonuses, negative values ---------------------------------------------------------


def rules_dict(**item: Any) -> dict[str, Any]:
    """A one-group, one-indicator rule set (亩均税收, benchmark 100, weight 100)."""
    return {
        "name": "test-rules",
        "title": "测试规则",
        "version": "1",
        "valid_from": "2024-01-01",
        "source": {"title": "测试"},
        "indicators": {
            "tax_per_mu": {
                "label": "亩均税收",
                "unit": "万元/亩",
                "numerator": "tax",
                "denominator": "land_mu",
            }
        },
        "segments": [
            {
                "key": "above",
                "label": "规上",
                "when": {"column": "scale", "op": "eq", "value": "规上"},
                "method": "benchmark_ratio",
                "items": [{"indicator": "tax_per_mu", "weight": 100, "benchmark": 100, **item}],
            }
        ],
        "grading": {"method": "quota", "quota": {"A": 20, "B": 45, "C": 30, "D": 5}},
    }


def test_ratio_cap_limits_value_over_benchmark() -> None:
    rules = rule_set_from_mapping(rules_dict(cap=1.2))
    frame = firms(
        {"uscc": "C1", "scale": "规上", "land_mu": 1.0, "tax": 300.0},
        {"uscc": "C2", "scale": "规上", "land_mu": 1.0, "tax": 50.0},
    )
    result = by_uscc(score(frame, rules))
    assert result["C1"]["total"] == pytest.approx(120.0)
    assert result["C2"]["total"] == pytest.approx(50.0)
    assert "比值封顶 1.2" in result["C1"]["explanation"]


def test_bonus_and_penalty_items_add_up_within_their_caps() -> None:
    data = rules_dict()
    data["segments"][0]["bonuses"] = [
        {
            "key": "high_tech",
            "label": "高新技术企业",
            "when": {"column": "high_tech", "op": "eq", "value": "是"},
            "points": 3,
        },
        {"key": "patents", "label": "发明专利", "column": "patents", "points": 1, "cap": 4},
        {"key": "accidents", "label": "安全事故", "column": "accidents", "points": -10, "cap": 15},
    ]
    data["segments"][0]["bonus_cap"] = 5
    rules = rule_set_from_mapping(data)
    frame = firms(
        {"uscc": "B1", "scale": "规上", "land_mu": 1.0, "tax": 50.0, "high_tech": "是"},
        {"uscc": "B2", "scale": "规上", "land_mu": 1.0, "tax": 50.0, "high_tech": "否"},
        {"uscc": "B3", "scale": "规上", "land_mu": 1.0, "tax": 50.0, "high_tech": "否"},
    ).with_columns(pl.Series("patents", [6.0, 2.0, 0.0]), pl.Series("accidents", [0.0, 0.0, 2.0]))
    result = by_uscc(score(frame, rules))
    # B1: 3 + min(6, 4) = 7 → bonus cap 5; B2: 2; B3: −10 × 2 = −20 → item cap −15.
    assert result["B1"]["bonus"] == pytest.approx(5.0)
    assert result["B1"]["bonus_patents"] == pytest.approx(4.0)
    assert result["B2"]["total"] == pytest.approx(52.0)
    assert result["B3"]["bonus_accidents"] == pytest.approx(-15.0)
    assert result["B3"]["total"] == pytest.approx(35.0)


@pytest.mark.parametrize(
    ("negative", "expected"),
    [("as_is", -10.0), ("zero", 0.0), ("missing", 0.0)],
)
def test_negative_tax_follows_the_rule_sets_negative_value_rule(
    negative: str, expected: float
) -> None:
    rules = rule_set_from_mapping(rules_dict(negative=negative))
    frame = firms({"uscc": "N1", "scale": "规上", "land_mu": 1.0, "tax": -10.0})
    assert score(frame, rules).get_column("total").to_list() == pytest.approx([expected])


def test_zero_land_counts_as_missing_data() -> None:
    rules = rule_set_from_mapping(rules_dict())
    frame = firms({"uscc": "Z1", "scale": "规上", "land_mu": 0.0, "tax": 10.0})
    row = score(frame, rules).row(0, named=True)
    assert row["tax_per_mu_value"] is None
    assert row["total"] == 0.0
    assert "亩均税收 无数据，记 0 分" in row["explanation"]


def test_four_configurable_segments_including_tenants_without_land() -> None:
    data = rules_dict()
    item = data["segments"][0]["items"][0]
    data["indicators"]["tax_per_electricity"] = {
        "label": "单位电耗税收",
        "numerator": "tax",
        "denominator": "electricity",
    }
    above, below = ({"column": "scale", "op": "eq", "value": v} for v in ("规上", "规下"))
    has_land = {"column": "land_mu", "op": "gt", "value": 0}
    data["segments"] = [
        {
            "key": "above",
            "label": "规上",
            "when": above,
            "method": "benchmark_ratio",
            "items": [item],
        },
        {
            "key": "below_3",
            "label": "规下≥3亩",
            "when": {"all": [below, {"column": "land_mu", "op": "ge", "value": 3}]},
            "method": "benchmark_ratio",
            "items": [item],
        },
        {
            "key": "below_small",
            "label": "规下<3亩",
            "when": {"all": [below, has_land]},
            "method": "benchmark_ratio",
            "items": [item],
        },
        {
            "key": "tenant",
            "label": "租赁无地",
            "when": {
                "any": [
                    {"column": "land_mu", "op": "is_null"},
                    {"column": "land_mu", "op": "eq", "value": 0},
                ]
            },
            "method": "benchmark_ratio",
            "items": [{"indicator": "tax_per_electricity", "weight": 100, "benchmark": 0.5}],
        },
    ]
    frame = firms(
        {"uscc": "1", "scale": "规上", "land_mu": 10.0, "tax": 10.0},
        {"uscc": "2", "scale": "规下", "land_mu": 3.0, "tax": 10.0},
        {"uscc": "3", "scale": "规下", "land_mu": 2.0, "tax": 10.0},
        {"uscc": "4", "scale": "规下", "land_mu": None, "tax": 10.0, "electricity": 40.0},
    )
    result = score(frame, rule_set_from_mapping(data))
    assert result.get_column("segment").cast(pl.String).to_list() == [
        "规上",
        "规下≥3亩",
        "规下<3亩",
        "租赁无地",
    ]
    assert result.get_column("total")[3] == pytest.approx(10 / 40 / 0.5 * 100)


# --- what-if, hashing, explanations, input checks -----------------------------------------


def synthetic(n: int, seed: int = 11) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        land = rng.uniform(3, 60)
        va = land * rng.uniform(20, 300)
        rows.append(
            {
                "uscc": f"F{i:04d}",
                "scale": "规上" if i % 3 else "规下",
                "land_mu": land,
                "tax": va * rng.uniform(0.02, 0.3),
                "value_added": va,
                "revenue": va * rng.uniform(2, 6),
                "energy_tce": va / rng.uniform(1, 5),
                "emission_t": None if i % 10 == 0 else va / rng.uniform(1000, 9000),
                "employees": max(1.0, round(va / rng.uniform(8, 30))),
                "rd_expense": va * rng.uniform(0, 0.1),
                "electricity": va * rng.uniform(0.5, 3),
                "status": "不定等级" if i % 37 == 0 else "参评",
            }
        )
    return firms(*rows)


def test_what_if_changing_one_weight_lists_exactly_the_firms_whose_grade_changes() -> None:
    frame = synthetic(400)
    base = load_preset("huangyan-2023")
    changed = with_weight(base, segment=0, item=0, weight=45)  # 亩均税收 30 → 45
    before = by_uscc(score(frame, base))
    after = by_uscc(score(frame, changed))
    expected = {u for u in before if before[u]["grade"] != after[u]["grade"]}
    assert expected  # the change matters for some firms

    diff = what_if(frame, base, changed)
    assert set(diff.get_column("uscc")) == expected
    assert diff.height == len(expected)
    assert diff.columns == [
        "uscc",
        "name",
        "segment",
        "grade_before",
        "grade_after",
        "total_before",
        "total_after",
    ]
    for row in diff.iter_rows(named=True):
        assert row["grade_before"] == before[row["uscc"]]["grade"]
        assert row["grade_after"] == after[row["uscc"]]["grade"]
        assert row["total_after"] == pytest.approx(after[row["uscc"]]["total"])


def test_what_if_with_identical_rules_is_empty() -> None:
    frame = synthetic(50)
    rules = load_preset("huangyan-2023")
    assert what_if(frame, rules, rules).height == 0


def test_same_inputs_give_the_same_hash_and_any_change_gives_another() -> None:
    frame = synthetic(60)
    rules = load_preset("huangyan-2023")
    digest = content_hash(frame, rules)
    assert digest.startswith("sha256:") and len(digest) == 7 + 64
    assert content_hash(frame.clone(), load_preset("huangyan-2023")) == digest
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=3).select(reversed(frame.columns))
    assert content_hash(shuffled, rules) == digest
    changed = frame.with_columns(
        pl.when(pl.col("uscc") == "F0001")
        .then(pl.col("tax") + 0.01)
        .otherwise(pl.col("tax"))
        .alias("tax")
    )
    assert content_hash(changed, rules) != digest
    assert content_hash(frame, load_preset("huangyan-2022")) != digest
    assert content_hash(frame, rules.with_quota({"A": 25, "B": 45, "C": 25, "D": 5})) != digest


def test_explain_firm_lists_each_indicator_and_the_grade() -> None:
    rules = load_preset("huangyan-2023")
    result = score(firms(*HUANGYAN_FIRMS), rules)
    entries = explain_firm(result, rules, "S3")
    kinds = [e["kind"] for e in entries]
    assert kinds == ["indicator"] * 6 + ["total", "grade"]
    emission = next(e for e in entries if e["key"] == "va_per_emission")
    assert emission["status"] == "missing"
    assert emission["value"] is None
    tax = next(e for e in entries if e["key"] == "tax_per_mu")
    assert tax["benchmark"] == 24.097
    assert tax["ratio"] == pytest.approx(100 / 8 / 24.097)
    assert tax["score"] == pytest.approx(100 / 8 / 24.097 * 30)
    grade = entries[-1]
    assert grade["segment_size"] == 4
    assert grade["grade"] == by_uscc(result)["S3"]["grade"]


def test_explain_firm_for_an_exempt_or_unknown_firm() -> None:
    rules = load_preset("huangyan-2023")
    frame = firms(*HUANGYAN_FIRMS, {"uscc": "E1", "scale": "规上", "status": "不定等级"})
    result = score(frame, rules)
    entries = explain_firm(result, rules, "E1")
    assert entries == [
        {
            "kind": "grade",
            "grade": "不定等级",
            "segment": "规上",
            "reason": "评价状态为不定等级",
            "text": "因“评价状态为不定等级”，不定等级",
        }
    ]
    with pytest.raises(NotFound):
        explain_firm(result, rules, "NOPE")


def test_explain_firm_min_max_reports_group_bounds() -> None:
    rules = load_preset("jingde-2022")
    frame = firms(
        {
            "uscc": "Y1",
            "scale": "规下",
            "land_mu": 10.0,
            "tax": 20.0,
            "revenue": 100.0,
            "energy_tce": 10.0,
            "emission_t": 1.0,
        },
        {
            "uscc": "Y2",
            "scale": "规下",
            "land_mu": 5.0,
            "tax": 25.0,
            "revenue": 200.0,
            "energy_tce": 10.0,
            "emission_t": 4.0,
        },
    )
    entries = explain_firm(score(frame, rules), rules, "Y2")
    tax = entries[0]
    assert (tax["min"], tax["max"]) == (2.0, 5.0)


def test_grade_counts_per_segment() -> None:
    result = score(firms(*HUANGYAN_FIRMS), load_preset("huangyan-2023"))
    counts = grade_counts(result).with_columns(pl.col(pl.Enum).cast(pl.String))
    assert counts.get_column("firms").sum() == 6
    assert counts.columns == ["segment_key", "segment", "grade", "firms"]


def test_output_keeps_input_order_and_has_the_documented_columns() -> None:
    frame = firms(*HUANGYAN_FIRMS)
    result = score(frame, load_preset("huangyan-2023"))
    assert result.get_column("uscc").to_list() == frame.get_column("uscc").to_list()
    assert result.columns[:4] == ["uscc", "name", "segment_key", "segment"]
    assert result.columns[-7:] == [
        "bonus",
        "total",
        "rank",
        "segment_size",
        "grade",
        "exempt_reason",
        "explanation",
    ]
    assert "tax_per_electricity_value" in result.columns
    assert "explanation" not in score(frame, load_preset("huangyan-2023"), explain=False).columns


def test_missing_column_duplicate_uscc_and_text_numbers_are_rejected() -> None:
    rules = load_preset("huangyan-2023")
    frame = firms(*HUANGYAN_FIRMS)
    with pytest.raises(InvalidInput, match="输入缺少列：emission_t"):
        score(frame.drop("emission_t"), rules)
    with pytest.raises(InvalidInput, match="统一社会信用代码重复：S1"):
        score(pl.concat([frame, frame.head(1)]), rules)
    with pytest.raises(InvalidInput, match="列 tax 应为数值"):
        score(frame.with_columns(pl.col("tax").cast(pl.String)), rules)


def test_ranks_equal_a_per_group_min_rank_of_rounded_totals() -> None:
    below = below_scale_firms(300).with_columns((pl.col("tax") // 7).alias("tax"))  # ties
    above = synthetic(300).filter(pl.col("scale") == "规上")
    result = score(pl.concat([below, above]), load_preset("huangyan-2023"))
    reference = result.select(
        pl.col("total").round(6).rank("min", descending=True).over("segment_key").cast(pl.Int64)
    ).to_series()
    assert result.get_column("rank").to_list() == reference.to_list()
    assert result.get_column("rank").n_unique() < result.height  # ties did occur


def test_huge_totals_fall_back_to_a_float_rank() -> None:
    rules = rule_set_from_mapping(rules_dict(benchmark=1e-9))
    frame = firms(
        *[
            {"uscc": f"H{i}", "scale": "规上", "land_mu": 1.0, "tax": float(t)}
            for i, t in enumerate([5, 9, 9, 1])
        ]
    )
    result = score(frame, rules)
    assert result.get_column("total").max() > 1e9
    assert result.get_column("rank").to_list() == [3, 1, 1, 4]
