"""Login, logout, session cookie, CSRF and login throttling."""

from __future__ import annotations

from fastapi.testclient import TestClient

from factories import PASSWORD, login


def test_pages_redirect_to_login_when_not_logged_in(app, world):
    client = TestClient(app)
    response = client.get("/parks", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/parks"


def test_api_says_401_in_chinese_when_not_logged_in(app, world):
    response = TestClient(app).get("/api/v1/parks")
    assert response.status_code == 401
    assert response.json() == {"error": "authentication_failed", "message": "请先登录"}


def test_login_form_sets_an_httponly_samesite_session_cookie(app, world):
    client = TestClient(app)
    page = client.get("/login")
    assert "登录" in page.text
    csrf = client.cookies["parkhq_login_csrf"]
    response = client.post(
        "/login",
        data={"username": "user_admin", "password": PASSWORD, "csrf_token": csrf, "next": "/parks"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/parks"
    cookie = response.headers["set-cookie"]
    assert "parkhq_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()


def test_login_form_without_its_csrf_token_is_refused(app, world):
    client = TestClient(app)
    client.get("/login")
    response = client.post(
        "/login", data={"username": "user_admin", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert "页面已过期" in response.text
    assert "parkhq_session" not in client.cookies


def test_login_rejects_a_wrong_password_in_chinese(app, world):
    response = TestClient(app).post(
        "/api/v1/auth/login", json={"username": "user_admin", "password": "wrong-password"}
    )
    assert response.status_code == 401
    assert response.json()["message"] == "用户名或密码错误"


def test_login_is_throttled_after_repeated_failures(app, world, settings):
    client = TestClient(app)
    for _ in range(settings.login_max_failures):
        bad = client.post(
            "/api/v1/auth/login", json={"username": "user_city", "password": "nope-nope"}
        )
        assert bad.status_code == 401
    blocked = client.post(
        "/api/v1/auth/login", json={"username": "user_city", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.json()["message"]


def test_a_write_without_the_csrf_token_is_refused(app, world):
    client = TestClient(app)
    login(client, "user_admin")
    del client.headers["X-CSRF-Token"]
    response = client.post(
        "/api/v1/admin/users",
        json={"username": "x1", "password": "abcdefgh1", "role": "admin"},
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]


def test_a_form_post_without_the_csrf_field_is_refused(app, world):
    client = TestClient(app)
    login(client, "user_admin")
    del client.headers["X-CSRF-Token"]
    response = client.post("/logout", data={}, follow_redirects=False)
    assert response.status_code == 403


def test_logout_ends_the_session(app, world):
    client = TestClient(app)
    login(client, "user_park")
    assert client.get("/api/v1/auth/me").json()["role_name"] == "园区管委会"
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_disabled_user_cannot_log_in(app, world, client_for):
    admin = client_for("admin")
    users = admin.get("/api/v1/admin/users").json()
    city = next(u for u in users if u["username"] == "user_city")
    assert admin.put(
        f"/api/v1/admin/users/{city['id']}/active", json={"is_active": False}
    ).is_success
    response = TestClient(app).post(
        "/api/v1/auth/login", json={"username": "user_city", "password": PASSWORD}
    )
    assert response.status_code == 401


def test_responses_forbid_external_resources(app, world):
    response = TestClient(app).get("/login")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
