"""亩均评价 pages render for each role (server side; the browser tests are in tests/e2e)."""

from __future__ import annotations

import json
import re

from land_factories import SYSTEM, add_land_firms, preset_id
from parkhq.services import land, land_process


def chart_options(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S)
    return [json.loads(b) for b in blocks]


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def publish(db, run_id):  # type: ignore[no-untyped-def]
    for action in ("submit", "park_approve"):
        land_process.transition(db, SYSTEM, run_id, action)
    land_process.transition(db, SYSTEM, run_id, "publish", days=7)


def test_the_menu_shows_each_role_its_land_pages(client_for):
    menus = {
        role: client_for(role).get("/land/my" if role == "enterprise" else "/").text
        for role in ("city", "park", "enterprise")
    }
    assert 'href="/land/runs"' in menus["city"] and 'href="/land/register"' in menus["city"]
    city_tabs = client_for("city").get("/land/runs").text
    assert 'href="/land/rules"' in city_tabs and 'href="/land/objections"' in city_tabs
    assert 'href="/land/runs"' in menus["park"] and 'href="/land/my"' not in menus["park"]
    assert (
        'href="/land/my"' in menus["enterprise"] and 'href="/land/runs"' not in menus["enterprise"]
    )


def test_a_run_page_has_the_grade_chart_sortable_headers_and_explanations(client_for, world, db):
    add_land_firms(db, world)
    city = client_for("city")
    form = city.get("/land/runs").text
    response = city.post(
        "/land/runs",
        data={"csrf_token": csrf(form), "year": "2025", "rule_set_id": str(preset_id(db))},
        follow_redirects=False,
    )
    assert response.status_code == 303
    url = response.headers["location"]
    html = city.get(url).text
    assert "评价已生成（草稿）" in html
    (option,) = chart_options(html)
    assert option["xAxis"]["data"] == ["规上", "规下"]
    series = {s["name"]: s["data"] for s in option["series"]}
    # 12 规上 → 2/6/3/1; 4 规下 → boundaries 0.8→1, 2.6→3, 3.8→4 → 1/2/1/0
    assert series == {"A": [2, 1], "B": [6, 2], "C": [3, 1], "D": [1, 0]}
    assert 'data-sort="total"' in html and "data-explain=" in html
    run_id = int(url.split("/")[-1].split("?")[0])
    desc = city.get(f"/land/runs/{run_id}?sort=total&order=desc").text
    names = re.findall(r"亩均测试(\d\d)号", desc)
    assert names[0] == "16" and names.index("12") < names.index("01")
    assert 'aria-sort="descending"' in desc
    top = re.search(r'data-uscc="([^"]+)"', desc).group(1)
    firm = city.get(f"/land/runs/{run_id}/firms/{top}").text
    assert "定级理由" in firm and 'id="explanation-table"' in firm


def test_the_rule_editor_keeps_the_text_on_an_error_and_saves_a_new_version(client_for, world, db):
    city = client_for("city")
    page = city.get(f"/land/rules/new?from={preset_id(db)}").text
    assert 'id="rule-yaml"' in page and 'data-preview-url="/api/v1/land/rule-sets/preview"' in page
    assert "/static/land.js" in page
    text = land.get_rule_set(db, SYSTEM, preset_id(db)).yaml_text
    bad = city.post(
        "/land/rules",
        data={"csrf_token": csrf(page), "yaml_text": text.replace("weight: 30,", "weight: 0,")},
    )
    assert bad.status_code == 422
    assert "segments.0.items.0.weight：须大于 0" in bad.text and "weight: 0," in bad.text
    good = city.post(
        "/land/rules",
        data={"csrf_token": csrf(page), "yaml_text": text.replace('"2023.1"', '"2023.2"')},
        follow_redirects=False,
    )
    assert good.status_code == 303
    saved = city.get(good.headers["location"]).text
    assert "版本 2023.2" in saved and "已保存" in saved


def test_the_what_if_page_lists_firms_whose_grade_changes(client_for, world, db):
    add_land_firms(db, world, above=20, below=0, mixed=True)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    city = client_for("city")
    page = city.get(f"/land/runs/{run_id}/what-if").text
    assert 'name="w:above_scale.tax_per_mu" value="30"' in page
    result = city.post(
        f"/land/runs/{run_id}/what-if",
        data={
            "csrf_token": csrf(page),
            "w:above_scale.tax_per_mu": "30",
            "q:A": "10",
            "q:B": "40",
            "q:C": "40",
            "q:D": "10",
        },
    ).text
    assert "分档比例 A 10%/B 40%/C 40%/D 10%" in result
    changed = int(re.search(r"等级变化 <b>(\d+)</b> 家", result).group(1))
    assert changed == result.count("<tr><td><code>") and changed > 0
    bad = city.post(
        f"/land/runs/{run_id}/what-if",
        data={"csrf_token": csrf(page), "w:above_scale.tax_per_mu": "三十"},
    )
    assert bad.status_code == 422 and "不是数值" in bad.text


def test_a_firm_contests_in_the_form_and_the_accepted_objection_supersedes_the_run(
    client_for, world, db
):
    add_land_firms(db, world, above=6, below=0, years=(2026,))
    run_id = land.create_run(db, SYSTEM, year=2026, rule_set_id=preset_id(db), scope_code="330000")
    publish(db, run_id)
    firm = client_for("enterprise")
    my = firm.get("/land/my").text
    assert 'id="contest-button"' in my and 'id="my-grade"' in my
    page = firm.get(f"/land/runs/{run_id}/firms/{world.inside.uscc}").text
    assert 'id="objection-form"' in page
    del firm.headers["X-CSRF-Token"]
    sent = firm.post(
        f"/land/runs/{run_id}/firms/{world.inside.uscc}/objection",
        data={"csrf_token": csrf(page), "reason": "税收少计", "c:tax": "300", "c:land_mu": ""},
        files=[("files", ("完税证明.pdf", b"%PDF tax", "application/pdf"))],
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    objection_url = sent.headers["location"].split("?")[0]
    assert "待处理" in firm.get(objection_url).text
    city = client_for("city")
    inbox = city.get("/land/objections").text
    assert objection_url in inbox
    detail = city.get(objection_url).text
    assert 'id="accept-button"' in detail and "完税证明.pdf" in detail
    decided = city.post(
        f"{objection_url}/decision",
        data={"csrf_token": csrf(detail), "decision": "accept", "reason": "核实"},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    after = city.get(objection_url).text
    new_id = int(re.search(r'href="/land/runs/(\d+)" id="new-version-link"', after).group(1))
    assert "已受理" in after and new_id != run_id
    old = city.get(f"/land/runs/{run_id}").text
    assert "已被新版本取代" in old and f'href="/land/runs/{new_id}"' in old
    assert "第 2 版" in city.get(f"/land/runs/{new_id}").text


def test_the_register_page_registers_a_candidate_and_records_progress(client_for, world, db):
    firms = add_land_firms(db, world, above=2, below=0, status={2: "闲置"})
    park = client_for("park")
    page = park.get("/land/register").text
    assert firms[1].parcel_code in page and "地块状态为闲置" in page
    response = park.post(
        "/land/register",
        data={
            "csrf_token": csrf(page),
            "parcel_code": firms[1].parcel_code,
            "land_type": "闲置",
            "responsible_unit": "招商局",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = park.get("/land/register").text
    entry_id = re.search(r'action="/land/register/(\d+)"', page).group(1)
    updated = park.post(
        f"/land/register/{entry_id}",
        data={
            "csrf_token": csrf(page),
            "disposal_method": "收回",
            "responsible_unit": "招商局",
            "area_disposed_mu": "10",
            "area_remaining_mu": "0",
            "progress": "100",
            "status": "已完成",
        },
        follow_redirects=False,
    )
    assert updated.status_code == 303
    page = park.get("/land/register").text
    assert "<option selected>已完成</option>" in page and "<option selected>收回</option>" in page
    too_much = park.post(
        f"/land/register/{entry_id}",
        data={
            "csrf_token": csrf(page),
            "area_disposed_mu": "9",
            "area_remaining_mu": "9",
            "status": "处置中",
        },
    )
    assert too_much.status_code == 422 and "超过地块面积" in too_much.text


def test_the_figures_page_shows_each_park_in_scope(client_for, world, db):
    add_land_firms(db, world, above=2, below=0)
    html = client_for("province").get("/land/figures?year=2025").text
    assert world.inside.park_name in html and world.outside.park_name not in html
    (option,) = chart_options(html)
    assert option["series"][0]["data"] == [round(30 / 55.5, 2)]


def test_the_firm_page_flags_consecutive_lowest_grades(client_for, world, db):
    firms = add_land_firms(db, world, above=12, below=0, years=(2024, 2025))
    runs = [
        land.create_run(db, SYSTEM, year=y, rule_set_id=preset_id(db), scope_code="330000")
        for y in (2024, 2025)
    ]
    for run_id in runs:
        publish(db, run_id)
    html = client_for("city").get(f"/land/runs/{runs[1]}/firms/{firms[0].uscc}").text
    assert 'id="streak-flag"' in html and "已连续 2 年评为最低等级" in html
    assert html.count("连续 2 年") >= 2 and 'id="history-table"' in html
    table = client_for("city").get(f"/land/runs/{runs[1]}?grade=D").text
    assert "连续 2 年 D" in table
