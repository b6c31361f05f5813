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
