"""``parkhq land run create|list`` against a migrated database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from land_factories import add_land_firms
from parkhq.cli.land import app

runner = CliRunner()


@pytest.fixture
def env(db, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PARKHQ_DATABASE_URL", db.url)
    monkeypatch.setenv("PARKHQ_LOG_LEVEL", "WARNING")
    return db


def close(db):  # type: ignore[no-untyped-def]
    """Close the fixture's pooled connections before the CLI opens its own engine: on SQLite,
    a second engine plus the ADBC driver's own SQLite copy in one process lose the WAL."""
    db.dispose()


def test_run_create_with_a_preset_and_list(env, world):
    add_land_firms(env, world, above=12, below=0)
    close(env)
    result = runner.invoke(
        app, ["run", "create", "--year", "2025", "--preset", "huangyan-2023", "--scope", "330100"]
    )
    assert result.exit_code == 0, result.output
    assert "已生成评价 1：杭州市 2025 年度亩均效益综合评价（12 家企业，草稿）" in result.output
    assert "规上 D：1 家" in result.output and "内容哈希：sha256:" in result.output
    listed = runner.invoke(app, ["run", "list", "--year", "2025"])
    assert listed.exit_code == 0 and "草稿" in listed.output and "330100" in listed.output


def test_run_create_errors_exit_2_in_chinese(env, world):
    close(env)
    result = runner.invoke(
        app, ["run", "create", "--year", "2025", "--preset", "nowhere", "--scope", "330100"]
    )
    assert result.exit_code == 2 and "没有名为 'nowhere' 的规则集预设" in result.output
    empty = runner.invoke(
        app, ["run", "create", "--year", "2019", "--preset", "huangyan-2023", "--scope", "330100"]
    )
    assert empty.exit_code == 2 and "没有企业月报数据" in empty.output
