"""Enterprises in the user's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from parkhq.services import enterprises
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, requires

router = APIRouter(prefix="/enterprises", tags=["企业"])
Reader = Annotated[Principal, Depends(requires("enterprise:read"))]


@router.get("/{uscc}", response_model=enterprises.EnterpriseDetail, summary="企业详情")
def get_enterprise(uscc: str, db: DatabaseDep, principal: Reader) -> enterprises.EnterpriseDetail:
    return enterprises.get_enterprise(db, principal, uscc)
