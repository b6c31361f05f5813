"""亩均效益评价 API: rule sets (with a live preview), evaluation runs, results and explanations,
what-if, the review / 公示 / 异议 process, a firm's history, park-level 集约化 figures, the
容积率 reference and the 低效用地 register."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from parkhq.errors import InvalidInput
from parkhq.services import land, land_process, land_register, land_runs, land_whatif
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, requires

__all__ = [
    "EntryId",
    "EvidenceId",
    "ObjectionId",
    "ParcelCode",
    "RuleSetId",
    "RunId",
    "read_evidence",
    "router",
]

router = APIRouter(prefix="/land", tags=["亩均评价"])
Reader = Annotated[Principal, Depends(requires("land:read"))]
RuleEditor = Annotated[Principal, Depends(requires("land:rules"))]
Evaluator = Annotated[Principal, Depends(requires("land:evaluate"))]
Publisher = Annotated[Principal, Depends(requires("land:publish"))]
Objector = Annotated[Principal, Depends(requires("land:object"))]
Registrar = Annotated[Principal, Depends(requires("land:register"))]

_MAX_ID = 2_147_483_647
RuleSetId = Annotated[int, Path(ge=1, le=_MAX_ID, description="规则集版本编号")]
RunId = Annotated[int, Path(ge=1, le=_MAX_ID, description="评价编号")]
ObjectionId = Annotated[int, Path(ge=1, le=_MAX_ID, description="异议编号")]
EvidenceId = Annotated[int, Path(ge=1, le=_MAX_ID, description="证明材料编号")]
EntryId = Annotated[int, Path(ge=1, le=_MAX_ID, description="低效用地台账记录编号")]
ParcelCode = Annotated[str, Path(min_length=1, max_length=32, description="地块编码")]
Uscc = Annotated[str, Path(min_length=1, max_length=32, description="统一社会信用代码")]
Year = Annotated[int, Query(ge=2000, le=2100, description="评价年度")]
RunStatus = Literal["", "draft", "park_review", "city_review", "publicized", "final", "superseded"]


class RuleSetIn(BaseModel):
    yaml_text: str = Field(min_length=1, max_length=200_000, description="规则集 YAML")
    scope_code: str = Field(default="", max_length=6, description="所属省或市代码；留空为本人范围")
    based_on_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class PreviewIn(BaseModel):
    yaml_text: str = Field(min_length=1, max_length=200_000)
    year: int = Field(ge=2000, le=2100)
    scope_code: str = Field(default="", max_length=16, description="评价范围：区划代码或园区代码")


class RunIn(BaseModel):
    year: int = Field(ge=2000, le=2100)
    rule_set_id: int = Field(ge=1, le=2_147_483_647)
    scope_code: str = Field(default="", max_length=16, description="评价范围：区划代码或园区代码")
    title: str = Field(default="", max_length=200)
    exempt_new_firms: bool = Field(default=False, description="成立不满 2 年的企业记为不定等级")


class TransitionIn(BaseModel):
    action: land_process.Action
    reason: str = Field(default="", max_length=4000)
    days: int | None = Field(default=None, ge=1, le=land_process.MAX_PUBLICATION_DAYS)


class DecisionIn(BaseModel):
    accept: bool
    reason: str = Field(min_length=1, max_length=4000)


# --- rule sets ---------------------------------------------------------------------------------


@router.get("/rule-sets", response_model=list[land.RuleSetPublic], summary="规则集版本列表")
def list_rule_sets(db: DatabaseDep, principal: Reader) -> list[land.RuleSetPublic]:
    return land.list_rule_sets(db, principal)


@router.post("/rule-sets", response_model=land.RuleSetDetail, summary="保存新的规则集版本")
def create_rule_set(body: RuleSetIn, db: DatabaseDep, principal: RuleEditor) -> land.RuleSetDetail:
    return land.create_rule_set(
        db, principal, body.yaml_text, scope_code=body.scope_code, based_on_id=body.based_on_id
    )


@router.post(
    "/rule-sets/preview",
    response_model=land.Preview,
    summary="试算：用当前数据预览规则集（不保存）",
)
def preview(body: PreviewIn, db: DatabaseDep, principal: Reader) -> land.Preview:
    return land.preview_rule_set(
        db, principal, body.yaml_text, year=body.year, scope_code=body.scope_code
    )


@router.get("/rule-sets/{rule_set_id}", response_model=land.RuleSetDetail, summary="规则集版本详情")
def get_rule_set(rule_set_id: RuleSetId, db: DatabaseDep, principal: Reader) -> land.RuleSetDetail:
    return land.get_rule_set(db, principal, rule_set_id)


# --- runs ------------------------------------------------------------------------------------


@router.get("/runs", response_model=land_runs.RunPage, summary="评价列表")
def list_runs(
    db: DatabaseDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: RunStatus = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> land_runs.RunPage:
    return land_runs.list_runs(db, principal, year=year, status=status, offset=offset, limit=limit)


@router.post("/runs", response_model=land_runs.RunDetail, summary="发起评价（保存为草稿）")
def create_run(body: RunIn, db: DatabaseDep, principal: Evaluator) -> land_runs.RunDetail:
    run_id = land.create_run(
        db,
        principal,
        year=body.year,
        rule_set_id=body.rule_set_id,
        scope_code=body.scope_code,
        title=body.title,
        exempt_new_firms=body.exempt_new_firms,
    )
    return land_runs.get_run(db, principal, run_id)


@router.get("/runs/{run_id}", response_model=land_runs.RunDetail, summary="评价详情与等级分布")
def get_run(run_id: RunId, db: DatabaseDep, principal: Reader) -> land_runs.RunDetail:
    return land_runs.get_run(db, principal, run_id)


@router.get(
    "/runs/{run_id}/results", response_model=land_runs.ResultPage, summary="评价结果（可排序）"
)
def list_results(
    run_id: RunId,
    db: DatabaseDep,
    principal: Reader,
    q: Annotated[str, Query(max_length=64, description="企业名称或代码包含")] = "",
    grade: Annotated[str, Query(max_length=16)] = "",
    segment: Annotated[str, Query(max_length=64)] = "",
    sort: land_runs.ResultSort = "rank",
    order: Literal["asc", "desc"] = "asc",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> land_runs.ResultPage:
    return land_runs.list_results(
        db,
        principal,
        run_id,
        q=q,
        grade=grade,
        segment=segment,
        sort=sort,
        order=order,
        offset=offset,
        limit=limit,
    )


@router.get(
    "/runs/{run_id}/results/{uscc}",
    response_model=land_runs.FirmExplanation,
    summary="一家企业的评价说明（各指标值、基准、得分与定级理由）",
)
def explain(
    run_id: RunId, uscc: Uscc, db: DatabaseDep, principal: Reader
) -> land_runs.FirmExplanation:
    return land_runs.explain_result(db, principal, run_id, uscc)


@router.post(
    "/runs/{run_id}/what-if",
    response_model=land_whatif.WhatIfOut,
    summary="模拟测算：改权重、基准值或分档比例，列出等级变化的企业",
)
def what_if(
    run_id: RunId, body: land_whatif.WhatIfIn, db: DatabaseDep, principal: Evaluator
) -> land_whatif.WhatIfOut:
    return land_whatif.what_if_run(db, principal, run_id, body)


@router.post(
    "/runs/{run_id}/transitions",
    response_model=land_runs.RunDetail,
    summary="流程：提交、园区审核、市级审核并公示、退回、确定",
)
def transition(
    run_id: RunId, body: TransitionIn, db: DatabaseDep, principal: Reader
) -> land_runs.RunDetail:
    land_process.transition(db, principal, run_id, body.action, reason=body.reason, days=body.days)
    return land_runs.get_run(db, principal, run_id)


async def read_evidence(files: list[UploadFile]) -> list[land_process.EvidenceFile]:
    """Read uploads up to the size cap (a larger file is refused without reading it all)."""
    out = []
    for f in files[: land_process.MAX_EVIDENCE_FILES + 1]:
        data = await f.read(land_process.MAX_EVIDENCE_BYTES + 1)
        out.append(
            land_process.EvidenceFile(
                filename=f.filename or "证明材料",
                content_type=f.content_type or "application/octet-stream",
                content=data,
            )
        )
    if len(files) > land_process.MAX_EVIDENCE_FILES:
        raise InvalidInput(f"证明材料最多 {land_process.MAX_EVIDENCE_FILES} 个文件")
    return out


Num = Annotated[float | None, Form(ge=-1e12, le=1e12)]


@router.post(
    "/runs/{run_id}/objections",
    response_model=land_process.ObjectionPublic,
    summary="企业在公示期内提出异议（更正数值 + 证明材料）",
)
async def submit_objection(
    run_id: RunId,
    db: DatabaseDep,
    principal: Objector,
    reason: Annotated[str, Form(min_length=1, max_length=4000, description="异议理由")],
    files: Annotated[list[UploadFile], File(description="证明材料（1–5 个文件，每个 ≤ 10 MB）")],
    uscc: Annotated[str, Form(max_length=32, description="企业代码（企业用户可留空）")] = "",
    land_mu: Num = None,
    tax: Num = None,
    value_added: Num = None,
    revenue: Num = None,
    energy_tce: Num = None,
    emission_t: Num = None,
    employees: Num = None,
    rd_expense: Num = None,
    electricity: Num = None,
    tech_investment: Num = None,
    scale: Annotated[Literal["", "规上", "规下"], Form()] = "",
    status: Annotated[Literal["", "参评", "不定等级"], Form()] = "",
) -> land_process.ObjectionPublic:
    numbers = {
        "land_mu": land_mu,
        "tax": tax,
        "value_added": value_added,
        "revenue": revenue,
        "energy_tce": energy_tce,
        "emission_t": emission_t,
        "employees": employees,
        "rd_expense": rd_expense,
        "electricity": electricity,
        "tech_investment": tech_investment,
    }
    corrections: dict[str, float | str] = {k: v for k, v in numbers.items() if v is not None}
    if scale:
        corrections["scale"] = scale
    if status:
        corrections["status"] = status
    evidence = await read_evidence(files)
    return land_process.submit_objection(
        db,
        principal,
        run_id,
        reason=reason,
        corrections=corrections,
        files=evidence,
        uscc=uscc,
    )


# --- objections ------------------------------------------------------------------------------


@router.get("/objections", response_model=land_process.ObjectionPage, summary="异议列表")
def list_objections(
    db: DatabaseDep,
    principal: Reader,
    status: Literal["", "submitted", "accepted", "rejected"] = "",
    run_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> land_process.ObjectionPage:
    return land_process.list_objections(
        db, principal, status=status, run_id=run_id, offset=offset, limit=limit
    )


@router.get(
    "/objections/{objection_id}",
    response_model=land_process.ObjectionPublic,
    summary="异议详情",
)
def get_objection(
    objection_id: ObjectionId, db: DatabaseDep, principal: Reader
) -> land_process.ObjectionPublic:
    return land_process.get_objection(db, principal, objection_id)


@router.get(
    "/objections/{objection_id}/evidence/{evidence_id}",
    summary="下载证明材料",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def evidence(
    objection_id: ObjectionId, evidence_id: EvidenceId, db: DatabaseDep, principal: Reader
) -> Response:
    name, _ctype, content = land_process.get_evidence(db, principal, objection_id, evidence_id)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.post(
    "/objections/{objection_id}/decision",
    response_model=land_process.ObjectionPublic,
    summary="受理（生成新版本）或驳回异议",
)
def decide(
    objection_id: ObjectionId, body: DecisionIn, db: DatabaseDep, principal: Publisher
) -> land_process.ObjectionPublic:
    return land_process.decide_objection(
        db, principal, objection_id, accept=body.accept, reason=body.reason
    )


# --- firms, figures, land --------------------------------------------------------------------


@router.get(
    "/firms/{uscc}/history",
    response_model=land_runs.FirmHistory,
    summary="企业历年评价（连续最低等级标记）",
)
def history(uscc: Uscc, db: DatabaseDep, principal: Reader) -> land_runs.FirmHistory:
    return land_runs.firm_history(db, principal, uscc)


@router.get(
    "/figures",
    response_model=list[land_register.ParkFigures],
    summary="园区集约化指标（亩均税收/增加值、供地方式、闲置、工业上楼、容积率）",
)
def figures(year: Year, db: DatabaseDep, principal: Reader) -> list[land_register.ParkFigures]:
    return land_register.park_figures(db, principal, year)


@router.get(
    "/far-minimums",
    response_model=land_register.FarTable,
    summary="《工业项目建设用地控制指标》容积率下限（按行业大类）",
)
def far_minimums(principal: Reader) -> land_register.FarTable:
    return land_register.far_minimums()


@router.get("/register", response_model=list[land_register.EntryPublic], summary="低效用地台账")
def register(
    db: DatabaseDep,
    principal: Registrar,
    status: Literal["", "待处置", "处置中", "已完成"] = "",
) -> list[land_register.EntryPublic]:
    return land_register.list_register(db, principal, status=status)


@router.get(
    "/register/candidates",
    response_model=list[land_register.Candidate],
    summary="低效用地候选（闲置、低效、容积率不达标、D 类企业用地）",
)
def candidates(
    db: DatabaseDep,
    principal: Registrar,
    run_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> list[land_register.Candidate]:
    return land_register.list_candidates(db, principal, run_id=run_id)


@router.post("/register", response_model=land_register.EntryPublic, summary="登记低效用地")
def create_entry(
    body: land_register.EntryIn, db: DatabaseDep, principal: Registrar
) -> land_register.EntryPublic:
    return land_register.create_entry(db, principal, body)


@router.patch(
    "/register/{entry_id}", response_model=land_register.EntryPublic, summary="更新处置进展"
)
def update_entry(
    entry_id: EntryId, body: land_register.EntryUpdate, db: DatabaseDep, principal: Registrar
) -> land_register.EntryPublic:
    return land_register.update_entry(db, principal, entry_id, body)


@router.patch(
    "/parcels/{parcel_code}",
    response_model=land_register.ParcelPublic,
    summary="更新地块的工业上楼标记或建筑面积",
)
def update_parcel(
    parcel_code: ParcelCode,
    body: land_register.ParcelUpdate,
    db: DatabaseDep,
    principal: Registrar,
) -> land_register.ParcelPublic:
    return land_register.update_parcel(db, principal, parcel_code, body)
