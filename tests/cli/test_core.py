"""``parkhq db upgrade``, ``user add``, ``stats``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from parkhq.cli import app

runner = CliRunner()


@pytest.fixture
def env(db, monkeypatch):
    monkeypatch.setenv("PARKHQ_DATABASE_URL", db.url)
    return db


def test_db_upgrade_is_idempotent(env):
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["db", "upgrade"])
    assert second.exit_code == 0
    assert "数据库已是最新版本" in second.output


def test_stats_json_counts_what_the_store_holds(env, world):
    result = runner.invoke(app, ["stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["parks"] == 2
    assert data["enterprises"] == 2
    assert data["parcels"] == 3  # one each, and one imported for Jiangsu
    assert data["report_rows"] == 2
    assert data["months_covered"] == 1
    assert data["first_period"] == data["last_period"] == "2026-09"


def test_stats_table_is_in_chinese(env, world):
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0
    assert "园区" in result.output and "月报行数" in result.output


def test_user_add_creates_a_user_who_can_log_in(env, settings):
    from parkhq.services.access import authenticate

    result = runner.invoke(
        app,
        [
            "user",
            "add",
            "zhao",
            "--role",
            "province",
            "--scope",
            "330000",
            "--password",
            "p@ssw0rd!",
        ],
    )
    assert result.exit_code == 0, result.output
    login = authenticate(env, settings, "zhao", "p@ssw0rd!")
    assert login.principal.scope.codes == frozenset({"330000"})


def test_user_add_reports_a_bad_role_in_chinese(env):
    result = runner.invoke(
        app, ["user", "add", "qian", "--role", "boss", "--password", "p@ssw0rd!"]
    )
    assert result.exit_code == 2
    assert "角色 'boss' 不存在" in result.output
