"""亩均评价 resources outside the test users' scope (Jiangsu), for the authorisation matrix."""

from __future__ import annotations

from factories import World
from parkhq.services import access, land, land_process, land_register
from parkhq.store.db import Database

SYSTEM = access.system_principal("tests")
RULES = """
kind: rule_set
name: jiangsu-test
title: 江苏测试规则集
version: "1"
valid_from: 2024-01-01
source: {title: 测试}
indicators:
  tax_per_mu: {label: 亩均税收, unit: 万元/亩, numerator: tax, denominator: land_mu}
segments:
  - key: all
    label: 全部
    when: {column: scale, op: in, value: [规上, 规下]}
    method: benchmark_ratio
    items:
      - {indicator: tax_per_mu, weight: 100, benchmark: 1}
grading: {method: quota, preset: quota-20-45-30-5}
"""


def outside_land(world: World, db: Database) -> dict[str, int]:
    """A Jiangsu rule set, a published run with an objection and evidence, a register entry
    (ids by path-parameter name; built once per world)."""
    cached: dict[str, int] | None = getattr(world, "outside_land", None)
    if cached is not None:
        return cached
    rules = land.create_rule_set(db, SYSTEM, RULES, scope_code="320000")
    run_id = land.create_run(db, SYSTEM, year=2026, rule_set_id=rules.id, scope_code="320000")
    for action in ("submit", "park_approve"):
        land_process.transition(db, SYSTEM, run_id, action)
    land_process.transition(db, SYSTEM, run_id, "publish", days=30)
    objection = land_process.submit_objection(
        db,
        SYSTEM,
        run_id,
        uscc=world.outside.uscc,
        reason="测试异议",
        corrections={"tax": 60.0},
        files=[
            land_process.EvidenceFile(filename="证明.txt", content_type="text/plain", content=b"x")
        ],
    )
    entry = land_register.create_entry(
        db,
        SYSTEM,
        land_register.EntryIn(parcel_code=world.outside.parcel_code, land_type="低效"),
    )
    found = {
        "rule_set_id": rules.id,
        "run_id": run_id,
        "objection_id": objection.id,
        "evidence_id": objection.evidence[0].id,
        "entry_id": entry.id,
    }
    world.outside_land = found  # type: ignore[attr-defined]
    return found


PARAMS = {
    "rule_set_id": lambda w, db: str(outside_land(w, db)["rule_set_id"]),
    "run_id": lambda w, db: str(outside_land(w, db)["run_id"]),
    "objection_id": lambda w, db: str(outside_land(w, db)["objection_id"]),
    "evidence_id": lambda w, db: str(outside_land(w, db)["evidence_id"]),
    "entry_id": lambda w, db: str(outside_land(w, db)["entry_id"]),
    "parcel_code": lambda w, db: w.outside.parcel_code,
}
