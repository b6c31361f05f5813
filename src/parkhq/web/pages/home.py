"""首页: counts by park level and type, with a chart."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from parkhq.services import stats
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, requires
from parkhq.web.nav import register_nav
from parkhq.web.pages.render import chart_json, render

router = APIRouter(include_in_schema=False)
register_nav("首页", "/", "stats:read", order=10)


def level_type_chart(rows: list[stats.CountRow]) -> dict[str, Any]:
    """A stacked bar chart: park types on the x axis, one series per approval level."""
    types = sorted({r.type for r in rows})
    levels = sorted({r.level for r in rows})
    series = [
        {
            "name": lv,
            "type": "bar",
            "stack": "parks",
            "data": [
                next((r.parks for r in rows if r.level == lv and r.type == tp), 0) for tp in types
            ],
        }
        for lv in levels
    ]
    return {
        "title": {"text": "园区数量（按批准级别与类型）", "left": "center"},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 40},
        "grid": {"top": 85, "left": 50, "right": 20, "bottom": 60},
        "xAxis": {"type": "category", "data": types, "axisLabel": {"interval": 0, "rotate": 20}},
        "yAxis": {"type": "value", "name": "个"},
        "series": series,
    }


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    db: DatabaseDep,
    principal: Annotated[Principal, Depends(requires("stats:read"))],
) -> HTMLResponse:
    ov = stats.overview(db, principal)
    return render(
        request,
        "home.html",
        principal,
        overview=ov,
        chart_option=chart_json(level_type_chart(ov.by_level_type)),
    )
