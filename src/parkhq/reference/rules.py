"""Rule sets for the 特色化 analysis: measured leading industries and park homogeneity.

Two YAML files ship in ``parkhq/reference/data/``:

* ``leading_rules.yaml`` — how a measured 主导产业 is recognised (share, 区位熵, size floor,
  growth, top-N cap, all/any logic) and how declared 主导产业 are judged (≤3 rule, 70 % / 40 %
  reference points, coverage);
* ``similarity_rules.yaml`` — UNIDO similarity thresholds (高度同构), the cluster threshold and
  the three conditions of the 低水平同质化 flag;
* ``extension_rules.yaml`` — how 延链 suggestions are scored (relatedness density, a
  complexity term, the penalty for overlap with neighbour parks) and explained.

Every threshold carries its ``source`` and a ``confidence`` tag (``C`` confirmed in a public
source, ``S`` secondary source, ``U`` unconfirmed / local default), because local governments set
many of these values themselves. A rule set has a ``name``, ``source``, ``version`` and
``valid_from``. The analysis functions (:mod:`parkhq.analysis.leading`,
:mod:`parkhq.analysis.similarity`, :mod:`parkhq.analysis.extension`) receive these models; they
never read files.

A rule set stored elsewhere (a database record, an upload) is validated with
:func:`parse_leading_rules` / :func:`parse_similarity_rules` / :func:`parse_extension_rules`;
every problem raises :class:`parkhq.errors.RuleSetError` with a Chinese message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from parkhq.errors import RuleSetError

__all__ = [
    "CRITERION_INDICATORS",
    "Confidence",
    "CountRule",
    "DeclaredRules",
    "ExtensionLevel",
    "ExtensionRules",
    "LeadingCriterion",
    "LeadingRules",
    "LowLevelRules",
    "NeighbourRules",
    "RuleLevel",
    "RuleMeasure",
    "SimilarityRules",
    "Threshold",
    "load_extension_rules",
    "load_leading_rules",
    "load_similarity_rules",
    "parse_extension_rules",
    "parse_leading_rules",
    "parse_similarity_rules",
]

Confidence = Literal["C", "S", "U"]
"""``C`` confirmed in a public source, ``S`` secondary source only, ``U`` unconfirmed."""

RuleLevel = Literal["section", "division", "group", "class", "category"]
"""GB/T 4754 level (门类/大类/中类/小类) or ``category`` (a named category such as 电子信息)."""

RuleMeasure = Literal["output_value", "revenue", "value_added", "employees"]
"""Measure of industry size: 工业总产值/营业收入/工业增加值 (万元) or 从业人员 (人)."""

CriterionIndicator = Literal["share", "lq_province", "lq_nation", "size", "growth"]

CRITERION_INDICATORS: tuple[CriterionIndicator, ...] = (
    "share",
    "lq_province",
    "lq_nation",
    "size",
    "growth",
)
"""Indicators a leading-industry criterion may test (see :class:`LeadingCriterion`)."""

LEADING_RULES_FILE = "leading_rules.yaml"
SIMILARITY_RULES_FILE = "similarity_rules.yaml"
EXTENSION_RULES_FILE = "extension_rules.yaml"

ExtensionLevel = Literal["division", "group", "class"]
"""GB/T 4754 level of the activities in 延链 suggestions (大类/中类/小类)."""

_ModelT = TypeVar("_ModelT", bound=BaseModel)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Threshold(_Model):
    """A numeric threshold with the document it comes from and how sure we are of it."""

    value: float
    source: str = Field(min_length=1)
    confidence: Confidence


class CountRule(_Model):
    """A whole-number limit (for example at most 3 leading industries) with its source."""

    value: int = Field(ge=1)
    source: str = Field(min_length=1)
    confidence: Confidence


class LeadingCriterion(_Model):
    """One test a candidate industry must pass: ``indicator ≥ min``.

    Indicators (columns of :func:`parkhq.analysis.leading.leading_indicators`):

    * ``share`` — share of the park's total measure (0–1);
    * ``lq_province`` / ``lq_nation`` — 区位熵 against the province / all firms in the data;
    * ``size`` — the industry's absolute measure in the park (万元, or 人 for ``employees``);
    * ``growth`` — year-on-year growth of the measure (0.1 = +10 %); needs two periods of data.

    A missing value (null) never satisfies a criterion.
    """

    indicator: CriterionIndicator
    min: float
    source: str = Field(min_length=1)
    confidence: Confidence

    @model_validator(mode="after")
    def _range(self) -> LeadingCriterion:
        if self.indicator == "share" and not 0.0 <= self.min <= 1.0:
            raise ValueError(f"比重门槛应在 0–1 之间（0.1 表示 10%），实际为 {self.min}")
        if self.indicator in ("lq_province", "lq_nation", "size") and self.min < 0:
            raise ValueError(f"{self.indicator} 门槛不能为负数，实际为 {self.min}")
        if self.indicator == "growth" and self.min <= -1.0:
            raise ValueError(f"增速门槛应大于 -1（-100%），实际为 {self.min}")
        return self


class DeclaredRules(_Model):
    """How declared 主导产业 are judged against the measured structure.

    * ``max_count`` — 原则上不宜超过 3 个主导产业 (a park declaring more is ``exceeds_three``);
    * ``strong_share`` / ``weak_share`` — share of park output in the declared industries at or
      above which the concentration is strong, below which it is weak;
    * ``min_category_share`` — a declared category whose measured share of park output is below
      this is *declared but not real*;
    * ``coverage_share`` — a measured leading industry counts as declared when at least this share
      of its park output lies in classes of the park's declared categories.
    """

    max_count: CountRule
    strong_share: Threshold
    weak_share: Threshold
    min_category_share: Threshold
    coverage_share: Threshold

    @model_validator(mode="after")
    def _shares(self) -> DeclaredRules:
        for name in ("strong_share", "weak_share", "min_category_share", "coverage_share"):
            value = getattr(self, name).value
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} 应在 0–1 之间（0.7 表示 70%），实际为 {value}")
        if self.weak_share.value >= self.strong_share.value:
            raise ValueError(
                f"weak_share（{self.weak_share.value}）应小于 strong_share"
                f"（{self.strong_share.value}）"
            )
        return self


class LeadingRules(_Model):
    """Rule set for measured leading industries and the comparison with declared ones.

    An industry (at ``level``, sized by ``measure``) qualifies when it passes ``all`` (or ``any``,
    per ``combine``) of ``criteria``; the qualifying industries of a park are ranked by share and
    at most ``top_n`` are kept as its measured leading industries.
    """

    name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    version: str = Field(min_length=1)
    valid_from: date
    level: RuleLevel
    measure: RuleMeasure
    combine: Literal["all", "any"]
    criteria: tuple[LeadingCriterion, ...] = Field(min_length=1)
    top_n: CountRule
    declared: DeclaredRules

    @model_validator(mode="after")
    def _unique_indicators(self) -> LeadingRules:
        seen: set[str] = set()
        for criterion in self.criteria:
            if criterion.indicator in seen:
                raise ValueError(f"条件 {criterion.indicator} 重复出现，每个指标只能设一个门槛")
            seen.add(criterion.indicator)
        return self

    def criterion(self, indicator: CriterionIndicator) -> LeadingCriterion | None:
        """The criterion on ``indicator``, or ``None`` when the rule set does not test it."""
        for criterion in self.criteria:
            if criterion.indicator == indicator:
                return criterion
        return None


class LowLevelRules(_Model):
    """The 低水平同质化 flag: high similarity + low 区位熵 of top industries (+ low 亩均).

    * ``top_n`` — how many of a park's largest industries are looked at;
    * ``max_lq`` — the top industries' highest 区位熵 (vs the province) below this is *low*;
    * ``per_mu_factor`` — 亩均税收 below the province median × this factor is *low*.
    """

    top_n: CountRule
    max_lq: Threshold
    per_mu_factor: Threshold

    @model_validator(mode="after")
    def _positive(self) -> LowLevelRules:
        if self.max_lq.value <= 0:
            raise ValueError(f"max_lq 应大于 0，实际为 {self.max_lq.value}")
        if self.per_mu_factor.value <= 0:
            raise ValueError(f"per_mu_factor 应大于 0，实际为 {self.per_mu_factor.value}")
        return self


class SimilarityRules(_Model):
    """Rule set for structural similarity (UNIDO 产业结构相似系数) between parks.

    * ``level`` / ``measure`` — granularity and size measure of the share vectors;
    * ``scope`` — pairs are compared within the same ``province`` or the same ``city``;
    * ``high_similarity`` — S at or above this is 高度同构;
    * ``considerable_similarity`` — S at or above this (and below high) is 较高同构;
    * ``cluster_similarity`` — edges at or above this link parks into near-identical clusters;
    * ``low_level`` — the 低水平同质化 flag (:class:`LowLevelRules`).
    """

    name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    version: str = Field(min_length=1)
    valid_from: date
    level: RuleLevel
    measure: RuleMeasure
    scope: Literal["province", "city"]
    high_similarity: Threshold
    considerable_similarity: Threshold
    cluster_similarity: Threshold
    low_level: LowLevelRules

    @model_validator(mode="after")
    def _similarities(self) -> SimilarityRules:
        for name in ("high_similarity", "considerable_similarity", "cluster_similarity"):
            value = getattr(self, name).value
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} 应在 (0, 1] 之间，实际为 {value}")
        if self.considerable_similarity.value > self.high_similarity.value:
            raise ValueError(
                f"considerable_similarity（{self.considerable_similarity.value}）不应大于 "
                f"high_similarity（{self.high_similarity.value}）"
            )
        return self


class NeighbourRules(_Model):
    """Which parks count as a park's neighbours (a distance-free proxy for "nearby").

    * ``scope`` — ``city``: parks of the same prefecture; ``province``: of the same province;
      ``city_then_province``: the same prefecture, or the whole province when the prefecture
      holds fewer than ``min_neighbours`` other parks;
    * ``min_neighbours`` — the fewest same-city neighbours before falling back to the province.
    """

    scope: Literal["city", "province", "city_then_province"]
    min_neighbours: CountRule


class ExtensionRules(_Model):
    """Rule set for 延链 suggestions: which missing industries a park could develop next.

    For a park c and an activity p it is not specialised in (M_cp = 0)::

        score_cp = density_cp ** density_exponent
                   × C_cp ** complexity_exponent
                   × (1 − overlap_penalty × overlap_cp)

    * ``density_cp`` — relatedness density (关联密度, Hidalgo et al. 2007), 0–1;
    * ``C_cp`` — the complexity term: PCI (``complexity_term = 'pci'``) or COG (``'cog'``)
      min–max normalised to [``complexity_floor``, 1];
    * ``overlap_cp`` — share of the park's neighbours (:class:`NeighbourRules`) already
      specialised in p (M = 1), 0–1: a penalty that favours a differentiated niche.

    A candidate needs ``density_cp ≥ min_density``; each park keeps its ``top_n`` best and each
    suggestion names its ``explain_top`` closest present activities (by proximity φ).
    """

    name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    version: str = Field(min_length=1)
    valid_from: date
    level: ExtensionLevel
    measure: RuleMeasure
    rca_threshold: Threshold
    complexity_term: Literal["pci", "cog"]
    complexity_floor: Threshold
    density_exponent: Threshold
    complexity_exponent: Threshold
    overlap_penalty: Threshold
    min_density: Threshold
    neighbours: NeighbourRules
    top_n: CountRule
    explain_top: CountRule

    @model_validator(mode="after")
    def _ranges(self) -> ExtensionRules:
        if self.rca_threshold.value <= 0:
            raise ValueError(
                f"rca_threshold 应大于 0（通常为 1），实际为 {self.rca_threshold.value}"
            )
        for name in ("complexity_floor", "overlap_penalty", "min_density"):
            value = getattr(self, name).value
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} 应在 0–1 之间，实际为 {value}")
        if self.complexity_floor.value >= 1.0:
            raise ValueError(
                "complexity_floor 应小于 1（否则复杂度项不起作用），"
                f"实际为 {self.complexity_floor.value}"
            )
        for name in ("density_exponent", "complexity_exponent"):
            value = getattr(self, name).value
            if not 0.0 <= value <= 5.0:
                raise ValueError(f"{name} 应在 0–5 之间，实际为 {value}")
        return self


def _format_errors(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "（根）"
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{location}：{message}")
    return "；".join(parts)


def _parse(model: type[_ModelT], data: Any, what: str) -> _ModelT:
    if not isinstance(data, Mapping):
        raise RuleSetError(
            f"{what}应为键值结构（YAML 映射），实际为 {type(data).__name__}",
            detail={"expected": "mapping"},
        )
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise RuleSetError(
            f"{what}不合法：{_format_errors(exc)}",
            detail={"errors": [str(e["loc"]) for e in exc.errors()]},
        ) from exc


def _read_yaml(path: Path | None, default_name: str, what: str) -> Any:
    try:
        if path is None:
            text = (files("parkhq.reference") / "data" / default_name).read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleSetError(
            f"无法读取{what}文件 {path or default_name}：{exc.strerror or exc}",
            detail={"path": str(path or default_name)},
        ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleSetError(
            f"{what}文件 {path or default_name} 不是合法的 YAML：{exc}",
            detail={"path": str(path or default_name)},
        ) from exc


def parse_leading_rules(data: Mapping[str, Any]) -> LeadingRules:
    """Validate a leading-industry rule set given as a mapping (parsed YAML or JSON).

    Raises :class:`~parkhq.errors.RuleSetError` naming each invalid field.
    """
    return _parse(LeadingRules, data, "主导产业规则集")


def parse_similarity_rules(data: Mapping[str, Any]) -> SimilarityRules:
    """Validate a similarity / homogeneity rule set given as a mapping (parsed YAML or JSON).

    Raises :class:`~parkhq.errors.RuleSetError` naming each invalid field.
    """
    return _parse(SimilarityRules, data, "同构判定规则集")


def parse_extension_rules(data: Mapping[str, Any]) -> ExtensionRules:
    """Validate a 延链 rule set given as a mapping (parsed YAML or JSON).

    Raises :class:`~parkhq.errors.RuleSetError` naming each invalid field.
    """
    return _parse(ExtensionRules, data, "延链建议规则集")


@lru_cache(maxsize=1)
def _default_leading_rules() -> LeadingRules:
    return parse_leading_rules(_read_yaml(None, LEADING_RULES_FILE, "主导产业规则集"))


@lru_cache(maxsize=1)
def _default_similarity_rules() -> SimilarityRules:
    return parse_similarity_rules(_read_yaml(None, SIMILARITY_RULES_FILE, "同构判定规则集"))


def load_leading_rules(path: Path | None = None) -> LeadingRules:
    """Load the leading-industry rule set: the shipped default, or the YAML file at ``path``.

    The shipped file is ``parkhq/reference/data/leading_rules.yaml`` (cached after the first
    load). Raises :class:`~parkhq.errors.RuleSetError` if the file is unreadable or invalid.
    """
    if path is None:
        return _default_leading_rules()
    return parse_leading_rules(_read_yaml(path, LEADING_RULES_FILE, "主导产业规则集"))


def load_similarity_rules(path: Path | None = None) -> SimilarityRules:
    """Load the similarity / homogeneity rule set: the shipped default, or the YAML at ``path``.

    The shipped file is ``parkhq/reference/data/similarity_rules.yaml`` (cached after the first
    load). Raises :class:`~parkhq.errors.RuleSetError` if the file is unreadable or invalid.
    """
    if path is None:
        return _default_similarity_rules()
    return parse_similarity_rules(_read_yaml(path, SIMILARITY_RULES_FILE, "同构判定规则集"))


@lru_cache(maxsize=1)
def _default_extension_rules() -> ExtensionRules:
    return parse_extension_rules(_read_yaml(None, EXTENSION_RULES_FILE, "延链建议规则集"))


def load_extension_rules(path: Path | None = None) -> ExtensionRules:
    """Load the 延链 rule set: the shipped default, or the YAML file at ``path``.

    The shipped file is ``parkhq/reference/data/extension_rules.yaml`` (cached after the first
    load). Raises :class:`~parkhq.errors.RuleSetError` if the file is unreadable or invalid.
    """
    if path is None:
        return _default_extension_rules()
    return parse_extension_rules(_read_yaml(path, EXTENSION_RULES_FILE, "延链建议规则集"))
