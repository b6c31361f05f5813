"""The fast paths of 延链 against the paths that read the frames, on random data with ties.

:func:`~parkhq.analysis.complexity.complexity` keeps the arrays behind its frames on the result;
:func:`suggest_extensions` then reads nothing back from the frames. These tests check that the
suggestions are exactly those read from the frames (with only the layout kept, and with the
cells placed by their codes), and that the arrays are dropped as soon as a frame is replaced.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from parkhq.analysis import extension
from parkhq.analysis.complexity import (
    CellGrid,
    ComplexityConfig,
    ComplexityResult,
    cell_grid,
    complexity,
    result_arrays,
)
from parkhq.analysis.cube import IndustryCube, ParkMatrix
from parkhq.analysis.extension import neighbour_pairs, park_complexity, suggest_extensions
from parkhq.reference.rules import ExtensionRules
from rule_sets import extension_rules_with

SEEDS = range(5)

RULE_VARIANTS: list[dict[str, Any]] = [
    {},
    {"top_n": 30, "explain_top": 20, "min_density": 0.0},
    {"complexity_term": "cog", "overlap_penalty": 1.0, "density_exponent": 0.5},
    {"complexity_exponent": 2.0, "overlap_penalty": 0.0, "top_n": 2, "explain_top": 1},
    {"density_exponent": 0.0, "complexity_exponent": 0.0, "min_density": 0.3},
]


def random_firms(rng: np.random.Generator, parks: int = 40) -> pl.DataFrame:
    """Firms of parks in three provinces (one park idle), firms outside parks, a few null and
    many equal small outputs (so scores and proximities tie), 14 GB/T 4754 groups."""
    size = parks * 10
    park = rng.integers(0, parks, size)
    group = rng.integers(0, 14, size)
    output = rng.integers(0, 4, size).astype(float)
    output[park == 0] = 0.0  # a park whose total is 0
    outside = rng.random(size) < 0.1
    return pl.DataFrame(
        {
            "park_code": [None if o else f"P{p:03d}" for p, o in zip(park, outside, strict=True)],
            "province_code": [f"{33 + p % 3}0000" for p in park],
            "city_code": [f"{33 + p % 3}0{1 + p % 4}00" for p in park],
            "industry_code": [f"{131 + 3 * g}{1 + g % 3}" for g in group],
            "output_value": [
                None if x == 3 and g == 5 else x for x, g in zip(output, group, strict=True)
            ],
        },
        schema_overrides={"output_value": pl.Float64},
    )


def neighbours_of(firms: pl.DataFrame, rules: ExtensionRules) -> pl.DataFrame:
    parks = firms.select("park_code", "city_code", "province_code").drop_nulls("park_code")
    # One park listed without its city: it falls back to its province.
    parks = parks.with_columns(
        pl.when(pl.col("park_code") == "P007").then(None).otherwise("city_code").alias("city_code")
    )
    return neighbour_pairs(parks.unique(maintain_order=True), rules.neighbours)


def frames_only(result: ComplexityResult) -> ComplexityResult:
    """The same frames, the layout kept but not the arrays."""
    grid = cell_grid(result)
    assert grid is not None
    return dataclasses.replace(result, _grid=CellGrid(grid.cells, grid.locations, grid.activities))


def by_codes(result: ComplexityResult, seed: int) -> ComplexityResult:
    """The same frames with the cells shuffled: no layout, cells placed by their codes."""
    shuffled = result.cells.sample(fraction=1.0, shuffle=True, seed=seed)
    return ComplexityResult(result.locations, result.activities, shuffled, result.proximity)


def assert_same(actual: pl.DataFrame, expected: pl.DataFrame) -> None:
    assert actual.height > 0
    assert_frame_equal(actual, expected, check_exact=True)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("changes", RULE_VARIANTS)
@pytest.mark.parametrize("source", ["cube", "firms"])
def test_suggestions_from_the_kept_arrays_equal_those_read_from_the_frames(
    seed: int, changes: dict[str, Any], source: str
) -> None:
    rng = np.random.default_rng(seed)
    rules = extension_rules_with(**changes)
    firms = random_firms(rng)
    result = park_complexity(IndustryCube.from_firms(firms) if source == "cube" else firms, rules)
    assert result is not None and result_arrays(result) is not None
    neighbours = neighbours_of(firms, rules)
    fast = suggest_extensions(result, neighbours, rules).suggestions
    assert_same(fast, suggest_extensions(frames_only(result), neighbours, rules).suggestions)
    assert_same(fast, suggest_extensions(by_codes(result, seed), neighbours, rules).suggestions)
    asked = ["P003", "P010", "nowhere", "P003"]
    some = suggest_extensions(result, neighbours, rules, locations=asked).suggestions
    assert_same(some, fast.filter(pl.col("location").is_in(asked)))
    assert_same(
        some,
        suggest_extensions(by_codes(result, seed), neighbours, rules, locations=asked).suggestions,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_small_blocks_and_chunks_give_the_same_suggestions(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    rules = extension_rules_with(top_n=4, explain_top=3)
    firms = random_firms(rng)
    result = park_complexity(firms, rules)
    assert result is not None
    neighbours = neighbours_of(firms, rules)
    expected = suggest_extensions(result, neighbours, rules).suggestions
    monkeypatch.setattr(extension, "_BLOCK", 3)
    monkeypatch.setattr(extension, "_CHUNK", 5)
    assert_same(suggest_extensions(result, neighbours, rules).suggestions, expected)


@pytest.mark.parametrize("term", ["pci", "cog"])
def test_undefined_complexity_is_null_on_both_paths(term: str) -> None:
    # A ring of parks holding two activities each: equal diversities leave ECI, PCI and COG
    # undefined (null), while the densities still rank candidates.
    codes = ["1310", "1320", "1330", "1340"]
    firms = pl.DataFrame(
        {
            "park_code": ["P0", "P0", "P1", "P1", "P2", "P2", "P3", "P3"],
            "industry_code": [codes[i % 4] for i in (0, 1, 1, 2, 2, 3, 3, 0)],
            "output_value": [1.0] * 8,
        }
    )
    rules = extension_rules_with(complexity_term=term, min_density=0.0)
    result = park_complexity(firms, rules)
    assert result is not None and result.cells.get_column("cog").null_count() == 16
    parks = pl.DataFrame(
        {"park_code": ["P0", "P1", "P2", "P3"], "city_code": ["330100"] * 4},
        schema_overrides={"city_code": pl.String},
    ).with_columns(pl.lit("330000").alias("province_code"))
    neighbours = neighbour_pairs(parks, rules.neighbours)
    fast = suggest_extensions(result, neighbours, rules).suggestions
    assert fast.get_column("cog").null_count() == fast.height > 0
    assert_same(fast, suggest_extensions(frames_only(result), neighbours, rules).suggestions)


def test_an_activity_present_nowhere_has_null_density_and_leaves_coi_defined() -> None:
    # Activity Z is 1/10 of every location's other activities: RCA 1 everywhere, below the
    # threshold, so Z is present nowhere and its φ row is 0.
    rng = np.random.default_rng(7)
    values = rng.integers(0, 5, (30, 12)).astype(float)
    values[values.sum(axis=1) == 0, 0] = 1.0
    table = pl.DataFrame(
        {
            "location": np.repeat([f"L{i:02d}" for i in range(30)], 13),
            "activity": np.tile([f"A{j:02d}" for j in range(12)] + ["Z"], 30),
            "value": np.column_stack([values, values.sum(axis=1) / 10]).ravel(),
        }
    )
    result = complexity(table, config=ComplexityConfig(rca_threshold=1.5))
    assert result.activities.filter(pl.col("activity") == "Z").get_column("ubiquity")[0] == 0
    assert result.cells.get_column("density").null_count() == 30
    assert result.locations.get_column("coi").null_count() == 0
    rules = extension_rules_with(rca_threshold=1.5, min_density=0.0, complexity_term="cog")
    parks = pl.DataFrame(
        {
            "park_code": [f"L{i:02d}" for i in range(30)],
            "city_code": [f"3301{i % 4}0" for i in range(30)],
            "province_code": ["330000"] * 30,
        }
    )
    neighbours = neighbour_pairs(parks, rules.neighbours)
    fast = suggest_extensions(result, neighbours, rules).suggestions
    assert_same(fast, suggest_extensions(by_codes(result, 7), neighbours, rules).suggestions)


def test_a_cell_without_m_is_never_suggested() -> None:
    rng = np.random.default_rng(3)
    rules = extension_rules_with()
    firms = random_firms(rng)
    result = park_complexity(firms, rules)
    assert result is not None
    neighbours = neighbours_of(firms, rules)
    before = suggest_extensions(result, neighbours, rules).suggestions
    dropped = before.filter(pl.col("rank") == 1).select("location", "activity")
    unknown = pl.struct("location", "activity").is_in(dropped.to_struct().implode())
    cells = result.cells.with_columns(pl.when(unknown).then(None).otherwise(pl.col("m")).alias("m"))
    for changed in (
        dataclasses.replace(result, cells=cells),
        by_codes(dataclasses.replace(result, cells=cells), 3),
    ):
        after = suggest_extensions(changed, neighbours, rules).suggestions
        assert after.join(dropped, on=["location", "activity"]).height == 0
        assert after.height >= before.height - dropped.height


def test_replacing_any_frame_drops_the_arrays() -> None:
    firms = random_firms(np.random.default_rng(0))
    result = park_complexity(firms, extension_rules_with())
    assert result is not None
    assert result_arrays(result) is not None
    for name in ("locations", "activities", "cells", "proximity"):
        replaced = dataclasses.replace(result, **{name: getattr(result, name).clone()})
        assert result_arrays(replaced) is None, name
    assert result_arrays(frames_only(result)) is None


def test_the_kept_arrays_are_read_only_and_hold_the_values_of_the_frames() -> None:
    firms = random_firms(np.random.default_rng(1))
    result = park_complexity(firms, extension_rules_with())
    assert result is not None
    arrays = result_arrays(result)
    grid = cell_grid(result)
    assert arrays is not None and grid is not None
    shape = (grid.locations.len(), grid.activities.len())
    for name in ("value", "rca", "density", "cog"):
        column = result.cells.get_column(name).fill_null(np.nan).to_numpy().reshape(shape)
        np.testing.assert_array_equal(getattr(arrays, name), column, err_msg=name)
    m = result.cells.get_column("m").to_numpy().reshape(shape)
    np.testing.assert_array_equal(arrays.held, m == 1)
    pci = dict(result.activities.select("activity", "pci").iter_rows())
    np.testing.assert_array_equal(
        arrays.pci, [np.nan if pci[a] is None else pci[a] for a in grid.activities]
    )
    eci = dict(result.locations.select("location", "eci").iter_rows())
    np.testing.assert_array_equal(
        arrays.eci, [np.nan if eci[c] is None else eci[c] for c in grid.locations]
    )
    for first, second, weight in result.proximity.iter_rows():
        i, j = grid.activities.index_of(first), grid.activities.index_of(second)
        assert arrays.phi[i, j] == arrays.phi[j, i] == weight
    assert np.count_nonzero(arrays.phi) == 2 * result.proximity.height - np.count_nonzero(
        np.diagonal(arrays.phi)
    )
    for array in (arrays.value, arrays.held, arrays.density, arrays.phi, arrays.pci):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def reference_keyed(
    density: np.ndarray, term: np.ndarray, overlap: np.ndarray, blocked: np.ndarray, rules: Any
) -> np.ndarray:
    """The score with NaN as +inf and blocked cells as −inf, written plainly."""
    score = (
        np.power(density, rules.density_exponent.value)
        * np.power(term, rules.complexity_exponent.value)
        * (1.0 - rules.overlap_penalty.value * overlap)
    )
    score[np.isnan(score)] = np.inf
    score[blocked] = -np.inf
    return score


@pytest.mark.parametrize(
    "changes",
    [{}, {"density_exponent": 2.0, "complexity_exponent": 0.0, "overlap_penalty": 1.0}],
)
def test_keyed_scores_mark_nan_and_blocked_cells(changes: dict[str, Any]) -> None:
    # Infinite and NaN scores come only from hand-made frames, but must sort as before.
    rules = extension_rules_with(**changes)
    density = np.array([[0.5, np.nan, 0.25, np.inf], [np.nan, 0.1, np.inf, 0.0]])
    term = np.array([[1.0, 0.5, 0.0, np.nan]])
    overlap = np.array([[0.0, 1.0, 0.5, 0.25], [1.0, 0.0, 0.5, 0.5]])
    for pattern in range(2**8):
        blocked = np.array([bool(pattern >> k & 1) for k in range(8)]).reshape(2, 4)
        with np.errstate(invalid="ignore"):
            expected = reference_keyed(density, term, overlap, blocked, rules)
        found = extension._keyed(density, term, overlap.copy(), blocked, rules)
        np.testing.assert_array_equal(found, expected)


def park_matrix_of(values: list[list[float]], present: list[list[bool]]) -> ParkMatrix:
    return ParkMatrix(
        parks=pl.Series([f"P{i}" for i in range(len(values))]),
        industries=pl.Series([f"A{j}" for j in range(len(values[0]))]),
        values=np.array(values, dtype=np.float64),
        present=np.array(present),
    )


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf, -np.inf])
def test_the_activity_matrix_leaves_bad_values_to_the_table_path(bad: float) -> None:
    parks = park_matrix_of([[1.0, 2.0], [3.0, bad]], [[True, True], [True, True]])
    assert extension._activity_matrix(parks) is None


def test_the_activity_matrix_keeps_active_codes_and_lists_idle_ones() -> None:
    values = [[1.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0], [3.0, 0.0, 1e308, 0.0], [0.0] * 4]
    present = [[True, True, True, False], [True, False, False, False], [True] * 3 + [False]]
    parks = park_matrix_of(values, [*present, [False] * 4])
    table = extension._activity_matrix(parks)
    assert table is not None
    assert table.locations.to_list() == ["P0", "P2"]
    assert table.activities.to_list() == ["A0", "A2"]
    assert table.idle_locations.to_list() == ["P1"]
    assert table.idle_activities.to_list() == ["A1"]
    np.testing.assert_array_equal(table.values, [[1.0, 2.0], [3.0, 1e308]])
    assert table.values.flags.c_contiguous
    # Finite values whose row total overflows are still a valid table.
    overflowing = park_matrix_of([[1e308, 1e308], [1.0, 1.0]], [[True, True], [True, True]])
    whole = extension._activity_matrix(overflowing)
    assert whole is not None and whole.idle_locations.len() == 0
    np.testing.assert_array_equal(whole.values, overflowing.values)
