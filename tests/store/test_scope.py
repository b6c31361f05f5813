"""The scope predicate: each scope kind sees its own province's resources and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from factories import ROLE_SCOPE
from parkhq.store.models import AuditLog, Chain, Enterprise, LandParcel, Park, PeriodReport
from parkhq.store.scope import Scope, scoped

SCOPED = [Park, Enterprise, LandParcel, PeriodReport, Chain]


def _codes(db, model, scope):
    key = {
        Park: Park.code,
        Enterprise: Enterprise.uscc,
        LandParcel: LandParcel.parcel_code,
        PeriodReport: PeriodReport.enterprise_id,
        Chain: Chain.code,
    }[model]
    with db.transaction() as s:
        return set(s.scalars(scoped(select(key), model, scope)))


@pytest.mark.parametrize("kind", ["province", "city", "park", "chain", "enterprise"])
def test_a_scope_sees_only_the_inside_province(kind, db, world):
    scope = Scope(kind, frozenset(ROLE_SCOPE[kind](world.inside)))
    assert _codes(db, Park, scope) == {world.inside.park_code}
    assert _codes(db, Enterprise, scope) == {world.inside.uscc}
    assert _codes(db, LandParcel, scope) == {world.inside.parcel_code}
    assert _codes(db, PeriodReport, scope) == {world.inside.enterprise_id}
    assert _codes(db, Chain, scope) == {world.inside.chain_code}


def test_the_all_scope_sees_everything(db, world):
    assert _codes(db, Park, Scope.everything()) == {world.inside.park_code, world.outside.park_code}


def test_a_scope_without_codes_sees_nothing(db, world):
    assert _codes(db, Enterprise, Scope("province")) == set()


def test_a_model_without_a_scope_rule_cannot_be_queried_in_a_scope(db):
    with pytest.raises(LookupError, match="no scope rule"):
        scoped(select(AuditLog), AuditLog, Scope("province", frozenset({"330000"})))
