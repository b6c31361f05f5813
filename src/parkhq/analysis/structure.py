"""Industry structure of parks: aggregation, shares, 区位熵, concentration, specialisation, growth.

Input is a firm-level frame, one row per enterprise (and period, when a ``year``/``period``
column is present):

==================  =========  =========================================================
column              unit       meaning
==================  =========  =========================================================
park_code           —          园区代码 (``S119003``); null for a firm outside any park
city_code           —          GB/T 2260 prefecture code (``330100``)
province_code       —          GB/T 2260 province code (``330000``)
industry_code       —          GB/T 4754-2017 class (小类), 4-digit string (``3011``)
output_value        万元        工业总产值
revenue             万元        营业收入
value_added         万元        工业增加值
employees           人          从业人员
==================  =========  =========================================================

Notation (REFERENCE §7): region (park) r, industry i, x_ri its measure, X_r = Σ_i x_ri,
X_i = Σ_r x_ri, X = ΣΣ x_ri; shares s_ri = x_ri / X_r, reference structure S_i = X_i / X.

Every function here is a vectorised Polars group-by; 1,000,000 firms × 3,000 parks take
seconds. :func:`structure_profile` gives the usual set of indicators at once, and reads them off
the dense matrices of an :class:`~parkhq.analysis.cube.IndustryCube` when given one (see
:class:`ParkCells`). Null measures are ignored in sums (a firm that did not report a value adds
nothing).
Share-based indicators need non-negative aggregated measures and raise
:class:`~parkhq.errors.InvalidInput` otherwise. Division by a zero total yields null, never NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy.special import entr

from parkhq.errors import InvalidInput

if TYPE_CHECKING:
    from parkhq.analysis.cube import IndustryCube

FirmData: TypeAlias = "pl.DataFrame | IndustryCube"
"""Firm-level input of the analyses: the firm frame, or an :class:`IndustryCube` summed from it."""

__all__ = [
    "INDUSTRY",
    "LEVELS",
    "MEASURES",
    "FirmData",
    "Level",
    "ParkCells",
    "StructureProfile",
    "aggregate",
    "check_class_codes",
    "concentration",
    "expand_category_map",
    "growth",
    "in_parks",
    "industry_level_map",
    "location_quotient",
    "park_cells",
    "require_columns",
    "require_numeric",
    "shares",
    "specialisation",
    "structure_profile",
]

Level = Literal["section", "division", "group", "class", "category"]

LEVELS: tuple[Level, ...] = ("section", "division", "group", "class", "category")
"""Aggregation levels: GB/T 4754 门类/大类/中类/小类, or a named industry category."""

MEASURES: tuple[str, ...] = ("output_value", "revenue", "value_added", "employees")
"""Size measures understood here: 工业总产值, 营业收入, 工业增加值 (万元) and 从业人员 (人)."""

INDUSTRY = "industry"
"""Name of the industry column in aggregated frames (a code at the level, or a category name)."""

_CLASS_PATTERN = r"^[0-9]{4}$"
_MAP_CODE_PATTERN = r"^[0-9]{2,4}$"
_PREFIX_LENGTHS = {"division": 2, "group": 3}


def require_columns(frame: pl.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{what}缺少列：{'、'.join(missing)}；现有列：{'、'.join(frame.columns) or '（无）'}",
            detail={"missing": missing, "columns": frame.columns},
        )


def _measure_list(measure: str | Sequence[str]) -> list[str]:
    measures = [measure] if isinstance(measure, str) else list(measure)
    if not measures:
        raise InvalidInput("至少需要一个规模指标（如 output_value）", detail={"field": "measure"})
    return measures


def require_numeric(frame: pl.DataFrame, measures: Sequence[str], what: str) -> None:
    for name in measures:
        if not frame.schema[name].is_numeric():
            raise InvalidInput(
                f"{what}的列 {name} 应为数值，实际类型为 {frame.schema[name]}",
                detail={"field": name, "dtype": str(frame.schema[name])},
            )


def check_class_codes(frame: pl.DataFrame) -> None:
    """Raise :class:`~parkhq.errors.InvalidInput` unless ``industry_code`` holds 4-digit classes."""
    _check_codes(
        frame, "industry_code", _CLASS_PATTERN, "4 位行业小类代码（如 '3011'）", "企业数据"
    )


def _require_non_negative(frame: pl.DataFrame, measure: str, what: str) -> None:
    _refuse_negative(frame.select((pl.col(measure) < 0).sum()).item(), measure, what)


def _refuse_negative(negative: int, measure: str, what: str) -> None:
    """Raise when ``negative`` rows of the ``what`` frame have a negative ``measure``."""
    if negative:
        raise InvalidInput(
            f"{what}的 {measure} 有 {negative} 行为负数，无法计算比重；"
            "比重类指标要求汇总后的规模不小于 0",
            detail={"field": measure, "negative_rows": negative},
        )


def _check_codes(frame: pl.DataFrame, column: str, pattern: str, expected: str, what: str) -> None:
    if frame.schema[column] != pl.String:
        raise InvalidInput(
            f"{what}的 {column} 应为文本（保留前导零），实际类型为 {frame.schema[column]}",
            detail={"field": column, "dtype": str(frame.schema[column])},
        )
    bad = frame.filter(~pl.col(column).str.contains(pattern).fill_null(False))
    if bad.height:
        examples = bad.get_column(column).head(3).to_list()
        raise InvalidInput(
            f"{what}的 {column} 有 {bad.height} 行不合法（例如 {examples}），应为{expected}",
            detail={"field": column, "invalid_rows": bad.height, "examples": examples},
        )


def expand_category_map(category_map: pl.DataFrame, class_codes: pl.Series) -> pl.DataFrame:
    """Resolve a category → GB/T code mapping to the 4-digit classes in ``class_codes``.

    Input ``category_map``: columns ``category`` (name, e.g. 电子信息) and ``class_code`` (a
    GB/T 4754 code of 2, 3 or 4 digits; a division or group code covers all its classes).
    ``class_codes``: the 4-digit classes to resolve against (e.g. those present in the data).

    Output: unique rows (``category``, ``class_code``), one per class that each category covers.
    A class may belong to several categories (then it counts in each).
    """
    require_columns(category_map, ("category", "class_code"), "产业类别对照表")
    codes = category_map.get_column("class_code")
    if codes.dtype != pl.String or not codes.str.contains(_MAP_CODE_PATTERN).fill_null(False).all():
        _check_codes(
            category_map, "class_code", _MAP_CODE_PATTERN, "2–4 位行业代码", "产业类别对照表"
        )
    # A few hundred map rows and classes: plain dictionaries beat a dozen small joins.
    covered: dict[str, set[Any]] = {}
    categories = category_map.get_column("category")
    for category, code in zip(categories.to_list(), codes.to_list(), strict=True):
        covered.setdefault(code, set()).add(category)
    pairs = {
        (category, code)
        for code in class_codes.cast(pl.String).drop_nulls().unique().to_list()
        for prefix in {code[:2], code[:3], code[:4]}
        for category in covered.get(prefix, ())
    }
    ordered = sorted(pairs, key=lambda pair: (pair[0] is not None, pair))  # null category first
    dtype = categories.dtype if category_map.height else pl.String
    expanded = pl.DataFrame(
        [
            pl.Series("category", [category for category, _ in ordered], dtype=dtype),
            pl.Series("class_code", [code for _, code in ordered], dtype=pl.String),
        ]
    )
    return expanded if dtype == pl.String else expanded.sort("category", "class_code")


def industry_level_map(
    class_codes: pl.Series, level: Level, class_map: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Map 4-digit GB/T 4754 classes to the industry at ``level``.

    ``division``/``group``/``class`` take the first 2/3/4 digits. ``section`` needs ``class_map``
    with columns ``class_code``, ``section`` (for example built from
    ``industry_catalogue().frame()``); every class must be mapped. ``category`` needs
    ``class_map`` with columns ``category``, ``class_code`` (see :func:`expand_category_map`);
    classes in no category are left out and a class in several categories appears once per
    category.

    Output: columns ``class_code``, ``industry``.
    """
    classes = pl.DataFrame({"class_code": class_codes.cast(pl.String)}).unique()
    if level == "class":
        return classes.with_columns(pl.col("class_code").alias(INDUSTRY))
    if level in _PREFIX_LENGTHS:
        return classes.with_columns(
            pl.col("class_code").str.slice(0, _PREFIX_LENGTHS[level]).alias(INDUSTRY)
        )
    if class_map is None:
        raise InvalidInput(
            f"按 {level} 汇总需要提供行业对照表 class_map",
            detail={"field": "class_map", "level": level},
        )
    if level == "section":
        require_columns(class_map, ("class_code", "section"), "门类对照表")
        mapped = classes.join(
            class_map.select("class_code", pl.col("section").alias(INDUSTRY)).unique(),
            on="class_code",
            how="left",
        )
        unmapped = mapped.filter(pl.col(INDUSTRY).is_null()).get_column("class_code")
        if unmapped.len():
            raise InvalidInput(
                f"门类对照表缺少 {unmapped.len()} 个行业小类（例如 {unmapped.head(3).to_list()}）",
                detail={"field": "class_map", "unmapped": unmapped.head(20).to_list()},
            )
        return mapped
    if level == "category":
        return expand_category_map(class_map, classes.get_column("class_code")).rename(
            {"category": INDUSTRY}
        )
    raise InvalidInput(
        f"未知的汇总层级 {level!r}，应为 {'/'.join(LEVELS)} 之一",
        detail={"field": "level", "value": level},
    )


def aggregate(
    df: FirmData,
    by: Sequence[str] = ("park_code",),
    level: Level = "division",
    measure: str | Sequence[str] = "output_value",
    *,
    class_map: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Sum firm measures per unit (``by``) and industry at ``level``.

    Input: the firm-level frame (module docstring), with ``industry_code`` a 4-digit GB/T 4754
    class and the ``by`` and ``measure`` columns (万元 / 人). ``by=()`` totals everything (the
    national reference). Firms with a null ``by`` key form their own group (filter them first
    when only parks are wanted). ``class_map`` is needed for ``section`` (``class_code``,
    ``section``) and ``category`` (``category``, ``class_code``) — see
    :func:`industry_level_map`. At the ``category`` level a firm whose class maps to several
    categories counts in each, so category totals of a unit can add up to more than its total.

    ``df`` may also be an :class:`~parkhq.analysis.cube.IndustryCube` summed from the firms
    (``by`` then among its unit columns): the result is the same, without a pass over firms.

    Output: ``by`` columns, ``industry`` (code at ``level`` or category name), the summed
    ``measure`` columns and ``firm_count``, sorted by unit and industry.
    """
    measures = _measure_list(measure)
    if not isinstance(df, pl.DataFrame):
        return df.aggregate(by, level, measures, class_map=class_map)
    require_columns(df, [*by, "industry_code", *measures], "企业数据")
    require_numeric(df, measures, "企业数据")
    _check_codes(df, "industry_code", _CLASS_PATTERN, "4 位行业小类代码（如 '3011'）", "企业数据")
    sums = [pl.col(m).sum() for m in measures]
    keys = [*by, INDUSTRY]
    if level in _PREFIX_LENGTHS or level == "class":
        length = _PREFIX_LENGTHS.get(level, 4)
        return (
            df.group_by([*by, pl.col("industry_code").str.slice(0, length).alias(INDUSTRY)])
            .agg(*sums, firm_count=pl.len())
            .sort(keys)
        )
    by_class = df.group_by([*by, pl.col("industry_code").alias("class_code")]).agg(
        *sums, firm_count=pl.len()
    )
    level_map = industry_level_map(by_class.get_column("class_code"), level, class_map)
    return (
        by_class.join(level_map, on="class_code", how="inner")
        .group_by(keys)
        .agg(*[pl.col(m).sum() for m in measures], pl.col("firm_count").sum())
        .sort(keys)
    )


def in_parks(firms: FirmData) -> FirmData:
    """The firms in parks: rows (or cube units) whose ``park_code`` is not null."""
    if isinstance(firms, pl.DataFrame):
        return firms.filter(pl.col("park_code").is_not_null())
    return firms.in_parks()


def shares(
    agg: pl.DataFrame,
    by: Sequence[str] = ("park_code",),
    measure: str | Sequence[str] | None = None,
) -> pl.DataFrame:
    """Share of each industry in its unit's total, for each measure.

    Input: an aggregated frame (:func:`aggregate`) with the ``by`` columns and measures.
    ``measure=None`` uses every column of :data:`MEASURES` present.

    Output: the input plus ``share_<measure>`` (0–1) per measure: s_ri = x_ri / X_r
    (REFERENCE §7.1). A unit whose total is 0 gets null shares.
    """
    measures = (
        [m for m in MEASURES if m in agg.columns] if measure is None else _measure_list(measure)
    )
    require_columns(agg, [*by, *measures], "汇总数据")
    for name in measures:
        _require_non_negative(agg, name, "汇总数据")
    exprs = []
    for name in measures:
        total = _total(name, by)
        exprs.append(
            pl.when(total > 0).then(pl.col(name) / total).otherwise(None).alias(f"share_{name}")
        )
    return agg.with_columns(exprs)


def _total(measure: str, by: Sequence[str]) -> pl.Expr:
    """Sum of ``measure`` over each ``by`` group (over the whole frame when ``by`` is empty)."""
    return pl.col(measure).sum().over(list(by)) if by else pl.col(measure).sum()


def _sorted(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    return frame.sort(list(keys)) if keys else frame


def _unit_and_reference_shares(
    unit_frame: pl.DataFrame,
    reference_frame: pl.DataFrame,
    measure: str,
    unit_by: Sequence[str],
    reference_by: Sequence[str],
) -> pl.DataFrame:
    """Unit rows with ``share`` (s_ri) and ``reference_share`` (S_i of the unit's region)."""
    region = [c for c in reference_by if c not in unit_by]
    require_columns(unit_frame, [*unit_by, *region, INDUSTRY, measure], "园区汇总数据")
    require_columns(reference_frame, [*reference_by, INDUSTRY, measure], "参照区域汇总数据")
    _require_non_negative(unit_frame, measure, "园区汇总数据")
    _require_non_negative(reference_frame, measure, "参照区域汇总数据")
    if region and unit_by:
        spread = unit_frame.group_by(list(unit_by)).agg(
            pl.struct(region).n_unique().alias("regions")
        )
        if spread.height and spread.get_column("regions").max() != 1:
            raise InvalidInput(
                f"同一单位（{'、'.join(unit_by)}）对应了多个参照区域（{'、'.join(region)}）",
                detail={"unit_by": list(unit_by), "reference_by": list(reference_by)},
            )
    reference = reference_frame.group_by([*reference_by, INDUSTRY]).agg(pl.col(measure).sum())
    ref_total = _total(measure, reference_by)
    reference = reference.select(
        *reference_by,
        INDUSTRY,
        pl.when(ref_total > 0).then(pl.col(measure) / ref_total).alias("reference_share"),
    )
    unit_total = _total(measure, unit_by)
    keep = [*unit_by, *region, INDUSTRY, measure]
    return (
        unit_frame.select(keep)
        .with_columns(pl.when(unit_total > 0).then(pl.col(measure) / unit_total).alias("share"))
        .join(reference, on=[*reference_by, INDUSTRY], how="left", maintain_order="left")
    )


def location_quotient(
    unit_frame: pl.DataFrame,
    reference_frame: pl.DataFrame,
    *,
    measure: str = "output_value",
    unit_by: Sequence[str] = ("park_code",),
    reference_by: Sequence[str] = ("province_code",),
) -> pl.DataFrame:
    """区位熵 (location quotient) of each unit's industries against a reference region.

    LQ_ri = (x_ri / X_r) / (X_i / X) = s_ri / S_i (REFERENCE §7.2). LQ > 1 means the unit is
    specialised in i relative to the reference; practical cut-offs for advantaged industries
    are 1.25 or 1.5.

    Input: ``unit_frame`` aggregated by ``unit_by`` (+ the ``reference_by`` columns, e.g.
    ``aggregate(firms, ("park_code", "province_code"))``) with ``industry`` and ``measure``
    (万元 / 人). ``reference_frame`` aggregated by ``reference_by`` and ``industry`` at the same
    level, e.g. ``aggregate(firms, ("province_code",))`` for the province (including firms outside
    parks) or ``aggregate(firms, ())`` with ``reference_by=()`` for the nation (all firms in the
    frame). Passing the unit frame itself as reference compares against the sum of all units.

    Output: ``unit_by``, ``reference_by``, ``industry``, ``measure``, ``share`` (s_ri),
    ``reference_share`` (S_i) and ``lq``, one row per row of ``unit_frame`` in its order.
    ``lq`` is null when the unit's total is 0 or the industry is absent from the reference.
    """
    joined = _unit_and_reference_shares(unit_frame, reference_frame, measure, unit_by, reference_by)
    return joined.with_columns(
        pl.when(pl.col("reference_share") > 0)
        .then(pl.col("share") / pl.col("reference_share"))
        .alias("lq")
    )


def concentration(
    agg: pl.DataFrame,
    *,
    by: Sequence[str] = ("park_code",),
    measure: str = "output_value",
    k: int = 3,
) -> pl.DataFrame:
    """Concentration of each unit's industry structure: CR_k, HHI, normalised HHI and entropy.

    Input: an aggregated frame (:func:`aggregate`) with ``by``, ``industry`` and ``measure``.

    Output, one row per unit:

    * ``n_industries`` — industries with a positive measure;
    * ``cr<k>`` — share of the k largest industries (CR3 for ``k=3``), 0–1;
    * ``hhi`` — Herfindahl–Hirschman index Σ s_i² **on shares 0–1** (this is the value ParkHQ
      uses; range 1/N–1);
    * ``hhi_points`` — the same on the ×10,000 convention (shares in %), for comparison with the
      US DOJ/FTC 2010 bands <1500 / 1500–2500 / >2500;
    * ``hhi_normalised`` — (HHI − 1/N) / (1 − 1/N), null when N ≤ 1;
    * ``entropy`` — H = −Σ s_i ln s_i.

    Method: REFERENCE §7.1. All metrics are null for a unit whose total is 0.
    """
    if k < 1:
        raise InvalidInput(f"k 应为正整数，实际为 {k}", detail={"field": "k", "value": k})
    require_columns(agg, [*by, INDUSTRY, measure], "汇总数据")
    _require_non_negative(agg, measure, "汇总数据")
    keys = list(by)
    total = _total(measure, keys)
    with_share = agg.select(
        *keys, pl.when(total > 0).then(pl.col(measure) / total).alias("s")
    ).filter(pl.col("s") > 0)
    metrics = [
        pl.len().cast(pl.UInt32).alias("n_industries"),
        pl.col("s").top_k(k).sum().alias(f"cr{k}"),
        (pl.col("s") ** 2).sum().alias("hhi"),
        (-(pl.col("s") * pl.col("s").log())).sum().alias("entropy"),
    ]
    if keys:
        result = with_share.group_by(keys).agg(metrics)
        result = agg.select(keys).unique().join(result, on=keys, how="left")
    else:
        result = with_share.select(metrics)
    n = pl.col("n_industries").cast(pl.Float64)
    return result.select(
        *keys,
        pl.col("n_industries").fill_null(0),
        pl.col(f"cr{k}"),
        pl.col("hhi"),
        (pl.col("hhi") * 10_000).alias("hhi_points"),
        pl.when(n > 1).then((pl.col("hhi") - 1 / n) / (1 - 1 / n)).alias("hhi_normalised"),
        pl.col("entropy"),
    ).pipe(_sorted, keys)


def specialisation(
    unit_frame: pl.DataFrame,
    reference_frame: pl.DataFrame,
    *,
    measure: str = "output_value",
    unit_by: Sequence[str] = ("park_code",),
    reference_by: Sequence[str] = ("province_code",),
) -> pl.DataFrame:
    """Krugman specialisation index and Hoover coefficient of each unit against a reference.

    K_r = Σ_i |s_ri − S_i| over all industries of the unit and the reference (range 0–2),
    Hoover_r = K_r / 2 (range 0–1). Higher means the unit's structure departs more from the
    reference (REFERENCE §7.2, Hoover/Krugman specialisation index). Industries of the
    reference that the unit lacks count with |0 − S_i|.

    Input: as :func:`location_quotient`. Output, one row per unit: ``unit_by``,
    ``reference_by``, ``krugman`` and ``hoover`` (null when the unit's total is 0).
    """
    joined = _unit_and_reference_shares(unit_frame, reference_frame, measure, unit_by, reference_by)
    region = [c for c in reference_by if c not in unit_by]
    keys = [*unit_by, *region]
    ref = pl.col("reference_share").fill_null(0.0)
    agg_exprs = [
        (pl.col("share") - ref).abs().sum().alias("inside"),
        ref.sum().alias("covered"),
        pl.col("share").is_not_null().any().alias("has_total"),
    ]
    grouped = joined.group_by(keys).agg(agg_exprs) if keys else joined.select(agg_exprs)
    krugman = pl.col("inside") + (1.0 - pl.col("covered")).clip(lower_bound=0.0)
    return grouped.select(
        *keys,
        pl.when(pl.col("has_total")).then(krugman).alias("krugman"),
        pl.when(pl.col("has_total")).then(krugman / 2).alias("hoover"),
    ).pipe(_sorted, keys)


@dataclass(frozen=True)
class StructureProfile:
    """The structure indicators of every park, as :func:`structure_profile` computes them."""

    lq_province: pl.DataFrame
    """:func:`location_quotient` of the parks against their province."""
    lq_nation: pl.DataFrame
    """:func:`location_quotient` of the parks against the nation."""
    concentration: pl.DataFrame
    """:func:`concentration` (CR3, HHI, entropy) of each park."""
    specialisation: pl.DataFrame
    """:func:`specialisation` (Krugman, Hoover) of each park against its province."""


def structure_profile(
    firms: FirmData,
    *,
    level: Level = "division",
    measure: str = "output_value",
    class_map: pl.DataFrame | None = None,
) -> StructureProfile:
    """区位熵 against the province and the nation, concentration and specialisation of every park.

    Input: the firm frame (module docstring) or an :class:`~parkhq.analysis.cube.IndustryCube`
    summed from it; ``level``, ``measure`` and ``class_map`` as in :func:`aggregate`. The result
    is, by definition::

        parks = aggregate(in_parks(firms), ("park_code", "province_code"), level, measure)
        province = aggregate(firms, ("province_code",), level, measure)
        nation = aggregate(firms, (), level, measure)
        lq_province = location_quotient(parks, province, measure=measure)
        lq_nation = location_quotient(
            parks, nation, measure=measure, unit_by=("park_code",), reference_by=()
        )
        concentration = concentration(parks, measure=measure)
        specialisation = specialisation(parks, province, measure=measure)

    (``class_map`` passed to each :func:`aggregate`): the province reference holds every firm of
    the province, in or out of parks, the nation every firm. A cube gives the same frames,
    computed on its dense matrices (:func:`park_cells`) instead of joins and group-bys.
    """
    if not isinstance(firms, pl.DataFrame):
        return park_cells(firms, level, measure, class_map=class_map).profile()
    parks = aggregate(
        in_parks(firms), ("park_code", "province_code"), level, measure, class_map=class_map
    )
    province = aggregate(firms, ("province_code",), level, measure, class_map=class_map)
    nation = aggregate(firms, (), level, measure, class_map=class_map)
    return StructureProfile(
        lq_province=location_quotient(parks, province, measure=measure),
        lq_nation=location_quotient(
            parks, nation, measure=measure, unit_by=("park_code",), reference_by=()
        ),
        concentration=concentration(parks, measure=measure),
        specialisation=specialisation(parks, province, measure=measure),
    )


@dataclass(frozen=True)
class ParkCells:
    """The park × industry cells of a cube with their shares and reference shares, as arrays.

    The cells are the rows of ``aggregate(in_parks(cube), ("park_code", "province_code"),
    level, measure)``, in order: ``rows`` index ``parks`` (``park_code``, ``province_code``;
    one row per park, sorted) and ``cols`` index ``industries`` (sorted). ``matrix`` holds the
    parks × industries sums x_ri and ``totals`` the park totals X_r. Per cell: ``values``
    (x_ri), ``firm_counts``, ``share`` (s_ri) and the reference shares S_i of the park's
    province (``province_share``) and of the nation (``nation_share``), with NaN for null
    (a park total of 0; an industry or province absent from the reference, a reference total
    of 0), and the 区位熵 ``lq_province`` and ``lq_nation`` (null when the reference share is
    not positive) — the columns :func:`location_quotient` gives.
    """

    measure: str
    dtype: pl.DataType
    parks: pl.DataFrame
    industries: pl.Series
    matrix: NDArray[np.float64]
    totals: NDArray[np.float64]
    rows: NDArray[np.intp]
    cols: NDArray[np.intp]
    values: NDArray[np.float64]
    firm_counts: NDArray[np.int64]
    share: NDArray[np.float64]
    province_share: NDArray[np.float64]
    nation_share: NDArray[np.float64]
    lq_province: NDArray[np.float64]
    lq_nation: NDArray[np.float64]

    def reordered(self, order: NDArray[np.intp]) -> ParkCells:
        """The same cells in the order ``order`` (positions of the cells)."""
        return replace(
            self,
            rows=self.rows[order],
            cols=self.cols[order],
            values=self.values[order],
            firm_counts=self.firm_counts[order],
            share=self.share[order],
            province_share=self.province_share[order],
            nation_share=self.nation_share[order],
            lq_province=self.lq_province[order],
            lq_nation=self.lq_nation[order],
        )

    def labels(self) -> tuple[pl.Series, pl.Series, pl.Series]:
        """``park_code``, ``province_code`` and ``industry`` of each cell."""
        codes = self.parks.select(pl.col("park_code", "province_code").gather(self.rows))
        return (
            codes.get_column("park_code"),
            codes.get_column("province_code"),
            self.industries.gather(self.cols).alias(INDUSTRY),
        )

    def amounts(self) -> pl.Series:
        """The measure of each cell, with the dtype its sum has in the firm frame."""
        return pl.Series(self.measure, self.values).cast(self.dtype)

    def profile(self) -> StructureProfile:
        """The :class:`StructureProfile` of the parks (see :func:`structure_profile`); the
        cells must be in their order (by park)."""
        park, province, industry = self.labels()
        amount = self.amounts()
        share = _nullable("share", self.share)
        # The parks with cells (the units of the aggregate frame) and their first cells.
        starts = np.flatnonzero(np.diff(self.rows, prepend=-1))
        listed = self.rows[starts]
        return StructureProfile(
            lq_province=pl.DataFrame(
                [
                    park,
                    province,
                    industry,
                    amount,
                    share,
                    _nullable("reference_share", self.province_share),
                    _nullable("lq", self.lq_province),
                ]
            ),
            lq_nation=pl.DataFrame(
                [
                    park,
                    industry,
                    amount,
                    share,
                    _nullable("reference_share", self.nation_share),
                    _nullable("lq", self.lq_nation),
                ]
            ),
            concentration=self._concentration(listed, starts),
            specialisation=self._specialisation(listed, starts),
        )

    def _concentration(self, listed: NDArray[np.intp], starts: NDArray[np.intp]) -> pl.DataFrame:
        """:func:`concentration` (k = 3) of the ``listed`` parks (cells from ``starts``)."""
        # A park without a total has NaN shares: its sums are NaN, its metrics null.
        positive = self.share > 0
        count = _segment_sums(positive, starts)
        hhi = _segment_sums(np.square(self.share), starts)
        entropy = _segment_sums(entr(self.share), starts)  # −s ln s, 0 for s = 0
        defined = count > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            normalised = (hhi - 1 / count) / (1 - 1 / count)
        return pl.DataFrame(
            [
                self.parks.get_column("park_code").gather(listed),
                pl.Series("n_industries", count).cast(pl.UInt32),
                _nullable("cr3", np.where(defined, self._top_share(listed, 3), np.nan)),
                _nullable("hhi", np.where(defined, hhi, np.nan)),
                _nullable("hhi_points", np.where(defined, hhi * 10_000, np.nan)),
                _nullable("hhi_normalised", np.where(count > 1, normalised, np.nan)),
                _nullable("entropy", np.where(defined, entropy, np.nan)),
            ]
        )

    def _top_share(self, parks: NDArray[np.intp], k: int) -> NDArray[np.float64]:
        """Sum of the ``k`` largest shares of each of ``parks`` (NaN without a total)."""
        width = self.matrix.shape[1]
        k = min(k, width)
        if k == 0:
            return np.zeros(parks.size)
        # Summed largest first, as top_k gives them (sorting short rows beats partitioning).
        largest = np.sort(self.matrix, axis=1)[parks, -1 : -k - 1 : -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((largest / self.totals[parks, None]).sum(axis=1))

    def _specialisation(self, listed: NDArray[np.intp], starts: NDArray[np.intp]) -> pl.DataFrame:
        """:func:`specialisation` of the ``listed`` parks against their province."""
        reference = np.nan_to_num(self.province_share, nan=0.0)
        inside = _segment_sums(np.abs(self.share - reference), starts)  # NaN without a total
        covered = _segment_sums(reference, starts)
        krugman = inside + np.maximum(1.0 - covered, 0.0)
        return pl.DataFrame(
            [
                self.parks.get_column("park_code").gather(listed),
                self.parks.get_column("province_code").gather(listed),
                _nullable("krugman", krugman),
                _nullable("hoover", krugman / 2),
            ]
        )


def park_cells(
    cube: IndustryCube,
    level: Level = "division",
    measure: str = "output_value",
    *,
    class_map: pl.DataFrame | None = None,
) -> ParkCells:
    """The :class:`ParkCells` of a cube's parks at ``level``, read off its dense matrices.

    Parks and provinces come from :meth:`~parkhq.analysis.cube.IndustryCube.grouped`; the
    nation is the sum of the provinces (the province groups cover every unit). The cells,
    shares and reference shares are those :func:`location_quotient` computes from the
    aggregates of :func:`structure_profile`, and so are the errors (a negative aggregated
    measure). The result is kept with the cube, like its aggregates: the structure and the
    leading-industry analyses of one cube ask for the same cells.
    """
    return cast(
        "ParkCells",
        cube._remember(
            ("park_cells", level, measure),
            class_map,
            lambda: _park_cells(cube, level, measure, class_map),
        ),
    )


def _park_cells(
    cube: IndustryCube, level: Level, measure: str, class_map: pl.DataFrame | None
) -> ParkCells:
    parks = cube.in_parks().grouped(
        ("park_code", "province_code"), level, measure, class_map=class_map
    )
    province = cube.grouped(("province_code",), level, measure, class_map=class_map)
    matrix = np.ascontiguousarray(parks.values[measure])
    width = matrix.shape[1]
    # The cells of Grouped.cells(), in the same (row-major) order.
    flat = np.flatnonzero(parks.firm_counts > 0)
    rows, cols = np.divmod(flat, max(width, 1))
    values = matrix.ravel().take(flat)
    _refuse_negative(int((values < 0).sum()), measure, "园区汇总数据")
    reference = province.values[measure]
    province_shares = _reference_shares(reference, measure)
    nation_shares = _reference_shares(reference.sum(axis=0, keepdims=True), measure)
    totals = matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = values / totals[rows]  # 0 / 0: NaN (null) for a park whose total is 0
    in_province = _positions(
        parks.groups.get_column("province_code"), province.groups.get_column("province_code")
    )
    industry = _positions(parks.industries, province.industries)[cols]
    province_share = province_shares[in_province[rows], industry]
    nation_share = nation_shares[0, industry]
    return ParkCells(
        measure=measure,
        dtype=parks.dtypes[measure],
        parks=parks.groups,
        industries=parks.industries,
        matrix=matrix,
        totals=totals,
        rows=rows,
        cols=cols,
        values=values,
        firm_counts=np.ascontiguousarray(parks.firm_counts).ravel().take(flat),
        share=share,
        province_share=province_share,
        nation_share=nation_share,
        lq_province=_quotient(share, province_share),
        lq_nation=_quotient(share, nation_share),
    )


def _reference_shares(values: NDArray[np.float64], measure: str) -> NDArray[np.float64]:
    """S_i of each reference group (rows of ``values``) and industry (columns), as
    :func:`location_quotient` has them: NaN (null) where the group's total is 0.

    A cell without firms sums to 0: its share (0) is never read, as a park's firms count in
    its province and the nation. One extra row and column of NaN answer the position −1 (a
    province or industry the reference lacks). Raises like :func:`location_quotient` for
    negative reference sums.
    """
    _refuse_negative(int((values < 0).sum()), measure, "参照区域汇总数据")
    totals = values.sum(axis=1, keepdims=True)
    shares = np.full((values.shape[0] + 1, values.shape[1] + 1), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares[:-1, :-1] = np.where(totals > 0, values / totals, np.nan)
    return shares


def _positions(values: pl.Series, keys: pl.Series) -> NDArray[np.int64]:
    """Position of each value among the distinct ``keys``; −1 for a null or absent value (a
    join on nulls matches nothing)."""
    if values.equals(keys):
        return np.arange(values.len(), dtype=np.int64)
    found = values.to_frame("key").join(
        keys.to_frame("key").with_row_index("position"), on="key", how="left", maintain_order="left"
    )
    return found.get_column("position").cast(pl.Int64).fill_null(-1).to_numpy()


def _segment_sums(values: NDArray[Any], starts: NDArray[np.intp]) -> NDArray[np.float64]:
    """Sums of ``values`` over the runs beginning at ``starts`` (non-empty, ascending)."""
    if starts.size == 0:
        return np.zeros(0)
    return np.asarray(np.add.reduceat(values.astype(np.float64, copy=False), starts))


def _quotient(share: NDArray[np.float64], reference: NDArray[np.float64]) -> NDArray[np.float64]:
    """s / S where S > 0, NaN (null) elsewhere."""
    quotient = np.full(share.size, np.nan)
    np.divide(share, reference, out=quotient, where=reference > 0)
    return quotient


def _nullable(name: str, values: NDArray[np.float64]) -> pl.Series:
    """A Float64 series with null where ``values`` is NaN."""
    return pl.Series(name, values, dtype=pl.Float64, nan_to_null=True)


def _previous_period(column: str, dtype: pl.DataType) -> pl.Expr:
    """Expression: the period one year later than ``column`` (where this row is 'previous')."""
    if dtype.is_integer():
        return pl.col(column) + 1
    year = pl.col(column).str.slice(0, 4).cast(pl.Int32) + 1
    return year.cast(pl.String).str.zfill(4) + pl.col(column).str.slice(4)


def growth(
    agg: pl.DataFrame,
    *,
    by: Sequence[str] = ("park_code",),
    measure: str = "output_value",
    period_column: str = "year",
) -> pl.DataFrame:
    """Year-on-year growth of each unit × industry measure.

    Input: an aggregated frame with ``by``, ``period_column``, ``industry`` and ``measure``
    (e.g. ``aggregate(firms, ("park_code", "year"))``). The period is a year (integer or
    ``"YYYY"``) or a month ``"YYYY-MM"``; a month is compared with the same month a year
    earlier (同比).

    Output: the input plus ``<measure>_previous`` (same unit, industry, period a year earlier)
    and ``<measure>_yoy`` = x_t / x_(t−1) − 1 (0.12 = +12 %). Both are null when the earlier
    period is missing; the growth is also null when the earlier value is not positive.
    """
    require_columns(agg, [*by, period_column, INDUSTRY, measure], "汇总数据")
    dtype = agg.schema[period_column]
    if not dtype.is_integer():
        _check_codes(
            agg, period_column, r"^\d{4}(-\d{2})?$", "年份 YYYY 或月份 YYYY-MM", "汇总数据"
        )
    keys = [*[c for c in by if c != period_column], INDUSTRY]
    previous_name = f"{measure}_previous"
    previous = agg.select(
        *keys, _previous_period(period_column, dtype).alias(period_column), pl.col(measure)
    ).rename({measure: previous_name})
    if not dtype.is_integer():
        previous = previous.with_columns(pl.col(period_column).cast(dtype))
    previous = previous.group_by([*keys, period_column]).agg(pl.col(previous_name).sum())
    joined = agg.join(previous, on=[*keys, period_column], how="left")
    return joined.with_columns(
        pl.when(pl.col(previous_name) > 0)
        .then(pl.col(measure) / pl.col(previous_name) - 1)
        .alias(f"{measure}_yoy")
    )
