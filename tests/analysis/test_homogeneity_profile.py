"""park_homogeneity reads 区位熵 only for each park's largest industries: the same flags."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from frames import rows_frame
from parkhq.analysis.cube import IndustryCube
from parkhq.analysis.similarity import (
    low_level_homogeneity,
    pairs_above,
    park_homogeneity,
)
from parkhq.analysis.structure import aggregate, location_quotient
from parkhq.reference.rules import load_similarity_rules


def firms_frame(seed: int) -> pl.DataFrame:
    """Parks in two provinces with a few shared portfolios (ties in shares included)."""
    rng = np.random.default_rng(seed)
    classes = ["3011", "3021", "3611", "3612", "3911", "3971", "2710", "1713"]
    rows = []
    for park in range(int(rng.integers(2, 30))):
        province = "330000" if park % 3 else "340000"
        city = province[:2] + ("0100" if park % 2 else "0200")
        template = rng.permutation(classes)[: int(rng.integers(1, 6))]
        for code in template:
            for _ in range(int(rng.integers(1, 4))):
                value = float(rng.choice([100.0, 250.0, rng.lognormal(5, 1)]))
                rows.append((f"P{park:02d}", province, city, str(code), value))
    rows.append((None, "330000", "330100", "3011", 500.0))
    return rows_frame(
        rows, ["park_code", "province_code", "city_code", "industry_code", "output_value"]
    )


@pytest.mark.parametrize("seed", range(30))
def test_flags_equal_those_from_the_full_location_quotients(seed: int) -> None:
    firms = firms_frame(seed)
    rules = load_similarity_rules()
    measure = rules.measure
    structure = aggregate(
        firms.filter(pl.col("park_code").is_not_null()),
        ("park_code", "province_code", "city_code"),
        rules.level,
        measure,
    )
    pairs = pairs_above(structure, rules.considerable_similarity.value, measure=measure)
    province = aggregate(firms, ("province_code",), rules.level, measure)
    profile = location_quotient(structure.drop("city_code"), province, measure=measure)
    expected = low_level_homogeneity(pairs, profile, rules)
    for data in (firms, IndustryCube.from_firms(firms)):
        result = park_homogeneity(data, rules)
        assert_frame_equal(result.flags, expected, check_exact=False, rel_tol=1e-12)
        assert_frame_equal(result.pairs, pairs, check_exact=False, rel_tol=1e-12)
