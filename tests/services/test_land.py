"""亩均评价 service: rule sets, immutable runs, what-if, process, objections, history, land.

Golden values come from the engine run independently on the stored inputs, from the published
quota rule worked by hand, and from hand arithmetic on small land cases.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import select

from factories import ROLE_SCOPE, uscc
from land_factories import SYSTEM, add_land_firms, preset_id
from parkhq.analysis.land import content_hash, score
from parkhq.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleSetError
from parkhq.reference.land_rules import rule_set_from_mapping
from parkhq.services import access, land, land_process, land_register, land_runs, land_whatif
from parkhq.store.models import (
    AuditLog,
    EvaluationResult,
    EvaluationRun,
    EvaluationRunInput,
    LandParcel,
    Park,
    PeriodReport,
)
from parkhq.store.scope import Scope

EVIDENCE = [
    land_process.EvidenceFile(
        filename="完税证明.pdf", content_type="application/pdf", content=b"%PDF-1.4 tax"
    )
]


def as_role(world, role: str) -> access.Principal:  # type: ignore[no-untyped-def]
    """The principal of the world's user of ``role`` (scope: the inside province's side)."""
    spec = access.ROLES[role]
    codes = frozenset(ROLE_SCOPE[role](world.inside))
    return access.Principal(None, f"user_{role}", role, Scope(spec.scope_kind, codes))


def results_of(db, run_id):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        rows = s.scalars(
            select(EvaluationResult)
            .where(EvaluationResult.run_id == run_id)
            .order_by(EvaluationResult.uscc)
        ).all()
        return [
            (
                r.uscc,
                r.segment,
                r.total,
                r.rank,
                r.segment_size,
                r.grade,
                r.exempt_reason,
                r.indicators,
                r.explanation,
            )
            for r in rows
        ]


def inputs_of(db, run_id):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return land_runs.load_inputs(s, run_id)


def run_row(db, run_id) -> EvaluationRun:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        run = s.get(EvaluationRun, run_id)
        assert run is not None
        return run


def publish(db, run_id, days=7, now=None):  # type: ignore[no-untyped-def]
    for action in ("submit", "park_approve"):
        land_process.transition(db, SYSTEM, run_id, action)
    land_process.transition(db, SYSTEM, run_id, "publish", days=days, now=now)


# --- rule sets -------------------------------------------------------------------------------


def test_presets_are_stored_once_as_global_rule_set_versions(db, world):
    land.ensure_presets(db)
    land.ensure_presets(db)
    listed = land.list_rule_sets(db, as_role(world, "city"))
    presets = [r for r in listed if r.is_preset]
    assert sorted(r.name for r in presets) == [
        "huaian-2024",
        "huangyan-2022",
        "huangyan-2023",
        "jingde-2022",
    ]
    assert all(r.scope_code == "" and r.source for r in presets)
    detail = land.get_rule_set(db, SYSTEM, preset_id(db))
    assert detail.yaml_text.startswith("kind: rule_set")
    assert [i.weight for i in detail.items if i.segment_key == "above_scale"] == [
        30,
        20,
        20,
        10,
        10,
        10,
    ]
    assert detail.quota == {"A": 20, "B": 45, "C": 30, "D": 5}


def test_a_rule_set_error_names_the_field_path_in_chinese(db, world):
    text = land.get_rule_set(db, SYSTEM, preset_id(db)).yaml_text
    bad = text.replace(
        "{indicator: tax_per_mu, weight: 30,", "{indicator: tax_per_mu, weight: -30,"
    )
    with pytest.raises(RuleSetError) as exc:
        land.create_rule_set(db, as_role(world, "city"), bad)
    assert "segments.0.items.0.weight" in exc.value.message
    assert "须大于 0" in exc.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1]\nb: *x\n", "锚点与别名"),
        ("key: [unclosed\n", "不是合法的 YAML"),
        ("- just\n- a list\n", "YAML 映射"),
        ("   ", "为空"),
        ("name: x\nvalid_from: 2023-02-30\n", "不合法"),
    ],
)
def test_malformed_yaml_is_a_rule_set_error(db, world, text, message):
    with pytest.raises(RuleSetError) as exc:
        land.parse_rule_set(text)
    assert message in exc.value.message


def test_a_city_saves_an_edited_copy_as_a_new_version_and_a_repeat_conflicts(db, world):
    city = as_role(world, "city")
    base = land.get_rule_set(db, city, preset_id(db))
    text = base.yaml_text.replace('version: "2023.1"', 'version: "2023.1-杭州"')
    saved = land.create_rule_set(db, city, text, based_on_id=base.id)
    assert (saved.name, saved.version, saved.scope_code) == (
        "huangyan-2023",
        "2023.1-杭州",
        "330100",
    )
    assert not saved.is_preset and saved.based_on_id == base.id
    with pytest.raises(Conflict):
        land.create_rule_set(db, city, text)
    with pytest.raises(PermissionDenied):
        land.create_rule_set(db, city, text.replace("杭州", "南京"), scope_code="320100")
    # the province sees its city's set; the other province's users do not
    assert saved.id in [r.id for r in land.list_rule_sets(db, as_role(world, "province"))]
    with pytest.raises(NotFound):
        land.get_rule_set(
            db,
            access.Principal(None, "js", "province", Scope("province", frozenset({"320000"}))),
            saved.id,
        )


def test_a_park_committee_may_not_edit_rule_sets(db, world):
    with pytest.raises(PermissionDenied):
        land.create_rule_set(db, as_role(world, "park"), "name: x")


# --- runs ------------------------------------------------------------------------------------


def test_a_run_stores_what_the_engine_gives_on_its_frozen_inputs(db, world):
    firms = add_land_firms(db, world)
    run_id = land.create_run(db, as_role(world, "city"), year=2025, rule_set_id=preset_id(db))
    frame, rules = inputs_of(db, run_id)
    assert frame.height == len(firms)
    assert frame.get_column("uscc").to_list() == sorted(f.uscc for f in firms)
    expected = score(frame, rules).with_columns(pl.col(pl.Enum).cast(pl.String)).sort("uscc")
    stored = results_of(db, run_id)
    assert [r[0] for r in stored] == expected.get_column("uscc").to_list()
    assert [r[5] for r in stored] == expected.get_column("grade").to_list()
    assert [r[2] for r in stored] == pytest.approx(
        expected.get_column("total").to_list(), nan_ok=True
    )
    assert [r[8] for r in stored] == expected.get_column("explanation").to_list()
    run = run_row(db, run_id)
    assert run.status == "draft" and run.version == 1 and run.lineage_id == run_id
    assert (run.scope_kind, run.scope_code, run.city_code) == ("city", "330100", "330100")


def test_quota_20_45_30_5_on_12_firms_gives_2_6_3_1(db, world):
    add_land_firms(db, world, above=12, below=0)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    detail = land_runs.get_run(db, SYSTEM, run_id)
    # boundaries round_half_up(12 × 20/65/95/100 %) = 2, 8, 11, 12 → 2 / 6 / 3 / 1
    assert {c.grade: c.firms for c in detail.counts} == {"A": 2, "B": 6, "C": 3, "D": 1}
    assert detail.lowest_grade == "D"
    lowest = land_runs.list_results(db, SYSTEM, run_id, grade="D").items
    assert [r.name for r in lowest] == ["亩均测试01号制造有限公司"]


def test_same_inputs_give_identical_results_and_the_same_hash(db, world):
    add_land_firms(db, world)
    first = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330100")
    second = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330100")
    assert run_row(db, first).content_hash == run_row(db, second).content_hash
    assert run_row(db, first).content_hash.startswith("sha256:")
    assert results_of(db, first) == results_of(db, second)
    frame, rules = inputs_of(db, first)
    assert content_hash(frame, rules) == run_row(db, first).content_hash
    # a different rule set gives a different hash
    other = land.create_run(
        db, SYSTEM, year=2025, rule_set_id=preset_id(db, "huangyan-2022"), scope_code="330100"
    )
    assert run_row(db, other).content_hash != run_row(db, first).content_hash


def test_inputs_come_from_the_years_reports_within_the_area(db, world):
    add_land_firms(db, world, above=2, below=1, years=(2024, 2025))
    run_id = land.create_run(
        db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code=world.inside.park_code
    )
    frame, _rules = inputs_of(db, run_id)
    row = frame.row(0, named=True)
    assert row["scale"] == "规上" and row["status"] == "参评" and row["land_mu"] == 10.0
    assert row["tax"] == 10.0 and row["employees"] == 21.0 and row["tech_investment"] is None
    assert row["years_in_production"] == pytest.approx(
        round((date(2025, 12, 31) - date(2010, 3, 1)).days / 365.25, 2)
    )
    assert frame.filter(pl.col("scale") == "规下").height == 1
    assert run_row(db, run_id).scope_kind == "park"
    # the world's own firms report only 2026: not in a 2025 run; no data → a Chinese error
    with pytest.raises(InvalidInput, match="没有企业月报数据"):
        land.create_run(db, SYSTEM, year=2023, rule_set_id=preset_id(db), scope_code="330000")


def test_new_firms_are_undetermined_when_the_run_asks_for_it(db, world):
    firms = add_land_firms(db, world, above=3, below=0)
    from parkhq.store.models import Enterprise

    with db.transaction() as s:
        s.get(Enterprise, firms[0].enterprise_id).founded_on = date(2024, 6, 1)
    run_id = land.create_run(
        db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000", exempt_new_firms=True
    )
    grades = {r[0]: (r[5], r[6]) for r in results_of(db, run_id)}
    assert grades[firms[0].uscc] == ("不定等级", "评价状态为不定等级")
    assert grades[firms[1].uscc][0] != "不定等级"


def test_a_city_user_cannot_evaluate_another_city_or_province(db, world):
    city = as_role(world, "city")
    with pytest.raises(PermissionDenied):
        land.create_run(db, city, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    with pytest.raises(PermissionDenied):
        land.create_run(db, city, year=2025, rule_set_id=preset_id(db), scope_code="320100")
    with pytest.raises(NotFound):
        land.create_run(
            db, city, year=2025, rule_set_id=preset_id(db), scope_code=world.outside.park_code
        )
    with pytest.raises(InvalidInput, match="区划代码"):
        land.create_run(db, city, year=2025, rule_set_id=preset_id(db), scope_code="339999")


def test_preview_scores_a_yaml_draft_without_storing_anything(db, world):
    add_land_firms(db, world)
    text = land.get_rule_set(db, SYSTEM, preset_id(db)).yaml_text
    preview = land.preview_rule_set(db, as_role(world, "city"), text, year=2025)
    assert preview.firms == 16 and "未保存" in preview.message
    assert sum(c.firms for c in preview.counts) == 16
    totals = [row.total for row in preview.top]
    assert totals == sorted(totals, reverse=True)
    names = [row.name for row in preview.top]
    assert names.index("亩均测试12号制造有限公司") < names.index("亩均测试11号制造有限公司")
    with db.transaction() as s:
        assert s.scalar(select(EvaluationRun.id)) is None
    empty = land.preview_rule_set(db, SYSTEM, text, year=2030, scope_code="330000")
    assert empty.firms == 0 and "没有企业月报数据" in empty.message


# --- what-if (acceptance) --------------------------------------------------------------------


def test_what_if_changing_one_weight_lists_exactly_the_firms_whose_grade_changes(db, world):
    add_land_firms(db, world, above=20, below=12, mixed=True)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    body = land_whatif.WhatIfIn(weights={"above_scale.tax_per_mu": 60})
    outcome = land_whatif.what_if_run(db, SYSTEM, run_id, body)
    # independently: score the frozen inputs twice, with the weight changed by hand
    frame, rules = inputs_of(db, run_id)
    data = rules.model_dump(by_alias=True)
    data["segments"][0]["items"][0]["weight"] = 60
    changed = rule_set_from_mapping(data)
    before = score(frame, rules, explain=False).select("uscc", pl.col("grade").cast(pl.String))
    after = score(frame, changed, explain=False).select("uscc", pl.col("grade").cast(pl.String))
    moved = before.join(after, on="uscc", suffix="_after").filter(
        pl.col("grade") != pl.col("grade_after")
    )
    expected = dict(
        zip(moved["uscc"], zip(moved["grade"], moved["grade_after"], strict=True), strict=True)
    )
    assert expected, "the test data should move at least one firm"
    assert {r.uscc: (r.grade_before, r.grade_after) for r in outcome.items} == expected
    assert outcome.changed == len(expected) and outcome.firms == 32
    assert outcome.changes == ["规上·亩均税收 权重 30 → 60"]
    # nothing stored, the run unchanged
    assert run_row(db, run_id).content_hash == content_hash(frame, rules)


def test_what_if_on_benchmarks_and_quota_and_bad_keys(db, world):
    add_land_firms(db, world, above=20, below=0, mixed=True)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    quota = land_whatif.what_if_run(
        db, SYSTEM, run_id, land_whatif.WhatIfIn(quota={"A": 10, "B": 40, "C": 40, "D": 10})
    )
    assert {c.grade: c.firms for c in quota.counts_after} == {"A": 2, "B": 8, "C": 8, "D": 2}
    assert all(r.grade_before != r.grade_after for r in quota.items)
    bench = land_whatif.what_if_run(
        db, SYSTEM, run_id, land_whatif.WhatIfIn(benchmarks={"tax_per_mu": 1.0})
    )
    assert bench.changes[0].startswith("规上·亩均税收 基准值 24.097 → 1")
    with pytest.raises(InvalidInput, match="没有指标"):
        land_whatif.what_if_run(db, SYSTEM, run_id, land_whatif.WhatIfIn(weights={"nowhere": 3}))
    with pytest.raises(InvalidInput, match="至少修改"):
        land_whatif.what_if_run(db, SYSTEM, run_id, land_whatif.WhatIfIn())
    with pytest.raises(RuleSetError, match="100%"):
        land_whatif.what_if_run(db, SYSTEM, run_id, land_whatif.WhatIfIn(quota={"A": 50, "B": 40}))


# --- process ---------------------------------------------------------------------------------


def test_the_process_runs_park_review_city_review_publication_and_final_with_roles(db, world):
    add_land_firms(db, world)
    park, city, firm = (as_role(world, r) for r in ("park", "city", "enterprise"))
    run_id = land.create_run(db, park, year=2025, rule_set_id=preset_id(db))
    assert run_row(db, run_id).scope_kind == "park"
    with pytest.raises(PermissionDenied):
        land_process.transition(db, firm, run_id, "submit")
    assert land_process.transition(db, park, run_id, "submit") == "park_review"
    with pytest.raises(PermissionDenied):
        land_process.transition(db, city, run_id, "park_approve")
    with pytest.raises(InvalidInput, match="理由"):
        land_process.transition(db, park, run_id, "park_reject")
    assert (
        land_process.transition(db, park, run_id, "park_approve", reason="数据已核对")
        == "city_review"
    )
    with pytest.raises(PermissionDenied):
        land_process.transition(db, park, run_id, "publish", days=7)
    with pytest.raises(InvalidInput, match="公示天数"):
        land_process.transition(db, city, run_id, "publish")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert land_process.transition(db, city, run_id, "publish", days=7, now=start) == "publicized"
    with pytest.raises(Conflict, match="尚未届满"):
        land_process.transition(db, city, run_id, "finalize", now=start + timedelta(days=3))
    with pytest.raises(Conflict, match="不能执行"):
        land_process.transition(db, city, run_id, "submit")
    assert (
        land_process.transition(db, city, run_id, "finalize", now=start + timedelta(days=8))
        == "final"
    )
    detail = land_runs.get_run(db, city, run_id)
    assert [(s.step, s.decision) for s in detail.steps] == [
        ("create", "done"),
        ("submit", "done"),
        ("park_review", "approve"),
        ("city_review", "approve"),
        ("final", "done"),
    ]
    assert detail.publication_end == start + timedelta(days=7)
    with db.transaction() as s:
        audit = s.scalars(select(AuditLog.action).where(AuditLog.entity == "land_run")).all()
    for action in ("create", "evaluate", "submit", "park_review", "city_review", "final", "update"):
        assert action in audit


def test_rejections_need_a_reason_and_return_the_run_to_draft(db, world):
    add_land_firms(db, world, above=3, below=0)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    land_process.transition(db, SYSTEM, run_id, "submit")
    land_process.transition(db, SYSTEM, run_id, "park_approve")
    assert (
        land_process.transition(db, SYSTEM, run_id, "city_reject", reason="基准值需更新") == "draft"
    )
    assert land_runs.get_run(db, SYSTEM, run_id).steps[-1].reason == "基准值需更新"


def test_enterprises_see_only_published_runs_and_only_their_own_row(db, world):
    firms = add_land_firms(db, world, above=3, below=0)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    me = access.Principal(
        None, "firm", "enterprise", Scope("enterprise", frozenset({firms[1].uscc}))
    )
    with pytest.raises(NotFound):
        land_runs.get_run(db, me, run_id)
    publish(db, run_id)
    assert land_runs.list_runs(db, me).total == 1
    page = land_runs.list_results(db, me, run_id)
    assert [r.uscc for r in page.items] == [firms[1].uscc]
    with pytest.raises(NotFound):
        land_runs.explain_result(db, me, run_id, firms[0].uscc)
    assert land_runs.explain_result(db, me, run_id, firms[1].uscc).can_object


# --- objections (acceptance) -----------------------------------------------------------------


def test_an_accepted_objection_creates_a_new_version_and_leaves_the_old_one_unchanged(db, world):
    firms = add_land_firms(db, world, above=12, below=0)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    start = datetime.now(UTC)
    publish(db, run_id, now=start)
    lowest, other = firms[0], firms[5]
    firm = access.Principal(
        None, "firm1", "enterprise", Scope("enterprise", frozenset({lowest.uscc}))
    )
    firm2 = access.Principal(
        None, "firm6", "enterprise", Scope("enterprise", frozenset({other.uscc}))
    )
    old_results = results_of(db, run_id)
    old_inputs = inputs_of(db, run_id)[0]
    old_hash = run_row(db, run_id).content_hash
    objection = land_process.submit_objection(
        db, firm, run_id, reason="税收漏报，附完税证明", corrections={"tax": 500.0}, files=EVIDENCE
    )
    pending = land_process.submit_objection(
        db, firm2, run_id, reason="用地面积有误", corrections={"land_mu": 8.0}, files=EVIDENCE
    )
    assert objection.status == "submitted"
    assert objection.evidence[0].sha256 == hashlib.sha256(b"%PDF-1.4 tax").hexdigest()
    with pytest.raises(Conflict, match="待处理"):
        land_process.submit_objection(
            db, firm, run_id, reason="再次", corrections={"tax": 1.0}, files=EVIDENCE
        )

    decided = land_process.decide_objection(
        db, as_role(world, "city"), objection.id, accept=True, reason="完税证明属实"
    )
    new_id = decided.resolved_run_id
    assert decided.status == "accepted" and new_id is not None and new_id != run_id

    # the old version: unchanged rows, inputs and hash; marked superseded
    assert results_of(db, run_id) == old_results
    assert inputs_of(db, run_id)[0].equals(old_inputs)
    old = run_row(db, run_id)
    assert old.content_hash == old_hash and old.status == "superseded"
    # the new version: the corrected frame scored by the same rules
    new = run_row(db, new_id)
    assert (new.version, new.parent_run_id, new.lineage_id, new.status) == (
        2,
        run_id,
        run_id,
        "publicized",
    )
    frame, rules = inputs_of(db, new_id)
    assert frame.filter(pl.col("uscc") == lowest.uscc)["tax"].item() == 500.0
    assert new.content_hash == content_hash(frame, rules) != old_hash
    expected = score(frame, rules).with_columns(pl.col(pl.Enum).cast(pl.String))
    grade = dict(zip(expected["uscc"], expected["grade"], strict=True))
    assert {r[0]: r[5] for r in results_of(db, new_id)} == grade
    assert grade[lowest.uscc] != "D"  # its corrected tax lifts it off the bottom
    # the other pending objection moved to the new version; the old run cannot be finalised
    moved = land_process.get_objection(db, SYSTEM, pending.id)
    assert (
        moved.run_id == new_id and moved.original_run_id == run_id and moved.status == "submitted"
    )
    versions = land_runs.get_run(db, SYSTEM, new_id).versions
    assert [(v.version, v.status) for v in versions] == [(1, "superseded"), (2, "publicized")]
    with db.transaction() as s:
        summaries = s.scalars(
            select(AuditLog.summary).where(AuditLog.entity == "land_objection")
        ).all()
    assert any("生成第 2 版" in text for text in summaries)


def test_objections_need_a_window_corrections_and_evidence(db, world):
    firms = add_land_firms(db, world, above=3, below=0)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    me = access.Principal(None, "f", "enterprise", Scope("enterprise", frozenset({firms[0].uscc})))
    args = {"reason": "有误", "corrections": {"tax": 1.0}, "files": EVIDENCE}
    with pytest.raises(NotFound):  # a draft is not visible to the firm
        land_process.submit_objection(db, me, run_id, **args)
    start = datetime(2026, 1, 10, tzinfo=UTC)
    publish(db, run_id, days=5, now=start)
    with pytest.raises(Conflict, match="公示期内"):
        land_process.submit_objection(db, me, run_id, **args, now=start + timedelta(days=6))
    with pytest.raises(InvalidInput, match="证明材料"):
        land_process.submit_objection(
            db, me, run_id, reason="x", corrections={"tax": 1.0}, files=[], now=start
        )
    with pytest.raises(InvalidInput, match="更正后的数值"):
        land_process.submit_objection(
            db, me, run_id, reason="x", corrections={}, files=EVIDENCE, now=start
        )
    with pytest.raises(InvalidInput, match="不能更正"):
        land_process.submit_objection(
            db, me, run_id, reason="x", corrections={"grade": "A"}, files=EVIDENCE, now=start
        )
    exe = [land_process.EvidenceFile(filename="a.exe", content_type="", content=b"MZ")]
    with pytest.raises(InvalidInput, match="类型不支持"):
        land_process.submit_objection(
            db, me, run_id, reason="x", corrections={"tax": 1.0}, files=exe, now=start
        )
    with pytest.raises(PermissionDenied):
        land_process.submit_objection(db, me, run_id, **args, uscc=firms[1].uscc, now=start)
    rejected = land_process.submit_objection(db, me, run_id, **args, now=start)
    outcome = land_process.decide_objection(
        db, SYSTEM, rejected.id, accept=False, reason="证明材料不足", now=start
    )
    assert outcome.status == "rejected" and outcome.resolved_run_id is None
    assert run_row(db, run_id).status == "publicized"
    name, ctype, content = land_process.get_evidence(db, me, rejected.id, rejected.evidence[0].id)
    assert (name, content) == ("完税证明.pdf", b"%PDF-1.4 tax") and ctype == "application/pdf"


# --- history ---------------------------------------------------------------------------------


def test_consecutive_lowest_grades_are_flagged_across_years(db, world):
    firms = add_land_firms(db, world, above=12, below=0, years=(2023, 2024, 2025))
    ids = [
        land.create_run(db, SYSTEM, year=y, rule_set_id=preset_id(db), scope_code="330000")
        for y in (2023, 2024, 2025)
    ]
    for run_id in ids[:2]:
        publish(db, run_id)
    history = land_runs.firm_history(db, SYSTEM, firms[0].uscc)
    assert [(e.year, e.grade) for e in history.entries] == [(2025, "D"), (2024, "D"), (2023, "D")]
    # 2025 is still a draft: its own row counts the published years before it
    assert [e.lowest_streak for e in history.entries] == [0, 2, 1]
    assert history.flagged and "连续 2 年" in history.message
    page = land_runs.list_results(db, SYSTEM, ids[2], grade="D")
    assert [(r.uscc, r.lowest_streak) for r in page.items] == [(firms[0].uscc, 3)]
    assert not land_runs.firm_history(db, SYSTEM, firms[5].uscc).flagged


# --- land ------------------------------------------------------------------------------------


def test_far_minimums_cover_every_manufacturing_division_with_a_source():
    table = land_register.far_minimums()
    assert sorted(table.divisions) == [str(d) for d in range(13, 44)]
    assert table.divisions["39"].min_far == 1.0 and table.divisions["25"].min_far == 0.5
    assert {d.confidence for d in table.divisions.values()} == {"S", "U"}
    assert "国土资发〔2008〕24号" in table.source_title
    assert land_register.min_far("3911") == table.divisions["39"]
    assert land_register.min_far("4411") is None


def test_candidates_come_from_d_grades_idle_parcels_and_low_floor_area_ratio(db, world):
    firms = add_land_firms(db, world, above=12, below=0, far={2: 0.5}, status={3: "闲置"})
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    registrar = as_role(world, "park")
    before = {(c.parcel_code, c.land_type) for c in land_register.list_candidates(db, registrar)}
    assert before == {(firms[1].parcel_code, "容积率不达标"), (firms[2].parcel_code, "闲置")}
    publish(db, run_id)
    candidates = land_register.list_candidates(db, registrar)
    assert {(c.parcel_code, c.land_type) for c in candidates} == before | {
        (firms[0].parcel_code, "D类企业用地")
    }
    low = next(c for c in candidates if c.land_type == "容积率不达标")
    assert low.floor_area_ratio == pytest.approx(0.5) and "下限 1" in low.reason
    assert all(not c.registered for c in candidates)
    # the same from an explicit (draft) run
    explicit = land_register.list_candidates(db, SYSTEM, run_id=run_id)
    assert (firms[0].parcel_code, "D类企业用地") in {(c.parcel_code, c.land_type) for c in explicit}
    with pytest.raises(PermissionDenied):
        land_register.list_candidates(db, as_role(world, "enterprise"))


def test_the_register_records_disposal_within_the_parcel_area(db, world):
    firms = add_land_firms(db, world, above=2, below=0, status={1: "闲置"})
    park = as_role(world, "park")
    entry = land_register.create_entry(
        db,
        park,
        land_register.EntryIn(
            parcel_code=firms[0].parcel_code, land_type="闲置", responsible_unit="园区规划建设局"
        ),
    )
    assert (entry.area_remaining_mu, entry.status, entry.progress) == (10.0, "待处置", 0.0)
    with pytest.raises(Conflict):
        land_register.create_entry(
            db, park, land_register.EntryIn(parcel_code=firms[0].parcel_code, land_type="闲置")
        )
    with pytest.raises(InvalidInput, match="超过地块面积"):
        land_register.update_entry(
            db, park, entry.id, land_register.EntryUpdate(area_disposed_mu=6, area_remaining_mu=5)
        )
    moving = land_register.update_entry(
        db,
        park,
        entry.id,
        land_register.EntryUpdate(
            disposal_method="盘活", area_disposed_mu=4, area_remaining_mu=6, progress=40
        ),
    )
    assert (moving.status, moving.disposal_method, moving.area_disposed_mu) == (
        "处置中",
        "盘活",
        4.0,
    )
    done = land_register.update_entry(
        db,
        park,
        entry.id,
        land_register.EntryUpdate(status="已完成", area_disposed_mu=10, area_remaining_mu=0),
    )
    assert (done.status, done.progress) == ("已完成", 100.0)
    assert [e.id for e in land_register.list_register(db, as_role(world, "city"))] == [entry.id]
    outside = access.Principal(None, "js", "province", Scope("province", frozenset({"320000"})))
    with pytest.raises(PermissionDenied):
        land_register.list_register(db, as_role(world, "enterprise"))
    assert land_register.list_register(db, outside) == []
    with pytest.raises(NotFound):
        land_register.create_entry(
            db, park, land_register.EntryIn(parcel_code=world.outside.parcel_code, land_type="闲置")
        )


def test_a_parcel_marked_for_industrial_upstairs_and_its_floor_area_ratio(db, world):
    updated = land_register.update_parcel(
        db,
        as_role(world, "park"),
        world.inside.parcel_code,
        land_register.ParcelUpdate(industrial_upstairs=True, floor_area_m2=47_333.57),
    )
    # 容积率 = 47,333.57 m² / (35.5 亩 × 666.67 m²) = 2.0
    assert updated.industrial_upstairs and updated.floor_area_ratio == pytest.approx(2.0, rel=1e-4)
    with db.transaction() as s:
        parcel = s.scalar(
            select(LandParcel).where(LandParcel.parcel_code == world.inside.parcel_code)
        )
        assert parcel.industrial_upstairs and parcel.floor_area_ratio == pytest.approx(
            2.0, rel=1e-4
        )


def test_park_figures_on_a_small_hand_case(db, world):
    from factories import add_enterprise, add_park

    pid = add_park(db, "S337099", "手算园区", "330000", "330100")
    a = add_enterprise(
        db, uscc("330102", 901), "甲公司", pid, "330000", "330100", industry_code="3911"
    )
    b = add_enterprise(
        db, uscc("330102", 902), "乙公司", pid, "330000", "330100", industry_code="2611"
    )
    parcels = [
        # code, holder, 亩, mode, status, m², 工业上楼
        ("HC-1", a, 20.0, "出让", "在用", 20 * 666.67 * 1.5, True),  # 容积率 1.5 ≥ 1.0
        ("HC-2", b, 10.0, "先租后让", "在用", 10 * 666.67 * 0.4, False),  # 0.4 < 0.6 (化学)
        ("HC-3", b, 5.0, "弹性年期出让", "闲置", None, False),
        ("HC-4", None, 5.0, "出让", "闲置", None, False),  # not supplied
    ]
    with db.transaction() as s:
        for code, holder, mu, mode, status, m2, up in parcels:
            s.add(
                LandParcel(
                    parcel_code=code,
                    park_id=pid,
                    holder_id=holder,
                    area_mu=mu,
                    supply_mode=mode,
                    status=status,
                    floor_area_m2=m2,
                    industrial_upstairs=up,
                )
            )
        s.add(PeriodReport(enterprise_id=a, period="2025-03", tax=300.0, value_added=1200.0))
        s.add(PeriodReport(enterprise_id=a, period="2025-09", tax=150.0, value_added=600.0))
        s.add(PeriodReport(enterprise_id=b, period="2025-05", tax=75.0, value_added=300.0))
        s.add(PeriodReport(enterprise_id=b, period="2024-05", tax=999.0, value_added=999.0))
    frame = land_register.park_land_figures(db, Scope("park", frozenset({"S337099"})), 2025)
    row = frame.row(0, named=True)
    assert row["land_mu"] == 40.0 and row["supplied_mu"] == 35.0
    assert row["tax"] == 525.0 and row["value_added"] == 2100.0
    assert row["tax_per_mu"] == pytest.approx(525 / 35)  # 15 万元/亩
    assert row["value_added_per_mu"] == pytest.approx(60.0)
    assert row["share_出让"] == pytest.approx(25 / 40)
    assert row["share_先租后让"] == pytest.approx(10 / 40)
    assert row["share_弹性年期出让"] == pytest.approx(5 / 40)
    assert row["share_长期租赁"] == 0.0
    assert row["idle_share"] == pytest.approx(10 / 40)
    assert row["upstairs_share"] == pytest.approx(20 / 40)
    # Σ m² / (Σ 亩 × 666.67) over HC-1, HC-2 = (20×1.5 + 10×0.4) / 30
    assert row["floor_area_ratio"] == pytest.approx((30 + 4) / 30, rel=1e-4)
    assert row["below_min_far_share"] == pytest.approx(10 / 30)
    figures = land_register.park_figures(db, SYSTEM, 2025)
    assert "S337099" in [f.park_code for f in figures]
    with db.transaction() as s:
        assert s.scalar(select(Park.name).where(Park.code == "S337099")) == "手算园区"


def test_run_inputs_table_keeps_the_frame_as_parquet(db, world):
    add_land_firms(db, world, above=2, below=0)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    with db.transaction() as s:
        stored = s.get(EvaluationRunInput, run_id)
        assert stored is not None and stored.parquet[:4] == b"PAR1" and stored.rows == 2
        assert stored.columns[:2] == ["uscc", "name"]
