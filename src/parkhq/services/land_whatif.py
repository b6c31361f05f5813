"""What-if against a stored 亩均效益 run: change weights, benchmarks or grade shares (or the
whole rule set) and list exactly the firms whose grade changes, before anything is published.

The run's frozen inputs are scored twice by the engine (:func:`parkhq.analysis.land.what_if`);
nothing is stored and the run is not touched.
"""

from __future__ import annotations

from typing import Annotated

import polars as pl
from pydantic import BaseModel, Field, StringConstraints

from parkhq.analysis.land import resolve_benchmarks, what_if
from parkhq.errors import InvalidInput, RuleSetError
from parkhq.reference.land_rules import RuleSet, rule_set_from_mapping
from parkhq.services.access import Principal
from parkhq.services.land import (
    GradeCount,
    finite,
    grade_count_list,
    parse_rule_set,
    score_frame,
)
from parkhq.services.land_runs import load_inputs, results_stmt, visible_run
from parkhq.store.db import Database
from parkhq.store.models import EvaluationResult

__all__ = ["WhatIfIn", "WhatIfOut", "WhatIfRow", "apply_changes", "what_if_run"]


ItemKey = Annotated[str, StringConstraints(min_length=1, max_length=140)]
GradeName = Annotated[str, StringConstraints(min_length=1, max_length=16)]


class WhatIfIn(BaseModel):
    """Changes to try against a stored run: weights and benchmarks keyed ``group.indicator``
    (or ``indicator`` for every group using it), grade shares, or a whole rule set."""

    weights: dict[ItemKey, Annotated[float, Field(gt=0, le=1_000_000)]] = Field(
        default_factory=dict, max_length=200
    )
    benchmarks: dict[ItemKey, Annotated[float, Field(gt=0, le=1e12)]] = Field(
        default_factory=dict, max_length=200
    )
    quota: dict[GradeName, Annotated[float, Field(ge=0, le=100)]] | None = Field(
        default=None, max_length=20
    )
    rules_yaml: str = Field(default="", max_length=200_000)


class WhatIfRow(BaseModel):
    uscc: str
    name: str
    segment: str | None
    grade_before: str | None
    grade_after: str | None
    total_before: float | None
    total_after: float | None


class WhatIfOut(BaseModel):
    run_id: int
    changes: list[str]
    firms: int
    changed: int
    items: list[WhatIfRow]
    counts_before: list[GradeCount]
    counts_after: list[GradeCount]


# --- what-if ---------------------------------------------------------------------------------


def _targets(rules: RuleSet, key: str) -> list[tuple[int, int]]:
    segment_key, _, indicator = key.rpartition(".")
    found = [
        (si, ii)
        for si, seg in enumerate(rules.segments)
        for ii, item in enumerate(seg.items)
        if item.indicator == indicator and (not segment_key or seg.key == segment_key)
    ]
    if not found:
        options = "、".join(
            f"{seg.key}.{item.indicator}" for seg in rules.segments for item in seg.items
        )
        raise InvalidInput(
            f"规则集中没有指标 {key!r}（可选：{options}）", detail={"field": "weights", "key": key}
        )
    return found


def apply_changes(rules: RuleSet, body: WhatIfIn) -> tuple[RuleSet, list[str]]:
    """``rules`` with the weights, benchmarks and grade shares of ``body`` replaced."""
    data = rules.model_dump(mode="json", by_alias=True)
    described: list[str] = []
    for key, weight in body.weights.items():
        for si, ii in _targets(rules, key):
            seg = rules.segments[si]
            item = seg.items[ii]
            data["segments"][si]["items"][ii]["weight"] = weight
            label = rules.indicators[item.indicator].label
            described.append(f"{seg.label}·{label} 权重 {item.weight:g} → {weight:g}")
    for key, benchmark in body.benchmarks.items():
        for si, ii in _targets(rules, key):
            seg = rules.segments[si]
            item = seg.items[ii]
            label = rules.indicators[item.indicator].label
            if seg.method != "benchmark_ratio":
                raise InvalidInput(
                    f"{seg.label}组用最小-最大法，{label} 没有基准值可改",
                    detail={"field": "benchmarks", "key": key},
                )
            data["segments"][si]["items"][ii]["benchmark"] = benchmark
            old = item.benchmark if isinstance(item.benchmark, float) else 0.0
            described.append(f"{seg.label}·{label} 基准值 {old:g} → {benchmark:g}")
    if body.quota is not None:
        data["grading"] = {"method": "quota", "quota": body.quota, "preset": "what-if"}
        described.append("分档比例 " + "/".join(f"{g} {v:g}%" for g, v in body.quota.items()))
    if not described:
        raise InvalidInput("请至少修改一个权重、基准值或分档比例", detail={"field": "weights"})
    return rule_set_from_mapping(data, "模拟测算"), described


def what_if_run(db: Database, principal: Principal, run_id: int, body: WhatIfIn) -> WhatIfOut:
    """Score a stored run's frozen inputs under changed rules and list exactly the firms whose
    grade changes (within the principal's scope). Nothing is stored."""
    principal.require("land:evaluate")
    with db.transaction() as s:
        run = visible_run(s, principal, run_id)
        frame, rules = load_inputs(s, run.id)
        visible = (
            None
            if principal.scope.is_all
            else set(
                s.scalars(results_stmt(principal, run.id).with_only_columns(EvaluationResult.uscc))
            )
        )
    if body.rules_yaml.strip():
        changed = parse_rule_set(body.rules_yaml)
        if changed.has_derived_benchmarks():
            changed = resolve_benchmarks(frame, changed)
        described = [f"按提交的规则集 {changed.name} {changed.version} 测算"]
    else:
        changed, described = apply_changes(rules, body)
    try:
        diff = what_if(frame, rules, changed)
    except pl.exceptions.PolarsError as exc:
        raise RuleSetError(f"规则集无法应用于本次数据：{exc}") from exc
    before = score_frame(frame, rules, explain=False)
    after = score_frame(frame, changed, explain=False)
    if visible is not None:
        keep = pl.col("uscc").is_in(pl.Series(sorted(visible), dtype=pl.String).implode())
        diff, before, after = diff.filter(keep), before.filter(keep), after.filter(keep)
    items = [
        WhatIfRow(
            uscc=r["uscc"],
            name=r["name"],
            segment=r["segment"],
            grade_before=r["grade_before"],
            grade_after=r["grade_after"],
            total_before=finite(r["total_before"]),
            total_after=finite(r["total_after"]),
        )
        for r in diff.iter_rows(named=True)
    ]
    return WhatIfOut(
        run_id=run_id,
        changes=described,
        firms=before.height,
        changed=len(items),
        items=items,
        counts_before=grade_count_list(before),
        counts_after=grade_count_list(after),
    )
