"""亩均效益综合评价 as a use case: rule sets, evaluation areas, inputs, preview and runs.

A county (or city, province, park) evaluates its firms for one year under one rule-set version:
the firms' yearly facts are read within the area (:func:`parkhq.store.loaders.annual_firm_facts`),
frozen as an input frame, scored by the pure engine (:mod:`parkhq.analysis.land`) and stored as
an immutable run: the input frame (zstd Parquet), the rule set with derived benchmarks resolved
(canonical JSON), the content hash over both, and one result row per firm with its explanation.
Reading a run, its results, a firm's explanation and history lives in
:mod:`parkhq.services.land_runs`; the review, 公示 and 异议 process in
:mod:`parkhq.services.land_process`; land parcels and the 低效用地 register in
:mod:`parkhq.services.land_register`; what-if in :mod:`parkhq.services.land_whatif`. Rule-set
versions live in :mod:`parkhq.services.land_rulesets` and are re-exported here.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from parkhq.analysis.land import content_hash, grade_dtype, resolve_benchmarks, score
from parkhq.errors import InvalidInput, NotFound, PermissionDenied, RuleSetError
from parkhq.reference.land_rules import (
    QuotaGrading,
    RuleSet,
)
from parkhq.reference.regions import region_catalogue
from parkhq.services.access import Principal
from parkhq.services.land_rulesets import (
    RuleItem,
    RuleSetDetail,
    RuleSetPublic,
    create_rule_set,
    ensure_presets,
    get_rule_set,
    grading_summary,
    list_rule_sets,
    parse_rule_set,
    rule_items,
    rule_set_row,
    rules_from_json,
)
from parkhq.store.audit import Actor, record
from parkhq.store.db import Database
from parkhq.store.frames import read_frame, write_frame
from parkhq.store.loaders import annual_firm_facts, year_periods
from parkhq.store.models import (
    EvaluationRun,
    EvaluationRunInput,
    LandParcel,
    Park,
    ReviewStep,
)
from parkhq.store.scope import Scope, scoped

__all__ = [
    "EXPLAIN_LIMIT",
    "INPUT_NUMERIC",
    "INPUT_TEXT",
    "RUN_STATUS_LABELS",
    "Area",
    "GradeCount",
    "Preview",
    "PreviewRow",
    "RuleItem",
    "RuleSetDetail",
    "RuleSetPublic",
    "build_inputs",
    "create_rule_set",
    "create_run",
    "ensure_presets",
    "finite",
    "get_rule_set",
    "grade_count_list",
    "grading_summary",
    "list_rule_sets",
    "parse_rule_set",
    "preview_rule_set",
    "read_parquet",
    "resolve_area",
    "resolve_rules",
    "rule_items",
    "rule_set_row",
    "rules_from_json",
    "score_frame",
    "store_run",
]

RUN_STATUS_LABELS: dict[str, str] = {
    "draft": "草稿",
    "park_review": "园区审核中",
    "city_review": "市级审核中",
    "publicized": "公示中",
    "final": "已确定",
    "superseded": "已被新版本取代",
}

#: Numeric columns of a run's input frame (万元, 亩, tce, 吨, 人, 万千瓦时, 年).
INPUT_NUMERIC = (
    "land_mu",
    "tax",
    "value_added",
    "revenue",
    "energy_tce",
    "emission_t",
    "employees",
    "rd_expense",
    "electricity",
    "tech_investment",
    "years_in_production",
)
#: Text columns of a run's input frame.
INPUT_TEXT = (
    "uscc",
    "name",
    "park_code",
    "province_code",
    "city_code",
    "industry_code",
    "scale",
    "status",
    "under_construction",
)
_PREVIEW_ROWS = 20


# --- schemas -------------------------------------------------------------------------------


class GradeCount(BaseModel):
    segment: str
    grade: str
    firms: int


class PreviewRow(BaseModel):
    uscc: str
    name: str
    segment: str | None
    total: float | None
    rank: int | None
    grade: str


class Preview(BaseModel):
    """A rule set scored on the current data of an area, nothing stored."""

    name: str
    title: str
    version: str
    area: str
    year: int
    firms: int
    message: str
    benchmark_note: str
    counts: list[GradeCount]
    top: list[PreviewRow]


# --- evaluation areas and inputs -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Area:
    """What a run covers: a province, city (地级), county or park, and how to read its data."""

    kind: Literal["province", "city", "county", "park"]
    code: str
    name: str
    province_code: str
    city_code: str | None
    park_code: str | None
    data_scope: Scope

    @property
    def label(self) -> str:
        kinds = {"province": "省", "city": "市", "county": "县（区）", "park": "园区"}
        return f"{self.name}（{kinds[self.kind]} {self.code}）"


def _default_area_code(principal: Principal) -> str:
    if principal.scope.is_all or len(principal.scope.codes) != 1:
        raise InvalidInput(
            "请指定评价范围（省、市、县区代码或园区代码）", detail={"field": "scope_code"}
        )
    return next(iter(principal.scope.codes))


def _covers(principal: Principal, area: Area) -> bool:
    scope = principal.scope
    match scope.kind:
        case "all":
            return True
        case "province":
            return area.province_code in scope.codes
        case "city":
            return area.city_code is not None and area.city_code in scope.codes
        case "park":
            return area.park_code is not None and area.park_code in scope.codes
        case _:
            return False


def resolve_area(db: Database, principal: Principal, code: str = "") -> Area:
    """The evaluation area named by ``code`` (defaults to the principal's single scope code);
    raises unless it lies wholly inside the principal's scope."""
    code = code.strip() or _default_area_code(principal)
    area: Area | None
    if code.isascii() and code.isdigit():
        area = _region_area(db, code)
    else:
        area = _park_area(db, principal, code)
    if not _covers(principal, area):
        raise PermissionDenied(f"评价范围 {area.label} 超出您的权限范围")
    return area


def _region_area(db: Database, code: str) -> Area:
    catalogue = region_catalogue()
    region = catalogue.find(code)
    if region is None:
        raise InvalidInput(
            f"区划代码 {code!r} 不存在（应为 6 位 GB/T 2260 代码，如 331003）",
            detail={"field": "scope_code"},
        )
    province = region.province_code
    if region.level == "province":
        return Area(
            "province",
            code,
            region.name,
            province,
            None,
            None,
            Scope("province", frozenset({code})),
        )
    if region.level == "prefecture":
        return Area(
            "city", code, region.name, province, code, None, Scope("city", frozenset({code}))
        )
    with db.transaction() as s:
        parks = s.scalars(select(Park.code).where(Park.region_code == code)).all()
    name = catalogue.full_name(code)
    city = region.parent if region.parent else None
    return Area("county", code, name, province, city, None, Scope("park", frozenset(parks)))


def _park_area(db: Database, principal: Principal, code: str) -> Area:
    with db.transaction() as s:
        park = s.scalar(scoped(select(Park).where(Park.code == code), Park, principal.scope))
        if park is None:
            raise NotFound(f"园区 '{code}' 不存在或不在您的权限范围内")
        return Area(
            "park",
            park.code,
            park.name,
            park.province_code,
            park.city_code,
            park.code,
            Scope("park", frozenset({park.code})),
        )


def build_inputs(
    db: Database, area_scope: Scope, year: int, *, exempt_new_firms: bool = False
) -> pl.DataFrame:
    """The engine's input frame for the firms of an area in ``year``: one row per firm with
    months reported in the year, sorted by USCC.

    ``scale`` 规上/规下 from the registry; ``land_mu`` the 亩 of the parcels the firm holds;
    flows summed over the year's monthly reports (万元, tce, 万千瓦时, 吨), ``employees`` their
    mean; ``status`` 参评 (不定等级 for firms founded less than two years before the year's end
    when ``exempt_new_firms``); ``years_in_production`` years from founding to the year's end
    (a proxy for 投产年限, read by rule sets such as 淮安's T 类); ``under_construction`` 是 when
    the firm holds a parcel 在建; ``tech_investment`` is not collected and stays empty.
    """
    facts = annual_firm_facts(db, area_scope, periods=year_periods(year))
    facts = facts.filter(pl.col("months_reported") > 0)
    building = read_frame(
        db,
        scoped(
            select(LandParcel.holder_id.label("enterprise_id")).where(
                LandParcel.status == "在建", LandParcel.holder_id.is_not(None)
            ),
            LandParcel,
            area_scope,
        ),
        schema={"enterprise_id": pl.Int64()},
    )
    year_end = date(year, 12, 31)
    founded = pl.col("founded_on")
    if facts.schema["founded_on"] == pl.String:  # SQLite hands dates back as ISO text
        founded = founded.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    else:
        founded = founded.cast(pl.Date)
    years = (pl.lit(year_end) - founded).dt.total_days() / 365.25
    frame = facts.select(
        pl.col("enterprise_id").cast(pl.Int64),
        pl.col("uscc").cast(pl.String),
        pl.col("name").cast(pl.String),
        pl.col("park_code").cast(pl.String),
        pl.col("province_code").cast(pl.String),
        pl.col("city_code").cast(pl.String),
        pl.col("industry_code").cast(pl.String),
        pl.when(pl.col("above_scale"))
        .then(pl.lit("规上"))
        .otherwise(pl.lit("规下"))
        .alias("scale"),
        pl.col("land_mu").cast(pl.Float64),
        *(
            pl.col(c).cast(pl.Float64)
            for c in (
                "tax",
                "value_added",
                "revenue",
                "energy_tce",
                "emission_t",
                "employees",
                "rd_expense",
                "electricity",
            )
        ),
        pl.lit(None, dtype=pl.Float64).alias("tech_investment"),
        years.round(2).cast(pl.Float64).alias("years_in_production"),
        pl.col("enterprise_id")
        .is_in(building.get_column("enterprise_id").implode())
        .alias("__building"),
    )
    new_firm = pl.col("years_in_production") < 2 if exempt_new_firms else pl.lit(False)
    frame = frame.with_columns(
        pl.when(new_firm.fill_null(False))
        .then(pl.lit("不定等级"))
        .otherwise(pl.lit("参评"))
        .alias("status"),
        pl.when(pl.col("__building"))
        .then(pl.lit("是"))
        .otherwise(pl.lit("否"))
        .alias("under_construction"),
    ).drop("__building")
    return frame.sort("uscc").select("enterprise_id", *INPUT_TEXT, *INPUT_NUMERIC)


# --- scoring ---------------------------------------------------------------------------------


def score_frame(frame: pl.DataFrame, rules: RuleSet, *, explain: bool) -> pl.DataFrame:
    """:func:`parkhq.analysis.land.score` on the engine columns; a rule set that cannot apply to
    the data (a text column compared with a number …) becomes a Chinese :class:`RuleSetError`."""
    try:
        return score(frame, rules, explain=explain)
    except pl.exceptions.PolarsError as exc:
        raise RuleSetError(f"规则集无法应用于本次数据：{exc}") from exc


def resolve_rules(
    db: Database, area: Area, year: int, rules: RuleSet, frame: pl.DataFrame
) -> tuple[RuleSet, str]:
    """Freeze derived benchmarks: from the previous year's inputs of the area when there are
    any (淮安: 2 × 上年度平均值), else from this year's. Returns the rules and a note."""
    if not rules.has_derived_benchmarks():
        return rules, ""
    previous = build_inputs(db, area.data_scope, year - 1)
    source, which = (previous, f"{year - 1} 年") if previous.height else (frame, f"{year} 年")
    try:
        resolved = resolve_benchmarks(source.drop("enterprise_id"), rules)
    except pl.exceptions.PolarsError as exc:
        raise RuleSetError(f"派生基准值无法计算：{exc}") from exc
    return resolved, f"派生基准值按 {which}数据计算：{resolved.notes[-1]}"


def grade_count_list(result: pl.DataFrame) -> list[GradeCount]:
    """Firms per (group, grade) of a score result, in group then grade order."""
    counts = (
        result.group_by("segment_key", "segment", "grade")
        .agg(pl.len().alias("firms"))
        .sort("segment_key", "grade", nulls_last=True)
        .with_columns(pl.col("segment").cast(pl.String).fill_null("未分组"))
    )
    return [
        GradeCount(segment=seg, grade=str(grade), firms=int(n))
        for seg, grade, n in counts.select("segment", "grade", "firms").iter_rows()
    ]


def finite(value: Any) -> float | None:
    """A JSON-safe float (NaN and infinities become None)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise InvalidInput(
            f"评价年度 {year} 不合理（应在 2000–2100 之间）", detail={"field": "year"}
        )


def preview_rule_set(
    db: Database, principal: Principal, yaml_text: str, *, year: int, scope_code: str = ""
) -> Preview:
    """Score rule-set YAML on the current data of an area without storing anything."""
    if not principal.can("land:rules"):
        principal.require("land:evaluate")
    _check_year(year)
    rules = parse_rule_set(yaml_text)
    area = resolve_area(db, principal, scope_code)
    frame = build_inputs(db, area.data_scope, year)
    base = Preview(
        name=rules.name,
        title=rules.title,
        version=rules.version,
        area=area.label,
        year=year,
        firms=frame.height,
        message="",
        benchmark_note="",
        counts=[],
        top=[],
    )
    if frame.height == 0:
        base.message = f"{area.label} {year} 年没有企业月报数据，无法试算"
        return base
    resolved, note = resolve_rules(db, area, year, rules, frame)
    result = score_frame(frame.drop("enterprise_id"), resolved, explain=False)
    top = result.filter(pl.col("total").is_not_null()).sort(
        "total", descending=True, maintain_order=True
    )
    base.message = f"试算 {frame.height} 家企业（未保存）"
    base.benchmark_note = note
    base.counts = grade_count_list(result)
    base.top = [
        PreviewRow(
            uscc=r["uscc"],
            name=r["name"],
            segment=r["segment"],
            total=finite(r["total"]),
            rank=r["rank"],
            grade=r["grade"],
        )
        for r in top.head(_PREVIEW_ROWS)
        .with_columns(pl.col(pl.Enum).cast(pl.String))
        .iter_rows(named=True)
    ]
    return base


# --- storing runs ----------------------------------------------------------------------------


def _indicator_json(result: pl.DataFrame, rules: RuleSet) -> list[str]:
    keys = rules.used_indicators()
    bonus_keys = [c for c in result.columns if c.startswith("bonus_")]
    out = []
    for row in result.select(
        *(f"{k}_value" for k in keys), *(f"{k}_score" for k in keys), "bonus", *bonus_keys
    ).iter_rows(named=True):
        data: dict[str, Any] = {
            k: {"value": finite(row[f"{k}_value"]), "score": finite(row[f"{k}_score"])}
            for k in keys
            if row[f"{k}_score"] is not None
        }
        data["bonus"] = finite(row["bonus"])
        for key in bonus_keys:
            data[key] = finite(row[key])
        out.append(json.dumps(data, ensure_ascii=False))
    return out


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def read_parquet(data: bytes) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(data))


#: Realistic runs get their explanation text stored; larger ones build it per firm on demand.
EXPLAIN_LIMIT = 100_000


def store_run(
    s: Session,
    actor: Actor,
    run: EvaluationRun,
    frame: pl.DataFrame,
    rules: RuleSet,
    enterprise_ids: dict[str, int],
) -> EvaluationRun:
    """Score ``frame`` under the resolved ``rules`` and write the run, its frozen inputs and
    one result row per firm in the session's transaction (audited once)."""
    run.content_hash = content_hash(frame, rules)
    result = score_frame(frame, rules, explain=frame.height <= EXPLAIN_LIMIT)
    run.firm_count = frame.height
    grading = rules.grading
    grades = grade_dtype(rules).categories.to_list()
    lowest = list(grading.quota)[-1] if isinstance(grading, QuotaGrading) else grading.lowest
    run.options = {**(run.options or {}), "grades": grades, "lowest": lowest}
    s.add(run)
    s.flush()
    if run.lineage_id is None:
        run.lineage_id = run.id
    s.add(
        EvaluationRunInput(
            run_id=run.id,
            rules_json=rules.canonical_json(),
            parquet=_parquet(frame),
            rows=frame.height,
            columns=frame.columns,
        )
    )
    meta = frame.select("uscc", "park_code", "province_code", "city_code")
    explanation = (
        pl.col("explanation").fill_null("")
        if "explanation" in result.columns
        else pl.lit("", dtype=pl.String)
    )
    rows = (
        result.with_columns(pl.col(pl.Enum).cast(pl.String))
        .join(meta, on="uscc", how="left", maintain_order="left")
        .select(
            pl.lit(run.id, dtype=pl.Int64).alias("run_id"),
            pl.col("uscc")
            .replace_strict(enterprise_ids, default=None, return_dtype=pl.Int64)
            .alias("enterprise_id"),
            "uscc",
            "name",
            "park_code",
            "province_code",
            "city_code",
            "segment_key",
            "segment",
            pl.col("total").fill_nan(None),
            pl.col("rank").cast(pl.Int64),
            pl.col("segment_size").cast(pl.Int64),
            "grade",
            "exempt_reason",
            pl.Series("indicators", _indicator_json(result, rules), dtype=pl.String),
            explanation.alias("explanation"),
        )
    )
    s.flush()
    write_frame(s.connection(), "land_result", rows, rows.columns)
    record(
        s,
        actor,
        "evaluate",
        "land_run",
        str(run.id),
        after={"content_hash": run.content_hash, "firms": run.firm_count},
        summary=f"亩均评价 {run.title}（第 {run.version} 版）：{run.firm_count} 家企业",
    )
    return run


def create_run(
    db: Database,
    principal: Principal,
    *,
    year: int,
    rule_set_id: int,
    scope_code: str = "",
    title: str = "",
    exempt_new_firms: bool = False,
) -> int:
    """Evaluate the firms of an area for ``year`` under a stored rule-set version and store
    the run as a draft. Returns the run id."""
    principal.require("land:evaluate")
    _check_year(year)
    area = resolve_area(db, principal, scope_code)
    with db.transaction() as s:
        rule_row = rule_set_row(s, principal, rule_set_id)
        rules = rules_from_json(rule_row.canonical_json)
        rule_label = f"{rule_row.name} {rule_row.version}"
    frame = build_inputs(db, area.data_scope, year, exempt_new_firms=exempt_new_firms)
    if frame.height == 0:
        raise InvalidInput(
            f"{area.label} {year} 年没有企业月报数据，无法评价", detail={"field": "year"}
        )
    resolved, note = resolve_rules(db, area, year, rules, frame)
    enterprise_ids = dict(zip(frame["uscc"], frame["enterprise_id"], strict=True))
    frame = frame.drop("enterprise_id")
    periods = year_periods(year)
    run = EvaluationRun(
        title=title.strip() or f"{area.name} {year} 年度亩均效益综合评价",
        year=year,
        period_start=periods[0],
        period_end=periods[-1],
        rule_set_id=rule_set_id,
        scope_kind=area.kind,
        scope_code=area.code,
        scope_name=area.name,
        province_code=area.province_code,
        city_code=area.city_code,
        park_code=area.park_code,
        status="draft",
        version=1,
        options={"exempt_new_firms": exempt_new_firms, "rule_set": rule_label},
        note=note,
        created_by=principal.username,
    )
    with db.transaction(principal.actor) as s:
        store_run(s, principal.actor, run, frame, resolved, enterprise_ids)
        s.add(
            ReviewStep(
                run_id=run.id,
                step="create",
                decision="done",
                reason=f"按规则集 {rule_label} 评价 {run.firm_count} 家企业",
                user_id=principal.user_id,
                username=principal.username,
            )
        )
        return run.id
