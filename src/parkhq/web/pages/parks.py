"""园区列表 and 园区详情."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from parkhq.services import parks
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, requires
from parkhq.web.nav import register_nav
from parkhq.web.pages.render import chart_json, render

router = APIRouter(include_in_schema=False)
register_nav("园区", "/parks", "park:read", order=20)
Reader = Annotated[Principal, Depends(requires("park:read"))]
PAGE_SIZE = 50


@router.get("/parks", response_class=HTMLResponse)
def park_list(
    request: Request,
    db: DatabaseDep,
    principal: Reader,
    q: Annotated[str, Query(max_length=64)] = "",
    level: Annotated[str, Query(max_length=16)] = "",
    type: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    result = parks.list_parks(
        db,
        principal,
        q=q,
        level=level,
        type=type,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    pages = max(1, -(-result.total // PAGE_SIZE))
    return render(
        request,
        "parks.html",
        principal,
        result=result,
        q=q,
        level=level,
        type=type,
        page=page,
        pages=pages,
    )


def land_chart(detail: parks.ParkDetail) -> dict[str, Any]:
    """A pie of land area (亩) by supply mode."""
    area: dict[str, float] = {}
    for p in detail.parcels:
        area[p.supply_mode] = area.get(p.supply_mode, 0.0) + p.area_mu
    return {
        "title": {"text": "用地面积（亩）按供地方式", "left": "center"},
        "tooltip": {"trigger": "item", "formatter": "{b}：{c} 亩（{d}%）"},
        "legend": {"bottom": 0},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "65%"],
                "data": [
                    {"name": k, "value": round(v, 2)}
                    for k, v in sorted(area.items(), key=lambda kv: -kv[1])
                ],
            }
        ],
    }


@router.get("/parks/{park_code}", response_class=HTMLResponse)
def park_detail(
    park_code: str, request: Request, db: DatabaseDep, principal: Reader
) -> HTMLResponse:
    detail = parks.get_park(db, principal, park_code)
    return render(
        request, "park.html", principal, park=detail, chart_option=chart_json(land_chart(detail))
    )
