"""亩均效益综合评价 (land-efficiency evaluation): score, rank and grade firms by a rule set.

Input: one row per firm and evaluation year, English column names (see :data:`INPUT_HEADERS`
for the Chinese headers): ``uscc``, ``name``, ``scale`` (规上 / 规下), ``land_mu`` (亩), ``tax``,
``value_added``, ``revenue``, ``rd_expense``, ``tech_investment`` (万元), ``energy_tce``
(吨标准煤, 等价值), ``emission_t`` (主要污染物, 吨), ``employees`` (人), ``electricity``
(万千瓦时), ``status`` (参评 / 不定等级) and optional ``industry_code`` (GB/T 4754),
``years_in_production`` (年), ``under_construction`` (是 / 否). A rule set only needs the
columns it reads (:meth:`RuleSet.required_columns`).

Method (浙政发〔2018〕5号 "亩均论英雄"; formulas as published by each locality, see
``docs/land-efficiency.md``): each firm falls into the first group (分组) whose predicate holds;
each indicator is ``scale × numerator / denominator``; item scores are benchmark ratios
``weight × min(x / benchmark, cap)`` (e.g. 黄岩区) or min–max
``weight × [20 + 80 × (x − min) / (max − min)] / 100`` (旌德县); total = Σ item scores +
bonus/penalty items; firms are ranked within their group and graded by quota or by score
thresholds. Exempt firms get 不定等级; firms in no group get 不参评.

Output columns of :func:`score`: ``uscc``, ``name``, ``segment_key``, ``segment`` (group label),
``<indicator>_value`` and ``<indicator>_score`` for every indicator the rule set uses,
``bonus_<key>`` per bonus item, ``bonus``, ``total``, ``rank`` (1 = best, ties share the best
rank), ``segment_size`` (graded firms in the group), ``grade``, ``exempt_reason`` and
``explanation`` (a Chinese sentence).
"""

from __future__ import annotations

import hashlib
import io
import json
import operator
from functools import reduce
from typing import Any

import polars as pl

from parkhq.analysis.land_rules import (
    condition_expr,
    exemption_columns,
    explanation_expr,
    firm_entries,
    indicator_expr,
    negative_rule_expr,
    quota_counts,
    resolve_benchmarks,
    when_chain,
)
from parkhq.errors import InvalidInput, NotFound, RuleSetError
from parkhq.reference.land_rules import (
    EXEMPT_GRADE,
    OUT_OF_SCOPE_GRADE,
    Item,
    QuotaGrading,
    RuleSet,
    Segment,
)

__all__ = [
    "EXEMPT_GRADE",
    "INPUT_HEADERS",
    "OUT_OF_SCOPE_GRADE",
    "TEXT_COLUMNS",
    "RuleSet",
    "content_hash",
    "explain_firm",
    "grade_counts",
    "grade_dtype",
    "numeric_columns",
    "quota_counts",
    "resolve_benchmarks",
    "score",
    "what_if",
]

INPUT_HEADERS: dict[str, str] = {
    "统一社会信用代码": "uscc",
    "企业名称": "name",
    "规模": "scale",
    "用地面积(亩)": "land_mu",
    "税收(万元)": "tax",
    "工业增加值(万元)": "value_added",
    "营业收入(万元)": "revenue",
    "综合能耗(吨标准煤)": "energy_tce",
    "主要污染物排放量(吨)": "emission_t",
    "从业人员(人)": "employees",
    "研发经费支出(万元)": "rd_expense",
    "用电量(万千瓦时)": "electricity",
    "技术改造投资(万元)": "tech_investment",
    "评价状态": "status",
    "行业代码": "industry_code",
    "投产年限(年)": "years_in_production",
    "重大项目在建": "under_construction",
}
"""Chinese input header → English column name."""

TEXT_COLUMNS = frozenset({"uscc", "name", "scale", "status", "industry_code", "under_construction"})
"""Input columns that are text; every other known column is numeric."""

_SEG = "__segment"
_EXEMPT = "__exemption"
_EXEMPT_GRADE = "__exempt_grade"


def _in_group(index: int) -> str:
    return f"__in_{index}"


def numeric_columns(rules: RuleSet) -> list[str]:
    """Input columns ``rules`` computes with (indicator terms, bonus amounts): must be numeric."""
    cols: dict[str, None] = {}
    for key in rules.used_indicators():
        for col in rules.indicators[key].columns():
            cols.setdefault(col, None)
    for segment in rules.segments:
        for bonus in segment.bonuses:
            if bonus.column is not None:
                cols.setdefault(bonus.column, None)
    return list(cols)


def _check_input(df: pl.DataFrame, rules: RuleSet) -> None:
    required = ["uscc", "name", *rules.required_columns()]
    missing = [c for c in dict.fromkeys(required) if c not in df.columns]
    if missing:
        raise InvalidInput(
            f"输入缺少列：{'、'.join(missing)}（规则集 {rules.name} 需要：{'、'.join(required)}）",
            detail={"missing": missing},
        )
    for col in numeric_columns(rules):
        dtype = df.schema[col]
        if not (dtype.is_numeric() or dtype == pl.Null):
            raise InvalidInput(
                f"列 {col} 应为数值，实际为 {dtype}", detail={"column": col, "dtype": str(dtype)}
            )
    if df.get_column("uscc").null_count():
        raise InvalidInput("统一社会信用代码（uscc）不能为空", detail={"column": "uscc"})


def _check_unique(df: pl.DataFrame) -> None:
    """Raise if a ``uscc`` repeats.

    Fast paths: a strictly increasing column (e.g. read in key order) or as many distinct 64-bit
    hashes as rows proves uniqueness; only a (possible) hit pays for the exact check.
    """
    uscc = df.get_column("uscc")
    if uscc.is_sorted() and not (uscc == uscc.shift(1)).any():
        return
    if uscc.hash().n_unique() == uscc.len():
        return
    duplicated = uscc.filter(uscc.is_duplicated()).unique().sort().head(5).to_list()
    if duplicated:
        raise InvalidInput(
            f"统一社会信用代码重复：{'、'.join(map(str, duplicated))}；每家企业只能有一行",
            detail={"duplicates": duplicated},
        )


def _item_score(segment: Segment, item: Item, in_group: pl.Expr) -> pl.Expr:
    """The item's score for every row as if it were in ``segment`` (never null)."""
    x = negative_rule_expr(pl.col(f"{item.indicator}_value"), item)
    weight = item.weight
    if segment.method == "benchmark_ratio":
        assert isinstance(item.benchmark, float)
        ratio = x / item.benchmark
        if item.cap is not None:
            ratio = ratio.clip(upper_bound=item.cap)
        raw = ratio * weight
    else:
        group = x.filter(in_group)
        low, width = group.min(), group.max() - group.min()
        raw = (
            pl.when(x.is_null())
            .then(None)
            .when(width > 0)
            .then(weight * (segment.floor + segment.span * (x - low) / width) / 100)
            .otherwise(weight * (segment.floor + segment.span) / 100)
        )
    if item.missing == "segment_mean":
        return raw.fill_null(raw.filter(in_group).mean()).fill_null(0.0)
    return raw.fill_null(0.0)


def _bonus_amounts(segment: Segment) -> dict[str, pl.Expr]:
    amounts: dict[str, pl.Expr] = {}
    for bonus in segment.bonuses:
        amount = (
            pl.lit(bonus.points)
            if bonus.column is None
            else pl.col(bonus.column).cast(pl.Float64) * bonus.points
        )
        if bonus.when is not None:
            amount = pl.when(condition_expr(bonus.when)).then(amount).otherwise(0.0)
        amount = amount.fill_null(0.0)
        if bonus.cap is not None:
            amount = amount.clip(-bonus.cap, bonus.cap)
        amounts[bonus.key] = amount
    return amounts


def _net_bonus(segment: Segment, amounts: dict[str, pl.Expr]) -> pl.Expr:
    if not amounts:
        return pl.lit(0.0)
    gains = pl.sum_horizontal([a.clip(lower_bound=0.0) for a in amounts.values()])
    losses = pl.sum_horizontal([a.clip(upper_bound=0.0) for a in amounts.values()])
    if segment.bonus_cap is not None:
        gains = gains.clip(upper_bound=segment.bonus_cap)
    if segment.penalty_cap is not None:
        losses = losses.clip(lower_bound=-segment.penalty_cap)
    return gains + losses


def _by_segment(pairs: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    return when_chain(pairs)


def _index_expr(conditions: list[pl.Expr]) -> pl.Expr:
    """The index of the first true condition (UInt8), else null."""
    if not conditions:
        return pl.lit(None, dtype=pl.UInt8)
    pairs = [(c, pl.lit(i, dtype=pl.UInt8)) for i, c in enumerate(conditions)]
    return when_chain(pairs, pl.lit(None, dtype=pl.UInt8))


def _lookup(index: str, texts: list[str], dtype: pl.Enum | None = None) -> pl.Expr:
    """``texts[i]`` where column ``index`` equals i, else null, as ``dtype`` (an Enum)."""
    dtype = dtype or pl.Enum(list(dict.fromkeys(texts)))
    if not texts:
        return pl.lit(None, dtype=dtype)
    pairs = [(pl.col(index) == i, pl.lit(text, dtype=dtype)) for i, text in enumerate(texts)]
    return _by_segment(pairs).cast(dtype)


def grade_dtype(rules: RuleSet) -> pl.Enum:
    """The ``grade`` column's type: the rule set's grades best first, then 不定等级, 不参评."""
    grading = rules.grading
    grades = (
        list(grading.quota)
        if isinstance(grading, QuotaGrading)
        else [
            *grading.thresholds,
            grading.lowest,
        ]
    )
    return pl.Enum(list(dict.fromkeys([*grades, EXEMPT_GRADE, OUT_OF_SCOPE_GRADE])))


def _score_columns(rules: RuleSet) -> list[pl.Expr]:
    """``<key>_score``, ``bonus_<key>``, ``bonus`` and ``total`` for every row."""
    scores: dict[str, list[tuple[pl.Expr, pl.Expr]]] = {}
    bonuses: dict[str, list[tuple[pl.Expr, pl.Expr]]] = {}
    net: list[tuple[pl.Expr, pl.Expr]] = []
    totals: list[tuple[pl.Expr, pl.Expr]] = []
    for index, segment in enumerate(rules.segments):
        in_group = pl.col(_in_group(index))
        raws = [_item_score(segment, item, in_group) for item in segment.items]
        for item, raw in zip(segment.items, raws, strict=True):
            scores.setdefault(item.indicator, []).append((in_group, raw))
        amounts = _bonus_amounts(segment)
        for key, amount in amounts.items():
            bonuses.setdefault(key, []).append((in_group, amount))
        bonus = _net_bonus(segment, amounts)
        net.append((in_group, bonus))
        total = reduce(operator.add, raws)
        totals.append((in_group, total + bonus if amounts else total))
    exprs = [_by_segment(pairs).cast(pl.Float64).alias(f"{k}_score") for k, pairs in scores.items()]
    exprs += [_by_segment(p).cast(pl.Float64).alias(f"bonus_{k}") for k, p in bonuses.items()]
    exprs.append(_by_segment(net).cast(pl.Float64).alias("bonus"))
    exprs.append(_by_segment(totals).cast(pl.Float64).alias("total"))
    return exprs


def _grade_expr(rules: RuleSet, sizes: list[int]) -> pl.Expr:
    """Grades of graded firms; exempt firms get their exemption's grade, others 不参评.

    ``sizes[i]`` is the number of graded firms in group i (quota boundaries are literals).
    """
    grading = rules.grading
    dtype = grade_dtype(rules)
    pairs: list[tuple[pl.Expr, pl.Expr]] = []
    for index, size in enumerate(sizes):
        if isinstance(grading, QuotaGrading):
            rank = pl.col("rank")
            counts = quota_counts(size, grading.quota)
            bounds, boundary = [], 0
            for grade, count in counts.items():
                boundary += count
                bounds.append((rank <= boundary, grade))
            lowest = bounds[-1][1]
        else:
            total = pl.col("total").round(rules.rank_decimals)
            bounds = [(total >= t, g) for g, t in grading.thresholds.items()]
            lowest = grading.lowest
        grades = [(condition, pl.lit(grade, dtype=dtype)) for condition, grade in bounds]
        pairs.append((pl.col(_in_group(index)), when_chain(grades, pl.lit(lowest, dtype=dtype))))
    exempt = pl.col(_EXEMPT_GRADE)
    pairs.append((exempt.is_not_null(), exempt))
    graded = _by_segment(pairs).fill_null(pl.lit(OUT_OF_SCOPE_GRADE, dtype=dtype))
    return graded.cast(dtype).alias("grade")


def _output_columns(rules: RuleSet, explain: bool) -> list[str]:
    cols = ["uscc", "name", "segment_key", "segment"]
    for key in rules.used_indicators():
        cols += [f"{key}_value", f"{key}_score"]
    keys = dict.fromkeys(b.key for s in rules.segments for b in s.bonuses)
    cols += [f"bonus_{k}" for k in keys]
    cols += ["bonus", "total", "rank", "segment_size", "grade", "exempt_reason"]
    if explain:
        cols.append("explanation")
    return cols


def _scored(df: pl.DataFrame, rules: RuleSet) -> pl.DataFrame:
    """Values, scores and totals (before ranking and grading), with the internal columns."""
    exemptions = exemption_columns(rules, df.columns)
    segments = rules.segments
    lf = df.lazy().with_columns(pl.col(c).cast(pl.Float64) for c in numeric_columns(rules))
    lf = lf.with_columns(
        _index_expr([condition_expr(s.when) for s in segments]).alias(_SEG),
        _index_expr([condition_expr(e.when) for e in exemptions]).alias(_EXEMPT),
    )
    # Exemptions matter only inside a group; a firm in no group is 不参评 whatever else holds.
    lf = lf.with_columns(pl.when(pl.col(_SEG).is_not_null()).then(pl.col(_EXEMPT)).alias(_EXEMPT))
    evaluated = pl.col(_SEG).is_not_null() & pl.col(_EXEMPT).is_null()
    lf = lf.with_columns(
        _lookup(_SEG, [s.key for s in segments]).alias("segment_key"),
        _lookup(_SEG, [s.label for s in segments]).alias("segment"),
        _lookup(_EXEMPT, [e.label for e in exemptions]).alias("exempt_reason"),
        _lookup(_EXEMPT, [e.grade for e in exemptions], grade_dtype(rules)).alias(_EXEMPT_GRADE),
        *[(evaluated & (pl.col(_SEG) == i)).alias(_in_group(i)) for i in range(len(segments))],
        *[indicator_expr(rules.indicators[k]).alias(f"{k}_value") for k in rules.used_indicators()],
    )
    lf = lf.with_columns(_score_columns(rules))
    return lf.collect(engine="in-memory")


_KEY_SHIFT = 1 << 58
"""Group index × 2^58 − quantised total packs (group, total) into one Int64 sort key."""


def _rank(scored: pl.DataFrame, rules: RuleSet, sizes: list[int]) -> pl.Series:
    """Rank within group, 1 = best total; ties (equal after rounding) share the best rank.

    Totals are compared after rounding to ``rules.rank_decimals`` decimals. When they fit, one
    integer key ``group × 2^58 − round(total × 10^d)`` is ranked once for all groups (same
    result as a per-group float rank, faster); otherwise the per-group float rank is used.
    """
    total = scored.get_column("total")
    low, high = total.min(), total.max()
    scale = 10**rules.rank_decimals
    fits = (
        isinstance(low, float)
        and isinstance(high, float)
        and max(-low, high) * scale < _KEY_SHIFT // 4
        and len(sizes) < 32
    )
    if not fits:
        rounded = pl.col("total").round(rules.rank_decimals)
        rank = rounded.rank("min", descending=True).over(_SEG).cast(pl.Int64)
        return scored.select(rank.alias("rank")).to_series()
    quantised = (pl.col("total") * scale).round().cast(pl.Int64)
    offsets, before = [], 0
    for index, size in enumerate(sizes):
        offsets.append((pl.col(_SEG) == index, pl.lit(before, dtype=pl.Int64)))
        before += size
    keys = scored.select(
        (pl.col(_SEG).cast(pl.Int64) * _KEY_SHIFT - quantised).alias("key"),
        _by_segment(offsets).alias("offset"),
    )
    ranks = keys.get_column("key").rank("min").cast(pl.Int64)
    return (ranks - keys.get_column("offset")).alias("rank")


def _graded(scored: pl.DataFrame, rules: RuleSet, explain: bool) -> pl.DataFrame:
    """Add ``rank``, ``segment_size``, ``grade`` and (optionally) ``explanation``; select."""
    in_groups = [_in_group(i) for i in range(len(rules.segments))]
    sizes = [int(scored.get_column(c).sum()) for c in in_groups]
    size_pairs = [
        (pl.col(c), pl.lit(n, dtype=pl.Int64)) for c, n in zip(in_groups, sizes, strict=True)
    ]
    lf = scored.with_columns(_rank(scored, rules, sizes)).lazy()
    lf = lf.with_columns(
        _by_segment(size_pairs).cast(pl.Int64).alias("segment_size"), _grade_expr(rules, sizes)
    )
    if explain:
        lf = lf.with_columns(explanation_expr(rules, in_groups).alias("explanation"))
    return lf.select(_output_columns(rules, explain)).collect(engine="in-memory")


def score(
    df: pl.DataFrame,
    rules: RuleSet,
    *,
    reference: pl.DataFrame | None = None,
    explain: bool = True,
) -> pl.DataFrame:
    """Score, rank and grade every firm of ``df`` under ``rules``.

    ``df``: one row per firm, columns as in the module docstring (amounts in 万元, land in 亩,
    energy in tce, emissions in t, staff in 人, electricity in 万千瓦时); ``uscc`` must be
    unique. ``reference``: the data derived benchmarks are computed from (e.g. the previous
    year, for "2 × 上年度平均值"); defaults to ``df`` itself. ``explain=False`` skips the
    ``explanation`` column (the costliest part on millions of rows).

    Returns one row per input firm in input order; see the module docstring for the columns.
    Raises :class:`InvalidInput` (missing or non-numeric columns, duplicate ``uscc``) or
    :class:`RuleSetError` (a derived benchmark that cannot be computed).
    """
    _check_input(df, rules)
    _check_unique(df)
    if rules.has_derived_benchmarks():
        source = df if reference is None else reference
        if reference is not None:
            _check_input(reference, rules)
            _check_unique(reference)
        rules = resolve_benchmarks(source, rules)
    return _graded(_scored(df, rules), rules, explain)


def grade_counts(result: pl.DataFrame) -> pl.DataFrame:
    """Firms per group and grade of a :func:`score` result.

    Columns ``segment_key, segment, grade, firms``, in group order then grade order.
    """
    return (
        result.group_by("segment_key", "segment", "grade")
        .agg(pl.len().cast(pl.Int64).alias("firms"))
        .sort("segment_key", "grade", nulls_last=True)
    )


def explain_firm(result: pl.DataFrame, rules: RuleSet, uscc: str) -> list[dict[str, Any]]:
    """The structured explanation of one firm in a :func:`score` result, for the UI.

    ``rules`` must be the rule set the result was scored with, with derived benchmarks already
    resolved (:func:`resolve_benchmarks`). Returns a list of dicts with a ``kind`` of
    ``indicator`` (key, label, unit, value, weight, benchmark or min/max, score, status, text),
    ``bonus`` (key, label, points), ``total`` and ``grade`` (grade, rank, segment_size, rule,
    text). A firm that is not graded yields a single ``grade`` entry with the reason.
    """
    if rules.has_derived_benchmarks():
        raise RuleSetError("请传入已解析基准值的规则集（resolve_benchmarks 的结果）")
    rows = result.filter(pl.col("uscc") == uscc)
    if rows.height == 0:
        raise NotFound(f"评价结果中没有统一社会信用代码为 {uscc} 的企业", detail={"uscc": uscc})
    return firm_entries(result, rules, rows.row(0, named=True))


def what_if(
    df: pl.DataFrame,
    base_rules: RuleSet,
    changed_rules: RuleSet,
    *,
    reference: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Firms whose grade differs between ``base_rules`` and ``changed_rules``, in input order.

    Columns: ``uscc, name, segment`` (group under the changed rules), ``grade_before,
    grade_after, total_before, total_after``. Both runs score ``df`` independently with
    :func:`score` (and the same ``reference`` for derived benchmarks).
    """
    before = score(df, base_rules, reference=reference, explain=False).select(
        "uscc",
        "name",
        pl.col("grade").cast(pl.String).alias("grade_before"),
        pl.col("total").alias("total_before"),
    )
    after = score(df, changed_rules, reference=reference, explain=False).select(
        "uscc",
        pl.col("segment").cast(pl.String),
        pl.col("grade").cast(pl.String).alias("grade_after"),
        pl.col("total").alias("total_after"),
    )
    joined = before.join(after, on="uscc", how="inner", maintain_order="left")
    changed = joined.filter(pl.col("grade_before").ne_missing(pl.col("grade_after")))
    return changed.select(
        "uscc", "name", "segment", "grade_before", "grade_after", "total_before", "total_after"
    )


def content_hash(df: pl.DataFrame, rules: RuleSet) -> str:
    """A stable SHA-256 of (input frame, rule set): ``"sha256:<64 hex>"``.

    The frame is canonicalised first (columns sorted by name, rows sorted by every column), so
    row and column order do not change the hash; values, dtypes and the rule set (its canonical
    JSON) do. Use it to key immutable evaluation runs.
    """
    digest = hashlib.sha256()
    digest.update(b"parkhq-land-efficiency-v1\n")
    digest.update(rules.canonical_json().encode("utf-8"))
    cols = sorted(df.columns)
    frame = df.select(cols)
    schema = [[c, str(frame.schema[c])] for c in cols]
    digest.update(json.dumps(schema, ensure_ascii=False).encode("utf-8"))
    if cols and frame.height:
        frame = frame.sort(cols, nulls_last=True, maintain_order=True)
    buffer = io.BytesIO()
    frame.write_csv(buffer, null_value="\\N")
    digest.update(buffer.getvalue())
    return f"sha256:{digest.hexdigest()}"
