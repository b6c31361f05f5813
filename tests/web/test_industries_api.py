"""特色化 API and pages on the demo province (loaded once for the module, SQLite)."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories import PASSWORD, login
from parkhq.demo import generate
from parkhq.services import access
from parkhq.services.demo import load_demo
from parkhq.settings import Settings
from parkhq.store.db import Database

ADMIN = access.system_principal("tests")


@pytest.fixture(scope="module")
def demo() -> pl.DataFrame:
    data = generate("province", 42)
    return data.park_design.join(
        data.parks.select(pl.col("code").alias("park_code"), "city_code", "name"), on="park_code"
    )


@pytest.fixture(scope="module")
def demo_app(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, demo: pl.DataFrame
) -> Iterator[FastAPI]:
    from parkhq.web import create_app

    path = tmp_path_factory.mktemp("industries-api") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    load_demo(db, ADMIN, seed=42)
    code = demo.filter(pl.col("twin_of").is_not_null()).get_column("park_code")[0]
    city = demo.filter(pl.col("park_code") == code).get_column("city_code")[0]
    for username, role, scope in (
        ("i_admin", "admin", []),
        ("i_province", "province", ["330000"]),
        ("i_city", "city", [city]),
        ("i_park", "park", [code]),
        ("i_enterprise", "enterprise", ["91330100MA00000000"]),
    ):
        access.create_user(
            db, ADMIN, username=username, password=PASSWORD, role=role, scope_codes=scope
        )
    settings = Settings(environment="test", database_url=db.url, secret_key="industries-secret")
    yield create_app(settings, db)
    db.dispose()


def client(app: FastAPI, role: str) -> TestClient:
    c = TestClient(app)
    login(c, f"i_{role}")
    return c


def park_of(demo: pl.DataFrame) -> str:
    return str(demo.filter(pl.col("twin_of").is_not_null()).get_column("park_code")[0])


def test_profile_returns_structure_leading_declared_and_explained_extension(demo_app, demo):
    code = park_of(demo)
    body = client(demo_app, "province").get(f"/api/v1/industries/parks/{code}/profile").json()
    assert body["code"] == code and body["level"] == "division"
    assert body["structure"] and body["treemap"]
    assert abs(sum(r["share"] for r in body["structure"]) - 1.0) < 1e-9
    assert body["declared"]["count"] <= 3 and body["declared"]["exceeds_three"] is False
    assert body["extension"] and all(s["explanation"] for s in body["extension"])
    groups = client(demo_app, "province").get(
        f"/api/v1/industries/parks/{code}/profile", params={"level": "group"}
    )
    assert all(len(r["industry"]) == 3 for r in groups.json()["structure"])


def test_overview_flags_four_declared_and_exports_the_compliance_table_as_csv(demo_app, demo):
    four = set(demo.filter(pl.col("declared_profiles").list.len() == 4).get_column("park_code"))
    c = client(demo_app, "province")
    body = c.get("/api/v1/industries/overview").json()
    assert body["province_code"] == "330000" and body["parks"] == 80
    assert {r["code"] for r in body["compliance"] if r["exceeds_three"]} == four
    response = c.get("/api/v1/industries/overview/compliance.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["园区代码", "园区名称", "所在市"]
    assert len(rows) == 81
    assert {r[0] for r in rows[1:] if r[6] == "是"} == four


def test_overview_can_be_filtered_by_city(demo_app, demo):
    city = demo.filter(pl.col("park_code") == park_of(demo)).get_column("city_code")[0]
    body = client(demo_app, "province").get("/api/v1/industries/overview", params={"city": city})
    expected = set(demo.filter(pl.col("city_code") == city).get_column("park_code"))
    assert {r["code"] for r in body.json()["compliance"]} == expected


def test_catalogue_lists_violations_and_most_declared_categories(demo_app, demo):
    four = set(demo.filter(pl.col("declared_profiles").list.len() == 4).get_column("park_code"))
    c = client(demo_app, "city")
    body = c.get("/api/v1/industries/catalogue", params={"exceeding_only": True}).json()
    city = demo.filter(pl.col("park_code") == park_of(demo)).get_column("city_code")[0]
    in_city = set(demo.filter(pl.col("city_code") == city).get_column("park_code"))
    assert {z["code"] for z in body["zones"]} == four & in_city
    assert body["by_province"][0]["parks"] == 80
    export = c.get("/api/v1/industries/catalogue.csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {r[0] for r in rows[1:]} == in_city


def test_a_park_user_sees_no_other_park_by_name_or_code(demo_app, demo):
    code = park_of(demo)
    c = client(demo_app, "park")
    others = demo.filter(pl.col("park_code") != code)
    secrets = set(others.get_column("park_code")) | set(others.get_column("name"))
    for url in (
        "/api/v1/industries/overview",
        f"/api/v1/industries/parks/{code}/profile",
        f"/api/v1/industries/parks/{code}/profile?level=group",
        "/api/v1/industries/catalogue",
        "/api/v1/industries/overview/compliance.csv",
        "/industries",
        f"/industries/parks/{code}",
        "/catalogue",
    ):
        response = c.get(url)
        assert response.status_code == 200, url
        leaked = [s for s in secrets if s in response.content.decode("utf-8-sig")]
        assert not leaked, (url, leaked[:3])
    twin = demo.filter(pl.col("park_code") == code).get_column("twin_of")[0]
    assert c.get(f"/api/v1/industries/parks/{twin}/profile").status_code == 404


def test_an_enterprise_may_read_the_catalogue_but_not_analyse(demo_app):
    c = client(demo_app, "enterprise")
    assert c.get("/api/v1/industries/overview").status_code == 403
    assert c.get("/industries").status_code == 403
    assert c.get("/api/v1/industries/catalogue").json()["zones"] == []


def test_invalid_parameters_are_refused_in_chinese(demo_app, demo):
    c = client(demo_app, "admin")
    assert c.get("/api/v1/industries/overview", params={"province": "33"}).status_code == 422
    bad = c.get(f"/api/v1/industries/parks/{park_of(demo)}/profile", params={"level": "x"})
    assert bad.status_code == 422 and "请求参数不合法" in bad.json()["message"]
    missing = c.get("/api/v1/industries/overview", params={"province": "110000"})
    assert missing.status_code == 404 and "没有您权限范围内的园区" in missing.json()["message"]


def test_pages_render_with_their_charts_filters_and_exports(demo_app, demo):
    c = client(demo_app, "province")
    code = park_of(demo)
    page = c.get(f"/industries/parks/{code}").text
    for marker in ('id="structure-treemap"', 'id="lq-chart"', 'id="extension-table"', "延链建议"):
        assert marker in page
    overview = c.get("/industries").text
    for marker in ('id="measured-heatmap"', 'id="compliance-table"', "/compliance.csv", "城市"):
        assert marker in overview
    catalogue = c.get("/catalogue?exceeding_only=true").text
    assert 'id="category-chart"' in catalogue and "catalogue.csv?exceeding_only=true" in catalogue
    park = c.get(f"/parks/{code}").text
    assert f'href="/industries/parks/{code}"' in park
    assert "特色化" in park and "开发区目录" in park
