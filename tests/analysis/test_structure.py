"""Industry structure (``parkhq.analysis.structure``).

Golden values are worked out by hand in each test from the small tables built here.

The main example: two parks in one province, three divisions (万元)::

            13    36    39   total
    P1      10    30    60     100
    P2      40    50    10     100
    prov    50    80    70     200     S = (0.25, 0.40, 0.35)
"""

from __future__ import annotations

import math

import polars as pl
import pytest

from frames import rows_frame
from parkhq.analysis.structure import (
    aggregate,
    concentration,
    expand_category_map,
    growth,
    industry_level_map,
    location_quotient,
    shares,
    specialisation,
)
from parkhq.errors import InvalidInput


def firms_frame(rows: list[tuple[str | None, str, str, float]]) -> pl.DataFrame:
    """Firms from (park_code, province_code, industry_code, output_value) tuples."""
    return rows_frame(rows, ["park_code", "province_code", "industry_code", "output_value"])


@pytest.fixture
def two_parks() -> pl.DataFrame:
    return firms_frame(
        [
            ("P1", "330000", "1311", 10.0),
            ("P1", "330000", "3611", 20.0),
            ("P1", "330000", "3612", 10.0),
            ("P1", "330000", "3911", 60.0),
            ("P2", "330000", "1311", 40.0),
            ("P2", "330000", "3611", 50.0),
            ("P2", "330000", "3911", 10.0),
        ]
    )


def value(frame: pl.DataFrame, column: str, **keys: str | int) -> float:
    row = frame.filter(pl.all_horizontal(pl.col(k) == v for k, v in keys.items()))
    assert row.height == 1, row
    result = row.get_column(column).item()
    assert isinstance(result, float | int)
    return float(result)


# --------------------------------------------------------------------------- aggregate


def test_aggregate_rolls_classes_up_to_divisions_and_counts_firms(two_parks: pl.DataFrame) -> None:
    agg = aggregate(two_parks, ("park_code",), "division")
    assert value(agg, "output_value", park_code="P1", industry="36") == 30.0
    assert value(agg, "firm_count", park_code="P1", industry="36") == 2
    assert agg.height == 6


def test_aggregate_by_group_and_class_keeps_the_leading_digits(two_parks: pl.DataFrame) -> None:
    groups = aggregate(two_parks, ("park_code",), "group")
    classes = aggregate(two_parks, ("park_code",), "class")
    assert value(groups, "output_value", park_code="P1", industry="361") == 30.0
    assert value(classes, "output_value", park_code="P1", industry="3612") == 10.0


def test_aggregate_with_empty_by_gives_the_national_total(two_parks: pl.DataFrame) -> None:
    nation = aggregate(two_parks, (), "division")
    assert nation.columns == ["industry", "output_value", "firm_count"]
    assert value(nation, "output_value", industry="13") == 50.0


def test_aggregate_to_sections_uses_the_class_map(two_parks: pl.DataFrame) -> None:
    class_map = pl.DataFrame(
        {"class_code": ["1311", "3611", "3612", "3911"], "section": ["C", "C", "C", "C"]}
    )
    sections = aggregate(two_parks, ("park_code",), "section", class_map=class_map)
    assert value(sections, "output_value", park_code="P1", industry="C") == 100.0


def test_aggregate_to_sections_without_a_complete_map_is_refused(two_parks: pl.DataFrame) -> None:
    with pytest.raises(InvalidInput):
        aggregate(two_parks, ("park_code",), "section")
    partial = pl.DataFrame({"class_code": ["1311"], "section": ["C"]})
    with pytest.raises(InvalidInput, match="门类对照表缺少"):
        aggregate(two_parks, ("park_code",), "section", class_map=partial)


def test_a_class_in_two_categories_counts_in_each(two_parks: pl.DataFrame) -> None:
    category_map = pl.DataFrame(
        {
            "category": ["汽车及零部件", "新能源汽车", "电子信息"],
            "class_code": ["36", "3612", "39"],
        }
    )
    by_category = aggregate(two_parks, ("park_code",), "category", class_map=category_map)
    assert value(by_category, "output_value", park_code="P1", industry="汽车及零部件") == 30.0
    assert value(by_category, "output_value", park_code="P1", industry="新能源汽车") == 10.0
    assert value(by_category, "output_value", park_code="P1", industry="电子信息") == 60.0
    # 1311 is in no category and is left out.
    assert by_category.filter(pl.col("park_code") == "P1").get_column("output_value").sum() == 100


def test_expand_category_map_resolves_division_group_and_class_codes() -> None:
    category_map = pl.DataFrame(
        {"category": ["甲", "乙", "丙", "甲"], "class_code": ["36", "391", "3911", "3612"]}
    )
    classes = pl.Series(["3611", "3612", "3911", "3912", "1311"])
    expanded = expand_category_map(category_map, classes)
    assert expanded.rows() == [
        ("丙", "3911"),
        ("乙", "3911"),
        ("乙", "3912"),
        ("甲", "3611"),
        ("甲", "3612"),
    ]


def test_industry_level_map_of_groups_takes_three_digits() -> None:
    level_map = industry_level_map(pl.Series(["3611", "3612"]), "group")
    assert level_map.sort("class_code").rows() == [("3611", "361"), ("3612", "361")]


@pytest.mark.parametrize("bad", ["361", "36110", "C361", None])
def test_aggregate_refuses_codes_that_are_not_four_digit_classes(bad: str | None) -> None:
    firms = firms_frame([("P1", "330000", "3611", 1.0), ("P1", "330000", bad or "", 1.0)])
    if bad is None:
        firms = firms.with_columns(
            pl.when(pl.col("industry_code") == "")
            .then(None)
            .otherwise(pl.col("industry_code"))
            .alias("industry_code")
        )
    with pytest.raises(InvalidInput, match="4 位行业小类代码"):
        aggregate(firms, ("park_code",), "division")


def test_aggregate_refuses_numeric_industry_codes() -> None:
    firms = pl.DataFrame({"park_code": ["P1"], "industry_code": [3611], "output_value": [1.0]})
    with pytest.raises(InvalidInput, match="应为文本"):
        aggregate(firms)


def test_aggregate_names_missing_columns() -> None:
    with pytest.raises(InvalidInput, match="output_value"):
        aggregate(pl.DataFrame({"park_code": ["P1"], "industry_code": ["3611"]}))


# --------------------------------------------------------------------------- shares


def test_shares_divide_by_the_unit_total_and_leave_empty_units_null() -> None:
    agg = pl.DataFrame(
        {
            "park_code": ["P1", "P1", "P2"],
            "industry": ["13", "36", "13"],
            "output_value": [25.0, 75.0, 0.0],
            "employees": [3, 1, 0],
        }
    )
    result = shares(agg)
    assert value(result, "share_output_value", park_code="P1", industry="36") == 0.75
    assert value(result, "share_employees", park_code="P1", industry="13") == 0.75
    assert (
        result.filter(pl.col("park_code") == "P2").get_column("share_output_value").item() is None
    )


def test_shares_refuse_negative_measures() -> None:
    agg = pl.DataFrame({"park_code": ["P1"], "industry": ["13"], "output_value": [-1.0]})
    with pytest.raises(InvalidInput, match="负数"):
        shares(agg)


# --------------------------------------------------------------------------- location quotient


def test_lq_on_the_2x3_hand_example(two_parks: pl.DataFrame) -> None:
    parks = aggregate(two_parks, ("park_code", "province_code"), "division")
    province = aggregate(two_parks, ("province_code",), "division")
    lq = location_quotient(parks, province)
    expected = {
        ("P1", "13"): (10 / 100) / (50 / 200),
        ("P1", "36"): (30 / 100) / (80 / 200),
        ("P1", "39"): (60 / 100) / (70 / 200),
        ("P2", "13"): (40 / 100) / (50 / 200),
        ("P2", "36"): (50 / 100) / (80 / 200),
        ("P2", "39"): (10 / 100) / (70 / 200),
    }
    for (park, industry), lq_value in expected.items():
        assert value(lq, "lq", park_code=park, industry=industry) == pytest.approx(lq_value)
    assert value(lq, "lq", park_code="P1", industry="39") == pytest.approx(12 / 7)
    assert value(lq, "share", park_code="P2", industry="36") == pytest.approx(0.5)
    assert value(lq, "reference_share", park_code="P2", industry="36") == pytest.approx(0.4)


def test_lq_rows_keep_the_order_of_the_unit_frame(two_parks: pl.DataFrame) -> None:
    parks = aggregate(two_parks, ("park_code", "province_code"), "division")
    shuffled = parks.sample(fraction=1.0, shuffle=True, seed=7)
    province = aggregate(two_parks, ("province_code",), "division")
    lq = location_quotient(shuffled, province)
    assert (
        lq.select("park_code", "industry").rows() == shuffled.select("park_code", "industry").rows()
    )
    nation = location_quotient(shuffled, province, unit_by=("park_code",), reference_by=())
    assert nation.get_column("industry").to_list() == shuffled.get_column("industry").to_list()


def test_firms_outside_parks_count_in_the_province_reference(two_parks: pl.DataFrame) -> None:
    firms = pl.concat([two_parks, firms_frame([(None, "330000", "3911", 100.0)])])
    parks = aggregate(
        firms.filter(pl.col("park_code").is_not_null()), ("park_code", "province_code")
    )
    province = aggregate(firms, ("province_code",))
    lq = location_quotient(parks, province)
    # Province: 13 = 50, 36 = 80, 39 = 170 of 300.
    assert value(lq, "lq", park_code="P1", industry="39") == pytest.approx(0.6 / (170 / 300))


def test_lq_against_the_nation_uses_an_empty_reference_key() -> None:
    firms = firms_frame(
        [
            ("P1", "330000", "3911", 30.0),
            ("P1", "330000", "1311", 10.0),
            ("P2", "320000", "3911", 10.0),
            ("P2", "320000", "1311", 50.0),
        ]
    )
    parks = aggregate(firms, ("park_code", "province_code"))
    nation = aggregate(firms, ())
    lq = location_quotient(parks, nation, unit_by=("park_code",), reference_by=())
    # Nation: 39 = 40 of 100.
    assert value(lq, "lq", park_code="P1", industry="39") == pytest.approx((30 / 40) / (40 / 100))
    assert value(lq, "lq", park_code="P2", industry="39") == pytest.approx((10 / 60) / (40 / 100))


def test_lq_is_null_for_an_industry_missing_from_the_reference() -> None:
    parks = pl.DataFrame(
        {
            "park_code": ["P1", "P1"],
            "province_code": ["330000", "330000"],
            "industry": ["13", "39"],
            "output_value": [1.0, 1.0],
        }
    )
    province = pl.DataFrame(
        {"province_code": ["330000"], "industry": ["13"], "output_value": [10.0]}
    )
    lq = location_quotient(parks, province)
    assert value(lq, "lq", park_code="P1", industry="13") == pytest.approx(0.5)
    assert lq.filter(pl.col("industry") == "39").get_column("lq").item() is None


def test_lq_refuses_a_park_in_two_provinces() -> None:
    parks = pl.DataFrame(
        {
            "park_code": ["P1", "P1"],
            "province_code": ["330000", "320000"],
            "industry": ["13", "39"],
            "output_value": [1.0, 1.0],
        }
    )
    with pytest.raises(InvalidInput, match="多个参照区域"):
        location_quotient(parks, parks)


# --------------------------------------------------------------------------- concentration


def test_cr3_and_hhi_on_shares_40_30_20_10() -> None:
    agg = pl.DataFrame(
        {
            "park_code": ["P1"] * 4,
            "industry": ["13", "26", "36", "39"],
            "output_value": [400.0, 300.0, 200.0, 100.0],
        }
    )
    result = concentration(agg)
    row = result.row(0, named=True)
    assert row["n_industries"] == 4
    assert row["cr3"] == pytest.approx(0.4 + 0.3 + 0.2)
    hhi = 0.4**2 + 0.3**2 + 0.2**2 + 0.1**2
    assert row["hhi"] == pytest.approx(0.30)
    assert row["hhi"] == pytest.approx(hhi)
    assert row["hhi_points"] == pytest.approx(3000.0)
    assert row["hhi_normalised"] == pytest.approx((0.30 - 1 / 4) / (1 - 1 / 4))
    entropy = -sum(s * math.log(s) for s in (0.4, 0.3, 0.2, 0.1))
    assert row["entropy"] == pytest.approx(entropy)


def test_concentration_of_a_single_industry_park_and_an_empty_park() -> None:
    agg = pl.DataFrame(
        {
            "park_code": ["P1", "P2", "P2"],
            "industry": ["13", "13", "39"],
            "output_value": [5.0, 0.0, 0.0],
        }
    )
    result = concentration(agg, k=2)
    p1 = result.filter(pl.col("park_code") == "P1").row(0, named=True)
    assert (p1["cr2"], p1["hhi"], p1["hhi_points"]) == (1.0, 1.0, 10_000.0)
    assert p1["hhi_normalised"] is None
    p2 = result.filter(pl.col("park_code") == "P2").row(0, named=True)
    assert p2["n_industries"] == 0
    assert p2["cr2"] is None
    assert p2["hhi"] is None


# --------------------------------------------------------------------------- specialisation


def test_krugman_and_hoover_against_the_province(two_parks: pl.DataFrame) -> None:
    parks = aggregate(two_parks, ("park_code", "province_code"))
    province = aggregate(two_parks, ("province_code",))
    result = specialisation(parks, province)
    k1 = abs(0.1 - 0.25) + abs(0.3 - 0.4) + abs(0.6 - 0.35)
    k2 = abs(0.4 - 0.25) + abs(0.5 - 0.4) + abs(0.1 - 0.35)
    assert value(result, "krugman", park_code="P1") == pytest.approx(k1)
    assert value(result, "krugman", park_code="P1") == pytest.approx(0.5)
    assert value(result, "hoover", park_code="P1") == pytest.approx(k1 / 2)
    assert value(result, "krugman", park_code="P2") == pytest.approx(k2)


def test_krugman_counts_reference_industries_the_park_lacks() -> None:
    park = pl.DataFrame(
        {
            "park_code": ["P3"],
            "province_code": ["330000"],
            "industry": ["39"],
            "output_value": [5.0],
        }
    )
    province = pl.DataFrame(
        {
            "province_code": ["330000"] * 3,
            "industry": ["13", "36", "39"],
            "output_value": [50.0, 80.0, 70.0],
        }
    )
    result = specialisation(park, province)
    assert value(result, "krugman", park_code="P3") == pytest.approx(abs(1 - 0.35) + 0.25 + 0.40)
    assert value(result, "hoover", park_code="P3") == pytest.approx(1.3 / 2)


def test_a_park_identical_to_its_province_has_zero_specialisation() -> None:
    firms = firms_frame([("P1", "330000", "1311", 2.0), ("P1", "330000", "3911", 3.0)])
    parks = aggregate(firms, ("park_code", "province_code"))
    result = specialisation(parks, aggregate(firms, ("province_code",)))
    assert value(result, "krugman", park_code="P1") == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------- growth


def test_year_on_year_growth_of_each_park_industry() -> None:
    agg = pl.DataFrame(
        {
            "park_code": ["P1", "P1", "P1", "P1"],
            "year": [2023, 2024, 2024, 2022],
            "industry": ["39", "39", "36", "36"],
            "output_value": [100.0, 125.0, 80.0, 50.0],
        }
    )
    result = growth(agg, by=("park_code",))
    assert value(result, "output_value_yoy", industry="39", year=2024) == pytest.approx(0.25)
    assert value(result, "output_value_previous", industry="39", year=2024) == 100.0
    # 36 has 2022 and 2024 but no 2023: no growth for 2024 (gaps are not bridged).
    assert (
        result.filter((pl.col("industry") == "36") & (pl.col("year") == 2024))
        .get_column("output_value_yoy")
        .item()
        is None
    )


def test_monthly_growth_compares_the_same_month_a_year_earlier() -> None:
    agg = pl.DataFrame(
        {
            "park_code": ["P1", "P1", "P1"],
            "period": ["2023-03", "2024-02", "2024-03"],
            "industry": ["39", "39", "39"],
            "output_value": [40.0, 10.0, 50.0],
        }
    )
    result = growth(agg, by=("park_code",), period_column="period")
    march = result.filter(pl.col("period") == "2024-03").row(0, named=True)
    assert march["output_value_yoy"] == pytest.approx(50 / 40 - 1)
    february = result.filter(pl.col("period") == "2024-02").row(0, named=True)
    assert february["output_value_yoy"] is None


def test_growth_from_a_zero_base_is_null() -> None:
    agg = pl.DataFrame(
        {
            "park_code": ["P1", "P1"],
            "year": ["2023", "2024"],
            "industry": ["39", "39"],
            "output_value": [0.0, 10.0],
        }
    )
    result = growth(agg, by=("park_code",))
    assert result.filter(pl.col("year") == "2024").get_column("output_value_yoy").item() is None


def test_growth_refuses_periods_it_cannot_read() -> None:
    agg = pl.DataFrame(
        {"park_code": ["P1"], "year": ["2024年"], "industry": ["39"], "output_value": [1.0]}
    )
    with pytest.raises(InvalidInput, match="YYYY"):
        growth(agg, by=("park_code",))
