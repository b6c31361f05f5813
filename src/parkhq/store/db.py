"""Engine, sessions and schema migration.

:class:`Database` is built from :class:`~parkhq.settings.Settings`; nothing is created at import
time. SQLite runs in WAL mode with foreign keys on; PostgreSQL is reached with psycopg 3.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from parkhq.settings import Settings
from parkhq.store.audit import Actor, install_audit

__all__ = ["Database", "normalise_url"]

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs and make SQLite paths absolute."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:":
        u = u.set(database=str(Path(u.database).resolve()))
    return u.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """One database: its engine, a session factory and the ADBC URI for frame loading."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def new_session(self, actor: Actor | None = None) -> Session:
        session = self._factory()
        install_audit(session, actor)
        return session

    @contextmanager
    def transaction(self, actor: Actor | None = None) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on any error."""
        session = self.new_session(actor)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision``."""
        from alembic import command

        command.upgrade(self.alembic_config(), revision)

    def alembic_config(self) -> Any:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        cfg.attributes["engine"] = self.engine
        return cfg

    def adbc_uri(self) -> str:
        """The URI an ADBC driver takes for this database (absolute path for SQLite)."""
        parsed = make_url(self.url)
        if self.is_sqlite:
            return str(parsed.database)
        return parsed.set(drivername="postgresql").render_as_string(hide_password=False)

    def dispose(self) -> None:
        self.engine.dispose()
