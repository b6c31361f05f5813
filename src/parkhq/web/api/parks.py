"""Parks in the user's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from parkhq.services import parks
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, requires

router = APIRouter(prefix="/parks", tags=["园区"])
Reader = Annotated[Principal, Depends(requires("park:read"))]


@router.get("", response_model=parks.ParkPage, summary="园区列表")
def list_parks(
    db: DatabaseDep,
    principal: Reader,
    q: Annotated[str, Query(max_length=64, description="名称或代码包含")] = "",
    level: Annotated[str, Query(max_length=16, description="国家级 / 省级")] = "",
    type: Annotated[str, Query(max_length=32, description="开发区类型")] = "",
    city_code: Annotated[str, Query(max_length=6)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> parks.ParkPage:
    return parks.list_parks(
        db, principal, q=q, level=level, type=type, city_code=city_code, offset=offset, limit=limit
    )


@router.get("/{park_code}", response_model=parks.ParkDetail, summary="园区详情（企业与用地）")
def get_park(park_code: str, db: DatabaseDep, principal: Reader) -> parks.ParkDetail:
    return parks.get_park(db, principal, park_code)
