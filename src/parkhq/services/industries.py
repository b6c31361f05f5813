"""特色化: a park's measured structure and 主导产业, the province overview and the zone catalogue.

Three use cases, each read-only:

* :func:`park_profile` — 园区画像: structure with shares, 区位熵 against the province and the
  nation, concentration, specialisation, growth, measured leading industries against the
  declared ones (≤ 3 badge, 主导产业集中度 verdict) and 延链 suggestions;
* :func:`province_overview` — 省级特色化: compliance table, structural similarity of measured
  structures and of declared portfolios, near-identical clusters and 低水平同质化 flags;
* :func:`catalogue_view` — 全国开发区目录: the imported catalogue's declared portfolios
  normalised, ≤ 3 violations, unplaced names and the most-declared categories by province.

Scope. 区位熵, similarity and relatedness need reference structures (the province, the nation,
the other parks), which a park or city user may not see. They are computed here over every firm
in the store, but only as aggregates; a response names a park only when it lies in the
principal's scope — any other park appears as an anonymous 范围外园区 or as a count. "Nation"
means every firm in the store. Nothing is cached between calls.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import func, select

from parkhq.analysis import declared as declared_analysis
from parkhq.analysis.cube import IndustryCube
from parkhq.analysis.extension import neighbour_pairs, park_complexity, suggest_extensions
from parkhq.analysis.leading import apply_leading_rules, compare_declared, leading_indicators
from parkhq.analysis.similarity import (
    low_level_homogeneity,
    pairwise_similarity,
    portfolio_similarity,
    similarity_clusters,
)
from parkhq.analysis.structure import (
    INDUSTRY,
    aggregate,
    concentration,
    growth,
    in_parks,
    location_quotient,
    specialisation,
)
from parkhq.errors import InvalidInput, NotFound
from parkhq.reference.categories import category_catalogue
from parkhq.reference.industries import industry_catalogue
from parkhq.reference.regions import region_catalogue
from parkhq.reference.rules import (
    ExtensionRules,
    LeadingRules,
    SimilarityRules,
    load_extension_rules,
    load_leading_rules,
    load_similarity_rules,
)
from parkhq.services.access import Principal
from parkhq.services.industries_schemas import (
    CatalogueView,
    CatalogueZone,
    CategoryCount,
    CategoryShare,
    Cluster,
    CodeName,
    ComplianceRow,
    Concentration,
    DeclaredCheck,
    DeclaredItem,
    Heatmap,
    Homogeneity,
    IndustryRow,
    LeadingIndustry,
    ParkProfile,
    ParkRef,
    PeriodWindow,
    ProvinceCategories,
    ProvinceOverview,
    RelatedActivity,
    RuleInfo,
    SimilarityBlock,
    SimilarityPair,
    StructureLevel,
    Suggestion,
    TreeNode,
)
from parkhq.store.db import Database
from parkhq.store.frames import read_frame
from parkhq.store.loaders import annual_firm_facts, latest_period, park_frame, trailing_periods
from parkhq.store.models import Enterprise, Park
from parkhq.store.scope import Scope, scoped

__all__ = [
    "OUTSIDE_NAME",
    "CatalogueView",
    "CatalogueZone",
    "CategoryCount",
    "CategoryShare",
    "Cluster",
    "CodeName",
    "ComplianceRow",
    "Concentration",
    "DeclaredCheck",
    "DeclaredItem",
    "Heatmap",
    "Homogeneity",
    "IndustryRow",
    "LeadingIndustry",
    "ParkProfile",
    "ParkRef",
    "PeriodWindow",
    "ProvinceCategories",
    "ProvinceOverview",
    "RelatedActivity",
    "RuleInfo",
    "SimilarityBlock",
    "SimilarityPair",
    "StructureLevel",
    "Suggestion",
    "TreeNode",
    "catalogue_view",
    "park_profile",
    "province_overview",
]

log = logging.getLogger(__name__)

OUTSIDE_NAME = "范围外园区"
"""How a park outside the principal's scope is shown (never by name or code)."""
HEATMAP_MAX = 150
PAIRS_MAX = 200


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Inputs:
    """Every firm and park of the store (aggregated only), and the principal's parks.

    ``cube`` holds the firms summed once per park × class: the analyses over all parks read it.
    """

    firms: pl.DataFrame
    cube: IndustryCube
    parks: pl.DataFrame
    visible: frozenset[str]
    period: PeriodWindow


_FIRM_COLUMNS = (
    "park_code",
    "province_code",
    "city_code",
    "industry_code",
    "output_value",
    "tax",
    "land_mu",
)


def _firms(db: Database, scope: Scope, periods: list[str]) -> pl.DataFrame:
    """Reporting firms with a 4-digit class: the columns the analyses read, nothing else."""
    facts = annual_firm_facts(db, scope, periods=periods)
    return facts.filter(
        (pl.col("months_reported") > 0)
        & pl.col("industry_code").is_not_null()
        & pl.col("industry_code").str.contains(r"^[0-9]{4}$")
    ).select(_FIRM_COLUMNS)


def _in_park_regions(firms: pl.DataFrame, parks: pl.DataFrame) -> pl.DataFrame:
    """Firms in a park take the park's province and prefecture (a park lies in one region)."""
    regions = parks.select(
        "park_code",
        pl.col("province_code").alias("park_province"),
        pl.col("city_code").alias("park_city"),
    )
    return (
        firms.join(regions, on="park_code", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("park_code").is_not_null())
            .then(pl.col("park_province"))
            .otherwise(pl.col("province_code"))
            .alias("province_code"),
            pl.when(pl.col("park_code").is_not_null())
            .then(pl.col("park_city"))
            .otherwise(pl.col("city_code"))
            .alias("city_code"),
        )
        .select(_FIRM_COLUMNS)
    )


def _load(db: Database, principal: Principal) -> _Inputs:
    everything = Scope.everything()
    last = latest_period(db, everything)
    periods = trailing_periods(last) if last else []
    parks = park_frame(db, everything).drop("park_id")
    firms = _in_park_regions(_firms(db, everything, periods), parks)
    cube = IndustryCube.from_firms(
        firms,
        ("output_value", "tax", "land_mu"),
        parks=parks.select("park_code", "province_code", "city_code"),
    )
    visible = frozenset(park_frame(db, principal.scope).get_column("park_code").to_list())
    window = PeriodWindow(first=periods[0] if periods else None, last=last, months=len(periods))
    return _Inputs(firms=firms, cube=cube, parks=parks, visible=visible, period=window)


def _rule_info(*rules: LeadingRules | SimilarityRules | ExtensionRules) -> list[RuleInfo]:
    return [
        RuleInfo(name=r.name, version=r.version, valid_from=r.valid_from.isoformat()) for r in rules
    ]


def _industry_name(code: str) -> str:
    found = industry_catalogue().find(code)
    return found.name if found is not None else code


def _region_name(code: str | None) -> str:
    if not code:
        return ""
    found = region_catalogue().find(code)
    return found.name if found is not None else code


def _class_map(level: str) -> pl.DataFrame | None:
    if level == "category":
        return category_catalogue().frame()
    if level == "section":
        return (
            industry_catalogue()
            .frame()
            .filter(pl.col("level") == "class")
            .select(pl.col("code").alias("class_code"), "section")
        )
    return None


def _display_name(level: str, code: str) -> str:
    return code if level == "category" else _industry_name(code)


def _declared_rows(parks: pl.DataFrame) -> pl.DataFrame:
    """Normalised declared items: park_code, position, raw, category, method, confidence."""
    items = declared_analysis.normalise_frame(parks, "declared_industries")
    codes = parks.select("park_code").with_row_index("row")
    return items.join(codes, on="row", how="inner").drop("row")


def _portfolios(parks: pl.DataFrame) -> pl.DataFrame:
    """Per park: count, categories, unmapped, exceeds_three (the ≤ 3 check)."""
    frame = declared_analysis.portfolio_frame(parks, "declared_industries")
    codes = parks.select(pl.col("park_code").cast(pl.String)).with_row_index("row")
    return codes.join(frame, on="row").drop("row")


class _Refs:
    """Shows parks inside the scope by name and code, any other as :data:`OUTSIDE_NAME`."""

    def __init__(self, parks: pl.DataFrame, visible: frozenset[str]) -> None:
        self.names = dict(zip(parks.get_column("park_code"), parks.get_column("name"), strict=True))
        self.visible = visible

    def ref(self, code: str | None) -> ParkRef | None:
        if code is None:
            return None
        if code in self.visible:
            return ParkRef(code=code, name=self.names.get(code, code))
        return ParkRef(code=None, name=OUTSIDE_NAME)

    def shown(self, codes: Iterable[str]) -> tuple[list[ParkRef], int]:
        listed = sorted(c for c in codes if c in self.visible)
        hidden = sum(1 for c in codes if c not in self.visible)
        return [ParkRef(code=c, name=self.names.get(c, c)) for c in listed], hidden


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# --------------------------------------------------------------------------- park profile


def _structure_rows(
    firms: pl.DataFrame, previous: pl.DataFrame, code: str, level: StructureLevel
) -> list[IndustryRow]:
    class_map = _class_map(level)
    indicators = leading_indicators(firms, level=level, class_map=class_map).filter(
        pl.col("park_code") == code
    )
    windows = pl.concat(
        [
            previous.filter(pl.col("park_code") == code).with_columns(pl.lit(0).alias("window")),
            firms.filter(pl.col("park_code") == code).with_columns(pl.lit(1).alias("window")),
        ]
    )
    yoy = (
        growth(
            aggregate(windows, ("park_code", "window"), level, class_map=class_map),
            period_column="window",
        )
        .filter(pl.col("window") == 1)
        .select(INDUSTRY, pl.col("output_value_yoy").alias("growth"))
    )
    joined = indicators.drop("growth").join(yoy, on=INDUSTRY, how="left")
    return [
        IndustryRow(
            industry=row[INDUSTRY],
            name=_display_name(level, row[INDUSTRY]),
            output_value=float(row["output_value"] or 0.0),
            share=_float(row["share"]),
            firm_count=int(row["firm_count"]),
            lq_province=_float(row["lq_province"]),
            lq_nation=_float(row["lq_nation"]),
            growth=_float(row["growth"]),
        )
        for row in joined.sort("output_value", descending=True).iter_rows(named=True)
    ]


def _treemap(park_firms: pl.DataFrame) -> list[TreeNode]:
    """Divisions with their groups (工业总产值, 万元), largest first."""
    groups = aggregate(park_firms, (), "group").filter(pl.col("output_value") > 0)
    nodes: dict[str, TreeNode] = {}
    for row in groups.sort("output_value", descending=True).iter_rows(named=True):
        division = row[INDUSTRY][:2]
        parent = nodes.setdefault(
            division, TreeNode(code=division, name=_industry_name(division), value=0.0)
        )
        value = float(row["output_value"])
        parent.value += value
        parent.children.append(
            TreeNode(code=row[INDUSTRY], name=_industry_name(row[INDUSTRY]), value=value)
        )
    return sorted(nodes.values(), key=lambda n: -n.value)


def _concentration(inputs: _Inputs, code: str, province: str) -> Concentration:
    firms = inputs.firms
    park = aggregate(
        firms.filter(pl.col("park_code") == code), ("park_code", "province_code"), "division"
    )
    metrics = concentration(park)
    row = metrics.row(0, named=True) if metrics.height else {}
    province_agg = aggregate(firms.filter(pl.col("province_code") == province), ("province_code",))
    nation = aggregate(firms, (), "division")
    krugman_p = specialisation(park, province_agg) if park.height else pl.DataFrame()
    krugman_n = (
        specialisation(park, nation, unit_by=("park_code",), reference_by=())
        if park.height
        else pl.DataFrame()
    )
    return Concentration(
        n_industries=int(row.get("n_industries") or 0),
        cr3=_float(row.get("cr3")),
        hhi=_float(row.get("hhi")),
        hhi_normalised=_float(row.get("hhi_normalised")),
        entropy=_float(row.get("entropy")),
        krugman_province=_float(krugman_p.item(0, "krugman")) if krugman_p.height else None,
        krugman_nation=_float(krugman_n.item(0, "krugman")) if krugman_n.height else None,
    )


def _declared_check(
    inputs: _Inputs, code: str, leading: pl.DataFrame, rules: LeadingRules
) -> DeclaredCheck:
    park = inputs.parks.filter(pl.col("park_code") == code)
    text = str(park.item(0, "declared_industries") or "")
    portfolio = declared_analysis.normalise_declared(text)
    rows = _declared_rows(park)
    category_map = category_catalogue().frame()
    firms = inputs.firms.filter(pl.col("park_code") == code)
    if rows.height:
        compared = compare_declared(
            firms, rows, category_map, leading, rules, class_map=_class_map(rules.level)
        )
        result = compared.row(0, named=True)
    else:
        result = {}
    shares = _category_share_rows(firms, rows, category_map) if rows.height and firms.height else []
    return DeclaredCheck(
        text=text,
        count=portfolio.count,
        max_count=rules.declared.max_count.value,
        exceeds_three=portfolio.count > rules.declared.max_count.value,
        items=[
            DeclaredItem(raw=i.raw, category=i.category, method=i.method, confidence=i.confidence)
            for i in portfolio.items
        ],
        categories=list(portfolio.categories),
        unmapped=list(portfolio.unmapped),
        category_shares=shares,
        declared_output_share=_float(result.get("declared_output_share")),
        verdict=str(result.get("verdict") or "no_data"),
        verdict_label=str(result.get("verdict_label") or "无产值数据"),
        declared_but_not_real=list(result.get("declared_but_not_real") or []),
        real_but_undeclared=[
            _display_name(rules.level, c) for c in result.get("real_but_undeclared") or []
        ],
    )


def _category_share_rows(
    firms: pl.DataFrame, rows: pl.DataFrame, category_map: pl.DataFrame
) -> list[CategoryShare]:
    from parkhq.analysis.leading import declared_category_shares

    shares = declared_category_shares(firms, rows, category_map)
    return [
        CategoryShare(
            category=r["category"], output_value=_float(r["output_value"]), share=_float(r["share"])
        )
        for r in shares.iter_rows(named=True)
    ]


def _explain(
    name: str, related: list[RelatedActivity], holders: list[ParkRef], hidden: int, n: int
) -> str:
    parts = []
    if related:
        listed = "、".join(f"{r.name}（邻近度 {r.proximity:.2f}）" for r in related)
        parts.append(f"园区已具备优势的{listed}与“{name}”关联紧密")
    held = len(holders) + hidden
    if n == 0:
        parts.append("没有可比较的邻近园区")
    elif held == 0:
        parts.append(f"{n} 个邻近园区均未形成该产业优势，利于错位发展")
    else:
        named = "、".join(h.name for h in holders)
        extra = f"（{named}{'等' if hidden else ''}）" if holders else ""
        parts.append(f"{n} 个邻近园区中已有 {held} 个形成该产业优势{extra}，需注意错位")
    return "；".join(parts) + "。"


def _extension(
    inputs: _Inputs, code: str, rules: ExtensionRules, refs: _Refs
) -> tuple[list[Suggestion], str]:
    result = park_complexity(inputs.cube, rules)
    if result is None:
        return [], "库中有产值的园区或行业不足 2 个，无法计算产业关联，暂无延链建议。"
    if code not in set(result.locations.get_column("location").to_list()):
        return [], "本园区暂无产值数据，无法计算产业关联。"
    neighbours = neighbour_pairs(inputs.parks, rules.neighbours)
    found = suggest_extensions(result, neighbours, rules, locations=[code]).suggestions
    suggestions = []
    for row in found.iter_rows(named=True):
        related = [
            RelatedActivity(code=a, name=_industry_name(a), proximity=float(p))
            for a, p in zip(row["related_activities"], row["related_proximity"], strict=True)
        ]
        holders, hidden = refs.shown(row["neighbour_holders"])
        name = _industry_name(row["activity"])
        suggestions.append(
            Suggestion(
                rank=int(row["rank"]),
                code=row["activity"],
                name=name,
                score=float(row["score"]),
                density=float(row["density"]),
                complexity=float(row["complexity"]),
                pci=_float(row["pci"]),
                current_output=float(row["value"]),
                rca=float(row["rca"]),
                overlap=float(row["overlap"]),
                neighbours=int(row["neighbours"]),
                holders=holders,
                hidden_holders=hidden,
                related=related,
                raises_complexity=bool(row["raises_complexity"]),
                explanation=_explain(name, related, holders, hidden, int(row["neighbours"])),
            )
        )
    note = "" if suggestions else "未找到关联密度达到门槛的延链方向。"
    return suggestions, note


def _leading_list(
    leading: pl.DataFrame, code: str, check: DeclaredCheck, rules: LeadingRules
) -> list[LeadingIndustry]:
    undeclared = set(check.real_but_undeclared)
    rows = leading.filter((pl.col("park_code") == code) & pl.col("is_leading")).sort("leading_rank")
    out = []
    for row in rows.iter_rows(named=True):
        name = _display_name(rules.level, row[INDUSTRY])
        out.append(
            LeadingIndustry(
                industry=row[INDUSTRY],
                name=name,
                output_value=float(row[rules.measure] or 0.0),
                share=_float(row["share"]),
                lq_province=_float(row["lq_province"]),
                declared=name not in undeclared,
            )
        )
    return out


def park_profile(
    db: Database, principal: Principal, code: str, *, level: StructureLevel = "division"
) -> ParkProfile:
    """园区画像 of one park in the principal's scope (see the module docstring)."""
    principal.require("stats:read")
    if level not in ("division", "group", "class", "category"):
        raise InvalidInput(f"结构层级 {level!r} 不合法，应为 division/group/class/category")
    inputs = _load(db, principal)
    if code not in inputs.visible:
        raise NotFound(f"园区 '{code}' 不存在或不在您的权限范围内")
    park = inputs.parks.filter(pl.col("park_code") == code).row(0, named=True)
    leading_rules, similarity_rules = load_leading_rules(), load_similarity_rules()
    extension_rules = load_extension_rules()
    previous = _previous_firms(db, code, inputs.period)
    park_firms = inputs.firms.filter(pl.col("park_code") == code)
    leading = apply_leading_rules(
        leading_indicators(
            inputs.cube, level=leading_rules.level, class_map=_class_map(leading_rules.level)
        ),
        leading_rules,
    )
    check = _declared_check(inputs, code, leading, leading_rules)
    refs = _Refs(inputs.parks, inputs.visible)
    extension, note = _extension(inputs, code, extension_rules, refs)
    output = float(park_firms.get_column("output_value").sum() or 0.0)
    before = float(previous.get_column("output_value").sum() or 0.0)
    province = str(park["province_code"])
    return ParkProfile(
        code=code,
        name=str(park["name"]),
        province_code=province,
        province_name=_region_name(province),
        city_code=park["city_code"],
        city_name=_region_name(park["city_code"]),
        is_demo=bool(park["is_demo"]),
        period=inputs.period,
        level=level,
        firm_count=_registered_firms(db, code),
        reporting_firms=park_firms.height,
        output_value=output,
        output_growth=output / before - 1 if before > 0 else None,
        structure=_structure_rows(inputs.firms, previous, code, level),
        treemap=_treemap(park_firms),
        concentration=_concentration(inputs, code, province),
        leading=_leading_list(leading, code, check, leading_rules),
        declared=check,
        extension=extension,
        extension_note=note,
        homogeneity=_park_homogeneity(inputs, code, province, similarity_rules, refs),
        rules=_rule_info(leading_rules, similarity_rules, extension_rules),
    )


def _previous_firms(db: Database, code: str, window: PeriodWindow) -> pl.DataFrame:
    """The park's firms in the 12 months before the current window (for growth)."""
    if window.last is None:
        return pl.DataFrame(schema=dict.fromkeys(_FIRM_COLUMNS, pl.String()))
    year, month = int(window.last[:4]) - 1, window.last[5:7]
    return _firms(db, Scope("park", frozenset({code})), trailing_periods(f"{year}-{month}"))


def _registered_firms(db: Database, code: str) -> int:
    with db.transaction() as s:
        count = s.scalar(
            select(func.count(Enterprise.id))
            .join(Park, Park.id == Enterprise.park_id)
            .where(Park.code == code)
        )
    return int(count or 0)


def _province_similarity(
    inputs: _Inputs, province: str, rules: SimilarityRules
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All measured pairs within the province (S ≥ 0) and its parks' 区位熵 profile."""
    firms = inputs.cube.filter(pl.col("province_code") == province)
    class_map = _class_map(rules.level)
    structure = aggregate(
        in_parks(firms),
        ("park_code", "province_code"),
        rules.level,
        rules.measure,
        class_map=class_map,
    )
    pairs = pairwise_similarity(structure, measure=rules.measure, within=("province_code",))
    reference = aggregate(
        firms, ("province_code",), rules.level, rules.measure, class_map=class_map
    )
    profile = location_quotient(structure, reference, measure=rules.measure)
    return pairs, profile


def _per_mu(firms: pl.DataFrame) -> pl.DataFrame | None:
    """亩均税收 (万元/亩) per park from the land its firms hold; None without land data."""
    with_land = firms.filter(pl.col("park_code").is_not_null())
    per_park = with_land.group_by("park_code", "province_code").agg(
        pl.col("tax").sum(), pl.col("land_mu").sum()
    )
    if per_park.filter(pl.col("land_mu") > 0).height == 0:
        return None
    return per_park.select(
        "park_code",
        "province_code",
        pl.when(pl.col("land_mu") > 0).then(pl.col("tax") / pl.col("land_mu")).alias("tax_per_mu"),
    )


def _park_homogeneity(
    inputs: _Inputs, code: str, province: str, rules: SimilarityRules, refs: _Refs
) -> Homogeneity:
    pairs, profile = _province_similarity(inputs, province, rules)
    per_mu = _per_mu(inputs.firms.filter(pl.col("province_code") == province))
    flags = low_level_homogeneity(pairs, profile, rules, per_mu=per_mu).filter(
        pl.col("park_code") == code
    )
    if flags.height == 0:
        return Homogeneity(
            max_similarity=0.0, most_similar=None, top_max_lq=None, low_level_homogeneity=False
        )
    row = flags.row(0, named=True)
    return Homogeneity(
        max_similarity=float(row["max_similarity"]),
        most_similar=refs.ref(row["most_similar_park"]),
        top_max_lq=_float(row["top_max_lq"]),
        low_level_homogeneity=bool(row["low_level_homogeneity"]),
    )


# --------------------------------------------------------------------------- province overview


def _default_province(principal: Principal, visible: pl.DataFrame) -> str:
    if principal.scope.kind == "province" and principal.scope.codes:
        return sorted(principal.scope.codes)[0]
    counts = (
        visible.group_by("province_code")
        .len()
        .sort(["len", "province_code"], descending=[True, False])
    )
    return str(counts.item(0, "province_code")) if counts.height else ""


def _pair_lookup(pairs: pl.DataFrame) -> dict[tuple[str, str], float]:
    table: dict[tuple[str, str], float] = {}
    for a, b, value in pairs.select("park_a", "park_b", "similarity").iter_rows():
        table[(a, b)] = table[(b, a)] = float(value)
    return table


def _heatmap(pairs: pl.DataFrame, codes: list[str], refs: _Refs) -> Heatmap:
    lookup = _pair_lookup(pairs)
    shown = codes[:HEATMAP_MAX]
    values = [[1.0 if a == b else round(lookup.get((a, b), 0.0), 4) for b in shown] for a in shown]
    parks = [ParkRef(code=c, name=refs.names.get(c, c)) for c in shown]
    return Heatmap(parks=parks, values=values, truncated=len(codes) > len(shown))


def _pair_list(
    pairs: pl.DataFrame, focus: frozenset[str], threshold: float, refs: _Refs
) -> list[SimilarityPair]:
    chosen = pairs.filter(
        (pl.col("similarity") >= threshold)
        & (pl.col("park_a").is_in(sorted(focus)) | pl.col("park_b").is_in(sorted(focus)))
    ).sort(["similarity", "park_a", "park_b"], descending=[True, False, False])
    out = []
    for row in chosen.head(PAIRS_MAX).iter_rows(named=True):
        a, b = refs.ref(row["park_a"]), refs.ref(row["park_b"])
        assert a is not None and b is not None
        if a.code is None:
            a, b = b, a
        out.append(
            SimilarityPair(
                park_a=a,
                park_b=b,
                similarity=float(row["similarity"]),
                krugman=float(row["krugman"]),
            )
        )
    return out


def _clusters(
    pairs: pl.DataFrame,
    threshold: float,
    focus: frozenset[str],
    refs: _Refs,
    categories: dict[str, list[str]],
) -> list[Cluster]:
    found = similarity_clusters(pairs, threshold)
    groups = []
    for members in (
        found.group_by("cluster_id")
        .agg("park_code", pl.col("cluster_mean_similarity").first())
        .iter_rows(named=True)
    ):
        codes = list(members["park_code"])
        if not focus.intersection(codes):
            continue
        shared = set(categories.get(codes[0], []))
        for other in codes[1:]:
            shared &= set(categories.get(other, []))
        listed, hidden = refs.shown(codes)
        groups.append(
            (len(codes), listed, hidden, float(members["cluster_mean_similarity"]), sorted(shared))
        )
    groups.sort(key=lambda g: (-g[0], g[1][0].code if g[1] else ""))
    return [
        Cluster(
            label=f"第 {i} 组",
            size=size,
            mean_similarity=mean,
            members=listed,
            hidden_members=hidden,
            common_categories=shared,
        )
        for i, (size, listed, hidden, mean, shared) in enumerate(groups, start=1)
    ]


@dataclass(frozen=True)
class _ProvinceFacts:
    parks: pl.DataFrame
    portfolios: pl.DataFrame
    compared: pl.DataFrame
    leading: pl.DataFrame
    flags: pl.DataFrame
    per_mu: pl.DataFrame | None
    measured_pairs: pl.DataFrame
    declared_pairs: pl.DataFrame
    output: dict[str, float]


def _province_facts(
    inputs: _Inputs, province: str, leading_rules: LeadingRules, rules: SimilarityRules
) -> _ProvinceFacts:
    parks = inputs.parks.filter(pl.col("province_code") == province)
    declared_rows = _declared_rows(parks)
    firms = inputs.firms.filter(pl.col("province_code") == province)
    leading = apply_leading_rules(
        leading_indicators(
            inputs.cube, level=leading_rules.level, class_map=_class_map(leading_rules.level)
        ).filter(pl.col("province_code") == province),
        leading_rules,
    )
    compared = (
        compare_declared(
            inputs.cube.filter(pl.col("province_code") == province),
            declared_rows,
            category_catalogue().frame(),
            leading,
            leading_rules,
            class_map=_class_map(leading_rules.level),
        )
        if declared_rows.height
        else pl.DataFrame()
    )
    pairs, profile = _province_similarity(inputs, province, rules)
    per_mu = _per_mu(firms)
    declared_pairs = portfolio_similarity(
        declared_rows.with_columns(pl.lit(province).alias("province_code")),
        within=("province_code",),
    )
    output = dict(firms.group_by("park_code").agg(pl.col("output_value").sum()).iter_rows())
    return _ProvinceFacts(
        parks=parks,
        portfolios=_portfolios(parks),
        compared=compared,
        leading=leading,
        flags=low_level_homogeneity(pairs, profile, rules, per_mu=per_mu),
        per_mu=per_mu,
        measured_pairs=pairs,
        declared_pairs=declared_pairs,
        output={str(k): float(v or 0.0) for k, v in output.items() if k is not None},
    )


def _by_park(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    if frame.height == 0:
        return {}
    return {row["park_code"]: row for row in frame.iter_rows(named=True)}


def _compliance(
    facts: _ProvinceFacts, focus: list[str], leading_rules: LeadingRules, refs: _Refs
) -> list[ComplianceRow]:
    portfolios = _by_park(facts.portfolios)
    compared = _by_park(facts.compared)
    flags = _by_park(facts.flags)
    per_mu = _by_park(facts.per_mu) if facts.per_mu is not None else {}
    parks = _by_park(facts.parks)
    leading = (
        facts.leading.filter(pl.col("is_leading"))
        .sort("park_code", "leading_rank")
        .group_by("park_code", maintain_order=True)
        .agg(pl.col(INDUSTRY))
    )
    leading_names = {
        code: [_display_name(leading_rules.level, c) for c in codes]
        for code, codes in leading.iter_rows()
    }
    max_count = leading_rules.declared.max_count.value
    rows = []
    for code in focus:
        park, folio = parks[code], portfolios.get(code, {})
        cmp, flag = compared.get(code, {}), flags.get(code, {})
        count = int(folio.get("count") or 0)
        rows.append(
            ComplianceRow(
                code=code,
                name=str(park["name"]),
                city_code=park["city_code"],
                city_name=_region_name(park["city_code"]),
                output_value=facts.output.get(code, 0.0),
                declared_text=str(park["declared_industries"] or ""),
                declared_count=count,
                exceeds_three=count > max_count,
                declared_categories=list(folio.get("categories") or []),
                unmapped=list(folio.get("unmapped") or []),
                declared_output_share=_float(cmp.get("declared_output_share")),
                verdict=str(cmp.get("verdict") or "no_data"),
                verdict_label=str(cmp.get("verdict_label") or "无产值数据"),
                measured_leading=leading_names.get(code, []),
                declared_but_not_real=list(cmp.get("declared_but_not_real") or []),
                real_but_undeclared=[
                    _display_name(leading_rules.level, c)
                    for c in cmp.get("real_but_undeclared") or []
                ],
                max_similarity=float(flag.get("max_similarity") or 0.0),
                most_similar=refs.ref(flag.get("most_similar_park")),
                tax_per_mu=_float(per_mu.get(code, {}).get("tax_per_mu")),
                low_level_homogeneity=bool(flag.get("low_level_homogeneity")),
            )
        )
    return rows


def province_overview(
    db: Database, principal: Principal, *, province: str = "", city: str = ""
) -> ProvinceOverview:
    """省级特色化 overview of one province: the principal's parks there (optionally one city).

    Similarity, clusters and 低水平同质化 are computed over every park of the province; parks
    outside the principal's scope appear only anonymously (:data:`OUTSIDE_NAME`) or as counts.
    ``province`` defaults to the principal's province (or the province holding most of its
    parks). Raises :class:`NotFound` when the principal has no park in that province.
    """
    principal.require("stats:read")
    inputs = _load(db, principal)
    visible = inputs.parks.filter(pl.col("park_code").is_in(sorted(inputs.visible)))
    province = province or _default_province(principal, visible)
    mine = visible.filter(pl.col("province_code") == province)
    if mine.height == 0:
        raise NotFound(f"省级区划 '{province}' 中没有您权限范围内的园区")
    cities = sorted({c for c in mine.get_column("city_code").to_list() if c})
    focus_frame = mine.filter(pl.col("city_code") == city) if city else mine
    focus = sorted(focus_frame.get_column("park_code").to_list())
    leading_rules, rules = load_leading_rules(), load_similarity_rules()
    facts = _province_facts(inputs, province, leading_rules, rules)
    refs = _Refs(inputs.parks, inputs.visible)
    focus_set = frozenset(focus)
    compliance = _compliance(facts, focus, leading_rules, refs)
    ordered = [r.code for r in sorted(compliance, key=lambda r: (-r.output_value, r.code))]
    leading_sets = {r.code: r.measured_leading for r in compliance}
    declared_sets = {
        row["park_code"]: list(row["categories"]) for row in facts.portfolios.iter_rows(named=True)
    }
    considerable = rules.considerable_similarity.value
    cluster_at = rules.cluster_similarity.value
    return ProvinceOverview(
        province_code=province,
        province_name=_region_name(province),
        city_code=city,
        cities=[CodeName(code=c, name=_region_name(c)) for c in cities],
        period=inputs.period,
        parks=len(compliance),
        exceeding=sum(r.exceeds_three for r in compliance),
        low_level=sum(r.low_level_homogeneity for r in compliance),
        compliance=sorted(compliance, key=lambda r: r.code),
        measured=SimilarityBlock(
            basis="measured",
            level=rules.level,
            pairs=_pair_list(facts.measured_pairs, focus_set, considerable, refs),
            heatmap=_heatmap(facts.measured_pairs, ordered, refs),
            clusters=_clusters(facts.measured_pairs, cluster_at, focus_set, refs, leading_sets),
        ),
        declared=SimilarityBlock(
            basis="declared",
            level="category",
            pairs=_pair_list(facts.declared_pairs, focus_set, considerable, refs),
            heatmap=_heatmap(facts.declared_pairs, ordered, refs),
            clusters=_clusters(facts.declared_pairs, cluster_at, focus_set, refs, declared_sets),
        ),
        rules=_rule_info(leading_rules, rules),
    )


# --------------------------------------------------------------------------- catalogue


def _top_categories(portfolios: pl.DataFrame, limit: int) -> list[CategoryCount]:
    counts = (
        portfolios.select("park_code", "categories")
        .explode("categories")
        .drop_nulls("categories")
        .group_by("categories")
        .agg(pl.col("park_code").n_unique().alias("parks"))
        .sort(["parks", "categories"], descending=[True, False])
        .head(limit)
    )
    return [CategoryCount(category=c, parks=int(n)) for c, n in counts.iter_rows()]


def _by_province(
    parks: pl.DataFrame, portfolios: pl.DataFrame, max_count: int
) -> list[ProvinceCategories]:
    joined = parks.select("park_code", "province_code").join(portfolios, on="park_code")
    out = []
    for (province,), part in sorted(joined.group_by("province_code"), key=lambda g: str(g[0][0])):
        out.append(
            ProvinceCategories(
                province_code=str(province),
                province_name=_region_name(str(province)),
                parks=part.height,
                exceeding=part.filter(pl.col("count") > max_count).height,
                top=_top_categories(part, 5),
            )
        )
    return out


def _catalogue_frame(db: Database, scope: Scope) -> pl.DataFrame:
    """The catalogue columns of the parks in ``scope``."""
    stmt = scoped(
        select(
            Park.code.label("park_code"),
            Park.name,
            Park.level,
            Park.type,
            Park.province_code,
            Park.city_name,
            Park.approved_on,
            Park.area_ha,
            Park.declared_industries,
            Park.is_demo,
        ),
        Park,
        scope,
    )
    text = dict.fromkeys(
        ("park_code", "name", "level", "type", "province_code", "city_name", "approved_on"),
        pl.String(),
    )
    schema = {**text, "declared_industries": pl.String(), "area_ha": pl.Float64()}
    return read_frame(db, stmt, schema={**schema, "is_demo": pl.Boolean()})


def catalogue_view(
    db: Database,
    principal: Principal,
    *,
    province: str = "",
    q: str = "",
    exceeding_only: bool = False,
    offset: int = 0,
    limit: int = 200,
) -> CatalogueView:
    """全国开发区目录: the zones in the principal's scope with their normalised portfolios.

    Zones are filtered by ``province``, ``q`` (name or code contains) and ``exceeding_only``
    (declaring more than the rule's maximum) and paged. ``by_province`` counts, for every
    province in the store, its zones, those exceeding and the five most-declared categories —
    aggregates of the public catalogue that name no zone.
    """
    principal.require("park:read")
    max_count = load_leading_rules().declared.max_count.value
    everything = park_frame(db, Scope.everything())
    portfolios = _portfolios(everything)
    visible = _catalogue_frame(db, principal.scope).join(portfolios, on="park_code", how="left")
    chosen = visible.filter(pl.col("province_code") == province) if province else visible
    if q:
        chosen = chosen.filter(
            pl.col("name").str.contains(q, literal=True)
            | pl.col("park_code").str.contains(q, literal=True)
        )
    if exceeding_only:
        chosen = chosen.filter(pl.col("count") > max_count)
    chosen = chosen.sort("park_code")
    unmapped = sorted(set(chosen.get_column("unmapped").explode().drop_nulls().to_list()))
    zones = [
        CatalogueZone(
            code=row["park_code"],
            name=row["name"],
            province_code=row["province_code"],
            province_name=_region_name(row["province_code"]),
            city_name=row["city_name"] or "",
            level=row["level"],
            type=row["type"],
            approved_on=row["approved_on"] or "",
            area_ha=_float(row["area_ha"]),
            declared_text=row["declared_industries"] or "",
            count=int(row["count"] or 0),
            categories=list(row["categories"] or []),
            unmapped=list(row["unmapped"] or []),
            exceeds_three=int(row["count"] or 0) > max_count,
            is_demo=bool(row["is_demo"]),
        )
        for row in chosen.slice(offset, limit).iter_rows(named=True)
    ]
    provinces = sorted(set(visible.get_column("province_code").to_list()))
    return CatalogueView(
        province_code=province,
        total=chosen.height,
        exceeding=chosen.filter(pl.col("count") > max_count).height,
        offset=offset,
        limit=limit,
        zones=zones,
        unmapped_names=unmapped[:200],
        top_categories=_top_categories(chosen, 15),
        by_province=_by_province(everything, portfolios, max_count),
        provinces=[CodeName(code=p, name=_region_name(p)) for p in provinces],
    )
