"""The industry cube (``parkhq.analysis.cube``): summed once, the aggregates of the firm rows."""

from __future__ import annotations

import itertools
import re

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from frames import class_map_for, rows_frame
from parkhq.analysis import cube as cube_module
from parkhq.analysis.cube import IndustryCube, park_matrix
from parkhq.analysis.extension import neighbour_pairs, park_complexity, suggest_extensions
from parkhq.analysis.structure import aggregate, in_parks
from parkhq.errors import InvalidInput
from parkhq.reference.rules import load_extension_rules

CLASSES = ["3011", "3021", "3611", "3612", "3911", "3971", "2710", "1713", "6531", "0111"]
BY = [
    (),
    ("province_code",),
    ("city_code",),
    ("park_code",),
    ("park_code", "province_code"),
    ("park_code", "province_code", "city_code"),
    ("province_code", "park_code"),
]


def firms_frame(seed: int) -> pl.DataFrame:
    """Random firms: parks in two provinces, firms outside parks, null and integer measures."""
    rng = np.random.default_rng(seed)
    rows = []
    parks = {f"P{i:02d}": (f"{33 + i % 2}0000", f"{33 + i % 2}0{1 + i % 3}00") for i in range(9)}
    for _ in range(int(rng.integers(1, 400))):
        if rng.random() < 0.15:
            park = None
            province = str(rng.choice(["330000", "340000"]))
            city = None if rng.random() < 0.3 else province[:2] + "0100"
        else:
            park = str(rng.choice(list(parks)))
            province, city = parks[park]
        output = float(rng.lognormal(5, 2)) if rng.random() > 0.2 else None
        employees = int(rng.integers(1, 500)) if rng.random() > 0.2 else None
        rows.append((park, province, city, str(rng.choice(CLASSES)), output, employees))
    columns = ["park_code", "province_code", "city_code", "industry_code", "output_value"]
    return rows_frame(rows, [*columns, "employees"])


@pytest.mark.parametrize("level", ["section", "division", "group", "class", "category"])
@pytest.mark.parametrize("seed", range(12))
def test_cube_aggregates_equal_the_firm_row_aggregates(seed: int, level: str) -> None:
    firms = firms_frame(seed)
    cube = IndustryCube.from_firms(firms)
    class_map = class_map_for(level)
    for by in BY:
        expected = aggregate(firms, by, level, ["output_value", "employees"], class_map=class_map)
        actual = aggregate(cube, by, level, ["output_value", "employees"], class_map=class_map)
        assert_frame_equal(actual, expected, check_exact=False, rel_tol=1e-12)
    inside = aggregate(in_parks(cube), ("park_code",), level, "output_value", class_map=class_map)
    assert_frame_equal(
        inside,
        aggregate(in_parks(firms), ("park_code",), level, "output_value", class_map=class_map),
        check_exact=False,
        rel_tol=1e-12,
    )


def test_a_cube_counts_every_firm_and_keeps_integer_measures() -> None:
    firms = firms_frame(3)
    cube = IndustryCube.from_firms(firms)
    assert cube.height == firms.height
    assert cube.dtypes["employees"] == pl.Int64
    totals = cube.unit_totals(("province_code",), ["output_value", "employees"])
    expected = (
        firms.group_by("province_code")
        .agg(pl.col("output_value").sum(), pl.col("employees").sum(), pl.len().alias("firm_count"))
        .with_columns(pl.col("firm_count").cast(pl.UInt32))
        .sort("province_code")
    )
    assert_frame_equal(totals, expected, check_exact=False, rel_tol=1e-12)


def test_repeated_aggregates_are_computed_once() -> None:
    cube = IndustryCube.from_firms(firms_frame(4))
    first = aggregate(cube, ("park_code",), "division")
    assert aggregate(cube, ("park_code",), "division") is first
    assert aggregate(cube, ("park_code",), "group") is not first


def test_filter_keeps_the_matching_units() -> None:
    firms = firms_frame(5)
    cube = IndustryCube.from_firms(firms).filter(pl.col("province_code") == "330000")
    assert_frame_equal(
        aggregate(cube, ("park_code",), "class"),
        aggregate(firms.filter(pl.col("province_code") == "330000"), ("park_code",), "class"),
        check_exact=False,
        rel_tol=1e-12,
    )


def test_a_malformed_class_code_is_reported_with_examples() -> None:
    firms = firms_frame(6).with_columns(
        pl.when(pl.int_range(pl.len()) == 2)
        .then(pl.lit("30A1"))
        .otherwise(pl.col("industry_code"))
        .alias("industry_code")
    )
    with pytest.raises(InvalidInput, match="30A1"):
        IndustryCube.from_firms(firms)


def test_a_park_spread_over_two_cities_is_refused() -> None:
    firms = firms_frame(7).filter(pl.col("park_code").is_not_null())
    park = firms.get_column("park_code")[0]
    moved = firms.with_columns(
        pl.when((pl.col("park_code") == park) & (pl.int_range(pl.len()) > 0))
        .then(pl.lit("330900"))
        .otherwise(pl.col("city_code"))
        .alias("city_code")
    )
    if moved.filter(pl.col("park_code") == park).get_column("city_code").n_unique() < 2:
        pytest.skip("the park has one firm")
    with pytest.raises(InvalidInput, match=f"园区 {park}"):
        IndustryCube.from_firms(moved)


def test_a_missing_measure_is_a_located_error() -> None:
    cube = IndustryCube.from_firms(firms_frame(8), ["output_value"])
    with pytest.raises(InvalidInput, match="revenue"):
        aggregate(cube, ("park_code",), "division", "revenue")
    with pytest.raises(InvalidInput, match="缺少列"):
        IndustryCube.from_firms(firms_frame(8).drop("city_code"))


@pytest.mark.parametrize("level", ["division", "group", "class", "category"])
def test_the_park_matrix_holds_the_park_aggregates(level: str) -> None:
    firms = firms_frame(9)
    class_map = class_map_for(level)
    expected = aggregate(in_parks(firms), ("park_code",), level, class_map=class_map)
    for source in (firms, IndustryCube.from_firms(firms)):
        matrix = park_matrix(source, "output_value", level, class_map=class_map)
        rows, cols = np.nonzero(matrix.present)
        actual = pl.DataFrame(
            {
                "park_code": matrix.parks.gather(rows),
                "industry": matrix.industries.gather(cols),
                "output_value": matrix.values[rows, cols],
            }
        )
        assert_frame_equal(
            actual,
            expected.select("park_code", "industry", "output_value"),
            check_exact=False,
            rel_tol=1e-12,
        )


@pytest.mark.parametrize("seed", range(8))
def test_complexity_and_suggestions_from_a_cube_equal_those_from_firm_rows(seed: int) -> None:
    firms = firms_frame(seed).with_columns(pl.col("output_value").fill_null(0.0))
    rules = load_extension_rules()
    expected = park_complexity(firms, rules)
    actual = park_complexity(IndustryCube.from_firms(firms), rules)
    if expected is None:
        assert actual is None
        return
    assert actual is not None
    for name in ("locations", "activities", "cells", "proximity"):
        assert_frame_equal(
            getattr(actual, name), getattr(expected, name), check_exact=False, rel_tol=1e-9
        )
    parks = firms.select("park_code", "city_code", "province_code").unique()
    neighbours = neighbour_pairs(parks.drop_nulls("park_code"), rules.neighbours)
    assert_frame_equal(
        suggest_extensions(actual, neighbours, rules).suggestions,
        suggest_extensions(expected, neighbours, rules).suggestions,
        check_exact=False,
        rel_tol=1e-9,
    )


def test_a_negative_total_on_a_cube_is_reported_like_on_firm_rows() -> None:
    firms = firms_frame(2).with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(-1e9))
        .otherwise(pl.col("output_value"))
        .alias("output_value")
    )
    rules = load_extension_rules()
    with pytest.raises(InvalidInput, match="负数") as from_rows:
        park_complexity(firms, rules)
    with pytest.raises(InvalidInput, match="负数") as from_cube:
        park_complexity(IndustryCube.from_firms(firms), rules)
    assert str(from_cube.value) == str(from_rows.value)


def dense_reference(firms: pl.DataFrame, measures: list[str]) -> dict[str, np.ndarray]:
    """The cube's arrays summed the plain way: units (parks sorted with their first firm's
    region, then outside regions sorted, nulls first) × sorted classes."""
    regions = ["province_code", "city_code"]
    parks = (
        firms.filter(pl.col("park_code").is_not_null())
        .group_by("park_code", maintain_order=True)
        .agg(pl.col(regions).first())
        .sort("park_code")
    )
    outside = (
        firms.filter(pl.col("park_code").is_null())
        .select(regions)
        .unique()
        .sort(regions, nulls_last=False)
    )
    units = pl.concat(
        [parks, outside.select(pl.lit(None, dtype=pl.String).alias("park_code"), *regions)]
    ).with_row_index("unit")
    classes = firms.get_column("industry_code").unique().sort().to_frame().with_row_index("c")
    keyed = pl.concat(
        [
            firms.filter(pl.col("park_code").is_not_null()).join(
                units.select("park_code", "unit"), on="park_code"
            ),
            firms.filter(pl.col("park_code").is_null()).join(
                units.filter(pl.col("park_code").is_null()).select(*regions, "unit"),
                on=regions,
                nulls_equal=True,
            ),
        ],
        how="diagonal",
    ).join(classes, on="industry_code")
    shape = (units.height, classes.height)
    cells = (keyed.get_column("unit") * classes.height + keyed.get_column("c")).to_numpy()
    arrays = {
        "units": units.drop("unit"),
        "counts": np.bincount(cells, minlength=shape[0] * shape[1]).reshape(shape),
    }
    for m in measures:
        weights = keyed.get_column(m).cast(pl.Float64).fill_null(0.0).to_numpy()
        arrays[m] = np.bincount(cells, weights=weights, minlength=shape[0] * shape[1]).reshape(
            shape
        )
    return arrays


@pytest.mark.parametrize("chunk", [7, 64, 1 << 16])
@pytest.mark.parametrize("seed", range(10))
def test_a_cube_holds_the_plain_sums_whatever_the_slices_and_chunks(
    seed: int, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cube_module, "_CHUNK", chunk)
    firms = firms_frame(seed)
    rng = np.random.default_rng(seed)
    cut = sorted(rng.choice(np.arange(1, max(firms.height, 2)), size=3).tolist())
    pieces = [firms.slice(a, b - a) for a, b in zip([0, *cut], [*cut, firms.height], strict=True)]
    chunked = pl.concat(pieces, rechunk=False)  # several chunks, of uneven lengths
    cube = IndustryCube.from_firms(chunked)
    expected = dense_reference(firms, ["output_value", "employees"])
    assert_frame_equal(cube.units, expected["units"])
    assert cube.classes.to_list() == sorted(set(firms.get_column("industry_code").to_list()))
    assert cube.firm_counts.dtype == np.int64
    np.testing.assert_array_equal(cube.firm_counts, expected["counts"])
    for m in ("output_value", "employees"):
        assert cube.totals[m].dtype == np.float64
        np.testing.assert_allclose(cube.totals[m], expected[m], rtol=1e-12)
    bare = IndustryCube.from_firms(chunked, ["output_value"], attributes=())
    parks = firms.get_column("park_code").drop_nulls().unique().sort()
    outside = firms.get_column("park_code").null_count() > 0
    assert bare.units.get_column("park_code").to_list() == [*parks, *([None] if outside else [])]
    np.testing.assert_array_equal(
        bare.firm_counts[: parks.len()], expected["counts"][: parks.len()]
    )
    np.testing.assert_array_equal(
        bare.firm_counts[parks.len() :].sum(axis=0), expected["counts"][parks.len() :].sum(axis=0)
    )


@pytest.mark.parametrize("chunk", [5, 1 << 16])
def test_the_refused_park_is_that_of_the_first_disagreeing_firm(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cube_module, "_CHUNK", chunk)
    rows = [
        ("P2", "330000", "330100", "3011", 1.0, 1),
        ("P1", "330000", "330200", "3011", 1.0, 1),
        (None, "340000", None, "3011", 1.0, 1),
        ("P2", "330000", "330100", "3021", 1.0, 1),
        ("P1", "330000", "330200", "3011", 1.0, 1),
        (None, "330000", "330100", "3011", 1.0, 1),
        ("P1", "330000", "330200", "3021", 1.0, 1),
        ("P2", "330000", None, "3011", 1.0, 1),  # P2's first disagreeing firm: row 7
        ("P1", "340000", "330200", "3011", 1.0, 1),  # P1's: row 8
        ("P2", "330000", "330100", "3011", 1.0, 1),
    ]
    columns = ["park_code", "province_code", "city_code", "industry_code", "output_value"]
    firms = rows_frame(rows, [*columns, "employees"])
    with pytest.raises(InvalidInput, match="园区 P2 "):
        IndustryCube.from_firms(firms)
    with pytest.raises(InvalidInput, match="园区 P1 "):
        IndustryCube.from_firms(firms.filter(pl.int_range(pl.len()) != 7))
    agreeing = firms.filter(~pl.int_range(pl.len()).is_in([7, 8]))
    assert IndustryCube.from_firms(agreeing).units.height == 4  # 2 parks, 2 regions


def register_of(firms: pl.DataFrame, *extra: tuple[str, str, str]) -> pl.DataFrame:
    """The park register of ``firms`` (each park's region), plus ``extra`` parks, shuffled."""
    named = firms.filter(pl.col("park_code").is_not_null())
    parks = named.group_by("park_code").agg(pl.col("province_code", "city_code").first())
    more = pl.DataFrame(list(extra), schema=parks.schema, orient="row")
    return pl.concat([parks, more]).sample(fraction=1.0, shuffle=True, seed=3)


@pytest.mark.parametrize("chunk", [7, 1 << 16])
@pytest.mark.parametrize("seed", range(10))
def test_a_cube_with_the_park_register_equals_the_cube_of_agreeing_firms(
    seed: int, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cube_module, "_CHUNK", chunk)
    firms = firms_frame(seed)
    register = register_of(firms, ("Q99", "350000", "350100"))  # a park without firms
    plain = IndustryCube.from_firms(firms)
    listed = IndustryCube.from_firms(firms, parks=register)
    assert_frame_equal(listed.units, plain.units)
    assert_frame_equal(listed.classes.to_frame(), plain.classes.to_frame())
    np.testing.assert_array_equal(listed.firm_counts, plain.firm_counts)
    for m in plain.totals:
        np.testing.assert_array_equal(listed.totals[m], plain.totals[m])
    bare = IndustryCube.from_firms(firms, attributes=(), parks=register.select("park_code"))
    np.testing.assert_array_equal(
        bare.firm_counts, IndustryCube.from_firms(firms, attributes=()).firm_counts
    )


def test_the_register_gives_a_park_its_region_whatever_its_firms_say() -> None:
    firms = rows_frame(
        [
            ("P1", "330000", "330100", "3011", 1.0),
            ("P1", "340000", "340100", "3011", 2.0),  # registered elsewhere
            ("P2", "330000", "330200", "3021", 4.0),
            (None, "340000", "340100", "3011", 8.0),
        ],
        ["park_code", "province_code", "city_code", "industry_code", "output_value"],
    )
    with pytest.raises(InvalidInput, match="园区 P1 "):
        IndustryCube.from_firms(firms)
    register = pl.DataFrame(
        {
            "park_code": ["P2", "P1"],
            "province_code": ["330000"] * 2,
            "city_code": ["330200", "330100"],
        }
    )
    cube = IndustryCube.from_firms(firms, ["output_value"], parks=register)
    assert cube.units.rows() == [
        ("P1", "330000", "330100"),
        ("P2", "330000", "330200"),
        (None, "340000", "340100"),
    ]
    np.testing.assert_array_equal(cube.totals["output_value"], [[3.0, 0.0], [0.0, 4.0], [8.0, 0.0]])


def test_a_firm_of_a_park_missing_from_the_register_is_refused() -> None:
    firms = firms_frame(11)
    register = register_of(firms.filter(pl.col("park_code") != "P03"))
    with pytest.raises(InvalidInput, match=r"不在园区名录中（例如 \['P03'\]）") as refused:
        IndustryCube.from_firms(firms, parks=register)
    assert refused.value.detail["unknown_rows"] == firms.filter(pl.col("park_code") == "P03").height


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (pl.DataFrame({"park_code": ["P1", None]}), "缺少园区代码"),
        (pl.DataFrame({"park_code": ["P1", "P2", "P1"]}), "重复：P1"),
        (pl.DataFrame({"code": ["P1"]}), "缺少列"),
    ],
)
def test_a_bad_register_is_a_located_error(register: pl.DataFrame, message: str) -> None:
    firms = rows_frame([("P1", "3011", 1.0)], ["park_code", "industry_code", "output_value"])
    with pytest.raises(InvalidInput, match=message):
        IndustryCube.from_firms(firms, attributes=(), parks=register)


def test_the_class_codes_read_are_exactly_the_four_ascii_digit_strings() -> None:
    """Every 4-character string over digits, signs, blanks and look-alikes, and a few others:
    the cube's cast-and-check reading accepts exactly those of four ASCII digits."""
    alphabet = ["0", "1", "9", "+", "-", " ", "_", ".", "e", "x", "\t", "٣", "９"]
    codes = ["".join(chars) for chars in itertools.product(alphabet, repeat=4)]
    codes += ["123", "12345", "", "0x1F", "1e3 ", "+0000", "0000"]
    frame = pl.DataFrame({"industry_code": codes})
    numbers = frame.select(cube_module._class_numbers()).to_series()
    expected = [int(code) if re.fullmatch(r"[0-9]{4}", code) else None for code in codes]
    assert numbers.to_list() == expected


@pytest.mark.parametrize("code", ["３０１１", "٣٠١١", "+301"])
def test_class_codes_of_other_digits_or_signs_are_refused(code: str) -> None:
    firms = rows_frame([("P1", code, 1.0)], ["park_code", "industry_code", "output_value"])
    with pytest.raises(InvalidInput, match="4 位行业小类代码"):
        IndustryCube.from_firms(firms, attributes=())
    with pytest.raises(InvalidInput, match="4 位行业小类代码"):
        aggregate(firms, ("park_code",), "division")


def test_grouped_counts_stay_integers_and_levels_reuse_the_class_grouping() -> None:
    cube = IndustryCube.from_firms(firms_frame(12))
    division = cube.grouped(("province_code",), "division", "output_value")
    classes = cube.grouped(("province_code",), "class", "output_value")
    assert division.firm_counts.dtype == np.int64
    assert classes.firm_counts.dtype == np.int64
    assert cube.grouped(("province_code",), "class", "output_value") is classes
    starts = np.flatnonzero(classes.industries.str.slice(0, 2).is_first_distinct().to_numpy())
    np.testing.assert_array_equal(
        division.values["output_value"],
        np.add.reduceat(classes.values["output_value"], starts, axis=1),
    )
    np.testing.assert_array_equal(division.firm_counts.sum(), cube.height)
