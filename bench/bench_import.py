"""Import a monthly report with full validation vs a raw bulk load of the same rows.

Same script, same data, same database, each run in a fresh process (so peak memory is that
run's own):

- reference: ``polars.read_csv`` → USCC → enterprise id → bulk insert (COPY on PostgreSQL,
  executemany on SQLite), no validation, one transaction;
- ParkHQ: ``services.imports.import_file`` — encoding detection, header mapping, every check of
  the monthly-report format (USCC check digits, types, bounds, duplicates, references,
  industry-median and month-on-month warnings), upsert on (USCC, period), batch bookkeeping.

Usage::

    .venv/bin/python bench/bench_import.py --rows 1000000 --backend sqlite
    .venv/bin/python bench/bench_import.py --rows 1000000 --backend postgres \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/parkhq_bench

Goal (issue: data intake): ParkHQ / reference ≤ 2×.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MONTHS_PER_FIRM = 25


def _periods(n: int) -> list[str]:
    return [f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def build(url: str, rows: int, workdir: Path) -> Path:
    """Migrate, load reference data, register the firms; write the monthly CSV."""
    import polars as pl
    from sqlalchemy import text

    from parkhq.reference.uscc import make_uscc
    from parkhq.services import access
    from parkhq.services.imports import import_frames
    from parkhq.services.reference import load_reference
    from parkhq.store.db import Database

    db = Database(url)
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.upgrade()
    access.seed_roles(db)
    load_reference(db)
    firms = rows // MONTHS_PER_FIRM
    codes = [make_uscc("9", "1", "330102", f"MB{i:07d}") for i in range(firms)]
    admin = access.system_principal("bench")
    parks = pl.DataFrame(
        {
            "seq": [1],
            "code": ["S337001"],
            "name": ["基准经济开发区"],
            "province": ["浙江省"],
            "city": ["杭州"],
            "level": ["省政府"],
            "type": ["经济开发区"],
            "approved_on": ["2006-03"],
            "area_ha": [800.0],
            "declared_industries": ["装备制造"],
        }
    )
    registry = pl.DataFrame(
        {
            "uscc": codes,
            "name": [f"基准第{i}机械有限公司" for i in range(firms)],
            "park_code": ["S337001"] * firms,
            "industry_code": ["3484"] * firms,
            "founded_on": [None] * firms,
            "above_scale": [True] * firms,
            "labels": [[]] * firms,
            "products": [""] * firms,
            "region_code": ["330102"] * firms,
        },
        schema_overrides={"founded_on": pl.Date, "labels": pl.List(pl.Utf8)},
    )
    import_frames(db, admin, {"park_registry": parks, "enterprise_registry": registry}, source="b")
    db.dispose()
    periods = _periods(MONTHS_PER_FIRM)
    frame = (
        pl.DataFrame({"uscc": codes})
        .join(pl.DataFrame({"period": periods}), how="cross")
        .with_row_index("i")
    )
    frame = frame.select(
        pl.col("uscc").alias("统一社会信用代码"),
        pl.lit("基准公司").alias("企业名称"),
        pl.col("period").alias("报告期"),
        (1000 + pl.col("i") % 997).cast(pl.Float64).alias("工业总产值(万元)"),
        (950 + pl.col("i") % 991).cast(pl.Float64).alias("营业收入(万元)"),
        (250 + pl.col("i") % 89).cast(pl.Float64).alias("工业增加值(万元)"),
        (40 + pl.col("i") % 13).cast(pl.Float64).alias("税收(万元)"),
        (60 + pl.col("i") % 7).cast(pl.Float64).alias("利润总额(万元)"),
        (12 + pl.col("i") % 5).cast(pl.Float64).alias("综合能耗(吨标准煤)"),
        (30 + pl.col("i") % 11).cast(pl.Float64).alias("用电量(万千瓦时)"),
        (50 + pl.col("i") % 17).alias("从业人员(人)"),
    )
    path = workdir / "monthly.csv"
    frame.write_csv(path)
    return path


def _clear(url: str) -> None:
    from sqlalchemy import text

    from parkhq.store.db import Database

    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM period_report"))
        conn.execute(text("DELETE FROM import_change"))
        conn.execute(text("DELETE FROM import_batch WHERE kind = 'monthly_report'"))
    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
    db.dispose()


def run_reference(url: str, path: str, queue: Any) -> None:
    import polars as pl

    from parkhq.store.bulk import read_table_frame
    from parkhq.store.db import Database
    from parkhq.store.frames import write_frame
    from parkhq.store.models import Enterprise

    db = Database(url)
    started = time.perf_counter()
    frame = pl.read_csv(path, schema_overrides={"统一社会信用代码": pl.Utf8, "报告期": pl.Utf8})
    renamed = frame.rename(
        {
            "统一社会信用代码": "uscc",
            "报告期": "period",
            "工业总产值(万元)": "output_value",
            "营业收入(万元)": "revenue",
            "工业增加值(万元)": "value_added",
            "税收(万元)": "tax",
            "利润总额(万元)": "profit",
            "综合能耗(吨标准煤)": "energy_tce",
            "用电量(万千瓦时)": "electricity",
            "从业人员(人)": "employees",
        }
    )
    with db.engine.begin() as conn:
        ids = read_table_frame(conn, Enterprise.__table__, ["id", "uscc"])  # type: ignore[arg-type]
        rows = renamed.join(ids.rename({"id": "enterprise_id"}), on="uscc")
        cols = [
            "enterprise_id",
            "period",
            "output_value",
            "revenue",
            "value_added",
            "tax",
            "profit",
            "energy_tce",
            "electricity",
            "employees",
        ]
        write_frame(conn, "period_report", rows.select(cols), cols)
    seconds = time.perf_counter() - started
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rows.height))


def run_parkhq(url: str, path: str, queue: Any) -> None:
    from parkhq.reference.industries import industry_catalogue
    from parkhq.reference.regions import region_catalogue
    from parkhq.services.access import system_principal
    from parkhq.services.imports import import_file
    from parkhq.store.db import Database

    # A running server has its reference catalogues loaded once; warm them as it would.
    industry_catalogue()
    region_catalogue()
    db = Database(url)
    started = time.perf_counter()
    data = Path(path).read_bytes()
    outcome = import_file(db, system_principal("bench"), data, "monthly.csv")
    seconds = time.perf_counter() - started
    assert outcome.status == "committed", outcome.message
    queue.put(
        (
            seconds,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            outcome.sheets[0].rows_inserted,
        )
    )


def _in_child(target: Any, *args: Any) -> tuple[float, int, int]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result  # type: ignore[no-any-return]


def bench(url: str, rows: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = build(url, rows, Path(tmp))
        best: dict[str, tuple[float, int, int]] = {}
        for _ in range(repeats):
            for name, target in (("reference", run_reference), ("parkhq", run_parkhq)):
                _clear(url)
                result = _in_child(target, url, str(path))
                if name not in best or result[0] < best[name][0]:
                    best[name] = result
        ref, ours = best["reference"], best["parkhq"]
        backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
        print(f"{backend}: {ours[2]:,} rows (file {path.stat().st_size / 1e6:.0f} MB)")
        print(f"  raw bulk load (no validation): {ref[0]:7.2f} s  peak RSS {ref[1] / 1024:7.0f} MB")
        print(
            f"  ParkHQ import (full checks):   {ours[0]:7.2f} s  peak RSS {ours[1] / 1024:7.0f} MB"
        )
        print(f"  ratio ParkHQ / raw: {ours[0] / ref[0]:.2f}×  (goal ≤ 2×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/parkhq_bench"
    )
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{tmp}/bench.db", args.rows, args.repeats)
    if args.backend in ("postgres", "both"):
        bench(args.pg_url, args.rows, args.repeats)


if __name__ == "__main__":
    sys.exit(main())
