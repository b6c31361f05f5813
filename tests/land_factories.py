"""Firms with a year of data in the world's inside park, for the 亩均评价 tests.

``add_land_firms`` adds ``above`` 规上 and ``below`` 规下 firms (industry 3911, division 39 whose
容积率 minimum is 1.0) with one parcel of 10 亩 each and one monthly report per year holding
the year's totals. Firm ``i`` (1-based) has tax ``10·i``, value added ``50·i`` … so totals grow
with ``i`` under huangyan-2023 and firm 1 is the lowest of its group every year.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from factories import World, uscc
from parkhq.services import access, land
from parkhq.store.db import Database
from parkhq.store.models import Enterprise, LandParcel, PeriodReport, RuleSetVersion

M2_PER_MU = 10_000 / 15
SYSTEM = access.system_principal("tests")


@dataclass
class LandFirm:
    index: int
    uscc: str
    name: str
    enterprise_id: int
    parcel_code: str
    above_scale: bool


def firm_values(i: int, year: int, mixed: bool = False) -> dict[str, float]:
    """The yearly totals of firm ``i`` (万元, tce, 吨, 人, 万千瓦时).

    ``mixed``: indicators that disagree (seeded per firm), so that weights matter.
    """
    if mixed:
        rng = random.Random(i * 7919 + year)
        return {
            "tax": round(rng.uniform(20, 400), 1),
            "value_added": round(rng.uniform(100, 2000), 1),
            "revenue": round(rng.uniform(500, 8000), 1),
            "energy_tce": round(rng.uniform(50, 800), 1),
            "emission_t": round(rng.uniform(0.1, 2.0), 2),
            "rd_expense": round(rng.uniform(1, 200), 1),
            "electricity": round(rng.uniform(50, 900), 1),
            "output_value": round(rng.uniform(600, 9000), 1),
        }
    return {
        "tax": 10.0 * i,
        "value_added": 50.0 * i,
        "revenue": 200.0 * i,
        "energy_tce": 20.0,
        "emission_t": 0.5,
        "rd_expense": 2.0 * i,
        "electricity": 100.0,
        "output_value": 300.0 * i,
    }


def add_land_firms(
    db: Database,
    world: World,
    *,
    above: int = 12,
    below: int = 4,
    years: tuple[int, ...] = (2025,),
    serial: int = 500,
    far: dict[int, float] | None = None,
    status: dict[int, str] | None = None,
    mixed: bool = False,
) -> list[LandFirm]:
    """Firms 1..above (规上) and above+1..above+below (规下) in the inside park."""
    side = world.inside
    far = far or {}
    status = status or {}
    firms: list[LandFirm] = []
    with db.transaction() as s:
        for i in range(1, above + below + 1):
            code = uscc("330102", serial + i)
            name = f"亩均测试{i:02d}号制造有限公司"
            ent = Enterprise(
                uscc=code,
                name=name,
                park_id=side.park_id,
                industry_code="3911",
                province_code=side.province,
                city_code=side.city,
                region_code="330102",
                founded_on=date(2010, 3, 1),
                above_scale=i <= above,
                size_class="中型",
            )
            s.add(ent)
            s.flush()
            parcel_code = f"LJ-M{serial + i:04d}"
            s.add(
                LandParcel(
                    parcel_code=parcel_code,
                    park_id=side.park_id,
                    holder_id=ent.id,
                    area_mu=10.0,
                    supply_mode="出让",
                    start_on=date(2012, 1, 1),
                    term_years=50,
                    floor_area_m2=10.0 * M2_PER_MU * far.get(i, 1.2),
                    status=status.get(i, "在用"),
                )
            )
            for year in years:
                values = firm_values(i, year, mixed)
                s.add(
                    PeriodReport(
                        enterprise_id=ent.id,
                        period=f"{year}-06",
                        employees=20 + i,
                        **values,
                    )
                )
            firms.append(LandFirm(i, code, name, ent.id, parcel_code, i <= above))
    return firms


def preset_id(db: Database, name: str = "huangyan-2023") -> int:
    land.ensure_presets(db)
    with db.transaction() as s:
        found = s.scalar(
            select(RuleSetVersion.id).where(
                RuleSetVersion.name == name, RuleSetVersion.scope_code == ""
            )
        )
    assert found is not None
    return found
