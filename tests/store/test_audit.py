"""Every ORM write lands in the audit log with who, when, what, before → after."""

from __future__ import annotations

from sqlalchemy import select

from parkhq.store.audit import Actor
from parkhq.store.models import AuditLog, Park


def _log(db):
    with db.transaction() as s:
        return s.scalars(select(AuditLog).order_by(AuditLog.id)).all()


def test_create_update_delete_are_recorded_with_before_and_after(db):
    actor = Actor(7, "zhang")
    with db.transaction(actor) as s:
        park = Park(
            code="S337001",
            name="临江经济开发区",
            level="省级",
            type="经济开发区",
            province_code="330000",
        )
        s.add(park)
    with db.transaction(actor) as s:
        row = s.scalar(select(Park).where(Park.code == "S337001"))
        assert row is not None
        row.name = "临江高新技术产业园区"
    with db.transaction(actor) as s:
        row = s.scalar(select(Park).where(Park.code == "S337001"))
        s.delete(row)
    entries = [e for e in _log(db) if e.entity == "park"]
    assert [e.action for e in entries] == ["create", "update", "delete"]
    create, update, delete = entries
    assert create.username == "zhang" and create.user_id == 7
    assert create.before is None and create.after["name"] == "临江经济开发区"
    assert update.before["name"] == "临江经济开发区"
    assert update.after["name"] == "临江高新技术产业园区"
    assert delete.before["code"] == "S337001" and delete.after is None
    assert all(e.at is not None for e in entries)


def test_a_rolled_back_write_leaves_no_audit_row(db):
    try:
        with db.transaction(Actor(1, "li")) as s:
            s.add(
                Park(
                    code="S337002", name="甲", level="省级", type="工业园区", province_code="330000"
                )
            )
            s.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert [e for e in _log(db) if e.entity == "park"] == []


def test_password_hashes_never_reach_the_audit_log(db, world):
    users = [e for e in _log(db) if e.entity == "app_user" and e.action == "create"]
    assert users
    assert all(e.after["password_hash"] == "***" for e in users)
