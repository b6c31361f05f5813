"""Every registered route × every role × a resource outside the user's scope: no leak.

New routes join automatically. A route whose path parameter this test does not know fails
with a message saying how to register it — a new kind of resource cannot slip through
unchecked. A capability registers its parameters in its own ``tests/web/authz_<name>.py``, a
module with ``PARAMS = {"param": lambda world, db: "<an id outside the users' scope>"}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import routing
from sqlalchemy import select

from factories import ROLE_SCOPE, World
from parkhq.store.db import Database
from parkhq.store.models import Enterprise, LandParcel, Park, PeriodReport, User

#: How to fill each path parameter with a resource OUTSIDE the non-admin users' scope.
PARAMS: dict[str, Callable[[World, Database], str]] = {
    "park_code": lambda w, db: w.outside.park_code,
    "uscc": lambda w, db: w.outside.uscc,
    "user_id": lambda w, db: str(_user_id(db, "user_admin")),
    "batch_id": lambda w, db: str(w.outside_batch_id),
    # Public reference facts: not scoped, any logged-in role may read them.
    "industry_code": lambda w, db: "3911",
    "region_code": lambda w, db: w.outside.province,
    "template_kind": lambda w, db: "all",
}


def _capability_params() -> None:
    """Merge ``PARAMS`` of every ``tests/web/authz_*.py`` (one per capability) into ``PARAMS``."""
    import importlib.util
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("authz_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        PARAMS.update(module.PARAMS)


_capability_params()
#: Routes that are reachable without a session by design.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/api/v1/auth/login")}
ROLES = [r for r in ROLE_SCOPE if r != "admin"]


def _user_id(db: Database, username: str) -> int:
    with db.transaction() as s:
        uid = s.scalar(select(User.id).where(User.username == username))
    assert uid is not None
    return uid


def _routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route, through included routers (FastAPI's own walker)."""
    out = []
    for route in routing.iter_route_contexts(app.routes):
        path = getattr(route, "path", "")
        if path.startswith(("/api/v1/openapi", "/static")):
            continue
        for method in sorted(getattr(route, "methods", None) or []):
            if method in {"HEAD", "OPTIONS"}:
                continue
            out.append((method, path))
    return out


def _fill(path: str, world: World, db: Database) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[0]
        if name not in PARAMS:
            pytest.fail(
                f"路由参数 {{{name}}}（{path}）未在授权矩阵 PARAMS 中登记：请提供范围外的资源"
            )
        return PARAMS[name](world, db)

    return re.sub(r"\{([^}]+)\}", sub, path)


def _outside_state(db: Database, world: World) -> list[Any]:
    w = world.outside
    with db.transaction() as s:
        return [
            s.execute(select(Park.__table__).where(Park.code == w.park_code)).all(),
            s.execute(select(Enterprise.__table__).where(Enterprise.uscc == w.uscc)).all(),
            s.execute(
                select(LandParcel.__table__)
                .where(LandParcel.parcel_code.startswith(w.parcel_code))
                .order_by(LandParcel.parcel_code)
            ).all(),
            s.execute(
                select(PeriodReport.__table__).where(PeriodReport.enterprise_id == w.enterprise_id)
            ).all(),
        ]


def test_every_route_is_known_to_the_matrix(app, world, db):
    routes = _routes(app)
    assert ("GET", "/api/v1/parks/{park_code}") in routes
    assert ("GET", "/parks/{park_code}") in routes
    for _method, path in routes:
        _fill(path, world, db)


@pytest.mark.parametrize("role", ROLES)
def test_no_route_leaks_a_resource_outside_the_users_scope(role, app, world, db, client_for):
    client = client_for(role)
    secrets = [
        world.outside.park_code,
        world.outside.park_name,
        world.outside.uscc,
        world.outside.enterprise_name,
        world.outside.parcel_code,
    ]
    before = _outside_state(db, world)
    checked = 0
    for method, path in _routes(app):
        if (method, path) in PUBLIC or path == "/logout" or path == "/api/v1/auth/logout":
            continue
        url = _fill(path, world, db)
        response = client.request(
            method, url, json={} if method in {"POST", "PUT", "PATCH"} else None
        )
        checked += 1
        assert response.status_code < 500, f"{method} {url} → {response.status_code}"
        if response.status_code in (403, 404, 422):
            continue
        body = response.text
        leaked = [s for s in secrets if s in body]
        assert not leaked, f"{role}: {method} {url} 泄露了范围外数据 {leaked}"
    assert checked >= 10
    assert _outside_state(db, world) == before, "范围外数据被修改"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_own_park_and_enterprise(role, client_for, world):
    client = client_for(role)
    park = client.get(f"/api/v1/parks/{world.inside.park_code}")
    assert park.status_code == 200, park.text
    assert park.json()["name"] == world.inside.park_name
    ent = client.get(f"/api/v1/enterprises/{world.inside.uscc}")
    assert ent.status_code == 200
    listing = client.get("/api/v1/parks").json()
    assert [p["code"] for p in listing["items"]] == [world.inside.park_code]


def test_the_administrator_sees_both_provinces(client_for, world):
    listing = client_for("admin").get("/api/v1/parks").json()
    assert {p["code"] for p in listing["items"]} == {
        world.inside.park_code,
        world.outside.park_code,
    }


@pytest.mark.parametrize("role", ROLES)
def test_only_the_administrator_manages_users_and_reads_the_audit_log(role, client_for):
    client = client_for(role)
    assert client.get("/api/v1/admin/users").status_code == 403
    assert client.get("/api/v1/admin/audit").status_code == 403
    assert client.get("/admin").status_code == 403
