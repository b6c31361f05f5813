"""Annual firm facts: yearly sums, land held, scope."""

from __future__ import annotations

from parkhq.store.loaders import annual_firm_facts, park_frame, trailing_periods
from parkhq.store.scope import Scope


def test_trailing_periods_cross_the_year():
    assert trailing_periods("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


def test_annual_facts_sum_the_year_and_the_land_held_within_the_scope(db, world):
    scope = Scope("province", frozenset({"330000"}))
    facts = annual_firm_facts(db, scope)
    assert facts.height == 1
    row = facts.row(0, named=True)
    assert row["uscc"] == world.inside.uscc
    assert row["park_code"] == world.inside.park_code
    assert (row["output_value"], row["tax"], row["months_reported"]) == (1200.5, 55.0, 1)
    assert row["land_mu"] == 35.5


def test_firms_without_reports_in_the_window_have_zero_months(db, world):
    facts = annual_firm_facts(db, Scope.everything(), periods=["2020-01"])
    assert facts.height == 2
    assert facts.get_column("months_reported").to_list() == [0, 0]
    assert park_frame(db, Scope("park", frozenset({world.outside.park_code}))).height == 1
