"""Enterprises: detail with labels, land held and recent monthly reports."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from parkhq.errors import NotFound
from parkhq.reference.uscc import normalise_uscc, uscc_problem
from parkhq.services.access import Principal
from parkhq.services.parks import LandParcelPublic
from parkhq.store.db import Database
from parkhq.store.models import Enterprise, Industry, LandParcel, Park, PeriodReport
from parkhq.store.scope import scoped

__all__ = ["EnterpriseDetail", "PeriodReportPublic", "get_enterprise"]


class PeriodReportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period: str
    output_value: float | None
    revenue: float | None
    value_added: float | None
    tax: float | None
    profit: float | None
    energy_tce: float | None
    electricity: float | None
    emission_t: float | None
    employees: int | None
    rd_expense: float | None
    export_value: float | None
    investment: float | None


class EnterpriseDetail(BaseModel):
    uscc: str
    name: str
    park_code: str | None
    park_name: str | None
    industry_code: str | None
    industry_name: str | None
    province_code: str
    city_code: str | None
    region_code: str | None
    founded_on: date | None
    above_scale: bool
    size_class: str | None
    products: str
    labels: list[str]
    is_demo: bool
    parcels: list[LandParcelPublic]
    reports: list[PeriodReportPublic]


def get_enterprise(
    db: Database, principal: Principal, uscc: str, *, months: int = 36
) -> EnterpriseDetail:
    """One enterprise in scope with its land and its latest ``months`` monthly reports."""
    principal.require("enterprise:read")
    problem = uscc_problem(uscc)
    if problem is not None:
        raise NotFound(f"企业不存在：统一社会信用代码 '{uscc}' 不合法（{problem}）")
    code = normalise_uscc(uscc)
    with db.transaction() as s:
        ent = s.scalar(
            scoped(select(Enterprise).where(Enterprise.uscc == code), Enterprise, principal.scope)
        )
        if ent is None:
            raise NotFound(f"企业 '{code}' 不存在或不在您的权限范围内")
        park = s.get(Park, ent.park_id) if ent.park_id else None
        industry = s.get(Industry, ent.industry_code) if ent.industry_code else None
        parcels = s.scalars(
            select(LandParcel)
            .where(LandParcel.holder_id == ent.id)
            .order_by(LandParcel.parcel_code)
        ).all()
        reports = s.scalars(
            select(PeriodReport)
            .where(PeriodReport.enterprise_id == ent.id)
            .order_by(PeriodReport.period.desc())
            .limit(months)
        ).all()
        return EnterpriseDetail(
            uscc=ent.uscc,
            name=ent.name,
            park_code=park.code if park else None,
            park_name=park.name if park else None,
            industry_code=ent.industry_code,
            industry_name=industry.name if industry else None,
            province_code=ent.province_code,
            city_code=ent.city_code,
            region_code=ent.region_code,
            founded_on=ent.founded_on,
            above_scale=ent.above_scale,
            size_class=ent.size_class,
            products=ent.products,
            labels=[lb.label for lb in ent.labels],
            is_demo=ent.is_demo,
            parcels=[LandParcelPublic.model_validate(p) for p in parcels],
            reports=[PeriodReportPublic.model_validate(r) for r in reversed(reports)],
        )
