"""Writing validated exchange-format frames into the tables (parks, enterprises, land, months).

Each writer maps the clean frame of one exchange format (:mod:`parkhq.ingest.formats`) onto its
table, resolves codes to ids (park code → park, USCC → enterprise, region → province/city) and
upserts on the natural key through :func:`parkhq.store.bulk.upsert_by_key`, on the caller's
connection (one transaction per file).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table

from parkhq.reference.enterprise_size import classify_size_frame
from parkhq.reference.regions import region_catalogue
from parkhq.store.bulk import (
    UpsertResult,
    delete_by_key,
    read_table_frame,
    update_by_key,
    upsert_by_key,
)
from parkhq.store.frames import write_frame
from parkhq.store.models import Enterprise, EnterpriseLabel, LandParcel, Park, PeriodReport

__all__ = ["MONTHLY_VALUES", "TABLES", "WRITERS", "table_of"]

MONTHLY_VALUES = [
    "output_value",
    "revenue",
    "value_added",
    "tax",
    "profit",
    "energy_tce",
    "electricity",
    "emission_t",
    "employees",
    "rd_expense",
    "export_value",
    "investment",
]


def table_of(model: Any) -> Table:
    """The Core table of an ORM model."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _lookup(conn: Connection, table: Table, key: str) -> pl.DataFrame:
    return read_table_frame(conn, table, ["id", key])


def _park_places(frame: pl.DataFrame) -> pl.DataFrame:
    """Province, prefecture and county codes of catalogue rows (from the code and the 城市/区县)."""
    regions = region_catalogue()
    provinces, cities, counties = [], [], []
    for code, city in frame.select("code", "city").iter_rows():
        province = f"{code[1:3]}0000" if code and len(code) >= 3 else ""
        if regions.find(province) is None:
            province = ""
        city_code, county_code = None, None
        text_ = (city or "").strip()
        if province and text_:
            for pref in regions.children(province):
                if pref.name.startswith(text_) or text_.startswith(pref.name.rstrip("市州盟区")):
                    city_code = pref.code
                    break
            if city_code is None:
                for pref in regions.children(province):
                    county = next(
                        (c for c in regions.children(pref.code) if c.name.startswith(text_)), None
                    )
                    if county is not None:
                        city_code, county_code = pref.code, county.code
                        break
        provinces.append(province or None)
        cities.append(city_code)
        counties.append(county_code)
    return frame.with_columns(
        pl.Series("province_code", provinces, dtype=pl.Utf8),
        pl.Series("city_code", cities, dtype=pl.Utf8),
        pl.Series("region_code", counties, dtype=pl.Utf8),
    )


def _write_parks(conn: Connection, frame: pl.DataFrame, batch: int, demo: bool) -> UpsertResult:
    given = {"province_code", "city_code", "region_code"}
    places = frame if given <= set(frame.columns) else _park_places(frame)
    rows = places.select(
        "code",
        "name",
        pl.when(pl.col("code").str.starts_with("G"))
        .then(pl.lit("国家级"))
        .otherwise(pl.lit("省级"))
        .alias("level"),
        pl.col("level").fill_null("").alias("approval_authority"),
        pl.col("type").fill_null(""),
        pl.col("province_code").fill_null(""),
        "city_code",
        "region_code",
        pl.col("city").fill_null("").alias("city_name"),
        pl.col("approved_on").fill_null(""),
        "area_ha",
        pl.col("declared_industries").fill_null(""),
        pl.lit(demo).alias("is_demo"),
    )
    now = datetime.now(UTC)
    rows = rows.with_columns(pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at"))
    cols = [c for c in rows.columns if c not in ("code", "is_demo", "created_at")]
    return upsert_by_key(
        conn,
        table_of(Park),
        rows,
        ["code"],
        cols,
        batch_id=batch,
        insert_only=["is_demo", "created_at"],
        compare_exclude=["updated_at"],
    )


def _write_enterprises(
    conn: Connection, frame: pl.DataFrame, batch: int, demo: bool
) -> UpsertResult:
    parks = read_table_frame(conn, table_of(Park), ["id", "code", "province_code", "city_code"])
    regions = (
        region_catalogue()
        .frame()
        .select(
            pl.col("code").alias("region_code"),
            pl.col("province_code").alias("r_province"),
            pl.col("parent").alias("r_parent"),
            pl.col("level").alias("r_level"),
        )
    )
    rows = (
        frame.join(parks.rename({"id": "park_id", "code": "park_code"}), on="park_code", how="left")
        .join(regions, on="region_code", how="left")
        .with_columns(
            pl.coalesce(pl.col("r_province"), pl.col("province_code"), pl.lit("")).alias(
                "province_code"
            ),
            pl.coalesce(
                pl.when(pl.col("r_level") == "county").then(pl.col("r_parent")),
                pl.when(pl.col("r_level") == "prefecture").then(pl.col("region_code")),
                pl.col("city_code"),
            ).alias("city_code"),
        )
    )
    now = datetime.now(UTC)
    out = rows.select(
        "uscc",
        "name",
        "park_id",
        "industry_code",
        "province_code",
        "city_code",
        "region_code",
        "founded_on",
        pl.col("above_scale").fill_null(False),
        pl.col("products").fill_null(""),
        *([pl.col("size_class")] if "size_class" in rows.columns else []),
        pl.lit(demo).alias("is_demo"),
        pl.lit(now).alias("created_at"),
        pl.lit(now).alias("updated_at"),
    )
    # A size class given with the registry (the generator's) is a starting value; monthly
    # reports refine it (see _refresh_size_classes), so it is written on insert only.
    first_only = ["is_demo", "created_at", *(["size_class"] if "size_class" in out.columns else [])]
    cols = [c for c in out.columns if c not in ("uscc", *first_only)]
    result = upsert_by_key(
        conn,
        table_of(Enterprise),
        out,
        ["uscc"],
        cols,
        batch_id=batch,
        insert_only=first_only,
        compare_exclude=["updated_at"],
    )
    _write_labels(conn, frame)
    return result


def _write_labels(conn: Connection, frame: pl.DataFrame) -> None:
    """Replace the labels of the file's enterprises with the file's (当 企业标签 column given)."""
    if "labels" not in frame.columns:
        return
    ids = _lookup(conn, table_of(Enterprise), "uscc")
    labelled = (
        frame.select("uscc", "labels")
        .join(ids, on="uscc")
        .explode("labels")
        .drop_nulls("labels")
        .unique(["id", "labels"])
    )
    current = read_table_frame(conn, table_of(EnterpriseLabel), ["enterprise_id", "label"])
    touched = ids.filter(pl.col("uscc").is_in(frame.get_column("uscc").implode()))
    current = current.filter(pl.col("enterprise_id").is_in(touched.get_column("id").implode()))
    wanted = labelled.select(pl.col("id").alias("enterprise_id"), pl.col("labels").alias("label"))
    stale = current.join(wanted, on=["enterprise_id", "label"], how="anti")
    new = wanted.join(current, on=["enterprise_id", "label"], how="anti")
    delete_by_key(conn, table_of(EnterpriseLabel), stale, ["enterprise_id", "label"])
    write_frame(conn, "enterprise_label", new, ["enterprise_id", "label"])


def _write_parcels(conn: Connection, frame: pl.DataFrame, batch: int, _demo: bool) -> UpsertResult:
    parks = _lookup(conn, table_of(Park), "code").rename({"id": "park_id", "code": "park_code"})
    holders = _lookup(conn, table_of(Enterprise), "uscc").rename(
        {"id": "holder_id", "uscc": "holder_uscc"}
    )
    now = datetime.now(UTC)
    rows = (
        frame.join(parks, on="park_code", how="left")
        .join(holders, on="holder_uscc", how="left")
        .select(
            "parcel_code",
            "park_id",
            "holder_id",
            "area_mu",
            pl.col("supply_mode").fill_null(""),
            "start_on",
            pl.col("term_years").cast(pl.Float64),
            "floor_area_m2",
            "status",
            pl.lit(now).alias("created_at"),
            pl.lit(now).alias("updated_at"),
        )
    )
    cols = [c for c in rows.columns if c not in ("parcel_code", "created_at")]
    return upsert_by_key(
        conn,
        table_of(LandParcel),
        rows,
        ["parcel_code"],
        cols,
        batch_id=batch,
        insert_only=["created_at"],
        compare_exclude=["updated_at"],
    )


def _write_monthly(conn: Connection, frame: pl.DataFrame, batch: int, _demo: bool) -> UpsertResult:
    ids = _lookup(conn, table_of(Enterprise), "uscc").rename({"id": "enterprise_id"})
    rows = frame.join(ids, on="uscc", how="left").select("enterprise_id", "period", *MONTHLY_VALUES)
    result = upsert_by_key(
        conn,
        table_of(PeriodReport),
        rows,
        ["enterprise_id", "period"],
        MONTHLY_VALUES,
        batch_id=batch,
    )
    _refresh_size_classes(conn, rows)
    return result


def _window(last_period: str, months: int = 12) -> list[str]:
    """The ``months`` periods ``YYYY-MM`` ending at ``last_period``."""
    year, month = int(last_period[:4]), int(last_period[5:7])
    index = year * 12 + month - 1
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def _refresh_size_classes(conn: Connection, rows: pl.DataFrame) -> None:
    """Size class (大/中/小/微) of the file's firms over the 12 months ending at the file's latest
    period: revenue annualised from the months reported, employees averaged.

    Months of the window that the file does not carry are read from the store (one IN query on
    the indexed period), so a one-month file still sees the year.
    """
    if rows.is_empty():
        return
    window = _window(str(rows.get_column("period").max()))
    ids = rows.get_column("enterprise_id").unique()
    inside = rows.filter(pl.col("period").is_in(window)).select(
        "enterprise_id", "period", "revenue", "employees"
    )
    missing = sorted(set(window) - set(inside.get_column("period").unique().to_list()))
    if missing:
        stored = read_table_frame(
            conn,
            table_of(PeriodReport),
            ["enterprise_id", "period", "revenue", "employees"],
            {"period": missing},
        ).filter(pl.col("enterprise_id").is_in(ids.implode()))
        inside = pl.concat([inside, stored], how="vertical_relaxed")
    yearly = (
        inside.group_by("enterprise_id")
        .agg(
            pl.col("revenue").sum().alias("revenue"),
            pl.col("employees").mean().round(0).cast(pl.Int64).alias("employees"),
            pl.col("revenue").count().alias("months"),
        )
        .filter(pl.col("months") > 0)
        .with_columns(pl.col("revenue") * 12 / pl.col("months"))
    )
    industries = read_table_frame(conn, table_of(Enterprise), ["id", "industry_code"]).rename(
        {"id": "enterprise_id"}
    )
    frame = yearly.join(industries, on="enterprise_id").drop_nulls(
        ["revenue", "employees", "industry_code"]
    )
    sizes = frame.with_columns(classify_size_frame(frame).alias("size_class"))
    update_by_key(
        conn,
        table_of(Enterprise),
        sizes.select(pl.col("enterprise_id").alias("id"), "size_class"),
        ["id"],
    )


WRITERS: dict[str, Callable[[Connection, pl.DataFrame, int, bool], UpsertResult]] = {
    "park_registry": _write_parks,
    "enterprise_registry": _write_enterprises,
    "land_parcels": _write_parcels,
    "monthly_report": _write_monthly,
}
TABLES = {
    "park_registry": (table_of(Park), ["code"]),
    "enterprise_registry": (table_of(Enterprise), ["uscc"]),
    "land_parcels": (table_of(LandParcel), ["parcel_code"]),
    "monthly_report": (table_of(PeriodReport), ["enterprise_id", "period"]),
}
