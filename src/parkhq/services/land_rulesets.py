"""亩均效益 rule sets as stored data: versions of YAML rule sets, owned by a province or city
(presets are global), validated by the engine's models with Chinese errors naming the field
path, never edited in place (an edit is saved as a new version, so runs keep the exact rules
they used)."""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources

import yaml
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parkhq.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleSetError
from parkhq.reference.land_rules import (
    QuotaGrading,
    RuleSet,
    list_presets,
    load_preset,
    rule_set_from_mapping,
    rule_set_from_yaml,
)
from parkhq.reference.regions import region_catalogue
from parkhq.services.access import Principal
from parkhq.store.audit import Actor
from parkhq.store.db import Database
from parkhq.store.models import RuleSetVersion
from parkhq.store.scope import scoped

__all__ = [
    "RuleItem",
    "RuleSetDetail",
    "RuleSetPublic",
    "create_rule_set",
    "ensure_presets",
    "get_rule_set",
    "grading_summary",
    "list_rule_sets",
    "parse_rule_set",
    "rule_items",
    "rule_set_row",
    "rules_from_json",
]

_MAX_YAML = 200_000


class RuleSetPublic(BaseModel):
    id: int
    name: str
    version: str
    title: str
    source: str
    valid_from: date
    scope_code: str
    is_preset: bool
    based_on_id: int | None
    created_by: str
    created_at: datetime


class RuleItem(BaseModel):
    """One weighted indicator of one group, for the what-if form and the explanation."""

    segment_key: str
    segment: str
    method: str
    indicator: str
    label: str
    unit: str
    weight: float
    benchmark: float | None
    derived: bool


class RuleSetDetail(RuleSetPublic):
    yaml_text: str
    items: list[RuleItem]
    grading: str
    quota: dict[str, float] | None
    notes: list[str]


# --- rule sets -----------------------------------------------------------------------------


def _reject_aliases(text: str) -> None:
    """YAML anchors/aliases can expand exponentially; a rule set never needs them."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise RuleSetError("规则集不支持 YAML 锚点与别名（& 与 *），请直接写出各项")
    except yaml.YAMLError as exc:
        raise RuleSetError(f"规则集不是合法的 YAML：{exc}") from exc


def parse_rule_set(text: str) -> RuleSet:
    """Validate rule-set YAML with the engine's models; every problem → :class:`RuleSetError`
    with the field path (``segments.0.items.1.weight：须大于 0``)."""
    if len(text) > _MAX_YAML:
        raise RuleSetError(f"规则集过长（{len(text)} 个字符，上限 {_MAX_YAML}）")
    if not text.strip():
        raise RuleSetError("规则集为空：请填写 YAML")
    _reject_aliases(text)
    try:
        return rule_set_from_yaml(text)
    except RuleSetError:
        raise
    except NotFound as exc:
        raise RuleSetError(f"规则集引用了不存在的预设：{exc.message}") from exc
    except (ValueError, TypeError, RecursionError) as exc:
        raise RuleSetError(f"规则集不合法：{exc}") from exc


def rules_from_json(text: str) -> RuleSet:
    """A rule set from its stored canonical JSON."""
    return rule_set_from_mapping(json.loads(text))


def _source_text(rules: RuleSet) -> str:
    parts = [rules.source.title]
    if rules.source.issuer:
        parts.append(rules.source.issuer)
    if rules.source.url:
        parts.append(rules.source.url)
    return "；".join(parts)


def _public(row: RuleSetVersion) -> RuleSetPublic:
    return RuleSetPublic(
        id=row.id,
        name=row.name,
        version=row.version,
        title=row.title,
        source=row.source,
        valid_from=row.valid_from,
        scope_code=row.scope_code,
        is_preset=row.is_preset,
        based_on_id=row.based_on_id,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def rule_items(rules: RuleSet) -> list[RuleItem]:
    """Every (group, indicator) pair with its weight and benchmark."""
    items = []
    for segment in rules.segments:
        for item in segment.items:
            indicator = rules.indicators[item.indicator]
            benchmark = item.benchmark if isinstance(item.benchmark, float) else None
            items.append(
                RuleItem(
                    segment_key=segment.key,
                    segment=segment.label,
                    method=segment.method,
                    indicator=item.indicator,
                    label=indicator.label,
                    unit=indicator.unit,
                    weight=item.weight,
                    benchmark=benchmark,
                    derived=item.benchmark is not None and benchmark is None,
                )
            )
    return items


def grading_summary(rules: RuleSet) -> tuple[str, dict[str, float] | None]:
    grading = rules.grading
    if isinstance(grading, QuotaGrading):
        text = "比例分档：" + "/".join(f"{g} {s:g}%" for g, s in grading.quota.items())
        return text, dict(grading.quota)
    lines = "，".join(f"{g} ≥ {t:g} 分" for g, t in grading.thresholds.items())
    return f"分数线分档：{lines}，其余为 {grading.lowest}", None


def _detail(row: RuleSetVersion) -> RuleSetDetail:
    rules = rules_from_json(row.canonical_json)
    grading, quota = grading_summary(rules)
    return RuleSetDetail(
        **_public(row).model_dump(),
        yaml_text=row.yaml_text,
        items=rule_items(rules),
        grading=grading,
        quota=quota,
        notes=list(rules.notes),
    )


def ensure_presets(db: Database) -> None:
    """Store each shipped preset once as a global rule-set version (idempotent)."""
    wanted = {info.name: load_preset(info.name) for info in list_presets()}
    with db.transaction() as s:
        stored = {
            (name, version)
            for name, version in s.execute(
                select(RuleSetVersion.name, RuleSetVersion.version).where(
                    RuleSetVersion.scope_code == ""
                )
            )
        }
    missing = {n: r for n, r in wanted.items() if (n, r.version) not in stored}
    if not missing:
        return
    files = resources.files("parkhq.reference.land_rules")
    try:
        with db.transaction(Actor(None, "system")) as s:
            for name, rules in missing.items():
                s.add(
                    RuleSetVersion(
                        name=name,
                        version=rules.version,
                        title=rules.title,
                        yaml_text=files.joinpath(f"{name}.yaml").read_text(encoding="utf-8"),
                        canonical_json=rules.canonical_json(),
                        source=_source_text(rules),
                        valid_from=rules.valid_from,
                        scope_code="",
                        is_preset=True,
                        created_by="system",
                    )
                )
    except IntegrityError:  # another request stored them at the same moment
        return


def list_rule_sets(db: Database, principal: Principal) -> list[RuleSetPublic]:
    """Rule-set versions the principal may use: presets, then own sets, newest first."""
    principal.require("land:read")
    ensure_presets(db)
    with db.transaction() as s:
        rows = s.scalars(
            scoped(select(RuleSetVersion), RuleSetVersion, principal.scope).order_by(
                RuleSetVersion.is_preset.desc(),
                RuleSetVersion.name,
                RuleSetVersion.created_at.desc(),
                RuleSetVersion.id.desc(),
            )
        ).all()
        return [_public(r) for r in rows]


def rule_set_row(s: Session, principal: Principal, rule_set_id: int) -> RuleSetVersion:
    row = s.scalar(
        scoped(
            select(RuleSetVersion).where(RuleSetVersion.id == rule_set_id),
            RuleSetVersion,
            principal.scope,
        )
    )
    if row is None:
        raise NotFound(f"规则集 {rule_set_id} 不存在或不在您的权限范围内")
    return row


def get_rule_set(db: Database, principal: Principal, rule_set_id: int) -> RuleSetDetail:
    principal.require("land:read")
    ensure_presets(db)
    with db.transaction() as s:
        return _detail(rule_set_row(s, principal, rule_set_id))


def _owner_code(principal: Principal, scope_code: str) -> str:
    """The province or city that will own a new rule set."""
    code = scope_code.strip()
    scope = principal.scope
    if scope.is_all:
        region = region_catalogue().find(code) if code else None
        if code and (region is None or region.level == "county"):
            raise InvalidInput(
                f"所属区划 {code!r} 应为省级或地级行政区划代码（6 位，如 330000、331000）",
                detail={"field": "scope_code"},
            )
        return code
    own = sorted(scope.codes)
    if not code:
        if len(own) != 1:
            raise InvalidInput("请指定规则集所属区划（scope_code）", detail={"field": "scope_code"})
        code = own[0]
    if scope.kind == "province":
        region = region_catalogue().find(code)
        inside = any(code[:2] == p[:2] for p in own)
        if region is None or region.level == "county" or not inside:
            raise PermissionDenied(
                f"规则集所属区划 {code} 不在您的权限范围内（应为本省或省内地市）"
            )
        return code
    if scope.kind == "city" and code in own:
        return code
    raise PermissionDenied(f"规则集所属区划 {code} 不在您的权限范围内")


def create_rule_set(
    db: Database,
    principal: Principal,
    yaml_text: str,
    *,
    scope_code: str = "",
    based_on_id: int | None = None,
) -> RuleSetDetail:
    """Store a new rule-set version from YAML (validated; name + version unique per owner)."""
    principal.require("land:rules")
    rules = parse_rule_set(yaml_text)
    owner = _owner_code(principal, scope_code)
    with db.transaction(principal.actor) as s:
        if based_on_id is not None:
            rule_set_row(s, principal, based_on_id)
        duplicate = s.scalar(
            select(RuleSetVersion.id).where(
                RuleSetVersion.scope_code == owner,
                RuleSetVersion.name == rules.name,
                RuleSetVersion.version == rules.version,
            )
        )
        if duplicate is not None:
            raise Conflict(
                f"规则集 {rules.name} 的版本 {rules.version} 已存在，请修改 version 后再保存",
                detail={"field": "version", "existing_id": duplicate},
            )
        row = RuleSetVersion(
            name=rules.name,
            version=rules.version,
            title=rules.title,
            yaml_text=yaml_text,
            canonical_json=rules.canonical_json(),
            source=_source_text(rules),
            valid_from=rules.valid_from,
            scope_code=owner,
            is_preset=False,
            based_on_id=based_on_id,
            created_by=principal.username,
        )
        s.add(row)
        s.flush()
        return _detail(row)
