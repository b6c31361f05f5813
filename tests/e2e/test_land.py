"""In Chromium: the rule-set editor's live preview, a run page's chart, sorting and explanation
drawer, what-if, and the acceptance path — a firm contests in the UI, the city accepts, a new
run version appears and the old one is unchanged."""

from __future__ import annotations

import re

import polars as pl
import pytest

from browser import chart_drawn as _chart_drawn
from browser import only_loopback as _only_loopback
from factories import PASSWORD
from land_factories import SYSTEM, add_land_firms, preset_id
from parkhq.analysis.land import score
from parkhq.reference.land_rules import rule_set_from_mapping
from parkhq.services import land, land_process, land_runs

pytestmark = pytest.mark.e2e


def _login(visit, live_server, username: str) -> None:  # type: ignore[no-untyped-def]
    page = visit.page
    page.goto(live_server.base_url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _logout(visit) -> None:  # type: ignore[no-untyped-def]
    visit.page.click("header .who button[type=submit]")
    visit.page.wait_for_url("**/login**")


@pytest.fixture(scope="module")
def land_data(live_server):  # type: ignore[no-untyped-def]
    """Firms with 2026 data in the inside park (added once; the server is shared)."""
    db, world = live_server.db, live_server.world
    add_land_firms(db, world, above=12, below=6, years=(2026,), serial=800, mixed=True)
    return preset_id(db)


def test_rule_editor_previews_live_and_shows_field_errors(visit, live_server, land_data):
    _login(visit, live_server, "user_city")
    page = visit.page
    page.goto(f"{live_server.base_url}/land/rules/new?from={land_data}")
    page.fill("#preview-year", "2026")
    page.dispatch_event("#preview-year", "change")
    page.wait_for_selector("#preview-status.notice", timeout=10_000)
    assert "试算" in page.inner_text("#preview-status")
    _chart_drawn(page, "#preview-chart")
    assert page.locator("#preview-table tbody tr").count() >= 4
    text = page.input_value("#rule-yaml")
    page.fill("#rule-yaml", text.replace("weight: 30,", "weight: -30,", 1))
    page.wait_for_selector("#preview-status.error", timeout=10_000)
    assert "segments.0.items.0.weight" in page.inner_text("#preview-status")
    _only_loopback(visit, live_server)


def test_run_page_draws_the_chart_sorts_and_opens_the_explanation(visit, live_server, land_data):
    run_id = land.create_run(
        live_server.db, SYSTEM, year=2026, rule_set_id=land_data, scope_code="330100"
    )
    _login(visit, live_server, "user_city")
    page = visit.page
    page.goto(f"{live_server.base_url}/land/runs/{run_id}")
    _chart_drawn(page, "#grade-chart")
    page.click("#result-table th a[data-sort=total]")
    page.wait_for_url(re.compile(r".*sort=total.*"))
    page.click("#result-table th a[data-sort=total]")
    page.wait_for_url(re.compile(r".*order=desc.*"))
    totals = [
        float(t.replace(",", ""))
        for t in page.locator("#result-table tbody tr td:nth-last-child(4)").all_inner_texts()
        if t.strip() not in ("—", "")
    ]
    assert totals == sorted(totals, reverse=True) and len(totals) > 10
    page.locator("#result-table button.explain").first.click()
    page.wait_for_selector("#drawer-why", timeout=10_000)
    assert "评为" in page.inner_text("#drawer-why")
    assert page.locator("#explain-drawer table tbody tr").count() >= 2
    page.click("[data-close-drawer]")
    assert page.locator("#explain-drawer").is_hidden()
    _only_loopback(visit, live_server)


def test_what_if_in_the_browser_lists_the_firms_whose_grade_changes(visit, live_server, land_data):
    db = live_server.db
    run_id = land.create_run(db, SYSTEM, year=2026, rule_set_id=land_data, scope_code="330000")
    _login(visit, live_server, "user_province")
    page = visit.page
    page.goto(f"{live_server.base_url}/land/runs/{run_id}/what-if")
    page.fill("input[name='w:above_scale.tax_per_mu']", "80")
    page.click("#what-if-form button[type=submit]")
    page.wait_for_selector("#what-if-result")
    shown = set(page.locator("#what-if-table tbody tr td:first-child code").all_inner_texts())
    with db.transaction() as s:
        frame, rules = land_runs.load_inputs(s, run_id)
    data = rules.model_dump(by_alias=True)
    data["segments"][0]["items"][0]["weight"] = 80
    before = score(frame, rules, explain=False)["grade"].cast(pl.String).to_list()
    changed = rule_set_from_mapping(data)
    after = score(frame, changed, explain=False)["grade"].cast(pl.String).to_list()
    expected = {u for u, b, a in zip(frame["uscc"], before, after, strict=True) if b != a}
    assert shown == expected


def test_an_objection_accepted_in_the_ui_produces_a_new_run_version(visit, live_server, land_data):
    db, world = live_server.db, live_server.world
    run_id = land.create_run(
        db, SYSTEM, year=2026, rule_set_id=land_data, scope_code=world.inside.park_code
    )
    for action in ("submit", "park_approve"):
        land_process.transition(db, SYSTEM, run_id, action)
    land_process.transition(db, SYSTEM, run_id, "publish", days=10)
    page = visit.page

    _login(visit, live_server, "user_admin")
    page.goto(f"{live_server.base_url}/land/runs/{run_id}?limit=100")
    old_hash = page.inner_text("#run-hash")
    old_table = page.inner_text("#result-table")
    _logout(visit)

    _login(visit, live_server, "user_enterprise")
    page.goto(f"{live_server.base_url}/land/my")
    assert page.inner_text("#my-grade").strip()
    page.click("#contest-button")
    page.fill("#objection-form textarea[name=reason]", "用地面积登记有误，实际 12 亩")
    page.fill("#objection-form input[name='c:land_mu']", "12")
    page.set_input_files(
        "#objection-form input[name=files]",
        files=[{"name": "不动产权证.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}],
    )
    page.click("#objection-form button[type=submit]")
    page.wait_for_selector("#objection-status")
    assert page.inner_text("#objection-status") == "待处理"
    _logout(visit)

    # the province decides (another e2e module's demo data may move the world's park to
    # another city of the province, so the city user is not used here)
    _login(visit, live_server, "user_province")
    page.click("nav.mainnav >> text=亩均评价")
    page.click("nav.land-tabs >> text=异议")
    page.locator("#objection-table tr", has_text=world.inside.enterprise_name).locator(
        "a"
    ).first.click()
    page.fill("#decision-form textarea[name=reason]", "经核实，不动产权证面积为 12 亩")
    page.click("#accept-button")
    page.wait_for_selector("#new-version-link")
    assert page.inner_text("#objection-status") == "已受理"
    page.click("#new-version-link")
    page.wait_for_selector("#run-versions")
    assert "第 2 版" in page.inner_text("h1")
    new_hash = page.inner_text("#run-hash")
    assert new_hash != old_hash
    _chart_drawn(page, "#grade-chart")
    page.click("#run-versions >> text=第 1 版")
    page.wait_for_selector("#run-status")
    assert page.inner_text("#run-status") == "已被新版本取代"
    assert page.inner_text("#run-hash") == old_hash
    _logout(visit)

    _login(visit, live_server, "user_admin")
    page.goto(f"{live_server.base_url}/land/runs/{run_id}?limit=100")
    assert page.inner_text("#result-table") == old_table
    _only_loopback(visit, live_server)
