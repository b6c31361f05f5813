"""亩均效益 evaluation: rule-set versions, runs (immutable snapshots), per-firm results, the
review / 公示 / 异议 process, objection evidence, and the 低效用地 register.

A run is immutable once created: its input frame (``land_run_input.parquet``) and the resolved
rule set (``land_run_input.rules_json``) are kept byte for byte, so re-scoring them gives the
stored results again, and the content hash over both identifies the run. An accepted objection
never edits a run: it creates a new version (``parent_run_id``) and marks the old one superseded.

Units: land 亩, money 万元; ``floor_area_ratio`` (容积率) of a parcel is
``floor_area_m2 / (area_mu × 666.67)`` and is computed, never stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from parkhq.store.models.base import Base, TimestampMixin, utcnow

__all__ = [
    "EvaluationResult",
    "EvaluationRun",
    "EvaluationRunInput",
    "LowEfficiencyLand",
    "Objection",
    "ObjectionEvidence",
    "ReviewStep",
    "RuleSetVersion",
]


class RuleSetVersion(Base):
    """One version of a 亩均效益 rule set: the YAML as written and its canonical JSON.

    ``scope_code`` is the province or city (GB/T 2260) that owns it; ``""`` for the shipped
    presets, which every user sees. Versions are never edited: saving an edit stores a new row.
    """

    __tablename__ = "land_rule_set"
    __table_args__ = (UniqueConstraint("scope_code", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    yaml_text: Mapped[str] = mapped_column(Text)
    canonical_json: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="")  # 来源文件标题 + 网址
    valid_from: Mapped[date] = mapped_column(Date)
    scope_code: Mapped[str] = mapped_column(String(6), default="", index=True)
    is_preset: Mapped[bool] = mapped_column(default=False)
    based_on_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationRun(Base):
    """One evaluation of one year (or period window) over one region or park.

    ``scope_kind`` / ``scope_code``: what the run covers (province, city or county code, or a
    park code); ``province_code``, ``city_code`` and ``park_code`` locate it for scope checks.
    Status: draft → park_review → city_review → publicized (公示) → final; superseded when an
    accepted objection produced a newer version (``lineage_id`` = the first version's id).
    """

    __tablename__ = "land_run"
    __table_args__ = (Index("ix_land_run_lineage_version", "lineage_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer, index=True)
    period_start: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    period_end: Mapped[str] = mapped_column(String(7))
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("land_rule_set.id"), index=True)
    scope_kind: Mapped[str] = mapped_column(String(16))  # province / city / county / park
    scope_code: Mapped[str] = mapped_column(String(16))
    scope_name: Mapped[str] = mapped_column(String(128), default="")
    province_code: Mapped[str] = mapped_column(String(6), index=True)
    city_code: Mapped[str | None] = mapped_column(String(6), index=True)
    park_code: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    lineage_id: Mapped[int | None] = mapped_column(Integer)
    parent_run_id: Mapped[int | None] = mapped_column(ForeignKey("land_run.id"))
    content_hash: Mapped[str] = mapped_column(String(80), index=True)
    firm_count: Mapped[int] = mapped_column(Integer, default=0)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    publication_days: Mapped[int | None] = mapped_column(Integer)
    publication_start: Mapped[datetime | None] = mapped_column()
    publication_end: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finalized_at: Mapped[datetime | None] = mapped_column()


class EvaluationRunInput(Base):
    """A run's frozen inputs: the firm frame as zstd Parquet and the resolved rule set.

    Kept apart from :class:`EvaluationRun` so that the audited run row stays small; written
    once with the run (its creation is audited) and never updated.
    """

    __tablename__ = "land_run_input"
    __audited__: ClassVar[bool] = False

    run_id: Mapped[int] = mapped_column(
        ForeignKey("land_run.id", ondelete="CASCADE"), primary_key=True
    )
    rules_json: Mapped[str] = mapped_column(Text)
    parquet: Mapped[bytes] = mapped_column(LargeBinary)
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list[str]] = mapped_column(JSON)


class EvaluationResult(Base):
    """One firm's outcome in one run (written in bulk with the run; audited once per run)."""

    __tablename__ = "land_result"
    __audited__: ClassVar[bool] = False
    __table_args__ = (
        UniqueConstraint("run_id", "uscc"),
        Index("ix_land_result_uscc", "uscc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("land_run.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int | None] = mapped_column(Integer, index=True)
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(128))
    park_code: Mapped[str | None] = mapped_column(String(16))
    province_code: Mapped[str | None] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    segment_key: Mapped[str | None] = mapped_column(String(64))
    segment: Mapped[str | None] = mapped_column(String(64))
    total: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    segment_size: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(16))
    exempt_reason: Mapped[str | None] = mapped_column(String(128))
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    explanation: Mapped[str] = mapped_column(Text, default="")


class ReviewStep(Base):
    """One step of the process: submitted, park review, city review, published, objection
    decided, new version, final — who, when, decision and reason."""

    __tablename__ = "land_review_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("land_run.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))  # approve / reject / done
    reason: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Objection(Base):
    """A firm contests its result during 公示, with corrected input values and evidence files.

    ``corrections`` maps input columns (``tax``, ``land_mu`` …) to the values the firm says are
    right; accepting the objection scores a new run version with them (``resolved_run_id``).
    """

    __tablename__ = "land_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("land_run.id", ondelete="CASCADE"), index=True)
    original_run_id: Mapped[int] = mapped_column(Integer)
    enterprise_id: Mapped[int | None] = mapped_column(Integer, index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    corrections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewer: Mapped[str | None] = mapped_column(String(64))
    reviewer_reason: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_run_id: Mapped[int | None] = mapped_column(ForeignKey("land_run.id"))


class ObjectionEvidence(Base):
    """An evidence file of an objection, kept in the database (size-capped) with its SHA-256.

    Not audited row by row (the bytes do not belong in the audit log); the objection service
    records each file's name, size and hash.
    """

    __tablename__ = "land_objection_evidence"
    __audited__: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(
        ForeignKey("land_objection.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(256))
    content_type: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class LowEfficiencyLand(TimestampMixin, Base):
    """An entry of the 低效用地 register: one parcel, why it is listed, and its disposal.

    ``land_type``: 闲置 / 低效 / 容积率不达标 / D类企业用地; ``disposal_method``: 收回 / 盘活 /
    二次开发 / 兼并重组 / 提高容积率 / 协议退出; areas in 亩; ``progress`` 0–100 (%).
    """

    __tablename__ = "land_low_efficiency"

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("land_parcel.id"), index=True)
    land_type: Mapped[str] = mapped_column(String(16))
    disposal_method: Mapped[str] = mapped_column(String(16), default="")
    area_disposed_mu: Mapped[float] = mapped_column(Float, default=0.0)
    area_remaining_mu: Mapped[float] = mapped_column(Float)
    responsible_unit: Mapped[str] = mapped_column(String(128), default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="待处置")  # 待处置 / 处置中 / 已完成
    source_reason: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
