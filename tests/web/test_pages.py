"""The Chinese pages render their data for a logged-in user (server side; see tests/e2e for the
browser)."""

from __future__ import annotations

import json
import re


def _chart_options(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S)
    return [json.loads(b) for b in blocks]


def test_home_shows_counts_and_a_chart_of_parks_by_level_and_type(client_for, world):
    html = client_for("admin").get("/").text
    assert "数据概况" in html and "园区" in html
    (option,) = _chart_options(html)
    assert option["title"]["text"] == "园区数量（按批准级别与类型）"
    assert option["xAxis"]["data"] == ["经济开发区"]
    assert sum(sum(s["data"]) for s in option["series"]) == 2


def test_park_list_links_to_each_park_in_scope(client_for, world):
    html = client_for("city").get("/parks").text
    assert f'href="/parks/{world.inside.park_code}"' in html
    assert world.outside.park_code not in html


def test_park_detail_shows_its_enterprises_and_land(client_for, world):
    html = client_for("park").get(f"/parks/{world.inside.park_code}").text
    assert world.inside.park_name in html
    assert world.inside.enterprise_name in html
    assert world.inside.parcel_code in html
    (option,) = _chart_options(html)
    assert option["series"][0]["data"] == [{"name": "出让", "value": 35.5}]


def test_enterprise_detail_shows_identity_labels_and_reports(client_for, world):
    html = client_for("enterprise").get(f"/enterprises/{world.inside.uscc}").text
    assert world.inside.uscc in html
    assert "高新技术企业" in html
    assert "计算机整机制造" in html
    assert "2026-09" in html


def test_an_invalid_uscc_in_the_url_is_not_found_with_the_reason_in_chinese(client_for):
    response = client_for("admin").get("/enterprises/91330100MA0000001X")
    assert response.status_code == 404
    assert "统一社会信用代码 &#39;91330100MA0000001X&#39; 不合法" in response.text
    assert "校验码" in response.text


def test_a_park_outside_the_scope_is_a_404_page(client_for, world):
    response = client_for("province").get(f"/parks/{world.outside.park_code}")
    assert response.status_code == 404
    assert "不存在或不在您的权限范围内" in response.text


def test_admin_creates_a_user_through_the_form_and_the_audit_log_shows_it(client_for, world):
    admin = client_for("admin")
    page = admin.get("/admin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    del admin.headers["X-CSRF-Token"]
    response = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "wang_city",
            "display_name": "王科长",
            "password": "secret-password",
            "role": "city",
            "scope_codes": "330100",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = admin.get("/admin").text
    assert "王科长" in page
    assert "wang_city" in page


def test_admin_form_errors_are_shown_in_chinese(client_for):
    admin = client_for("admin")
    response = admin.post(
        "/admin/users",
        data={"username": "x", "password": "short", "role": "city", "scope_codes": "330100"},
    )
    assert response.status_code == 422
    assert "密码至少 8 位" in response.text


def test_navigation_depends_on_the_role(client_for):
    assert "系统管理" in client_for("admin").get("/").text
    assert "系统管理" not in client_for("park").get("/").text
