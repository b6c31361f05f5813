"""亩均评价 API: rule sets and preview, runs, results, explanations, what-if, the process,
objections with evidence uploads, history, park figures, the 容积率 table and the register."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest

from land_factories import SYSTEM, add_land_firms, preset_id
from parkhq.analysis.land import score
from parkhq.reference.land_rules import rule_set_from_mapping
from parkhq.services import land, land_process, land_runs

API = "/api/v1/land"


def publish(db, run_id, days=7):  # type: ignore[no-untyped-def]
    for action in ("submit", "park_approve"):
        land_process.transition(db, SYSTEM, run_id, action)
    land_process.transition(db, SYSTEM, run_id, "publish", days=days)


def test_a_city_creates_a_run_and_reads_sorted_results_and_an_explanation(client_for, world, db):
    add_land_firms(db, world)
    city = client_for("city")
    created = city.post(f"{API}/runs", json={"year": 2025, "rule_set_id": preset_id(db)})
    assert created.status_code == 200, created.text
    run = created.json()
    assert run["status"] == "draft" and run["scope_code"] == "330100" and run["firm_count"] == 16
    assert run["content_hash"].startswith("sha256:")
    assert {(c["segment"], c["grade"]): c["firms"] for c in run["counts"]}[("规上", "D")] == 1
    page = city.get(f"{API}/runs/{run['id']}/results", params={"sort": "total", "order": "desc"})
    totals = [r["total"] for r in page.json()["items"]]
    assert totals == sorted(totals, reverse=True) and len(totals) == 16
    assert page.json()["indicator_labels"]["tax_per_mu"] == "亩均税收"
    first = page.json()["items"][0]
    explained = city.get(f"{API}/runs/{run['id']}/results/{first['uscc']}").json()
    kinds = [e["kind"] for e in explained["entries"]]
    assert kinds[-2:] == ["total", "grade"] and "indicator" in kinds
    tax = next(e for e in explained["entries"] if e.get("key") == "tax_per_mu")
    assert {"value", "benchmark", "weight", "score", "text"} <= tax.keys()
    listed = city.get(f"{API}/runs").json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]


def test_preview_gives_counts_and_field_path_errors(client_for, world, db):
    add_land_firms(db, world)
    yaml_text = land.get_rule_set(db, SYSTEM, preset_id(db)).yaml_text
    city = client_for("city")
    ok = city.post(f"{API}/rule-sets/preview", json={"yaml_text": yaml_text, "year": 2025})
    assert ok.status_code == 200, ok.text
    assert sum(c["firms"] for c in ok.json()["counts"]) == 16
    bad = yaml_text.replace("weight: 30,", "weight: -30,")
    error = city.post(f"{API}/rule-sets/preview", json={"yaml_text": bad, "year": 2025})
    assert error.status_code == 422
    assert error.json()["error"] == "rule_set_error"
    assert "segments.0.items.0.weight：须大于 0" in error.json()["message"]
    assert (
        client_for("enterprise")
        .post(f"{API}/rule-sets/preview", json={"yaml_text": yaml_text, "year": 2025})
        .status_code
        == 403
    )


def test_rule_sets_are_saved_as_new_versions(client_for, world, db):
    yaml_text = land.get_rule_set(db, SYSTEM, preset_id(db)).yaml_text
    province = client_for("province")
    mine = yaml_text.replace('version: "2023.1"', 'version: "2024-浙"')
    saved = province.post(
        f"{API}/rule-sets", json={"yaml_text": mine, "based_on_id": preset_id(db)}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["scope_code"] == "330000" and saved.json()["version"] == "2024-浙"
    again = province.post(f"{API}/rule-sets", json={"yaml_text": mine})
    assert again.status_code == 409
    assert client_for("park").post(f"{API}/rule-sets", json={"yaml_text": mine}).status_code == 403
    names = [r["version"] for r in client_for("city").get(f"{API}/rule-sets").json()]
    assert "2024-浙" in names and "2023.1" in names


def test_what_if_api_lists_exactly_the_firms_whose_grade_changes(client_for, world, db):
    add_land_firms(db, world, above=20, below=10, mixed=True)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330000")
    body = {"weights": {"below_scale.tax_per_electricity": 10}}
    response = client_for("city").post(f"{API}/runs/{run_id}/what-if", json=body)
    assert response.status_code == 200, response.text
    with db.transaction() as s:
        frame, rules = land_runs.load_inputs(s, run_id)
    data = rules.model_dump(by_alias=True)
    data["segments"][1]["items"][1]["weight"] = 10
    before = score(frame, rules, explain=False)
    after = score(frame, rule_set_from_mapping(data), explain=False)
    joined = before.select("uscc", pl.col("grade").cast(pl.String)).join(
        after.select("uscc", pl.col("grade").cast(pl.String).alias("after")), on="uscc"
    )
    expected = set(joined.filter(pl.col("grade") != pl.col("after"))["uscc"])
    assert expected
    assert {r["uscc"] for r in response.json()["items"]} == expected
    assert (
        client_for("enterprise").post(f"{API}/runs/{run_id}/what-if", json=body).status_code == 403
    )


def test_the_process_over_the_api_checks_roles(client_for, world, db):
    add_land_firms(db, world, above=3, below=0)
    run_id = land.create_run(db, SYSTEM, year=2025, rule_set_id=preset_id(db), scope_code="330100")
    park, city = client_for("park"), client_for("city")
    url = f"{API}/runs/{run_id}/transitions"
    assert city.post(url, json={"action": "submit"}).json()["status"] == "park_review"
    assert city.post(url, json={"action": "park_approve"}).status_code == 403
    assert park.post(url, json={"action": "park_approve"}).json()["status"] == "city_review"
    assert park.post(url, json={"action": "publish", "days": 7}).status_code == 403
    missing_days = city.post(url, json={"action": "publish"})
    assert missing_days.status_code == 422 and "公示天数" in missing_days.json()["message"]
    published = city.post(url, json={"action": "publish", "days": 10}).json()
    assert published["status"] == "publicized" and published["publication_days"] == 10
    early = city.post(url, json={"action": "finalize"})
    assert early.status_code == 409 and "尚未届满" in early.json()["message"]
    steps = [s["step_label"] for s in published["steps"]]
    assert steps == ["创建评价", "提交园区审核", "园区审核", "市级审核"]


def test_an_objection_uploaded_by_the_firm_and_accepted_gives_a_new_version(client_for, world, db):
    firms = add_land_firms(db, world, above=12, below=0, years=(2026,))
    run_id = land.create_run(db, SYSTEM, year=2026, rule_set_id=preset_id(db), scope_code="330000")
    publish(db, run_id)
    firm = client_for("enterprise")  # the world's inside firm, also in this run
    own = firm.get(f"{API}/runs/{run_id}/results").json()
    assert [r["uscc"] for r in own["items"]] == [world.inside.uscc]
    old_rows = client_for("admin").get(f"{API}/runs/{run_id}/results", params={"limit": 100}).json()
    response = firm.post(
        f"{API}/runs/{run_id}/objections",
        data={"reason": "用地面积含代征道路，应为 20 亩", "land_mu": "20"},
        files=[
            ("files", ("不动产权证.pdf", b"%PDF-1.7 deed", "application/pdf")),
            ("files", ("测绘报告.png", b"\x89PNG survey", "image/png")),
        ],
    )
    assert response.status_code == 200, response.text
    objection = response.json()
    assert objection["corrections"] == {"land_mu": 20.0} and len(objection["evidence"]) == 2
    assert objection["evidence"][0]["sha256"] == hashlib.sha256(b"%PDF-1.7 deed").hexdigest()
    download = firm.get(
        f"{API}/objections/{objection['id']}/evidence/{objection['evidence'][0]['id']}"
    )
    assert download.content == b"%PDF-1.7 deed"
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")
    no_files = firm.post(f"{API}/runs/{run_id}/objections", data={"reason": "x", "tax": "1"})
    assert no_files.status_code == 422
    city = client_for("city")
    inbox = city.get(f"{API}/objections", params={"status": "submitted"}).json()
    assert [o["id"] for o in inbox["items"]] == [objection["id"]]
    assert (
        firm.post(
            f"{API}/objections/{objection['id']}/decision", json={"accept": True, "reason": "x"}
        ).status_code
        == 403
    )
    decided = city.post(
        f"{API}/objections/{objection['id']}/decision", json={"accept": True, "reason": "核实无误"}
    ).json()
    new_id = decided["resolved_run_id"]
    assert decided["status"] == "accepted" and new_id != run_id
    admin = client_for("admin")
    old = admin.get(f"{API}/runs/{run_id}").json()
    assert old["status"] == "superseded"
    assert admin.get(f"{API}/runs/{run_id}/results", params={"limit": 100}).json() == old_rows
    new = admin.get(f"{API}/runs/{new_id}").json()
    assert (new["version"], new["parent_run_id"], new["status"]) == (2, run_id, "publicized")
    assert new["content_hash"] != old["content_hash"]
    mine = firm.get(f"{API}/runs/{new_id}/results/{world.inside.uscc}").json()
    land_row = next(e for e in mine["entries"] if e.get("key") == "tax_per_mu")
    assert land_row["value"] == pytest.approx(55.0 / 20)  # the world firm's 2026 tax / corrected 亩
    history = firm.get(f"{API}/firms/{world.inside.uscc}/history").json()
    assert [e["run_id"] for e in history["entries"]] == [new_id]
    assert firms  # the other firms stay graded in both versions


def test_park_figures_far_table_and_the_register_over_the_api(client_for, world, db):
    firms = add_land_firms(db, world, above=2, below=0, far={1: 0.5})
    park = client_for("park")
    figures = park.get(f"{API}/figures", params={"year": 2025}).json()
    assert [f["park_code"] for f in figures] == [world.inside.park_code]
    assert figures[0]["tax"] == 30.0  # firms 1 and 2: 10 + 20 万元
    assert figures[0]["supplied_mu"] == pytest.approx(35.5 + 20)
    table = park.get(f"{API}/far-minimums").json()
    assert table["divisions"]["39"]["min_far"] == 1.0
    candidates = park.get(f"{API}/register/candidates").json()
    assert [(c["parcel_code"], c["land_type"]) for c in candidates] == [
        (firms[0].parcel_code, "容积率不达标")
    ]
    created = park.post(
        f"{API}/register",
        json={
            "parcel_code": firms[0].parcel_code,
            "land_type": "容积率不达标",
            "responsible_unit": "园区经发局",
        },
    )
    assert created.status_code == 200, created.text
    entry = created.json()
    patched = park.patch(
        f"{API}/register/{entry['id']}",
        json={"disposal_method": "提高容积率", "progress": 30},
    ).json()
    assert (patched["disposal_method"], patched["status"], patched["progress"]) == (
        "提高容积率",
        "处置中",
        30.0,
    )
    assert park.get(f"{API}/register").json()[0]["id"] == entry["id"]
    assert park.get(f"{API}/register/candidates").json()[0]["registered"] is True
    parcel = park.patch(
        f"{API}/parcels/{firms[0].parcel_code}", json={"industrial_upstairs": True}
    ).json()
    assert parcel["industrial_upstairs"] and parcel["floor_area_ratio"] == pytest.approx(
        0.5, rel=1e-4
    )
    assert client_for("enterprise").get(f"{API}/register").status_code == 403
    assert client_for("chain").get(f"{API}/figures", params={"year": 2025}).status_code == 200
