"""延链 suggestions (``parkhq.analysis.extension``) and their rule set.

Golden values are worked out by hand in each test: a hand-built relatedness result for the
score, and a three-park firm table whose proximity and density follow from Hidalgo et al.
(2007) on paper.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from parkhq.analysis.complexity import ComplexityResult
from parkhq.analysis.extension import (
    SUGGESTION_SCHEMA,
    complexity_term,
    neighbour_pairs,
    park_activity_table,
    park_complexity,
    suggest_extensions,
)
from parkhq.errors import InvalidInput, RuleSetError
from parkhq.reference.rules import (
    load_extension_rules,
)
from rule_sets import extension_rules_with


def shipped() -> dict[str, Any]:
    return load_extension_rules().model_dump(mode="json")


def hand_result() -> ComplexityResult:
    """Parks P1, P2, P3 × activities a, b, c, d with chosen presence, density, PCI and φ.

    P1 holds a and b; c has density 0.5 and d density 0.25 around P1. P2 holds c.
    PCI: a = −1, b = 0, c = 1, d = 3 (min −1, max 3).
    """
    cells = pl.DataFrame(
        {
            "location": ["P1"] * 4 + ["P2"] * 4 + ["P3"] * 4,
            "activity": ["a", "b", "c", "d"] * 3,
            "value": [10.0, 10.0, 0.0, 2.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 10.0],
            "rca": [2.0, 2.0, 0.0, 0.3, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 3.0],
            "m": [1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
            "density": [0.9, 0.9, 0.5, 0.25, 0.1, 0.1, 0.9, 0.02, 0.0, 0.0, 0.0, 0.9],
            "cog": [0.0, 0.0, 1.0, 2.0, 0.5, 0.5, 0.0, 0.0, -1.0, -1.0, -1.0, 0.0],
        },
        schema_overrides={"m": pl.Int8},
    )
    proximity = pl.DataFrame(
        {
            "activity_1": ["c", "c", "d", "d", "a", "b", "a", "b", "c", "d"],
            "activity_2": ["a", "b", "b", "a", "c", "c", "d", "d", "c", "d"],
            "proximity": [0.5, 0.2, 0.3, 0.1, 0.5, 0.2, 0.1, 0.3, 1.0, 1.0],
        }
    )
    return ComplexityResult(
        locations=pl.DataFrame(
            {"location": ["P1", "P2", "P3"], "diversity": [2, 1, 1], "eci": [0.5, 1.5, -1.0]}
        ),
        activities=pl.DataFrame(
            {"activity": ["a", "b", "c", "d"], "ubiquity": [1, 1, 1, 1], "pci": [-1.0, 0, 1, 3]}
        ),
        cells=cells,
        proximity=proximity,
    )


CITY_NEIGHBOURS = pl.DataFrame(
    {
        "location": ["P1", "P1", "P2", "P2", "P3", "P3"],
        "neighbour": ["P2", "P3", "P1", "P3", "P1", "P2"],
    }
)


# --------------------------------------------------------------------------- rule set


def test_the_shipped_extension_rule_set_loads_with_its_source_and_grain() -> None:
    rules = load_extension_rules()
    assert rules.level == "group"
    assert rules.complexity_term == "pci"
    assert rules.rca_threshold.value == 1.0 and rules.rca_threshold.confidence == "C"
    assert "Hidalgo" in rules.source and rules.version == "2025.1"
    assert rules.neighbours.scope == "city_then_province"
    assert (rules.top_n.value, rules.explain_top.value) == (10, 3)


def test_an_overlap_penalty_above_one_is_refused() -> None:
    with pytest.raises(RuleSetError, match="overlap_penalty"):
        extension_rules_with(overlap_penalty=1.5)


def test_a_complexity_floor_of_one_is_refused() -> None:
    with pytest.raises(RuleSetError, match="complexity_floor"):
        extension_rules_with(complexity_floor=1.0)


def test_an_unknown_complexity_term_is_refused() -> None:
    with pytest.raises(RuleSetError, match="complexity_term"):
        extension_rules_with(complexity_term="eci")


def test_a_local_extension_rule_file_is_loaded_from_its_path(tmp_path: Path) -> None:
    data = shipped()
    data["top_n"]["value"] = 5
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_extension_rules(path).top_n.value == 5
    with pytest.raises(RuleSetError, match="无法读取"):
        load_extension_rules(tmp_path / "missing.yaml")


# --------------------------------------------------------------------------- score


def test_pci_term_is_min_max_normalised_to_the_floor() -> None:
    # C = 0.2 + 0.8 × (PCI − (−1)) / (3 − (−1)): a → 0.2, b → 0.4, c → 0.6, d → 1.0.
    terms = complexity_term(hand_result(), extension_rules_with(complexity_floor=0.2))
    p1 = dict(terms.filter(pl.col("location") == "P1").select("activity", "complexity").rows())
    assert p1 == pytest.approx({"a": 0.2, "b": 0.4, "c": 0.6, "d": 1.0})


def test_score_is_density_times_complexity_times_the_neighbour_overlap_penalty() -> None:
    # c: 0.5 × 0.6 × (1 − 0.5 × 1/2) = 0.225 (P2 of P1's two neighbours holds c);
    # d: 0.25 × 1.0 × (1 − 0.5 × 1/2) = 0.1875 (P3 holds d).
    rules = extension_rules_with(complexity_floor=0.2, overlap_penalty=0.5, min_density=0.05)
    found = suggest_extensions(hand_result(), CITY_NEIGHBOURS, rules, locations=["P1"])
    rows = found.suggestions.select("activity", "rank", "score", "overlap").rows()
    assert rows == [
        ("c", 1, pytest.approx(0.225), pytest.approx(0.5)),
        ("d", 2, pytest.approx(0.1875), pytest.approx(0.5)),
    ]
    assert found.suggestions.schema == pl.Schema(SUGGESTION_SCHEMA)


def test_without_an_overlap_penalty_the_more_complex_activity_wins() -> None:
    # c: 0.5 × 0.6 = 0.30; d: 0.25 × 1.0 = 0.25 → with a density exponent of 0, d (C = 1) first.
    rules = extension_rules_with(complexity_floor=0.2, overlap_penalty=0.0, density_exponent=0.0)
    found = suggest_extensions(hand_result(), CITY_NEIGHBOURS, rules, locations=["P1"])
    assert found.suggestions.get_column("activity").to_list() == ["d", "c"]
    assert found.suggestions.get_column("score").to_list() == pytest.approx([1.0, 0.6])


def test_each_suggestion_names_the_closest_present_activities_and_the_neighbours_holding_it():
    rules = extension_rules_with(explain_top=3)
    found = suggest_extensions(hand_result(), CITY_NEIGHBOURS, rules, locations=["P1"])
    by_activity = {row["activity"]: row for row in found.suggestions.iter_rows(named=True)}
    assert by_activity["c"]["related_activities"] == ["a", "b"]
    assert by_activity["c"]["related_proximity"] == pytest.approx([0.5, 0.2])
    assert by_activity["c"]["neighbour_holders"] == ["P2"]
    assert by_activity["d"]["related_activities"] == ["b", "a"]
    assert by_activity["d"]["neighbour_holders"] == ["P3"]
    assert by_activity["c"]["neighbours"] == 2
    # PCI 1 (c) and 3 (d) both exceed P1's ECI of 0.5.
    assert by_activity["c"]["raises_complexity"] and by_activity["d"]["raises_complexity"]


def test_density_below_the_minimum_and_ranks_beyond_top_n_are_dropped() -> None:
    rules = extension_rules_with(min_density=0.3)
    found = suggest_extensions(hand_result(), CITY_NEIGHBOURS, rules, locations=["P1"])
    assert found.suggestions.get_column("activity").to_list() == ["c"]
    capped = suggest_extensions(hand_result(), CITY_NEIGHBOURS, extension_rules_with(top_n=1))
    assert capped.suggestions.group_by("location").len().get_column("len").max() == 1


def test_explanations_are_capped_at_explain_top() -> None:
    found = suggest_extensions(
        hand_result(), CITY_NEIGHBOURS, extension_rules_with(explain_top=1), locations=["P1"]
    )
    assert found.suggestions.get_column("related_activities").to_list() == [["a"], ["b"]]


def test_cog_term_uses_the_cells_lacking_the_activity() -> None:
    # COG over M = 0 cells spans −1 … 2: P1 c (COG 1) → 0.2 + 0.8 × 2/3, d (COG 2) → 1.0.
    terms = complexity_term(hand_result(), extension_rules_with(complexity_term="cog"))
    p1 = dict(terms.filter(pl.col("location") == "P1").select("activity", "complexity").rows())
    assert p1["c"] == pytest.approx(0.2 + 0.8 * 2 / 3)
    assert p1["d"] == pytest.approx(1.0)


def test_a_park_without_neighbours_has_no_overlap() -> None:
    none = CITY_NEIGHBOURS.clear()
    found = suggest_extensions(hand_result(), none, extension_rules_with(), locations=["P1"])
    assert found.suggestions.get_column("overlap").to_list() == [0.0, 0.0]
    assert found.suggestions.get_column("neighbours").to_list() == [0, 0]


# --------------------------------------------------------------------------- neighbours


def parks_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "park_code": ["A", "B", "C", "D", "E"],
            "city_code": ["330100", "330100", "330100", "330200", None],
            "province_code": ["330000"] * 5,
        }
    )


def test_city_then_province_falls_back_for_a_park_alone_in_its_city() -> None:
    rules = load_extension_rules().neighbours
    pairs = neighbour_pairs(parks_frame(), rules)
    of = {
        code: sorted(part.get_column("neighbour").to_list())
        for (code,), part in pairs.group_by("location")
    }
    assert of["A"] == ["B", "C"]  # two city neighbours: enough
    assert of["D"] == ["A", "B", "C", "E"]  # alone in 330200: the province
    assert of["E"] == ["A", "B", "C", "D"]  # no city: the province
    assert set(pairs.filter(pl.col("location") == "D").get_column("basis")) == {"province"}


def test_city_scope_never_crosses_the_city() -> None:
    rules = load_extension_rules().neighbours.model_copy(update={"scope": "city"})
    pairs = neighbour_pairs(parks_frame(), rules)
    assert pairs.filter(pl.col("location") == "D").height == 0
    assert pairs.height == 6


# --------------------------------------------------------------------------- from firms


def firm_table() -> pl.DataFrame:
    """Three parks; presence A{171,175}, B{171,175,391}, C{391,392} (RCA ≥ 1 by hand).

    Activity totals 171: 80, 175: 80, 391: 90, 392: 50 of 300. For example B in 171:
    (30/100) / (80/300) = 1.125; A in 391: 0.
    """
    rows = [
        ("A", "1711", 50.0),
        ("A", "1751", 50.0),
        ("B", "1712", 30.0),
        ("B", "1752", 30.0),
        ("B", "3911", 40.0),
        ("C", "3911", 50.0),
        ("C", "3921", 50.0),
        (None, "3921", 999.0),
    ]
    return pl.DataFrame(
        rows,
        schema={"park_code": pl.String, "industry_code": pl.String, "output_value": pl.Float64},
        orient="row",
    )


def test_the_activity_table_sums_firms_by_park_and_group_leaving_out_firms_outside_parks():
    table = park_activity_table(firm_table(), level="group")
    assert table.filter(pl.col("location") == "B").sort("activity").rows() == [
        ("B", "171", 30.0),
        ("B", "175", 30.0),
        ("B", "391", 40.0),
    ]
    assert table.get_column("value").sum() == 300.0
    with pytest.raises(InvalidInput, match="层级"):
        park_activity_table(firm_table(), level="section")  # type: ignore[arg-type]


def test_relatedness_density_from_firms_matches_the_hand_computation() -> None:
    # φ(391,171) = φ(391,175) = 1/2, φ(391,392) = 1/max(2,1) = 1/2, φ(391,391) = 1, so A's
    # density around 391 is (1/2 + 1/2) / (1/2 + 1/2 + 1 + 1/2) = 0.4; around 392 it is 0.
    rules = extension_rules_with(complexity_exponent=0.0, overlap_penalty=0.5, min_density=0.05)
    result = park_complexity(firm_table(), rules)
    assert result is not None
    presence = result.cells.filter(pl.col("m") == 1).select("location", "activity").rows()
    assert sorted(presence) == [
        ("A", "171"), ("A", "175"), ("B", "171"), ("B", "175"), ("B", "391"),
        ("C", "391"), ("C", "392"),
    ]  # fmt: skip
    neighbours = neighbour_pairs(
        pl.DataFrame(
            {
                "park_code": ["A", "B", "C"],
                "city_code": ["330100"] * 3,
                "province_code": ["330000"] * 3,
            }
        ),
        rules.neighbours,
    )
    found = suggest_extensions(result, neighbours, rules, locations=["A"]).suggestions
    assert found.height == 1
    row = found.row(0, named=True)
    # score = 0.4 × C⁰ × (1 − 0.5 × 2/2): both neighbours hold 391.
    assert (row["activity"], row["density"], row["score"]) == (
        "391",
        pytest.approx(0.4),
        pytest.approx(0.2),
    )
    assert row["related_activities"] == ["171", "175"]
    assert row["related_proximity"] == pytest.approx([0.5, 0.5])
    assert row["neighbour_holders"] == ["B", "C"]


def test_too_few_parks_or_activities_give_no_relatedness() -> None:
    single = firm_table().filter(pl.col("park_code") == "A")
    assert park_complexity(single, load_extension_rules()) is None


def test_a_proximity_list_holding_one_triangle_explains_like_both_orders() -> None:
    full = hand_result()
    upper = full.proximity.filter(pl.col("activity_1") <= pl.col("activity_2"))
    half = ComplexityResult(full.locations, full.activities, full.cells, upper)
    rules = extension_rules_with()
    both = suggest_extensions(full, CITY_NEIGHBOURS, rules).suggestions
    one = suggest_extensions(half, CITY_NEIGHBOURS, rules).suggestions
    assert one.equals(both)


def test_a_suggestion_without_a_present_neighbour_activity_has_an_empty_explanation() -> None:
    result = hand_result()
    cells = result.cells.with_columns(
        pl.when(pl.col("location") == "P1").then(pl.lit(0, dtype=pl.Int8)).otherwise("m").alias("m")
    )
    bare = ComplexityResult(result.locations, result.activities, cells, result.proximity)
    found = suggest_extensions(
        bare, CITY_NEIGHBOURS, extension_rules_with(), locations=["P1"]
    ).suggestions
    assert found.height == 4
    assert found.get_column("related_activities").to_list() == [[], [], [], []]
