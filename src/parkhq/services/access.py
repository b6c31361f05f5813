"""Roles, permissions, principals, passwords, login sessions and throttling.

Six roles (系统管理员, 省级主管部门, 市级主管部门, 园区管委会, 链长办, 企业). A role says WHAT a
user may do (permissions); the user's scope says ON WHICH data (see :mod:`parkhq.store.scope`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from parkhq.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from parkhq.settings import Settings
from parkhq.store.audit import Actor, record
from parkhq.store.db import Database
from parkhq.store.models import LoginFailure, Role, User, UserScope, UserSession
from parkhq.store.scope import SCOPE_KINDS, Scope, ScopeKind

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "LoginResult",
    "Principal",
    "RoleSpec",
    "authenticate",
    "create_user",
    "hash_password",
    "logout",
    "principal_for_token",
    "seed_roles",
    "system_principal",
    "use_password_hasher",
]

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory defaults of argon2-cffi
MIN_PASSWORD_LENGTH = 8


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Replace the argon2 parameters (tests use a cheap hasher; production keeps the default)."""
    global _HASHER
    _HASHER = hasher


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str
    scope_kind: ScopeKind
    permissions: frozenset[str]
    description: str


_READ = frozenset({"park:read", "enterprise:read", "land:read", "report:read", "stats:read"})
#: Every permission a route or service may ask for, with its Chinese meaning.
PERMISSIONS: Final[dict[str, str]] = {
    "park:read": "查看园区",
    "park:write": "维护园区",
    "enterprise:read": "查看企业",
    "enterprise:write": "维护企业",
    "land:read": "查看用地",
    "report:read": "查看月报",
    "stats:read": "查看统计",
    "data:import": "导入数据",
    "user:manage": "管理用户",
    "audit:read": "查看审计日志",
    "land:rules": "维护亩均评价规则集",
    "land:evaluate": "发起亩均评价与模拟测算",
    "land:review": "园区审核亩均评价结果",
    "land:publish": "市级审核、公示、处理异议与确定亩均评价结果",
    "land:object": "对本企业亩均评价结果提出异议",
    "land:register": "维护低效用地台账",
}

ROLES: Final[dict[str, RoleSpec]] = {
    r.code: r
    for r in (
        RoleSpec(
            "admin", "系统管理员", "all", frozenset(PERMISSIONS), "平台运维，管理用户、角色与审计"
        ),
        RoleSpec(
            "province",
            "省级主管部门",
            "province",
            _READ
            | {"data:import", "park:write", "enterprise:write"}
            | {"land:rules", "land:evaluate", "land:review", "land:publish", "land:register"},
            "省工信厅/发改委/开发区办：全省园区监测、评价与统计",
        ),
        RoleSpec(
            "city",
            "市级主管部门",
            "city",
            _READ
            | {"data:import", "park:write", "enterprise:write"}
            | {"land:rules", "land:evaluate", "land:publish", "land:register"},
            "市级主管部门：本市园区监测、评价与审核",
        ),
        RoleSpec(
            "park",
            "园区管委会",
            "park",
            _READ
            | {"data:import", "enterprise:write", "land:evaluate", "land:review", "land:register"},
            "园区管委会：本园区企业、用地、亩均评价与招商",
        ),
        RoleSpec("chain", "链长办", "chain", _READ, "链长办：一条产业链跨园区的链主、缺链与任务"),
        RoleSpec(
            "enterprise",
            "企业",
            "enterprise",
            frozenset({"enterprise:read", "report:read", "land:read", "park:read", "land:object"}),
            "企业：报送数据，查看并申诉本企业评价",
        ),
    )
}


@dataclass(frozen=True)
class Principal:
    """The acting user, as services see it."""

    user_id: int | None
    username: str
    role: str
    scope: Scope
    display_name: str = ""
    csrf_token: str = field(default="", repr=False)

    @property
    def role_name(self) -> str:
        return ROLES[self.role].name

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.username)

    def can(self, permission: str) -> bool:
        return permission in ROLES[self.role].permissions

    def require(self, permission: str) -> None:
        if permission not in PERMISSIONS:
            raise LookupError(f"unknown permission {permission!r}")
        if not self.can(permission):
            raise PermissionDenied(
                f"角色「{self.role_name}」无权执行此操作（需要权限：{PERMISSIONS[permission]}）"
            )


def system_principal(username: str = "system") -> Principal:
    """A principal for CLI and loaders: administrator rights, the given name in the audit log."""
    return Principal(None, username, "admin", Scope.everything(), display_name=username)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位，实际 {len(password)} 位",
            detail={"field": "password"},
        )
    return _HASHER.hash(password)


def seed_roles(db: Database) -> None:
    """Insert or refresh the six roles (idempotent)."""
    with db.transaction() as s:
        for spec in ROLES.values():
            row = s.get(Role, spec.code) or Role(code=spec.code)
            row.name, row.description, row.scope_kind = spec.name, spec.description, spec.scope_kind
            s.add(row)


def create_user(
    db: Database,
    actor: Principal,
    *,
    username: str,
    password: str,
    role: str,
    scope_codes: list[str] | None = None,
    display_name: str = "",
) -> int:
    """Create a user with a role and the scope codes that role needs. Returns the new id."""
    actor.require("user:manage")
    username = username.strip()
    if not username or len(username) > 64:
        raise InvalidInput("用户名不能为空，且不超过 64 个字符", detail={"field": "username"})
    if role not in ROLES:
        raise InvalidInput(
            f"角色 '{role}' 不存在（应为 {'、'.join(ROLES)} 之一）", detail={"field": "role"}
        )
    spec = ROLES[role]
    codes = sorted({c.strip() for c in scope_codes or [] if c.strip()})
    if spec.scope_kind != "all" and not codes:
        raise InvalidInput(
            f"角色「{spec.name}」需要指定范围（{spec.scope_kind} 代码）",
            detail={"field": "scope_codes"},
        )
    pw_hash = hash_password(password)
    with db.transaction(actor.actor) as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(f"用户名「{username}」已存在", detail={"field": "username"})
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=pw_hash,
            role_code=role,
            scopes=[UserScope(kind=spec.scope_kind, code=c) for c in codes]
            if spec.scope_kind != "all"
            else [],
        )
        s.add(user)
        s.flush()
        return user.id


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    token: str
    principal: Principal
    expires_at: datetime


def _principal(user: User, csrf: str = "") -> Principal:
    spec = ROLES[user.role_code]
    scope = (
        Scope.everything()
        if spec.scope_kind == "all"
        else Scope(spec.scope_kind, frozenset(sc.code for sc in user.scopes))
    )
    return Principal(user.id, user.username, user.role_code, scope, user.display_name, csrf)


def authenticate(
    db: Database, settings: Settings, username: str, password: str, client: str = ""
) -> LoginResult:
    """Check a password, throttle repeated failures, and open a session."""
    now = datetime.now(UTC)
    window_start = now - timedelta(seconds=settings.login_window_s)
    with db.transaction() as s:
        failures = s.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.username == username, LoginFailure.at >= window_start)
        )
        if (failures or 0) >= settings.login_max_failures:
            raise TooManyAttempts(
                f"登录失败次数过多，请 {settings.login_window_s // 60} 分钟后再试"
            )
        user = s.scalar(select(User).where(User.username == username))
        ok = False
        if user is not None and user.is_active:
            try:
                ok = _HASHER.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        if not ok or user is None:
            s.add(LoginFailure(username=username[:64], client=client[:64], at=now))
            s.commit()
            raise AuthenticationFailed("用户名或密码错误")
        s.execute(delete(LoginFailure).where(LoginFailure.username == username))
        s.execute(delete(UserSession).where(UserSession.expires_at < now))
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + timedelta(seconds=settings.session_max_age_s)
        s.add(
            UserSession(
                token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf, expires_at=expires
            )
        )
        principal = _principal(user, csrf)
        record(s, principal.actor, "login", "app_user", str(user.id), summary="登录")
        return LoginResult(token, principal, expires)


def principal_for_token(db: Database, token: str) -> Principal:
    """The principal of a live session token, or :class:`AuthenticationFailed`."""
    if not token:
        raise AuthenticationFailed("请先登录")
    now = datetime.now(UTC)
    with db.transaction() as s:
        sess = s.get(UserSession, _token_hash(token))
        if sess is None:
            raise AuthenticationFailed("登录已失效，请重新登录")
        expires = sess.expires_at
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if expires < now:
            s.delete(sess)
            raise AuthenticationFailed("登录已过期，请重新登录")
        user = s.get(User, sess.user_id)
        if user is None or not user.is_active:
            raise AuthenticationFailed("用户已停用")
        return _principal(user, sess.csrf_token)


def logout(db: Database, token: str) -> None:
    with db.transaction() as s:
        s.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def scope_kinds() -> tuple[str, ...]:
    return SCOPE_KINDS


def get_role(code: str) -> RoleSpec:
    if code not in ROLES:
        raise NotFound(f"角色 '{code}' 不存在")
    return ROLES[code]
