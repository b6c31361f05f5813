"""Row factories and a two-province "world" for scope and authorisation tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
from fastapi.testclient import TestClient

from parkhq.reference.uscc import make_uscc
from parkhq.services import access
from parkhq.services.imports import import_frames
from parkhq.store.db import Database
from parkhq.store.models import (
    Chain,
    ChainMembership,
    Enterprise,
    EnterpriseLabel,
    LandParcel,
    Park,
    PeriodReport,
)

PASSWORD = "correct-horse-battery"


def uscc(region_code: str, serial: int) -> str:
    """A valid 统一社会信用代码 for a company (9 = 工商, 1 = 企业) in ``region_code``."""
    return make_uscc("9", "1", region_code, f"MA{serial:07d}")


def add_park(db: Database, code: str, name: str, province: str, city: str, **kw: object) -> int:
    with db.transaction() as s:
        park = Park(
            code=code,
            name=name,
            level=str(kw.pop("level", "省级")),
            type=str(kw.pop("type", "经济开发区")),
            province_code=province,
            city_code=city,
            city_name=str(kw.pop("city_name", "")),
            approved_on=str(kw.pop("approved_on", "2006.03")),
            area_ha=float(kw.pop("area_ha", 500.0)),  # type: ignore[arg-type]
            declared_industries=str(kw.pop("declared_industries", "装备制造、电子信息")),
        )
        s.add(park)
        s.flush()
        return park.id


def add_enterprise(
    db: Database, code: str, name: str, park_id: int | None, province: str, city: str, **kw: object
) -> int:
    with db.transaction() as s:
        ent = Enterprise(
            uscc=code,
            name=name,
            park_id=park_id,
            industry_code=str(kw.pop("industry_code", "3911")),
            province_code=province,
            city_code=city,
            region_code=kw.pop("region_code", None),
            founded_on=date(2015, 5, 1),
            above_scale=bool(kw.pop("above_scale", True)),
            size_class=str(kw.pop("size_class", "中型")),
            products=str(kw.pop("products", "服务器、工控机")),
            labels=[EnterpriseLabel(label="高新技术企业")],
        )
        s.add(ent)
        s.flush()
        return ent.id


@dataclass
class Side:
    """One province's resources in the world."""

    province: str
    city: str
    park_code: str
    park_name: str
    park_id: int
    uscc: str
    enterprise_name: str
    enterprise_id: int
    parcel_code: str
    chain_code: str


@dataclass
class World:
    inside: Side
    outside: Side
    users: dict[str, str] = field(default_factory=dict)  # role → username
    #: An import batch (by the system, not by any test user) that wrote an outside parcel.
    outside_batch_id: int = 0


def _side(db: Database, tag: str, province: str, city: str, county: str, serial: int) -> Side:
    park_code = f"S{province[:2]}7{serial:03d}"
    park_name = f"{tag}测试经济开发区"
    pid = add_park(db, park_code, park_name, province, city, city_name=tag)
    code = uscc(county, serial)
    ent_name = f"{tag}测试电子科技有限公司"
    eid = add_enterprise(db, code, ent_name, pid, province, city, region_code=county)
    parcel_code = f"{tag.upper()}-{serial:04d}"
    chain_code = f"CHAIN-{province}"
    with db.transaction() as s:
        s.add(
            LandParcel(
                parcel_code=parcel_code,
                park_id=pid,
                holder_id=eid,
                area_mu=35.5,
                supply_mode="出让",
                start_on=date(2016, 1, 1),
                term_years=50,
                floor_area_m2=24000,
                status="在用",
            )
        )
        s.add(
            PeriodReport(
                enterprise_id=eid, period="2026-09", output_value=1200.5, revenue=1100.0, tax=55.0
            )
        )
        chain = Chain(code=chain_code, name=f"{tag}电子信息产业链", province_code=province)
        s.add(chain)
        s.flush()
        s.add(ChainMembership(chain_id=chain.id, enterprise_id=eid, role="链主"))
    return Side(
        province, city, park_code, park_name, pid, code, ent_name, eid, parcel_code, chain_code
    )


ROLE_SCOPE = {
    "admin": lambda s: [],
    "province": lambda s: [s.province],
    "city": lambda s: [s.city],
    "park": lambda s: [s.park_code],
    "chain": lambda s: [s.chain_code],
    "enterprise": lambda s: [s.uscc],
}


def build_world(db: Database) -> World:
    """Zhejiang (inside every user's scope) and Jiangsu (outside every non-admin's scope)."""
    inside = _side(db, "临江", "330000", "330100", "330102", 1)
    outside = _side(db, "苏南", "320000", "320100", "320102", 2)
    world = World(inside, outside)
    admin = access.system_principal("tests")
    parcel = pl.DataFrame(
        {
            "parcel_code": [f"{outside.parcel_code}-B"],
            "park_code": [outside.park_code],
            "holder_uscc": [outside.uscc],
            "area_mu": [12.0],
            "supply_mode": ["先租后让"],
            "start_on": [date(2020, 7, 1)],
            "term_years": [10],
            "floor_area_m2": [8000.0],
            "status": ["在用"],
        }
    )
    [(world.outside_batch_id, _)] = import_frames(
        db, admin, {"land_parcels": parcel}, source="factories"
    )
    for role, scope_of in ROLE_SCOPE.items():
        username = f"user_{role}"
        access.create_user(
            db, admin, username=username, password=PASSWORD, role=role, scope_codes=scope_of(inside)
        )
        world.users[role] = username
    return world


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log ``client`` in through the API; returns the CSRF token and sets it as a header."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token
