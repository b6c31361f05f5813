"""Measured leading industries from a cube, and the integer ranking of ``apply_leading_rules``.

* ``leading_indicators`` / ``measured_leading`` give the same frames from an
  :class:`~parkhq.analysis.cube.IndustryCube` as from its firm rows (random parks in several
  provinces, firms outside parks, null and zero measures, tied values, several rule sets, every
  level);
* ``apply_leading_rules`` orders and ranks rows exactly as the Polars sort it replaces
  (:func:`sorted_by_polars`), on rows in any order with null parks, industries and shares, NaN
  shares and ties.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from frames import class_map_for, rows_frame
from parkhq.analysis.cube import IndustryCube
from parkhq.analysis.leading import apply_leading_rules, leading_indicators, measured_leading
from parkhq.analysis.structure import INDUSTRY
from parkhq.reference.rules import LeadingRules, load_leading_rules, parse_leading_rules

CLASSES = ["3011", "3021", "3611", "3612", "3660", "3911", "3971", "2710", "1713", "0111", "6531"]
PROVINCES = ["330000", "340000", "110000"]
LEVELS = ["division", "group", "class", "section", "category"]


def rule_set(**changes: Any) -> LeadingRules:
    data = load_leading_rules().model_dump(mode="json")
    criteria = changes.pop("criteria", None)
    if criteria is not None:
        data["criteria"] = [
            {"indicator": name, "min": value, "source": "测试", "confidence": "U"}
            for name, value in criteria.items()
        ]
    if "top_n" in changes:
        data["top_n"]["value"] = changes.pop("top_n")
    data.update(changes)
    return parse_leading_rules(data)


RULES = {
    "shipped": load_leading_rules(),
    "any": rule_set(combine="any", criteria={"share": 0.3, "lq_nation": 1.5}, top_n=1),
    "loose": rule_set(criteria={"share": 0.0, "lq_nation": 0.0}, top_n=2),
    "size": rule_set(criteria={"size": 500.0}, top_n=3),
}


def firms_frame(seed: int) -> pl.DataFrame:
    """Random firms: sizes around the 10,000 万元 floor, nulls, zeros and tied values."""
    rng = np.random.default_rng(seed)
    parks = {f"P{i:02d}": str(rng.choice(PROVINCES)) for i in range(int(rng.integers(1, 10)))}
    rows = []
    for park, province in [*parks.items(), (None, None)]:
        classes = rng.choice(CLASSES, size=int(rng.integers(1, 9)), replace=False)
        for _ in range(int(rng.integers(1, 30))):
            where = str(rng.choice(PROVINCES)) if park is None else province
            draw = rng.random()
            output = (
                None
                if draw < 0.15 or park == "P02"  # P02: no output at all
                else 0.0
                if draw < 0.25
                else 20_000.0  # ties
                if draw < 0.5
                else float(rng.lognormal(9, 1.5))
            )
            rows.append((park, where, str(rng.choice(classes)), output))
    frame = rows_frame(rows, ["park_code", "province_code", "industry_code", "output_value"])
    return frame.with_columns(pl.lit("330100").alias("city_code"))


def sorted_by_polars(indicators: pl.DataFrame, rules: LeadingRules) -> pl.DataFrame:
    """The first implementation of ``apply_leading_rules``: a Polars sort and a window rank."""
    columns = {
        "share": "share",
        "lq_province": "lq_province",
        "lq_nation": "lq_nation",
        "size": rules.measure,
        "growth": "growth",
    }
    tests = [
        (pl.col(columns[c.indicator]) >= c.min).fill_null(False).alias(c.indicator)
        for c in rules.criteria
    ]
    qualifies = pl.all_horizontal(tests) if rules.combine == "all" else pl.any_horizontal(tests)
    scored = indicators.with_columns(
        pl.sum_horizontal([t.cast(pl.UInt32) for t in tests]).alias("criteria_met"),
        qualifies.alias("qualifies"),
    ).sort(
        ["park_code", "qualifies", "share", INDUSTRY],
        descending=[False, True, True, False],
        nulls_last=True,
    )
    rank = pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("park_code")
    return scored.with_columns(
        pl.when(pl.col("qualifies")).then(rank).alias("leading_rank")
    ).with_columns(
        (pl.col("qualifies") & (pl.col("leading_rank") <= rules.top_n.value))
        .fill_null(False)
        .alias("is_leading")
    )


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", range(15))
def test_a_cube_gives_the_indicators_and_leading_industries_of_its_firm_rows(
    seed: int, level: str
) -> None:
    firms = firms_frame(seed)
    cube = IndustryCube.from_firms(firms)
    class_map = class_map_for(level)
    assert_frame_equal(
        leading_indicators(cube, level=level, class_map=class_map),
        leading_indicators(firms, level=level, class_map=class_map),
        check_exact=False,
        rel_tol=1e-12,
    )
    for rules in RULES.values():
        rules = rules.model_copy(update={"level": level})
        expected = measured_leading(firms, rules, class_map=class_map)
        actual = measured_leading(cube, rules, class_map=class_map)
        assert_frame_equal(actual, expected, check_exact=False, rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(15))
def test_the_ranking_of_sorted_indicators_is_the_polars_sort(seed: int) -> None:
    indicators = leading_indicators(firms_frame(seed))
    for rules in RULES.values():
        assert_frame_equal(
            apply_leading_rules(indicators, rules), sorted_by_polars(indicators, rules)
        )


def indicator_rows(seed: int) -> pl.DataFrame:
    """Indicator rows in random order: null parks, industries and shares, NaN, ties, negatives."""
    rng = np.random.default_rng(seed)
    parks = [None, "A", "B", "C10", "C2"]
    industries = [None, "13", "27", "30", "36", "39", "6"]
    pairs = [(p, i) for p in parks for i in industries if rng.random() < 0.7]
    shares = [None, float("nan"), 0.0, 0.0, 0.1, 0.25, 0.25, 0.5, -0.1, float("inf")]
    rows = [
        {
            "park_code": park,
            INDUSTRY: industry,
            "output_value": float(rng.choice([0.0, 5_000.0, 20_000.0])),
            "share": shares[int(rng.integers(len(shares)))],
            "lq_province": None if rng.random() < 0.2 else float(rng.choice([0.5, 1.5, 2.0])),
            "lq_nation": float(rng.choice([0.5, 1.5])),
            "growth": None,
        }
        for park, industry in pairs
    ]
    schema = {
        "park_code": pl.String,
        INDUSTRY: pl.String,
        "output_value": pl.Float64,
        "share": pl.Float64,
        "lq_province": pl.Float64,
        "lq_nation": pl.Float64,
        "growth": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema).sample(fraction=1.0, shuffle=True, seed=seed)


@pytest.mark.parametrize("seed", range(40))
def test_the_ranking_of_rows_in_any_order_is_the_polars_sort(seed: int) -> None:
    indicators = indicator_rows(seed)
    for rules in RULES.values():
        expected = sorted_by_polars(indicators, rules)
        assert_frame_equal(apply_leading_rules(indicators, rules), expected)
        # Rows in park order, and in park and industry order (the order of the indicators).
        for keys in (["park_code"], ["park_code", INDUSTRY]):
            in_order = indicators.sort(keys, nulls_last=True, maintain_order=True)
            assert_frame_equal(apply_leading_rules(in_order, rules), expected)


def test_the_random_cases_rank_ties_and_cap_parks() -> None:
    """Guard: shares tie among qualifying industries and some parks have more than top_n."""
    rules = RULES["loose"]
    ranked = pl.concat(
        [measured_leading(firms_frame(seed), rules) for seed in range(15)], how="vertical"
    )
    qualifying = ranked.filter(pl.col("qualifies"))
    ties = qualifying.group_by("park_code", "share").len().filter(pl.col("len") > 1)
    assert ties.height > 5
    assert ranked.filter(pl.col("leading_rank") > rules.top_n.value).height > 5
    assert ranked.filter(pl.col("share").is_null()).height > 0
    shipped = pl.concat(
        [measured_leading(firms_frame(seed), RULES["shipped"]) for seed in range(15)]
    )
    assert shipped.filter(pl.col("is_leading")).height > 5
    assert shipped.filter(~pl.col("qualifies") & (pl.col("share") > 0)).height > 20


def test_an_empty_indicator_frame_ranks_to_an_empty_frame() -> None:
    indicators = indicator_rows(0).head(0)
    rules = load_leading_rules()
    assert_frame_equal(apply_leading_rules(indicators, rules), sorted_by_polars(indicators, rules))


def test_a_cube_with_a_period_column_is_still_refused() -> None:
    cube = IndustryCube.from_firms(firms_frame(1))
    with pytest.raises(Exception, match="year"):
        measured_leading(cube, load_leading_rules(), period_column="year")


def test_parks_of_one_firm_each_rank_alone() -> None:
    firms = rows_frame(
        [("P1", "330000", "3011", 50_000.0), ("P2", "330000", "3611", 30_000.0)],
        ["park_code", "province_code", "industry_code", "output_value"],
    ).with_columns(pl.lit("330100").alias("city_code"))
    result = measured_leading(IndustryCube.from_firms(firms), RULES["loose"])
    assert result.get_column("leading_rank").to_list() == [1, 1]
    assert_frame_equal(result, measured_leading(firms, RULES["loose"]))
