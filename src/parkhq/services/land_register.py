"""Land for 集约化: parcels (工业上楼, 容积率), the 低效用地 register and park-level figures.

- 容积率 minimums by GB/T 4754 division come from ``reference/data/land_far_minimums.yaml``
  (《工业项目建设用地控制指标》, with each value's confidence);
- candidates for the 低效用地 register are derived from parcel states (闲置, 低效), 容积率 below
  the minimum of the holder's industry, and parcels of firms graded lowest (D) in their latest
  effective 亩均 evaluation;
- register entries record the type, disposal method, area disposed / remaining, responsible
  unit and progress;
- :func:`park_land_figures` gives the park-level 集约化 figures (亩均税收 / 亩均增加值, land by
  supply mode, idle and low-efficiency shares, 工业上楼, 容积率) as a Polars frame for other
  capabilities (the park evaluation scheme) and :func:`park_figures` the same for the UI.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from importlib import resources
from typing import Annotated, Any, Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from parkhq.errors import Conflict, InvalidInput, NotFound
from parkhq.services.access import Principal
from parkhq.services.land_runs import EFFECTIVE
from parkhq.store.db import Database
from parkhq.store.frames import read_frame
from parkhq.store.loaders import annual_firm_facts, year_periods
from parkhq.store.models import (
    Enterprise,
    EvaluationResult,
    EvaluationRun,
    LandParcel,
    LowEfficiencyLand,
    Park,
)
from parkhq.store.models.parks import M2_PER_MU
from parkhq.store.scope import Scope, scoped

__all__ = [
    "DISPOSAL_METHODS",
    "LAND_TYPES",
    "REGISTER_STATUSES",
    "SUPPLY_MODES",
    "Candidate",
    "EntryIn",
    "EntryPublic",
    "EntryUpdate",
    "FarDivision",
    "FarTable",
    "ParcelPublic",
    "ParcelUpdate",
    "ParkFigures",
    "create_entry",
    "far_minimums",
    "list_candidates",
    "list_register",
    "min_far",
    "park_figures",
    "park_land_figures",
    "update_entry",
    "update_parcel",
]

LAND_TYPES = ("闲置", "低效", "容积率不达标", "D类企业用地")
DISPOSAL_METHODS = ("收回", "盘活", "二次开发", "兼并重组", "提高容积率", "协议退出")
REGISTER_STATUSES = ("待处置", "处置中", "已完成")
SUPPLY_MODES = ("出让", "长期租赁", "先租后让", "弹性年期出让", "划拨")
LandType = Literal["闲置", "低效", "容积率不达标", "D类企业用地"]
Disposal = Literal["", "收回", "盘活", "二次开发", "兼并重组", "提高容积率", "协议退出"]
RegisterStatus = Literal["待处置", "处置中", "已完成"]
Text128 = Annotated[str, StringConstraints(max_length=128)]
_TOLERANCE = 1e-6


# --- 容积率 minimums ------------------------------------------------------------------------


class FarDivision(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    min_far: float
    confidence: str
    note: str = ""


class FarTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    version: str
    valid_from: date
    source_title: str
    source_url: str
    notes: list[str]
    divisions: dict[str, FarDivision]


@functools.cache
def far_minimums() -> FarTable:
    """The 容积率 minimums of 《工业项目建设用地控制指标》 by GB/T 4754 division."""
    text = (
        resources.files("parkhq.reference")
        .joinpath("data/land_far_minimums.yaml")
        .read_text(encoding="utf-8")
    )
    doc = yaml.safe_load(text)
    return FarTable(
        name=doc["name"],
        title=doc["title"],
        version=str(doc["version"]),
        valid_from=doc["valid_from"],
        source_title=doc["source"]["title"],
        source_url=doc["source"].get("url", ""),
        notes=list(doc.get("notes", [])),
        divisions={
            str(code): FarDivision(code=str(code), **values)
            for code, values in doc["divisions"].items()
        },
    )


def min_far(industry_code: str | None) -> FarDivision | None:
    """The minimum 容积率 for a GB/T 4754 code (by its 2-digit division), if manufacturing."""
    if not industry_code or len(industry_code) < 2:
        return None
    return far_minimums().divisions.get(industry_code[:2])


def floor_area_ratio(floor_area_m2: float | None, area_mu: float | None) -> float | None:
    """容积率 = 建筑面积 / (用地 亩 × 666.67 m²)."""
    if floor_area_m2 is None or not area_mu or area_mu <= 0:
        return None
    return floor_area_m2 / (area_mu * M2_PER_MU)


# --- candidates ------------------------------------------------------------------------------


class Candidate(BaseModel):
    parcel_code: str
    park_code: str
    holder_uscc: str | None
    holder_name: str | None
    area_mu: float
    status: str
    land_type: str
    reason: str
    floor_area_ratio: float | None
    registered: bool


def _lowest_graded(s: Session, principal: Principal, run_id: int | None) -> dict[str, str]:
    """USCC → why (run, grade) for firms graded lowest in their latest effective run (or in
    ``run_id``), within scope."""
    stmt = select(
        EvaluationResult.uscc,
        EvaluationResult.grade,
        EvaluationRun.id,
        EvaluationRun.year,
        EvaluationRun.title,
        EvaluationRun.status,
        EvaluationRun.options,
    ).join(EvaluationRun, EvaluationRun.id == EvaluationResult.run_id)
    stmt = scoped(stmt, EvaluationResult, principal.scope)
    stmt = scoped(stmt, EvaluationRun, principal.scope)
    if run_id is not None:
        stmt = stmt.where(EvaluationRun.id == run_id)
    else:
        stmt = stmt.where(EvaluationRun.status.in_(EFFECTIVE))
    latest: dict[str, tuple[tuple[int, int, int], bool, str]] = {}
    for uscc, grade, rid, year, title, status, options in s.execute(stmt):
        key = (year, int(status == "final"), rid)
        lowest = (options or {}).get("lowest")
        if uscc not in latest or key > latest[uscc][0]:
            latest[uscc] = (key, grade == lowest, f"在「{title}」（评价 {rid}）中评为 {grade} 类")
    return {u: why for u, (_key, is_low, why) in latest.items() if is_low}


def list_candidates(
    db: Database, principal: Principal, *, run_id: int | None = None
) -> list[Candidate]:
    """Parcels that qualify for the 低效用地 register, one row per (parcel, reason)."""
    principal.require("land:register")
    with db.transaction() as s:
        lowest = _lowest_graded(s, principal, run_id)
        parcels = s.execute(
            scoped(
                select(
                    LandParcel,
                    Park.code,
                    Enterprise.uscc,
                    Enterprise.name,
                    Enterprise.industry_code,
                )
                .join(Park, Park.id == LandParcel.park_id)
                .outerjoin(Enterprise, Enterprise.id == LandParcel.holder_id),
                LandParcel,
                principal.scope,
            ).order_by(LandParcel.parcel_code)
        ).all()
        open_entries = {
            (parcel_id, land_type)
            for parcel_id, land_type in s.execute(
                scoped(
                    select(LowEfficiencyLand.parcel_id, LowEfficiencyLand.land_type).where(
                        LowEfficiencyLand.status != "已完成"
                    ),
                    LowEfficiencyLand,
                    principal.scope,
                )
            )
        }
    out: list[Candidate] = []
    for parcel, park_code, uscc, name, industry in parcels:
        far = floor_area_ratio(parcel.floor_area_m2, parcel.area_mu)
        reasons: list[tuple[str, str]] = []
        if parcel.status in ("闲置", "低效"):
            reasons.append((parcel.status, f"地块状态为{parcel.status}"))
        minimum = min_far(industry)
        if far is not None and minimum is not None and far < minimum.min_far - _TOLERANCE:
            reasons.append(
                (
                    "容积率不达标",
                    f"容积率 {far:.2f} 低于《工业项目建设用地控制指标》{minimum.name}下限 "
                    f"{minimum.min_far:g}",
                )
            )
        if uscc is not None and uscc in lowest:
            reasons.append(("D类企业用地", f"用地企业 {name} {lowest[uscc]}"))
        for land_type, reason in reasons:
            out.append(
                Candidate(
                    parcel_code=parcel.parcel_code,
                    park_code=park_code,
                    holder_uscc=uscc,
                    holder_name=name,
                    area_mu=parcel.area_mu,
                    status=parcel.status,
                    land_type=land_type,
                    reason=reason,
                    floor_area_ratio=None if far is None else round(far, 4),
                    registered=(parcel.id, land_type) in open_entries,
                )
            )
    return out


# --- the register ----------------------------------------------------------------------------


class EntryIn(BaseModel):
    parcel_code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    land_type: LandType
    disposal_method: Disposal = ""
    responsible_unit: Text128 = ""
    area_remaining_mu: float | None = Field(default=None, ge=0, le=1e7)
    source_reason: Annotated[str, StringConstraints(max_length=2000)] = ""
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class EntryUpdate(BaseModel):
    disposal_method: Disposal | None = None
    responsible_unit: Text128 | None = None
    area_disposed_mu: float | None = Field(default=None, ge=0, le=1e7)
    area_remaining_mu: float | None = Field(default=None, ge=0, le=1e7)
    progress: float | None = Field(default=None, ge=0, le=100)
    status: RegisterStatus | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class EntryPublic(BaseModel):
    id: int
    parcel_code: str
    park_code: str
    holder_uscc: str | None
    holder_name: str | None
    parcel_area_mu: float
    land_type: str
    disposal_method: str
    area_disposed_mu: float
    area_remaining_mu: float
    responsible_unit: str
    progress: float
    status: str
    source_reason: str
    note: str
    created_by: str
    created_at: datetime
    updated_at: datetime


def _entry_stmt(principal: Principal) -> Select[*tuple[Any, ...]]:
    return scoped(
        select(LowEfficiencyLand, LandParcel, Park.code, Enterprise.uscc, Enterprise.name)
        .join(LandParcel, LandParcel.id == LowEfficiencyLand.parcel_id)
        .join(Park, Park.id == LandParcel.park_id)
        .outerjoin(Enterprise, Enterprise.id == LandParcel.holder_id),
        LowEfficiencyLand,
        principal.scope,
    )


def _entry_public(
    entry: LowEfficiencyLand, parcel: LandParcel, park: str, uscc: str | None, name: str | None
) -> EntryPublic:
    return EntryPublic(
        id=entry.id,
        parcel_code=parcel.parcel_code,
        park_code=park,
        holder_uscc=uscc,
        holder_name=name,
        parcel_area_mu=parcel.area_mu,
        land_type=entry.land_type,
        disposal_method=entry.disposal_method,
        area_disposed_mu=entry.area_disposed_mu,
        area_remaining_mu=entry.area_remaining_mu,
        responsible_unit=entry.responsible_unit,
        progress=entry.progress,
        status=entry.status,
        source_reason=entry.source_reason,
        note=entry.note,
        created_by=entry.created_by,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def list_register(db: Database, principal: Principal, *, status: str = "") -> list[EntryPublic]:
    """Register entries in scope, open ones first."""
    principal.require("land:register")
    stmt = _entry_stmt(principal)
    if status:
        stmt = stmt.where(LowEfficiencyLand.status == status)
    with db.transaction() as s:
        rows = s.execute(
            stmt.order_by(LowEfficiencyLand.status == "已完成", LowEfficiencyLand.id.desc())
        ).all()
        return [_entry_public(*row) for row in rows]


def _parcel(s: Session, principal: Principal, parcel_code: str) -> LandParcel:
    parcel = s.scalar(
        scoped(
            select(LandParcel).where(LandParcel.parcel_code == parcel_code),
            LandParcel,
            principal.scope,
        )
    )
    if parcel is None:
        raise NotFound(f"地块 '{parcel_code}' 不存在或不在您的权限范围内")
    return parcel


def _check_areas(parcel: LandParcel, disposed: float, remaining: float) -> None:
    if disposed + remaining > parcel.area_mu * (1 + _TOLERANCE) + _TOLERANCE:
        raise InvalidInput(
            f"已处置面积 {disposed:g} 亩与剩余面积 {remaining:g} 亩之和超过地块面积 "
            f"{parcel.area_mu:g} 亩",
            detail={"field": "area_remaining_mu"},
        )


def _one_entry(s: Session, principal: Principal, entry_id: int) -> EntryPublic:
    row = s.execute(_entry_stmt(principal).where(LowEfficiencyLand.id == entry_id)).first()
    if row is None:
        raise NotFound(f"低效用地台账记录 {entry_id} 不存在或不在您的权限范围内")
    return _entry_public(*row)


def create_entry(db: Database, principal: Principal, body: EntryIn) -> EntryPublic:
    """Register a parcel as 低效用地 (one open entry per parcel and type)."""
    principal.require("land:register")
    with db.transaction(principal.actor) as s:
        parcel = _parcel(s, principal, body.parcel_code)
        existing = s.scalar(
            select(LowEfficiencyLand.id).where(
                LowEfficiencyLand.parcel_id == parcel.id,
                LowEfficiencyLand.land_type == body.land_type,
                LowEfficiencyLand.status != "已完成",
            )
        )
        if existing is not None:
            raise Conflict(
                f"地块 {parcel.parcel_code} 已登记为{body.land_type}"
                f"（记录 {existing}），请更新该记录",
                detail={"existing_id": existing},
            )
        remaining = parcel.area_mu if body.area_remaining_mu is None else body.area_remaining_mu
        _check_areas(parcel, 0.0, remaining)
        entry = LowEfficiencyLand(
            parcel_id=parcel.id,
            land_type=body.land_type,
            disposal_method=body.disposal_method,
            area_disposed_mu=0.0,
            area_remaining_mu=remaining,
            responsible_unit=body.responsible_unit.strip(),
            progress=0.0,
            status="待处置",
            source_reason=body.source_reason.strip(),
            note=body.note.strip(),
            created_by=principal.username,
        )
        s.add(entry)
        s.flush()
        return _one_entry(s, principal, entry.id)


def update_entry(
    db: Database, principal: Principal, entry_id: int, body: EntryUpdate
) -> EntryPublic:
    """Record disposal progress; areas must fit the parcel, 已完成 means progress 100 %."""
    principal.require("land:register")
    with db.transaction(principal.actor) as s:
        current = _one_entry(s, principal, entry_id)
        entry = s.get(LowEfficiencyLand, current.id)
        parcel = s.get(LandParcel, entry.parcel_id) if entry else None
        if entry is None or parcel is None:
            raise NotFound(f"低效用地台账记录 {entry_id} 不存在")
        disposed = (
            entry.area_disposed_mu if body.area_disposed_mu is None else body.area_disposed_mu
        )
        remaining = (
            entry.area_remaining_mu if body.area_remaining_mu is None else body.area_remaining_mu
        )
        _check_areas(parcel, disposed, remaining)
        entry.area_disposed_mu, entry.area_remaining_mu = disposed, remaining
        if body.disposal_method is not None:
            entry.disposal_method = body.disposal_method
        if body.responsible_unit is not None:
            entry.responsible_unit = body.responsible_unit.strip()
        if body.progress is not None:
            entry.progress = body.progress
        if body.note is not None:
            entry.note = body.note.strip()
        if body.status is not None:
            entry.status = body.status
        if entry.status == "已完成":
            entry.progress = 100.0
        elif entry.progress > 0 and entry.status == "待处置":
            entry.status = "处置中"
        s.flush()
        return _one_entry(s, principal, entry.id)


class ParcelUpdate(BaseModel):
    industrial_upstairs: bool | None = None
    floor_area_m2: float | None = Field(default=None, ge=0, le=1e9)


class ParcelPublic(BaseModel):
    parcel_code: str
    park_code: str
    area_mu: float
    supply_mode: str
    term_years: float | None
    floor_area_m2: float | None
    floor_area_ratio: float | None
    industrial_upstairs: bool
    status: str


def update_parcel(
    db: Database, principal: Principal, parcel_code: str, body: ParcelUpdate
) -> ParcelPublic:
    """Set a parcel's 工业上楼 flag or floor area (容积率 follows)."""
    principal.require("land:register")
    with db.transaction(principal.actor) as s:
        parcel = _parcel(s, principal, parcel_code)
        if body.industrial_upstairs is not None:
            parcel.industrial_upstairs = body.industrial_upstairs
        if body.floor_area_m2 is not None:
            parcel.floor_area_m2 = body.floor_area_m2
        park = s.get(Park, parcel.park_id)
        s.flush()
        return ParcelPublic(
            parcel_code=parcel.parcel_code,
            park_code=park.code if park else "",
            area_mu=parcel.area_mu,
            supply_mode=parcel.supply_mode,
            term_years=parcel.term_years,
            floor_area_m2=parcel.floor_area_m2,
            floor_area_ratio=parcel.floor_area_ratio,
            industrial_upstairs=parcel.industrial_upstairs,
            status=parcel.status,
        )


# --- park-level figures ----------------------------------------------------------------------


class ParkFigures(BaseModel):
    park_code: str
    park_name: str
    year: int
    land_mu: float
    supplied_mu: float
    tax: float | None
    value_added: float | None
    tax_per_mu: float | None
    value_added_per_mu: float | None
    supply_shares: dict[str, float]
    idle_share: float | None
    low_efficiency_share: float | None
    upstairs_share: float | None
    floor_area_ratio: float | None
    below_min_far_share: float | None


def park_land_figures(db: Database, scope: Scope, year: int) -> pl.DataFrame:
    """Park-level 集约化 figures for ``year``, one row per park in ``scope``.

    Columns: ``park_code, park_name, land_mu`` (亩 of all parcels), ``supplied_mu`` (亩 held by a
    firm), ``tax, value_added`` (万元, the park's firms summed over the year's monthly reports),
    ``tax_per_mu, value_added_per_mu`` (万元/亩 = the sums over ``supplied_mu``),
    ``share_<supply mode>`` (area share of 出让/长期租赁/先租后让/弹性年期出让/划拨 in
    ``land_mu``), ``idle_share`` (闲置), ``low_efficiency_share`` (低效), ``upstairs_share``
    (工业上楼), ``floor_area_ratio`` (Σ建筑面积 / Σ用地 m² over parcels with a floor area) and
    ``below_min_far_share`` (area share, among parcels with a 容积率 and a known minimum, of
    those below the 《工业项目建设用地控制指标》 minimum of the holder's industry).
    Shares are fractions (0–1); null when the denominator is 0.
    """
    parks = read_frame(
        db,
        scoped(select(Park.id.label("park_id"), Park.code, Park.name), Park, scope),
        schema={"park_id": pl.Int64()},
    )
    parcels = read_frame(
        db,
        scoped(
            select(
                LandParcel.park_id,
                LandParcel.holder_id,
                LandParcel.area_mu,
                LandParcel.supply_mode,
                LandParcel.status,
                LandParcel.floor_area_m2,
                LandParcel.industrial_upstairs,
                Enterprise.industry_code,
            ).outerjoin(Enterprise, Enterprise.id == LandParcel.holder_id),
            LandParcel,
            scope,
        ),
        schema={
            "park_id": pl.Int64(),
            "holder_id": pl.Int64(),
            "area_mu": pl.Float64(),
            "floor_area_m2": pl.Float64(),
            "industrial_upstairs": pl.Boolean(),
        },
    )
    minimums = pl.DataFrame(
        {
            "division": list(far_minimums().divisions),
            "min_far": [d.min_far for d in far_minimums().divisions.values()],
        }
    )
    parcels = (
        parcels.with_columns(pl.col("industry_code").str.slice(0, 2).alias("division"))
        .join(minimums, on="division", how="left")
        .with_columns(
            (pl.col("floor_area_m2") / (pl.col("area_mu") * M2_PER_MU)).alias("far"),
        )
    )
    area = pl.col("area_mu")
    has_far = pl.col("far").is_not_null() & pl.col("min_far").is_not_null()

    def share(condition: pl.Expr, base: pl.Expr | None = None) -> pl.Expr:
        total = area.sum() if base is None else area.filter(base).sum()
        part = area.filter(condition if base is None else condition & base).sum()
        return pl.when(total > 0).then(part / total).otherwise(None)

    land = parcels.group_by("park_id").agg(
        area.sum().alias("land_mu"),
        area.filter(pl.col("holder_id").is_not_null()).sum().alias("supplied_mu"),
        *(share(pl.col("supply_mode") == m).alias(f"share_{m}") for m in SUPPLY_MODES),
        share(pl.col("status") == "闲置").alias("idle_share"),
        share(pl.col("status") == "低效").alias("low_efficiency_share"),
        share(pl.col("industrial_upstairs").fill_null(False)).alias("upstairs_share"),
        pl.when(area.filter(pl.col("floor_area_m2").is_not_null()).sum() > 0)
        .then(
            pl.col("floor_area_m2").sum()
            / (area.filter(pl.col("floor_area_m2").is_not_null()).sum() * M2_PER_MU)
        )
        .otherwise(None)
        .alias("floor_area_ratio"),
        share(pl.col("far") < pl.col("min_far") - _TOLERANCE, has_far).alias("below_min_far_share"),
    )
    facts = annual_firm_facts(db, scope, periods=year_periods(year))
    flows = (
        facts.filter(pl.col("months_reported") > 0)
        .group_by(pl.col("park_id").cast(pl.Int64))
        .agg(pl.col("tax").sum(), pl.col("value_added").sum())
    )
    out = (
        parks.join(land, on="park_id", how="left")
        .join(flows, on="park_id", how="left")
        .with_columns(
            pl.col("land_mu").fill_null(0.0),
            pl.col("supplied_mu").fill_null(0.0),
        )
        .with_columns(
            pl.when(pl.col("supplied_mu") > 0)
            .then(pl.col("tax") / pl.col("supplied_mu"))
            .alias("tax_per_mu"),
            pl.when(pl.col("supplied_mu") > 0)
            .then(pl.col("value_added") / pl.col("supplied_mu"))
            .alias("value_added_per_mu"),
            pl.lit(year, dtype=pl.Int64).alias("year"),
        )
        .rename({"code": "park_code", "name": "park_name"})
        .sort("park_code")
    )
    return out.select(
        "park_code",
        "park_name",
        "year",
        "land_mu",
        "supplied_mu",
        "tax",
        "value_added",
        "tax_per_mu",
        "value_added_per_mu",
        *(f"share_{m}" for m in SUPPLY_MODES),
        "idle_share",
        "low_efficiency_share",
        "upstairs_share",
        "floor_area_ratio",
        "below_min_far_share",
    )


def park_figures(db: Database, principal: Principal, year: int) -> list[ParkFigures]:
    """:func:`park_land_figures` for the parks in the principal's scope."""
    principal.require("land:read")
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"年度 {year} 不合理（应在 2000–2100 之间）", detail={"field": "year"})
    frame = park_land_figures(db, principal.scope, year)
    out = []
    for row in frame.iter_rows(named=True):
        out.append(
            ParkFigures(
                park_code=row["park_code"],
                park_name=row["park_name"],
                year=row["year"],
                land_mu=row["land_mu"],
                supplied_mu=row["supplied_mu"],
                tax=row["tax"],
                value_added=row["value_added"],
                tax_per_mu=row["tax_per_mu"],
                value_added_per_mu=row["value_added_per_mu"],
                supply_shares={
                    m: row[f"share_{m}"] for m in SUPPLY_MODES if row[f"share_{m}"] is not None
                },
                idle_share=row["idle_share"],
                low_efficiency_share=row["low_efficiency_share"],
                upstairs_share=row["upstairs_share"],
                floor_area_ratio=row["floor_area_ratio"],
                below_min_far_share=row["below_min_far_share"],
            )
        )
    return out
