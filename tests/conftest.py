"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when
``PARKHQ_TEST_DATABASE_URL`` is set), the web app, and logged-in clients per role."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from parkhq.services import access
from parkhq.services.reference import load_reference
from parkhq.settings import Settings
from parkhq.store.db import Database
from parkhq.store.models import Base

# argon2id with production parameters costs ~0.1–1 s per hash on two busy cores; tests use the
# same algorithm with minimal cost.
access.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

PG_URL = os.environ.get("PARKHQ_TEST_DATABASE_URL", "")
#: Tables loaded once per session and kept between tests.
KEEP = {
    "alembic_version",
    "region",
    "industry",
    "industry_category",
    "industry_category_code",
    "role",
}

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not PG_URL, reason="PARKHQ_TEST_DATABASE_URL 未设置"),
        ],
    ),
]


def _prepare(db: Database) -> None:
    db.upgrade()
    access.seed_roles(db)
    load_reference(db)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "parkhq.db"
    db = Database(f"sqlite:///{path}")
    _prepare(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Database]:
    db = Database(PG_URL)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    _prepare(db)
    yield db
    db.dispose()


def _truncate_pg(db: Database) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in KEEP]
    if tables:
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database with roles and reference data, empty of business rows."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "parkhq.db"
        shutil.copyfile(template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
    else:
        database = request.getfixturevalue("pg_database")
        _truncate_pg(database)
        yield database


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(
        environment="test",
        database_url=db.url,
        secret_key="test-secret-key-not-for-production",
        login_max_failures=3,
    )


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from parkhq.web import create_app

    return create_app(settings, db)


@pytest.fixture
def world(db: Database):  # type: ignore[no-untyped-def]
    from factories import build_world

    return build_world(db)


@pytest.fixture
def client_for(app, world):  # type: ignore[no-untyped-def]
    """``client_for("park")`` → a TestClient logged in as the park-committee user of the world."""
    from fastapi.testclient import TestClient

    from factories import login

    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(app)
        clients.append(client)
        login(client, world.users[role])
        return client

    yield make
    for c in clients:
        c.close()
