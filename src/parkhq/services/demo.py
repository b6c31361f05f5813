"""Load the demo province into the store (through the import path) and create demo users.

Everything loaded here is fictional and flagged ``is_demo`` (the UI shows 演示数据).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import select

from parkhq.demo import DemoData, generate
from parkhq.errors import Conflict, InvalidInput
from parkhq.reference.regions import region_catalogue
from parkhq.services import access
from parkhq.services.access import Principal
from parkhq.services.imports import Progress, import_frames
from parkhq.store.db import Database
from parkhq.store.models import Chain, ChainMembership, Enterprise, Park, User

__all__ = [
    "DEMO_PASSWORD",
    "DemoLogin",
    "clean_frames",
    "demo_frames",
    "ensure_demo_evaluation",
    "ensure_demo_users",
    "load_demo",
    "load_generated",
]

#: The one password of every demo login (demo data only; documented in the README).
DEMO_PASSWORD = "parkhq-demo"
DEMO_CHAIN_CODE = "ZJ-NEV"
DEMO_PRESET = "huangyan-2023"
DEMO_EVALUATION_YEAR = 2025
#: 新能源汽车产业链 members: 汽车制造 (36), 电池 (384), 电机 (381).
NEV_PREFIXES = ("36", "384", "381")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role_name: str
    scope: str


def demo_frames(data: DemoData) -> dict[str, pl.DataFrame]:
    """The generator's frames in the clean exchange-format shape the importer writes."""
    return clean_frames(data.parks, data.enterprises, data.parcels, data.monthly)


def clean_frames(
    parks: pl.DataFrame,
    enterprises: pl.DataFrame,
    parcels: pl.DataFrame,
    monthly: pl.DataFrame,
) -> dict[str, pl.DataFrame]:
    """Generated frames → the importer's clean shape (periods ``YYYY-MM``, labels as lists)."""
    return {
        "park_registry": parks.with_columns(pl.col("approved_on").str.replace(r"\.", "-")),
        "enterprise_registry": enterprises.with_columns(
            pl.col("labels").str.split("；").list.eval(pl.element().filter(pl.element() != ""))
        ),
        "land_parcels": parcels,
        "monthly_report": monthly,
    }


def load_generated(
    db: Database, principal: Principal, folder: Path, *, progress: Progress | None = None
) -> dict[str, tuple[int, int, int]]:
    """Load Parquet files written by ``parkhq demo generate`` (province or national scale)."""
    names = {
        "parks": "parks",
        "enterprises": "enterprises",
        "parcels": "parcels",
        "monthly": "monthly",
    }
    paths = {k: folder / f"{v}.parquet" for k, v in names.items()}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise InvalidInput(
            f"目录中缺少生成的数据文件：{'、'.join(missing)}（请先运行 parkhq demo generate）"
        )
    frames = clean_frames(*(pl.read_parquet(paths[k]) for k in names))
    results = import_frames(
        db,
        principal,
        frames,
        source=f"generated:{folder.name}",
        demo=True,
        progress=progress or (lambda _m: None),
    )
    return {
        k: (r.inserted, r.updated, r.unchanged) for k, (_, r) in zip(frames, results, strict=True)
    }


def load_demo(
    db: Database, principal: Principal, *, seed: int = 42, progress: Progress | None = None
) -> dict[str, tuple[int, int, int]]:
    """Generate the demo province for ``seed`` and upsert it; returns (new, changed, same) rows."""
    progress = progress or (lambda _msg: None)
    progress(f"生成演示省份（种子 {seed}）")
    data = generate("province", seed)
    results = import_frames(
        db,
        principal,
        demo_frames(data),
        source=f"demo-province-seed-{seed}",
        demo=True,
        progress=progress,
    )
    _ensure_demo_chain(db, principal)
    kinds = list(demo_frames(data))
    return {
        k: (r.inserted, r.updated, r.unchanged) for k, (_, r) in zip(kinds, results, strict=True)
    }


def _ensure_demo_chain(db: Database, principal: Principal) -> None:
    """A 新能源汽车 chain for the province with its demo members (for the 链长办 login)."""
    with db.transaction(principal.actor) as s:
        chain = s.scalar(select(Chain).where(Chain.code == DEMO_CHAIN_CODE))
        if chain is None:
            chain = Chain(
                code=DEMO_CHAIN_CODE,
                name="新能源汽车产业链（演示）",
                province_code="330000",
                description="演示数据：整车、动力电池与驱动电机企业",
            )
            s.add(chain)
            s.flush()
        members = set(
            s.scalars(
                select(ChainMembership.enterprise_id).where(ChainMembership.chain_id == chain.id)
            )
        )
        firms = s.execute(
            select(Enterprise.id, Enterprise.industry_code).where(Enterprise.is_demo)
        ).all()
        for eid, code in firms:
            if code and code.startswith(NEV_PREFIXES) and eid not in members:
                s.add(ChainMembership(chain_id=chain.id, enterprise_id=eid, role="成员"))


def ensure_demo_users(db: Database, principal: Principal) -> list[DemoLogin]:
    """One login per role, scoped to the demo province (created once; listed every time)."""
    with db.transaction() as s:
        park = s.scalar(
            select(Park).where(Park.is_demo, Park.city_code == "330100").order_by(Park.code)
        )
        if park is None:
            park = s.scalar(select(Park).where(Park.is_demo).order_by(Park.code))
        firm = (
            s.scalar(
                select(Enterprise.uscc)
                .where(Enterprise.park_id == park.id, Enterprise.above_scale)
                .order_by(Enterprise.uscc)
            )
            if park
            else None
        )
        existing = set(s.scalars(select(User.username)))
    if park is None or firm is None:
        raise Conflict("请先载入演示数据（parkhq demo load）")
    city = park.city_code or "330100"
    plan = [
        ("admin", "admin", [], "全部"),
        ("zhejiang", "province", ["330000"], "浙江省"),
        ("hangzhou", "city", [city], region_catalogue().full_name(city)),
        ("park", "park", [park.code], f"{park.name}"),
        ("chain", "chain", [DEMO_CHAIN_CODE], "新能源汽车产业链（演示）"),
        ("qiye", "enterprise", [firm], firm),
    ]
    logins = []
    for username, role, scope, label in plan:
        if username not in existing:
            access.create_user(
                db,
                principal,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                scope_codes=scope,
                display_name=f"演示·{access.ROLES[role].name}",
            )
        logins.append(DemoLogin(username, access.ROLES[role].name, label))
    return logins


def ensure_demo_evaluation(db: Database, principal: Principal) -> int | None:
    """A draft 亩均 evaluation of 杭州 for the last complete year under huangyan-2023, once.

    Returns the new run's id, or ``None`` when a run exists already.
    """
    from parkhq.services import land, land_runs
    from parkhq.services.land_rulesets import list_rule_sets

    if land_runs.list_runs(db, principal, limit=1).total:
        return None
    preset = next(
        r.id for r in list_rule_sets(db, principal) if r.is_preset and r.name == DEMO_PRESET
    )
    return land.create_run(
        db,
        principal,
        year=DEMO_EVALUATION_YEAR,
        rule_set_id=preset,
        scope_code="330100",
        title=f"杭州市{DEMO_EVALUATION_YEAR}年度工业企业亩均效益综合评价（演示）",
    )
