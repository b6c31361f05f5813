"""The vectorised homogeneity paths against plain reference computations on random data.

``pairwise_similarity`` / ``portfolio_similarity`` build one matrix for all parks, read parks
from runs of a sorted frame and find pairs by prefix filtering; ``low_level_homogeneity``
preselects each park's top industries. Each is compared here with a direct (dense, per scope)
computation, on sorted and shuffled inputs with repeats, zeros, nulls and near-ties.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from polars.testing import assert_frame_equal

from frames import rows_frame
from parkhq.analysis import similarity
from parkhq.analysis.similarity import pairwise_similarity, portfolio_similarity
from parkhq.errors import InvalidInput


def random_structure(seed: int, *, parks: int = 60, industries: int = 14) -> pl.DataFrame:
    """Parks as noisy copies of a few prototypes (many pairs near usual thresholds)."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((4, industries)) ** 3
    rows = []
    for park in range(parks):
        province = f"{rng.integers(1, 4)}0000"
        city = f"{province[0]}{rng.integers(1, 3)}00"
        weights = prototypes[rng.integers(4)] * rng.uniform(0.7, 1.3, industries)
        weights[rng.random(industries) < 0.4] = 0.0
        for industry in np.flatnonzero(rng.random(industries) < 0.8):
            value = float(weights[industry])
            if rng.random() < 0.2:  # a repeated (park, industry) row
                rows.append((f"P{park:03d}", province, city, f"{industry:02d}", value / 2))
                value /= 2
            rows.append((f"P{park:03d}", province, city, f"{industry:02d}", value))
    frame = rows_frame(
        rows, ["park_code", "province_code", "city_code", "industry", "output_value"]
    )
    # A few rows outside any province and an identical twin of the first park.
    twin = frame.filter(pl.col("park_code") == "P000").with_columns(
        pl.lit("P999").alias("park_code")
    )
    nulls = frame.head(3).with_columns(pl.lit(None, dtype=pl.String).alias("province_code"))
    return pl.concat([frame, twin, nulls.with_columns(pl.lit("PNUL").alias("park_code"))])


def reference_pairs(
    frame: pl.DataFrame,
    within: list[str],
    threshold: float,
    *,
    industry: str = "industry",
    weight: str | None = "output_value",
) -> pl.DataFrame:
    """Dense S and K scope by scope, straight from the definitions."""
    keys = ["park_code", *within]
    frame = frame.filter(pl.all_horizontal(pl.col(keys).is_not_null()))
    if weight is None:
        frame = (
            frame.filter(pl.col(industry).is_not_null())
            .unique(["park_code", industry])
            .with_columns(pl.lit(1.0).alias("w"))
        )
    else:
        frame = frame.filter(pl.col(weight) > 0).with_columns(pl.col(weight).alias("w"))
    columns = sorted(frame.get_column(industry).unique().to_list())
    rows: list[tuple[object, ...]] = []
    scopes = frame.select(within).unique().rows() if within else [()]
    for scope in scopes:
        part = frame
        for name, value in zip(within, scope, strict=True):
            part = part.filter(pl.col(name) == value)
        parks = sorted(part.get_column("park_code").unique().to_list())
        dense = np.zeros((len(parks), len(columns)))
        for park, column, value in part.select("park_code", industry, "w").iter_rows():
            dense[parks.index(park), columns.index(column)] += value
        shares = dense / dense.sum(axis=1, keepdims=True)
        for i in range(len(parks)):
            for j in range(i + 1, len(parks)):
                a, b = shares[i], shares[j]
                cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
                if cosine > 0 and cosine >= threshold:
                    krugman = float(np.abs(a - b).sum())
                    rows.append((*scope, parks[i], parks[j], min(cosine, 1.0), krugman))
    schema = {name: pl.String() for name in within} | similarity._PAIR_SCHEMA
    return pl.DataFrame(rows, schema=schema, orient="row").sort([*within, "park_a", "park_b"])


def assert_same_pairs(result: pl.DataFrame, expected: pl.DataFrame) -> None:
    assert_frame_equal(result, expected, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("threshold", [0.0, 0.35, 0.8, 0.9, 0.97])
@pytest.mark.parametrize("within", [[], ["province_code"], ["province_code", "city_code"]])
def test_measured_pairs_match_a_dense_reference(
    seed: int, threshold: float, within: list[str]
) -> None:
    structure = random_structure(seed)
    expected = reference_pairs(structure, within, threshold)
    assert expected.height > 0
    result = pairwise_similarity(structure, within=within, min_similarity=threshold)
    assert_same_pairs(result, expected)
    # The same pairs from a shuffled frame (no runs of sorted park codes to read).
    shuffled = structure.sample(fraction=1.0, shuffle=True, seed=seed)
    again = pairwise_similarity(shuffled, within=within, min_similarity=threshold)
    assert_same_pairs(again, expected)


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.8])
def test_portfolio_pairs_match_a_dense_reference(seed: int, threshold: float) -> None:
    rng = np.random.default_rng(seed)
    categories = ["电子信息", "装备制造", "新材料", "生物医药", "新能源", None]
    rows = [
        (f"P{park:03d}", f"{park % 3 + 1}0000", categories[int(c)])
        for park in range(80)
        for c in rng.integers(0, len(categories), size=int(rng.integers(1, 5)))
    ]
    declared = pl.DataFrame(
        rows, schema=["park_code", "province_code", "category"], orient="row"
    ).sample(fraction=1.0, shuffle=True, seed=seed)
    for within in ([], ["province_code"]):
        expected = reference_pairs(declared, within, threshold, industry="category", weight=None)
        assert expected.height > 0
        result = portfolio_similarity(declared, within=within, min_similarity=threshold)
        assert_same_pairs(result, expected)


@pytest.mark.parametrize("threshold", [0.0, 0.6, 0.85, 0.99])
def test_prefix_filtering_finds_exactly_the_pairs_of_the_full_product(threshold: float) -> None:
    rng = np.random.default_rng(17)
    dense = rng.random((120, 30)) ** 4 * (rng.random((120, 30)) < 0.5)
    dense[::7] = dense[3]  # identical rows, S = 1
    dense[::11, :4] = 1.0  # flat rows
    dense = dense[dense.sum(axis=1) > 0]
    unit = dense / np.linalg.norm(dense, axis=1, keepdims=True)
    pair_i, pair_j, cosine = similarity._similar_rows(sp.csr_matrix(unit), threshold)
    full = unit @ unit.T
    a, b = np.triu_indices(len(unit), 1)
    keep = (full[a, b] > 0) & (full[a, b] >= threshold)
    assert 0 < keep.sum() < len(a)
    assert pair_i.tolist() == a[keep].tolist()
    assert pair_j.tolist() == b[keep].tolist()
    assert cosine == pytest.approx(full[a, b][keep], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_park_in_two_provinces_is_refused_even_in_a_sorted_frame(shuffle: bool) -> None:
    structure = random_structure(9)
    clash = structure.filter(pl.col("park_code") == "P005").head(1)
    province = "90000" if clash.item(0, "province_code") != "90000" else "80000"
    structure = pl.concat([structure, clash.with_columns(pl.lit(province).alias("province_code"))])
    structure = (
        structure.sample(fraction=1.0, shuffle=True, seed=1)
        if shuffle
        else structure.sort("park_code")
    )
    with pytest.raises(InvalidInput, match="多个比较范围"):
        pairwise_similarity(structure, within=("province_code",))


def test_empty_and_single_park_frames_give_no_pairs() -> None:
    structure = random_structure(1)
    for frame in (structure.clear(), structure.filter(pl.col("park_code") == "P001")):
        result = pairwise_similarity(frame, within=("province_code",))
        assert result.height == 0
        assert result.columns == ["province_code", "park_a", "park_b", "similarity", "krugman"]


def reference_top_max_lq(profile: pl.DataFrame, top_n: int) -> pl.DataFrame:
    return profile.group_by("park_code").agg(
        pl.col("lq")
        .sort_by(["share", "industry"], descending=[True, False], nulls_last=True)
        .head(top_n)
        .max()
        .alias("top_max_lq")
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("top_n", [1, 3, 5])
def test_top_industries_lq_matches_a_per_park_sort(seed: int, top_n: int) -> None:
    rng = np.random.default_rng(seed)
    size = 3000
    # Few distinct shares: ties, zeros, nulls and NaN in the top ranks.
    shares = rng.choice([0.0, 0.0, 0.05, 0.1, 0.2, 0.4, np.nan], size=size)
    lq = rng.random(size) * 3
    profile = pl.DataFrame(
        {
            "park_code": [f"P{p:03d}" for p in np.sort(rng.integers(0, 300, size))],
            "industry": [f"{i:02d}" for i in rng.integers(0, 40, size)],
            "share": shares,
            "lq": lq,
        }
    ).with_columns(
        pl.when(pl.Series(rng.random(size) < 0.05))
        .then(None)
        .otherwise(pl.col("share"))
        .alias("share"),
        pl.when(pl.Series(rng.random(size) < 0.1)).then(None).otherwise(pl.col("lq")).alias("lq"),
    )
    profile = profile.unique(["park_code", "industry"], keep="first", maintain_order=True)
    expected = reference_top_max_lq(profile, top_n).sort("park_code")
    assert similarity._top_candidates(profile, top_n) is not None
    fast = similarity._top_max_lq(profile, top_n).sort("park_code")
    assert_frame_equal(fast, expected)
    shuffled = profile.sample(fraction=1.0, shuffle=True, seed=seed)
    assert similarity._top_candidates(shuffled, top_n) is None
    assert_frame_equal(similarity._top_max_lq(shuffled, top_n).sort("park_code"), expected)
