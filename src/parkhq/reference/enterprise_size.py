"""Enterprise size (大型/中型/小型/微型) per 《中小企业划型标准规定》 (工信部联企业〔2011〕300号).

The thresholds, the sector groups and their GB/T 4754-2017 scope are data:
``data/enterprise_size_2011.yaml`` (with ``source``, ``version``, ``valid_from``). Units:
employees 从业人员 in 人, revenue 营业收入 and assets 资产总额 in 万元.

Method (the standard's wording "……以下或……以下的为中小微型企业。其中，……及以上，且……及以上的
为中型企业……"; "以上" includes the bound, "以下" excludes it), as a cascade:

1. 大型 if the firm is at or above *every* large bound of its sector (it is then not an SME);
2. else 中型 if at or above every medium bound;
3. else 小型 if at or above every small bound;
4. else 微型.

A sector that uses a single measure (农、林、牧、渔业: revenue; 其他未列明行业: employees) needs
only that one. Example from the standard's logic: an industrial firm with 1,500 employees and
revenue of 1,000 万元 is not large (revenue < 40,000), not medium (revenue < 2,000) but small
(≥ 20 employees and ≥ 300 万元): 小型.

An industry code picks its sector by its most specific listed ancestor (a class ``5910`` 装卸搬运
is 交通运输业 through group ``591``, ``5920`` is 仓储业); codes not listed fall to 其他未列明行业.
Codes the standard does not cover (铁路运输业, 金融业, 房地产租赁经营, 公共管理 and 国际组织)
make :func:`classify_size` raise and give null in :func:`classify_size_frame`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal, cast

import polars as pl
import yaml

from parkhq.errors import InvalidInput, RuleSetError
from parkhq.reference.industries import IndustryCatalogue, industry_catalogue

__all__ = [
    "MEASURES",
    "SIZE_LABELS",
    "Measure",
    "SizeExclusion",
    "SizeSector",
    "SizeStandard",
    "classify_size",
    "classify_size_frame",
    "parse_size_standard",
    "size_standard",
]

Measure = Literal["employees", "revenue", "assets"]
MEASURES: tuple[Measure, ...] = ("employees", "revenue", "assets")
SIZE_LABELS: tuple[str, ...] = ("大型", "中型", "小型", "微型")
"""The four sizes, largest first."""

_TIERS: tuple[tuple[str, str], ...] = (("large", "大型"), ("medium", "中型"), ("small", "小型"))
_DATA_FILE = "enterprise_size_2011.yaml"
_ROWS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class SizeSector:
    """One sector group with its lower bounds per size; each bound maps a measure to a value."""

    key: str
    name: str
    industries: tuple[str, ...]
    large: Mapping[Measure, float]
    medium: Mapping[Measure, float]
    small: Mapping[Measure, float]

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The measures this sector's thresholds use, in :data:`MEASURES` order."""
        return tuple(measure for measure in MEASURES if measure in self.large)

    def bounds(self, tier: str) -> Mapping[Measure, float]:
        """The lower bounds of ``tier`` ('large', 'medium' or 'small')."""
        return cast(Mapping[Measure, float], getattr(self, tier))


@dataclass(frozen=True, slots=True)
class SizeExclusion:
    """Industries the standard does not cover, with the reason (Chinese)."""

    industries: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class _Resolution:
    sector: SizeSector | None = None
    exclusion: SizeExclusion | None = None
    candidates: tuple[str, ...] = ()


class SizeStandard:
    """The thresholds of one version of the standard, resolved onto GB/T 4754-2017 codes."""

    def __init__(
        self,
        *,
        source: str,
        version: str,
        valid_from: date,
        industry_mapping_source: str,
        measure_names: Mapping[Measure, tuple[str, str]],
        sectors: tuple[SizeSector, ...],
        default_sector: str,
        exclusions: tuple[SizeExclusion, ...],
        catalogue: IndustryCatalogue,
    ) -> None:
        self.source = source
        self.version = version
        self.valid_from = valid_from
        self.industry_mapping_source = industry_mapping_source
        self.measure_names = dict(measure_names)
        self.sectors = sectors
        self.exclusions = exclusions
        by_key = {sector.key: sector for sector in sectors}
        if default_sector not in by_key:
            raise RuleSetError(f"划型标准的默认行业 '{default_sector}' 不在行业组中")
        self.default_sector = by_key[default_sector]
        self._catalogue = catalogue
        self._resolutions = self._resolve_all()
        self._table = self._build_table()

    def describe(self, measure: Measure) -> str:
        """``'从业人员（人）'`` and the like."""
        name, unit = self.measure_names[measure]
        return f"{name}（{unit}）"

    def sector_for(self, industry_code: str) -> SizeSector:
        """The sector group of a GB/T 4754 code at any level.

        Raises :class:`InvalidCode` for an unknown code, :class:`InvalidInput` for a code the
        standard does not cover or one too coarse to decide (e.g. section ``G``).
        """
        industry = self._catalogue.get(industry_code)
        resolution = self._resolutions[industry.code]
        if resolution.exclusion is not None:
            raise InvalidInput(
                f"行业 '{industry.code}'（{industry.name}）不适用《中小企业划型标准规定》："
                f"{resolution.exclusion.reason}",
                detail={"field": "industry_code", "value": industry.code},
            )
        if resolution.sector is None:
            raise InvalidInput(
                f"行业代码 '{industry.code}'（{industry.name}）跨越多个划型行业"
                f"（{'、'.join(resolution.candidates)}），请提供更细的行业代码",
                detail={"field": "industry_code", "value": industry.code},
            )
        return resolution.sector

    def sector_table(self) -> pl.DataFrame:
        """Every GB/T 4754 code with its outcome.

        Columns: ``industry_code``; ``status`` ('sector', 'excluded' or 'ambiguous');
        ``sector`` and ``sector_name`` (null unless status is 'sector'); and the bounds
        ``large_employees`` … ``small_assets`` (Float64, null where the sector does not use the
        measure).
        """
        return self._table.clone()

    def _outcome_of_class(self, code: str) -> _Resolution:
        chain = [item.code for item in self._catalogue.ancestors(code)] + [code]
        for candidate in reversed(chain):
            for sector in self.sectors:
                if candidate in sector.industries:
                    return _Resolution(sector=sector)
            for exclusion in self.exclusions:
                if candidate in exclusion.industries:
                    return _Resolution(exclusion=exclusion)
        return _Resolution(sector=self.default_sector)

    def _resolve_all(self) -> dict[str, _Resolution]:
        listed = [code for sector in self.sectors for code in sector.industries] + [
            code for exclusion in self.exclusions for code in exclusion.industries
        ]
        for code in listed:
            if self._catalogue.find(code) is None:
                raise RuleSetError(f"划型标准引用的行业代码 '{code}' 不在 GB/T 4754-2017 中")
        if len(set(listed)) != len(listed):
            raise RuleSetError("划型标准中有行业代码被列入多个行业组")
        by_class = {
            item.code: self._outcome_of_class(item.code) for item in self._catalogue.classes()
        }
        resolutions: dict[str, _Resolution] = dict(by_class)
        for item in self._catalogue:
            if item.level == "class":
                continue
            outcomes = [by_class[code] for code in self._catalogue.descendant_classes(item.code)]
            if all(outcome == outcomes[0] for outcome in outcomes):
                resolutions[item.code] = outcomes[0]
                continue
            names: list[str] = []
            for outcome in outcomes:
                label = outcome.sector.name if outcome.sector is not None else "不适用行业"
                if label not in names:
                    names.append(label)
            resolutions[item.code] = _Resolution(candidates=tuple(names))
        return resolutions

    def _build_table(self) -> pl.DataFrame:
        columns: dict[str, list[Any]] = {
            "industry_code": [],
            "status": [],
            "sector": [],
            "sector_name": [],
        }
        bound_columns = [f"{tier}_{measure}" for tier, _ in _TIERS for measure in MEASURES]
        columns.update({name: [] for name in bound_columns})
        for code, resolution in self._resolutions.items():
            sector = resolution.sector
            columns["industry_code"].append(code)
            if sector is not None:
                status = "sector"
            elif resolution.exclusion is not None:
                status = "excluded"
            else:
                status = "ambiguous"
            columns["status"].append(status)
            columns["sector"].append(sector.key if sector else None)
            columns["sector_name"].append(sector.name if sector else None)
            for tier, _ in _TIERS:
                for measure in MEASURES:
                    value = sector.bounds(tier).get(measure) if sector else None
                    columns[f"{tier}_{measure}"].append(value)
        schema: dict[str, pl.DataType] = {
            "industry_code": pl.String(),
            "status": pl.String(),
            "sector": pl.String(),
            "sector_name": pl.String(),
        }
        schema.update({name: pl.Float64() for name in bound_columns})
        return pl.DataFrame(columns, schema=schema)


def _parse_bounds(sector: Mapping[str, Any], tier: str) -> dict[Measure, float]:
    raw = sector.get(tier)
    if not isinstance(raw, dict) or not raw:
        raise RuleSetError(f"划型行业组 '{sector.get('name')}' 缺少 {tier} 档标准")
    bounds: dict[Measure, float] = {}
    for measure, value in raw.items():
        if measure not in MEASURES or not isinstance(value, int | float) or value < 0:
            raise RuleSetError(
                f"划型行业组 '{sector.get('name')}' 的 {tier} 档标准 '{measure}: {value}' 不合法"
                "（指标应为 employees、revenue 或 assets，取值应为非负数）"
            )
        bounds[cast(Measure, measure)] = float(value)
    return bounds


def _parse_sector(raw: Mapping[str, Any]) -> SizeSector:
    large = _parse_bounds(raw, "large")
    medium = _parse_bounds(raw, "medium")
    small = _parse_bounds(raw, "small")
    name = str(raw.get("name"))
    if not set(large) == set(medium) == set(small):
        raise RuleSetError(f"划型行业组 '{name}' 各档使用的指标不一致")
    for measure in large:
        if not small[measure] <= medium[measure] <= large[measure]:
            raise RuleSetError(f"划型行业组 '{name}' 的 {measure} 标准应满足 小型 ≤ 中型 ≤ 大型")
    return SizeSector(
        key=str(raw["key"]),
        name=name,
        industries=tuple(str(code) for code in raw.get("industries") or ()),
        large=large,
        medium=medium,
        small=small,
    )


def parse_size_standard(
    document: Mapping[str, Any], catalogue: IndustryCatalogue | None = None
) -> SizeStandard:
    """Build a :class:`SizeStandard` from a parsed YAML document (the shipped file's layout).

    Raises :class:`RuleSetError` (Chinese message) for missing fields, unknown measures or
    industry codes, a code listed twice, or bounds that are not small ≤ medium ≤ large.
    """
    for field in ("source", "version", "valid_from", "sectors", "measures", "default_sector"):
        if field not in document:
            raise RuleSetError(f"划型标准文件缺少字段 '{field}'")
    measures = {
        cast(Measure, key): (str(value["name"]), str(value["unit"]))
        for key, value in document["measures"].items()
    }
    if set(measures) != set(MEASURES):
        raise RuleSetError(f"划型标准文件的 measures 应恰好列出 {'、'.join(MEASURES)}")
    return SizeStandard(
        source=str(document["source"]),
        version=str(document["version"]),
        valid_from=date.fromisoformat(str(document["valid_from"])),
        industry_mapping_source=str(document.get("industry_mapping_source", "")),
        measure_names=measures,
        sectors=tuple(_parse_sector(raw) for raw in document["sectors"]),
        default_sector=str(document["default_sector"]),
        exclusions=tuple(
            SizeExclusion(
                industries=tuple(str(code) for code in raw["industries"]),
                reason=str(raw["reason"]),
            )
            for raw in document.get("excluded") or ()
        ),
        catalogue=catalogue or industry_catalogue(),
    )


@lru_cache(maxsize=1)
def size_standard() -> SizeStandard:
    """The size standard shipped with ParkHQ (工信部联企业〔2011〕300号), loaded once."""
    text = (files("parkhq.reference") / "data" / _DATA_FILE).read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise RuleSetError(f"划型标准文件 {_DATA_FILE} 不是一个映射")
    return parse_size_standard(document)


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def classify_size(
    industry_code: str,
    employees: float | None,
    revenue_10k: float | None,
    assets_10k: float | None = None,
) -> str:
    """The size of one enterprise: '大型', '中型', '小型' or '微型'.

    ``industry_code`` is a GB/T 4754-2017 code (a class such as ``3911`` is best; a coarser code
    works when its whole subtree lies in one sector). ``employees`` 从业人员 (人),
    ``revenue_10k`` 营业收入 (万元), ``assets_10k`` 资产总额 (万元): only the measures the
    sector uses are needed. Raises :class:`InvalidInput` for a missing or negative needed measure
    or an industry the standard does not cover, :class:`InvalidCode` for an unknown code.
    """
    standard = size_standard()
    sector = standard.sector_for(industry_code)
    values: dict[Measure, float | None] = {
        "employees": employees,
        "revenue": revenue_10k,
        "assets": assets_10k,
    }
    for measure in sector.measures:
        value = values[measure]
        if _is_missing(value):
            needed = "、".join(standard.describe(item) for item in sector.measures)
            raise InvalidInput(
                f"{sector.name}按{needed}划型，缺少{standard.describe(measure)}",
                detail={"field": measure, "value": None},
            )
        if cast(float, value) < 0:
            raise InvalidInput(
                f"{standard.describe(measure)}不能为负数，实际为 {value}",
                detail={"field": measure, "value": value},
            )
    for tier, label in _TIERS:
        bounds = sector.bounds(tier)
        if all(cast(float, values[measure]) >= bounds[measure] for measure in sector.measures):
            return label
    return "微型"


def _rows_text(mask: pl.Series) -> str:
    rows = [index + 1 for index in mask.arg_true().head(_ROWS_SHOWN).to_list()]
    more = "等" if mask.sum() > _ROWS_SHOWN else ""
    return f"第 {'、'.join(str(row) for row in rows)} 行{more}"


def _check_frame(joined: pl.DataFrame, standard: SizeStandard) -> None:
    """Raise on null, unknown or ambiguous codes and on missing or negative needed measures."""
    code_missing = joined.get_column("industry_code").is_null()
    if code_missing.any():
        raise InvalidInput(
            f"{_rows_text(code_missing)}缺少行业代码", detail={"field": "industry_code"}
        )
    unknown = joined.get_column("status").is_null()
    if unknown.any():
        first = joined.filter(unknown).get_column("industry_code").head(1).item()
        standard.sector_for(first)  # raises InvalidCode with the catalogue's message
    ambiguous = joined.get_column("status") == "ambiguous"
    if ambiguous.any():
        first = joined.filter(ambiguous).get_column("industry_code").head(1).item()
        try:
            standard.sector_for(first)
        except InvalidInput as error:
            raise InvalidInput(
                f"{_rows_text(ambiguous)}：{error.message}", detail={"field": "industry_code"}
            ) from error
    for measure in MEASURES:
        value = pl.col(measure)
        needed = (pl.col("status") == "sector") & pl.col(f"large_{measure}").is_not_null()
        missing = joined.select(needed & (value.is_null() | value.is_nan())).to_series()
        if missing.any():
            raise InvalidInput(
                f"{_rows_text(missing)}缺少{standard.describe(measure)}，所属行业按该指标划型",
                detail={"field": measure},
            )
        negative = joined.select((value < 0).fill_null(False)).to_series()
        if negative.any():
            raise InvalidInput(
                f"{_rows_text(negative)}的{standard.describe(measure)}为负数",
                detail={"field": measure},
            )


def _meets(tier: str) -> pl.Expr:
    checks = [
        pl.col(f"{tier}_{measure}").is_null() | (pl.col(measure) >= pl.col(f"{tier}_{measure}"))
        for measure in MEASURES
    ]
    return pl.all_horizontal(checks)


def classify_size_frame(df: pl.DataFrame) -> pl.Series:
    """Vectorised :func:`classify_size`: one size per row of ``df``.

    Input columns: ``industry_code`` (GB/T 4754-2017, string), ``employees`` (从业人员, 人),
    ``revenue`` (营业收入, 万元), optional ``assets`` (资产总额, 万元); a measure column may be
    absent when no row's sector needs it. Output: a ``String`` series ``size`` in row order with
    '大型'/'中型'/'小型'/'微型', null for industries the standard does not cover. Raises
    :class:`InvalidCode` / :class:`InvalidInput` (naming the rows) as :func:`classify_size` does.
    """
    if "industry_code" not in df.columns:
        raise InvalidInput(
            "划型数据缺少 industry_code（行业代码）列", detail={"field": "industry_code"}
        )
    standard = size_standard()
    measures = [
        (pl.col(measure) if measure in df.columns else pl.lit(None)).cast(pl.Float64).alias(measure)
        for measure in MEASURES
    ]
    frame = df.select(
        pl.col("industry_code").cast(pl.String).str.strip_chars().str.to_uppercase(), *measures
    )
    joined = frame.join(
        standard.sector_table(), on="industry_code", how="left", maintain_order="left"
    )
    _check_frame(joined, standard)
    size = (
        pl.when(pl.col("status") != "sector")
        .then(pl.lit(None, dtype=pl.String))
        .when(_meets("large"))
        .then(pl.lit("大型"))
        .when(_meets("medium"))
        .then(pl.lit("中型"))
        .when(_meets("small"))
        .then(pl.lit("小型"))
        .otherwise(pl.lit("微型"))
    )
    return joined.select(size.alias("size")).to_series()
