"""Scopes: what part of the data a user sees. Every scoped query goes through :func:`scoped`.

A scope is a kind (``all`` for system administrators, else province / city / park / chain /
enterprise) and a set of codes (6-digit GB/T 2260 codes for province and city, catalogue park
codes, chain codes, USCCs). Each model that holds scoped data registers ONE predicate here; a
query for a model that has none raises, so a new table cannot leak by being forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from parkhq.store.models import (
    Chain,
    ChainMembership,
    Enterprise,
    EvaluationResult,
    EvaluationRun,
    EvaluationRunInput,
    LandParcel,
    LowEfficiencyLand,
    Objection,
    ObjectionEvidence,
    Park,
    PeriodReport,
    ReviewStep,
    RuleSetVersion,
)

__all__ = ["SCOPE_KINDS", "Scope", "ScopeKind", "register_scope", "scope_predicate", "scoped"]

ScopeKind = Literal["all", "province", "city", "park", "chain", "enterprise"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("all", "province", "city", "park", "chain", "enterprise")
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class Scope:
    kind: ScopeKind
    codes: frozenset[str] = frozenset()

    @classmethod
    def everything(cls) -> Scope:
        return cls("all")

    @property
    def is_all(self) -> bool:
        return self.kind == "all"

    def label(self) -> str:
        names = {
            "all": "全部",
            "province": "省",
            "city": "市",
            "park": "园区",
            "chain": "产业链",
            "enterprise": "企业",
        }
        return names[self.kind] + ("" if self.is_all else "：" + "、".join(sorted(self.codes)))


Predicate = Callable[[Scope], ColumnElement[bool]]
_RULES: dict[type[Any], Predicate] = {}


def register_scope(model: type[Any]) -> Callable[[Predicate], Predicate]:
    """Register the predicate that limits ``model`` to a scope (kind ``all`` never calls it)."""

    def deco(fn: Predicate) -> Predicate:
        _RULES[model] = fn
        return fn

    return deco


def scope_predicate(model: type[Any], scope: Scope) -> ColumnElement[bool]:
    if scope.is_all:
        return true()
    if model not in _RULES:
        raise LookupError(f"{model.__name__} has no scope rule: register one in store/scope.py")
    if not scope.codes:
        return false()
    return _RULES[model](scope)


def scoped(stmt: SelectT, model: type[Any], scope: Scope) -> SelectT:
    """Add the scope predicate of ``model`` to ``stmt``. The one place scopes are applied."""
    return stmt.where(scope_predicate(model, scope))


def _codes(scope: Scope) -> list[str]:
    return sorted(scope.codes)


def _chain_enterprise_ids(scope: Scope) -> Select[int]:
    return (
        select(ChainMembership.enterprise_id)
        .join(Chain, Chain.id == ChainMembership.chain_id)
        .where(Chain.code.in_(_codes(scope)))
    )


@register_scope(Park)
def _park(scope: Scope) -> ColumnElement[bool]:
    match scope.kind:
        case "province":
            return Park.province_code.in_(_codes(scope))
        case "city":
            return Park.city_code.in_(_codes(scope))
        case "park":
            return Park.code.in_(_codes(scope))
        case "chain":
            ids = select(Enterprise.park_id).where(Enterprise.id.in_(_chain_enterprise_ids(scope)))
            return Park.id.in_(ids)
        case _:
            ids = select(Enterprise.park_id).where(Enterprise.uscc.in_(_codes(scope)))
            return Park.id.in_(ids)


@register_scope(Enterprise)
def _enterprise(scope: Scope) -> ColumnElement[bool]:
    match scope.kind:
        case "province":
            return Enterprise.province_code.in_(_codes(scope))
        case "city":
            return Enterprise.city_code.in_(_codes(scope))
        case "park":
            return Enterprise.park_id.in_(select(Park.id).where(Park.code.in_(_codes(scope))))
        case "chain":
            return Enterprise.id.in_(_chain_enterprise_ids(scope))
        case _:
            return Enterprise.uscc.in_(_codes(scope))


@register_scope(LandParcel)
def _parcel(scope: Scope) -> ColumnElement[bool]:
    if scope.kind in ("chain", "enterprise"):
        return LandParcel.holder_id.in_(select(Enterprise.id).where(_enterprise(scope)))
    return LandParcel.park_id.in_(select(Park.id).where(_park(scope)))


@register_scope(PeriodReport)
def _report(scope: Scope) -> ColumnElement[bool]:
    return PeriodReport.enterprise_id.in_(select(Enterprise.id).where(_enterprise(scope)))


@register_scope(Chain)
def _chain(scope: Scope) -> ColumnElement[bool]:
    if scope.kind == "chain":
        return Chain.code.in_(_codes(scope))
    members = select(ChainMembership.chain_id).where(
        ChainMembership.enterprise_id.in_(select(Enterprise.id).where(_enterprise(scope)))
    )
    if scope.kind == "province":
        return Chain.province_code.in_(_codes(scope)) | Chain.id.in_(members)
    return Chain.id.in_(members)


# --- 亩均效益 evaluation (services/land*.py) ------------------------------------------------


def _province_of(codes: list[str]) -> list[str]:
    return sorted({c[:2] + "0000" for c in codes})


@register_scope(RuleSetVersion)
def _rule_set(scope: Scope) -> ColumnElement[bool]:
    """Shipped presets (scope ``""``) for everyone; a province's or city's own sets for the users
    inside it (a province also sees its cities' sets)."""
    owner = RuleSetVersion.scope_code
    match scope.kind:
        case "province":
            prefixes = [c[:2] for c in _codes(scope)]
            return (owner == "") | or_(*(owner.startswith(p) for p in prefixes))
        case "city":
            return (owner == "") | owner.in_([*_codes(scope), *_province_of(_codes(scope))])
        case "park":
            parks = select(Park.province_code, Park.city_code).where(Park.code.in_(_codes(scope)))
            sub = parks.subquery()
            return (
                (owner == "")
                | owner.in_(select(sub.c.province_code))
                | owner.in_(select(sub.c.city_code).where(sub.c.city_code.is_not(None)))
            )
        case _:
            firms = select(Enterprise.province_code, Enterprise.city_code).where(_enterprise(scope))
            sub = firms.subquery()
            return (
                (owner == "")
                | owner.in_(select(sub.c.province_code))
                | owner.in_(select(sub.c.city_code).where(sub.c.city_code.is_not(None)))
            )


@register_scope(EvaluationResult)
def _land_result(scope: Scope) -> ColumnElement[bool]:
    """A result belongs to where its firm was when the run was made (denormalised codes)."""
    match scope.kind:
        case "province":
            return EvaluationResult.province_code.in_(_codes(scope))
        case "city":
            return EvaluationResult.city_code.in_(_codes(scope))
        case "park":
            return EvaluationResult.park_code.in_(_codes(scope))
        case "chain":
            return EvaluationResult.enterprise_id.in_(_chain_enterprise_ids(scope))
        case _:
            return EvaluationResult.uscc.in_(_codes(scope))


@register_scope(EvaluationRun)
def _land_run(scope: Scope) -> ColumnElement[bool]:
    """Runs whose area overlaps the scope: a province's runs, a city's runs and the runs of its
    province, a park's runs and those of its county, city and province; enterprise and chain
    users see the runs that graded their firms."""
    run = EvaluationRun
    match scope.kind:
        case "province":
            return run.province_code.in_(_codes(scope))
        case "city":
            return run.city_code.in_(_codes(scope)) | (
                (run.scope_kind == "province") & run.province_code.in_(_province_of(_codes(scope)))
            )
        case "park":
            parks = (
                select(Park.code, Park.province_code, Park.city_code, Park.region_code)
                .where(Park.code.in_(_codes(scope)))
                .subquery()
            )
            kind = run.scope_kind
            return (
                run.park_code.in_(_codes(scope))
                | ((kind == "province") & run.province_code.in_(select(parks.c.province_code)))
                | ((kind == "city") & run.city_code.in_(select(parks.c.city_code)))
                | ((kind == "county") & run.scope_code.in_(select(parks.c.region_code)))
            )
        case _:
            return run.id.in_(select(EvaluationResult.run_id).where(_land_result(scope)))


@register_scope(EvaluationRunInput)
def _land_run_input(scope: Scope) -> ColumnElement[bool]:
    return EvaluationRunInput.run_id.in_(select(EvaluationRun.id).where(_land_run(scope)))


@register_scope(ReviewStep)
def _land_review_step(scope: Scope) -> ColumnElement[bool]:
    return ReviewStep.run_id.in_(select(EvaluationRun.id).where(_land_run(scope)))


@register_scope(Objection)
def _land_objection(scope: Scope) -> ColumnElement[bool]:
    """An objection is seen where its firm is seen (an enterprise sees only its own)."""
    if scope.kind == "enterprise":
        return Objection.uscc.in_(_codes(scope))
    return Objection.uscc.in_(select(Enterprise.uscc).where(_enterprise(scope)))


@register_scope(ObjectionEvidence)
def _land_evidence(scope: Scope) -> ColumnElement[bool]:
    return ObjectionEvidence.objection_id.in_(select(Objection.id).where(_land_objection(scope)))


@register_scope(LowEfficiencyLand)
def _low_efficiency(scope: Scope) -> ColumnElement[bool]:
    return LowEfficiencyLand.parcel_id.in_(select(LandParcel.id).where(_parcel(scope)))
