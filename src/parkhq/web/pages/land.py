"""亩均评价 pages: runs (grade chart, sortable results, explanation drawer, process actions),
what-if, the rule-set editor with a live preview, the objection inbox and the firm's own view.
The 低效用地 register and park figures are in :mod:`parkhq.web.pages.land_register`."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from parkhq.errors import InvalidInput, NotFound, ParkHQError
from parkhq.services import land, land_process, land_runs, land_whatif
from parkhq.services.access import Principal
from parkhq.store.loaders import latest_period
from parkhq.web.api.land import ObjectionId, RuleSetId, RunId, read_evidence
from parkhq.web.deps import DatabaseDep, requires
from parkhq.web.nav import register_nav
from parkhq.web.pages.render import chart_json, render

__all__ = ["MESSAGES", "default_year", "grade_chart", "redirect", "router"]

router = APIRouter(include_in_schema=False)
register_nav("亩均评价", "/land/runs", "land:evaluate", order=40)
register_nav("我的评价", "/land/my", "land:object", order=44)

Reader = Annotated[Principal, Depends(requires("land:read"))]
RuleEditor = Annotated[Principal, Depends(requires("land:rules"))]
Evaluator = Annotated[Principal, Depends(requires("land:evaluate"))]
Publisher = Annotated[Principal, Depends(requires("land:publish"))]
Objector = Annotated[Principal, Depends(requires("land:object"))]
Registrar = Annotated[Principal, Depends(requires("land:register"))]
PAGE_SIZE = 100
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=64)]

MESSAGES = {
    "created": "评价已生成（草稿）。",
    "moved": "流程已更新。",
    "objected": "异议已提交，请等待审核。",
    "decided": "异议已处理。",
    "saved": "已保存。",
}


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def default_year(db: Any, principal: Principal) -> int:
    last = latest_period(db, principal.scope)
    return int(last[:4]) if last else datetime.now(UTC).year - 1


# --- runs ----------------------------------------------------------------------------------


def _runs_page(
    request: Request,
    db: DatabaseDep,
    principal: Principal,
    *,
    year: int | None = None,
    status: str = "",
    error: str = "",
    code: int = 200,
) -> HTMLResponse:
    runs = land_runs.list_runs(db, principal, year=year, status=status, limit=200)
    rule_sets = land.list_rule_sets(db, principal) if principal.can("land:evaluate") else []
    return render(
        request,
        "land_runs.html",
        principal,
        status_code=code,
        runs=runs,
        rule_sets=rule_sets,
        year=year,
        status=status,
        statuses=land.RUN_STATUS_LABELS,
        default_year=default_year(db, principal),
        default_scope="" if principal.scope.is_all else sorted(principal.scope.codes)[0],
        error=error,
    )


@router.get("/land/runs", response_class=HTMLResponse)
def runs(
    request: Request,
    db: DatabaseDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    return _runs_page(request, db, principal, year=year, status=status)


@router.post("/land/runs", response_class=HTMLResponse)
def create_run(
    request: Request,
    db: DatabaseDep,
    principal: Evaluator,
    year: Annotated[int, Form(ge=2000, le=2100)],
    rule_set_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    scope_code: Short = "",
    title: Annotated[str, Form(max_length=200)] = "",
    exempt_new_firms: Short = "",
) -> Response:
    try:
        run_id = land.create_run(
            db,
            principal,
            year=year,
            rule_set_id=rule_set_id,
            scope_code=scope_code,
            title=title,
            exempt_new_firms=exempt_new_firms == "1",
        )
    except ParkHQError as exc:
        return _runs_page(request, db, principal, error=exc.message, code=exc.status_code)
    return redirect(f"/land/runs/{run_id}?msg=created")


def grade_chart(detail: land_runs.RunDetail) -> dict[str, Any]:
    """Firms per grade (stacked) in each evaluation group."""
    segments = list(dict.fromkeys(c.segment for c in detail.counts))
    present = {c.grade for c in detail.counts}
    grades = [g for g in detail.grades if g in present] + sorted(present - set(detail.grades))
    counts = {(c.segment, c.grade): c.firms for c in detail.counts}
    return {
        "title": {"text": "等级分布（家）", "left": "center"},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 30},
        "grid": {"top": 70, "left": 50, "right": 20, "bottom": 40},
        "xAxis": {"type": "category", "data": segments},
        "yAxis": {"type": "value", "name": "企业数"},
        "series": [
            {
                "name": g,
                "type": "bar",
                "stack": "grade",
                "label": {"show": True},
                "data": [counts.get((s, g), 0) for s in segments],
            }
            for g in grades
        ],
    }


def _actions(principal: Principal, detail: land_runs.RunDetail) -> list[dict[str, Any]]:
    out = []
    for action, move in land_process.ACTIONS.items():
        if move.source == detail.status and principal.can(move.permission):
            out.append(
                {
                    "action": action,
                    "label": move.label,
                    "reject": move.decision == "reject",
                    "days": action == "publish",
                }
            )
    return out


def _run_page(
    request: Request,
    db: DatabaseDep,
    principal: Principal,
    run_id: int,
    *,
    q: str = "",
    grade: str = "",
    sort: land_runs.ResultSort = "rank",
    order: Literal["asc", "desc"] = "asc",
    page: int = 1,
    message: str = "",
    error: str = "",
    code: int = 200,
) -> HTMLResponse:
    detail = land_runs.get_run(db, principal, run_id)
    results = land_runs.list_results(
        db,
        principal,
        run_id,
        q=q,
        grade=grade,
        sort=sort,
        order=order,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "land_run.html",
        principal,
        status_code=code,
        run=detail,
        results=results,
        actions=_actions(principal, detail),
        chart_option=chart_json(grade_chart(detail)),
        q=q,
        grade=grade,
        sort=sort,
        order=order,
        page=page,
        pages=max(1, math.ceil(results.total / PAGE_SIZE)),
        message=message,
        error=error,
    )


@router.get("/land/runs/{run_id}", response_class=HTMLResponse)
def run_page(
    run_id: RunId,
    request: Request,
    db: DatabaseDep,
    principal: Reader,
    q: Annotated[str, Query(max_length=64)] = "",
    grade: Annotated[str, Query(max_length=16)] = "",
    sort: land_runs.ResultSort = "rank",
    order: Literal["asc", "desc"] = "asc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    msg: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    return _run_page(
        request,
        db,
        principal,
        run_id,
        q=q,
        grade=grade,
        sort=sort,
        order=order,
        page=page,
        message=MESSAGES.get(msg, ""),
    )


@router.post("/land/runs/{run_id}/transition", response_class=HTMLResponse)
def run_transition(
    run_id: RunId,
    request: Request,
    db: DatabaseDep,
    principal: Reader,
    action: Annotated[land_process.Action, Form()],
    reason: Text = "",
    days: Annotated[int | None, Form(ge=1, le=land_process.MAX_PUBLICATION_DAYS)] = None,
) -> Response:
    try:
        land_process.transition(db, principal, run_id, action, reason=reason, days=days)
    except ParkHQError as exc:
        return _run_page(request, db, principal, run_id, error=exc.message, code=exc.status_code)
    return redirect(f"/land/runs/{run_id}?msg=moved")


# --- what-if -------------------------------------------------------------------------------


def _number(form: Any, name: str) -> float | None:
    raw = str(form.get(name, "") or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise InvalidInput(f"“{raw}”不是数值") from exc
    if not math.isfinite(value):
        raise InvalidInput(f"“{raw}”不是有限数值")
    return value


def _what_if_body(form: Any, detail: land_runs.RunDetail) -> land_whatif.WhatIfIn:
    weights: dict[str, float] = {}
    benchmarks: dict[str, float] = {}
    for item in detail.items:
        key = f"{item.segment_key}.{item.indicator}"
        weight = _number(form, f"w:{key}")
        if weight is not None and not math.isclose(weight, item.weight, rel_tol=1e-12):
            weights[key] = weight
        benchmark = _number(form, f"b:{key}")
        if (
            benchmark is not None
            and item.benchmark is not None
            and not math.isclose(benchmark, item.benchmark, rel_tol=1e-12)
        ):
            benchmarks[key] = benchmark
    quota = None
    if detail.quota:
        shares = {g: _number(form, f"q:{g}") for g in detail.quota}
        if any(v is not None and not math.isclose(v, detail.quota[g]) for g, v in shares.items()):
            quota = {g: (v if v is not None else detail.quota[g]) for g, v in shares.items()}
    try:
        return land_whatif.WhatIfIn(weights=weights, benchmarks=benchmarks, quota=quota)
    except ValueError as exc:
        raise InvalidInput("权重、基准值须大于 0，分档比例须在 0–100 之间") from exc


@router.get("/land/runs/{run_id}/what-if", response_class=HTMLResponse)
def what_if_form(
    run_id: RunId, request: Request, db: DatabaseDep, principal: Evaluator
) -> HTMLResponse:
    detail = land_runs.get_run(db, principal, run_id)
    return render(request, "land_whatif.html", principal, run=detail, outcome=None, values={})


@router.post("/land/runs/{run_id}/what-if", response_class=HTMLResponse)
async def what_if(
    run_id: RunId, request: Request, db: DatabaseDep, principal: Evaluator
) -> HTMLResponse:
    detail = land_runs.get_run(db, principal, run_id)
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        outcome = land_whatif.what_if_run(db, principal, run_id, _what_if_body(form, detail))
    except ParkHQError as exc:
        return render(
            request,
            "land_whatif.html",
            principal,
            status_code=exc.status_code,
            run=detail,
            outcome=None,
            values=values,
            error=exc.message,
        )
    return render(
        request, "land_whatif.html", principal, run=detail, outcome=outcome, values=values
    )


# --- a firm in a run, objections -----------------------------------------------------------


def _firm_page(
    request: Request,
    db: DatabaseDep,
    principal: Principal,
    run_id: int,
    uscc: str,
    *,
    error: str = "",
    code: int = 200,
) -> HTMLResponse:
    explanation = land_runs.explain_result(db, principal, run_id, uscc)
    try:
        history: land_runs.FirmHistory | None = land_runs.firm_history(
            db, principal, explanation.uscc
        )
    except NotFound:  # the firm left the registry after the run
        history = None
    return render(
        request,
        "land_firm.html",
        principal,
        status_code=code,
        ex=explanation,
        history=history,
        correctable=land_process.CORRECTABLE,
        max_files=land_process.MAX_EVIDENCE_FILES,
        max_mb=land_process.MAX_EVIDENCE_BYTES // 1024 // 1024,
        error=error,
    )


@router.get("/land/runs/{run_id}/firms/{uscc}", response_class=HTMLResponse)
def firm_page(
    run_id: RunId, uscc: str, request: Request, db: DatabaseDep, principal: Reader
) -> HTMLResponse:
    return _firm_page(request, db, principal, run_id, uscc)


@router.post("/land/runs/{run_id}/firms/{uscc}/objection", response_class=HTMLResponse)
async def firm_objection(
    run_id: RunId,
    uscc: str,
    request: Request,
    db: DatabaseDep,
    principal: Objector,
    reason: Text,
    files: Annotated[list[UploadFile], File()],
) -> Response:
    form = await request.form()
    try:
        corrections: dict[str, float | str] = {}
        for key in land_process.CORRECTABLE:
            raw = str(form.get(f"c:{key}", "") or "").strip()
            number = None if key in ("scale", "status") else _number(form, f"c:{key}")
            if raw:
                corrections[key] = raw if number is None else number
        evidence = await read_evidence([f for f in files if f.filename])
        objection = land_process.submit_objection(
            db,
            principal,
            run_id,
            reason=reason,
            corrections=corrections,
            files=evidence,
            uscc=uscc,
        )
    except ParkHQError as exc:
        return _firm_page(
            request, db, principal, run_id, uscc, error=exc.message, code=exc.status_code
        )
    return redirect(f"/land/objections/{objection.id}?msg=objected")


@router.get("/land/objections", response_class=HTMLResponse)
def objections(
    request: Request,
    db: DatabaseDep,
    principal: Reader,
    status: Annotated[str, Query(max_length=16)] = "submitted",
    run_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> HTMLResponse:
    page = land_process.list_objections(db, principal, status=status, run_id=run_id, limit=200)
    return render(
        request,
        "land_objections.html",
        principal,
        page=page,
        status=status,
        run_id=run_id,
        statuses=land_process.OBJECTION_STATUS_LABELS,
        correctable=land_process.CORRECTABLE,
    )


def _objection_page(
    request: Request,
    db: DatabaseDep,
    principal: Principal,
    objection_id: int,
    *,
    message: str = "",
    error: str = "",
    code: int = 200,
) -> HTMLResponse:
    objection = land_process.get_objection(db, principal, objection_id)
    current = None
    try:
        current = land_runs.explain_result(db, principal, objection.original_run_id, objection.uscc)
    except ParkHQError:
        current = None
    return render(
        request,
        "land_objection.html",
        principal,
        status_code=code,
        o=objection,
        current=current,
        correctable=land_process.CORRECTABLE,
        message=message,
        error=error,
    )


@router.get("/land/objections/{objection_id}", response_class=HTMLResponse)
def objection_page(
    objection_id: ObjectionId,
    request: Request,
    db: DatabaseDep,
    principal: Reader,
    msg: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    return _objection_page(request, db, principal, objection_id, message=MESSAGES.get(msg, ""))


@router.post("/land/objections/{objection_id}/decision", response_class=HTMLResponse)
def objection_decision(
    objection_id: ObjectionId,
    request: Request,
    db: DatabaseDep,
    principal: Publisher,
    decision: Annotated[Literal["accept", "reject"], Form()],
    reason: Text = "",
) -> Response:
    try:
        land_process.decide_objection(
            db, principal, objection_id, accept=decision == "accept", reason=reason
        )
    except ParkHQError as exc:
        return _objection_page(
            request, db, principal, objection_id, error=exc.message, code=exc.status_code
        )
    return redirect(f"/land/objections/{objection_id}?msg=decided")


@router.get("/land/my", response_class=HTMLResponse)
def my_evaluation(
    request: Request,
    db: DatabaseDep,
    principal: Objector,
    uscc: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:
    code = uscc.strip()
    if principal.scope.kind == "enterprise" and not code:
        code = sorted(principal.scope.codes)[0]
    history = latest = None
    objections: list[land_process.ObjectionPublic] = []
    if code:
        history = land_runs.firm_history(db, principal, code)
        effective = [e for e in history.entries if e.status in ("publicized", "final")]
        if effective:
            latest = land_runs.explain_result(db, principal, effective[0].run_id, code)
        page = land_process.list_objections(db, principal, limit=100)
        objections = [o for o in page.items if o.uscc == history.uscc]
    return render(
        request,
        "land_my.html",
        principal,
        uscc=code,
        history=history,
        latest=latest,
        objections=objections,
    )


# --- rule sets -----------------------------------------------------------------------------


@router.get("/land/rules", response_class=HTMLResponse)
def rules(request: Request, db: DatabaseDep, principal: Reader) -> HTMLResponse:
    rule_sets = land.list_rule_sets(db, principal)
    return render(request, "land_rules.html", principal, rule_sets=rule_sets)


def _editor(
    request: Request,
    db: DatabaseDep,
    principal: Principal,
    *,
    yaml_text: str,
    based_on: int | None,
    scope_code: str = "",
    error: str = "",
    code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "land_editor.html",
        principal,
        status_code=code,
        yaml_text=yaml_text,
        based_on=based_on,
        scope_code=scope_code,
        default_year=default_year(db, principal),
        default_scope="" if principal.scope.is_all else sorted(principal.scope.codes)[0],
        error=error,
    )


@router.get("/land/rules/new", response_class=HTMLResponse)
def rule_editor(
    request: Request,
    db: DatabaseDep,
    principal: RuleEditor,
    based_on: Annotated[int | None, Query(alias="from", ge=1, le=2_147_483_647)] = None,
) -> HTMLResponse:
    text = land.get_rule_set(db, principal, based_on).yaml_text if based_on else ""
    return _editor(request, db, principal, yaml_text=text, based_on=based_on)


@router.post("/land/rules", response_class=HTMLResponse)
def save_rule_set(
    request: Request,
    db: DatabaseDep,
    principal: RuleEditor,
    yaml_text: Annotated[str, Form(max_length=200_000)],
    scope_code: Short = "",
    based_on: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
) -> Response:
    try:
        saved = land.create_rule_set(
            db, principal, yaml_text, scope_code=scope_code, based_on_id=based_on
        )
    except ParkHQError as exc:
        return _editor(
            request,
            db,
            principal,
            yaml_text=yaml_text,
            based_on=based_on,
            scope_code=scope_code,
            error=exc.message,
            code=exc.status_code,
        )
    return redirect(f"/land/rules/{saved.id}?msg=saved")


@router.get("/land/rules/{rule_set_id}", response_class=HTMLResponse)
def rule_page(
    rule_set_id: RuleSetId,
    request: Request,
    db: DatabaseDep,
    principal: Reader,
    msg: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    detail = land.get_rule_set(db, principal, rule_set_id)
    return render(request, "land_rule.html", principal, rs=detail, message=MESSAGES.get(msg, ""))
