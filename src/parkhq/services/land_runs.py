"""Reading stored 亩均效益 runs: lists, a run with its grade distribution and process, the
sortable result table, a firm's explanation, and a firm's history across years (consecutive
lowest grades flagged). What-if against a stored run is in :mod:`parkhq.services.land_whatif`.

Everything here reads the immutable snapshot of a run (its input frame and resolved rule set);
nothing is written. Runs are seen within the principal's scope (see ``store/scope.py``); firms'
rows within a run likewise. Enterprise and chain users see only runs that were published.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from parkhq.analysis.land import explain_firm
from parkhq.errors import NotFound
from parkhq.reference.land_rules import RuleSet
from parkhq.reference.uscc import normalise_uscc
from parkhq.services.access import Principal
from parkhq.services.land import (
    RUN_STATUS_LABELS,
    GradeCount,
    RuleItem,
    finite,
    grading_summary,
    read_parquet,
    rule_items,
    rules_from_json,
    score_frame,
)
from parkhq.store.db import Database
from parkhq.store.models import (
    Enterprise,
    EvaluationResult,
    EvaluationRun,
    EvaluationRunInput,
    Objection,
    ReviewStep,
)
from parkhq.store.scope import scoped

__all__ = [
    "STEP_LABELS",
    "FirmExplanation",
    "FirmHistory",
    "HistoryEntry",
    "IndicatorCell",
    "ResultPage",
    "ResultRow",
    "RunDetail",
    "RunPage",
    "RunPublic",
    "RunVersion",
    "StepPublic",
    "explain_result",
    "firm_history",
    "get_run",
    "in_window",
    "list_results",
    "list_runs",
    "load_inputs",
    "lowest_streaks",
    "open_objection_exists",
    "results_stmt",
    "run_public",
    "visible_run",
]

STEP_LABELS: dict[str, str] = {
    "create": "创建评价",
    "submit": "提交园区审核",
    "park_review": "园区审核",
    "city_review": "市级审核",
    "publish": "公示",
    "objection": "异议处理",
    "new_version": "生成新版本",
    "superseded": "被新版本取代",
    "final": "确定结果",
}
EFFECTIVE = ("publicized", "final")
ResultSort = Literal["rank", "total", "name", "uscc", "grade", "segment"]


class RunPublic(BaseModel):
    id: int
    title: str
    year: int
    period_start: str
    period_end: str
    rule_set_id: int
    rule_set: str
    scope_kind: str
    scope_code: str
    scope_name: str
    status: str
    status_label: str
    version: int
    lineage_id: int | None
    parent_run_id: int | None
    content_hash: str
    firm_count: int
    publication_days: int | None
    publication_start: datetime | None
    publication_end: datetime | None
    created_by: str
    created_at: datetime
    finalized_at: datetime | None
    note: str


class RunPage(BaseModel):
    total: int
    items: list[RunPublic]


class StepPublic(BaseModel):
    step: str
    step_label: str
    decision: str
    reason: str
    username: str
    at: datetime


class RunVersion(BaseModel):
    id: int
    version: int
    status: str
    status_label: str
    content_hash: str
    created_at: datetime
    note: str


class RunDetail(RunPublic):
    grades: list[str]
    lowest_grade: str
    counts: list[GradeCount]
    visible_firms: int
    steps: list[StepPublic]
    versions: list[RunVersion]
    open_objections: int
    items: list[RuleItem]
    grading: str
    quota: dict[str, float] | None


class IndicatorCell(BaseModel):
    value: float | None
    score: float | None


class ResultRow(BaseModel):
    uscc: str
    name: str
    park_code: str | None
    segment: str | None
    total: float | None
    rank: int | None
    segment_size: int | None
    grade: str
    exempt_reason: str | None
    lowest_streak: int
    indicators: dict[str, IndicatorCell]


class ResultPage(BaseModel):
    run_id: int
    total: int
    offset: int
    limit: int
    sort: str
    order: str
    indicator_labels: dict[str, str]
    items: list[ResultRow]


class FirmExplanation(BaseModel):
    run_id: int
    run_title: str
    year: int
    status: str
    uscc: str
    name: str
    segment: str | None
    grade: str
    total: float | None
    rank: int | None
    segment_size: int | None
    exempt_reason: str | None
    explanation: str
    entries: list[dict[str, Any]]
    lowest_streak: int
    can_object: bool
    objection_deadline: datetime | None


class HistoryEntry(BaseModel):
    run_id: int
    year: int
    title: str
    status: str
    status_label: str
    version: int
    grade: str
    total: float | None
    rank: int | None
    segment: str | None
    lowest_grade: str
    lowest_streak: int


class FirmHistory(BaseModel):
    uscc: str
    name: str
    entries: list[HistoryEntry]
    flagged: bool
    message: str


# --- runs ------------------------------------------------------------------------------------


def _published_only(principal: Principal) -> bool:
    return principal.scope.kind in ("enterprise", "chain")


def _runs_stmt(principal: Principal) -> Select[EvaluationRun]:
    stmt = scoped(select(EvaluationRun), EvaluationRun, principal.scope)
    if _published_only(principal):
        stmt = stmt.where(EvaluationRun.publication_start.is_not(None))
    return stmt


def visible_run(s: Session, principal: Principal, run_id: int) -> EvaluationRun:
    """The run if the principal may see it, else :class:`NotFound`."""
    run = s.scalar(_runs_stmt(principal).where(EvaluationRun.id == run_id))
    if run is None:
        raise NotFound(f"亩均评价 {run_id} 不存在或不在您的权限范围内")
    return run


def run_public(run: EvaluationRun) -> RunPublic:
    return RunPublic(
        id=run.id,
        title=run.title,
        year=run.year,
        period_start=run.period_start,
        period_end=run.period_end,
        rule_set_id=run.rule_set_id,
        rule_set=str((run.options or {}).get("rule_set", "")),
        scope_kind=run.scope_kind,
        scope_code=run.scope_code,
        scope_name=run.scope_name,
        status=run.status,
        status_label=RUN_STATUS_LABELS.get(run.status, run.status),
        version=run.version,
        lineage_id=run.lineage_id,
        parent_run_id=run.parent_run_id,
        content_hash=run.content_hash,
        firm_count=run.firm_count,
        publication_days=run.publication_days,
        publication_start=run.publication_start,
        publication_end=run.publication_end,
        created_by=run.created_by,
        created_at=run.created_at,
        finalized_at=run.finalized_at,
        note=run.note,
    )


def list_runs(
    db: Database,
    principal: Principal,
    *,
    year: int | None = None,
    status: str = "",
    offset: int = 0,
    limit: int = 50,
) -> RunPage:
    """Runs the principal may see, newest first."""
    principal.require("land:read")
    stmt = _runs_stmt(principal)
    if year is not None:
        stmt = stmt.where(EvaluationRun.year == year)
    if status:
        stmt = stmt.where(EvaluationRun.status == status)
    with db.transaction() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(
            stmt.order_by(EvaluationRun.year.desc(), EvaluationRun.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        return RunPage(total=total, items=[run_public(r) for r in rows])


def load_inputs(s: Session, run_id: int) -> tuple[pl.DataFrame, RuleSet]:
    """A run's frozen input frame and resolved rule set (the caller checked visibility)."""
    stored = s.get(EvaluationRunInput, run_id)
    if stored is None:
        raise NotFound(f"亩均评价 {run_id} 的输入数据不存在")
    return read_parquet(stored.parquet), rules_from_json(stored.rules_json)


def results_stmt(principal: Principal, run_id: int) -> Select[EvaluationResult]:
    return scoped(
        select(EvaluationResult).where(EvaluationResult.run_id == run_id),
        EvaluationResult,
        principal.scope,
    )


def _counts(s: Session, principal: Principal, run: EvaluationRun) -> list[GradeCount]:
    sub = results_stmt(principal, run.id).subquery()
    rows = s.execute(
        select(sub.c.segment_key, sub.c.segment, sub.c.grade, func.count()).group_by(
            sub.c.segment_key, sub.c.segment, sub.c.grade
        )
    ).all()
    grades: list[str] = list((run.options or {}).get("grades", []))

    def order(row: Any) -> tuple[str, int, str]:
        grade = str(row[2])
        rank = grades.index(grade) if grade in grades else len(grades)
        return (row[0] or "~", rank, grade)

    return [
        GradeCount(segment=seg or "未分组", grade=grade, firms=int(n))
        for _key, seg, grade, n in sorted(rows, key=order)
    ]


def get_run(db: Database, principal: Principal, run_id: int) -> RunDetail:
    """One run with its grade distribution (within scope), process steps and versions."""
    principal.require("land:read")
    with db.transaction() as s:
        run = visible_run(s, principal, run_id)
        counts = _counts(s, principal, run)
        steps = s.scalars(
            select(ReviewStep).where(ReviewStep.run_id == run.id).order_by(ReviewStep.id)
        ).all()
        versions = s.scalars(
            _runs_stmt(principal)
            .where(EvaluationRun.lineage_id == run.lineage_id)
            .order_by(EvaluationRun.version)
        ).all()
        open_objections = (
            s.scalar(
                scoped(
                    select(func.count())
                    .select_from(Objection)
                    .where(Objection.run_id == run.id, Objection.status == "submitted"),
                    Objection,
                    principal.scope,
                )
            )
            or 0
        )
        stored = s.get(EvaluationRunInput, run.id)
        rules = rules_from_json(stored.rules_json) if stored else None
        grading, quota = grading_summary(rules) if rules else ("", None)
        options = run.options or {}
        return RunDetail(
            **run_public(run).model_dump(),
            grades=list(options.get("grades", [])),
            lowest_grade=str(options.get("lowest", "")),
            counts=counts,
            visible_firms=sum(c.firms for c in counts),
            steps=[
                StepPublic(
                    step=st.step,
                    step_label=STEP_LABELS.get(st.step, st.step),
                    decision=st.decision,
                    reason=st.reason,
                    username=st.username,
                    at=st.at,
                )
                for st in steps
            ],
            versions=[
                RunVersion(
                    id=v.id,
                    version=v.version,
                    status=v.status,
                    status_label=RUN_STATUS_LABELS.get(v.status, v.status),
                    content_hash=v.content_hash,
                    created_at=v.created_at,
                    note=v.note,
                )
                for v in versions
            ],
            open_objections=open_objections,
            items=rule_items(rules) if rules else [],
            grading=grading,
            quota=quota,
        )


# --- consecutive lowest grades -------------------------------------------------------------


def lowest_streaks(
    s: Session, uscc: list[str], year: int, grade_now: dict[str, bool]
) -> dict[str, int]:
    """Years in a row (ending at ``year``) each firm got its run's lowest grade.

    ``grade_now[uscc]`` says whether the firm has the lowest grade in ``year``; earlier years
    come from effective runs (公示中 or 已确定; per year the final run, else the latest).
    """
    wanted = [u for u in uscc if grade_now.get(u)]
    if not wanted:
        return dict.fromkeys(uscc, 0)
    rows = s.execute(
        select(
            EvaluationResult.uscc,
            EvaluationResult.grade,
            EvaluationRun.year,
            EvaluationRun.status,
            EvaluationRun.id,
            EvaluationRun.options,
        )
        .join(EvaluationRun, EvaluationRun.id == EvaluationResult.run_id)
        .where(
            EvaluationResult.uscc.in_(wanted),
            EvaluationRun.year < year,
            EvaluationRun.status.in_(EFFECTIVE),
        )
    ).all()
    best: dict[tuple[str, int], tuple[int, int, bool]] = {}
    for code, grade, run_year, status, run_id, options in rows:
        is_lowest = grade == (options or {}).get("lowest")
        key = (code, run_year)
        candidate = (int(status == "final"), run_id, is_lowest)
        if key not in best or candidate[:2] > best[key][:2]:
            best[key] = candidate
    out: dict[str, int] = {}
    for code in uscc:
        if not grade_now.get(code):
            out[code] = 0
            continue
        streak, y = 1, year - 1
        while (code, y) in best and best[(code, y)][2]:
            streak += 1
            y -= 1
        out[code] = streak
    return out


# --- results ---------------------------------------------------------------------------------


_SORTS = {
    "rank": (EvaluationResult.segment_key, EvaluationResult.rank),
    "total": (EvaluationResult.total,),
    "name": (EvaluationResult.name,),
    "uscc": (EvaluationResult.uscc,),
    "grade": (EvaluationResult.grade, EvaluationResult.segment_key, EvaluationResult.rank),
    "segment": (EvaluationResult.segment_key, EvaluationResult.rank),
}


def list_results(
    db: Database,
    principal: Principal,
    run_id: int,
    *,
    q: str = "",
    grade: str = "",
    segment: str = "",
    sort: ResultSort = "rank",
    order: Literal["asc", "desc"] = "asc",
    offset: int = 0,
    limit: int = 100,
) -> ResultPage:
    """A page of a run's per-firm results within scope, filtered and sorted."""
    principal.require("land:read")
    with db.transaction() as s:
        run = visible_run(s, principal, run_id)
        stmt = results_stmt(principal, run.id)
        if q:
            stmt = stmt.where(
                or_(
                    EvaluationResult.name.contains(q, autoescape=True),
                    EvaluationResult.uscc.contains(q.upper(), autoescape=True),
                )
            )
        if grade:
            stmt = stmt.where(EvaluationResult.grade == grade)
        if segment:
            stmt = stmt.where(
                or_(EvaluationResult.segment == segment, EvaluationResult.segment_key == segment)
            )
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        columns = _SORTS[sort]
        ordering = [
            c.desc().nulls_last() if order == "desc" else c.asc().nulls_last() for c in columns
        ]
        rows = s.scalars(
            stmt.order_by(*ordering, EvaluationResult.uscc).offset(offset).limit(limit)
        ).all()
        lowest = str((run.options or {}).get("lowest", ""))
        streaks = lowest_streaks(
            s, [r.uscc for r in rows], run.year, {r.uscc: r.grade == lowest for r in rows}
        )
        stored = s.get(EvaluationRunInput, run.id)
        labels: dict[str, str] = {}
        if stored is not None:
            rules = rules_from_json(stored.rules_json)
            labels = {k: rules.indicators[k].label for k in rules.used_indicators()}
        items = [
            ResultRow(
                uscc=r.uscc,
                name=r.name,
                park_code=r.park_code,
                segment=r.segment,
                total=finite(r.total),
                rank=r.rank,
                segment_size=r.segment_size,
                grade=r.grade,
                exempt_reason=r.exempt_reason,
                lowest_streak=streaks.get(r.uscc, 0),
                indicators={
                    k: IndicatorCell(value=finite(v.get("value")), score=finite(v.get("score")))
                    for k, v in (r.indicators or {}).items()
                    if isinstance(v, dict)
                },
            )
            for r in rows
        ]
        return ResultPage(
            run_id=run.id,
            total=total,
            offset=offset,
            limit=limit,
            sort=sort,
            order=order,
            indicator_labels=labels,
            items=items,
        )


def _clean(value: Any) -> Any:
    """JSON-safe copies of explanation entries (NaN → None)."""
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def open_objection_exists(s: Session, run: EvaluationRun, uscc: str) -> bool:
    return (
        s.scalar(
            select(Objection.id).where(
                Objection.uscc == uscc,
                Objection.status == "submitted",
                Objection.run_id.in_(
                    select(EvaluationRun.id).where(EvaluationRun.lineage_id == run.lineage_id)
                ),
            )
        )
        is not None
    )


def in_window(run: EvaluationRun, now: datetime) -> bool:
    start, end = run.publication_start, run.publication_end
    return (
        run.status == "publicized" and start is not None and end is not None and start <= now <= end
    )


def explain_result(
    db: Database, principal: Principal, run_id: int, uscc: str, *, now: datetime | None = None
) -> FirmExplanation:
    """One firm's result in a run with the structured explanation (each indicator's value,
    benchmark, contribution, and why this grade), rebuilt from the run's frozen inputs."""
    principal.require("land:read")
    code = normalise_uscc(uscc)
    now = now or datetime.now(UTC)
    with db.transaction() as s:
        run = visible_run(s, principal, run_id)
        row = s.scalar(results_stmt(principal, run.id).where(EvaluationResult.uscc == code))
        if row is None:
            raise NotFound(f"评价 {run_id} 中没有企业 {code}，或不在您的权限范围内")
        frame, rules = load_inputs(s, run.id)
        result = score_frame(frame, rules, explain=False)
        entries = _clean(explain_firm(result, rules, code))
        lowest = str((run.options or {}).get("lowest", ""))
        streak = lowest_streaks(s, [code], run.year, {code: row.grade == lowest})[code]
        can_object = (
            principal.can("land:object")
            and in_window(run, now)
            and not open_objection_exists(s, run, code)
        )
        return FirmExplanation(
            run_id=run.id,
            run_title=run.title,
            year=run.year,
            status=run.status,
            uscc=row.uscc,
            name=row.name,
            segment=row.segment,
            grade=row.grade,
            total=finite(row.total),
            rank=row.rank,
            segment_size=row.segment_size,
            exempt_reason=row.exempt_reason,
            explanation=row.explanation,
            entries=entries,
            lowest_streak=streak,
            can_object=can_object,
            objection_deadline=run.publication_end if run.status == "publicized" else None,
        )


def firm_history(db: Database, principal: Principal, uscc: str) -> FirmHistory:
    """A firm's results across runs (superseded versions left out), newest year first, with
    the run of consecutive lowest grades flagged."""
    principal.require("land:read")
    code = normalise_uscc(uscc)
    with db.transaction() as s:
        firm = s.scalar(
            scoped(select(Enterprise).where(Enterprise.uscc == code), Enterprise, principal.scope)
        )
        if firm is None:
            raise NotFound(f"企业 '{code}' 不存在或不在您的权限范围内")
        runs = _runs_stmt(principal).where(EvaluationRun.status != "superseded").subquery()
        rows = s.execute(
            select(EvaluationResult, runs.c.id, runs.c.year, runs.c.title, runs.c.status)
            .join(runs, runs.c.id == EvaluationResult.run_id)
            .where(EvaluationResult.uscc == code)
            .order_by(runs.c.year.desc(), runs.c.id.desc())
        ).all()
        run_rows = {
            r.id: r
            for r in s.scalars(
                select(EvaluationRun).where(EvaluationRun.id.in_([row[1] for row in rows]))
            )
        }
        entries = []
        for result, run_id, year, title, status in rows:
            run = run_rows[run_id]
            lowest = str((run.options or {}).get("lowest", ""))
            streak = lowest_streaks(s, [code], year, {code: result.grade == lowest})[code]
            entries.append(
                HistoryEntry(
                    run_id=run_id,
                    year=year,
                    title=title,
                    status=status,
                    status_label=RUN_STATUS_LABELS.get(status, status),
                    version=run.version,
                    grade=result.grade,
                    total=finite(result.total),
                    rank=result.rank,
                    segment=result.segment,
                    lowest_grade=lowest,
                    lowest_streak=streak if status in EFFECTIVE else 0,
                )
            )
        flagged = any(e.lowest_streak >= 2 for e in entries)
        worst = max((e.lowest_streak for e in entries), default=0)
        message = f"连续 {worst} 年评为最低等级，请重点关注" if flagged else ""
        return FirmHistory(
            uscc=firm.uscc, name=firm.name, entries=entries, flagged=flagged, message=message
        )
