"""Imports: template round trip, all-or-nothing, idempotence, GBK, undo and scope."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import polars as pl
import pytest
from sqlalchemy import func, select

from factories import uscc
from parkhq.errors import Conflict
from parkhq.ingest.templates import template_xlsx
from parkhq.services import access
from parkhq.services.imports import import_file, list_batches, undo_batch
from parkhq.store.models import (
    Enterprise,
    EnterpriseLabel,
    ImportBatch,
    LandParcel,
    Park,
    PeriodReport,
)

ADMIN = access.system_principal("tests")
MONTHLY_HEADER = (
    "统一社会信用代码,企业名称,报告期,工业总产值(万元),营业收入(万元),工业增加值(万元),税收(万元),"
    "从业人员(人)"
)


def count(db, model) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def registry_csv(codes: list[str], park: str = "S337001") -> bytes:
    lines = [
        "统一社会信用代码,企业名称,园区代码,行业代码,成立日期,是否规上,企业标签,主营产品,区划代码"
    ]
    for i, code in enumerate(codes):
        lines.append(
            f"{code},临江第{i}精密机械有限公司,{park},3484,2015-06-01,是,专精特新,齿轮箱,330102"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def park_csv(
    code: str = "S337001", name: str = "临江经济开发区", province: str = "浙江省"
) -> bytes:
    return (
        "序号,代码,开发区名称,省份,城市/区县,批准级别,开发区类型,批准时间,核准面积_公顷,主导产业\n"
        f"1,{code},{name},{province},杭州,省政府,经济开发区,2006.03,812.5,装备制造、电子信息\n"
    ).encode()


def monthly_csv(codes: list[str], months: list[str]) -> bytes:
    lines = [MONTHLY_HEADER]
    for i, code in enumerate(codes):
        for j, period in enumerate(months):
            out = 1000 + i + j
            lines.append(
                f"{code},临江第{i}精密机械有限公司,{period},{out},{out * 0.95:.2f},"
                f"{out * 0.25:.2f},{out * 0.04:.2f},{50 + i % 7}"
            )
    return ("\n".join(lines) + "\n").encode("utf-8")


def firms(n: int, start: int = 10_000) -> list[str]:
    return [uscc("330102", start + i) for i in range(n)]


@pytest.fixture
def registered(db):
    codes = firms(400)
    assert import_file(db, ADMIN, park_csv(), "parks.csv").status == "committed"
    assert import_file(db, ADMIN, registry_csv(codes), "firms.csv").status == "committed"
    return codes


def test_template_round_trip_fills_every_table(db):
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(None)))
    firm = uscc("330102", 77)
    workbook["园区名录"].append(
        [
            1,
            "S337001",
            "临江经济开发区",
            "浙江省",
            "杭州",
            "省政府",
            "经济开发区",
            "2006.03",
            812.5,
            "装备制造、电子信息",
        ]
    )
    workbook["企业名录"].append(
        [
            firm,
            "临江精工机械有限公司",
            "S337001",
            "3484",
            date(2016, 5, 4),
            "是",
            "专精特新；高新技术企业",
            "减速机、齿轮箱",
            "330102",
        ]
    )
    workbook["用地"].append(
        ["LJ-2016-001", "S337001", firm, 42.5, "出让", date(2016, 6, 1), 50, 31000, "在用"]
    )
    workbook["企业月报"].append(
        [
            firm,
            "临江精工机械有限公司",
            "2026-09",
            1520.3,
            1480,
            380.1,
            61.2,
            90,
            210.4,
            35.6,
            0.8,
            128,
            45.5,
            300,
            12,
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)

    outcome = import_file(db, ADMIN, buffer.getvalue(), "填好的模板.xlsx")

    assert outcome.status == "committed", outcome.sheets
    assert [s.rows_inserted for s in outcome.sheets] == [1, 1, 1, 1]
    with db.transaction() as s:
        park = s.scalar(select(Park))
        ent = s.scalar(select(Enterprise))
        parcel = s.scalar(select(LandParcel))
        report = s.scalar(select(PeriodReport))
        labels = sorted(s.scalars(select(EnterpriseLabel.label)))
    assert (park.code, park.level, park.province_code, park.city_code) == (
        "S337001",
        "省级",
        "330000",
        "330100",
    )
    assert (ent.uscc, ent.park_id, ent.industry_code, ent.city_code) == (
        firm,
        park.id,
        "3484",
        "330100",
    )
    assert labels == ["专精特新", "高新技术企业"]
    assert (parcel.holder_id, parcel.area_mu, parcel.supply_mode) == (ent.id, 42.5, "出让")
    assert (report.period, report.output_value, report.employees) == ("2026-09", 1520.3, 128)
    # 工业: 中型 needs ≥ 300 人 and ≥ 2000 万元; 128 人 with 1480 万元 × 12 = 17,760 万元 is 小型.
    assert ent.size_class == "小型"


def test_a_10000_row_report_with_one_bad_uscc_and_one_negative_value_writes_nothing(db, registered):
    months = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)]
    data = monthly_csv(registered, months[:25])
    lines = data.decode().splitlines()
    assert len(lines) - 1 == 10_000
    cells = lines[1234].split(",")
    cells[0] = cells[0][:-1] + ("0" if cells[0][-1] != "0" else "1")  # a wrong check digit
    lines[1234] = ",".join(cells)
    cells = lines[5678].split(",")
    cells[6] = "-12.5"  # 税收(万元)
    lines[5678] = ",".join(cells)
    broken = ("\n".join(lines) + "\n").encode()

    outcome = import_file(db, ADMIN, broken, "月报.csv")

    assert outcome.status == "rejected"
    assert count(db, PeriodReport) == 0
    problems = {(p["code"], p["row"], p["column"]): p for p in outcome.sheets[0].report["problems"]}
    usccs = problems[("E201_INVALID_USCC", 1235, "统一社会信用代码")]
    assert "校验码" in usccs["message"] and usccs["column_letter"] == "A"
    negative = problems[("E106_NEGATIVE_VALUE", 5679, "税收(万元)")]
    assert negative["column_letter"] == "G" and "-12.5" in negative["message"]

    fixed = import_file(db, ADMIN, data, "月报.csv")
    assert fixed.status == "committed"
    assert fixed.sheets[0].rows_inserted == 10_000
    assert count(db, PeriodReport) == 10_000

    again = import_file(db, ADMIN, data, "月报.csv")
    assert again.status == "committed"
    assert (again.sheets[0].rows_inserted, again.sheets[0].rows_updated) == (0, 0)
    assert again.sheets[0].rows_unchanged == 10_000
    assert count(db, PeriodReport) == 10_000


def test_a_gbk_csv_imports_with_its_chinese_names_intact(db):
    data = park_csv(name="临江高新技术产业园区（二期）").decode("utf-8").encode("gbk")
    outcome = import_file(db, ADMIN, data, "园区.csv")
    assert outcome.status == "committed"
    assert outcome.sheets[0].report["encoding"] in ("gbk", "gb18030")
    with db.transaction() as s:
        assert s.scalar(select(Park.name)) == "临江高新技术产业园区（二期）"


def test_an_update_is_recorded_and_undo_restores_the_previous_values(db, registered):
    first = monthly_csv(registered[:10], ["2026-08"])
    import_file(db, ADMIN, first, "八月.csv")
    revised = first.decode().replace(",1000,", ",999,", 1).encode()
    outcome = import_file(db, ADMIN, revised, "八月修订.csv")
    assert (outcome.sheets[0].rows_updated, outcome.sheets[0].rows_unchanged) == (1, 9)
    with db.transaction() as s:
        assert s.scalar(select(func.min(PeriodReport.output_value))) == 999

    undo_batch(db, ADMIN, outcome.sheets[0].batch_id)

    with db.transaction() as s:
        assert s.scalar(select(func.min(PeriodReport.output_value))) == 1000
    assert count(db, PeriodReport) == 10


def test_undo_goes_from_the_latest_batch_and_refuses_to_orphan_reports(db, registered):
    reports = import_file(db, ADMIN, monthly_csv(registered[:5], ["2026-07"]), "七月.csv")
    registry_batch = list_batches(db, ADMIN)[1][-2].id  # the registry import
    with pytest.raises(Conflict, match="已被 5 条月报或用地记录引用"):
        undo_batch(db, ADMIN, registry_batch)
    undo_batch(db, ADMIN, reports.sheets[0].batch_id)
    assert count(db, PeriodReport) == 0
    undo_batch(db, ADMIN, registry_batch)
    assert count(db, Enterprise) == 0
    with pytest.raises(Conflict, match="只能撤销已提交的批次"):
        undo_batch(db, ADMIN, registry_batch)


def test_a_park_committee_cannot_report_for_a_firm_of_another_park(db, registered):
    other = firms(1, start=20_000)
    import_file(db, ADMIN, park_csv("S337002", "临江第二工业园区"), "p2.csv")
    import_file(db, ADMIN, registry_csv(other, park="S337002"), "f2.csv")
    uid = access.create_user(
        db, ADMIN, username="park1", password="park1-password", role="park", scope_codes=["S337001"]
    )
    park_user = access.Principal(uid, "park1", "park", access.Scope("park", frozenset({"S337001"})))

    outcome = import_file(db, park_user, monthly_csv(registered[:2] + other, ["2026-09"]), "m.csv")

    assert outcome.status == "rejected"
    (problem,) = outcome.sheets[0].report["problems"]
    assert problem["code"] == "E302_UNKNOWN_ENTERPRISE" and problem["value"] == other[0]
    assert "不在您的权限范围内" in problem["message"]
    assert count(db, PeriodReport) == 0


def test_a_province_authority_cannot_register_a_park_of_another_province(db):
    uid = access.create_user(
        db, ADMIN, username="zj", password="zj-password-1", role="province", scope_codes=["330000"]
    )
    zj = access.Principal(uid, "zj", "province", access.Scope("province", frozenset({"330000"})))
    outcome = import_file(db, zj, park_csv("S327001", "苏南经济开发区", "江苏省"), "p.csv")
    assert outcome.status == "rejected"
    (problem,) = [p for p in outcome.sheets[0].report["problems"] if p["severity"] == "error"]
    assert problem["code"] == "E304_OUT_OF_SCOPE" and problem["row"] == 2
    assert count(db, Park) == 0


def test_a_rejected_import_is_kept_in_the_history_with_its_error_workbook(db, tmp_path):
    bad = park_csv("S337001").replace(b"812.5", "八百".encode())
    outcome = import_file(db, ADMIN, bad, "坏文件.csv", report_dir=tmp_path)
    assert outcome.status == "rejected"
    total, batches = list_batches(db, ADMIN)
    assert (total, batches[0].status, batches[0].errors) == (1, "rejected", 1)
    workbook = openpyxl.load_workbook(tmp_path / f"import-{outcome.error_report_batch}-errors.xlsx")
    data_sheet = next(ws for ws in workbook.worksheets if ws.title != "问题清单")
    cell = next(c for row in data_sheet.iter_rows() for c in row if c.value == "八百")
    assert (cell.coordinate, cell.fill.fill_type, cell.fill.fgColor.rgb) == (
        "I2",
        "solid",
        "FFFFC7CE",
    )
    assert "应为数字" in cell.comment.text
    assert [c.value for c in workbook["问题清单"][2]][:6] == [
        data_sheet.title,
        2,
        "I",
        "核准面积_公顷",
        "错误",
        "E102_NOT_A_NUMBER",
    ]
    assert count(db, ImportBatch) == 1 and count(db, Park) == 0


def test_frames_from_the_generator_path_are_upserted_like_files(db, registered):
    from parkhq.services.imports import import_frames

    frame = (
        pl.DataFrame(
            {
                "uscc": registered[:3],
                "name": ["甲", "乙", "丙"],
                "period": ["2026-10"] * 3,
                "output_value": [1.0, 2.0, 3.0],
            }
        )
        .with_columns(
            *(
                pl.lit(None, dtype=pl.Float64).alias(c)
                for c in (
                    "revenue",
                    "value_added",
                    "tax",
                    "profit",
                    "energy_tce",
                    "electricity",
                    "emission_t",
                    "rd_expense",
                    "export_value",
                    "investment",
                )
            )
        )
        .with_columns(pl.lit(None, dtype=pl.Int64).alias("employees"))
    )
    [(batch, result)] = import_frames(db, ADMIN, {"monthly_report": frame}, source="gen")
    assert (result.inserted, batch > 0) == (3, True)
    [(_, again)] = import_frames(db, ADMIN, {"monthly_report": frame}, source="gen")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
