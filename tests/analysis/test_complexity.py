"""Relatedness and economic complexity (``parkhq.analysis.complexity``).

Golden values come from two references:

* hand computation in the test (a 3 × 3 table whose RCA, proximity and density are worked out
  below), and
* the Harvard Growth Lab package ``ecomplexity`` 0.5.3 run in the test on real data: world trade
  1998–2000 (226 countries × 785 SITC products, 124,336 rows) and the exports of Spain's
  provinces by HS section (a sub-national table).

Agreement with ``ecomplexity`` is checked on every shared metric with
``|ours − theirs| ≤ max(1e-6 · |theirs|, 1e-9)``: a relative error of at most 1e-6, and for values
that are exactly 0 (or within 1e-9 of it) an absolute tolerance of 1e-9.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from ecomplexity import ecomplexity
from ecomplexity import proximity as ecomplexity_proximity

from parkhq.analysis import complexity as complexity_module
from parkhq.analysis.complexity import (
    ComplexityConfig,
    ComplexityResult,
    complexity,
    density,
    proximity,
    rca,
)
from parkhq.errors import InvalidInput

DATA = Path(__file__).resolve().parents[1] / "data"
WORLD = DATA / "world_trade_avg_1998_to_2000.csv"
SPAIN = DATA / "datawheel_spain_subnational_exports_2022_hs_sections.csv"

REL_TOL = 1e-6
ABS_TOL = 1e-9
SHARED = {
    "rca": "rca",
    "m": "mcp",
    "diversity": "diversity",
    "ubiquity": "ubiquity",
    "eci": "eci",
    "pci": "pci",
    "density": "density",
    "coi": "coi",
    "cog": "cog",
}


def assert_agrees(ours: pl.Series, theirs: pl.Series) -> None:
    """``|ours − theirs| ≤ max(REL_TOL·|theirs|, ABS_TOL)`` everywhere, same nulls/NaNs."""
    a = ours.cast(pl.Float64).fill_null(np.nan).to_numpy()
    b = theirs.cast(pl.Float64).fill_null(np.nan).to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b)), ours.name
    keep = ~np.isnan(b)
    error = np.abs(a[keep] - b[keep])
    allowed = np.maximum(REL_TOL * np.abs(b[keep]), ABS_TOL)
    worst = int(np.argmax(error / allowed)) if error.size else 0
    assert (error <= allowed).all(), (ours.name, a[keep][worst], b[keep][worst])


def run_ecomplexity(
    df: pl.DataFrame, location: str, activity: str, value: str, threshold: float = 1.0
) -> pl.DataFrame:
    """``ecomplexity`` 0.5.3 on the same table (one constant year), codes renamed to ours."""
    frame = df.select(location, activity, value).to_pandas()
    frame["year"] = 2000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity(
            frame,
            {"time": "year", "loc": location, "prod": activity, "val": value},
            rca_mcp_threshold=threshold,
            verbose=False,
            check_logsupermodularity=False,
        )
    return pl.from_pandas(pd.DataFrame(out)).rename({location: "location", activity: "activity"})


def flat(result: ComplexityResult) -> pl.DataFrame:
    """Cells with their location and activity indices attached."""
    return result.cells.join(result.locations, on="location").join(result.activities, on="activity")


def assert_all_metrics_agree(result: ComplexityResult, reference: pl.DataFrame) -> None:
    ours = flat(result)
    joined = ours.join(reference, on=["location", "activity"], how="inner", suffix="_ref")
    assert joined.height == ours.height == reference.height
    for mine, theirs in SHARED.items():
        name = theirs if theirs != mine else f"{theirs}_ref"
        assert_agrees(joined[mine], joined[name])


def read_world() -> pl.DataFrame:
    return pl.read_csv(WORLD, schema_overrides={"country": pl.String, "product": pl.String})


def read_spain() -> pl.DataFrame:
    return pl.read_csv(
        SPAIN, schema_overrides={"Subnat Geography ID": pl.String, "Section ID": pl.String}
    )


@pytest.fixture(scope="module")
def world() -> pl.DataFrame:
    return read_world()


@pytest.fixture(scope="module")
def world_result(world: pl.DataFrame) -> ComplexityResult:
    return complexity(world, location="country", activity="product", value="value")


@pytest.fixture(scope="module")
def world_reference(world: pl.DataFrame) -> pl.DataFrame:
    return run_ecomplexity(world, "country", "product", "value")


# --------------------------------------------------------------------------- hand computation

#: 3 parks × 3 industries, 万元. Park totals 10/10/10 (30); industry totals 15/10/5.
HAND = pl.DataFrame(
    {
        "park": ["A", "B", "B", "C", "C"],
        "industry": ["x", "x", "y", "y", "z"],
        "output": [10.0, 5.0, 5.0, 5.0, 5.0],
    }
)


@pytest.fixture(scope="module")
def hand() -> ComplexityResult:
    return complexity(HAND, location="park", activity="industry", value="output")


def cell(frame: pl.DataFrame, location: str, activity: str, column: str) -> float:
    row = frame.filter((pl.col("location") == location) & (pl.col("activity") == activity))
    assert row.height == 1
    return float(row[column][0])


def test_rca_of_3x3_is_share_in_park_over_share_in_total(hand: ComplexityResult) -> None:
    # RCA_cp = (X_cp / X_c) / (X_p / X): A-x (10/10)/(15/30) = 2; B-x (5/10)/(15/30) = 1;
    # B-y (5/10)/(10/30) = 1.5; C-y 1.5; C-z (5/10)/(5/30) = 3; the other four are 0.
    expected = {
        ("A", "x"): 2.0,
        ("A", "y"): 0.0,
        ("A", "z"): 0.0,
        ("B", "x"): 1.0,
        ("B", "y"): 1.5,
        ("B", "z"): 0.0,
        ("C", "x"): 0.0,
        ("C", "y"): 1.5,
        ("C", "z"): 3.0,
    }
    assert hand.cells.height == 9
    for (park, industry), value in expected.items():
        assert cell(hand.cells, park, industry, "rca") == pytest.approx(value, abs=1e-12)
        # RCA = 1 exactly (B-x) counts as present: the test is RCA ≥ 1.
        assert cell(hand.cells, park, industry, "m") == (1 if value >= 1 else 0)


def test_diversity_and_ubiquity_of_3x3_count_the_ones_of_m(hand: ComplexityResult) -> None:
    assert dict(hand.locations.select("location", "diversity").iter_rows()) == {
        "A": 1,
        "B": 2,
        "C": 2,
    }
    assert dict(hand.activities.select("activity", "ubiquity").iter_rows()) == {
        "x": 2,
        "y": 2,
        "z": 1,
    }


def test_proximity_of_3x3_is_co_occurrence_over_larger_ubiquity(hand: ComplexityResult) -> None:
    # M: A {x}, B {x, y}, C {y, z}. x&y together in B only: 1 / max(2, 2) = 0.5;
    # y&z together in C only: 1 / max(2, 1) = 0.5; x&z never: 0 (no row); diagonal 1.
    # Each unordered pair once, activity_1 ≤ activity_2.
    edges = {(a, b): p for a, b, p in hand.proximity.iter_rows()}
    assert edges == pytest.approx(
        {("x", "x"): 1.0, ("x", "y"): 0.5, ("y", "y"): 1.0, ("y", "z"): 0.5, ("z", "z"): 1.0}
    )


def test_density_of_3x3_is_proximity_weighted_share_of_present_neighbours(
    hand: ComplexityResult,
) -> None:
    # Σ_j φ_pj: x 1.5, y 2, z 1.5. density_cp = Σ_j M_cj φ_pj / Σ_j φ_pj.
    expected = {
        ("A", "x"): 1.0 / 1.5,
        ("A", "y"): 0.5 / 2.0,
        ("A", "z"): 0.0,
        ("B", "x"): 1.5 / 1.5,
        ("B", "y"): 1.5 / 2.0,
        ("B", "z"): 0.5 / 1.5,
        ("C", "x"): 0.5 / 1.5,
        ("C", "y"): 1.5 / 2.0,
        ("C", "z"): 1.5 / 1.5,
    }
    for (park, industry), value in expected.items():
        assert cell(hand.cells, park, industry, "density") == pytest.approx(value, abs=1e-12)


def test_eci_of_3x3_is_standardised_and_equals_mean_pci_of_present_industries(
    hand: ComplexityResult,
) -> None:
    eci = dict(hand.locations.select("location", "eci").iter_rows())
    pci = dict(hand.activities.select("activity", "pci").iter_rows())
    values = np.array(list(eci.values()))
    assert values.mean() == pytest.approx(0.0, abs=1e-12)
    assert values.std(ddof=0) == pytest.approx(1.0, abs=1e-12)
    assert eci["A"] == pytest.approx(pci["x"], abs=1e-12)
    assert eci["B"] == pytest.approx((pci["x"] + pci["y"]) / 2, abs=1e-12)
    assert eci["C"] == pytest.approx((pci["y"] + pci["z"]) / 2, abs=1e-12)
    # Sign convention: ECI rises with diversity (A has 1 industry, B and C have 2).
    assert eci["A"] < min(eci["B"], eci["C"])


# --------------------------------------------------------------------------- ecomplexity 0.5.3


def test_world_trade_every_shared_metric_agrees_with_ecomplexity(
    world_result: ComplexityResult, world_reference: pl.DataFrame
) -> None:
    assert world_result.locations.height == 226
    assert world_result.activities.height == 785
    assert_all_metrics_agree(world_result, world_reference)


def test_world_trade_agrees_with_ecomplexity_when_the_eigenvector_comes_from_lanczos(
    world: pl.DataFrame, world_reference: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 226 countries normally go to dense LAPACK; force the iterative (ARPACK) path used above
    # _DENSE_EIGEN_MAX.
    monkeypatch.setattr(complexity_module, "_DENSE_EIGEN_MAX", 10)
    result = complexity(world, location="country", activity="product", value="value")
    assert_all_metrics_agree(result, world_reference)


def test_world_trade_proximity_agrees_with_ecomplexity_proximity(
    world: pl.DataFrame, world_result: ComplexityResult, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = world.to_pandas()
    frame["year"] = 2000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pl.from_pandas(
            pd.DataFrame(
                ecomplexity_proximity(
                    frame, {"time": "year", "loc": "country", "prod": "product", "val": "value"}
                )
            )
        )
    capsys.readouterr()
    assert reference.height == 785 * 785
    # ours lists each unordered pair once: look every ordered pair up as (min, max)
    ordered = reference.with_columns(
        low=pl.min_horizontal("product_1", "product_2"),
        high=pl.max_horizontal("product_1", "product_2"),
    )
    joined = ordered.join(
        world_result.proximity,
        left_on=["low", "high"],
        right_on=["activity_1", "activity_2"],
        how="left",
    )
    assert_agrees(joined["proximity_right"].fill_null(0.0), joined["proximity"])
    upper = reference.filter(pl.col("product_1") <= pl.col("product_2"))
    assert world_result.proximity.height == int((upper["proximity"] != 0).sum())
    assert world_result.proximity["proximity"].min() > 0  # type: ignore[operator]
    assert (world_result.proximity["activity_1"] <= world_result.proximity["activity_2"]).all()


def test_world_trade_with_rca_threshold_2_agrees_with_ecomplexity(world: pl.DataFrame) -> None:
    result = complexity(
        world,
        location="country",
        activity="product",
        value="value",
        config=ComplexityConfig(rca_threshold=2.0),
    )
    assert_all_metrics_agree(result, run_ecomplexity(world, "country", "product", "value", 2.0))


def test_spanish_provinces_agree_with_ecomplexity_and_density_stays_within_0_1() -> None:
    spain = read_spain()
    columns = {"location": "Subnat Geography ID", "activity": "Section ID", "value": "Trade Value"}
    result = complexity(spain, **columns)
    assert_all_metrics_agree(result, run_ecomplexity(spain, *columns.values()))
    assert result.locations.height == spain["Subnat Geography ID"].n_unique()
    densities = result.cells["density"]
    assert densities.null_count() == 0
    assert densities.min() >= 0.0  # type: ignore[operator]
    assert densities.max() <= 1.0  # type: ignore[operator]


# --------------------------------------------------------------------------- parks × industries


def synthetic_parks(parks: int, industries: int, seed: int) -> pl.DataFrame:
    """Parks × GB/T 4754 4-digit classes (some with leading zeros), output value in 万元."""
    rng = np.random.default_rng(seed)
    codes = [f"{code:04d}" for code in rng.choice(np.arange(111, 4390), industries, False)]
    park_codes = [f"S{33 + i % 3}{i:04d}" for i in range(parks)]
    present = rng.random((parks, industries)) < 0.3
    present[np.arange(parks), rng.integers(0, industries, parks)] = True
    present[rng.integers(0, parks, industries), np.arange(industries)] = True
    rows, cols = np.nonzero(present)
    return pl.DataFrame(
        {
            "park_code": [park_codes[i] for i in rows],
            "industry_code": [codes[j] for j in cols],
            "output_value": rng.lognormal(8.0, 1.5, rows.size),
        }
    )


@pytest.fixture(scope="module")
def parks() -> pl.DataFrame:
    return synthetic_parks(60, 40, seed=4754)


def test_synthetic_parks_agree_with_ecomplexity_and_density_stays_within_0_1(
    parks: pl.DataFrame,
) -> None:
    columns = {"location": "park_code", "activity": "industry_code", "value": "output_value"}
    result = complexity(parks, **columns)
    assert_all_metrics_agree(result, run_ecomplexity(parks, *columns.values()))
    assert result.cells.height == 60 * 40
    assert result.cells["density"].is_between(0.0, 1.0).all()


def test_industry_codes_keep_leading_zeros(parks: pl.DataFrame) -> None:
    result = complexity(parks, location="park_code", activity="industry_code", value="output_value")
    assert result.activities["activity"].dtype == pl.String
    assert set(result.activities["activity"]) == set(parks["industry_code"])
    assert any(code.startswith("0") for code in result.activities["activity"])


def test_rca_building_block_equals_the_cells_of_complexity(parks: pl.DataFrame) -> None:
    columns = {"location": "park_code", "activity": "industry_code", "value": "output_value"}
    full = complexity(parks, **columns)
    assert rca(parks, **columns).equals(
        full.cells.select("location", "activity", "value", "rca", "m")
    )


def test_proximity_building_block_equals_proximity_of_complexity(parks: pl.DataFrame) -> None:
    columns = {"location": "park_code", "activity": "industry_code", "value": "output_value"}
    full = complexity(parks, **columns)
    assert proximity(rca(parks, **columns)).equals(full.proximity)


def test_density_building_block_equals_density_of_complexity(parks: pl.DataFrame) -> None:
    columns = {"location": "park_code", "activity": "industry_code", "value": "output_value"}
    full = complexity(parks, **columns)
    presence = rca(parks, **columns).filter(pl.col("m") == 1)  # zeros may be left out
    found = density(presence, full.proximity)
    expected = full.cells.select("location", "activity", "density")
    joined = expected.join(found, on=["location", "activity"], how="left")
    assert found.height == expected.height
    assert_agrees(joined["density_right"], joined["density"])


def test_density_with_national_proximity_stays_within_0_1_for_parks() -> None:
    national = synthetic_parks(300, 40, seed=1)
    columns = {"location": "park_code", "activity": "industry_code", "value": "output_value"}
    edges = proximity(rca(national, **columns))
    local = synthetic_parks(12, 40, seed=1).head(150)
    found = density(rca(local, **columns), edges)
    values = found["density"].drop_nulls()
    assert values.len() > 0
    assert values.is_between(0.0, 1.0).all()
    # every national activity gets a density, also those no local park has
    assert found["activity"].n_unique() == edges["activity_1"].n_unique()


def test_density_by_hand_with_external_edges_without_diagonal() -> None:
    presence = pl.DataFrame({"location": ["P", "P"], "activity": ["a", "b"], "m": [1, 0]})
    # φ_ab = 0.6 (given as b–a), φ_bc = 0.2; the diagonal φ_aa = φ_bb = φ_cc = 1 is implied.
    edges = pl.DataFrame(
        {"activity_1": ["b", "b"], "activity_2": ["a", "c"], "proximity": [0.6, 0.2]}
    )
    found = {(c, p): d for c, p, d in density(presence, edges).iter_rows()}
    # density_Pa = (φ_aa·1) / (φ_aa + φ_ab) = 1 / 1.6;
    # density_Pb = (φ_ba·1) / (φ_ba + φ_bb + φ_bc) = 0.6 / 1.8;
    # density_Pc = (φ_ca·1 = 0) / (φ_cb + φ_cc) = 0.
    assert found == pytest.approx(
        {("P", "a"): 1 / 1.6, ("P", "b"): 0.6 / 1.8, ("P", "c"): 0.0}, abs=1e-12
    )


# --------------------------------------------------------------------------- conventions


def test_duplicate_rows_are_summed_before_the_analysis() -> None:
    # A-x (10) given as two rows of 4 and 6.
    split = pl.concat(
        [
            HAND.filter(pl.col("park") != "A"),
            pl.DataFrame({"park": ["A", "A"], "industry": ["x", "x"], "output": [4.0, 6.0]}),
        ]
    )
    ours = complexity(split, location="park", activity="industry", value="output")
    reference = complexity(HAND, location="park", activity="industry", value="output")
    assert ours.cells.equals(reference.cells)
    assert ours.locations.equals(reference.locations)


def test_park_with_zero_total_is_listed_without_indices_and_left_out_of_cells() -> None:
    table = pl.concat([HAND, pl.DataFrame({"park": ["D"], "industry": ["x"], "output": [0.0]})])
    result = complexity(table, location="park", activity="industry", value="output")
    row = result.locations.filter(pl.col("location") == "D")
    assert row.to_dicts() == [{"location": "D", "diversity": 0, "eci": None, "coi": None}]
    assert "D" not in set(result.cells["location"])
    assert result.cells.height == 9


def test_threshold_above_1_leaves_eci_null_only_where_diversity_is_0() -> None:
    # Park Z produces exactly the column totals of the others, so its RCA is 1 everywhere and,
    # with threshold 1.2, its diversity is 0.
    others = synthetic_parks(20, 10, seed=7)
    park_z = (
        others.group_by("industry_code")
        .agg(pl.col("output_value").sum())
        .with_columns(park_code=pl.lit("Z"))
        .select(others.columns)
    )
    table = pl.concat([others, park_z])
    columns = {"location": "park_code", "activity": "industry_code", "value": "output_value"}
    result = complexity(table, **columns, config=ComplexityConfig(rca_threshold=1.2))
    assert result.cells.filter(pl.col("location") == "Z")["rca"].max() < 1.2  # type: ignore[operator]
    eci = dict(result.locations.select("location", "eci").iter_rows())
    assert eci.pop("Z") is None
    valid = np.array(list(eci.values()))
    assert np.isfinite(valid).all()
    assert valid.mean() == pytest.approx(0.0, abs=1e-12)
    assert valid.std() == pytest.approx(1.0, abs=1e-12)
    assert result.cells["density"].is_between(0.0, 1.0).all()
    # ecomplexity 0.5.3 agrees on everything but the indices, which it loses for every park.
    reference = run_ecomplexity(table, *columns.values(), threshold=1.2)
    assert reference["eci"].is_null().all()
    joined = flat(result).join(reference, on=["location", "activity"], suffix="_ref")
    for mine, theirs in [("rca", "rca_ref"), ("m", "mcp"), ("density", "density_ref")]:
        assert_agrees(joined[mine], joined[theirs])
    assert_agrees(joined["diversity"], joined["diversity_ref"])


def test_numeric_codes_are_read_as_strings() -> None:
    table = HAND.with_columns(pl.col("park").replace_strict({"A": 1, "B": 2, "C": 3}))
    result = complexity(table, location="park", activity="industry", value="output")
    assert result.locations["location"].to_list() == ["1", "2", "3"]


def test_output_frames_have_the_documented_columns(hand: ComplexityResult) -> None:
    assert hand.locations.schema == pl.Schema(
        {"location": pl.String, "diversity": pl.Int64, "eci": pl.Float64, "coi": pl.Float64}
    )
    assert hand.activities.schema == pl.Schema(
        {"activity": pl.String, "ubiquity": pl.Int64, "pci": pl.Float64}
    )
    assert hand.cells.columns == ["location", "activity", "value", "rca", "m", "density", "cog"]
    assert hand.proximity.columns == ["activity_1", "activity_2", "proximity"]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda df: df.drop("output"), "缺少数值列“output”"),
        (lambda df: df.with_columns(pl.col("output").cast(pl.String)), "应为数值类型"),
        (lambda df: df.with_columns(pl.lit(-1.0).alias("output")), "为负数"),
        (lambda df: df.with_columns(pl.lit(None, pl.Float64).alias("output")), "为空"),
        (lambda df: df.with_columns(pl.lit(math.nan).alias("output")), "NaN"),
        (lambda df: df.with_columns(pl.lit(math.inf).alias("output")), "无穷大"),
        (lambda df: df.with_columns(pl.lit(None, pl.String).alias("park")), "地区列“park”"),
        (lambda df: df.head(0), "没有数据行"),
        (lambda df: df.filter(pl.col("park") == "A"), "至少需要 2 个"),
    ],
)
def test_bad_input_raises_invalid_input_in_chinese(
    change: Callable[[pl.DataFrame], pl.DataFrame], words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        complexity(change(HAND), location="park", activity="industry", value="output")
    assert words in caught.value.message


def test_location_and_activity_must_be_different_columns() -> None:
    with pytest.raises(InvalidInput, match="必须是不同的列"):
        complexity(HAND, location="park", activity="park", value="output")


def test_error_names_the_offending_data_rows() -> None:
    table = HAND.with_columns(
        pl.when(pl.int_range(pl.len()).is_in([1, 3])).then(-1.0).otherwise("output").alias("output")
    )
    with pytest.raises(InvalidInput) as caught:
        complexity(table, location="park", activity="industry", value="output")
    assert "有 2 个值为负数（第 2、4 行数据）" in caught.value.message


@pytest.mark.parametrize("threshold", [0.0, -1.0, math.inf, math.nan])
def test_rca_threshold_must_be_a_positive_finite_number(threshold: float) -> None:
    with pytest.raises(InvalidInput, match="RCA 阈值"):
        ComplexityConfig(rca_threshold=threshold)


def test_presence_must_be_0_or_1() -> None:
    presence = pl.DataFrame({"location": ["P", "Q"], "activity": ["a", "a"], "m": [1, 2]})
    with pytest.raises(InvalidInput, match="只能取 0 或 1"):
        proximity(presence)


def test_a_pair_given_in_both_orders_is_rejected() -> None:
    presence = pl.DataFrame({"location": ["P"], "activity": ["a"], "m": [1]})
    edges = pl.DataFrame(
        {"activity_1": ["a", "b"], "activity_2": ["b", "a"], "proximity": [0.5, 0.5]}
    )
    with pytest.raises(InvalidInput, match="重复的产业对"):
        density(presence, edges)


def test_self_proximity_other_than_1_is_rejected() -> None:
    presence = pl.DataFrame({"location": ["P"], "activity": ["a"], "m": [1]})
    edges = pl.DataFrame({"activity_1": ["a"], "activity_2": ["a"], "proximity": [0.5]})
    with pytest.raises(InvalidInput, match="自身的邻近度应为 1"):
        density(presence, edges)
