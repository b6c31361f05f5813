"""The matrix ``compare_declared`` gives the frames of the first (join) implementation.

Random parks (some without output, some without firms), random declared portfolios (with items
that could not be normalised and categories absent from the data), at every rule level, from
firm rows and from an :class:`~parkhq.analysis.cube.IndustryCube`.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import leading_reference as reference
from frames import rows_frame
from parkhq.analysis.cube import IndustryCube
from parkhq.analysis.leading import compare_declared, measured_leading
from parkhq.analysis.structure import expand_category_map
from parkhq.reference.categories import category_catalogue
from parkhq.reference.industries import industry_catalogue
from parkhq.reference.rules import load_leading_rules, parse_leading_rules

CLASSES = ["3011", "3021", "3611", "3612", "3660", "3911", "3971", "2710", "2720", "1713"]


def _case(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    parks = [f"P{i:02d}" for i in range(int(rng.integers(1, 12)))]
    firms = []
    for park in [*parks, None]:
        for _ in range(int(rng.integers(0, 25))):
            output = float(rng.lognormal(9, 1.5)) if rng.random() > 0.15 else None
            firms.append((park, "330000", str(rng.choice(CLASSES)), output))
    names = sorted(set(category_catalogue().frame().get_column("category").to_list()))
    declared = []
    for park in [*parks, "P99"]:  # P99 declares but has no firm
        for item in range(int(rng.integers(0, 5))):
            category = str(rng.choice(names)) if rng.random() > 0.1 else None
            declared.append((park, f"条目{item}", category))
    frame = rows_frame(
        firms, ["park_code", "province_code", "industry_code", "output_value"]
    ).with_columns(pl.lit("330100").alias("city_code"))
    rows = rows_frame(declared, ["park_code", "raw", "category"])
    return frame, rows


@pytest.mark.parametrize("level", ["division", "group", "section", "category"])
@pytest.mark.parametrize("seed", range(25))
def test_compare_declared_matches_the_join_implementation(seed: int, level: str) -> None:
    firms, declared = _case(seed)
    data = load_leading_rules().model_dump(mode="json")
    data["level"] = level
    rules = parse_leading_rules(data)
    category_map = category_catalogue().frame()
    class_map = (
        industry_catalogue().frame().select(pl.col("code").alias("class_code"), "section")
        if level == "section"
        else None
    )
    leading = measured_leading(
        firms, rules, class_map=category_map if level == "category" else class_map
    )
    expected = reference.compare_declared(
        firms, declared, category_map, leading, rules, class_map=class_map
    )
    actual = compare_declared(firms, declared, category_map, leading, rules, class_map=class_map)
    assert_frame_equal(actual, expected, check_exact=False, rel_tol=1e-12)
    if firms.height:
        cube = IndustryCube.from_firms(firms)
        on_cube = compare_declared(
            cube, declared, category_map, leading, rules, class_map=class_map
        )
        assert_frame_equal(on_cube, expected, check_exact=False, rel_tol=1e-12)


def test_the_random_cases_reach_every_outcome() -> None:
    """Guard: the cases above produce both lists and every verdict, so they test something."""
    rules = load_leading_rules()
    frames = []
    for seed in range(25):
        firms, declared = _case(seed)
        leading = measured_leading(firms, rules)
        frames.append(
            compare_declared(firms, declared, category_catalogue().frame(), leading, rules)
        )
    result = pl.concat(frames)
    assert result.filter(pl.col("declared_but_not_real").list.len() > 0).height > 20
    assert result.filter(pl.col("real_but_undeclared").list.len() > 0).height > 20
    assert set(result.get_column("verdict")) == {"strong", "moderate", "weak", "no_data"}


def _shuffled(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    return frame.sample(fraction=1.0, shuffle=True, seed=seed)


def _mixed_case(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parks in several provinces, a park whose output is all zero or null, firms outside
    parks, and declared rows in no particular order (with a row of unknown park)."""
    rng = np.random.default_rng(1000 + seed)
    parks = [f"P{i:02d}" for i in range(int(rng.integers(2, 14)))]
    firms = []
    for number, park in enumerate([*parks, None, None]):
        province = ["110000", "330000", "440000"][number % 3]
        silent = set(rng.choice(CLASSES, 3))  # classes whose firms report no output here
        for _ in range(int(rng.integers(1, 25))):
            code = str(rng.choice(CLASSES))
            output = float(rng.lognormal(8, 2)) if code not in silent else None
            if park == parks[0]:
                output = None if rng.random() > 0.5 else 0.0  # no output data
            firms.append((park, province, code, output))
    names = sorted(set(category_catalogue().frame().get_column("category").to_list()))
    declared = []
    for park in [*parks, "P98", None]:
        for item in range(int(rng.integers(1, 6))):
            category = str(rng.choice(names[:12])) if rng.random() > 0.1 else None
            declared.append((park, f"条目{item % 3}", category))  # repeated items
    frame = rows_frame(
        firms, ["park_code", "province_code", "industry_code", "output_value"]
    ).with_columns(pl.col("province_code").str.slice(0, 4).add("00").alias("city_code"))
    return frame, _shuffled(rows_frame(declared, ["park_code", "raw", "category"]), seed)


@pytest.mark.parametrize("level", ["division", "category"])
@pytest.mark.parametrize("seed", range(20))
def test_unordered_inputs_give_the_join_implementation_frames(seed: int, level: str) -> None:
    firms, declared = _mixed_case(seed)
    data = load_leading_rules().model_dump(mode="json")
    data["level"] = level
    data["declared"]["min_category_share"]["value"] = 0.05
    data["declared"]["coverage_share"]["value"] = 0.5
    rules = parse_leading_rules(data)
    category_map = category_catalogue().frame()
    leading = measured_leading(
        firms, rules, class_map=category_map if level == "category" else None
    )
    if seed % 2:  # every candidate leads, even one without output
        leading = leading.with_columns(pl.lit(True).alias("is_leading"))
    expected = reference.compare_declared(firms, declared, category_map, leading, rules)
    for data_in in (firms, IndustryCube.from_firms(firms)):
        actual = compare_declared(data_in, declared, category_map, _shuffled(leading, seed), rules)
        assert_frame_equal(actual, expected, check_exact=False, rel_tol=1e-12)
    assert expected.get_column("park_code").null_count() == 1


def test_the_unordered_cases_reach_every_outcome() -> None:
    """Guard: the mixed cases produce both lists, parks without data and every verdict."""
    rules = load_leading_rules()
    frames = []
    for seed in range(20):
        firms, declared = _mixed_case(seed)
        leading = measured_leading(firms, rules)
        frames.append(
            compare_declared(firms, declared, category_catalogue().frame(), leading, rules)
        )
    result = pl.concat(frames)
    assert result.filter(pl.col("declared_but_not_real").list.len() > 0).height > 10
    assert result.filter(pl.col("real_but_undeclared").list.len() > 0).height > 10
    assert set(result.get_column("verdict")) == {"strong", "moderate", "weak", "no_data"}


def test_a_declared_count_column_gives_the_same_frame_as_the_items() -> None:
    for seed in range(10):
        firms, declared = _mixed_case(seed)
        rules = load_leading_rules()
        leading = measured_leading(firms, rules)
        category_map = category_catalogue().frame()
        by_items = compare_declared(firms, declared, category_map, leading, rules)
        counts = declared.group_by("park_code").agg(
            pl.col("raw").n_unique().alias("declared_count")
        )
        with_counts = declared.drop("raw").join(counts, on="park_code", nulls_equal=True)
        by_count = compare_declared(firms, with_counts, category_map, leading, rules)
        assert_frame_equal(by_count, by_items)


def _expand_with_joins(category_map: pl.DataFrame, class_codes: pl.Series) -> pl.DataFrame:
    """The former (join) implementation of ``expand_category_map``, without the checks."""
    classes = pl.DataFrame({"class_code": class_codes.cast(pl.String)}).unique()
    mapping = category_map.select("category", "class_code").unique()
    parts = []
    for length in (2, 3, 4):
        rows = mapping.filter(pl.col("class_code").str.len_chars() == length)
        if rows.height:
            parts.append(
                classes.with_columns(prefix=pl.col("class_code").str.slice(0, length))
                .join(rows.rename({"class_code": "prefix"}), on="prefix", how="inner")
                .select("category", "class_code")
            )
    if not parts:
        return pl.DataFrame(schema={"category": pl.String, "class_code": pl.String})
    return pl.concat(parts).unique().sort("category", "class_code")


@pytest.mark.parametrize("seed", range(30))
def test_expand_category_map_matches_the_join_implementation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes = [f"{code:04d}" for code in rng.integers(1300, 1500, int(rng.integers(0, 40)))]
    rows = []
    for _ in range(int(rng.integers(0, 30))):
        code = f"{int(rng.integers(1300, 1500)):04d}"[: int(rng.integers(2, 5))]
        category = None if rng.random() < 0.05 else str(rng.choice(["乙", "甲", "丙", "a"]))
        rows.append((category, code))
    category_map = pl.DataFrame(
        rows, schema={"category": pl.String, "class_code": pl.String}, orient="row"
    )
    codes = pl.Series(classes, dtype=pl.String)
    assert_frame_equal(
        expand_category_map(category_map, codes), _expand_with_joins(category_map, codes)
    )


def test_firms_only_outside_parks_give_no_data_rows() -> None:
    firms = rows_frame(
        [(None, "330000", "3011", 5.0), (None, "330000", "3611", None)],
        ["park_code", "province_code", "industry_code", "output_value"],
    ).with_columns(pl.lit("330100").alias("city_code"))
    declared = rows_frame(
        [("P3", "甲", "电子信息"), ("P1", "乙", None)], ["park_code", "raw", "category"]
    )
    rules = load_leading_rules()
    category_map = category_catalogue().frame()
    leading = measured_leading(firms, rules)
    expected = reference.compare_declared(firms, declared, category_map, leading, rules)
    assert expected.get_column("verdict").to_list() == ["no_data", "no_data"]
    for data in (firms, IndustryCube.from_firms(firms)):
        assert_frame_equal(compare_declared(data, declared, category_map, leading, rules), expected)
