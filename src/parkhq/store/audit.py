"""The audit log, written in the same transaction as the change it records.

Every ORM write (insert, update, delete) of an audited model is recorded automatically by a
``before_flush`` hook on the session, with the acting user and the object's values before → after.
Bulk paths that bypass the ORM (imports) call :func:`record` once for the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from parkhq.store.models import AuditLog, Base

__all__ = ["Actor", "install_audit", "record", "snapshot"]

SECRET_FIELDS = frozenset({"password_hash", "csrf_token", "token_hash"})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a logged-in user, or a named system process (CLI, demo loader)."""

    user_id: int | None
    username: str


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def snapshot(obj: Base) -> dict[str, Any]:
    """The object's column values, JSON-ready, secrets masked."""
    mapper = inspect(obj).mapper
    out: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        key = attr.key
        out[key] = "***" if key in SECRET_FIELDS else _plain(getattr(obj, key, None))
    return out


def _before(obj: Base) -> dict[str, Any]:
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.deleted:
            value = hist.deleted[0]
        elif hist.unchanged:
            value = hist.unchanged[0]
        else:
            value = None
        out[attr.key] = "***" if attr.key in SECRET_FIELDS else _plain(value)
    return out


def _identity(obj: Base) -> str:
    ident = inspect(obj).identity
    if ident:
        return "/".join(str(i) for i in ident)
    return ""


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: str = "",
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
) -> None:
    """Add one audit row to the session's transaction."""
    session.add(
        AuditLog(
            user_id=actor.user_id if actor else None,
            username=actor.username if actor else "system",
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            summary=summary,
        )
    )


def _on_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    pending: list[tuple[str, Base]] = []
    for obj in session.new:
        if isinstance(obj, Base) and type(obj).__audited__:
            pending.append(("create", obj))
    for obj in session.dirty:
        if isinstance(obj, Base) and type(obj).__audited__ and session.is_modified(obj):
            pending.append(("update", obj))
    for obj in session.deleted:
        if isinstance(obj, Base) and type(obj).__audited__:
            pending.append(("delete", obj))
    if not pending:
        return
    session.info.setdefault("audit_after_flush", []).extend(
        (action, obj, None if action == "create" else _before(obj)) for action, obj in pending
    )


def _after_flush(session: Session, _ctx: Any) -> None:
    items = session.info.pop("audit_after_flush", [])
    actor: Actor | None = session.info.get("actor")
    for action, obj, before in items:
        after = None if action == "delete" else snapshot(obj)
        record(
            session,
            actor,
            action,
            type(obj).__tablename__,
            _identity(obj) if action != "delete" else str((before or {}).get("id", "")),
            before=before,
            after=after,
        )


def install_audit(session: Session, actor: Actor | None) -> None:
    """Attach the acting user and the audit hooks to one session."""
    session.info["actor"] = actor
    if not event.contains(session, "before_flush", _on_flush):
        event.listen(session, "before_flush", _on_flush)
        event.listen(session, "after_flush_postexec", _after_flush)
