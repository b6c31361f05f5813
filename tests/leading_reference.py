"""The first (Polars join) implementation of :mod:`parkhq.analysis.leading`, kept for the tests.

The matrix implementation of ``compare_declared`` must give the same frames on the demo and on
random inputs (``tests/analysis/test_leading_equivalence.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from parkhq.analysis.structure import (
    INDUSTRY,
    aggregate,
    expand_category_map,
    growth,
    industry_level_map,
    location_quotient,
)
from parkhq.errors import InvalidInput
from parkhq.reference.rules import LeadingRules, RuleLevel, RuleMeasure

__all__ = [
    "VERDICT_LABELS",
    "apply_leading_rules",
    "compare_declared",
    "declared_category_shares",
    "leading_indicators",
    "measured_leading",
]

VERDICT_LABELS: Mapping[str, str] = {
    "strong": "主导产业集中度高",
    "moderate": "主导产业集中度一般",
    "weak": "主导产业集中度低",
    "no_data": "无产值数据",
}
"""Chinese label of each ``verdict`` code of :func:`compare_declared`."""

_STRING_LIST = pl.List(pl.String)


def _require_columns(frame: pl.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{what}缺少列：{'、'.join(missing)}；现有列：{'、'.join(frame.columns) or '（无）'}",
            detail={"missing": missing, "columns": frame.columns},
        )


def _current_period(firms: pl.DataFrame, period_column: str | None, period: Any) -> pl.DataFrame:
    """The firms of ``period`` (default: the latest period present), or all firms."""
    if period_column is None:
        return firms
    _require_columns(firms, [period_column], "企业数据")
    chosen: Any = firms.get_column(period_column).max() if period is None else period
    current = firms.filter(pl.col(period_column) == chosen)
    if current.height == 0:
        raise InvalidInput(
            f"企业数据中没有报告期 {chosen} 的记录",
            detail={"field": period_column, "value": str(chosen)},
        )
    return current


def leading_indicators(
    firms: pl.DataFrame,
    *,
    level: RuleLevel = "division",
    measure: RuleMeasure = "output_value",
    class_map: pl.DataFrame | None = None,
    period_column: str | None = None,
    period: Any = None,
) -> pl.DataFrame:
    """Candidate-industry indicators per park, the inputs of the leading-industry criteria.

    Input ``firms``: ``park_code`` (null outside parks), ``province_code``, ``industry_code``
    (4-digit GB/T 4754 class) and ``measure`` (万元, or 人 for ``employees``); with
    ``period_column`` (a year or ``YYYY-MM``) the indicators describe ``period`` (default the
    latest) and growth compares it with the same period a year earlier. ``class_map`` as in
    :func:`parkhq.analysis.structure.aggregate` for the ``section``/``category`` levels.

    Output, one row per park × industry at ``level``: ``park_code``, ``province_code``,
    ``industry``, ``<measure>`` (the size), ``firm_count``, ``share`` (of the park total, 0–1),
    ``lq_province`` (区位熵 against all firms of the province, in or out of parks),
    ``lq_nation`` (against all firms in the frame), ``growth`` (year-on-year, 0.1 = +10 %; null
    without a period column, without the earlier period, or when the earlier value is not
    positive). Method: REFERENCE §7.1–7.2, §7.4.
    """
    _require_columns(firms, ["park_code", "province_code", "industry_code", measure], "企业数据")
    current = _current_period(firms, period_column, period)
    parks = current.filter(pl.col("park_code").is_not_null())
    units = aggregate(parks, ("park_code", "province_code"), level, measure, class_map=class_map)
    province = aggregate(current, ("province_code",), level, measure, class_map=class_map)
    nation = aggregate(current, (), level, measure, class_map=class_map)
    lq_province = location_quotient(units, province, measure=measure).select(
        "park_code", INDUSTRY, "share", pl.col("lq").alias("lq_province")
    )
    lq_nation = location_quotient(
        units, nation, measure=measure, unit_by=("park_code",), reference_by=()
    ).select("park_code", INDUSTRY, pl.col("lq").alias("lq_nation"))
    result = units.join(lq_province, on=["park_code", INDUSTRY], how="left").join(
        lq_nation, on=["park_code", INDUSTRY], how="left"
    )
    if period_column is None:
        return result.with_columns(pl.lit(None, dtype=pl.Float64).alias("growth"))
    chosen = current.get_column(period_column).first()
    history = aggregate(
        firms.filter(pl.col("park_code").is_not_null()),
        ("park_code", period_column),
        level,
        measure,
        class_map=class_map,
    )
    yoy = (
        growth(history, by=("park_code",), measure=measure, period_column=period_column)
        .filter(pl.col(period_column) == chosen)
        .select("park_code", INDUSTRY, pl.col(f"{measure}_yoy").alias("growth"))
    )
    return result.join(yoy, on=["park_code", INDUSTRY], how="left").with_columns(
        pl.lit(chosen).alias(period_column)
    )


def apply_leading_rules(indicators: pl.DataFrame, rules: LeadingRules) -> pl.DataFrame:
    """Apply a leading-industry rule set to :func:`leading_indicators` output.

    Each criterion is ``indicator ≥ min`` (``size`` tests the ``rules.measure`` column); a null
    value fails. ``combine='all'`` needs every criterion, ``'any'`` one of them. Qualifying
    industries of each park are ranked by share (ties by industry code) and the first
    ``top_n`` are the park's measured leading industries.

    Output: the input plus ``criteria_met`` (number of criteria passed), ``qualifies``,
    ``leading_rank`` (1 = largest share among qualifying industries; null if not qualifying)
    and ``is_leading``. Raises :class:`~parkhq.errors.InvalidInput` when a criterion's column is
    missing or a growth criterion has no growth data at all.
    """
    columns = {
        "share": "share",
        "lq_province": "lq_province",
        "lq_nation": "lq_nation",
        "size": rules.measure,
        "growth": "growth",
    }
    needed = ["park_code", INDUSTRY, "share", *(columns[c.indicator] for c in rules.criteria)]
    _require_columns(indicators, list(dict.fromkeys(needed)), "主导产业候选指标")
    growth_rule = rules.criterion("growth")
    if growth_rule is not None and indicators.get_column("growth").null_count() == len(indicators):
        raise InvalidInput(
            "规则集含增速条件，但没有可比的上年同期数据；请提供含报告期（年份）的连续两年企业数据",
            detail={"field": "growth"},
        )
    tests = [
        (pl.col(columns[c.indicator]) >= c.min).fill_null(False).alias(c.indicator)
        for c in rules.criteria
    ]
    qualifies = pl.all_horizontal(tests) if rules.combine == "all" else pl.any_horizontal(tests)
    scored = indicators.with_columns(
        pl.sum_horizontal([t.cast(pl.UInt32) for t in tests]).alias("criteria_met"),
        qualifies.alias("qualifies"),
    ).sort(
        ["park_code", "qualifies", "share", INDUSTRY],
        descending=[False, True, True, False],
        nulls_last=True,
    )
    rank = pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("park_code")
    return scored.with_columns(
        pl.when(pl.col("qualifies")).then(rank).alias("leading_rank")
    ).with_columns(
        (pl.col("qualifies") & (pl.col("leading_rank") <= rules.top_n.value))
        .fill_null(False)
        .alias("is_leading")
    )


def measured_leading(
    firms: pl.DataFrame,
    rules: LeadingRules,
    *,
    class_map: pl.DataFrame | None = None,
    period_column: str | None = None,
    period: Any = None,
) -> pl.DataFrame:
    """Measured leading industries of every park: indicators at ``rules.level`` + the rule set.

    Input as :func:`leading_indicators` (``rules.level`` and ``rules.measure`` are used);
    output as :func:`apply_leading_rules` — every candidate industry, with ``is_leading`` true
    for the park's measured leading industries (at most ``rules.top_n``).
    """
    if rules.criterion("growth") is not None and period_column is None:
        raise InvalidInput(
            "规则集含增速条件，需要企业数据的报告期列（period_column，如 year）",
            detail={"field": "period_column"},
        )
    indicators = leading_indicators(
        firms,
        level=rules.level,
        measure=rules.measure,
        class_map=class_map,
        period_column=period_column,
        period=period,
    )
    return apply_leading_rules(indicators, rules)


def _declared_counts(declared: pl.DataFrame, item_column: str) -> pl.DataFrame:
    """``park_code``, ``declared_count``, ``declared_categories`` from the declared rows."""
    if "declared_count" in declared.columns:
        counts = declared.group_by("park_code").agg(
            pl.col("declared_count").n_unique().alias("distinct"),
            pl.col("declared_count").first().cast(pl.UInt32),
        )
        if counts.filter(pl.col("distinct") > 1).height:
            raise InvalidInput(
                "同一园区的 declared_count 取值不一致，应每个园区一个值",
                detail={"field": "declared_count"},
            )
        counts = counts.drop("distinct")
    elif item_column in declared.columns:
        counts = declared.group_by("park_code").agg(
            pl.col(item_column).drop_nulls().n_unique().cast(pl.UInt32).alias("declared_count")
        )
    else:
        raise InvalidInput(
            f"申报主导产业数据需要 declared_count 列或原始申报条目列 {item_column}"
            "（两个条目可能归入同一类别，申报个数按条目计）",
            detail={"missing": ["declared_count", item_column]},
        )
    categories = declared.group_by("park_code").agg(
        pl.col("category").drop_nulls().unique().sort().alias("declared_categories")
    )
    return counts.join(categories, on="park_code", how="left")


def _park_classes(current: pl.DataFrame) -> pl.DataFrame:
    """Park × 4-digit class output (万元) of the firms in parks: park_code, class_code, output."""
    _require_columns(current, ["park_code", "industry_code", "output_value"], "企业数据")
    parks = current.filter(pl.col("park_code").is_not_null())
    return aggregate(parks, ("park_code",), "class", "output_value").select(
        "park_code", pl.col(INDUSTRY).alias("class_code"), "output_value"
    )


def _category_shares(
    park_classes: pl.DataFrame, park_categories: pl.DataFrame, category_classes: pl.DataFrame
) -> pl.DataFrame:
    totals = park_classes.group_by("park_code").agg(pl.col("output_value").sum().alias("total"))
    output = (
        park_categories.join(category_classes, on="category", how="inner")
        .join(park_classes, on=["park_code", "class_code"], how="inner")
        .group_by("park_code", "category")
        .agg(pl.col("output_value").sum())
    )
    return (
        park_categories.join(output, on=["park_code", "category"], how="left")
        .join(totals, on="park_code", how="left")
        .select(
            "park_code",
            "category",
            pl.when(pl.col("total") > 0).then(pl.col("output_value").fill_null(0.0)),
            pl.when(pl.col("total") > 0)
            .then(pl.col("output_value").fill_null(0.0) / pl.col("total"))
            .alias("share"),
        )
        .sort("park_code", "category")
    )


def _declared_rows(declared: pl.DataFrame) -> pl.DataFrame:
    _require_columns(declared, ["park_code", "category"], "申报主导产业数据")
    return (
        declared.filter(pl.col("category").is_not_null()).select("park_code", "category").unique()
    )


def declared_category_shares(
    firms: pl.DataFrame,
    declared: pl.DataFrame,
    category_map: pl.DataFrame,
    *,
    period_column: str | None = None,
    period: Any = None,
) -> pl.DataFrame:
    """Measured share of park output in each declared category.

    Input: ``firms`` (``park_code``, ``industry_code`` 4-digit, ``output_value`` 万元; optional
    period column — ``period`` or the latest is used); ``declared`` rows ``(park_code,
    category)`` (null categories — items the normaliser could not place — are skipped);
    ``category_map`` ``(category, class_code)`` with 2–4 digit GB/T 4754 codes.

    Output: ``park_code``, ``category``, ``output_value`` (万元 in the category's classes; a
    firm whose class is in two categories counts in both) and ``share`` of the park's total
    output (0–1). Both are null for a park without output data; a category without firms has 0.
    """
    park_classes = _park_classes(_current_period(firms, period_column, period))
    category_classes = expand_category_map(category_map, park_classes.get_column("class_code"))
    return _category_shares(park_classes, _declared_rows(declared), category_classes)


def _undeclared_leading(
    park_classes: pl.DataFrame,
    declared_classes: pl.DataFrame,
    leading: pl.DataFrame,
    rules: LeadingRules,
    class_map: pl.DataFrame | None,
) -> pl.DataFrame:
    """Per park, the measured leading industries not covered by its declared categories."""
    _require_columns(leading, ["park_code", INDUSTRY, "is_leading"], "实测主导产业")
    lead = leading.filter(pl.col("is_leading")).select("park_code", INDUSTRY).unique()
    level_map = industry_level_map(park_classes.get_column("class_code"), rules.level, class_map)
    per_industry = (
        park_classes.join(level_map, on="class_code", how="inner")
        .join(
            declared_classes.with_columns(pl.lit(True).alias("declared")),
            on=["park_code", "class_code"],
            how="left",
        )
        .join(lead, on=["park_code", INDUSTRY], how="semi")
        .group_by("park_code", INDUSTRY)
        .agg(
            pl.col("output_value").sum().alias("total"),
            pl.col("output_value").filter(pl.col("declared")).sum().alias("covered"),
            pl.col("declared").fill_null(False).any().alias("any_declared"),
        )
    )
    coverage = (
        pl.when(pl.col("total") > 0)
        .then(pl.col("covered") / pl.col("total"))
        .otherwise(pl.when(pl.col("any_declared")).then(1.0).otherwise(0.0))
    )
    undeclared = lead.join(per_industry, on=["park_code", INDUSTRY], how="left").filter(
        coverage.fill_null(0.0) < rules.declared.coverage_share.value
    )
    return undeclared.group_by("park_code").agg(
        pl.col(INDUSTRY).sort().alias("real_but_undeclared")
    )


def compare_declared(
    firms: pl.DataFrame,
    declared: pl.DataFrame,
    category_map: pl.DataFrame,
    leading: pl.DataFrame,
    rules: LeadingRules,
    *,
    class_map: pl.DataFrame | None = None,
    item_column: str = "raw",
    period_column: str | None = None,
    period: Any = None,
) -> pl.DataFrame:
    """Compare each park's declared 主导产业 with its measured structure.

    Input:

    * ``firms`` — ``park_code``, ``industry_code`` (4-digit), ``output_value`` (万元); with
      ``period_column`` the ``period`` (default latest) is used;
    * ``declared`` — the normaliser's rows ``(park_code, raw, category)``: one row per declared
      item (or per item × category when an item names two categories); ``category`` is null for
      an item that could not be normalised. ``declared_count`` is the number of distinct items
      (``item_column``, default ``raw``), because two items may map to one category; a
      ``declared_count`` column (one value per park, e.g. ``count`` of
      :func:`parkhq.analysis.declared.portfolio_frame`) may be given instead of items;
    * ``category_map`` — ``(category, class_code)``, GB/T 4754 codes of 2–4 digits;
    * ``leading`` — :func:`measured_leading` output for the same firms and ``rules``;
    * ``class_map`` — for ``rules.level == 'section'`` the ``(class_code, section)`` map;
      for ``'category'`` defaults to ``category_map``.

    Output, one row per park in ``declared``:

    * ``declared_count`` and ``exceeds_three`` (``declared_count > rules.declared.max_count``,
      the Guideline's 原则上不宜超过3个主导产业);
    * ``declared_categories`` (sorted list);
    * ``declared_output_share`` — share of park output (0–1) in the union of the declared
      categories' classes (a firm counts once), REFERENCE §7.1 主导产业集中度;
    * ``verdict`` (``strong`` ≥ ``strong_share`` 70 % — MIIT 特色产业集群; ``weak`` <
      ``weak_share`` 40 %; ``moderate`` between; ``no_data`` when the park has no output) and
      ``verdict_label`` (Chinese, :data:`VERDICT_LABELS`);
    * ``declared_but_not_real`` — declared categories whose measured share is below
      ``min_category_share``;
    * ``real_but_undeclared`` — measured leading industries less than ``coverage_share`` of
      whose park output lies in classes of the declared categories.

    The two lists are null for a park without output data.
    """
    declared_rows = _declared_rows(declared)
    counts = _declared_counts(declared, item_column)
    park_classes = _park_classes(_current_period(firms, period_column, period))
    category_classes = expand_category_map(category_map, park_classes.get_column("class_code"))
    declared_classes = (
        declared_rows.join(category_classes, on="category", how="inner")
        .select("park_code", "class_code")
        .unique()
    )
    totals = park_classes.group_by("park_code").agg(pl.col("output_value").sum().alias("total"))
    covered = (
        park_classes.join(declared_classes, on=["park_code", "class_code"], how="semi")
        .group_by("park_code")
        .agg(pl.col("output_value").sum().alias("covered"))
    )
    not_real = (
        _category_shares(park_classes, declared_rows, category_classes)
        .filter(pl.col("share") < rules.declared.min_category_share.value)
        .group_by("park_code")
        .agg(pl.col("category").sort().alias("declared_but_not_real"))
    )
    level_map_source = (
        category_map if class_map is None and rules.level == "category" else class_map
    )
    undeclared = _undeclared_leading(
        park_classes, declared_classes, leading, rules, level_map_source
    )
    has_data = pl.col("total").fill_null(0.0) > 0
    share = pl.col("declared_output_share")
    verdict = (
        pl.when(~has_data)
        .then(pl.lit("no_data"))
        .when(share >= rules.declared.strong_share.value)
        .then(pl.lit("strong"))
        .when(share < rules.declared.weak_share.value)
        .then(pl.lit("weak"))
        .otherwise(pl.lit("moderate"))
    )
    empty = pl.lit([], dtype=_STRING_LIST)
    return (
        counts.join(totals, on="park_code", how="left")
        .join(covered, on="park_code", how="left")
        .join(not_real, on="park_code", how="left")
        .join(undeclared, on="park_code", how="left")
        .with_columns(
            pl.when(has_data)
            .then(pl.col("covered").fill_null(0.0) / pl.col("total"))
            .alias("declared_output_share"),
            pl.col("declared_categories").fill_null(empty),
        )
        .with_columns(verdict.alias("verdict"))
        .select(
            "park_code",
            "declared_count",
            (pl.col("declared_count") > rules.declared.max_count.value).alias("exceeds_three"),
            "declared_categories",
            "declared_output_share",
            "verdict",
            pl.col("verdict").replace_strict(dict(VERDICT_LABELS)).alias("verdict_label"),
            pl.when(has_data)
            .then(pl.col("declared_but_not_real").fill_null(empty))
            .alias("declared_but_not_real"),
            pl.when(has_data)
            .then(pl.col("real_but_undeclared").fill_null(empty))
            .alias("real_but_undeclared"),
        )
        .sort("park_code")
    )
