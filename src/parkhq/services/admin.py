"""System administration: users, roles and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select

from parkhq.errors import Conflict, NotFound
from parkhq.services.access import PERMISSIONS, ROLES, Principal
from parkhq.store.db import Database
from parkhq.store.models import AuditLog, User

__all__ = [
    "AuditEntry",
    "AuditPage",
    "RolePublic",
    "UserPublic",
    "list_audit",
    "list_roles",
    "list_users",
    "set_user_active",
]


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    role_name: str
    scope_kind: str
    scope_codes: list[str]
    is_active: bool
    created_at: datetime


class RolePublic(BaseModel):
    code: str
    name: str
    scope_kind: str
    description: str
    permissions: list[str]


class AuditEntry(BaseModel):
    id: int
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    summary: str


class AuditPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[AuditEntry]


def _user_public(u: User) -> UserPublic:
    spec = ROLES[u.role_code]
    return UserPublic(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=u.role_code,
        role_name=spec.name,
        scope_kind=spec.scope_kind,
        scope_codes=[sc.code for sc in u.scopes],
        is_active=u.is_active,
        created_at=u.created_at,
    )


def list_users(db: Database, principal: Principal) -> list[UserPublic]:
    principal.require("user:manage")
    with db.transaction() as s:
        return [_user_public(u) for u in s.scalars(select(User).order_by(User.id)).all()]


def set_user_active(db: Database, principal: Principal, user_id: int, active: bool) -> UserPublic:
    """Enable or disable a login (users are never deleted: the audit log refers to them)."""
    principal.require("user:manage")
    if principal.user_id == user_id and not active:
        raise Conflict("不能停用当前登录的账号")
    with db.transaction(principal.actor) as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(f"用户 {user_id} 不存在")
        user.is_active = active
        s.flush()
        return _user_public(user)


def list_roles(principal: Principal) -> list[RolePublic]:
    principal.require("user:manage")
    return [
        RolePublic(
            code=r.code,
            name=r.name,
            scope_kind=r.scope_kind,
            description=r.description,
            permissions=[PERMISSIONS[p] for p in sorted(r.permissions)],
        )
        for r in ROLES.values()
    ]


def list_audit(
    db: Database, principal: Principal, *, entity: str = "", offset: int = 0, limit: int = 100
) -> AuditPage:
    principal.require("audit:read")
    stmt = select(AuditLog)
    if entity:
        stmt = stmt.where(AuditLog.entity == entity)
    with db.transaction() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(AuditLog.id.desc()).offset(offset).limit(limit)).all()
        items = [
            AuditEntry(
                id=r.id,
                at=r.at,
                username=r.username,
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                before=r.before,
                after=r.after,
                summary=r.summary,
            )
            for r in rows
        ]
    return AuditPage(total=total, offset=offset, limit=limit, items=items)
