"""In Chromium: log in, see the home chart, the park list, a park's detail and an enterprise."""

from __future__ import annotations

import pytest

from browser import chart_drawn as _chart_drawn
from browser import only_loopback as _only_loopback
from factories import PASSWORD

pytestmark = pytest.mark.e2e


def _login(visit, live_server, username: str = "user_admin") -> None:  # type: ignore[no-untyped-def]
    page = visit.page
    page.goto(live_server.base_url + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.base_url + "/")


def test_login_and_home_chart(visit, live_server):
    _login(visit, live_server)
    page = visit.page
    assert page.locator("h1").first.inner_text().startswith("数据概况")
    _chart_drawn(page, "#level-type-chart")
    _only_loopback(visit, live_server)


def test_wrong_password_shows_a_chinese_error(visit, live_server):
    page = visit.page
    page.goto(live_server.base_url + "/login")
    page.fill("input[name=username]", "user_admin")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "用户名或密码错误"


def test_park_list_and_park_detail_with_land_chart(visit, live_server):
    _login(visit, live_server, "user_province")
    page = visit.page
    page.click("nav.mainnav >> text=园区")
    rows = page.locator("#park-table tbody tr")
    assert rows.count() == 1
    page.click(f"text={live_server.world.inside.park_name}")
    page.wait_for_url(f"**/parks/{live_server.world.inside.park_code}")
    assert (
        live_server.world.inside.enterprise_name in page.locator("#enterprise-table").inner_text()
    )
    _chart_drawn(page, "#land-chart")
    page.click(f"text={live_server.world.inside.enterprise_name}")
    page.wait_for_url(f"**/enterprises/{live_server.world.inside.uscc}")
    assert "统一社会信用代码" in page.content()
    _chart_drawn(page, "#report-chart")
    _only_loopback(visit, live_server)


def test_admin_page_lists_users_roles_and_audit(visit, live_server):
    _login(visit, live_server)
    page = visit.page
    page.click("nav.mainnav >> text=系统管理")
    assert "user_chain" in page.locator("#user-table").inner_text()
    assert "链长办" in page.content()
    assert page.locator("#audit-table tbody tr").count() > 0
    _only_loopback(visit, live_server)


def test_data_page_uploads_a_file_and_shows_the_report(visit, live_server, tmp_path):
    _login(visit, live_server, "user_park")
    page = visit.page
    page.click("nav.mainnav >> text=数据管理")
    bad = tmp_path / "十月月报.csv"
    bad.write_text(
        "统一社会信用代码,企业名称,报告期,工业总产值(万元),税收(万元)\n"
        f"{live_server.world.inside.uscc},某公司,2026-10,1300,-5\n",
        encoding="gbk",
    )
    page.set_input_files("input[name=file]", str(bad))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#import-verdict")
    assert "校验未通过" in page.locator("#import-verdict").inner_text()
    rows = page.locator("#problems-1 tbody tr")
    assert rows.count() >= 1
    page.fill("[data-filter-for=problems-1]", "E106")
    visible = [r for r in rows.all() if r.is_visible()]
    assert len(visible) == 1 and "税收" in visible[0].inner_text()
    assert page.locator("#error-report-link").is_visible()
    _only_loopback(visit, live_server)
