"""Loaders that hand Polars frames to ``analysis`` (no ORM objects for big reads).

``read_frame`` runs one SELECT — through ADBC on PostgreSQL, through the ``sqlite3`` module on
SQLite — and returns Polars data; ``write_frame`` appends a frame with the
backend's bulk path (ADBC ingest / COPY on PostgreSQL, chunked ``executemany`` on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl
from sqlalchemy import Select
from sqlalchemy.engine import Connection

from parkhq.store.db import Database

__all__ = ["adbc_connection", "read_frame", "write_frame"]

SQLITE_CHUNK = 50_000
COPY_CHUNK = 200_000


@contextmanager
def adbc_connection(db: Database) -> Iterator[Any]:
    """A DB-API connection of the ADBC PostgreSQL driver for ``db`` (not used for SQLite: see
    :func:`read_frame`)."""
    if db.is_sqlite:
        raise ValueError("ADBC is not used for SQLite (two SQLite libraries in one process)")
    import adbc_driver_postgresql.dbapi as pg_dbapi

    conn = pg_dbapi.connect(db.adbc_uri())
    try:
        yield conn
    finally:
        conn.close()


def _compile(db: Database, query: str | Select[*tuple[Any, ...]]) -> str:
    if isinstance(query, str):
        return query
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    return str(compiled)


def read_frame(
    db: Database,
    query: str | Select[*tuple[Any, ...]],
    schema: dict[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """Run ``query`` (SQL text or a SQLAlchemy Select, literal values only) into a frame.

    PostgreSQL goes through ADBC (Arrow all the way). SQLite goes through the ``sqlite3`` module
    that SQLAlchemy already uses: the ADBC SQLite driver bundles its own SQLite library, and two
    copies of SQLite in one process break SQLite's POSIX file locks (WAL corruption risk).
    ``schema`` casts columns after the read (PostgreSQL ``integer`` arrives as Int32, SQLite
    columns by their stored affinity; SQLite dates arrive as ISO text).
    """
    sql = _compile(db, query)
    if db.is_sqlite:
        with db.engine.connect() as conn:
            result = conn.exec_driver_sql(sql)
            names = list(result.keys())
            rows = result.fetchall()
        frame = pl.DataFrame(
            [tuple(r) for r in rows], schema=names, orient="row", infer_schema_length=None
        )
    else:
        with adbc_connection(db) as conn, conn.cursor() as cur:
            cur.execute(sql)
            table = cur.fetch_arrow_table()
        converted = pl.from_arrow(table)
        assert isinstance(converted, pl.DataFrame)
        frame = converted
    if schema:
        frame = frame.with_columns(
            _cast(frame, name, dtype) for name, dtype in schema.items() if name in frame.columns
        )
    return frame


def _cast(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if frame.schema[name] == pl.Utf8 and dtype == pl.Date:
        return col.str.to_date("%Y-%m-%d", strict=False)
    return col.cast(dtype)


def write_frame(conn: Connection, table: str, frame: pl.DataFrame, columns: Sequence[str]) -> int:
    """Insert ``frame[columns]`` into ``table`` inside the caller's transaction.

    Runs on the caller's SQLAlchemy connection so that it commits or rolls back with the rest of
    the use case. PostgreSQL uses ``COPY … FROM STDIN`` (psycopg 3); SQLite uses chunked
    ``executemany``. Returns the number of rows written.
    """
    cols = list(columns)
    if frame.height == 0:
        return 0
    data = frame.select(cols)
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        col_sql = ", ".join(f'"{c}"' for c in cols)
        sql = f'COPY "{table}" ({col_sql}) FROM STDIN WITH (FORMAT csv)'
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for start in range(0, data.height, COPY_CHUNK):
                # Strings always quoted, nulls unquoted and empty: COPY reads them as NULL.
                chunk = data.slice(start, COPY_CHUNK).write_csv(
                    include_header=False, quote_style="non_numeric", null_value=""
                )
                copy.write(chunk.encode("utf-8"))
        return data.height
    placeholders = ", ".join("?" for _ in cols)
    sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({placeholders})'
    for start in range(0, data.height, SQLITE_CHUNK):
        conn.exec_driver_sql(sql, data.slice(start, SQLITE_CHUNK).rows())
    return data.height
