"""Shipped 亩均效益 rule-set presets and grade-quota presets, and their loader.

Each preset is a YAML file beside this module. ``kind: rule_set`` files validate into
:class:`RuleSet`; ``kind: quota`` files hold a grade-share table that rule sets reference with
``grading: {method: quota, preset: NAME}`` and that the CLI's ``--quota`` can replace. Every file
states its source document, version, ``valid_from`` and notes on what the source leaves open.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError

from parkhq.errors import NotFound, RuleSetError
from parkhq.reference.land_rules.models import (
    EXEMPT_GRADE,
    OUT_OF_SCOPE_GRADE,
    Bonus,
    Condition,
    Derived,
    Exemption,
    Grading,
    Indicator,
    Item,
    QuotaGrading,
    RuleSet,
    Segment,
    Source,
    ThresholdGrading,
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
    "PresetInfo",
    "QuotaGrading",
    "RuleSet",
    "Segment",
    "Source",
    "ThresholdGrading",
    "list_presets",
    "list_quota_presets",
    "load_preset",
    "load_quota",
    "rule_set_from_mapping",
    "rule_set_from_yaml",
]

_ERROR_TEXT = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的字段",
    "string_pattern_mismatch": "格式不合法（只允许小写字母、数字和下划线）",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than_equal": "须不大于 {le}",
    "too_short": "至少需要 {min_length} 项",
    "string_type": "须为文本",
    "float_parsing": "须为数值",
    "float_type": "须为数值",
    "int_parsing": "须为整数",
    "date_from_datetime_parsing": "须为日期（YYYY-MM-DD）",
    "date_parsing": "须为日期（YYYY-MM-DD）",
    "date_type": "须为日期（YYYY-MM-DD）",
    "literal_error": "取值须为 {expected}",
    "union_tag_invalid": "取值须为 {expected_tags}",
}


@dataclass(frozen=True, slots=True)
class PresetInfo:
    """One shipped preset as listed by :func:`list_presets` / :func:`list_quota_presets`."""

    name: str
    kind: str
    title: str
    version: str
    valid_from: date
    source_title: str
    source_url: str


def _explain_validation(error: ValidationError) -> str:
    parts: list[str] = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(根)"
        template = _ERROR_TEXT.get(item["type"])
        if template is not None:
            try:
                text = template.format(**(item.get("ctx") or {}))
            except (KeyError, IndexError):
                text = item["msg"]
        else:
            text = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}：{text}")
    return "；".join(parts)


def rule_set_from_mapping(data: Mapping[str, Any], origin: str = "") -> RuleSet:
    """Validate a parsed YAML mapping into a :class:`RuleSet`.

    ``grading: {method: quota, preset: NAME}`` without ``quota`` takes the shares of the shipped
    quota preset NAME. Raises :class:`RuleSetError` with a Chinese message naming each problem.
    """
    label = origin or str(data.get("name", "规则集"))
    payload = {k: v for k, v in data.items() if k != "kind"}
    grading = payload.get("grading")
    if isinstance(grading, Mapping) and "quota" not in grading and grading.get("preset"):
        quota = load_quota(str(grading["preset"]))
        payload["grading"] = {**grading, "quota": dict(quota.quota)}
    try:
        return RuleSet.model_validate(payload)
    except ValidationError as exc:
        raise RuleSetError(
            f"规则集 {label} 不合法：{_explain_validation(exc)}", detail={"origin": label}
        ) from exc


def rule_set_from_yaml(text: str, origin: str = "") -> RuleSet:
    """Parse YAML text (a ``kind: rule_set`` document) into a :class:`RuleSet`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleSetError(f"规则集 {origin or ''} 不是合法的 YAML：{exc}") from exc
    if not isinstance(data, Mapping):
        raise RuleSetError(f"规则集 {origin or ''} 应为 YAML 映射（键: 值），实际不是")
    kind = data.get("kind", "rule_set")
    if kind != "rule_set":
        raise RuleSetError(f"{origin or '文件'} 的 kind 为 {kind!r}，应为 rule_set")
    return rule_set_from_mapping(data, origin)


@functools.cache
def _documents() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for entry in resources.files("parkhq.reference.land_rules").iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        docs[entry.name.removesuffix(".yaml")] = data
    return docs


def _document(name: str, kind: str) -> dict[str, Any]:
    doc = _documents().get(name)
    if doc is None or doc.get("kind") != kind:
        names = "、".join(i.name for i in _infos(kind))
        what = "规则集预设" if kind == "rule_set" else "分档比例预设"
        raise NotFound(f"没有名为 {name!r} 的{what}；可选：{names}", detail={"name": name})
    return doc


@functools.cache
def load_preset(name: str) -> RuleSet:
    """The shipped rule set ``name`` (e.g. ``huangyan-2023``); raises ``NotFound`` if unknown."""
    return rule_set_from_mapping(_document(name, "rule_set"), f"{name}.yaml")


@functools.cache
def load_quota(name: str) -> QuotaGrading:
    """The shipped grade-share preset ``name`` (e.g. ``quota-20-45-30-5``)."""
    doc = _document(name, "quota")
    try:
        return QuotaGrading(quota=doc["quota"], preset=name)
    except ValidationError as exc:
        raise RuleSetError(f"分档比例预设 {name} 不合法：{_explain_validation(exc)}") from exc


def _infos(kind: str) -> list[PresetInfo]:
    infos = []
    for name, doc in sorted(_documents().items()):
        if doc.get("kind") != kind:
            continue
        source = doc.get("source") or {}
        infos.append(
            PresetInfo(
                name=name,
                kind=kind,
                title=str(doc.get("title", "")),
                version=str(doc.get("version", "")),
                valid_from=doc["valid_from"],
                source_title=str(source.get("title", "")),
                source_url=str(source.get("url", "")),
            )
        )
    return infos


def list_presets() -> list[PresetInfo]:
    """The shipped rule-set presets, sorted by name."""
    return _infos("rule_set")


def list_quota_presets() -> list[PresetInfo]:
    """The shipped grade-share presets, sorted by name."""
    return _infos("quota")
