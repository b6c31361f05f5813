"""Reference look-ups: GB/T 4754-2017 industries and GB/T 2260 regions (public facts, any role)."""

from __future__ import annotations

from fastapi import APIRouter

from parkhq.services import reference
from parkhq.web.deps import PrincipalDep

router = APIRouter(prefix="/reference", tags=["参考数据"])


@router.get(
    "/industries/{industry_code}", response_model=reference.IndustryInfo, summary="行业代码查询"
)
def industry(industry_code: str, principal: PrincipalDep) -> reference.IndustryInfo:
    return reference.industry_info(industry_code)


@router.get("/regions/{region_code}", response_model=reference.RegionInfo, summary="区划代码查询")
def region(region_code: str, principal: PrincipalDep) -> reference.RegionInfo:
    return reference.region_info(region_code)
