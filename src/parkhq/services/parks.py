"""Parks: list, detail (with its enterprises and land), counts by level and type."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import case, func, or_, select

from parkhq.errors import NotFound
from parkhq.services.access import Principal
from parkhq.store.db import Database
from parkhq.store.models import Enterprise, LandParcel, Park
from parkhq.store.scope import scoped

__all__ = [
    "EnterpriseBrief",
    "LandParcelPublic",
    "ParkDetail",
    "ParkPage",
    "ParkPublic",
    "get_park",
    "list_parks",
]


class ParkPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    type: str
    province_code: str
    city_code: str | None
    city_name: str
    approved_on: str
    area_ha: float | None
    declared_industries: str
    is_demo: bool


class ParkPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ParkPublic]


class EnterpriseBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    uscc: str
    name: str
    industry_code: str | None
    size_class: str | None
    above_scale: bool


class LandParcelPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    parcel_code: str
    area_mu: float
    supply_mode: str
    start_on: date | None
    term_years: float | None
    floor_area_m2: float | None
    status: str
    holder_uscc: str | None = None
    holder_name: str | None = None


class ParkDetail(ParkPublic):
    enterprise_count: int
    above_scale_count: int
    land_area_mu: float
    enterprises: list[EnterpriseBrief]
    parcels: list[LandParcelPublic]


def list_parks(
    db: Database,
    principal: Principal,
    *,
    q: str = "",
    level: str = "",
    type: str = "",
    city_code: str = "",
    offset: int = 0,
    limit: int = 50,
) -> ParkPage:
    """Parks in the principal's scope, filtered and paged, ordered by code."""
    principal.require("park:read")
    stmt = scoped(select(Park), Park, principal.scope)
    if q:
        stmt = stmt.where(or_(Park.name.contains(q), Park.code.contains(q)))
    if level:
        stmt = stmt.where(Park.level == level)
    if type:
        stmt = stmt.where(Park.type == type)
    if city_code:
        stmt = stmt.where(Park.city_code == city_code)
    with db.transaction() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(Park.code).offset(offset).limit(limit)).all()
        items = [ParkPublic.model_validate(r) for r in rows]
    return ParkPage(total=total, offset=offset, limit=limit, items=items)


def get_park(
    db: Database, principal: Principal, code: str, *, enterprise_limit: int = 200
) -> ParkDetail:
    """One park in scope, with its enterprises (largest first by name order) and land parcels."""
    principal.require("park:read")
    with db.transaction() as s:
        park = s.scalar(scoped(select(Park).where(Park.code == code), Park, principal.scope))
        if park is None:
            raise NotFound(f"园区 '{code}' 不存在或不在您的权限范围内")
        ent_stmt = scoped(
            select(Enterprise).where(Enterprise.park_id == park.id), Enterprise, principal.scope
        )
        sub = ent_stmt.subquery()
        counts = s.execute(
            select(func.count(), func.sum(case((sub.c.above_scale, 1), else_=0))).select_from(sub)
        ).one()
        enterprises = s.scalars(
            ent_stmt.order_by(Enterprise.above_scale.desc(), Enterprise.name).limit(
                enterprise_limit
            )
        ).all()
        parcel_rows = s.execute(
            scoped(
                select(LandParcel, Enterprise.uscc, Enterprise.name)
                .outerjoin(Enterprise, Enterprise.id == LandParcel.holder_id)
                .where(LandParcel.park_id == park.id),
                LandParcel,
                principal.scope,
            ).order_by(LandParcel.parcel_code)
        ).all()
        parcels = [
            LandParcelPublic.model_validate(p).model_copy(
                update={"holder_uscc": uscc, "holder_name": name}
            )
            for p, uscc, name in parcel_rows
        ]
        return ParkDetail(
            **ParkPublic.model_validate(park).model_dump(),
            enterprise_count=counts[0] or 0,
            above_scale_count=int(counts[1] or 0),
            land_area_mu=round(sum(p.area_mu for p in parcels), 2),
            enterprises=[EnterpriseBrief.model_validate(e) for e in enterprises],
            parcels=parcels,
        )
