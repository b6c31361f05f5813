"""``structure_profile``: its definition on firm rows, and the same frames from a cube.

Random firms: parks in several provinces (one without a province), firms outside parks (some
without a province), null and zero measures (a park whose total is 0), repeated values (ties),
an integer measure, at every aggregation level.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from frames import class_map_for, rows_frame
from parkhq.analysis.cube import IndustryCube
from parkhq.analysis.structure import (
    StructureProfile,
    aggregate,
    concentration,
    in_parks,
    location_quotient,
    specialisation,
    structure_profile,
)
from parkhq.errors import InvalidInput

CLASSES = ["3011", "3021", "3611", "3612", "3660", "3911", "3971", "2710", "1713", "0111", "6531"]
PROVINCES = ["330000", "340000", "110000"]
LEVELS = ["division", "group", "class", "section", "category"]
FRAMES = ("lq_province", "lq_nation", "concentration", "specialisation")


def firms_frame(seed: int) -> pl.DataFrame:
    """Random firms (see the module docstring); ``output_value`` float, ``employees`` integer."""
    rng = np.random.default_rng(seed)
    parks: dict[str | None, str | None] = {
        f"P{i:02d}": None if i == 3 else str(rng.choice(PROVINCES))
        for i in range(int(rng.integers(1, 9)))
    }
    rows = []
    for park, province in [*parks.items(), (None, None)]:
        classes = rng.choice(CLASSES, size=int(rng.integers(1, 9)), replace=False)
        for _ in range(int(rng.integers(1, 30))):
            where = province
            if park is None:
                where = None if rng.random() < 0.2 else str(rng.choice(PROVINCES))
            draw = rng.random()
            output = (
                None
                if draw < 0.15 or park == "P02"  # P02: every output null, a total of 0
                else 0.0
                if draw < 0.25
                else float(rng.choice([100.0, 250.0]))  # ties
                if draw < 0.5
                else float(rng.lognormal(6, 2))
            )
            employees = None if rng.random() < 0.2 else int(rng.integers(0, 300))
            rows.append((park, where, str(rng.choice(classes)), output, employees))
    columns = ["park_code", "province_code", "industry_code", "output_value", "employees"]
    return rows_frame(rows, columns).with_columns(pl.lit("330100").alias("city_code"))


def assert_profiles_equal(actual: StructureProfile, expected: StructureProfile) -> None:
    for name in FRAMES:
        assert_frame_equal(
            getattr(actual, name),
            getattr(expected, name),
            check_exact=False,
            rel_tol=1e-12,
            abs_tol=1e-12,
        )


def test_the_profile_of_firm_rows_is_its_definition() -> None:
    firms = firms_frame(1)
    parks = aggregate(in_parks(firms), ("park_code", "province_code"))
    province = aggregate(firms, ("province_code",))
    nation = aggregate(firms, ())
    profile = structure_profile(firms)
    assert_frame_equal(profile.lq_province, location_quotient(parks, province))
    assert_frame_equal(
        profile.lq_nation,
        location_quotient(parks, nation, unit_by=("park_code",), reference_by=()),
    )
    assert_frame_equal(profile.concentration, concentration(parks))
    assert_frame_equal(profile.specialisation, specialisation(parks, province))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", range(20))
def test_a_cube_gives_the_profile_of_its_firm_rows(seed: int, level: str) -> None:
    firms = firms_frame(seed)
    class_map = class_map_for(level)
    expected = structure_profile(firms, level=level, class_map=class_map)
    cube = IndustryCube.from_firms(firms)
    actual = structure_profile(cube, level=level, class_map=class_map)
    assert_profiles_equal(actual, expected)
    # Asked again: the cells are kept with the cube.
    assert_profiles_equal(
        structure_profile(cube, level=level, class_map=class_map),
        expected,
    )


@pytest.mark.parametrize("seed", range(8))
def test_an_integer_measure_and_parks_only_give_the_same_profile(seed: int) -> None:
    firms = firms_frame(seed)
    assert_profiles_equal(
        structure_profile(IndustryCube.from_firms(firms), measure="employees"),
        structure_profile(firms, measure="employees"),
    )
    inside = in_parks(firms)
    assert isinstance(inside, pl.DataFrame)
    assert_profiles_equal(
        structure_profile(IndustryCube.from_firms(inside), level="class"),
        structure_profile(inside, level="class"),
    )


def test_the_random_cases_reach_every_special_value() -> None:
    """Guard: the cases above hold the nulls and edge values the profile must reproduce."""
    profiles = [structure_profile(firms_frame(seed)) for seed in range(20)]
    lq = pl.concat([p.lq_province for p in profiles])
    concentrations = pl.concat([p.concentration for p in profiles])
    krugman = pl.concat([p.specialisation for p in profiles])
    assert lq.filter(pl.col("share").is_null()).height > 0  # a park whose total is 0
    assert lq.filter(pl.col("province_code").is_null()).height > 0  # a park without province
    assert lq.filter(pl.col("reference_share") == 0).height > 0  # lq null: reference share 0
    assert lq.filter(pl.col("share") == 0).height > 0
    assert lq.filter(pl.col("lq").is_not_null()).height > 100
    assert set(concentrations.get_column("n_industries")) >= {0, 1, 2, 3}
    assert concentrations.filter(pl.col("n_industries") > 3).height > 0
    # Industries of the province the park lacks add to Krugman's index: covered < 1.
    assert krugman.filter(pl.col("krugman").is_null()).height > 0
    assert krugman.filter(pl.col("krugman") > 1).height > 0


def test_a_negative_total_is_refused_with_the_same_message() -> None:
    firms = firms_frame(4).with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(-1e9))
        .otherwise(pl.col("output_value"))
        .alias("output_value")
    )
    with pytest.raises(InvalidInput, match="负数") as from_rows:
        structure_profile(firms)
    with pytest.raises(InvalidInput, match="负数") as from_cube:
        structure_profile(IndustryCube.from_firms(firms))
    assert str(from_cube.value) == str(from_rows.value)


def test_a_negative_outside_parks_is_refused_in_the_reference() -> None:
    firms = firms_frame(5)
    outside = firms.filter(pl.col("park_code").is_null()).head(1)
    firms = pl.concat([firms, outside.with_columns(pl.lit(-1e12).alias("output_value"))])
    with pytest.raises(InvalidInput, match="参照区域汇总数据") as from_rows:
        structure_profile(firms)
    with pytest.raises(InvalidInput, match="参照区域汇总数据") as from_cube:
        structure_profile(IndustryCube.from_firms(firms))
    assert str(from_cube.value) == str(from_rows.value)


def test_the_section_level_needs_a_class_map_on_a_cube_too() -> None:
    firms = firms_frame(6)
    with pytest.raises(InvalidInput, match="class_map") as from_rows:
        structure_profile(firms, level="section")
    with pytest.raises(InvalidInput, match="class_map") as from_cube:
        structure_profile(IndustryCube.from_firms(firms), level="section")
    assert str(from_cube.value) == str(from_rows.value)


def test_a_park_in_two_provinces_is_refused() -> None:
    firms = rows_frame(
        [("P1", "330000", "3011", 1.0), ("P1", "340000", "3011", 2.0)],
        ["park_code", "province_code", "industry_code", "output_value"],
    ).with_columns(pl.lit("330100").alias("city_code"))
    with pytest.raises(InvalidInput, match="多个参照区域"):
        structure_profile(firms)
    with pytest.raises(InvalidInput, match="同一园区"):
        IndustryCube.from_firms(firms)


def test_only_firms_outside_parks_give_empty_frames_of_the_same_schema() -> None:
    firms = firms_frame(7).filter(pl.col("park_code").is_null())
    expected = structure_profile(firms)
    assert expected.lq_province.height == 0
    assert_profiles_equal(structure_profile(IndustryCube.from_firms(firms)), expected)
