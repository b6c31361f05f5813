"""登录 / 退出."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from parkhq.errors import AuthenticationFailed
from parkhq.services import access
from parkhq.web.api.auth import set_session_cookie
from parkhq.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    DatabaseDep,
    OptionalPrincipalDep,
    PrincipalDep,
    SettingsDep,
)
from parkhq.web.pages.render import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _login_page(request: Request, error: str = "", status: int = 200, next_: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", None, status_code=status, error=error, csrf=token, next=next_
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.get("/login")
def login_form(request: Request, principal: OptionalPrincipalDep, next: str = "/") -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=512)] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        return _login_page(request, "页面已过期，请重新提交", 400, _safe_next(next))
    client = request.client.host if request.client else ""
    try:
        result = access.authenticate(db, settings, username.strip(), password, client)
    except AuthenticationFailed as exc:
        return _login_page(request, exc.message, exc.status_code, _safe_next(next))
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, settings, result)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, db: DatabaseDep, principal: PrincipalDep) -> Response:
    access.logout(db, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
