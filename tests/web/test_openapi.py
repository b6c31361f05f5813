"""Schemathesis over the OpenAPI document, logged in as the administrator: 0 server errors and
every response conforms to its documented schema."""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from factories import login

SKIP = {("POST", "/api/v1/auth/logout")}


def test_openapi_lists_every_api_route_under_api_v1(app):
    paths = app.openapi()["paths"]
    assert paths, "OpenAPI 文档为空"
    assert all(p.startswith("/api/v1/") for p in paths)
    assert "/api/v1/parks/{park_code}" in paths


def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, world):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    csrf = login(client, world.users["admin"])
    headers = {
        "Cookie": f"parkhq_session={client.cookies['parkhq_session']}",
        "X-CSRF-Token": csrf,
    }
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if (op.method.upper(), op.path) not in SKIP]
    assert len(operations) >= 8
    strategy = st.one_of(*(op.as_strategy() for op in operations))

    @given(case=strategy)
    @settings(
        max_examples=int(os.environ.get("PARKHQ_SCHEMATHESIS_EXAMPLES", "300")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):  # type: ignore[no-untyped-def]
        # Domain rules that JSON Schema cannot state (USCC check digits, a role that needs a
        # scope, unique user names) rightly answer 422/409 to schema-valid data.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()
