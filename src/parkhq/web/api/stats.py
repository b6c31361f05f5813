"""Counts of what the store holds, within the user's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from parkhq.services import stats
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, requires

router = APIRouter(prefix="/stats", tags=["统计"])
Reader = Annotated[Principal, Depends(requires("stats:read"))]


@router.get("", response_model=stats.Overview, summary="数据概况与园区按级别、类型计数")
def overview(db: DatabaseDep, principal: Reader) -> stats.Overview:
    return stats.overview(db, principal)
