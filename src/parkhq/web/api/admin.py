"""System administration: users, roles, audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from parkhq.services import access, admin
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, UserId, requires

router = APIRouter(prefix="/admin", tags=["系统管理"])
UserManager = Annotated[Principal, Depends(requires("user:manage"))]
Auditor = Annotated[Principal, Depends(requires("audit:read"))]


RoleCode = Literal["admin", "province", "city", "park", "chain", "enterprise"]


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    role: RoleCode
    scope_codes: list[str] = Field(default_factory=list, max_length=100)
    display_name: str = Field(default="", max_length=64)


class UserActive(BaseModel):
    is_active: bool


@router.get("/users", response_model=list[admin.UserPublic], summary="用户列表")
def list_users(db: DatabaseDep, principal: UserManager) -> list[admin.UserPublic]:
    return admin.list_users(db, principal)


@router.post("/users", response_model=admin.UserPublic, status_code=201, summary="新建用户")
def create_user(body: UserCreate, db: DatabaseDep, principal: UserManager) -> admin.UserPublic:
    user_id = access.create_user(
        db,
        principal,
        username=body.username,
        password=body.password,
        role=body.role,
        scope_codes=body.scope_codes,
        display_name=body.display_name,
    )
    return next(u for u in admin.list_users(db, principal) if u.id == user_id)


@router.put("/users/{user_id}/active", response_model=admin.UserPublic, summary="启用/停用用户")
def set_active(
    user_id: UserId, body: UserActive, db: DatabaseDep, principal: UserManager
) -> admin.UserPublic:
    return admin.set_user_active(db, principal, user_id, body.is_active)


@router.get("/roles", response_model=list[admin.RolePublic], summary="角色与权限")
def list_roles(principal: UserManager) -> list[admin.RolePublic]:
    return admin.list_roles(principal)


@router.get("/audit", response_model=admin.AuditPage, summary="审计日志")
def list_audit(
    db: DatabaseDep,
    principal: Auditor,
    entity: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> admin.AuditPage:
    return admin.list_audit(db, principal, entity=entity, offset=offset, limit=limit)
