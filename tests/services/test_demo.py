"""The demo province loads through the import path, reloads without change, and has one login
per role."""

from __future__ import annotations

from fastapi.testclient import TestClient

from parkhq.services import access, stats
from parkhq.services.demo import (
    DEMO_PASSWORD,
    ensure_demo_evaluation,
    ensure_demo_users,
    load_demo,
)


def test_demo_province_loads_once_and_reloads_without_change(db, settings):
    admin = access.system_principal("tests")
    first = load_demo(db, admin, seed=42)
    assert first["park_registry"][0] == 80
    assert first["enterprise_registry"][0] == 20_000
    assert first["monthly_report"][0] > 200_000
    again = load_demo(db, admin, seed=42)
    assert all(new == 0 and changed == 0 for new, changed, _ in again.values())

    run_id = ensure_demo_evaluation(db, admin)
    assert run_id is not None
    assert ensure_demo_evaluation(db, admin) is None  # once

    counts = stats.stats(db, admin)
    assert (counts.parks, counts.enterprises, counts.months_covered) == (80, 20_000, 36)

    logins = ensure_demo_users(db, admin)
    assert [login.username for login in logins] == [
        "admin",
        "zhejiang",
        "hangzhou",
        "park",
        "chain",
        "qiye",
    ]
    from parkhq.web import create_app

    client = TestClient(create_app(settings, db))
    for login in logins:
        me = client.post(
            "/api/v1/auth/login", json={"username": login.username, "password": DEMO_PASSWORD}
        )
        assert me.status_code == 200, login
        assert me.json()["role_name"] == login.role_name
    client.post("/api/v1/auth/login", json={"username": "park", "password": DEMO_PASSWORD})
    parks = client.get("/api/v1/parks").json()
    assert parks["total"] == 1 and parks["items"][0]["is_demo"] is True
    assert "演示数据" in client.get(f"/parks/{parks['items'][0]['code']}").text
    client.post("/api/v1/auth/login", json={"username": "chain", "password": DEMO_PASSWORD})
    assert client.get("/api/v1/stats").json()["stats"]["enterprises"] > 0
