"""Typed model of a 亩均效益 (land efficiency) rule set, validated from YAML.

A rule set is data a local government publishes: which firms are evaluated in which group
(分组), which indicators each group uses, their weights and benchmarks (基准值), how missing or
negative values count, bonus and penalty items (加减分), which firms are exempt (不定等级) and how
totals become grades (比例分档 or 分数线). The scoring engine (:mod:`parkhq.analysis.land`) compiles
these models to Polars expressions; nothing here is evaluated as code.

Formulas are deliberately small: an indicator is ``scale × numerator / denominator`` where the
numerator and denominator are input column names (or lists of names, summed). Column names must
match ``^[a-z][a-z0-9_]*$``, so a rule file can never smuggle in an expression.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

__all__ = [
    "EXEMPT_GRADE",
    "OUT_OF_SCOPE_GRADE",
    "Bonus",
    "Condition",
    "Derived",
    "Exemption",
    "Grading",
    "Indicator",
    "Item",
    "QuotaGrading",
    "RuleSet",
    "Segment",
    "Source",
    "ThresholdGrading",
]

EXEMPT_GRADE: Literal["不定等级"] = "不定等级"
"""Grade of a firm inside an evaluated group that is not graded (e.g. 评价状态 = 不定等级)."""

OUT_OF_SCOPE_GRADE: Literal["不参评"] = "不参评"
"""Grade of a firm that matches no group of the rule set, or an exemption marked out of scope."""

ColumnName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
PresetName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Term = ColumnName | tuple[ColumnName, ...]
Scalar = str | int | float | bool

_FRACTION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")
_OPS_WITH_LIST = frozenset({"in", "not_in", "starts_with"})
_OPS_WITHOUT_VALUE = frozenset({"is_null", "not_null"})
_OPS_ORDERED = frozenset({"gt", "ge", "lt", "le"})


def _number(value: Any) -> Any:
    """Accept ``"100/7"`` (a plain fraction) wherever a weight is given; other values pass."""
    if isinstance(value, str):
        match = _FRACTION.match(value)
        if match is None:
            return value
        denominator = Fraction(match.group(2))
        if denominator == 0:
            raise ValueError("分数的分母不能为 0")
        return float(Fraction(match.group(1)) / denominator)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Source(_Model):
    """Where a rule set comes from: the document title, issuing body, URL and date."""

    title: str = Field(min_length=1)
    issuer: str = ""
    url: str = ""
    published_on: date | None = None


class Indicator(_Model):
    """``value = scale × Σnumerator / Σdenominator`` over named input columns.

    The value is missing (null) when any numerator column is null, or when the denominator is
    null or not positive (no land, no energy or emission data).
    """

    label: str = Field(min_length=1)
    unit: str = ""
    numerator: Term
    denominator: Term | None = None
    scale: float = 1.0
    description: str = ""

    @field_validator("scale")
    @classmethod
    def _scale_nonzero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("scale 不能为 0")
        return value

    def columns(self) -> tuple[str, ...]:
        """Input columns this indicator reads."""
        cols: list[str] = []
        for term in (self.numerator, self.denominator):
            if term is None:
                continue
            cols.extend([term] if isinstance(term, str) else term)
        return tuple(cols)


class Condition(_Model):
    """A predicate on input columns: ``{column, op, value}`` or ``{all: [...]}`` / ``{any: [...]}``.

    Operators: eq, ne, in, not_in, gt, ge, lt, le, is_null, not_null, starts_with (string prefix,
    one or a list). A null input never satisfies eq/ne/in/not_in/gt/…/starts_with.
    """

    column: ColumnName | None = None
    op: (
        Literal[
            "eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "is_null", "not_null", "starts_with"
        ]
        | None
    ) = None
    value: Scalar | tuple[Scalar, ...] | None = None
    all_of: tuple[Condition, ...] | None = Field(default=None, alias="all")
    any_of: tuple[Condition, ...] | None = Field(default=None, alias="any")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = sum(x is not None for x in (self.column, self.all_of, self.any_of))
        if forms != 1:
            raise ValueError(
                "条件须且只能是 {column, op, value}、{all: [...]} 或 {any: [...]} 之一"
            )
        if self.column is not None:
            self._check_leaf()
        elif not (self.all_of or self.any_of):
            raise ValueError("all / any 至少要有一个子条件")
        return self

    def _check_leaf(self) -> None:
        if self.op is None:
            raise ValueError(f"条件缺少 op（列 {self.column}）")
        if self.op in _OPS_WITHOUT_VALUE:
            if self.value is not None:
                raise ValueError(f"{self.op} 不接受 value")
            return
        if self.value is None:
            raise ValueError(f"条件 {self.column} {self.op} 缺少 value")
        if isinstance(self.value, tuple) and self.op not in _OPS_WITH_LIST:
            raise ValueError(f"{self.op} 只接受单个值，列表请用 in / not_in")
        if self.op in _OPS_ORDERED and isinstance(self.value, str | bool):
            raise ValueError(f"{self.op} 需要数值")

    def columns(self) -> tuple[str, ...]:
        """Input columns this condition reads."""
        if self.column is not None:
            return (self.column,)
        children = self.all_of or self.any_of or ()
        return tuple(c for child in children for c in child.columns())


class Derived(_Model):
    """A benchmark computed from data: ``factor × statistic`` over a group's evaluated firms.

    ``mean`` is the mean of the firms' indicator values; ``aggregate_ratio`` is
    ``scale × Σnumerator / Σdenominator`` over firms whose value is present.
    """

    statistic: Literal["mean", "aggregate_ratio"]
    factor: float = Field(default=1.0, gt=0)


class Item(_Model):
    """One indicator in one group: weight, benchmark and the missing / negative-value rules.

    - ``missing``: ``zero`` scores 0; ``segment_mean`` gives the mean score of the group's
      evaluated firms that have the value (0 if none has it).
    - ``negative``: ``as_is`` applies the formula literally (a negative score); ``zero`` counts the
      value as 0; ``missing`` treats it as missing data.
    - ``cap``: benchmark-ratio method only; ``value / benchmark`` is limited to ``cap``.
    """

    indicator: Key
    weight: float = Field(gt=0)
    benchmark: float | Derived | None = None
    cap: float | None = Field(default=None, gt=0)
    missing: Literal["zero", "segment_mean"] = "zero"
    negative: Literal["as_is", "zero", "missing"] = "as_is"

    @field_validator("weight", mode="before")
    @classmethod
    def _weight_fraction(cls, value: Any) -> Any:
        return _number(value)


class Bonus(_Model):
    """An additive bonus (points > 0) or penalty (points < 0) item.

    Contribution = ``points × column value`` (or ``points`` when no column) for firms meeting
    ``when`` (all firms if omitted), limited to ``[-cap, cap]`` when ``cap`` is set.
    """

    key: Key
    label: str = Field(min_length=1)
    when: Condition | None = None
    column: ColumnName | None = None
    points: float
    cap: float | None = Field(default=None, gt=0)

    def columns(self) -> tuple[str, ...]:
        """Input columns this item reads."""
        cols = list(self.when.columns()) if self.when is not None else []
        if self.column is not None:
            cols.append(self.column)
        return tuple(cols)


class Segment(_Model):
    """An evaluation group (规上, 规下 ≥3 亩 …): membership predicate, method and items.

    ``benchmark_ratio``: item score = weight × min(value / benchmark, cap).
    ``min_max``: item score = weight × [floor + span × (x − min) / (max − min)] / 100 with min and
    max over the group's evaluated firms (all firms get floor + span when max = min).
    Bonus items add up; their positive sum is limited to ``bonus_cap`` and the negative sum to
    ``-penalty_cap`` when set.
    """

    key: Key
    label: str = Field(min_length=1)
    when: Condition
    method: Literal["benchmark_ratio", "min_max"]
    floor: float = 20.0
    span: float = 80.0
    items: tuple[Item, ...] = Field(min_length=1)
    bonuses: tuple[Bonus, ...] = ()
    bonus_cap: float | None = Field(default=None, gt=0)
    penalty_cap: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _check_items(self) -> Segment:
        keys = [item.indicator for item in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"分组 {self.key} 中指标重复")
        bonus_keys = [b.key for b in self.bonuses]
        if len(set(bonus_keys)) != len(bonus_keys):
            raise ValueError(f"分组 {self.key} 中加减分项重复")
        for item in self.items:
            if self.method == "min_max" and (item.benchmark is not None or item.cap is not None):
                raise ValueError(
                    f"分组 {self.key} 用最小-最大法，指标 {item.indicator} 不应有基准值或封顶"
                )
            if self.method == "benchmark_ratio":
                if item.benchmark is None:
                    raise ValueError(f"分组 {self.key} 的指标 {item.indicator} 缺少基准值")
                if isinstance(item.benchmark, float) and item.benchmark <= 0:
                    raise ValueError(f"分组 {self.key} 的指标 {item.indicator} 基准值须大于 0")
        return self


class Exemption(_Model):
    """Firms matching ``when`` are not graded: ``不定等级`` (default) or ``不参评`` (out of scope).

    An exemption whose columns are absent from the input is skipped (the input cannot say).
    """

    key: Key
    label: str = Field(min_length=1)
    when: Condition
    grade: Literal["不定等级", "不参评"] = EXEMPT_GRADE


class QuotaGrading(_Model):
    """Grades by share of the ranked group, best grade first; the shares sum to 100.

    Rounding: with ``n`` graded firms the cumulative boundary of grade k is
    ``round_half_up(n × (p_1 + … + p_k) / 100)``; a firm at rank r (ties share the best rank)
    gets the first grade whose boundary ≥ r.
    """

    method: Literal["quota"] = "quota"
    quota: dict[str, float]
    preset: str = ""

    @field_validator("quota")
    @classmethod
    def _check_quota(cls, value: dict[str, float]) -> dict[str, float]:
        if len(value) < 2:
            raise ValueError("比例分档至少需要两个等级")
        for grade, share in value.items():
            _check_grade_label(grade)
            if share < 0:
                raise ValueError(f"等级 {grade} 的比例不能为负")
        total = sum((Fraction(str(share)) for share in value.values()), Fraction(0))
        if total != 100:
            shares = "/".join(f"{g} {s:g}%" for g, s in value.items())
            raise ValueError(f"各等级比例之和须为 100%，现为 {float(total):g}%（{shares}）")
        return value


class ThresholdGrading(_Model):
    """Grades by score: total ≥ threshold of the first matching grade; below all → ``lowest``."""

    method: Literal["thresholds"]
    thresholds: dict[str, float]
    lowest: str = "D"

    @model_validator(mode="after")
    def _check_thresholds(self) -> ThresholdGrading:
        if not self.thresholds:
            raise ValueError("分数线分档至少需要一个分数线")
        for grade in [*self.thresholds, self.lowest]:
            _check_grade_label(grade)
        values = list(self.thresholds.values())
        if any(a <= b for a, b in itertools.pairwise(values)):
            raise ValueError("分数线须从高到低严格递减")
        return self


Grading = Annotated[QuotaGrading | ThresholdGrading, Field(discriminator="method")]


def _check_grade_label(grade: str) -> None:
    if not grade or grade in (EXEMPT_GRADE, OUT_OF_SCOPE_GRADE):
        raise ValueError(f"等级名称不合法：{grade!r}")


class RuleSet(_Model):
    """A complete, versioned 亩均效益 evaluation rule set."""

    name: PresetName
    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    valid_from: date
    region: str = ""
    evaluation_year: int | None = None
    source: Source
    notes: tuple[str, ...] = ()
    indicators: dict[Key, Indicator]
    segments: tuple[Segment, ...] = Field(min_length=1)
    exemptions: tuple[Exemption, ...] = ()
    grading: Grading
    rank_decimals: int = Field(default=6, ge=0, le=12)

    @model_validator(mode="after")
    def _check_references(self) -> RuleSet:
        keys = [s.key for s in self.segments]
        if len(set(keys)) != len(keys):
            raise ValueError("分组 key 重复")
        exemption_keys = [e.key for e in self.exemptions]
        if len(set(exemption_keys)) != len(exemption_keys):
            raise ValueError("豁免规则 key 重复")
        for segment in self.segments:
            for item in segment.items:
                if item.indicator not in self.indicators:
                    raise ValueError(f"分组 {segment.key} 引用了未定义的指标 {item.indicator}")
        return self

    def used_indicators(self) -> tuple[str, ...]:
        """Indicator keys used by at least one group, in first-use order."""
        seen: dict[str, None] = {}
        for segment in self.segments:
            for item in segment.items:
                seen.setdefault(item.indicator, None)
        return tuple(seen)

    def required_columns(self) -> tuple[str, ...]:
        """Input columns the rule set cannot work without (exemption columns are optional)."""
        cols: dict[str, None] = {}
        for segment in self.segments:
            for col in segment.when.columns():
                cols.setdefault(col, None)
            for item in segment.items:
                for col in self.indicators[item.indicator].columns():
                    cols.setdefault(col, None)
            for bonus in segment.bonuses:
                for col in bonus.columns():
                    cols.setdefault(col, None)
        return tuple(cols)

    def has_derived_benchmarks(self) -> bool:
        """Whether any benchmark is computed from data."""
        return any(isinstance(item.benchmark, Derived) for s in self.segments for item in s.items)

    def with_quota(self, quota: dict[str, float], preset: str = "") -> RuleSet:
        """A copy graded by ``quota`` (percentages, best grade first) instead of its own grading."""
        grading = QuotaGrading(quota=quota, preset=preset)
        return self.model_copy(update={"grading": grading})

    def canonical_json(self) -> str:
        """A stable JSON text of the rule set (sorted keys), for hashing and storage."""
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
