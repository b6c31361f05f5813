"""Homogeneity between parks (``parkhq.analysis.similarity``) and its rule set.

Golden values are worked out by hand in each test; the sparse Krugman accumulation is also
checked against a dense NumPy reference implementation written here.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from frames import rows_frame
from parkhq.analysis import similarity
from parkhq.analysis.similarity import (
    pairs_above,
    pairwise_similarity,
    park_homogeneity,
    portfolio_similarity,
    share_matrix,
    similarity_clusters,
)
from parkhq.errors import InvalidInput, RuleSetError
from parkhq.reference.rules import (
    LowLevelRules,
    SimilarityRules,
    load_similarity_rules,
    parse_similarity_rules,
)


def structure_frame(rows: list[tuple[str, str, str, float]], city: str = "330100") -> pl.DataFrame:
    """Aggregated structure from (park_code, province_code, industry, output_value) tuples."""
    return rows_frame(
        [(park, province, city, industry, output) for park, province, industry, output in rows],
        ["park_code", "province_code", "city_code", "industry", "output_value"],
    )


def pair(frame: pl.DataFrame, a: str, b: str) -> dict[str, Any] | None:
    rows = frame.filter((pl.col("park_a") == a) & (pl.col("park_b") == b))
    return rows.row(0, named=True) if rows.height else None


# --------------------------------------------------------------------------- rule set


def test_the_shipped_similarity_rule_set_loads_with_its_source_and_date() -> None:
    rules = load_similarity_rules()
    assert rules.source
    assert rules.version
    assert isinstance(rules.valid_from, date)
    assert rules.level == "class"
    assert rules.high_similarity.value == 0.9
    assert rules.considerable_similarity.value == 0.8
    assert rules.low_level.top_n.value == 3


def test_a_similarity_rule_set_with_considerable_above_high_is_refused() -> None:
    data = load_similarity_rules().model_dump(mode="json")
    data["considerable_similarity"]["value"] = 0.95
    with pytest.raises(RuleSetError, match="considerable_similarity"):
        parse_similarity_rules(data)


def test_a_similarity_threshold_above_one_is_refused() -> None:
    data = load_similarity_rules().model_dump(mode="json")
    data["cluster_similarity"]["value"] = 90
    with pytest.raises(RuleSetError, match="cluster_similarity"):
        parse_similarity_rules(data)


# --------------------------------------------------------------------------- UNIDO and Krugman


def test_unido_coefficient_of_two_parks_is_the_cosine_of_their_shares() -> None:
    # A = (0.6, 0.3, 0.1, 0), B = (0.2, 0.2, 0.3, 0.3) over 13, 26, 36, 39.
    structure = structure_frame(
        [
            ("A", "330000", "13", 60.0),
            ("A", "330000", "26", 30.0),
            ("A", "330000", "36", 10.0),
            ("B", "330000", "13", 20.0),
            ("B", "330000", "26", 20.0),
            ("B", "330000", "36", 30.0),
            ("B", "330000", "39", 30.0),
        ]
    )
    result = pair(pairwise_similarity(structure), "A", "B")
    assert result is not None
    dot = 0.6 * 0.2 + 0.3 * 0.2 + 0.1 * 0.3
    norms = math.sqrt(0.6**2 + 0.3**2 + 0.1**2) * math.sqrt(0.2**2 + 0.2**2 + 0.3**2 + 0.3**2)
    assert result["similarity"] == pytest.approx(dot / norms)
    assert result["similarity"] == pytest.approx(0.21 / math.sqrt(0.46 * 0.26))
    assert result["krugman"] == pytest.approx(0.4 + 0.1 + 0.2 + 0.3)


def test_identical_structures_have_similarity_one_and_krugman_zero() -> None:
    structure = structure_frame(
        [
            ("A", "330000", "13", 10.0),
            ("A", "330000", "39", 30.0),
            ("B", "330000", "13", 100.0),
            ("B", "330000", "39", 300.0),
        ]
    )
    result = pair(pairwise_similarity(structure), "A", "B")
    assert result is not None
    assert result["similarity"] == pytest.approx(1.0)
    assert result["krugman"] == pytest.approx(0.0, abs=1e-12)


def test_disjoint_structures_have_similarity_zero_so_no_pair_is_listed() -> None:
    structure = structure_frame(
        [
            ("A", "330000", "13", 10.0),
            ("B", "330000", "39", 10.0),
            ("C", "330000", "39", 5.0),
            ("C", "330000", "13", 5.0),
        ]
    )
    result = pairwise_similarity(structure)
    # A·B = 0: absent pairs mean S = 0 and K = 2.
    assert pair(result, "A", "B") is None
    with_c = pair(result, "A", "C")
    assert with_c is not None
    assert with_c["similarity"] == pytest.approx(0.5 / math.sqrt(0.5))
    assert with_c["krugman"] == pytest.approx(1.0)


def test_parks_in_different_provinces_are_not_compared_within_province() -> None:
    structure = structure_frame(
        [
            ("A", "330000", "13", 1.0),
            ("B", "330000", "13", 2.0),
            ("C", "320000", "13", 3.0),
        ]
    )
    within = pairwise_similarity(structure, within=("province_code",))
    assert within.select("province_code", "park_a", "park_b").rows() == [("330000", "A", "B")]
    assert pairwise_similarity(structure).height == 3


def test_pairs_above_keeps_only_pairs_at_or_above_the_threshold_in_the_same_city() -> None:
    structure = pl.concat(
        [
            structure_frame([("A", "330000", "13", 1.0), ("B", "330000", "13", 1.0)]),
            structure_frame(
                [("C", "330000", "13", 1.0), ("C", "330000", "39", 1.0)], city="330200"
            ),
        ]
    )
    province = pairs_above(structure, 0.7)
    # A–B: S = 1; A–C and B–C: S = 1 / √2 ≈ 0.707.
    assert province.select("park_a", "park_b").rows() == [("A", "B"), ("A", "C"), ("B", "C")]
    assert pairs_above(structure, 0.71).select("park_a", "park_b").rows() == [("A", "B")]
    city = pairs_above(structure, 0.7, scope="city")
    assert city.select("city_code", "park_a", "park_b").rows() == [("330100", "A", "B")]


def test_a_park_in_two_provinces_is_refused() -> None:
    structure = pl.concat(
        [
            structure_frame([("A", "330000", "13", 1.0)]),
            structure_frame([("A", "320000", "39", 1.0)]),
        ]
    )
    with pytest.raises(InvalidInput, match="多个比较范围"):
        pairwise_similarity(structure, within=("province_code",))


def test_negative_output_is_refused() -> None:
    with pytest.raises(InvalidInput, match="负数"):
        share_matrix(structure_frame([("A", "330000", "13", -1.0)]))


def test_share_matrix_rows_sum_to_one_and_skip_empty_parks() -> None:
    matrix = share_matrix(
        structure_frame(
            [("A", "330000", "13", 1.0), ("A", "330000", "39", 3.0), ("Z", "330000", "13", 0.0)]
        )
    )
    assert matrix.units == ("A",)
    assert matrix.industries == ("13", "39")
    assert matrix.shares.toarray().tolist() == [[0.25, 0.75]]


@pytest.mark.parametrize("block_cells", [1, 7, 16_000_000])
def test_sparse_krugman_matches_a_dense_reference(
    block_cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(similarity, "_BLOCK_CELLS", block_cells)
    rng = np.random.default_rng(7)
    rows = [
        (f"P{park:02d}", "330000", f"{industry:02d}", float(rng.integers(1, 100)))
        for park in range(25)
        for industry in rng.choice(12, size=int(rng.integers(1, 6)), replace=False)
    ]
    structure = structure_frame(rows)
    result = pairwise_similarity(structure)
    matrix = share_matrix(structure)
    dense = matrix.shares.toarray()
    index = {code: i for i, code in enumerate(matrix.units)}
    for row in result.iter_rows(named=True):
        a, b = dense[index[row["park_a"]]], dense[index[row["park_b"]]]
        assert row["krugman"] == pytest.approx(float(np.abs(a - b).sum()), abs=1e-12)
        cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        assert row["similarity"] == pytest.approx(cosine, abs=1e-12)
    sharing = sum(
        1
        for i in range(len(dense))
        for j in range(i + 1, len(dense))
        if float(dense[i] @ dense[j]) > 0
    )
    assert result.height == sharing


@pytest.mark.parametrize("block_cells", [1, 13, 16_000_000])
def test_both_ways_of_summing_minima_match_a_dense_reference(
    block_cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(similarity, "_BLOCK_CELLS", block_cells)
    rng = np.random.default_rng(11)
    dense = rng.random((9, 6)) * (rng.random((9, 6)) > 0.4)
    dense[:, 0] += 0.01
    dense = dense / dense.sum(axis=1, keepdims=True)
    shares = sp.csr_matrix(dense)
    a, b = np.triu_indices(9, 1)
    expected = np.minimum(dense[a], dense[b]).sum(axis=1)
    blocks = similarity._sum_of_minima_blocks(shares, a.astype(np.int64), b.astype(np.int64))
    direct = similarity._sum_of_minima_direct(shares, a, b)
    assert blocks == pytest.approx(expected, abs=1e-12)
    assert direct == pytest.approx(expected, abs=1e-12)


# --------------------------------------------------------------------------- declared portfolios


def test_declared_portfolios_are_compared_as_binary_vectors() -> None:
    declared = pl.DataFrame(
        {
            "park_code": ["A", "A", "B", "B", "C", "C", "C"],
            "category": [
                "电子信息",
                "装备制造",
                "电子信息",
                "新材料",
                "电子信息",
                "装备制造",
                None,
            ],
        }
    )
    result = portfolio_similarity(declared)
    ab = pair(result, "A", "B")
    assert ab is not None
    assert ab["similarity"] == pytest.approx(1 / math.sqrt(2 * 2))
    assert ab["krugman"] == pytest.approx(0.0 + 0.5 + 0.5)
    ac = pair(result, "A", "C")
    assert ac is not None
    assert ac["similarity"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- clusters


def test_three_near_identical_parks_and_one_different_form_a_cluster_of_three() -> None:
    structure = structure_frame(
        [
            ("A", "330000", "3911", 50.0),
            ("A", "330000", "3612", 30.0),
            ("A", "330000", "1311", 20.0),
            ("B", "330000", "3911", 52.0),
            ("B", "330000", "3612", 29.0),
            ("B", "330000", "1311", 19.0),
            ("C", "330000", "3911", 48.0),
            ("C", "330000", "3612", 31.0),
            ("C", "330000", "1311", 21.0),
            ("D", "330000", "2710", 80.0),
            ("D", "330000", "1311", 20.0),
        ]
    )
    pairs = pairs_above(structure, 0.0)
    clusters = similarity_clusters(pairs, 0.9)
    assert clusters.get_column("park_code").to_list() == ["A", "B", "C"]
    assert clusters.get_column("cluster_id").unique().to_list() == ["A"]
    assert clusters.get_column("cluster_size").unique().to_list() == [3]
    assert clusters.get_column("cluster_mean_similarity").item(0) > 0.99


def test_no_pair_above_the_threshold_gives_no_cluster() -> None:
    pairs = pl.DataFrame({"park_a": ["A"], "park_b": ["B"], "similarity": [0.5]})
    assert similarity_clusters(pairs, 0.9).height == 0


def test_clusters_chain_through_linking_pairs() -> None:
    pairs = pl.DataFrame(
        {
            "park_a": ["A", "B", "X"],
            "park_b": ["B", "C", "Y"],
            "similarity": [0.95, 0.92, 0.97],
        }
    )
    clusters = similarity_clusters(pairs, 0.9)
    assert clusters.select("park_code", "cluster_id", "cluster_size").rows() == [
        ("A", "A", 3),
        ("B", "A", 3),
        ("C", "A", 3),
        ("X", "X", 2),
        ("Y", "X", 2),
    ]
    mean_a = clusters.filter(pl.col("cluster_id") == "A").get_column("cluster_mean_similarity")
    assert mean_a.item(0) == pytest.approx((0.95 + 0.92) / 2)


# --------------------------------------------------------------------------- 低水平同质化


@pytest.fixture
def homogeneous_province() -> tuple[pl.DataFrame, pl.DataFrame]:
    """P1, P2 copy the province's structure (LQ 1, S 1); P3 is different and specialised."""
    pairs = pl.DataFrame(
        {
            "province_code": ["330000", "330000", "330000"],
            "park_a": ["P1", "P1", "P2"],
            "park_b": ["P2", "P3", "P3"],
            "similarity": [0.97, 0.20, 0.25],
            "krugman": [0.1, 1.5, 1.4],
        }
    )
    profile = pl.DataFrame(
        {
            "park_code": ["P1", "P1", "P2", "P2", "P3", "P3"],
            "industry": ["39", "13", "39", "13", "27", "13"],
            "share": [0.6, 0.4, 0.55, 0.45, 0.9, 0.1],
            "lq": [1.05, 0.95, 1.0, 1.1, 4.0, 0.2],
        }
    )
    return pairs, profile


def test_similar_parks_without_advantage_are_flagged_low_level_homogeneous(
    homogeneous_province: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    pairs, profile = homogeneous_province
    flags = low_level(pairs, profile)
    p1 = flags.filter(pl.col("park_code") == "P1").row(0, named=True)
    assert p1["max_similarity"] == pytest.approx(0.97)
    assert p1["most_similar_park"] == "P2"
    assert p1["top_max_lq"] == pytest.approx(1.05)
    assert (p1["high_similarity"], p1["low_lq"], p1["low_per_mu"]) == (True, True, None)
    assert flags.get_column("low_level_homogeneity").to_list() == [True, True, False]


def test_low_per_mu_is_below_the_province_median(
    homogeneous_province: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    pairs, profile = homogeneous_province
    per_mu = pl.DataFrame(
        {
            "park_code": ["P1", "P2", "P3"],
            "province_code": ["330000"] * 3,
            "tax_per_mu": [10.0, 30.0, 20.0],
        }
    )
    flags = low_level(pairs, profile, per_mu=per_mu)
    # Province median 20 万元/亩: P1 is below, P2 is not.
    assert flags.get_column("low_per_mu").to_list() == [True, False, False]
    assert flags.get_column("low_level_homogeneity").to_list() == [True, False, False]


def test_only_the_top_industries_lq_counts(
    homogeneous_province: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    pairs, profile = homogeneous_province
    # A tiny P1 industry with LQ 9 is outside P1's top 3 and does not rescue it.
    extra = pl.DataFrame(
        {
            "park_code": ["P1", "P1"],
            "industry": ["26", "30"],
            "share": [0.001, 0.002],
            "lq": [9.0, 0.1],
        }
    )
    flags = low_level(pairs, pl.concat([profile, extra]))
    assert flags.filter(pl.col("park_code") == "P1").get_column("top_max_lq").item() == 1.05


def test_low_level_flags_need_pairs_computed_within_a_province(
    homogeneous_province: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    pairs, profile = homogeneous_province
    with pytest.raises(InvalidInput, match="province_code"):
        low_level(pairs.drop("province_code"), profile)


def low_level(
    pairs: pl.DataFrame, profile: pl.DataFrame, per_mu: pl.DataFrame | None = None
) -> pl.DataFrame:
    return similarity.low_level_homogeneity(pairs, profile, load_similarity_rules(), per_mu=per_mu)


def test_park_homogeneity_runs_the_whole_analysis_from_firms() -> None:
    firms = pl.DataFrame(
        {
            "park_code": ["P1", "P1", "P2", "P2", "P3", None, None],
            "province_code": ["330000"] * 7,
            "city_code": ["330100"] * 7,
            "industry_code": ["3911", "1311", "3911", "1311", "2710", "3911", "1311"],
            "output_value": [60.0, 40.0, 30.0, 20.0, 100.0, 600.0, 400.0],
        }
    )
    result = park_homogeneity(firms, load_similarity_rules())
    assert result.pairs.select("park_a", "park_b").rows() == [("P1", "P2")]
    assert result.clusters.get_column("park_code").to_list() == ["P1", "P2"]
    # Province 3911 = 690 of 1250: LQ of P1's 3911 = 0.6 / 0.552 ≈ 1.087 < 1.25.
    flags = {r["park_code"]: r for r in result.flags.iter_rows(named=True)}
    assert flags["P1"]["top_max_lq"] == pytest.approx(0.6 / (690 / 1250))
    assert flags["P1"]["low_level_homogeneity"] is True
    assert flags["P3"]["low_level_homogeneity"] is False


def test_every_similarity_rule_field_is_documented() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs/analysis/structure.md"
    text = docs.read_text(encoding="utf-8")
    fields = [f"`{name}`" for name in SimilarityRules.model_fields if name != "low_level"]
    fields += [f"`low_level.{name}`" for name in LowLevelRules.model_fields]
    assert [field for field in fields if field not in text] == []
