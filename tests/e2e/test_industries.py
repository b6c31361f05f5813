"""In Chromium: 园区画像 (treemap, 区位熵 chart, 延链 list), the province overview (heatmap,
compliance table with filters) and the zone catalogue, on the demo province added to the shared
live server."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

from browser import chart_drawn as _chart_drawn
from browser import only_loopback as _only_loopback
from factories import PASSWORD
from parkhq.demo import generate
from parkhq.services import access
from parkhq.services.demo import load_demo

pytestmark = pytest.mark.e2e


def _login(visit, live_server, username: str = "user_admin") -> None:  # type: ignore[no-untyped-def]
    page = visit.page
    page.goto(live_server.base_url + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.base_url + "/")


@pytest.fixture(scope="module")
def design(live_server) -> Iterator[pl.DataFrame]:  # type: ignore[no-untyped-def]
    """The demo province, added to the shared server (upsert: only adds data)."""
    load_demo(live_server.db, access.system_principal("e2e"), seed=42)
    data = generate("province", 42)
    yield data.park_design.join(
        data.parks.select(pl.col("code").alias("park_code"), "name", "city_code"), on="park_code"
    )


def test_park_profile_draws_the_treemap_and_lq_chart_and_lists_extensions(
    visit, live_server, design
):
    _login(visit, live_server)
    code, name = design.filter(pl.col("twin_of").is_not_null()).select("park_code", "name").row(0)
    page = visit.page
    page.goto(f"{live_server.base_url}/parks/{code}")
    page.click("#profile-link")
    page.wait_for_url(f"**/industries/parks/{code}")
    assert name in page.locator("h1").inner_text()
    _chart_drawn(page, "#structure-treemap")
    _chart_drawn(page, "#lq-chart")
    assert "不超过 3 个" in page.locator("#badge-leading").inner_text()
    rows = page.locator("#extension-table tbody tr")
    assert rows.count() >= 1
    assert "关联紧密" in rows.first.locator(".explanation").inner_text()
    page.select_option("select[name=level]", "group")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**level=group")
    assert page.locator("#structure-table tbody tr").count() > 1
    _only_loopback(visit, live_server)


def test_province_overview_draws_the_heatmap_and_filters_the_compliance_table(
    visit, live_server, design
):
    _login(visit, live_server)
    page = visit.page
    page.click("nav.mainnav >> text=特色化")
    page.wait_for_url("**/industries")
    _chart_drawn(page, "#measured-heatmap")
    _chart_drawn(page, "#declared-heatmap")
    four = design.filter(pl.col("declared_profiles").list.len() == 4).get_column("park_code")
    page.select_option("[data-severity-for=compliance-table]", "exceeds")
    visible = [r for r in page.locator("#compliance-table tbody tr").all() if r.is_visible()]
    shown = {r.locator("code").first.inner_text() for r in visible}
    assert set(four.to_list()) <= shown
    twin = design.filter(pl.col("twin_of").is_not_null()).row(0, named=True)
    assert twin["name"] in page.locator("#declared-clusters").inner_text()
    page.select_option("select[name=city]", twin["city_code"])
    page.click("#overview-filters button[type=submit]")
    page.wait_for_url(f"**city={twin['city_code']}**")
    codes = {c.inner_text() for c in page.locator("#compliance-table tbody tr code").all()}
    assert twin["park_code"] in codes
    assert page.locator("#export-compliance").get_attribute("href").endswith(twin["city_code"])
    _only_loopback(visit, live_server)


def test_catalogue_lists_zones_exceeding_three_with_the_category_chart(visit, live_server, design):
    _login(visit, live_server)
    page = visit.page
    page.click("nav.mainnav >> text=开发区目录")
    page.wait_for_url("**/catalogue")
    _chart_drawn(page, "#category-chart")
    page.check("input[name=exceeding_only]")
    page.click("#catalogue-filters button[type=submit]")
    page.wait_for_url("**exceeding_only=true**")
    four = set(design.filter(pl.col("declared_profiles").list.len() == 4).get_column("park_code"))
    codes = {c.inner_text() for c in page.locator("#zone-table tbody tr code").all()}
    assert four <= codes
    assert "exceeding_only=true" in (page.locator("#export-catalogue").get_attribute("href") or "")
    _only_loopback(visit, live_server)
