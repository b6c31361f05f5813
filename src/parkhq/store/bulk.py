"""Bulk upserts by natural key, with before-images for undo.

``upsert_by_key`` compares a frame with what the table holds for the same keys and then
inserts the new rows (COPY on PostgreSQL, chunked ``executemany`` on SQLite), updates the changed
ones (through a temporary table on PostgreSQL) and leaves unchanged rows alone, all on the
caller's connection so that it commits or rolls back with the rest of the import. It returns
the rows' previous values so that an import can be undone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Table, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from parkhq.store.frames import write_frame

__all__ = [
    "UpsertResult",
    "delete_by_key",
    "read_table_frame",
    "schema_of",
    "update_by_key",
    "upsert_by_key",
]

SQLITE_CHUNK = 20_000
IN_LIST_LIMIT = 2_000


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int
    #: Updated rows as they were: ``row_key`` (key values joined by "|") and ``before`` (JSON).
    before: pl.DataFrame


def schema_of(table: Table, columns: Sequence[str]) -> dict[str, pl.DataType]:
    out: dict[str, pl.DataType] = {}
    for name in columns:
        col_type = table.c[name].type
        if isinstance(col_type, TypeDecorator):
            col_type = col_type.impl_instance
        py = col_type.python_type
        out[name] = {
            int: pl.Int64(),
            float: pl.Float64(),
            bool: pl.Boolean(),
            str: pl.Utf8(),
            date: pl.Date(),
            datetime: pl.Datetime(time_zone="UTC"),
        }.get(py, pl.Utf8())
    return out


def read_table_frame(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    where: Mapping[str, Sequence[Any]] | None = None,
) -> pl.DataFrame:
    """``columns`` of ``table`` (optionally where a column is in a short list) as a frame.

    Reads on the caller's connection (inside its transaction), typed from the table's columns.
    """
    cols = list(columns)
    stmt = f"SELECT {', '.join(cols)} FROM {table.name}"
    params: dict[str, Any] = {}
    if where:
        clauses = []
        for i, (name, values) in enumerate(where.items()):
            clauses.append(f"{name} IN :w{i}")
            params[f"w{i}"] = list(values)
        stmt += " WHERE " + " AND ".join(clauses)
    query = text(stmt)
    for i in range(len(params)):
        query = query.bindparams(bindparam(f"w{i}", expanding=True))
    rows = conn.execute(query, params).all()
    schema = schema_of(table, cols)
    if not rows:
        return pl.DataFrame(schema=schema)
    frame = pl.DataFrame(
        [tuple(r) for r in rows], schema=cols, orient="row", infer_schema_length=None
    )
    return frame.with_columns(_to_dtype(frame, c, schema[c]) for c in cols)


def _to_dtype(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    """Cast one column; SQLite hands dates and timestamps back as ISO text."""
    col = pl.col(name)
    if frame.schema[name] == pl.Utf8 and dtype == pl.Date:
        return col.str.to_date("%Y-%m-%d", strict=False)
    if frame.schema[name] == pl.Utf8 and isinstance(dtype, pl.Datetime):
        return col.str.to_datetime(strict=False, time_zone="UTC")
    return col.cast(dtype, strict=False)


def _prefilter(frame: pl.DataFrame, key: Sequence[str]) -> dict[str, list[Any]] | None:
    """Limit the read of existing rows to one key column's values when they are few."""
    best: tuple[int, str] | None = None
    for name in key:
        n = frame.get_column(name).n_unique()
        if n <= IN_LIST_LIMIT and (best is None or n < best[0]):
            best = (n, name)
    if best is None:
        return None
    return {best[1]: frame.get_column(best[1]).unique().drop_nulls().to_list()}


def _row_key(key: Sequence[str]) -> pl.Expr:
    return pl.concat_str([pl.col(k).cast(pl.Utf8) for k in key], separator="|").alias("row_key")


def _json_before(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """Each row's ``columns`` as a JSON object (dates as ISO text)."""
    out = []
    for row in frame.select(columns).iter_rows(named=True):
        out.append(json.dumps(row, ensure_ascii=False, default=str))
    return pl.Series("before", out, dtype=pl.Utf8)


def upsert_by_key(
    conn: Connection,
    table: Table,
    frame: pl.DataFrame,
    key: Sequence[str],
    columns: Sequence[str],
    *,
    batch_id: int | None = None,
    insert_only: Sequence[str] = (),
    compare_exclude: Sequence[str] = (),
) -> UpsertResult:
    """Insert new keys, update changed rows, skip unchanged ones; return previous values.

    ``columns`` are compared and written (except ``compare_exclude``, such as ``updated_at``,
    which are written but do not make a row "changed"); ``insert_only`` columns (such as
    ``is_demo``) are written on insert only. When ``batch_id`` is given, the table's
    ``batch_id`` column is set on every inserted or updated row.
    """
    key, columns = list(key), [c for c in columns if c not in key]
    schema = schema_of(table, [*key, *columns])
    frame = frame.select([*key, *columns, *insert_only]).cast(schema)  # type: ignore[arg-type]
    stored_cols = [*key, *columns] + (["batch_id"] if batch_id is not None else [])
    existing = read_table_frame(conn, table, stored_cols, _prefilter(frame, key))
    existing = existing.rename({c: f"{c}__old" for c in stored_cols if c not in key})
    joined = frame.join(
        existing.with_columns(pl.lit(True).alias("__found")), on=key, how="left"
    ).with_columns(pl.col("__found").fill_null(False))
    changed = pl.lit(False)
    for c in columns:
        if c not in compare_exclude:
            changed = changed | pl.col(c).ne_missing(pl.col(f"{c}__old"))
    joined = joined.with_columns(__changed=changed)
    inserts = joined.filter(~pl.col("__found"))
    updates = joined.filter(pl.col("__found") & pl.col("__changed"))
    unchanged = joined.height - inserts.height - updates.height

    if inserts.height:
        ins = inserts.select([*key, *columns, *insert_only])
        if batch_id is not None:
            ins = ins.with_columns(pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"))
        write_frame(conn, table.name, ins, list(ins.columns))

    before = pl.DataFrame(schema={"row_key": pl.Utf8, "before": pl.Utf8})
    if updates.height:
        old = updates.select(
            [pl.col(k) for k in key]
            + [pl.col(f"{c}__old").alias(c) for c in stored_cols if c not in key]
        )
        before = pl.DataFrame(
            {
                "row_key": old.select(_row_key(key)).to_series(),
                "before": _json_before(old, [c for c in stored_cols if c not in key]),
            }
        )
        new = updates.select([*key, *columns])
        if batch_id is not None:
            new = new.with_columns(pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"))
        update_by_key(conn, table, new, key)
    return UpsertResult(inserts.height, updates.height, unchanged, before)


def update_by_key(conn: Connection, table: Table, frame: pl.DataFrame, key: Sequence[str]) -> int:
    """Set every non-key column of ``frame`` on the rows matching its key columns."""
    key = list(key)
    values = [c for c in frame.columns if c not in key]
    if frame.height == 0 or not values:
        return 0
    if conn.dialect.name == "postgresql":
        tmp = f"tmp_upd_{table.name}"
        cols_sql = ", ".join(f'"{c}"' for c in frame.columns)
        conn.execute(
            text(
                f'CREATE TEMP TABLE "{tmp}" ON COMMIT DROP AS '
                f'SELECT {cols_sql} FROM "{table.name}" WITH NO DATA'
            )
        )
        write_frame(conn, tmp, frame, frame.columns)
        sets = ", ".join(f'"{c}" = s."{c}"' for c in values)
        match = " AND ".join(f't."{k}" = s."{k}"' for k in key)
        conn.execute(text(f'UPDATE "{table.name}" AS t SET {sets} FROM "{tmp}" AS s WHERE {match}'))
        conn.execute(text(f'DROP TABLE "{tmp}"'))
        return frame.height
    sets = ", ".join(f'"{c}" = ?' for c in values)
    match = " AND ".join(f'"{k}" = ?' for k in key)
    sql = f'UPDATE "{table.name}" SET {sets} WHERE {match}'
    ordered = frame.select([*values, *key])
    for start in range(0, ordered.height, SQLITE_CHUNK):
        conn.exec_driver_sql(sql, ordered.slice(start, SQLITE_CHUNK).rows())
    return frame.height


def delete_by_key(conn: Connection, table: Table, frame: pl.DataFrame, key: Sequence[str]) -> int:
    """Delete the rows whose key columns match a row of ``frame``."""
    key = list(key)
    if frame.height == 0:
        return 0
    stmt = table.delete().where(*(table.c[k] == bindparam(f"k_{k}") for k in key))
    data = frame.select(key).rename({k: f"k_{k}" for k in key})
    for start in range(0, data.height, SQLITE_CHUNK):
        conn.execute(stmt, data.slice(start, SQLITE_CHUNK).to_dicts())
    return frame.height
