"""park_homogeneity of an IndustryCube reads its matrices: the same frames as from firm rows.

The cube path builds the pairs' share matrix, the top industries' 区位熵 and the clusters from
the cube's parks × industries matrix, without the aggregate frames. It is compared here with
the frame path on the same cube (bit for bit) and with the firm frame itself (to the last bit
when the measures are whole numbers, whose sums are exact either way), on random parks in
several provinces and cities with null regions, firms outside parks, null and zero measures,
parks whose total is 0, identical twins and ties in the top shares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from frames import rows_frame
from parkhq.analysis import similarity
from parkhq.analysis.cube import IndustryCube
from parkhq.analysis.similarity import HomogeneityResult, park_homogeneity
from parkhq.errors import InvalidInput
from parkhq.reference.categories import category_catalogue
from parkhq.reference.rules import SimilarityRules, load_similarity_rules

# Classes of a few divisions and categories; 1311 and 0111 only ever outside parks; 7010 in
# no category (its park has no industry at the category level).
CLASSES = ["3011", "3021", "3611", "3612", "3911", "3912", "3971", "2710", "2720", "1713"]
OUTSIDE_ONLY = ["1311", "0111"]
REGIONS = [
    ("110000", "110100"),
    ("330000", "330100"),
    ("330000", "330200"),
    ("440000", "440300"),
    (None, None),
    ("440000", None),
]


def firms_frame(seed: int, *, whole: bool, parks: int = 40) -> pl.DataFrame:
    """Parks as noisy copies of a few prototype structures (many pairs near the thresholds).

    ``whole`` gives whole-number measures (exact sums, ties between shares); otherwise
    continuous ones. Null and zero measures, a twin of a park, a park whose firms all report
    0 or nothing, parks with a single industry and firms outside parks are always there.
    """
    rng = np.random.default_rng(seed)
    prototypes = rng.random((3, len(CLASSES))) ** 2
    rows: list[tuple[Any, ...]] = []

    def value(weight: float) -> float | None:
        draw = rng.random()
        if draw < 0.1:
            return None
        if draw < 0.15:
            return 0.0
        if whole:
            return float(round(weight * 20)) * 10
        return float(weight * rng.uniform(50, 150))

    for park in range(parks):
        province, city = REGIONS[int(rng.integers(len(REGIONS)))]
        weights = prototypes[rng.integers(3)] * rng.uniform(0.8, 1.2, len(CLASSES))
        present = np.flatnonzero(rng.random(len(CLASSES)) < 0.6)
        if park % 7 == 3:
            present = present[:1]  # one industry only (fewer than top_n)
        for column in present:
            for _ in range(int(rng.integers(1, 3))):
                rows.append(
                    (f"P{park:03d}", province, city, CLASSES[column], value(weights[column]))
                )
    twin = [(f"P{parks:03d}", *row[1:]) for row in rows if row[0] == "P000"]
    empty = [(f"P{parks + 1:03d}", "330000", "330100", code, v) for code, v in [("3011", 0.0)]]
    empty += [(f"P{parks + 1:03d}", "330000", "330100", "3911", None)]
    empty += [(f"P{parks + 2:03d}", "110000", "110100", "7010", value(1.0)) for _ in range(3)]
    outside = [
        (None, province, city, str(rng.choice(CLASSES + OUTSIDE_ONLY)), value(1.0))
        for province, city in REGIONS
        for _ in range(6)
    ]
    columns = ["park_code", "province_code", "city_code", "industry_code", "output_value"]
    frame = rows_frame([*rows, *twin, *empty, *outside], columns)
    return frame.sample(fraction=1.0, shuffle=True, seed=seed)


def rules_for(
    scope: str = "province", *, top_n: int = 3, level: str = "class", measure: str | None = None
) -> SimilarityRules:
    """The shipped rules with lower thresholds (more pairs and clusters in small data)."""
    rules = load_similarity_rules()
    low_level = rules.low_level.model_copy(
        update={
            "top_n": rules.low_level.top_n.model_copy(update={"value": top_n}),
            "max_lq": rules.low_level.max_lq.model_copy(update={"value": 1.1}),
        }
    )
    update: dict[str, Any] = {
        "scope": scope,
        "level": level,
        "considerable_similarity": rules.considerable_similarity.model_copy(update={"value": 0.6}),
        "cluster_similarity": rules.cluster_similarity.model_copy(update={"value": 0.8}),
        "low_level": low_level,
    }
    if measure is not None:
        update["measure"] = measure
    return rules.model_copy(update=update)


def per_mu_for(firms: pl.DataFrame) -> pl.DataFrame:
    parks = firms.filter(pl.col("park_code").is_not_null())
    return (
        parks.group_by("park_code", "province_code")
        .agg(pl.col("output_value").sum().alias("tax_per_mu"))
        .with_columns(pl.col("tax_per_mu") / 100)
    )


def assert_same(result: HomogeneityResult, expected: HomogeneityResult, *, exact: bool) -> None:
    for name in ("pairs", "clusters", "flags"):
        left, right = getattr(result, name), getattr(expected, name)
        if exact:
            assert_frame_equal(left, right, check_exact=True)
        else:
            assert_frame_equal(left, right, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)


@pytest.fixture
def frame_path(monkeypatch: pytest.MonkeyPatch) -> Callable[..., HomogeneityResult]:
    """park_homogeneity through the aggregate frames even for a cube."""

    def run(*args: Any, **kwargs: Any) -> HomogeneityResult:
        with monkeypatch.context() as patch:
            patch.setattr(similarity, "_dense_measure", lambda dtype: False)
            return park_homogeneity(*args, **kwargs)

    return run


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("scope", ["province", "city"])
@pytest.mark.parametrize("top_n", [1, 3, 5])
def test_the_cube_gives_the_frames_of_the_firm_rows(
    seed: int, scope: str, top_n: int, frame_path: Callable[..., HomogeneityResult]
) -> None:
    rules = rules_for(scope, top_n=top_n)
    for whole in (True, False):
        firms = firms_frame(seed, whole=whole)
        cube = IndustryCube.from_firms(firms)
        per_mu = per_mu_for(firms)
        result = park_homogeneity(cube, rules, per_mu=per_mu)
        assert result.pairs.height > 0
        assert result.clusters.height > 0
        assert result.flags.get_column("top_max_lq").null_count() > 0  # zero totals, regions
        assert_same(result, frame_path(cube, rules, per_mu=per_mu), exact=True)
        # Whole numbers sum exactly from firm rows too: then nothing differs at all.
        assert_same(result, park_homogeneity(firms, rules, per_mu=per_mu), exact=whole)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("level", ["division", "category"])
def test_coarser_levels_and_categories(
    seed: int, level: str, frame_path: Callable[..., HomogeneityResult]
) -> None:
    # Categories of the parks' cube are those of the classes in parks: fewer than the
    # province reference has (classes only outside parks).
    class_map = category_catalogue().frame() if level == "category" else None
    rules = rules_for(level=level)
    firms = firms_frame(seed, whole=True)
    cube = IndustryCube.from_firms(firms)
    result = park_homogeneity(cube, rules, class_map=class_map)
    assert result.pairs.height > 0
    assert_same(result, frame_path(cube, rules, class_map=class_map), exact=True)
    assert_same(result, park_homogeneity(firms, rules, class_map=class_map), exact=True)


def test_ties_in_the_top_shares_go_to_the_smaller_industry_code() -> None:
    # P1's shares: 3011 = 3911 = 0.4 > 2710 = 0.2; its top 1 is 3011 (province share 1000 of
    # 1100: LQ 0.44), never 3911 (40 of 1100: LQ 11).
    rows = [
        ("P1", "330000", "330100", "3011", 40.0),
        ("P1", "330000", "330100", "3911", 40.0),
        ("P1", "330000", "330100", "2710", 20.0),
        ("P2", "330000", "330100", "3011", 460.0),
        ("P2", "330000", "330100", "2710", 40.0),
        (None, "330000", "330100", "3011", 500.0),
    ]
    columns = ["park_code", "province_code", "city_code", "industry_code", "output_value"]
    firms = rows_frame(rows, columns)
    rules = rules_for(top_n=1)
    for data in (firms, IndustryCube.from_firms(firms)):
        flags = park_homogeneity(data, rules).flags
        assert flags.get_column("top_max_lq").to_list() == pytest.approx(
            [0.4 / (1000 / 1100), 0.92 / (1000 / 1100)], rel=1e-12
        )


def test_a_nan_measure_is_handled_the_same_way(
    frame_path: Callable[..., HomogeneityResult],
) -> None:
    # A NaN firm value gives its cell a null share and its province's total NaN: no 区位熵 in
    # 330000; P3 in 110000 is unaffected. P1 has fewer positive shares than top_n.
    rows = [
        ("P1", "330000", "330100", "3011", 100.0),
        ("P1", "330000", "330100", "2710", 0.0),
        ("P1", "330000", "330100", "3911", float("nan")),
        ("P2", "330000", "330100", "2710", 10.0),
        ("P3", "110000", "110100", "2710", 10.0),
        ("P3", "110000", "110100", "3011", 30.0),
        (None, "110000", "110100", "3011", 60.0),
    ]
    columns = ["park_code", "province_code", "city_code", "industry_code", "output_value"]
    firms = rows_frame(rows, columns)
    cube = IndustryCube.from_firms(firms)
    rules = rules_for(top_n=2)
    result = park_homogeneity(cube, rules)
    assert result.flags.get_column("top_max_lq").to_list() == [None, None, 0.25 / (10 / 100)]
    assert_same(result, frame_path(cube, rules), exact=True)
    assert_same(result, park_homogeneity(firms, rules), exact=True)


def test_integer_and_float32_measures(frame_path: Callable[..., HomogeneityResult]) -> None:
    counts = firms_frame(3, whole=True).select(
        pl.exclude("output_value"), pl.col("output_value").cast(pl.Int64).alias("employees")
    )
    cube = IndustryCube.from_firms(counts)
    rules = rules_for(measure="employees")
    result = park_homogeneity(cube, rules)
    assert result.pairs.height > 0
    assert_same(result, frame_path(cube, rules), exact=True)
    assert_same(result, park_homogeneity(counts, rules), exact=True)
    # Float32 sums are rounded to float32 in the aggregate frame: the cube takes its path.
    firms = firms_frame(3, whole=False).with_columns(pl.col("output_value").cast(pl.Float32))
    cube = IndustryCube.from_firms(firms.rename({"output_value": "revenue"}))
    rules = rules_for(measure="revenue")
    result = park_homogeneity(cube, rules)
    assert result.pairs.height > 0
    assert_same(result, frame_path(cube, rules), exact=True)


def test_no_park_at_all(frame_path: Callable[..., HomogeneityResult]) -> None:
    firms = firms_frame(1, whole=True).filter(pl.col("park_code").is_null())
    cube = IndustryCube.from_firms(firms)
    for data in (firms, cube):
        result = park_homogeneity(data, rules_for())
        assert (result.pairs.height, result.clusters.height, result.flags.height) == (0, 0, 0)
        assert_same(result, frame_path(cube, rules_for()), exact=True)


def test_negative_measures_are_refused_the_same_way() -> None:
    firms = firms_frame(2, whole=True).with_columns(
        pl.when(pl.col("industry_code") == "3011")
        .then(-pl.col("output_value"))
        .otherwise(pl.col("output_value"))
        .alias("output_value")
    )
    messages = []
    for data in (firms, IndustryCube.from_firms(firms)):
        with pytest.raises(InvalidInput, match="负数") as raised:
            park_homogeneity(data, rules_for())
        messages.append((str(raised.value), raised.value.detail))
    assert messages[0] == messages[1]


def test_a_park_in_two_provinces_is_refused() -> None:
    firms = firms_frame(4, whole=True)
    moved = firms.filter(pl.col("park_code") == "P000").head(1)
    firms = pl.concat([firms, moved.with_columns(pl.lit("990000").alias("province_code"))])
    with pytest.raises(InvalidInput, match="多个比较范围"):
        park_homogeneity(firms, rules_for())
    with pytest.raises(InvalidInput, match="同一园区应属于同一区划"):
        IndustryCube.from_firms(firms)


def test_a_missing_region_column_is_refused_the_same_way(
    frame_path: Callable[..., HomogeneityResult],
) -> None:
    firms = firms_frame(5, whole=True)
    cube = IndustryCube.from_firms(firms, attributes=("province_code",))
    with pytest.raises(InvalidInput, match="city_code"):
        park_homogeneity(firms.drop("city_code"), rules_for())
    messages = []
    for run in (park_homogeneity, frame_path):
        with pytest.raises(InvalidInput, match="city_code") as raised:
            run(cube, rules_for())
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
