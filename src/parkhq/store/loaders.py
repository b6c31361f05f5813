"""Frames for analysis: firm-level annual facts, read within a user's scope.

These are the inputs the analysis capabilities share (structure and 主导产业, 亩均效益,
monitoring): one row per enterprise with its park, region, industry and land, and its monthly
reports summed over a year (or the 12 months ending at a period).
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import func, select

from parkhq.store.db import Database
from parkhq.store.frames import read_frame
from parkhq.store.models import Enterprise, LandParcel, Park, PeriodReport
from parkhq.store.scope import Scope, scoped

__all__ = [
    "FLOW_MEASURES",
    "annual_firm_facts",
    "latest_period",
    "park_frame",
    "trailing_periods",
    "year_periods",
]

#: Monthly flows summed over the year (万元, tce, 万千瓦时, 吨); employees are averaged.
FLOW_MEASURES = (
    "output_value",
    "revenue",
    "value_added",
    "tax",
    "profit",
    "energy_tce",
    "electricity",
    "emission_t",
    "rd_expense",
    "export_value",
    "investment",
)


def year_periods(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def trailing_periods(last: str, months: int = 12) -> list[str]:
    """The ``months`` periods ending at ``last`` (``YYYY-MM``)."""
    index = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def latest_period(db: Database, scope: Scope) -> str | None:
    """The latest 报告期 with any report in the scope."""
    with db.transaction() as s:
        value = s.scalar(scoped(select(func.max(PeriodReport.period)), PeriodReport, scope))
    return str(value) if value else None


def park_frame(db: Database, scope: Scope) -> pl.DataFrame:
    """Parks in scope: code, name, level, type, province_code, city_code, area_ha, declared."""
    stmt = scoped(
        select(
            Park.id.label("park_id"),
            Park.code.label("park_code"),
            Park.name,
            Park.level,
            Park.type,
            Park.province_code,
            Park.city_code,
            Park.area_ha,
            Park.declared_industries,
            Park.is_demo,
        ),
        Park,
        scope,
    )
    return read_frame(
        db, stmt, schema={"park_id": pl.Int64(), "area_ha": pl.Float64(), "is_demo": pl.Boolean()}
    )


def annual_firm_facts(
    db: Database, scope: Scope, *, periods: list[str] | None = None
) -> pl.DataFrame:
    """One row per enterprise in scope with its yearly totals over ``periods``.

    Columns: enterprise_id, uscc, name, park_id, park_code, province_code, city_code,
    industry_code, above_scale, size_class, founded_on, land_mu (亩 of the parcels it holds),
    the :data:`FLOW_MEASURES` summed over the months reported (万元, tce, 万千瓦时, 吨),
    employees (人, mean of the months reported) and months_reported. Firms without a report in
    the periods have nulls and ``months_reported`` 0. Default periods: the 12 months ending at
    the latest period in scope.
    """
    if periods is None:
        last = latest_period(db, scope)
        periods = trailing_periods(last) if last else []
    firms = read_frame(
        db,
        scoped(
            select(
                Enterprise.id.label("enterprise_id"),
                Enterprise.uscc,
                Enterprise.name,
                Enterprise.park_id,
                Park.code.label("park_code"),
                Enterprise.province_code,
                Enterprise.city_code,
                Enterprise.industry_code,
                Enterprise.above_scale,
                Enterprise.size_class,
                Enterprise.founded_on,
            ).outerjoin(Park, Park.id == Enterprise.park_id),
            Enterprise,
            scope,
        ),
        schema={"enterprise_id": pl.Int64(), "park_id": pl.Int64(), "above_scale": pl.Boolean()},
    )
    land = (
        read_frame(
            db,
            scoped(
                select(LandParcel.holder_id.label("enterprise_id"), LandParcel.area_mu),
                LandParcel,
                scope,
            ).where(LandParcel.holder_id.is_not(None)),
            schema={"enterprise_id": pl.Int64(), "area_mu": pl.Float64()},
        )
        .group_by("enterprise_id")
        .agg(pl.col("area_mu").sum().alias("land_mu"))
    )
    if periods:
        reports = read_frame(
            db,
            scoped(
                select(
                    PeriodReport.enterprise_id,
                    *(getattr(PeriodReport, m) for m in FLOW_MEASURES),
                    PeriodReport.employees,
                ).where(PeriodReport.period.in_(periods)),
                PeriodReport,
                scope,
            ),
            schema={"enterprise_id": pl.Int64(), **dict.fromkeys(FLOW_MEASURES, pl.Float64())},
        )
    else:
        reports = pl.DataFrame(
            schema={
                "enterprise_id": pl.Int64,
                **dict.fromkeys(FLOW_MEASURES, pl.Float64()),
                "employees": pl.Int64,
            }
        )
    yearly = reports.group_by("enterprise_id").agg(
        # a measure never reported in the window stays null (no data), not 0
        *(pl.when(pl.col(m).count() > 0).then(pl.col(m).sum()).alias(m) for m in FLOW_MEASURES),
        pl.col("employees").mean().alias("employees"),
        pl.len().alias("months_reported"),
    )
    return (
        firms.join(land, on="enterprise_id", how="left")
        .join(yearly, on="enterprise_id", how="left")
        .with_columns(pl.col("months_reported").fill_null(0).cast(pl.Int64))
    )
