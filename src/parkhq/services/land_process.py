"""The 亩均效益 evaluation process: draft → 园区审核 → 市级审核 → 公示 (N days) → 异议 → 确定.

- the evaluating office submits a draft (``land:evaluate``);
- the park committee approves or returns it (``land:review``);
- the city authority approves it and publishes it for N days, or returns it; it also decides
  objections and finally confirms the result (``land:publish``); province and administrator
  roles may do every step;
- during 公示 a firm contests its result (``land:object``) with a reason, the values it says
  are right (``tax``, ``land_mu`` …) and at least one evidence file;
- the reviewer accepts (→ a new run version scored with the corrected values; the old version
  is kept unchanged and marked superseded; open objections move to the new version) or rejects
  with a reason.

Every step is a :class:`ReviewStep` row and an audit-log entry (status changes of the run are
audited by the session hook; evidence files are recorded by name, size and SHA-256).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parkhq.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from parkhq.reference.uscc import normalise_uscc
from parkhq.services.access import Principal
from parkhq.services.land import INPUT_NUMERIC, RUN_STATUS_LABELS, store_run
from parkhq.services.land_runs import in_window, load_inputs, open_objection_exists, visible_run
from parkhq.store.audit import record
from parkhq.store.db import Database
from parkhq.store.models import (
    EvaluationResult,
    EvaluationRun,
    Objection,
    ObjectionEvidence,
    ReviewStep,
)
from parkhq.store.models.base import utcnow
from parkhq.store.scope import scoped

__all__ = [
    "ACTIONS",
    "CORRECTABLE",
    "MAX_EVIDENCE_BYTES",
    "MAX_EVIDENCE_FILES",
    "OBJECTION_STATUS_LABELS",
    "Action",
    "EvidenceFile",
    "EvidencePublic",
    "ObjectionPage",
    "ObjectionPublic",
    "decide_objection",
    "get_evidence",
    "get_objection",
    "list_objections",
    "submit_objection",
    "transition",
]

Action = Literal["submit", "park_approve", "park_reject", "publish", "city_reject", "finalize"]


@dataclass(frozen=True, slots=True)
class _Move:
    source: str
    target: str
    permission: str
    step: str
    decision: str
    label: str


ACTIONS: dict[str, _Move] = {
    "submit": _Move("draft", "park_review", "land:evaluate", "submit", "done", "提交园区审核"),
    "park_approve": _Move(
        "park_review", "city_review", "land:review", "park_review", "approve", "园区审核通过"
    ),
    "park_reject": _Move(
        "park_review", "draft", "land:review", "park_review", "reject", "园区退回"
    ),
    "publish": _Move(
        "city_review", "publicized", "land:publish", "city_review", "approve", "市级审核通过并公示"
    ),
    "city_reject": _Move(
        "city_review", "draft", "land:publish", "city_review", "reject", "市级退回"
    ),
    "finalize": _Move("publicized", "final", "land:publish", "final", "done", "确定评价结果"),
}

#: Input columns an objection may correct, with their Chinese names.
CORRECTABLE: dict[str, str] = {
    "land_mu": "用地面积(亩)",
    "tax": "税收(万元)",
    "value_added": "工业增加值(万元)",
    "revenue": "营业收入(万元)",
    "energy_tce": "综合能耗(吨标准煤)",
    "emission_t": "主要污染物排放量(吨)",
    "employees": "从业人员(人)",
    "rd_expense": "研发经费支出(万元)",
    "electricity": "用电量(万千瓦时)",
    "tech_investment": "技术改造投资(万元)",
    "scale": "规模(规上/规下)",
    "status": "评价状态(参评/不定等级)",
}
_TEXT_CHOICES = {"scale": ("规上", "规下"), "status": ("参评", "不定等级")}
OBJECTION_STATUS_LABELS = {"submitted": "待处理", "accepted": "已受理", "rejected": "已驳回"}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 5
EVIDENCE_EXTENSIONS = frozenset(
    {".pdf", ".jpg", ".jpeg", ".png", ".xlsx", ".xls", ".docx", ".doc", ".csv", ".txt", ".zip"}
)
_SAFE_TYPES = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "text/csv", "text/plain", "application/zip"}
)
MAX_PUBLICATION_DAYS = 90


class EvidenceFile(BaseModel):
    filename: str
    content_type: str
    content: bytes


class EvidencePublic(BaseModel):
    id: int
    filename: str
    content_type: str
    sha256: str
    size: int
    uploaded_at: datetime


class ObjectionPublic(BaseModel):
    id: int
    run_id: int
    run_title: str
    original_run_id: int
    uscc: str
    name: str
    reason: str
    corrections: dict[str, Any]
    status: str
    status_label: str
    submitted_by: str
    submitted_at: datetime
    reviewer: str | None
    reviewer_reason: str
    resolved_at: datetime | None
    resolved_run_id: int | None
    evidence: list[EvidencePublic]


class ObjectionPage(BaseModel):
    total: int
    items: list[ObjectionPublic]


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _step(
    s: Session, principal: Principal, run_id: int, step: str, decision: str, reason: str
) -> None:
    s.add(
        ReviewStep(
            run_id=run_id,
            step=step,
            decision=decision,
            reason=reason,
            user_id=principal.user_id,
            username=principal.username,
        )
    )


# --- transitions ---------------------------------------------------------------------------


def transition(
    db: Database,
    principal: Principal,
    run_id: int,
    action: Action,
    *,
    reason: str = "",
    days: int | None = None,
    now: datetime | None = None,
) -> str:
    """Move a run one step; returns the new status. Role, scope and state are checked."""
    move = ACTIONS.get(action)
    if move is None:
        raise InvalidInput(f"未知的操作 {action!r}（可选：{'、'.join(ACTIONS)}）")
    principal.require(move.permission)
    reason = reason.strip()
    if move.decision == "reject" and not reason:
        raise InvalidInput("退回须填写理由", detail={"field": "reason"})
    at = _now(now)
    with db.transaction(principal.actor) as s:
        run = visible_run(s, principal, run_id)
        if run.status != move.source:
            raise Conflict(
                f"评价当前状态为「{RUN_STATUS_LABELS.get(run.status, run.status)}」，"
                f"不能执行「{move.label}」（需为「{RUN_STATUS_LABELS[move.source]}」）",
                detail={"status": run.status},
            )
        if action == "publish":
            if days is None or not 1 <= days <= MAX_PUBLICATION_DAYS:
                raise InvalidInput(
                    f"公示天数须为 1–{MAX_PUBLICATION_DAYS} 天", detail={"field": "days"}
                )
            run.publication_days = days
            run.publication_start = at
            run.publication_end = at + timedelta(days=days)
            reason = reason or f"公示 {days} 天，至 {run.publication_end:%Y-%m-%d %H:%M} (UTC)"
        if action == "finalize":
            _check_final(s, run, at)
            run.finalized_at = at
        run.status = move.target
        _step(s, principal, run.id, move.step, move.decision, reason)
        record(
            s,
            principal.actor,
            move.step,
            "land_run",
            str(run.id),
            summary=f"{move.label}：{run.title}（第 {run.version} 版）{reason and '；' + reason}",
        )
        return run.status


def _check_final(s: Session, run: EvaluationRun, at: datetime) -> None:
    if run.publication_end is not None and at < run.publication_end:
        raise Conflict(
            f"公示期至 {run.publication_end:%Y-%m-%d %H:%M} (UTC) 结束，尚未届满，不能确定结果",
            detail={"publication_end": run.publication_end.isoformat()},
        )
    pending = s.scalar(
        select(func.count())
        .select_from(Objection)
        .where(Objection.run_id == run.id, Objection.status == "submitted")
    )
    if pending:
        raise Conflict(f"还有 {pending} 件异议未处理，处理后才能确定结果")


# --- objections ----------------------------------------------------------------------------


def _check_corrections(corrections: dict[str, Any]) -> dict[str, float | str]:
    if not corrections:
        raise InvalidInput(
            "异议须给出更正后的数值（如税收、用地面积），以便重新评价",
            detail={"field": "corrections"},
        )
    clean: dict[str, float | str] = {}
    for key, value in corrections.items():
        if key not in CORRECTABLE:
            raise InvalidInput(
                f"不能更正的项目 {key!r}（可更正：{'、'.join(CORRECTABLE.values())}）",
                detail={"field": "corrections", "key": key},
            )
        if key in _TEXT_CHOICES:
            if value not in _TEXT_CHOICES[key]:
                raise InvalidInput(
                    f"{CORRECTABLE[key]} 须为 {'/'.join(_TEXT_CHOICES[key])}",
                    detail={"field": "corrections", "key": key},
                )
            clean[key] = str(value)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{CORRECTABLE[key]} 须为数值", detail={"field": "corrections"})
        number = float(value)
        if not math.isfinite(number) or abs(number) > 1e12 or (key != "tax" and number < 0):
            raise InvalidInput(
                f"{CORRECTABLE[key]} 的值 {value} 不合理（须为有限数值，除税收外不能为负）",
                detail={"field": "corrections", "key": key},
            )
        clean[key] = number
    return clean


def _check_files(files: list[EvidenceFile]) -> None:
    if not files:
        raise InvalidInput("请上传至少一个证明材料文件", detail={"field": "files"})
    if len(files) > MAX_EVIDENCE_FILES:
        raise InvalidInput(f"证明材料最多 {MAX_EVIDENCE_FILES} 个文件", detail={"field": "files"})
    for f in files:
        suffix = PurePath(f.filename).suffix.lower()
        if suffix not in EVIDENCE_EXTENSIONS:
            allowed = "、".join(sorted(EVIDENCE_EXTENSIONS))
            raise InvalidInput(
                f"证明材料 {f.filename!r} 的类型不支持（可用：{allowed}）",
                detail={"field": "files"},
            )
        if not f.content:
            raise InvalidInput(f"证明材料 {f.filename!r} 是空文件", detail={"field": "files"})
        if len(f.content) > MAX_EVIDENCE_BYTES:
            raise InvalidInput(
                f"证明材料 {f.filename!r} 超过 {MAX_EVIDENCE_BYTES // 1024 // 1024} MB",
                detail={"field": "files"},
            )


def _objector_uscc(principal: Principal, uscc: str) -> str:
    code = normalise_uscc(uscc) if uscc else ""
    if principal.scope.kind == "enterprise":
        own = sorted(principal.scope.codes)
        if not code:
            if len(own) != 1:
                raise InvalidInput("请指定企业统一社会信用代码", detail={"field": "uscc"})
            return own[0]
        if code not in own:
            raise PermissionDenied("只能对本企业的评价结果提出异议")
        return code
    if not code:
        raise InvalidInput("请指定企业统一社会信用代码", detail={"field": "uscc"})
    return code


def submit_objection(
    db: Database,
    principal: Principal,
    run_id: int,
    *,
    reason: str,
    corrections: dict[str, Any],
    files: list[EvidenceFile],
    uscc: str = "",
    now: datetime | None = None,
) -> ObjectionPublic:
    """A firm contests its result during 公示, with corrected values and evidence files."""
    principal.require("land:object")
    code = _objector_uscc(principal, uscc)
    reason = reason.strip()
    if not reason or len(reason) > 4000:
        raise InvalidInput("请填写异议理由（不超过 4000 字）", detail={"field": "reason"})
    clean = _check_corrections(corrections)
    _check_files(files)
    at = _now(now)
    with db.transaction(principal.actor) as s:
        run = visible_run(s, principal, run_id)
        result = s.scalar(
            scoped(
                select(EvaluationResult).where(
                    EvaluationResult.run_id == run.id, EvaluationResult.uscc == code
                ),
                EvaluationResult,
                principal.scope,
            )
        )
        if result is None:
            raise NotFound(f"评价 {run_id} 中没有企业 {code}，或不在您的权限范围内")
        if not in_window(run, at):
            raise Conflict("只能在公示期内提出异议", detail={"status": run.status})
        if open_objection_exists(s, run, code):
            raise Conflict("本企业对该评价已有待处理的异议，请等待处理结果")
        objection = Objection(
            run_id=run.id,
            original_run_id=run.id,
            enterprise_id=result.enterprise_id,
            uscc=code,
            name=result.name,
            reason=reason,
            corrections=clean,
            status="submitted",
            submitted_by=principal.username,
            submitted_at=at,
        )
        s.add(objection)
        s.flush()
        for f in files:
            digest = hashlib.sha256(f.content).hexdigest()
            s.add(
                ObjectionEvidence(
                    objection_id=objection.id,
                    filename=PurePath(f.filename).name[:256],
                    content_type=(f.content_type or "application/octet-stream")[:128],
                    sha256=digest,
                    size=len(f.content),
                    content=f.content,
                    uploaded_at=at,
                )
            )
            record(
                s,
                principal.actor,
                "upload",
                "land_objection_evidence",
                str(objection.id),
                after={"filename": f.filename, "size": len(f.content), "sha256": digest},
                summary=f"异议 {objection.id} 上传证明材料 {f.filename}",
            )
        _step(s, principal, run.id, "objection", "submit", f"{result.name} 提出异议：{reason}")
        s.flush()
        return _public(s, objection, run)


def _public(s: Session, objection: Objection, run: EvaluationRun | None = None) -> ObjectionPublic:
    run = run or s.get(EvaluationRun, objection.run_id)
    evidence = s.scalars(
        select(ObjectionEvidence)
        .where(ObjectionEvidence.objection_id == objection.id)
        .order_by(ObjectionEvidence.id)
    ).all()
    return ObjectionPublic(
        id=objection.id,
        run_id=objection.run_id,
        run_title=run.title if run else "",
        original_run_id=objection.original_run_id,
        uscc=objection.uscc,
        name=objection.name,
        reason=objection.reason,
        corrections=dict(objection.corrections or {}),
        status=objection.status,
        status_label=OBJECTION_STATUS_LABELS.get(objection.status, objection.status),
        submitted_by=objection.submitted_by,
        submitted_at=objection.submitted_at,
        reviewer=objection.reviewer,
        reviewer_reason=objection.reviewer_reason,
        resolved_at=objection.resolved_at,
        resolved_run_id=objection.resolved_run_id,
        evidence=[
            EvidencePublic(
                id=e.id,
                filename=e.filename,
                content_type=e.content_type,
                sha256=e.sha256,
                size=e.size,
                uploaded_at=e.uploaded_at,
            )
            for e in evidence
        ],
    )


def _visible_objection(s: Session, principal: Principal, objection_id: int) -> Objection:
    objection = s.scalar(
        scoped(select(Objection).where(Objection.id == objection_id), Objection, principal.scope)
    )
    if objection is None:
        raise NotFound(f"异议 {objection_id} 不存在或不在您的权限范围内")
    visible_run(s, principal, objection.run_id)
    return objection


def list_objections(
    db: Database,
    principal: Principal,
    *,
    status: str = "",
    run_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ObjectionPage:
    """Objections in scope (an enterprise sees its own), newest first."""
    principal.require("land:read")
    stmt = scoped(select(Objection), Objection, principal.scope)
    if status:
        stmt = stmt.where(Objection.status == status)
    if run_id is not None:
        stmt = stmt.where(Objection.run_id == run_id)
    with db.transaction() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(Objection.id.desc()).offset(offset).limit(limit)).all()
        return ObjectionPage(total=total, items=[_public(s, o) for o in rows])


def get_objection(db: Database, principal: Principal, objection_id: int) -> ObjectionPublic:
    principal.require("land:read")
    with db.transaction() as s:
        return _public(s, _visible_objection(s, principal, objection_id))


def get_evidence(
    db: Database, principal: Principal, objection_id: int, evidence_id: int
) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of one evidence file; the content type is one of a few
    safe types, else ``application/octet-stream``."""
    principal.require("land:read")
    with db.transaction() as s:
        _visible_objection(s, principal, objection_id)
        evidence = s.scalar(
            select(ObjectionEvidence).where(
                ObjectionEvidence.id == evidence_id,
                ObjectionEvidence.objection_id == objection_id,
            )
        )
        if evidence is None:
            raise NotFound(f"证明材料 {evidence_id} 不存在")
        ctype = evidence.content_type if evidence.content_type in _SAFE_TYPES else ""
        return evidence.filename, ctype or "application/octet-stream", evidence.content


def _corrected(frame: pl.DataFrame, uscc: str, corrections: dict[str, Any]) -> pl.DataFrame:
    exprs = []
    is_firm = pl.col("uscc") == uscc
    for key, value in corrections.items():
        dtype = pl.Float64 if key in INPUT_NUMERIC else pl.String
        if key not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(key))
        exprs.append(
            pl.when(is_firm)
            .then(pl.lit(value, dtype=frame.schema[key]))
            .otherwise(pl.col(key))
            .alias(key)
        )
    return frame.with_columns(exprs)


def _new_version(
    s: Session, principal: Principal, run: EvaluationRun, objection: Objection, reason: str
) -> EvaluationRun:
    frame, rules = load_inputs(s, run.id)
    frame = _corrected(frame, objection.uscc, objection.corrections or {})
    ids = {
        code: enterprise_id
        for code, enterprise_id in s.execute(
            select(EvaluationResult.uscc, EvaluationResult.enterprise_id).where(
                EvaluationResult.run_id == run.id, EvaluationResult.enterprise_id.is_not(None)
            )
        )
        if enterprise_id is not None
    }
    version = (
        s.scalar(
            select(func.max(EvaluationRun.version)).where(
                EvaluationRun.lineage_id == run.lineage_id
            )
        )
        or run.version
    ) + 1
    new = EvaluationRun(
        title=run.title,
        year=run.year,
        period_start=run.period_start,
        period_end=run.period_end,
        rule_set_id=run.rule_set_id,
        scope_kind=run.scope_kind,
        scope_code=run.scope_code,
        scope_name=run.scope_name,
        province_code=run.province_code,
        city_code=run.city_code,
        park_code=run.park_code,
        status=run.status,
        version=version,
        lineage_id=run.lineage_id,
        parent_run_id=run.id,
        options=dict(run.options or {}),
        note=f"受理异议 {objection.id}（{objection.name}）：{reason}",
        publication_days=run.publication_days,
        publication_start=run.publication_start,
        publication_end=run.publication_end,
        created_by=principal.username,
        created_at=utcnow(),
    )
    store_run(s, principal.actor, new, frame, rules, ids)
    return new


def decide_objection(
    db: Database,
    principal: Principal,
    objection_id: int,
    *,
    accept: bool,
    reason: str,
    now: datetime | None = None,
) -> ObjectionPublic:
    """Accept (→ a new run version with the corrected values; the old one unchanged and marked
    superseded) or reject an objection, with a reason."""
    principal.require("land:publish")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写处理理由", detail={"field": "reason"})
    at = _now(now)
    with db.transaction(principal.actor) as s:
        objection = _visible_objection(s, principal, objection_id)
        if objection.status != "submitted":
            raise Conflict(
                f"异议 {objection_id} 已处理（{OBJECTION_STATUS_LABELS.get(objection.status)}）"
            )
        run = visible_run(s, principal, objection.run_id)
        if run.status != "publicized":
            raise Conflict("只能处理公示中的评价的异议", detail={"status": run.status})
        objection.reviewer = principal.username
        objection.reviewer_reason = reason
        objection.resolved_at = at
        if not accept:
            objection.status = "rejected"
            _step(
                s,
                principal,
                run.id,
                "objection",
                "reject",
                f"驳回 {objection.name} 的异议：{reason}",
            )
            record(
                s,
                principal.actor,
                "reject",
                "land_objection",
                str(objection.id),
                summary=f"驳回异议：{reason}",
            )
            s.flush()
            return _public(s, objection, run)
        new = _new_version(s, principal, run, objection, reason)
        objection.status = "accepted"
        objection.resolved_run_id = new.id
        run.status = "superseded"
        for pending in s.scalars(
            select(Objection).where(
                Objection.run_id == run.id,
                Objection.status == "submitted",
                Objection.id != objection.id,
            )
        ):
            pending.run_id = new.id
        _step(
            s, principal, run.id, "objection", "accept", f"受理 {objection.name} 的异议：{reason}"
        )
        _step(
            s,
            principal,
            run.id,
            "superseded",
            "done",
            f"由第 {new.version} 版（评价 {new.id}）取代",
        )
        _step(s, principal, new.id, "new_version", "done", new.note)
        record(
            s,
            principal.actor,
            "accept",
            "land_objection",
            str(objection.id),
            after={"new_run_id": new.id, "content_hash": new.content_hash},
            summary=f"受理异议并生成第 {new.version} 版评价 {new.id}：{reason}",
        )
        s.flush()
        return _public(s, objection, new)
