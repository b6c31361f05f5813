"""Request dependencies: the database, the settings and the acting principal.

Routes declare what they need with the typed aliases below; permission checks are one
dependency (:func:`requires`), scope filtering is done by services through
:func:`parkhq.store.scope.scoped`. Nothing here is per-route copy-paste.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Request

from parkhq.errors import AuthenticationFailed, PermissionDenied
from parkhq.services.access import Principal, principal_for_token
from parkhq.settings import Settings
from parkhq.store.db import Database

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "DatabaseDep",
    "OptionalPrincipalDep",
    "PrincipalDep",
    "SettingsDep",
    "UserId",
    "check_csrf",
    "requires",
]

SESSION_COOKIE = "parkhq_session"
LOGIN_CSRF_COOKIE = "parkhq_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DatabaseDep = Annotated[Database, Depends(get_database)]
#: Integer ids in paths fit a 32-bit INTEGER column on both backends.
UserId = Annotated[int, Path(ge=1, le=2_147_483_647, description="用户编号")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def optional_principal(request: Request, db: DatabaseDep) -> Principal | None:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        assert isinstance(cached, Principal)
        return cached
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    try:
        principal = principal_for_token(db, token)
    except AuthenticationFailed:
        return None
    request.state.principal = principal
    return principal


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


def check_csrf(request: Request, principal: Principal, form_token: str | None = None) -> None:
    """Unsafe requests must carry the session's CSRF token (form field or header)."""
    if request.method in SAFE_METHODS:
        return
    sent = form_token or request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, principal.csrf_token):
        raise PermissionDenied("CSRF 校验失败：请刷新页面后重试", detail={"reason": "csrf"})


async def current_principal(request: Request, principal: OptionalPrincipalDep) -> Principal:
    if principal is None:
        raise AuthenticationFailed("请先登录")
    if request.method not in SAFE_METHODS:
        form_token: str | None = None
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            form_token = value if isinstance(value, str) else None
        check_csrf(request, principal, form_token)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def requires(permission: str) -> Callable[[Principal], Principal]:
    """A dependency that yields the principal after checking one permission."""

    def dep(principal: PrincipalDep) -> Principal:
        principal.require(permission)
        return principal

    dep.__name__ = f"requires_{permission.replace(':', '_')}"
    return dep
