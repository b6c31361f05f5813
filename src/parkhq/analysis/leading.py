"""Measured leading industries (实测主导产业) compared with the declared ones (申报主导产业).

Two questions of the Guideline's first direction (明确园区产业定位, REFERENCE §1.2):

1. Which industries *are* a park's leading industries, measured from its firms? An industry
   qualifies by a configurable rule set (:class:`parkhq.reference.rules.LeadingRules`) built on
   the classic 主导产业选择基准 (REFERENCE §7.4: growth, comparative advantage) and the
   specialisation measures of §7.2 (区位熵 with a size floor): share of the park's total,
   区位熵 against the province or the nation, absolute size, year-on-year growth; criteria are
   combined with ``all``/``any`` logic and at most ``top_n`` (3, after the Guideline's
   原则上不宜超过3个主导产业) are kept, largest share first.
2. How do the declared 主导产业 compare? The ≤3 rule; the share of park output in the declared
   industries (主导产业集中度, REFERENCE §7.1) against the reference points ≥70 % (MIIT
   中小企业特色产业集群, 工信部企业〔2022〕119号) and <40 % (weak, Guangdong case); declared
   categories that are not really there; measured leading industries nobody declared.

Declared 主导产业 come as free text (``主导产业`` of the park registry) split into items and
normalised to named industry categories by :func:`parkhq.analysis.declared.normalise_frame`; its
rows ``(row, position, raw, category, …)`` joined back to ``park_code`` feed
:func:`compare_declared` directly. A category maps to GB/T 4754 codes (2–4 digits) through a
frame ``(category, class_code)`` such as ``category_catalogue().frame()``.

Input firm frames carry the columns of :mod:`parkhq.analysis.structure` (``park_code``,
``province_code``, ``industry_code`` 4-digit, measures in 万元 / 人; optionally a period column).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]
from numpy.typing import NDArray

from parkhq.analysis.cube import ParkMatrix, park_matrix
from parkhq.analysis.structure import (
    INDUSTRY,
    FirmData,
    ParkCells,
    aggregate,
    expand_category_map,
    growth,
    in_parks,
    industry_level_map,
    location_quotient,
    park_cells,
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


def _require_columns(frame: FirmData, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{what}缺少列：{'、'.join(missing)}；现有列：{'、'.join(frame.columns) or '（无）'}",
            detail={"missing": missing, "columns": frame.columns},
        )


def _current_period(firms: FirmData, period_column: str | None, period: Any) -> FirmData:
    """The firms of ``period`` (default: the latest period present), or all firms."""
    if period_column is None:
        return firms
    _require_columns(firms, [period_column], "企业数据")
    if not isinstance(firms, pl.DataFrame):
        raise InvalidInput(
            "按报告期分析需要企业明细数据，汇总数据立方不含报告期",
            detail={"field": period_column},
        )
    chosen: Any = firms.get_column(period_column).max() if period is None else period
    current = firms.filter(pl.col(period_column) == chosen)
    if current.height == 0:
        raise InvalidInput(
            f"企业数据中没有报告期 {chosen} 的记录",
            detail={"field": period_column, "value": str(chosen)},
        )
    return current


def leading_indicators(
    firms: FirmData,
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
    if period_column is None and not isinstance(firms, pl.DataFrame):
        return _indicator_frame(park_cells(firms, level, measure, class_map=class_map))
    current = _current_period(firms, period_column, period)
    units = aggregate(
        in_parks(current), ("park_code", "province_code"), level, measure, class_map=class_map
    )
    province = aggregate(current, ("province_code",), level, measure, class_map=class_map)
    nation = aggregate(current, (), level, measure, class_map=class_map)
    # location_quotient keeps the rows of ``units`` in order: its columns line up.
    lq_province = location_quotient(units, province, measure=measure)
    lq_nation = location_quotient(
        units, nation, measure=measure, unit_by=("park_code",), reference_by=()
    )
    result = units.with_columns(
        lq_province.get_column("share"),
        lq_province.get_column("lq").alias("lq_province"),
        lq_nation.get_column("lq").alias("lq_nation"),
    )
    if period_column is None:
        return result.with_columns(pl.lit(None, dtype=pl.Float64).alias("growth"))
    assert isinstance(current, pl.DataFrame)  # _current_period refuses a cube with a period
    chosen = current.get_column(period_column).first()
    history = aggregate(
        in_parks(firms),
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
    and ``is_leading``, sorted by park, qualifying first, share (largest first, nulls last)
    and industry. Raises :class:`~parkhq.errors.InvalidInput` when a criterion's column is
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
    )
    share = scored.get_column("share").cast(pl.Float64)
    order, position = _leading_order(
        *_park_industry_codes(scored),
        scored.get_column("qualifies").to_numpy(),
        share.to_numpy(),
        share.is_not_null().to_numpy(),
    )
    return _with_ranks(scored.gather(order), position, rules)


def _with_ranks(
    ranked: pl.DataFrame, position: NDArray[np.int64], rules: LeadingRules
) -> pl.DataFrame:
    """Sorted rows with ``qualifies`` plus ``leading_rank`` and ``is_leading``, given each
    row's ``position`` in its park (1-based)."""
    rank = pl.when(pl.col("qualifies")).then(pl.Series(position, dtype=pl.UInt32))
    return ranked.with_columns(rank.alias("leading_rank")).with_columns(
        (pl.col("qualifies") & (pl.col("leading_rank") <= rules.top_n.value))
        .fill_null(False)
        .alias("is_leading")
    )


def _park_industry_codes(frame: pl.DataFrame) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sort codes of each row's ``park_code`` and industry (see :func:`_sort_codes`)."""
    parks, industries = frame.get_column("park_code"), frame.get_column(INDUSTRY)
    if industries.null_count() == 0 and parks.is_sorted(nulls_last=True):
        park = pl.col("park_code")
        new_park = park.ne_missing(park.shift())
        ascending = (pl.col(INDUSTRY) > pl.col(INDUSTRY).shift()) | new_park
        if frame.select(ascending.slice(1).all()).item():
            # Rows in park and industry order, as leading_indicators gives them: the runs of
            # parks and the row numbers are sort codes.
            runs = parks.rle_id().cast(pl.Int64).to_numpy()
            return runs, np.arange(frame.height, dtype=np.int64)
    return _sort_codes(parks), _sort_codes(industries)


def _sort_codes(values: pl.Series) -> NDArray[np.int64]:
    """Each value's position among the distinct values in sort order (nulls last)."""
    if values.dtype == pl.String and not values.flags["SORTED_ASC"]:
        # Few distinct values: sorting them and casting beats sorting every row.
        codes = values.cast(pl.Enum(values.unique().drop_nulls().sort())).to_physical()
    else:
        codes = values.rank("dense") - 1
    return np.asarray(codes.cast(pl.Int64).fill_null(values.len()).to_numpy(), dtype=np.int64)


def _leading_order(
    park: NDArray[np.integer[Any]],
    industry: NDArray[np.integer[Any]],
    qualifies: NDArray[np.bool_],
    share: NDArray[np.float64],
    known: NDArray[np.bool_],
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """The row order of the leading-industry ranking and each sorted row's place in its park.

    Rows sort by ``park`` and ``industry`` (sort codes), qualifying rows first, then ``share``
    largest first, as Polars sorts it descending with nulls last (``known`` false: null; NaN
    before every number). Returns the order and, for each sorted row, its 1-based position
    among the rows of its park.
    """
    size = park.size
    if size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    descending = _descending_ranks(share, known)
    group = park.astype(np.int64) * 2 + ~qualifies
    ranks, industries = int(descending.max()) + 1, int(industry.max()) + 1
    if (int(group.max()) + 1) * ranks * industries < 2**62:
        # One integer key, unique for distinct (park, industry): a plain sort is enough.
        key = (group * ranks + descending) * industries + industry
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((industry, descending, group))
    parks = park[order]
    first = np.flatnonzero(np.r_[True, parks[1:] != parks[:-1]])
    runs = np.diff(np.r_[first, size])
    position = np.arange(1, size + 1) - np.repeat(first, runs)
    return order, position


def _descending_ranks(share: NDArray[np.float64], known: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Dense ranks of ``share``, 0 for the largest (NaN first), unknown values last."""
    # Zero shares (industries without reported output) are common: rank them without sorting.
    nonzero = np.flatnonzero(known & (share != 0))
    values = share.take(nonzero)
    order = np.argsort(values)  # NaN sorts last
    ordered = values[order]
    new = np.ones(values.size, dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]) & ~(np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
    ascending = np.empty(values.size, dtype=np.int64)
    ascending[order] = np.cumsum(new) - 1
    # 0 takes the rank after the negative values; the larger values move up by one.
    zero = int(np.count_nonzero(ordered[new] < 0))
    ascending[ascending >= zero] += 1
    top = int(np.count_nonzero(new))  # the largest ascending rank
    ranks = np.where(known, top - zero, top + 1)  # unknown: last
    ranks[nonzero] = top - ascending
    return ranks


def measured_leading(
    firms: FirmData,
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
    if period_column is None and not isinstance(firms, pl.DataFrame):
        # A cube: the same rules applied to the indicator arrays, the frame built once, sorted.
        _require_columns(
            firms, ["park_code", "province_code", "industry_code", rules.measure], "企业数据"
        )
        return _leading_on_cells(
            park_cells(firms, rules.level, rules.measure, class_map=class_map), rules
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


def _indicator_frame(cells: ParkCells) -> pl.DataFrame:
    """The :func:`leading_indicators` frame of ``cells`` (no period: growth is null)."""
    park, province, industry = cells.labels()
    return pl.DataFrame(
        [
            park,
            province,
            industry,
            cells.amounts(),
            pl.Series("firm_count", cells.firm_counts).cast(pl.UInt32),
            pl.Series("share", cells.share, nan_to_null=True),
            pl.Series("lq_province", cells.lq_province, nan_to_null=True),
            pl.Series("lq_nation", cells.lq_nation, nan_to_null=True),
            pl.repeat(None, cells.rows.size, dtype=pl.Float64, eager=True).alias("growth"),
        ]
    )


def _leading_on_cells(cells: ParkCells, rules: LeadingRules) -> pl.DataFrame:
    """:func:`apply_leading_rules` of the indicators of ``cells``, computed on the arrays."""
    indicator = {
        "share": cells.share,
        "lq_province": cells.lq_province,
        "lq_nation": cells.lq_nation,
        "size": cells.values,
        "growth": np.full(cells.rows.size, np.nan),  # no period: no growth
    }
    passed = np.array([indicator[c.indicator] >= c.min for c in rules.criteria]).reshape(
        len(rules.criteria), cells.rows.size
    )
    qualifies = np.asarray(passed.all(axis=0) if rules.combine == "all" else passed.any(axis=0))
    order, position = _leading_order(
        cells.rows, cells.cols, qualifies, cells.share, ~np.isnan(cells.share)
    )
    ranked = _indicator_frame(cells.reordered(order)).with_columns(
        pl.Series("criteria_met", passed.sum(axis=0)[order], dtype=pl.UInt32),
        pl.Series("qualifies", qualifies[order]),
    )
    return _with_ranks(ranked, position, rules)


def _declared_count(declared: pl.DataFrame, item_column: str) -> pl.DataFrame:
    """``park_code`` and ``declared_count`` (distinct declared items) from the declared rows."""
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
        return counts.drop("distinct")
    if item_column in declared.columns:
        return declared.group_by("park_code").agg(
            pl.col(item_column).drop_nulls().n_unique().cast(pl.UInt32).alias("declared_count")
        )
    raise InvalidInput(
        f"申报主导产业数据需要 declared_count 列或原始申报条目列 {item_column}"
        "（两个条目可能归入同一类别，申报个数按条目计）",
        detail={"missing": ["declared_count", item_column]},
    )


def _park_classes(current: FirmData) -> pl.DataFrame:
    """Park × 4-digit class output (万元) of the firms in parks: park_code, class_code, output."""
    _require_columns(current, ["park_code", "industry_code", "output_value"], "企业数据")
    return aggregate(in_parks(current), ("park_code",), "class", "output_value").select(
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
    firms: FirmData,
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


def compare_declared(
    firms: FirmData,
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
    portfolios = _Portfolios.read(declared, item_column)
    current = _current_period(firms, period_column, period)
    _require_columns(current, ["park_code", "industry_code", "output_value"], "企业数据")
    matrix = park_matrix(current, "output_value")
    classes = matrix.industries.filter(pl.Series(matrix.present.any(axis=0)))
    category_classes = expand_category_map(category_map, classes)
    _require_columns(leading, ["park_code", INDUSTRY, "is_leading"], "实测主导产业")
    level_map = industry_level_map(
        classes,
        rules.level,
        category_map if class_map is None and rules.level == "category" else class_map,
    )
    grid = _DeclaredGrid.build(portfolios, matrix, category_classes, level_map)
    thresholds = rules.declared
    share = grid.declared_share
    not_real = grid.category_share < thresholds.min_category_share.value
    lead_park, lead_industry, coverage = grid.leading_coverage(leading)
    undeclared = coverage < thresholds.coverage_share.value
    verdict = np.select(
        [
            ~grid.has_data,
            share >= thresholds.strong_share.value,
            share < thresholds.weak_share.value,
        ],
        [0, 1, 2],
        3,
    )
    codes = pl.Series(["no_data", "strong", "weak", "moderate"], dtype=pl.String)
    no_data = pl.Series(~grid.has_data)
    parks = portfolios.parks.len()
    return pl.DataFrame(
        [
            portfolios.parks.alias("park_code"),
            portfolios.counts.alias("declared_count"),
            (portfolios.counts > thresholds.max_count.value).alias("exceeds_three"),
            _name_lists(
                "declared_categories",
                parks,
                portfolios.park,
                portfolios.category,
                portfolios.categories,
            ),
            pl.Series("declared_output_share", share, nan_to_null=True),
            codes.gather(verdict).alias("verdict"),
            codes.replace_strict(dict(VERDICT_LABELS)).gather(verdict).alias("verdict_label"),
            _name_lists(
                "declared_but_not_real",
                parks,
                grid.pair_park[not_real],
                grid.pair_category[not_real],
                portfolios.categories,
                null=no_data,
            ),
            _name_lists(
                "real_but_undeclared",
                parks,
                lead_park[undeclared],
                lead_industry[undeclared],
                grid.industries,
                null=no_data,
            ),
        ]
    )


def _name_lists(
    name: str,
    rows: int,
    row: NDArray[np.int64],
    col: NDArray[np.int64],
    names: pl.Series,
    *,
    null: pl.Series | None = None,
) -> pl.Series:
    """A list column of ``rows`` rows: row ``r`` lists ``names[col]`` of the entries with
    ``row == r``, in entry order (``row`` ascending); rows flagged in ``null`` are null."""
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=rows), out=offsets[1:])
    values = names.cast(pl.String).gather(col).to_arrow()
    mask = None if null is None else null.to_arrow()
    series = pl.from_arrow(pa.LargeListArray.from_arrays(pa.array(offsets), values, mask=mask))
    assert isinstance(series, pl.Series)
    return series.alias(name).cast(_STRING_LIST)


def _codes(values: pl.Series) -> NDArray[np.int64]:
    """Integer codes of the values (as strings), −1 for null: equal codes, equal strings (within
    one call)."""
    physical = values.cast(pl.String).cast(pl.Categorical).to_physical()
    return physical.cast(pl.Int64).fill_null(-1).to_numpy()


def _index(values: pl.Series, universe: pl.Series) -> NDArray[np.int64]:
    """Position of each of ``values`` in ``universe`` (distinct); −1 for a value that is not in
    it, or null."""
    values, universe = values.cast(pl.String), universe.cast(pl.String)
    if universe.null_count() == 0 and values.equals(universe, check_names=False):
        return np.arange(values.len(), dtype=np.int64)
    if values.is_sorted(nulls_last=False):  # e.g. park codes of sorted rows: look up each run
        runs, distinct = _dense_ids(values)
        if distinct.len() < values.len():
            return _index(distinct, universe)[runs]
    known = universe.drop_nulls()
    position = _lookup(values, known)
    if known.len() == universe.len():
        return position
    return np.where(position >= 0, np.flatnonzero(universe.is_not_null().to_numpy())[position], -1)


def _lookup(values: pl.Series, universe: pl.Series) -> NDArray[np.int64]:
    """:func:`_index` for strings, ``universe`` without null."""
    hashes = universe.hash().to_numpy()
    order = np.argsort(hashes)
    ordered = hashes[order]
    if universe.len() == 0 or np.any(ordered[1:] == ordered[:-1]):  # (a hash collision)
        found = values.cast(pl.Enum(universe), strict=False).to_physical()
        return found.cast(pl.Int64).fill_null(-1).to_numpy()
    # Each value's hash names one candidate; the strings must be equal too.
    at = order[np.minimum(np.searchsorted(ordered, values.hash().to_numpy()), order.size - 1)]
    return np.where((universe.gather(at) == values).fill_null(False).to_numpy(), at, -1)


def _dense_ids(values: pl.Series) -> tuple[NDArray[np.int64], pl.Series]:
    """Each value's position among the distinct values (sorted, null first) and those values."""
    if values.is_sorted(nulls_last=False):  # the usual order of declared rows: runs of parks
        runs = values.rle_id().cast(pl.Int64).to_numpy()
        return runs, values.gather(np.flatnonzero(np.diff(runs, prepend=-1)))
    slot = _codes(values) + 1  # 0: null
    row = np.full(int(slot.max(initial=0)) + 1, -1, dtype=np.int64)
    row[slot] = np.arange(slot.size)  # a row holding each code
    used = np.flatnonzero(row >= 0)
    distinct = values.gather(row[used])
    rank = distinct.arg_sort(nulls_last=False).to_numpy()
    position = np.empty(row.size, dtype=np.int64)
    position[used[rank]] = np.arange(rank.size)
    return position[slot], distinct.gather(rank)


def _distinct_pairs(
    first: NDArray[np.int64], second: NDArray[np.int64], size: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The distinct pairs (``first``, ``second`` < ``size``), sorted."""
    keys = np.sort(first * size + second)
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys
    return keys // size, keys % size


@dataclass(frozen=True)
class _Portfolios:
    """The declared portfolios as index arrays.

    ``parks`` — the declaring parks (sorted, null first), one row each; ``counts`` their
    ``declared_count`` (UInt32); ``categories`` the distinct declared categories (sorted);
    ``park`` and ``category`` — the distinct declared (park, category) pairs as positions in
    ``parks`` and ``categories``, sorted.
    """

    parks: pl.Series
    counts: pl.Series
    categories: pl.Series
    park: NDArray[np.int64]
    category: NDArray[np.int64]

    @classmethod
    def read(cls, declared: pl.DataFrame, item_column: str) -> _Portfolios:
        _require_columns(declared, ["park_code", "category"], "申报主导产业数据")
        park, parks = _dense_ids(declared.get_column("park_code"))
        if "declared_count" in declared.columns or item_column not in declared.columns:
            # A given count (checked: one per park), or the error of neither column.
            counts = _declared_count(declared, item_column).sort("park_code")
        else:
            item = _codes(declared.get_column(item_column))
            known = item >= 0
            item_park, _ = _distinct_pairs(park[known], item[known], int(item.max(initial=0)) + 1)
            number = np.bincount(item_park, minlength=parks.len())
            counts = pl.DataFrame({"declared_count": pl.Series(number, dtype=pl.UInt32)})
        # A row without park code counts, but lists no category (as a join on it finds none).
        named = declared.select(
            pl.col("category").is_not_null() & pl.col("park_code").is_not_null()
        ).to_series()
        category, categories = _dense_ids(declared.get_column("category").filter(named))
        pair_park, pair_category = _distinct_pairs(
            park[named.to_numpy()], category, categories.len()
        )
        return cls(
            parks=parks,
            counts=counts.get_column("declared_count"),
            categories=categories.cast(pl.String),
            park=pair_park,
            category=pair_category,
        )


def _class_sets(
    frame: pl.DataFrame, key: str, classes: pl.Series, names: list[str] | None = None
) -> tuple[list[str], tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """The sets of classes of ``names`` (default: every ``key`` of ``frame`` but null, sorted)
    from the rows (``key``, ``class_code``) of ``frame``: the names and, as CSR arrays
    (offsets, members), the sets as columns of ``classes``."""
    column = {code: at for at, code in enumerate(classes.cast(pl.String).to_list())}
    members: dict[str | None, list[int]] = {}
    for name, code in zip(
        frame.get_column(key).cast(pl.String).to_list(),
        frame.get_column("class_code").cast(pl.String).to_list(),
        strict=True,
    ):
        members.setdefault(name, []).append(column[code])
    if names is None:
        names = sorted(name for name in members if name is not None)
    lists = [members.get(name, []) for name in names]
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(found) for found in lists], out=offsets[1:])
    return names, (offsets, np.array([c for found in lists for c in found], dtype=np.int64))


def _expand(
    sets: tuple[NDArray[np.int64], NDArray[np.int64]], which: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The members of the sets ``which`` (CSR ``sets``): for each, the position in ``which``
    and the member."""
    offsets, members = sets
    starts = offsets[which]
    lengths = offsets[which + 1] - starts
    owner = np.repeat(np.arange(which.size), lengths)
    ends = np.cumsum(lengths)
    at = np.arange(int(ends[-1]) if ends.size else 0) + np.repeat(starts - ends + lengths, lengths)
    return owner, members[at]


@dataclass(frozen=True)
class _DeclaredGrid:
    """The declared portfolios against the parks × classes output, for :func:`compare_declared`.

    Categories and industries are sparse patterns over the classes: only the cells (park,
    class) they name are read from ``output`` and ``present`` (parks × classes of the
    :class:`ParkMatrix`, flat; ``classes`` columns). Per declaring park (rows of
    ``portfolios``): ``row`` in the matrix (−1: no firm), ``has_data`` (positive output) and
    ``declared_share`` (share of the output in the union of its declared categories; NaN
    without data). Per declared pair of a park with data (``pair_park``, ``pair_category``,
    sorted): ``category_share``. ``declared_cells`` marks the cells of the declared categories;
    ``industry_sets`` holds the classes of each of ``industries`` (sorted, at the rule level).
    """

    portfolios: _Portfolios
    industries: pl.Series
    industry_sets: tuple[NDArray[np.int64], NDArray[np.int64]]
    classes: int
    output: NDArray[np.float64]
    present: NDArray[np.bool_]
    row: NDArray[np.int64]
    has_data: NDArray[np.bool_]
    declared_share: NDArray[np.float64]
    pair_park: NDArray[np.int64]
    pair_category: NDArray[np.int64]
    category_share: NDArray[np.float64]
    declared_cells: NDArray[np.bool_]

    @classmethod
    def build(
        cls,
        portfolios: _Portfolios,
        matrix: ParkMatrix,
        category_classes: pl.DataFrame,
        level_map: pl.DataFrame,
    ) -> _DeclaredGrid:
        row = _index(portfolios.parks, matrix.parks)
        in_matrix = row >= 0
        total, covered = np.zeros(row.size), np.zeros(row.size)
        total[in_matrix] = matrix.values.sum(axis=1)[row[in_matrix]]
        has_data = total > 0
        with_data = has_data[portfolios.park]
        pair_park, pair_category = portfolios.park[with_data], portfolios.category[with_data]
        _, category_sets = _class_sets(
            category_classes, "category", matrix.industries, portfolios.categories.to_list()
        )
        owner, column = _expand(category_sets, pair_category)
        cell = (row[pair_park] * matrix.industries.len())[owner] + column
        output = np.ravel(matrix.values)
        category_output = np.bincount(owner, output[cell], minlength=pair_park.size)
        declared_cells = np.zeros(output.size, dtype=bool)
        declared_cells[cell] = True
        covered[in_matrix] = np.einsum(
            "ij,ij->i", matrix.values, declared_cells.reshape(matrix.values.shape)
        )[row[in_matrix]]
        with np.errstate(divide="ignore", invalid="ignore"):
            declared_share = np.where(has_data, covered / total, np.nan)
        industries, industry_sets = _class_sets(level_map, INDUSTRY, matrix.industries)
        return cls(
            portfolios=portfolios,
            industries=pl.Series(INDUSTRY, industries, dtype=pl.String),
            industry_sets=industry_sets,
            classes=matrix.industries.len(),
            output=output,
            present=np.ravel(matrix.present),
            row=row,
            has_data=has_data,
            declared_share=declared_share,
            pair_park=pair_park,
            pair_category=pair_category,
            category_share=category_output / total[pair_park],
            declared_cells=declared_cells,
        )

    def leading_coverage(
        self, leading: pl.DataFrame
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """The measured leading pairs (park, industry) of the parks with data, sorted, and the
        share of each pair's output in the park's declared categories (without output: 1 when
        a present class is declared, else 0)."""
        chosen = leading.select("park_code", INDUSTRY).filter(leading.get_column("is_leading"))
        park = _index(chosen.get_column("park_code"), self.portfolios.parks)
        industry = _index(chosen.get_column(INDUSTRY), self.industries)
        known = (park >= 0) & (industry >= 0)
        park, industry = _distinct_pairs(park[known], industry[known], self.industries.len())
        with_data = self.has_data[park]
        park, industry = park[with_data], industry[with_data]
        owner, column = _expand(self.industry_sets, industry)
        cell = (self.row[park] * self.classes)[owner] + column
        values = self.output[cell]
        declared = self.declared_cells[cell]
        total = np.bincount(owner, values, minlength=park.size)
        covered = np.bincount(owner, np.where(declared, values, 0.0), minlength=park.size)
        present = np.bincount(owner, declared & self.present[cell], minlength=park.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            coverage = np.where(total > 0, covered / total, np.where(present > 0, 1.0, 0.0))
        return park, industry, coverage
