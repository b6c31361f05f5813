"""Counts for the home page and ``parkhq stats``: parks, firms, parcels, report rows, months."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from parkhq.services.access import Principal
from parkhq.store.db import Database
from parkhq.store.models import Enterprise, LandParcel, Park, PeriodReport
from parkhq.store.scope import scoped

__all__ = ["CountRow", "Overview", "Stats", "overview", "stats"]


class Stats(BaseModel):
    parks: int
    enterprises: int
    above_scale_enterprises: int
    parcels: int
    report_rows: int
    months_covered: int
    first_period: str | None
    last_period: str | None


class CountRow(BaseModel):
    level: str
    type: str
    parks: int
    area_ha: float


class Overview(BaseModel):
    stats: Stats
    by_level_type: list[CountRow]


def _count(s: Session, stmt: Select[Any]) -> int:
    return int(s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def stats(db: Database, principal: Principal) -> Stats:
    """What the store holds within the principal's scope."""
    principal.require("stats:read")
    sc = principal.scope
    with db.transaction() as s:
        reports = scoped(select(PeriodReport.period), PeriodReport, sc).subquery()
        rep = s.execute(
            select(
                func.count(),
                func.count(distinct(reports.c.period)),
                func.min(reports.c.period),
                func.max(reports.c.period),
            ).select_from(reports)
        ).one()
        return Stats(
            parks=_count(s, scoped(select(Park.id), Park, sc)),
            enterprises=_count(s, scoped(select(Enterprise.id), Enterprise, sc)),
            above_scale_enterprises=_count(
                s, scoped(select(Enterprise.id).where(Enterprise.above_scale), Enterprise, sc)
            ),
            parcels=_count(s, scoped(select(LandParcel.id), LandParcel, sc)),
            report_rows=int(rep[0] or 0),
            months_covered=int(rep[1] or 0),
            first_period=rep[2],
            last_period=rep[3],
        )


def overview(db: Database, principal: Principal) -> Overview:
    """Stats plus park counts by approval level and type (the home page chart)."""
    base = stats(db, principal)
    with db.transaction() as s:
        rows = s.execute(
            scoped(
                select(
                    Park.level, Park.type, func.count(), func.coalesce(func.sum(Park.area_ha), 0.0)
                )
                .group_by(Park.level, Park.type)
                .order_by(Park.level, Park.type),
                Park,
                principal.scope,
            )
        ).all()
    return Overview(
        stats=base,
        by_level_type=[
            CountRow(level=lv, type=tp, parks=n, area_ha=round(float(a or 0.0), 2))
            for lv, tp, n, a in rows
        ],
    )
