"""系统管理: users (create, enable/disable), roles, audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from parkhq.errors import ParkHQError
from parkhq.services import access, admin
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, UserId, requires
from parkhq.web.nav import register_nav
from parkhq.web.pages.render import render

router = APIRouter(include_in_schema=False)
register_nav("系统管理", "/admin", "user:manage", order=900)
Manager = Annotated[Principal, Depends(requires("user:manage"))]


def _admin_page(
    request: Request,
    db: DatabaseDep,
    principal: Principal,
    *,
    error: str = "",
    status: int = 200,
    audit_page: int = 1,
) -> HTMLResponse:
    limit = 50
    return render(
        request,
        "admin.html",
        principal,
        status_code=status,
        users=admin.list_users(db, principal),
        roles=admin.list_roles(principal),
        audit=admin.list_audit(db, principal, offset=(audit_page - 1) * limit, limit=limit),
        audit_page=audit_page,
        error=error,
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_home(
    request: Request,
    db: DatabaseDep,
    principal: Manager,
    audit_page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    return _admin_page(request, db, principal, audit_page=audit_page)


@router.post("/admin/users")
def create_user(
    request: Request,
    db: DatabaseDep,
    principal: Manager,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[str, Form(max_length=16)],
    scope_codes: Annotated[str, Form(max_length=2000)] = "",
    display_name: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        access.create_user(
            db,
            principal,
            username=username,
            password=password,
            role=role,
            scope_codes=[c for c in scope_codes.replace("，", ",").split(",") if c.strip()],
            display_name=display_name,
        )
    except ParkHQError as exc:
        return _admin_page(request, db, principal, error=exc.message, status=exc.status_code)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/{user_id}/active")
def set_active(
    user_id: UserId,
    request: Request,
    db: DatabaseDep,
    principal: Manager,
    is_active: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    try:
        admin.set_user_active(db, principal, user_id, is_active == "1")
    except ParkHQError as exc:
        return _admin_page(request, db, principal, error=exc.message, status=exc.status_code)
    return RedirectResponse("/admin", status_code=303)
