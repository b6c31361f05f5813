"""Login, logout and the current user."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from parkhq.services import access
from parkhq.settings import Settings
from parkhq.web.deps import SESSION_COOKIE, DatabaseDep, PrincipalDep, SettingsDep

router = APIRouter(prefix="/auth", tags=["认证"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class MeOut(BaseModel):
    username: str
    display_name: str
    role: str
    role_name: str
    scope_kind: str
    scope_codes: list[str]
    permissions: list[str]
    csrf_token: str


def _me(p: access.Principal) -> MeOut:
    return MeOut(
        username=p.username,
        display_name=p.display_name,
        role=p.role,
        role_name=p.role_name,
        scope_kind=p.scope.kind,
        scope_codes=sorted(p.scope.codes),
        permissions=sorted(access.ROLES[p.role].permissions),
        csrf_token=p.csrf_token,
    )


def set_session_cookie(response: Response, settings: Settings, result: access.LoginResult) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


@router.post("/login", response_model=MeOut, summary="登录，返回当前用户与 CSRF 令牌")
def login(
    body: LoginIn, request: Request, response: Response, db: DatabaseDep, settings: SettingsDep
) -> MeOut:
    client = request.client.host if request.client else ""
    result = access.authenticate(db, settings, body.username, body.password, client)
    set_session_cookie(response, settings, result)
    return _me(result.principal)


@router.post("/logout", status_code=204, summary="退出登录")
def logout(request: Request, response: Response, db: DatabaseDep, principal: PrincipalDep) -> None:
    access.logout(db, request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=MeOut, summary="当前用户")
def me(principal: PrincipalDep) -> MeOut:
    return _me(principal)
