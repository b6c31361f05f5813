"""Response schemas of the 特色化 service (:mod:`parkhq.services.industries`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = [
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
]

StructureLevel = Literal["division", "group", "class", "category"]


class ParkRef(BaseModel):
    """A park as shown to the principal: ``code`` is null for a park outside the scope."""

    code: str | None
    name: str


class RuleInfo(BaseModel):
    name: str
    version: str
    valid_from: str


class PeriodWindow(BaseModel):
    first: str | None
    last: str | None
    months: int


class IndustryRow(BaseModel):
    industry: str
    name: str
    output_value: float
    share: float | None
    firm_count: int
    lq_province: float | None
    lq_nation: float | None
    growth: float | None


class TreeNode(BaseModel):
    code: str
    name: str
    value: float
    children: list[TreeNode] = []


class Concentration(BaseModel):
    n_industries: int
    cr3: float | None
    hhi: float | None
    hhi_normalised: float | None
    entropy: float | None
    krugman_province: float | None
    krugman_nation: float | None


class LeadingIndustry(BaseModel):
    industry: str
    name: str
    output_value: float
    share: float | None
    lq_province: float | None
    declared: bool


class DeclaredItem(BaseModel):
    raw: str
    category: str | None
    method: str | None
    confidence: float


class CategoryShare(BaseModel):
    category: str
    output_value: float | None
    share: float | None


class DeclaredCheck(BaseModel):
    text: str
    count: int
    max_count: int
    exceeds_three: bool
    items: list[DeclaredItem]
    categories: list[str]
    unmapped: list[str]
    category_shares: list[CategoryShare]
    declared_output_share: float | None
    verdict: str
    verdict_label: str
    declared_but_not_real: list[str]
    real_but_undeclared: list[str]


class RelatedActivity(BaseModel):
    code: str
    name: str
    proximity: float


class Suggestion(BaseModel):
    rank: int
    code: str
    name: str
    score: float
    density: float
    complexity: float
    pci: float | None
    current_output: float
    rca: float
    overlap: float
    neighbours: int
    holders: list[ParkRef]
    hidden_holders: int
    related: list[RelatedActivity]
    raises_complexity: bool
    explanation: str


class Homogeneity(BaseModel):
    max_similarity: float
    most_similar: ParkRef | None
    top_max_lq: float | None
    low_level_homogeneity: bool


class ParkProfile(BaseModel):
    code: str
    name: str
    province_code: str
    province_name: str
    city_code: str | None
    city_name: str
    is_demo: bool
    period: PeriodWindow
    level: StructureLevel
    firm_count: int
    reporting_firms: int
    output_value: float
    output_growth: float | None
    structure: list[IndustryRow]
    treemap: list[TreeNode]
    concentration: Concentration
    leading: list[LeadingIndustry]
    declared: DeclaredCheck
    extension: list[Suggestion]
    extension_note: str
    homogeneity: Homogeneity
    rules: list[RuleInfo]


class ComplianceRow(BaseModel):
    code: str
    name: str
    city_code: str | None
    city_name: str
    output_value: float
    declared_text: str
    declared_count: int
    exceeds_three: bool
    declared_categories: list[str]
    unmapped: list[str]
    declared_output_share: float | None
    verdict: str
    verdict_label: str
    measured_leading: list[str]
    declared_but_not_real: list[str]
    real_but_undeclared: list[str]
    max_similarity: float
    most_similar: ParkRef | None
    tax_per_mu: float | None
    low_level_homogeneity: bool


class SimilarityPair(BaseModel):
    park_a: ParkRef
    park_b: ParkRef
    similarity: float
    krugman: float


class Cluster(BaseModel):
    label: str
    size: int
    mean_similarity: float
    members: list[ParkRef]
    hidden_members: int
    common_categories: list[str]


class Heatmap(BaseModel):
    parks: list[ParkRef]
    values: list[list[float]]
    truncated: bool


class SimilarityBlock(BaseModel):
    basis: Literal["measured", "declared"]
    level: str
    pairs: list[SimilarityPair]
    heatmap: Heatmap
    clusters: list[Cluster]


class CodeName(BaseModel):
    code: str
    name: str


class ProvinceOverview(BaseModel):
    province_code: str
    province_name: str
    city_code: str
    cities: list[CodeName]
    period: PeriodWindow
    parks: int
    exceeding: int
    low_level: int
    compliance: list[ComplianceRow]
    measured: SimilarityBlock
    declared: SimilarityBlock
    rules: list[RuleInfo]


class CatalogueZone(BaseModel):
    code: str
    name: str
    province_code: str
    province_name: str
    city_name: str
    level: str
    type: str
    approved_on: str
    area_ha: float | None
    declared_text: str
    count: int
    categories: list[str]
    unmapped: list[str]
    exceeds_three: bool
    is_demo: bool


class CategoryCount(BaseModel):
    category: str
    parks: int


class ProvinceCategories(BaseModel):
    province_code: str
    province_name: str
    parks: int
    exceeding: int
    top: list[CategoryCount]


class CatalogueView(BaseModel):
    province_code: str
    total: int
    exceeding: int
    offset: int
    limit: int
    zones: list[CatalogueZone]
    unmapped_names: list[str]
    top_categories: list[CategoryCount]
    by_province: list[ProvinceCategories]
    provinces: list[CodeName]
