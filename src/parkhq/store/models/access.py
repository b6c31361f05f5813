"""Users, roles, scopes, login sessions, login throttling and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parkhq.store.models.base import Base, utcnow

__all__ = ["AuditLog", "LoginFailure", "Role", "User", "UserScope", "UserSession"]


class Role(Base):
    """One of the six roles (系统管理员 … 企业). Permissions live in ``services.access``."""

    __tablename__ = "role"
    __audited__: ClassVar[bool] = False

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    scope_kind: Mapped[str | None] = mapped_column(String(16))  # which scope the role needs


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role_code: Mapped[str] = mapped_column(ForeignKey("role.code"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    scopes: Mapped[list[UserScope]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserScope.code"
    )


class UserScope(Base):
    """What part of the data a user sees: a province, city, park, chain or enterprise code."""

    __tablename__ = "user_scope"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)


class UserSession(Base):
    """A login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"
    __audited__: ClassVar[bool] = False

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class LoginFailure(Base):
    """A failed login, for throttling by user name and client address."""

    __tablename__ = "login_failure"
    __audited__: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditLog(Base):
    """Who changed what, when: one row per written object (before → after)."""

    __tablename__ = "audit_log"
    __audited__: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))  # create / update / delete / login / import …
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text, default="")
