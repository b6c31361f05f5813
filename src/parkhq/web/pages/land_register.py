"""低效用地 register and park-level 集约化 figures pages (the rest of 亩均评价 is in
:mod:`parkhq.web.pages.land`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from parkhq.errors import ParkHQError
from parkhq.services import land_register
from parkhq.services.access import Principal
from parkhq.web.api.land import EntryId
from parkhq.web.deps import DatabaseDep, requires
from parkhq.web.nav import register_nav
from parkhq.web.pages.land import MESSAGES, default_year, redirect
from parkhq.web.pages.render import chart_json, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
register_nav("低效用地", "/land/register", "land:register", order=43)
Reader = Annotated[Principal, Depends(requires("land:read"))]
Registrar = Annotated[Principal, Depends(requires("land:register"))]


def _register_page(
    request: Request,
    db: DatabaseDep,
    principal: Principal,
    *,
    run_id: int | None = None,
    message: str = "",
    error: str = "",
    code: int = 200,
) -> HTMLResponse:
    entries = land_register.list_register(db, principal)
    candidates = land_register.list_candidates(db, principal, run_id=run_id)
    return render(
        request,
        "land_register.html",
        principal,
        status_code=code,
        entries=entries,
        candidates=candidates,
        run_id=run_id,
        land_types=land_register.LAND_TYPES,
        methods=land_register.DISPOSAL_METHODS,
        statuses=land_register.REGISTER_STATUSES,
        message=message,
        error=error,
    )


@router.get("/land/register", response_class=HTMLResponse)
def register(
    request: Request,
    db: DatabaseDep,
    principal: Registrar,
    run_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    msg: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    return _register_page(request, db, principal, run_id=run_id, message=MESSAGES.get(msg, ""))


@router.post("/land/register", response_class=HTMLResponse)
def register_entry(
    request: Request,
    db: DatabaseDep,
    principal: Registrar,
    parcel_code: Annotated[str, Form(min_length=1, max_length=32)],
    land_type: Annotated[land_register.LandType, Form()],
    responsible_unit: Annotated[str, Form(max_length=128)] = "",
    source_reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        land_register.create_entry(
            db,
            principal,
            land_register.EntryIn(
                parcel_code=parcel_code,
                land_type=land_type,
                responsible_unit=responsible_unit,
                source_reason=source_reason,
            ),
        )
    except ParkHQError as exc:
        return _register_page(request, db, principal, error=exc.message, code=exc.status_code)
    return redirect("/land/register?msg=saved")


@router.post("/land/register/{entry_id}", response_class=HTMLResponse)
def update_entry(
    entry_id: EntryId,
    request: Request,
    db: DatabaseDep,
    principal: Registrar,
    disposal_method: Annotated[land_register.Disposal, Form()] = "",
    responsible_unit: Annotated[str, Form(max_length=128)] = "",
    area_disposed_mu: Annotated[float, Form(ge=0, le=1e7)] = 0.0,
    area_remaining_mu: Annotated[float, Form(ge=0, le=1e7)] = 0.0,
    progress: Annotated[float, Form(ge=0, le=100)] = 0.0,
    status: Annotated[land_register.RegisterStatus, Form()] = "待处置",
) -> Response:
    try:
        land_register.update_entry(
            db,
            principal,
            entry_id,
            land_register.EntryUpdate(
                disposal_method=disposal_method,
                responsible_unit=responsible_unit,
                area_disposed_mu=area_disposed_mu,
                area_remaining_mu=area_remaining_mu,
                progress=progress,
                status=status,
            ),
        )
    except ParkHQError as exc:
        return _register_page(request, db, principal, error=exc.message, code=exc.status_code)
    return redirect("/land/register?msg=saved")


@router.get("/land/figures", response_class=HTMLResponse)
def figures(
    request: Request,
    db: DatabaseDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> HTMLResponse:
    year = year or default_year(db, principal)
    rows = land_register.park_figures(db, principal, year)
    top = sorted((r for r in rows if r.tax_per_mu is not None), key=lambda r: -(r.tax_per_mu or 0))
    option = {
        "title": {"text": f"{year} 年园区亩均税收（万元/亩）", "left": "center"},
        "tooltip": {"trigger": "axis"},
        "grid": {"top": 50, "left": 60, "right": 20, "bottom": 90},
        "xAxis": {
            "type": "category",
            "data": [r.park_name for r in top[:30]],
            "axisLabel": {"rotate": 40},
        },
        "yAxis": {"type": "value", "name": "万元/亩"},
        "series": [
            {
                "type": "bar",
                "name": "亩均税收",
                "data": [round(r.tax_per_mu or 0, 2) for r in top[:30]],
            }
        ],
    }
    return render(
        request,
        "land_figures.html",
        principal,
        rows=rows,
        year=year,
        modes=land_register.SUPPLY_MODES,
        chart_option=chart_json(option),
    )
