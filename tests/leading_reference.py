"""The first (Polars join) implementation of ``compare_declared``, kept for the tests.

The matrix implementation in :mod:`parkhq.analysis.leading` must give the same frames on random
inputs (``tests/analysis/test_leading_equivalence.py``). Helpers that did not change are
imported from the package.
"""

from __future__ import annotations

import polars as pl

from parkhq.analysis.leading import (
    _STRING_LIST,
    VERDICT_LABELS,
    _category_shares,
    _current_period,
    _declared_count,
    _declared_rows,
    _park_classes,
    _require_columns,
)
from parkhq.analysis.structure import INDUSTRY, expand_category_map, industry_level_map
from parkhq.reference.rules import LeadingRules


def _declared_counts(declared: pl.DataFrame, item_column: str) -> pl.DataFrame:
    """``park_code``, ``declared_count``, ``declared_categories`` from the declared rows."""
    categories = declared.group_by("park_code").agg(
        pl.col("category").drop_nulls().unique().sort().alias("declared_categories")
    )
    return _declared_count(declared, item_column).join(categories, on="park_code", how="left")


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
    class_map: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The join implementation of :func:`parkhq.analysis.leading.compare_declared` (items in
    ``raw``, no period column)."""
    item_column, period_column, period = "raw", None, None
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
