"""Templates round-trip through Excel; the error report highlights the user's own cells."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from parkhq.ingest.checks import CheckConfig, KnownKeys, validate, validate_all
from parkhq.ingest.formats import FORMATS, get_format
from parkhq.ingest.readers import INSTRUCTION_SHEET, read_table
from parkhq.ingest.templates import PROBLEM_SHEET, error_report_xlsx, template_xlsx
from parkhq.ingest.values import dtype_of
from parkhq.reference.uscc import make_uscc

CONFIG = CheckConfig(today=date(2024, 6, 15))
U = [make_uscc("9", "1", "330106", f"MA2H{i:05d}") for i in range(3)]

# What a user types into each sheet, by English field name (Python values as Excel holds them).
FILLED: dict[str, list[dict[str, Any]]] = {
    "park_registry": [
        {
            "seq": 3,
            "code": "S119003",
            "name": "北京房山工业园区",
            "province": "北京市",
            "city": "房山",
            "level": "省政府",
            "type": "工业园区",
            "approved_on": "2006.03",
            "area_ha": 241.43,
            "declared_industries": "互联网金融、智能装备、新材料",
        },
        {
            "seq": 39,
            "code": "S139047",
            "name": "河北石家庄矿区工业园",
            "province": "河北省",
            "city": "石家庄矿区",
            "level": "省政府",
            "type": "工业园区",
            "approved_on": "2011.07",
            "area_ha": 595.14,
            "declared_industries": "特钢冶炼、通用零部件、装备制造",
        },
    ],
    "enterprise_registry": [
        {
            "uscc": U[0],
            "name": "杭州西湖精密机械有限公司",
            "park_code": "S119003",
            "industry_code": "0111",
            "founded_on": date(2015, 6, 18),
            "above_scale": "是",
            "labels": "高新技术企业；专精特新",
            "products": "稻谷种植",
            "region_code": "330106",
        },
        {
            "uscc": U[1],
            "name": "浙江钱塘新材料股份有限公司",
            "park_code": "S139047",
            "industry_code": "3911",
            "founded_on": date(2016, 3, 1),
            "above_scale": "否",
            "labels": None,
            "products": "计算机整机",
            "region_code": "130107",
        },
    ],
    "land_parcels": [
        {
            "parcel_code": "330106-GY-0012",
            "park_code": "S119003",
            "holder_uscc": U[0],
            "area_mu": 35.2,
            "supply_mode": "出让",
            "start_on": date(2018, 5, 1),
            "term_years": 50,
            "floor_area_m2": 42000.0,
            "status": "在用",
        },
        {
            "parcel_code": "330106-GY-0013",
            "park_code": "S139047",
            "holder_uscc": None,
            "area_mu": 12.0,
            "supply_mode": "先租后让",
            "start_on": date(2020, 1, 15),
            "term_years": 20,
            "floor_area_m2": 0.0,
            "status": "闲置",
        },
    ],
    "monthly_report": [
        {
            "uscc": U[0],
            "name": "杭州西湖精密机械有限公司",
            "period": "2024-03",
            "output_value": 1250.5,
            "revenue": 1180.0,
            "value_added": 310.2,
            "tax": 45.3,
            "profit": -12.5,
            "energy_tce": 86.4,
            "electricity": 52.8,
            "emission_t": 0.8,
            "employees": 230,
            "rd_expense": 60.0,
            "export_value": 200.0,
            "investment": 500.0,
        },
        {
            "uscc": U[1],
            "name": "浙江钱塘新材料股份有限公司",
            "period": "2024-03",
            "output_value": 980.0,
            "revenue": 1000.0,
            "value_added": None,
            "tax": 20.0,
            "profit": 30.0,
            "energy_tce": 40.0,
            "electricity": 25.0,
            "emission_t": 0.1,
            "employees": 98,
            "rd_expense": None,
            "export_value": 0.0,
            "investment": 0.0,
        },
    ],
}

EXPECTED_CHANGES = {
    ("park_registry", "approved_on"): {"2006.03": "2006-03", "2011.07": "2011-07"},
    ("enterprise_registry", "above_scale"): {"是": True, "否": False},
}


def _expected(kind: str) -> pl.DataFrame:
    fmt = get_format(kind)
    columns: dict[str, list[Any]] = {}
    for spec in fmt.fields:
        values = [row[spec.name] for row in FILLED[kind]]
        change = EXPECTED_CHANGES.get((kind, spec.name))
        if change:
            values = [change[v] for v in values]
        if spec.type == "labels":
            values = [None if v is None else v.split("；") for v in values]
        columns[spec.name] = values
    return pl.DataFrame(columns, schema={s.name: dtype_of(s) for s in fmt.fields})


def _fill(template: bytes, kinds: list[str]) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    for kind in kinds:
        fmt = get_format(kind)
        sheet = workbook[fmt.sheet_name]
        headers = [cell.value for cell in sheet[1]]
        assert headers == [spec.header for spec in fmt.fields]
        for r, row in enumerate(FILLED[kind], start=2):
            for c, spec in enumerate(fmt.fields, start=1):
                if row[spec.name] is not None:
                    sheet.cell(row=r, column=c, value=row[spec.name])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_all_sheets_template_round_trips_to_the_values_written() -> None:
    kinds = ["park_registry", "enterprise_registry", "land_parcels", "monthly_report"]
    filled = _fill(template_xlsx(), kinds)
    raw = read_table(filled, "filled.xlsx")
    assert set(raw.kinds) == set(kinds)
    results = validate_all(raw, KnownKeys(), CONFIG)
    for kind in kinds:
        frame, report = results[kind]
        assert report.ok, (kind, [p.message for p in report.problems])
        assert report.problems == []
        assert_frame_equal(frame, _expected(kind))


@pytest.mark.parametrize("kind", list(FORMATS))
def test_single_format_template_has_one_data_sheet_and_instructions(kind: str) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(kind)))
    fmt = get_format(kind)
    assert workbook.sheetnames == [fmt.sheet_name, INSTRUCTION_SHEET]
    sheet = workbook[fmt.sheet_name]
    assert sheet.freeze_panes == "A2"
    for col, spec in enumerate(fmt.fields, start=1):
        cell = sheet.cell(row=1, column=col)
        assert cell.value == spec.header
        assert cell.comment is not None
        assert spec.description in cell.comment.text
        assert ("必填" if spec.required else "选填") in cell.comment.text


def test_template_code_columns_are_text_and_enumerations_have_drop_downs() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx("land_parcels")))
    sheet = workbook["用地"]
    assert sheet.column_dimensions["A"].number_format == "@"  # 地块编码
    assert sheet.column_dimensions["C"].number_format == "@"  # 统一社会信用代码
    assert sheet.column_dimensions["F"].number_format == "yyyy-mm-dd"  # 起始日期
    assert (sheet.column_dimensions["A"].width or 0) >= 10
    lists = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert lists["E2:E1048576"] == '"出让,长期租赁,先租后让,弹性年期出让,划拨"'
    assert lists["I2:I1048576"] == '"在用,在建,闲置,低效"'
    registry = openpyxl.load_workbook(io.BytesIO(template_xlsx("enterprise_registry")))
    formulas = [dv.formula1 for dv in registry["企业名录"].data_validations.dataValidation]
    assert formulas == ['"是,否"']


def test_blank_template_reads_as_its_kind_with_no_data() -> None:
    raw = read_table(template_xlsx("monthly_report"), "t.xlsx")
    assert raw.kinds == ("monthly_report",)
    assert raw.notes == ()
    _, report = validate(raw, "monthly_report", KnownKeys(), CONFIG)
    assert [p.code for p in report.problems] == ["E004_NO_DATA"]


def test_error_report_highlights_cells_and_lists_every_problem() -> None:
    header = "统一社会信用代码,企业名称,报告期,工业总产值(万元)\n"
    bad_uscc = U[0][:-1] + ("0" if U[0][-1] != "0" else "1")
    body = f"{bad_uscc},甲,2024-03,100\n{U[1]},改名了,2024-03,-5\n"
    raw = read_table((header + body).encode("gbk"), "月报.csv")
    known = KnownKeys(
        enterprises=pl.DataFrame(
            {"uscc": U[:2], "name": ["甲", "乙"], "industry_code": ["3911"] * 2}
        )
    )
    _, report = validate(raw, "monthly_report", known, CONFIG)
    workbook = openpyxl.load_workbook(io.BytesIO(error_report_xlsx(raw, report)))
    assert workbook.sheetnames == [PROBLEM_SHEET, "月报"]

    data = workbook["月报"]
    assert data["A2"].value == bad_uscc
    assert data["A2"].fill.fgColor.rgb.endswith("FFC7CE")  # error: red
    assert data["A2"].comment is not None and "校验码" in data["A2"].comment.text
    assert data["B3"].fill.fgColor.rgb.endswith("FFEB9C")  # name mismatch: yellow
    assert data["D3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert data["C2"].comment is None

    listing = workbook[PROBLEM_SHEET]
    rows = [[c.value for c in row] for row in listing.iter_rows(min_row=2)]
    assert [(r[1], r[2], r[5]) for r in rows] == [
        (2, "A", "E201_INVALID_USCC"),
        (3, "B", "W403_NAME_MISMATCH"),
        (3, "D", "E106_NEGATIVE_VALUE"),
    ]
    assert rows[2][7] == "第 3 行「工业总产值(万元)」不能为负数，实际为 -5"


def test_error_report_without_a_readable_file_has_only_the_problem_list() -> None:
    from parkhq.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls")
    workbook = openpyxl.load_workbook(io.BytesIO(error_report_xlsx(None, caught.value.report)))
    assert workbook.sheetnames == [PROBLEM_SHEET]
    assert workbook[PROBLEM_SHEET]["F2"].value == "E002_UNSUPPORTED_FILE_TYPE"
