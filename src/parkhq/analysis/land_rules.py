"""Compile a 亩均效益 :class:`RuleSet` into Polars expressions; quotas, benchmarks, explanations.

The building blocks of :mod:`parkhq.analysis.land`: conditions and indicator formulas become
Polars expressions over named columns (never ``eval``), grade-quota boundaries are exact integer
arithmetic, derived benchmarks (``factor × statistic`` of a group) are resolved to numbers, and
the per-firm Chinese explanation is built as a vectorised string expression.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from functools import reduce
from typing import Any

import polars as pl

from parkhq.errors import InvalidInput, RuleSetError
from parkhq.reference.land_rules import (
    OUT_OF_SCOPE_GRADE,
    Condition,
    Derived,
    Exemption,
    Indicator,
    Item,
    RuleSet,
    Segment,
)

__all__ = [
    "condition_expr",
    "evaluated_mask",
    "exemption_columns",
    "exemption_grade_expr",
    "exemption_label_expr",
    "explanation_expr",
    "firm_entries",
    "grading_text",
    "indicator_expr",
    "negative_rule_expr",
    "quota_boundaries",
    "quota_counts",
    "resolve_benchmarks",
    "segment_key_expr",
    "when_chain",
]


def when_chain(
    pairs: Sequence[tuple[pl.Expr, pl.Expr]], otherwise: pl.Expr | None = None
) -> pl.Expr:
    """``when(c1).then(v1).when(c2).then(v2)…otherwise(otherwise or null)``: first match wins."""
    # Polars types the chain as Then / ChainedThen; both are expressions.
    chain: Any = pl.when(pairs[0][0]).then(pairs[0][1])
    for condition, value in pairs[1:]:
        chain = chain.when(condition).then(value)
    result: pl.Expr = chain.otherwise(pl.lit(None) if otherwise is None else otherwise)
    return result


def _values(value: object) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else (value,)


def condition_expr(cond: Condition) -> pl.Expr:
    """A Boolean expression for ``cond``; nulls count as false (never a null result)."""
    if cond.all_of is not None:
        return reduce(lambda a, b: a & b, (condition_expr(c) for c in cond.all_of))
    if cond.any_of is not None:
        return reduce(lambda a, b: a | b, (condition_expr(c) for c in cond.any_of))
    assert cond.column is not None and cond.op is not None
    col = pl.col(cond.column)
    op = cond.op
    if op == "is_null":
        return col.is_null()
    if op == "not_null":
        return col.is_not_null()
    values = _values(cond.value)
    if op == "starts_with":
        text = col.cast(pl.String)
        expr = reduce(lambda a, b: a | b, (text.str.starts_with(str(v)) for v in values))
    elif op in ("gt", "ge", "lt", "le"):
        number = col.cast(pl.Float64, strict=False)
        bound = pl.lit(float(values[0]))  # type: ignore[arg-type]
        expr = {
            "gt": number > bound,
            "ge": number >= bound,
            "lt": number < bound,
            "le": number <= bound,
        }[op]
    else:
        expr = _membership(col, values)
        if op in ("ne", "not_in"):
            expr = ~expr
    return expr.fill_null(False)


def _membership(col: pl.Expr, values: Sequence[object]) -> pl.Expr:
    if all(isinstance(v, bool) for v in values):
        target, items = col, list(values)
    elif all(isinstance(v, str) for v in values):
        target, items = col.cast(pl.String), [str(v) for v in values]
    else:
        target, items = col.cast(pl.Float64, strict=False), [float(v) for v in values]  # type: ignore[arg-type]
    # A single value compares directly (much faster than a hash-set lookup).
    return target == pl.lit(items[0]) if len(items) == 1 else target.is_in(items)


def _term(term: str | tuple[str, ...]) -> pl.Expr:
    names = [term] if isinstance(term, str) else list(term)
    return reduce(lambda a, b: a + b, (pl.col(n) for n in names))


def indicator_expr(indicator: Indicator) -> pl.Expr:
    """``scale × Σnumerator / Σdenominator``; null when an input is null or the denominator ≤ 0."""
    numerator = _term(indicator.numerator)
    if indicator.scale != 1:
        numerator = numerator * indicator.scale
    if indicator.denominator is None:
        return numerator.cast(pl.Float64)
    denominator = _term(indicator.denominator)
    return pl.when(denominator > 0).then(numerator / denominator).cast(pl.Float64)


def negative_rule_expr(value: pl.Expr, item: Item) -> pl.Expr:
    """Apply the item's negative-value rule (as_is / zero / missing) to an indicator value."""
    if item.negative == "zero":
        return pl.when(value < 0).then(0.0).otherwise(value)
    if item.negative == "missing":
        return pl.when(value < 0).then(None).otherwise(value)
    return value


def segment_key_expr(rules: RuleSet) -> pl.Expr:
    """The key of the first group whose predicate holds, else null."""
    pairs = [(condition_expr(s.when), pl.lit(s.key)) for s in rules.segments]
    return when_chain(pairs, pl.lit(None, dtype=pl.String))


def exemption_columns(rules: RuleSet, columns: Iterable[str]) -> list[Exemption]:
    """The exemptions that apply to an input with ``columns`` (all their columns present)."""
    available = set(columns)
    return [e for e in rules.exemptions if set(e.when.columns()) <= available]


def _first_match(exemptions: Sequence[Exemption], field: str) -> pl.Expr:
    if not exemptions:
        return pl.lit(None, dtype=pl.String)
    pairs = [(condition_expr(e.when), pl.lit(getattr(e, field))) for e in exemptions]
    return when_chain(pairs, pl.lit(None, dtype=pl.String))


def exemption_label_expr(exemptions: Sequence[Exemption]) -> pl.Expr:
    """The label of the first exemption a firm meets, else null."""
    return _first_match(exemptions, "label")


def exemption_grade_expr(exemptions: Sequence[Exemption]) -> pl.Expr:
    """The grade (不定等级 / 不参评) of the first exemption a firm meets, else null."""
    return _first_match(exemptions, "grade")


def evaluated_mask(rules: RuleSet, columns: Iterable[str]) -> pl.Expr:
    """True for firms in a group and not exempt."""
    exemptions = exemption_columns(rules, columns)
    mask = segment_key_expr(rules).is_not_null()
    for exemption in exemptions:
        mask = mask & ~condition_expr(exemption.when)
    return mask


def quota_boundaries(quota: dict[str, float]) -> list[tuple[str, int, int]]:
    """Cumulative shares as exact fractions ``(grade, P, Q)`` meaning ``P/Q`` of the group.

    Shares are percentages read through their decimal text, so 12.5 is exactly 1/8.
    """
    running = Fraction(0)
    bounds: list[tuple[str, int, int]] = []
    for grade, share in quota.items():
        running += Fraction(str(share)) / 100
        bounds.append((grade, running.numerator, running.denominator))
    return bounds


def quota_counts(n: int, quota: dict[str, float]) -> dict[str, int]:
    """Firms per grade in a group of ``n`` graded firms when no totals tie.

    The cumulative boundary of grade k is ``round_half_up(n × (p_1 + … + p_k) / 100)``; the
    count of grade k is its boundary minus the previous one. Counts always sum to ``n``.
    """
    counts: dict[str, int] = {}
    previous = 0
    for grade, p, q in quota_boundaries(quota):
        boundary = (2 * n * p + q) // (2 * q)
        counts[grade] = boundary - previous
        previous = boundary
    return counts


def _statistic(
    frame: pl.DataFrame, rules: RuleSet, segment: Segment, item: Item, mask: pl.Expr
) -> float | None:
    assert isinstance(item.benchmark, Derived)
    indicator = rules.indicators[item.indicator]
    value = negative_rule_expr(indicator_expr(indicator), item)
    in_group = mask & (segment_key_expr(rules) == segment.key)
    if item.benchmark.statistic == "mean":
        stat = value.filter(in_group).mean()
    else:
        present = in_group & value.is_not_null()
        numerator = _term(indicator.numerator).filter(present).sum()
        if indicator.denominator is None:
            stat = numerator * indicator.scale / present.sum()
        else:
            denominator = _term(indicator.denominator).filter(present).sum()
            stat = numerator * indicator.scale / denominator
    result = frame.select(stat.cast(pl.Float64)).item()
    return None if result is None else float(result)


def resolve_benchmarks(frame: pl.DataFrame, rules: RuleSet) -> RuleSet:
    """A copy of ``rules`` with every derived benchmark replaced by its number.

    ``frame`` holds the data the benchmarks are defined on (for example the previous year's
    firms for Huai'an's "2 × 上年度平均值"), with the columns the rule set reads. Group membership
    and exemptions are applied as in scoring. Raises :class:`RuleSetError` when a benchmark cannot
    be computed (no firm has the value) or is not positive.
    """
    if not rules.has_derived_benchmarks():
        return rules
    missing = [c for c in rules.required_columns() if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"计算基准值的数据缺少列：{'、'.join(missing)}", detail={"missing": missing}
        )
    mask = evaluated_mask(rules, frame.columns)
    segments, resolved = [], []
    for segment in rules.segments:
        items = []
        for item in segment.items:
            if not isinstance(item.benchmark, Derived):
                items.append(item)
                continue
            stat = _statistic(frame, rules, segment, item, mask)
            benchmark = None if stat is None else stat * item.benchmark.factor
            if benchmark is None or not benchmark > 0:
                label = rules.indicators[item.indicator].label
                raise RuleSetError(
                    f"无法计算分组“{segment.label}”指标“{label}”的基准值："
                    f"没有参评企业有该指标数据，或结果不为正（{benchmark}）",
                    detail={"segment": segment.key, "indicator": item.indicator},
                )
            items.append(item.model_copy(update={"benchmark": benchmark}))
            label = rules.indicators[item.indicator].label
            resolved.append(f"{segment.label}·{label} {_number_text(benchmark)}")
        segments.append(segment.model_copy(update={"items": tuple(items)}))
    note = f"基准值已由 {frame.height} 家企业的数据算出：{'；'.join(resolved)}。"
    return rules.model_copy(update={"segments": tuple(segments), "notes": (*rules.notes, note)})


# --- explanations -------------------------------------------------------------------------


def _number_text(value: float) -> str:
    return f"{value:.8g}"


def _value_text(expr: pl.Expr) -> pl.Expr:
    rounded = pl.when(expr.abs() >= 100).then(expr.round(2)).otherwise(expr.round_sig_figs(4))
    return rounded.cast(pl.String)


def _score_text(expr: pl.Expr) -> pl.Expr:
    return expr.round(2).cast(pl.String)


def _missing_text(item: Item) -> str:
    return "按本组平均得分计" if item.missing == "segment_mean" else "记 0 分"


def grading_text(rules: RuleSet) -> str:
    """The grading rule in words, e.g. ``A 20%/B 45%/C 30%/D 5%``."""
    grading = rules.grading
    if grading.method == "quota":
        return "/".join(f"{g} {_number_text(p)}%" for g, p in grading.quota.items())
    lines = "、".join(f"{g} ≥ {_number_text(t)}" for g, t in grading.thresholds.items())
    return f"{lines}，其余为 {grading.lowest}"


def _item_piece(rules: RuleSet, segment: Segment, item: Item, in_group: pl.Expr) -> pl.Expr:
    indicator = rules.indicators[item.indicator]
    label, unit = indicator.label, indicator.unit
    raw = pl.col(f"{item.indicator}_value")
    value = negative_rule_expr(raw, item)
    points = _score_text(pl.col(f"{item.indicator}_score"))
    weight = _number_text(item.weight)
    if segment.method == "benchmark_ratio":
        assert isinstance(item.benchmark, float)
        benchmark = _number_text(item.benchmark)
        present = pl.concat_str(
            pl.lit(f"{label} "),
            _value_text(raw),
            pl.lit(f"{unit}（基准 {benchmark}{unit}，权重 {weight}）得 "),
            points,
            pl.lit(" 分"),
        )
        if item.cap is not None:
            capped = pl.concat_str(present, pl.lit(f"（比值封顶 {_number_text(item.cap)}）"))
            present = pl.when(value / item.benchmark > item.cap).then(capped).otherwise(present)
    else:
        group = value.filter(in_group)
        present = pl.concat_str(
            pl.lit(f"{label} "),
            _value_text(raw),
            pl.lit(f"{unit}（本组最小 "),
            _value_text(group.min()),
            pl.lit("、最大 "),
            _value_text(group.max()),
            pl.lit(f"，权重 {weight}）得 "),
            points,
            pl.lit(" 分"),
        )
    missing = (
        pl.concat_str(pl.lit(f"{label} 无数据，按本组平均得分计 "), points, pl.lit(" 分"))
        if item.missing == "segment_mean"
        else pl.lit(f"{label} 无数据，记 0 分")
    )
    pairs = [(raw.is_null(), missing)]
    if item.negative != "as_is":
        rule = "按 0 计" if item.negative == "zero" else "按无数据处理"
        negative = pl.concat_str(
            pl.lit(f"{label} "),
            _value_text(raw),
            pl.lit(f"{unit}为负，{rule}，得 "),
            points,
            pl.lit(" 分"),
        )
        pairs.append((raw < 0, negative))
    return when_chain(pairs, present)


def _grade_phrase(rules: RuleSet) -> pl.Expr:
    grade = pl.col("grade")
    if rules.grading.method == "quota":
        rank, size = pl.col("rank"), pl.col("segment_size")
        percent = (rank * 100 + size - 1) // size
        return pl.concat_str(
            pl.lit("位于前 "),
            percent.cast(pl.String),
            pl.lit(f"%，按 {grading_text(rules)} 的比例评为 "),
            grade,
            pl.lit(" 类"),
        )
    return pl.concat_str(pl.lit(f"按分数线（{grading_text(rules)}）评为 "), grade, pl.lit(" 类"))


def _segment_sentence(rules: RuleSet, segment: Segment, in_group: pl.Expr) -> pl.Expr:
    pieces = [_item_piece(rules, segment, item, in_group) for item in segment.items]
    parts = [
        pl.lit(f"{segment.label}组第 "),
        pl.col("rank").cast(pl.String),
        pl.lit("/"),
        pl.col("segment_size").cast(pl.String),
        pl.lit(" 名，"),
        _grade_phrase(rules),
        pl.lit("。总分 "),
        _score_text(pl.col("total")),
        pl.lit(" 分："),
        pl.concat_str(pieces, separator="；"),
    ]
    if segment.bonuses:
        parts += [pl.lit("；加减分 "), _score_text(pl.col("bonus")), pl.lit(" 分")]
    parts.append(pl.lit("。"))
    return pl.concat_str(parts)


def explanation_expr(rules: RuleSet, in_group_columns: Sequence[str]) -> pl.Expr:
    """One Chinese sentence per firm: rank, grade and why, and each indicator's contribution.

    ``in_group_columns[i]`` names a Boolean column, true for graded firms of group i. Also needs
    ``<key>_value``, ``<key>_score``, ``bonus``, ``total``, ``rank``, ``segment_size``,
    ``grade`` and ``exempt_reason``.
    """
    pairs = []
    for segment, column in zip(rules.segments, in_group_columns, strict=True):
        in_group = pl.col(column)
        pairs.append((in_group, _segment_sentence(rules, segment, in_group)))
    exempt = pl.concat_str(
        pl.lit("因“"),
        pl.col("exempt_reason"),
        pl.lit("”，"),
        pl.when(pl.col("grade") == OUT_OF_SCOPE_GRADE)
        .then(pl.lit("不参评。"))
        .otherwise(pl.lit("评为不定等级，不参与排名和分档。")),
    )
    pairs.append((pl.col("exempt_reason").is_not_null(), exempt))
    labels = "、".join(s.label for s in rules.segments)
    outside = f"不属于本规则集的任何评价分组（{labels}），不参评。"
    return when_chain(pairs, pl.lit(outside))


def _indicator_entry(
    result: pl.DataFrame, rules: RuleSet, segment: Segment, item: Item, row: dict[str, Any]
) -> dict[str, Any]:
    indicator = rules.indicators[item.indicator]
    raw = row[f"{item.indicator}_value"]
    points = row[f"{item.indicator}_score"]
    entry: dict[str, Any] = {
        "kind": "indicator",
        "key": item.indicator,
        "label": indicator.label,
        "unit": indicator.unit,
        "value": raw,
        "weight": item.weight,
        "score": points,
        "method": segment.method,
    }
    if raw is None or (raw < 0 and item.negative == "missing"):
        entry["status"] = "missing"
        entry["text"] = f"{indicator.label} 无可用数据，{_missing_text(item)}，得 {points:.2f} 分"
        return entry
    value = 0.0 if raw < 0 and item.negative == "zero" else raw
    entry["status"] = "negative_as_zero" if value != raw else "ok"
    shown = f"{indicator.label} {raw:.6g}{indicator.unit}"
    if segment.method == "benchmark_ratio":
        assert isinstance(item.benchmark, float)
        entry["benchmark"] = item.benchmark
        entry["ratio"] = value / item.benchmark
        entry["cap"] = item.cap
        if item.cap is not None and entry["ratio"] > item.cap:
            entry["status"] = "capped"
        entry["text"] = (
            f"{shown}，为基准 {_number_text(item.benchmark)} 的 {entry['ratio']:.4g} 倍，"
            f"权重 {_number_text(item.weight)}，得 {points:.2f} 分"
        )
        return entry
    group = result.filter(
        (pl.col("segment_key") == segment.key) & pl.col("total").is_not_null()
    ).select(negative_rule_expr(pl.col(f"{item.indicator}_value"), item).alias("v"))
    low, high = group.get_column("v").min(), group.get_column("v").max()
    assert isinstance(low, float) and isinstance(high, float)
    entry["min"], entry["max"] = low, high
    entry["text"] = (
        f"{shown}，本组最小 {float(low):.6g}、最大 {float(high):.6g}，"
        f"权重 {_number_text(item.weight)}，"
        f"得 {points:.2f} 分"
    )
    return entry


def firm_entries(result: pl.DataFrame, rules: RuleSet, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The structured explanation of one result row (see ``parkhq.analysis.land.explain_firm``)."""
    grade_entry: dict[str, Any] = {
        "kind": "grade",
        "grade": row["grade"],
        "segment": row["segment"],
        "text": row.get("explanation"),
    }
    if row["total"] is None:
        reason = row["exempt_reason"] or "不属于任何评价分组"
        grade_entry.update(reason=reason, text=f"因“{reason}”，{row['grade']}")
        return [grade_entry]
    segment = next(s for s in rules.segments if s.key == row["segment_key"])
    entries = [_indicator_entry(result, rules, segment, item, row) for item in segment.items]
    entries += [
        {"kind": "bonus", "key": b.key, "label": b.label, "points": row[f"bonus_{b.key}"]}
        for b in segment.bonuses
    ]
    entries.append({"kind": "total", "bonus": row["bonus"], "total": row["total"]})
    rank, size = row["rank"], row["segment_size"]
    rule = grading_text(rules)
    grade_entry.update(rank=rank, segment_size=size, rule=rule)
    grade_entry["text"] = (
        f"{segment.label}组第 {rank}/{size} 名，总分 {row['total']:.2f}，"
        f"按 {rule} 评为 {row['grade']} 类"
    )
    return [*entries, grade_entry]
