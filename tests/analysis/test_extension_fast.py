"""The vectorised 延链 code against plain reference computations on random data.

``neighbour_pairs`` is checked against the Polars self-join it replaced, and
``suggest_extensions`` against a park-by-park Python loop that follows the module docstring
literally. The random tables use small integer values, so that equal scores, equal proximities
and ties at the ``top_n`` cut actually occur.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from parkhq.analysis.complexity import ComplexityResult, cell_grid, complexity
from parkhq.analysis.extension import (
    SUGGESTION_SCHEMA,
    complexity_term,
    neighbour_pairs,
    park_complexity,
    suggest_extensions,
)
from parkhq.reference.rules import (
    ExtensionRules,
    NeighbourRules,
    load_extension_rules,
)
from rule_sets import extension_rules_with

SEEDS = range(6)


def random_parks(rng: np.random.Generator, size: int = 40) -> pl.DataFrame:
    """Parks in few provinces and cities; some without a city, one code listed twice."""
    province = rng.integers(0, 3, size)
    city = np.where(rng.random(size) < 0.15, -1, province * 10 + rng.integers(0, 4, size))
    codes = [f"P{i:03d}" for i in rng.permutation(size)]
    codes[-1] = codes[0]  # duplicate: the first row wins
    return pl.DataFrame(
        {
            "park_code": codes,
            "city_code": [None if c < 0 else f"{330000 + c * 100}" for c in city],
            "province_code": [f"{330000 + p * 10000}" for p in province],
        }
    )


def random_firms(rng: np.random.Generator, parks: int = 30, groups: int = 12) -> pl.DataFrame:
    """Firm rows of ``parks`` parks in ``groups`` GB/T 4754 groups, small integer output."""
    size = parks * 8
    group = rng.integers(0, groups, size)
    return pl.DataFrame(
        {
            "park_code": [f"P{p:03d}" for p in rng.integers(0, parks, size)],
            "industry_code": [
                f"{131 + 3 * g}{d}" for g, d in zip(group, rng.integers(1, 4, size), strict=True)
            ],
            "output_value": rng.integers(0, 4, size).astype(float),
        }
    )


# --------------------------------------------------------------------------- neighbours


def reference_neighbours(parks: pl.DataFrame, rules: NeighbourRules) -> pl.DataFrame:
    """The Polars self-join (by city, by province) of the original implementation."""
    units = (
        parks.filter(pl.col("park_code").is_not_null())
        .select(
            pl.col("park_code").alias("location"),
            pl.col("city_code").cast(pl.String),
            pl.col("province_code").cast(pl.String),
        )
        .unique("location", keep="first")
    )

    def pairs(key: str) -> pl.DataFrame:
        keyed = units.filter(pl.col(key).is_not_null()).select("location", key)
        return (
            keyed.join(keyed.rename({"location": "neighbour"}), on=key, how="inner")
            .filter(pl.col("location") != pl.col("neighbour"))
            .select("location", "neighbour", pl.lit(key.removesuffix("_code")).alias("basis"))
        )

    city = pairs("city_code")
    if rules.scope == "city":
        chosen = city
    elif rules.scope == "province":
        chosen = pairs("province_code")
    else:
        enough = (
            city.group_by("location")
            .len()
            .filter(pl.col("len") >= rules.min_neighbours.value)
            .select("location")
        )
        chosen = pl.concat(
            [
                city.join(enough, on="location", how="semi"),
                pairs("province_code").join(enough, on="location", how="anti"),
            ]
        )
    schema = {"location": pl.String, "neighbour": pl.String, "basis": pl.String}
    return chosen.cast(schema).sort("location", "neighbour")  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scope", ["city", "province", "city_then_province"])
@pytest.mark.parametrize("minimum", [1, 3])
def test_neighbour_pairs_equal_the_self_join(seed: int, scope: str, minimum: int) -> None:
    parks = random_parks(np.random.default_rng(seed))
    base = load_extension_rules().neighbours
    rules = base.model_copy(
        update={
            "scope": scope,
            "min_neighbours": base.min_neighbours.model_copy(update={"value": minimum}),
        }
    )
    assert_frame_equal(neighbour_pairs(parks, rules), reference_neighbours(parks, rules))


def test_neighbour_pairs_of_no_parks_is_an_empty_frame() -> None:
    empty = random_parks(np.random.default_rng(0)).clear()
    found = neighbour_pairs(empty, load_extension_rules().neighbours)
    assert found.height == 0
    assert found.columns == ["location", "neighbour", "basis"]


# --------------------------------------------------------------------------- suggestions


def reference_suggestions(
    result: ComplexityResult,
    neighbours: pl.DataFrame,
    rules: ExtensionRules,
    locations: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The module docstring, park by park."""
    cells = {(row["location"], row["activity"]): row for row in result.cells.iter_rows(named=True)}
    activities = sorted({activity for _, activity in cells})
    parks = sorted({location for location, _ in cells})
    phi: dict[tuple[str, str], float] = {}
    for first, second, weight in result.proximity.iter_rows():
        phi[first, second] = phi[second, first] = weight
    pci = dict(result.activities.select("activity", "pci").iter_rows())
    eci = dict(result.locations.select("location", "eci").iter_rows())
    term = {
        (location, activity): value
        for location, activity, value in complexity_term(result, rules).iter_rows()
    }
    around: dict[str, list[str]] = defaultdict(list)
    for location, neighbour in neighbours.select("location", "neighbour").iter_rows():
        around[location].append(neighbour)

    def held(location: str, activity: str) -> bool:
        cell = cells.get((location, activity))
        return cell is not None and cell["m"] == 1

    found = []
    for park in parks if locations is None else sorted(set(locations) & set(parks)):
        options = []
        for activity in activities:
            cell = cells.get((park, activity))
            density = None if cell is None else cell["density"]
            if cell is None or cell["m"] != 0 or density is None:
                continue
            if density < rules.min_density.value or density <= 0:
                continue
            holders = sorted(n for n in around[park] if held(n, activity))
            count = len(around[park])
            overlap = len(holders) / count if count else 0.0
            score = (
                density**rules.density_exponent.value
                * term[park, activity] ** rules.complexity_exponent.value
                * (1.0 - rules.overlap_penalty.value * overlap)
            )
            related = sorted(
                (
                    (-phi.get((activity, other), 0.0), other)
                    for other in activities
                    if other != activity
                    and held(park, other)
                    and phi.get((activity, other), 0.0) > 0
                ),
            )[: rules.explain_top.value]
            options.append(
                {
                    "location": park,
                    "activity": activity,
                    "score": score,
                    "density": density,
                    "complexity": term[park, activity],
                    "pci": pci.get(activity),
                    "cog": cell["cog"],
                    "value": cell["value"],
                    "rca": cell["rca"],
                    "overlap": overlap,
                    "neighbours": count,
                    "neighbour_holders": holders,
                    "related_activities": [other for _, other in related],
                    "related_proximity": [-weight for weight, _ in related],
                    "raises_complexity": (
                        pci.get(activity) is not None
                        and eci.get(park) is not None
                        and pci[activity] > eci[park]
                    ),
                }
            )
        options.sort(key=lambda row: (-row["score"], row["activity"]))
        for rank, row in enumerate(options[: rules.top_n.value], start=1):
            found.append({**row, "rank": rank})
    return found


def assert_rows_match(frame: pl.DataFrame, expected: list[dict[str, Any]]) -> None:
    assert frame.schema == pl.Schema(SUGGESTION_SCHEMA)
    rows = frame.to_dicts()
    assert [(r["location"], r["rank"], r["activity"]) for r in rows] == [
        (r["location"], r["rank"], r["activity"]) for r in expected
    ]
    for got, want in zip(rows, expected, strict=True):
        for key, value in want.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
            elif key == "related_proximity":
                assert got[key] == pytest.approx(value, rel=1e-12), key
            else:
                assert got[key] == value, key


RULE_VARIANTS: list[dict[str, Any]] = [
    {},
    {"top_n": 2, "explain_top": 1, "min_density": 0.0},
    {"complexity_term": "cog", "overlap_penalty": 1.0, "density_exponent": 0.0},
    {"complexity_exponent": 2.0, "explain_top": 5, "top_n": 4},
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("changes", RULE_VARIANTS)
def test_suggestions_equal_the_park_by_park_reference(seed: int, changes: dict[str, Any]) -> None:
    rng = np.random.default_rng(seed)
    rules = extension_rules_with(**changes)
    result = park_complexity(random_firms(rng), rules)
    assert result is not None
    parks = random_parks(rng).with_columns(pl.col("park_code").str.replace("P0", "P"))
    neighbours = neighbour_pairs(parks, rules.neighbours)
    found = suggest_extensions(result, neighbours, rules).suggestions
    assert found.height > 0
    assert_rows_match(found, reference_suggestions(result, neighbours, rules))


@pytest.mark.parametrize("seed", SEEDS)
def test_a_result_assembled_by_hand_gives_the_same_suggestions(seed: int) -> None:
    # Cells shuffled and some rows dropped: the codes, not the layout of complexity(), place them.
    rng = np.random.default_rng(seed)
    rules = extension_rules_with(top_n=3)
    result = park_complexity(random_firms(rng), rules)
    assert result is not None and cell_grid(result) is not None
    shuffled = result.cells.sample(fraction=1.0, shuffle=True, seed=seed)
    mixed = ComplexityResult(result.locations, result.activities, shuffled, result.proximity)
    assert cell_grid(mixed) is None
    neighbours = neighbour_pairs(random_parks(rng), rules.neighbours)
    assert_frame_equal(
        suggest_extensions(mixed, neighbours, rules).suggestions,
        suggest_extensions(result, neighbours, rules).suggestions,
    )
    partial = ComplexityResult(
        result.locations, result.activities, shuffled.tail(-7), result.proximity
    )
    asked = result.locations.get_column("location").head(5).to_list()
    found = suggest_extensions(partial, neighbours, rules, locations=[*asked, "nowhere"])
    expected = reference_suggestions(partial, neighbours, rules, asked)
    assert_rows_match(found.suggestions, expected)


def test_replacing_the_cells_of_a_result_drops_its_layout() -> None:
    result = park_complexity(random_firms(np.random.default_rng(1)), load_extension_rules())
    assert result is not None and cell_grid(result) is not None
    replaced = dataclasses.replace(result, cells=result.cells.reverse())
    assert cell_grid(replaced) is None


# --------------------------------------------------------------------------- complexity


@pytest.mark.parametrize("seed", SEEDS)
def test_row_order_and_idle_rows_do_not_change_complexity(seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = pl.DataFrame(
        {
            "location": [f"L{i}" for i in rng.integers(0, 25, 300)],
            "activity": [f"A{i}" for i in rng.integers(0, 15, 300)],
            "value": rng.integers(0, 5, 300).astype(float),
        }
    )
    idle = pl.DataFrame(
        {"location": ["L99", "L3", "L99"], "activity": ["A3", "A99", "A99"], "value": [0.0] * 3}
    )
    plain = complexity(table)
    busy = complexity(pl.concat([idle, table.sample(fraction=1.0, shuffle=True, seed=seed)]))
    assert_frame_equal(busy.cells, plain.cells, check_exact=False, rel_tol=1e-12)
    assert_frame_equal(busy.proximity, plain.proximity, check_exact=False, rel_tol=1e-12)
    assert "L99" in busy.locations.get_column("location").to_list()
    assert "A99" in busy.activities.get_column("activity").to_list()
    active = busy.locations.filter(pl.col("diversity") > 0)
    assert_frame_equal(
        active, plain.locations.filter(pl.col("diversity") > 0), check_exact=False, rel_tol=1e-9
    )


def tied_result(
    rng: np.random.Generator, parks: int = 12, activities: int = 20
) -> ComplexityResult:
    """A hand-made result whose densities, PCIs and proximities take few values (many ties)."""
    locations = [f"P{i:02d}" for i in range(parks)]
    codes = [f"{100 + i}" for i in range(activities)]
    size = parks * activities
    cells = pl.DataFrame(
        {
            "location": np.repeat(locations, activities),
            "activity": np.tile(codes, parks),
            "value": rng.integers(0, 3, size).astype(float),
            "rca": rng.integers(0, 3, size).astype(float),
            "m": (rng.random(size) < 0.3).astype(np.int8),
            "density": [None if x < 0 else x for x in rng.choice([-1.0, 0.0, 0.25, 0.5], size)],
            "cog": rng.choice([-1.0, 0.0, 1.0], size),
        },
        schema_overrides={"density": pl.Float64},
    )
    first, second = np.triu_indices(activities)
    proximity = pl.DataFrame(
        {
            "activity_1": [codes[i] for i in first],
            "activity_2": [codes[j] for j in second],
            "proximity": np.where(first == second, 1.0, rng.choice([0.0, 0.2, 0.4], first.size)),
        }
    ).filter(pl.col("proximity") > 0)
    return ComplexityResult(
        locations=pl.DataFrame(
            {
                "location": locations,
                "eci": [None if x > 1 else x for x in rng.choice([-1.0, 0.0, 1.0, 9.0], parks)],
            }
        ),
        activities=pl.DataFrame(
            {"activity": codes, "pci": rng.choice([-1.0, 0.5, 2.0], activities)}
        ),
        cells=cells.sample(fraction=1.0, shuffle=True, seed=1),
        proximity=proximity,
    )


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "changes",
    [
        {"top_n": 3, "explain_top": 2, "complexity_exponent": 0.0, "overlap_penalty": 0.0},
        {"top_n": 4, "explain_top": 3, "complexity_term": "cog", "min_density": 0.0},
    ],
)
def test_ties_are_broken_by_activity_code(seed: int, changes: dict[str, Any]) -> None:
    rng = np.random.default_rng(seed)
    result = tied_result(rng)
    rules = extension_rules_with(**changes)
    parks = pl.DataFrame(
        {
            "park_code": result.locations.get_column("location"),
            "city_code": [f"3301{i % 3}0" for i in range(result.locations.height)],
            "province_code": ["330000"] * result.locations.height,
        }
    )
    neighbours = neighbour_pairs(parks, rules.neighbours)
    found = suggest_extensions(result, neighbours, rules).suggestions
    assert found.height > 0
    assert_rows_match(found, reference_suggestions(result, neighbours, rules))
