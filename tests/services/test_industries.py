"""特色化 services: 园区画像, the province overview and the catalogue.

The demo province (seed 42) is loaded once into a module-scoped SQLite database; its
generator's ``park_design`` frame is the ground truth (parks declaring four 主导产业, twin
neighbours). A small hand-computed case runs on both backends.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from factories import add_enterprise, uscc
from parkhq.demo import generate
from parkhq.errors import NotFound, PermissionDenied
from parkhq.services import access, industries
from parkhq.services.access import Principal
from parkhq.services.demo import load_demo
from parkhq.store.db import Database
from parkhq.store.models import PeriodReport
from parkhq.store.scope import Scope

ADMIN = access.system_principal("tests")


def principal(role: str, *codes: str) -> Principal:
    return Principal(1, f"user_{role}", role, Scope(role, frozenset(codes)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo_db(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("industries") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    load_demo(database, ADMIN, seed=42)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def design() -> pl.DataFrame:
    data = generate("province", 42)
    return data.park_design.join(
        data.parks.select(pl.col("code").alias("park_code"), "city_code"), on="park_code"
    )


# --------------------------------------------------------------------------- hand-computed


def test_profile_of_a_two_industry_park_matches_the_hand_computation(db, world):
    """Inside park: 3911 (1,200.5 万元) and a new 1711 firm (800 万元); outside park: 3911.

    Province 330000 holds only the inside park, so both LQs against it are 1. The nation is
    39: 2,401 and 17: 800 of 3,201, so LQ_nation(39) = (1200.5/2000.5) / (2401/3201).
    Declared 装备制造、电子信息 cover 3911 but not 1711: share 1200.5 / 2000.5 ≈ 0.60 → moderate.
    """
    inside = world.inside
    eid = add_enterprise(
        db,
        uscc(inside.city[:4] + "02", 77),
        "临江纺织有限公司",
        inside.park_id,
        inside.province,
        inside.city,
        industry_code="1711",
    )
    with db.transaction() as s:
        s.add(PeriodReport(enterprise_id=eid, period="2026-09", output_value=800.0, tax=20.0))
    profile = industries.park_profile(db, ADMIN, inside.park_code)
    rows = {r.industry: r for r in profile.structure}
    assert set(rows) == {"39", "17"}
    assert rows["39"].share == pytest.approx(1200.5 / 2000.5)
    assert rows["39"].lq_province == pytest.approx(1.0)
    assert rows["39"].lq_nation == pytest.approx((1200.5 / 2000.5) / (2401 / 3201))
    assert rows["17"].lq_nation == pytest.approx((800 / 2000.5) / (800 / 3201))
    assert profile.concentration.hhi == pytest.approx((1200.5**2 + 800**2) / 2000.5**2)
    assert profile.declared.count == 2 and not profile.declared.exceeds_three
    assert profile.declared.declared_output_share == pytest.approx(1200.5 / 2000.5)
    assert profile.declared.verdict == "moderate"
    assert profile.output_value == pytest.approx(2000.5)
    assert profile.period.last == "2026-09" and profile.period.months == 12
    assert profile.extension == [] and profile.extension_note  # nothing related is missing
    assert [n.code for n in profile.treemap] == ["39", "17"]


def test_a_firm_registered_in_another_prefecture_counts_in_its_park_region(db, world):
    """A park lies in one region: its firms are analysed there, whatever city they report."""
    inside = world.inside
    other_city = "330200" if inside.city != "330200" else "330300"
    eid = add_enterprise(
        db,
        uscc(other_city[:4] + "02", 78),
        "甬江纺织有限公司",
        inside.park_id,
        inside.province,
        other_city,
        industry_code="1711",
    )
    with db.transaction() as s:
        s.add(PeriodReport(enterprise_id=eid, period="2026-09", output_value=800.0, tax=20.0))
    profile = industries.park_profile(db, ADMIN, inside.park_code)
    assert {r.industry for r in profile.structure} == {"39", "17"}
    assert profile.output_value == pytest.approx(2000.5)
    overview = industries.province_overview(db, ADMIN, province=inside.province)
    assert inside.park_code in {row.code for row in overview.compliance}


def test_a_park_outside_the_scope_is_not_found_and_enterprises_may_not_analyse(db, world):
    province_user = principal("province", world.inside.province)
    with pytest.raises(NotFound):
        industries.park_profile(db, province_user, world.outside.park_code)
    with pytest.raises(PermissionDenied):
        industries.province_overview(db, principal("enterprise", world.inside.uscc))
    with pytest.raises(NotFound):
        industries.province_overview(db, province_user, province=world.outside.province)


def test_the_catalogue_lists_the_scope_and_counts_every_province_without_names(db, world):
    view = industries.catalogue_view(db, principal("park", world.inside.park_code))
    assert [z.code for z in view.zones] == [world.inside.park_code]
    assert view.zones[0].categories == ["装备制造", "电子信息"]
    assert {p.province_code for p in view.by_province} == {"320000", "330000"}
    assert world.outside.park_name not in view.model_dump_json()


# --------------------------------------------------------------------------- demo province


def test_parks_declaring_four_are_flagged_everywhere(demo_db, design):
    four = set(design.filter(pl.col("declared_profiles").list.len() == 4).get_column("park_code"))
    assert len(four) >= 5
    overview = industries.province_overview(demo_db, ADMIN, province="330000")
    flagged = {r.code for r in overview.compliance if r.exceeds_three}
    assert flagged == four
    assert overview.exceeding == len(four)
    catalogue = industries.catalogue_view(demo_db, ADMIN, exceeding_only=True)
    assert {z.code for z in catalogue.zones} == four
    code = sorted(four)[0]
    profile = industries.park_profile(demo_db, ADMIN, code)
    assert profile.declared.exceeds_three and profile.declared.count == 4


def test_twin_neighbours_declaring_the_same_portfolio_are_clustered(demo_db, design):
    twins = design.filter(pl.col("twin_of").is_not_null()).select(
        "park_code", "twin_of", "city_code"
    )
    assert twins.height == 3
    overview = industries.province_overview(demo_db, ADMIN, province="330000")
    for basis in (overview.declared, overview.measured):
        together = [{m.code for m in c.members} for c in basis.clusters]
        for code, twin, _city in twins.iter_rows():
            assert any({code, twin} <= members for members in together), (basis.basis, code)
    pairs = {(p.park_a.code, p.park_b.code): p.similarity for p in overview.declared.pairs}
    for code, twin, _city in twins.iter_rows():
        assert pairs[tuple(sorted((code, twin)))] == pytest.approx(1.0)
    codes = overview.measured.heatmap.parks
    assert len(codes) == 80 and len(overview.measured.heatmap.values) == 80


def test_extension_suggestions_are_explained_by_present_industries_and_neighbours(demo_db):
    overview = industries.province_overview(demo_db, ADMIN, province="330000")
    code = overview.compliance[0].code
    profile = industries.park_profile(demo_db, ADMIN, code, level="group")
    assert profile.extension, profile.extension_note
    present = {r.industry for r in profile.structure}
    for s in profile.extension:
        assert s.related, s
        assert all(r.code in present for r in s.related)
        assert all(r.name in s.explanation for r in s.related)
        assert s.code not in {r.code for r in s.related}
        assert f"{s.neighbours} 个邻近园区" in s.explanation
        assert len(s.holders) + s.hidden_holders == round(s.overlap * s.neighbours)
        assert all(h.name in s.explanation for h in s.holders)
    assert [s.rank for s in profile.extension] == list(range(1, len(profile.extension) + 1))
    scores = [s.score for s in profile.extension]
    assert scores == sorted(scores, reverse=True)


def test_a_park_user_sees_other_parks_only_anonymously(demo_db, design):
    twin, code = (
        design.filter(pl.col("twin_of").is_not_null()).select("twin_of", "park_code").row(0)
    )
    user = principal("park", code)
    overview = industries.province_overview(demo_db, user)
    assert overview.province_code == "330000"
    assert [r.code for r in overview.compliance] == [code]
    text = overview.model_dump_json()
    others = set(design.get_column("park_code")) - {code}
    assert not [o for o in others if o in text]
    cluster = next(c for c in overview.declared.clusters if code in {m.code for m in c.members})
    assert cluster.hidden_members >= 1
    assert overview.compliance[0].most_similar is not None
    assert overview.compliance[0].most_similar.code is None
    profile = industries.park_profile(demo_db, user, code, level="group")
    text = profile.model_dump_json()
    assert not [o for o in others if o in text]
    with pytest.raises(NotFound):
        industries.park_profile(demo_db, user, twin)


def test_a_city_user_sees_the_parks_of_the_city_and_can_filter_by_it(demo_db, design):
    city = design.filter(pl.col("twin_of").is_not_null()).get_column("city_code")[0]
    overview = industries.province_overview(demo_db, principal("city", city))
    expected = set(design.filter(pl.col("city_code") == city).get_column("park_code"))
    assert {r.code for r in overview.compliance} == expected
    assert [c.code for c in overview.cities] == [city]
    same = industries.province_overview(demo_db, ADMIN, city=city)
    assert {r.code for r in same.compliance} == expected


def test_low_level_homogeneity_uses_tax_per_mu_when_land_exists(demo_db):
    overview = industries.province_overview(demo_db, ADMIN, province="330000")
    with_land = [r for r in overview.compliance if r.tax_per_mu is not None]
    assert len(with_land) > 60
    for row in overview.compliance:
        if row.low_level_homogeneity:
            assert row.max_similarity >= 0.9


def test_growth_compares_the_trailing_year_with_the_year_before(demo_db):
    code = industries.catalogue_view(demo_db, ADMIN).zones[0].code
    profile = industries.park_profile(demo_db, ADMIN, code)
    assert profile.period.months == 12 and profile.period.last == "2026-10"
    assert profile.output_growth is not None and -0.5 < profile.output_growth < 0.5
    assert any(r.growth is not None for r in profile.structure)
    assert date.fromisoformat(profile.rules[0].valid_from).year == 2025
