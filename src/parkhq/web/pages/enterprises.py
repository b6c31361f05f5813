"""企业详情."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from parkhq.services import enterprises
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, requires
from parkhq.web.pages.render import chart_json, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(requires("enterprise:read"))]


def report_chart(detail: enterprises.EnterpriseDetail) -> dict[str, Any]:
    """Monthly output and tax (万元) as lines."""
    periods = [r.period for r in detail.reports]
    return {
        "title": {"text": "月度工业总产值与税收（万元）", "left": "center"},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 40},
        "grid": {"top": 85, "left": 60, "right": 20, "bottom": 40},
        "xAxis": {"type": "category", "data": periods},
        "yAxis": {"type": "value", "name": "万元"},
        "series": [
            {
                "name": "工业总产值",
                "type": "line",
                "data": [r.output_value for r in detail.reports],
            },
            {"name": "税收", "type": "line", "data": [r.tax for r in detail.reports]},
        ],
    }


@router.get("/enterprises/{uscc}", response_class=HTMLResponse)
def enterprise_detail(
    uscc: str, request: Request, db: DatabaseDep, principal: Reader
) -> HTMLResponse:
    detail = enterprises.get_enterprise(db, principal, uscc)
    return render(
        request,
        "enterprise.html",
        principal,
        ent=detail,
        chart_option=chart_json(report_chart(detail)),
    )
