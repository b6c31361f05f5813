"""Measured leading industries and declared ones (``parkhq.analysis.leading``), and the rule set.

Golden values are worked out by hand in each test from the small tables built here (万元).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from frames import rows_frame
from parkhq.analysis.leading import (
    VERDICT_LABELS,
    apply_leading_rules,
    compare_declared,
    declared_category_shares,
    leading_indicators,
    measured_leading,
)
from parkhq.errors import InvalidInput, RuleSetError
from parkhq.reference.rules import (
    DeclaredRules,
    LeadingRules,
    load_leading_rules,
    parse_leading_rules,
)

CATEGORY_MAP = pl.DataFrame(
    {
        "category": ["电子信息", "汽车及零部件", "新能源汽车", "生物医药", "新材料"],
        "class_code": ["39", "36", "3612", "27", "30"],
    }
)


def rules_with(**changes: Any) -> LeadingRules:
    """The shipped rule set with top-level fields replaced (validated again)."""
    data = load_leading_rules().model_dump(mode="json")
    data.update(changes)
    return parse_leading_rules(data)


def criterion(indicator: str, minimum: float) -> dict[str, Any]:
    return {"indicator": indicator, "min": minimum, "source": "测试", "confidence": "U"}


SHARE_ONLY = {"criteria": [criterion("share", 0.10)]}


def firms_frame(
    rows: list[tuple[str | None, str, float]], province: str = "330000"
) -> pl.DataFrame:
    """Firms from (park_code, industry_code, output_value) tuples in one province."""
    return rows_frame(
        [(park, province, code, output) for park, code, output in rows],
        ["park_code", "province_code", "industry_code", "output_value"],
    )


def leading_of(frame: pl.DataFrame, park: str) -> list[str]:
    return (
        frame.filter((pl.col("park_code") == park) & pl.col("is_leading"))
        .sort("leading_rank")
        .get_column("industry")
        .to_list()
    )


def row_of(frame: pl.DataFrame, park: str) -> dict[str, Any]:
    return frame.filter(pl.col("park_code") == park).row(0, named=True)


# --------------------------------------------------------------------------- the rule set


def test_the_shipped_leading_rule_set_loads_with_its_source_and_date() -> None:
    rules = load_leading_rules()
    assert rules.version
    assert rules.source
    assert isinstance(rules.valid_from, date)
    assert rules.top_n.value == 3
    assert rules.declared.max_count.value == 3
    assert rules.declared.strong_share.value == 0.70
    assert rules.declared.weak_share.value == 0.40
    assert {c.indicator for c in rules.criteria} >= {"share", "lq_province", "size"}
    assert all(c.source and c.confidence in ("C", "S", "U") for c in rules.criteria)


def test_a_rule_set_with_weak_above_strong_is_refused() -> None:
    data = load_leading_rules().model_dump(mode="json")
    data["declared"]["weak_share"]["value"] = 0.8
    with pytest.raises(RuleSetError, match="weak_share"):
        parse_leading_rules(data)


def test_a_rule_set_testing_one_indicator_twice_is_refused() -> None:
    with pytest.raises(RuleSetError, match="重复"):
        rules_with(criteria=[criterion("share", 0.1), criterion("share", 0.2)])


def test_a_share_criterion_given_in_percent_is_refused() -> None:
    with pytest.raises(RuleSetError, match="0–1"):
        rules_with(criteria=[criterion("share", 10)])


def test_a_rule_set_with_an_unknown_field_is_refused() -> None:
    data = load_leading_rules().model_dump(mode="json")
    data["weights"] = [1, 2]
    with pytest.raises(RuleSetError, match="weights"):
        parse_leading_rules(data)


def test_a_local_rule_file_is_loaded_from_its_path(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "src/parkhq/reference/data/leading_rules.yaml"
    text = shipped.read_text(encoding="utf-8").replace('version: "2025.1"', 'version: "本地-2"')
    path = tmp_path / "local.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_leading_rules(path).version == "本地-2"


def test_a_missing_or_broken_rule_file_raises_rule_set_error(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="无法读取"):
        load_leading_rules(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("criteria: [unclosed", encoding="utf-8")
    with pytest.raises(RuleSetError, match="YAML"):
        load_leading_rules(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="映射"):
        load_leading_rules(listed)


# --------------------------------------------------------------------------- the criteria


@pytest.fixture
def indicators() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "park_code": ["P1"] * 5 + ["P2"],
            "industry": ["39", "36", "38", "34", "13", "39"],
            "output_value": [40000.0, 25000.0, 15000.0, 12000.0, 8000.0, 50000.0],
            "share": [0.40, 0.25, 0.15, 0.12, 0.08, 1.0],
            "lq_province": [2.0, 1.5, 1.3, 1.4, 3.0, None],
            "lq_nation": [1.0] * 6,
            "growth": [None] * 6,
        },
        schema_overrides={"growth": pl.Float64},
    )


def test_four_qualifying_industries_are_capped_at_the_top_three_by_share(
    indicators: pl.DataFrame,
) -> None:
    result = apply_leading_rules(indicators, load_leading_rules())
    assert leading_of(result, "P1") == ["39", "36", "38"]
    fourth = result.filter(pl.col("industry") == "34").row(0, named=True)
    assert (fourth["qualifies"], fourth["leading_rank"], fourth["is_leading"]) == (True, 4, False)


def test_an_industry_failing_share_and_size_is_not_leading_under_all(
    indicators: pl.DataFrame,
) -> None:
    result = apply_leading_rules(indicators, load_leading_rules())
    small = result.filter((pl.col("park_code") == "P1") & (pl.col("industry") == "13"))
    assert small.row(0, named=True)["criteria_met"] == 1
    assert small.row(0, named=True)["leading_rank"] is None


def test_a_null_lq_fails_its_criterion(indicators: pl.DataFrame) -> None:
    result = apply_leading_rules(indicators, load_leading_rules())
    assert leading_of(result, "P2") == []
    assert row_of(result, "P2")["criteria_met"] == 2


def test_any_logic_lets_one_criterion_suffice(indicators: pl.DataFrame) -> None:
    result = apply_leading_rules(
        indicators,
        rules_with(combine="any", top_n={"value": 5, "source": "测试", "confidence": "U"}),
    )
    assert leading_of(result, "P1") == ["39", "36", "38", "34", "13"]


def test_a_growth_criterion_without_any_growth_data_is_refused(indicators: pl.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="增速"):
        apply_leading_rules(indicators, rules_with(criteria=[criterion("growth", 0.1)]))


# --------------------------------------------------------------------------- measured


def test_lq_is_measured_against_all_firms_of_the_province() -> None:
    firms = firms_frame(
        [
            ("P1", "3911", 60000.0),
            ("P1", "1311", 40000.0),
            (None, "1311", 900000.0),
            (None, "3911", 100000.0),
        ]
    )
    result = leading_indicators(firms)
    # Province: 13 = 940,000 and 39 = 160,000 of 1,100,000.
    p1_39 = result.filter(pl.col("industry") == "39").row(0, named=True)
    assert p1_39["share"] == pytest.approx(0.6)
    assert p1_39["lq_province"] == pytest.approx(0.6 / (160000 / 1100000))
    p1_13 = result.filter(pl.col("industry") == "13").row(0, named=True)
    assert p1_13["lq_province"] == pytest.approx(0.4 / (940000 / 1100000))
    assert leading_of(measured_leading(firms, load_leading_rules()), "P1") == ["39"]


def test_growth_compares_the_latest_year_with_the_year_before() -> None:
    firms = pl.concat(
        [
            firms_frame([("P1", "3911", 100.0), ("P1", "1311", 100.0)]).with_columns(
                year=pl.lit(2023)
            ),
            firms_frame([("P1", "3911", 130.0), ("P1", "1311", 105.0)]).with_columns(
                year=pl.lit(2024)
            ),
        ]
    )
    result = leading_indicators(firms, period_column="year")
    assert result.get_column("year").unique().to_list() == [2024]
    assert row_of(result.filter(pl.col("industry") == "39"), "P1")["growth"] == pytest.approx(0.30)
    rules = rules_with(criteria=[criterion("growth", 0.10)])
    assert leading_of(measured_leading(firms, rules, period_column="year"), "P1") == ["39"]


def test_a_growth_rule_needs_a_period_column() -> None:
    firms = firms_frame([("P1", "3911", 100.0)])
    with pytest.raises(InvalidInput, match="period_column"):
        measured_leading(firms, rules_with(criteria=[criterion("growth", 0.1)]))


# --------------------------------------------------------------------------- declared


@pytest.fixture
def parks() -> pl.DataFrame:
    return firms_frame(
        [
            # A: 39 50 %, 36 30 %, 27 5 %, 13 15 % of 100,000.
            ("A", "3911", 50000.0),
            ("A", "3611", 30000.0),
            ("A", "2710", 5000.0),
            ("A", "1311", 15000.0),
            # B: 39 30 %, 13 70 %.
            ("B", "3911", 30000.0),
            ("B", "1311", 70000.0),
            # C: 36 55 %, 39 45 %.
            ("C", "3611", 55000.0),
            ("C", "3911", 45000.0),
            # F: 3612 60 %, 13 40 %.
            ("F", "3612", 60000.0),
            ("F", "1311", 40000.0),
        ]
    )


@pytest.fixture
def declared() -> pl.DataFrame:
    rows = [
        ("A", "电子信息", "电子信息"),
        ("A", "汽车", "汽车及零部件"),
        ("A", "生物医药", "生物医药"),
        ("A", "新材料", "新材料"),
        ("B", "电子信息", "电子信息"),
        ("B", "集成电路", "电子信息"),
        ("B", "未来产业", None),
        ("C", "汽车及零部件", "汽车及零部件"),
        ("D", "电子信息", "电子信息"),
        ("F", "汽车及零部件", "汽车及零部件"),
        ("F", "新能源汽车", "新能源汽车"),
    ]
    return pl.DataFrame(
        rows, schema={"park_code": pl.String, "raw": pl.String, "category": pl.String}, orient="row"
    )


@pytest.fixture
def comparison(parks: pl.DataFrame, declared: pl.DataFrame) -> pl.DataFrame:
    rules = rules_with(**SHARE_ONLY)
    leading = measured_leading(parks, rules)
    return compare_declared(parks, declared, CATEGORY_MAP, leading, rules)


def test_a_park_declaring_four_industries_exceeds_three(comparison: pl.DataFrame) -> None:
    a = row_of(comparison, "A")
    assert a["declared_count"] == 4
    assert a["exceeds_three"] is True
    assert row_of(comparison, "C")["exceeds_three"] is False


def test_two_items_of_one_category_count_as_two_declared_industries(
    comparison: pl.DataFrame,
) -> None:
    b = row_of(comparison, "B")
    # 电子信息 + 集成电路 (both 电子信息) + 未来产业 (not placed) = 3 items, 1 category.
    assert b["declared_count"] == 3
    assert b["declared_categories"] == ["电子信息"]


def test_declared_share_of_85_percent_is_strong(comparison: pl.DataFrame) -> None:
    a = row_of(comparison, "A")
    assert a["declared_output_share"] == pytest.approx((50000 + 30000 + 5000) / 100000)
    assert a["verdict"] == "strong"
    assert a["verdict_label"] == VERDICT_LABELS["strong"]


def test_declared_share_of_30_percent_is_weak(comparison: pl.DataFrame) -> None:
    b = row_of(comparison, "B")
    assert b["declared_output_share"] == pytest.approx(0.30)
    assert b["verdict"] == "weak"


def test_declared_share_of_55_percent_is_moderate(comparison: pl.DataFrame) -> None:
    c = row_of(comparison, "C")
    assert c["declared_output_share"] == pytest.approx(0.55)
    assert c["verdict"] == "moderate"


def test_a_firm_in_two_declared_categories_counts_once_in_the_declared_share(
    comparison: pl.DataFrame,
) -> None:
    # F: 3612 is in 汽车及零部件 (36) and in 新能源汽车 (3612); 60 %, not 120 %.
    assert row_of(comparison, "F")["declared_output_share"] == pytest.approx(0.60)


@pytest.mark.parametrize(
    ("declared_output", "verdict"), [(70000.0, "strong"), (40000.0, "moderate"), (39999.0, "weak")]
)
def test_verdict_boundaries_at_70_and_40_percent(declared_output: float, verdict: str) -> None:
    firms = firms_frame([("P", "3911", declared_output), ("P", "1311", 100000.0 - declared_output)])
    declared = pl.DataFrame({"park_code": ["P"], "raw": ["电子信息"], "category": ["电子信息"]})
    rules = rules_with(**SHARE_ONLY)
    result = compare_declared(firms, declared, CATEGORY_MAP, measured_leading(firms, rules), rules)
    assert row_of(result, "P")["verdict"] == verdict


def test_declared_but_not_real_lists_categories_below_ten_percent(
    comparison: pl.DataFrame,
) -> None:
    # A: 生物医药 5 %, 新材料 0 %; 电子信息 50 % and 汽车及零部件 30 % are real.
    assert row_of(comparison, "A")["declared_but_not_real"] == ["新材料", "生物医药"]
    assert row_of(comparison, "B")["declared_but_not_real"] == []


def test_real_but_undeclared_lists_measured_leading_industries_nobody_declared(
    comparison: pl.DataFrame,
) -> None:
    # A: 39, 36, 13 lead (50/30/15 %); 13 is in no declared category.
    assert row_of(comparison, "A")["real_but_undeclared"] == ["13"]
    # B: 13 (70 %) and 39 (30 %) lead; only 39 is declared.
    assert row_of(comparison, "B")["real_but_undeclared"] == ["13"]
    # C: 36 (55 %) and 39 (45 %) lead; only 汽车及零部件 (36) is declared.
    assert row_of(comparison, "C")["real_but_undeclared"] == ["39"]


def test_a_park_without_output_data_gets_no_verdict(comparison: pl.DataFrame) -> None:
    d = row_of(comparison, "D")
    assert d["verdict"] == "no_data"
    assert d["declared_output_share"] is None
    assert d["declared_but_not_real"] is None
    assert d["real_but_undeclared"] is None
    assert d["declared_count"] == 1


@pytest.mark.parametrize(("ev_output", "undeclared"), [(70000.0, []), (40000.0, ["36"])])
def test_a_leading_division_counts_as_declared_when_half_its_output_is_covered(
    ev_output: float, undeclared: list[str]
) -> None:
    # Division 36 leads; only its class 3612 is declared (新能源汽车).
    firms = firms_frame([("E", "3612", ev_output), ("E", "3611", 100000.0 - ev_output)])
    declared = pl.DataFrame({"park_code": ["E"], "raw": ["新能源汽车"], "category": ["新能源汽车"]})
    rules = rules_with(**SHARE_ONLY)
    result = compare_declared(firms, declared, CATEGORY_MAP, measured_leading(firms, rules), rules)
    assert row_of(result, "E")["real_but_undeclared"] == undeclared


def test_a_declared_count_column_may_replace_the_items(parks: pl.DataFrame) -> None:
    declared = pl.DataFrame(
        {"park_code": ["C"], "category": ["汽车及零部件"], "declared_count": [5]}
    )
    rules = rules_with(**SHARE_ONLY)
    result = compare_declared(parks, declared, CATEGORY_MAP, measured_leading(parks, rules), rules)
    assert row_of(result, "C")["declared_count"] == 5
    assert row_of(result, "C")["exceeds_three"] is True


def test_declared_rows_without_items_or_count_are_refused(parks: pl.DataFrame) -> None:
    declared = pl.DataFrame({"park_code": ["C"], "category": ["汽车及零部件"]})
    rules = load_leading_rules()
    with pytest.raises(InvalidInput, match="declared_count"):
        compare_declared(parks, declared, CATEGORY_MAP, measured_leading(parks, rules), rules)


def test_declared_category_shares_of_each_declared_category(
    parks: pl.DataFrame, declared: pl.DataFrame
) -> None:
    result = declared_category_shares(parks, declared, CATEGORY_MAP)
    a = {
        row["category"]: row["share"]
        for row in result.filter(pl.col("park_code") == "A").iter_rows(named=True)
    }
    assert a == pytest.approx(
        {"电子信息": 0.5, "汽车及零部件": 0.3, "生物医药": 0.05, "新材料": 0.0}
    )
    d = result.filter(pl.col("park_code") == "D").row(0, named=True)
    assert d["share"] is None


def test_every_leading_rule_field_is_documented() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs/analysis/structure.md"
    text = docs.read_text(encoding="utf-8")
    fields = [f"`{name}`" for name in LeadingRules.model_fields if name != "declared"]
    fields += [f"`declared.{name}`" for name in DeclaredRules.model_fields]
    fields += [f"`criteria[].{name}`" for name in ("indicator", "min", "source", "confidence")]
    assert [field for field in fields if field not in text] == []
