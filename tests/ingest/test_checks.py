"""Checks: every problem code a sheet can raise, the clean typed frame, and the 10,000-row case."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from stdnum.cn import uscc as stdnum_uscc

from parkhq.ingest.checks import CheckConfig, KnownKeys, validate, validate_all
from parkhq.ingest.readers import RawTable, read_table
from parkhq.ingest.report import Report
from parkhq.reference.uscc import make_uscc

DATA = Path(__file__).parent.parent / "data"
TODAY = date(2024, 6, 15)
CONFIG = CheckConfig(today=TODAY)
USCC = [make_uscc("9", "1", "330106", f"MA2H{i:05d}") for i in range(40)]
PARKS = frozenset({"S119003", "S119006"})


def _known(n: int = 40, industry: str = "3911") -> KnownKeys:
    enterprises = pl.DataFrame(
        {
            "uscc": USCC[:n],
            "name": [f"企业{i}" for i in range(n)],
            "industry_code": [industry] * n,
        }
    )
    return KnownKeys(park_codes=PARKS, enterprises=enterprises)


def _csv(header: list[str], rows: list[list[object]], name: str = "t.csv") -> RawTable:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return read_table(buffer.getvalue().encode("utf-8"), name)


def _check(
    kind: str, header: list[str], rows: list[list[object]], known: KnownKeys | None = None
) -> tuple[pl.DataFrame, Report]:
    return validate(_csv(header, rows), kind, known or _known(), CONFIG)


def _codes(report: Report) -> list[tuple[int | None, str]]:
    return [(p.row, p.code) for p in report.problems]


MONTHLY = [
    "统一社会信用代码",
    "企业名称",
    "报告期",
    "工业总产值(万元)",
    "从业人员(人)",
    "综合能耗(吨标准煤)",
]


def test_ten_thousand_rows_with_one_bad_uscc_and_one_negative_value() -> None:
    firms = [make_uscc("9", "1", "330106", f"MB{i:07d}") for i in range(1000)]
    rows: list[list[object]] = []
    for i, code in enumerate(firms):
        for month in range(1, 11):
            rows.append([code, f"企业{i}", f"2023-{month:02d}", 1000 + i, 50, 30])
    good = firms[0]
    wrong_check = "0" if good[-1] != "0" else "1"
    rows[4321][0] = good[:-1] + wrong_check  # Excel row 4323
    rows[7654][3] = -12.5  # Excel row 7656, 工业总产值
    known = KnownKeys(
        enterprises=pl.DataFrame(
            {
                "uscc": firms,
                "name": [f"企业{i}" for i in range(1000)],
                "industry_code": ["3911"] * 1000,
            }
        )
    )
    frame, report = validate(_csv(MONTHLY, rows), "monthly_report", known, CONFIG)

    assert report.ok is False
    assert report.rows_total == 10_000
    assert report.rows_valid == 9_998
    assert frame.height == 9_998
    errors = [p for p in report.problems if p.severity == "error"]
    assert [(p.row, p.column, p.column_letter, p.code) for p in errors] == [
        (4323, "统一社会信用代码", "A", "E201_INVALID_USCC"),
        (7656, "工业总产值(万元)", "D", "E106_NEGATIVE_VALUE"),
    ]
    expected_check = stdnum_uscc.calc_check_digit(good[:-1])
    assert errors[0].message == (
        f"第 4323 行「统一社会信用代码」校验码应为 {expected_check}，实际为 {wrong_check}"
    )
    assert errors[1].message == "第 7656 行「工业总产值(万元)」不能为负数，实际为 -12.5"
    assert report.counts_by_severity["error"] == 2
    assert report.counts_by_code["E201_INVALID_USCC"] == 1


def test_clean_frame_has_english_names_and_typed_columns() -> None:
    frame, report = _check(
        "monthly_report",
        MONTHLY,
        [[USCC[0], "企业0", "2024/03", "1,250.5", "230", "35"]],
    )
    assert report.ok
    assert frame.columns[:3] == ["uscc", "name", "period"]
    assert frame.schema["uscc"] == pl.Utf8
    assert frame.schema["output_value"] == pl.Float64
    assert frame.schema["employees"] == pl.Int64
    assert frame.row(0, named=True)["period"] == "2024-03"
    assert frame.row(0, named=True)["output_value"] == 1250.5
    assert frame.row(0, named=True)["revenue"] is None


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2024-03", "2024-03"),
        ("2024/03", "2024-03"),
        ("202403", "2024-03"),
        ("2024年3月", "2024-03"),
        ("2024.3", "2024-03"),
        ("2024-3-01", "2024-03"),
        ("２０２４－０３", "2024-03"),
    ],
)
def test_periods_are_normalised_to_year_month(text: str, period: str) -> None:
    frame, report = _check("monthly_report", MONTHLY[:3], [[USCC[0], "企业0", text]])
    assert report.ok, report.problems
    assert frame.get_column("period").to_list() == [period]


def test_bad_period_month_13_and_future_month() -> None:
    _, report = _check(
        "monthly_report",
        MONTHLY[:3],
        [[USCC[0], "企业0", "2024-13"], [USCC[1], "企业1", "2024-07"]],
    )
    assert _codes(report) == [(2, "E105_BAD_PERIOD"), (3, "E109_FUTURE_DATE")]
    assert (
        report.problems[1].message
        == "第 3 行「报告期」不能晚于当前日期：「2024-07」，应不晚于 2024-06"
    )


def test_missing_required_wrong_number_and_non_integer_employees() -> None:
    _, report = _check(
        "monthly_report",
        MONTHLY,
        [[None, "企业0", "2024-03", "一千", "12.5", "-1"]],
    )
    assert _codes(report) == [
        (2, "E101_MISSING_REQUIRED"),
        (2, "E102_NOT_A_NUMBER"),
        (2, "E103_NOT_AN_INTEGER"),
        (2, "E106_NEGATIVE_VALUE"),
    ]
    messages = [p.message for p in report.problems]
    assert messages[0] == "第 2 行「统一社会信用代码」为必填项，不能为空"
    assert messages[1] == "第 2 行「工业总产值(万元)」应为数字，实际为「一千」"
    assert messages[2] == "第 2 行「从业人员(人)」应为整数，实际为「12.5」"


def test_header_problems_missing_duplicate_unknown_and_wrong_unit() -> None:
    header = ["企业名称", "工业总产值(元)", "营业收入(万元)", "revenue", "备注"]
    _, report = _check("monthly_report", header, [["企业0", "1", "2", "2", "x"]])
    assert {p.code for p in report.problems} == {
        "E006_MISSING_COLUMN",
        "E009_UNIT_MISMATCH",
        "E007_DUPLICATE_COLUMN",
        "W008_UNKNOWN_COLUMN",
    }
    missing = sorted(p.expected or "" for p in report.problems if p.code == "E006_MISSING_COLUMN")
    assert missing == ["报告期", "统一社会信用代码"]
    unit = next(p for p in report.problems if p.code == "E009_UNIT_MISMATCH")
    assert unit.message == "B 列「工业总产值(元)」单位不符：应为「工业总产值(万元)」"
    assert report.rows_valid == 0


def test_duplicate_keys_name_the_first_row() -> None:
    rows = [
        [USCC[0], "企业0", "2024-03"],
        [USCC[1], "企业1", "2024-03"],
        [USCC[0], "企业0", "2024/3"],
    ]
    _, report = _check("monthly_report", MONTHLY[:3], rows)
    assert _codes(report) == [(4, "E301_DUPLICATE_KEY")]
    assert report.problems[0].message == (
        f"第 4 行与第 2 行重复：「统一社会信用代码+报告期」均为「{USCC[0]} / 2024-03」"
    )


def test_monthly_report_of_unregistered_enterprise_is_a_broken_reference() -> None:
    stranger = make_uscc("9", "1", "110108", "MA0000099")
    _, report = _check("monthly_report", MONTHLY[:3], [[stranger, "某公司", "2024-03"]])
    assert _codes(report) == [(2, "E302_UNKNOWN_ENTERPRISE")]


def test_name_differing_from_the_registered_one_is_a_warning() -> None:
    frame, report = _check("monthly_report", MONTHLY[:3], [[USCC[3], "别的名字", "2024-03"]])
    assert report.ok
    assert frame.height == 1
    assert report.problems[0].message == (
        "第 2 行「企业名称」「别的名字」与已登记的名称「企业3」不一致，请核实"
    )


def test_value_over_ten_times_the_industry_median_is_a_warning() -> None:
    rows = [[USCC[i], f"企业{i}", "2024-03", 100, 10, 5] for i in range(9)]
    rows.append([USCC[9], "企业9", "2024-03", 1500, 10, 5])
    _, report = _check("monthly_report", MONTHLY, rows)
    assert report.ok
    assert _codes(report) == [(11, "W401_OVER_INDUSTRY_MEDIAN")]
    assert report.problems[0].message == (
        "第 11 行「工业总产值(万元)」为 1500，超过同行业同期中位数 100 的 10 倍，请核实"
    )
    relaxed = CheckConfig(today=TODAY, median_ratio=20.0)
    _, quiet = validate(_csv(MONTHLY, rows), "monthly_report", _known(), relaxed)
    assert quiet.problems == []


def test_month_on_month_jump_within_the_file_and_against_the_store() -> None:
    rows = [
        [USCC[0], "企业0", "2024-02", 100, 10, 5],
        [USCC[0], "企业0", "2024-03", 700, 10, 5],
        [USCC[1], "企业1", "2024-03", 100, 10, 5],
    ]
    previous = pl.DataFrame(
        {"uscc": [USCC[1]], "period": ["2024-02"], "output_value": [10.0], "employees": [10]}
    )
    known = KnownKeys(park_codes=PARKS, enterprises=_known().enterprises, previous=previous)
    _, report = _check("monthly_report", MONTHLY, rows, known)
    assert _codes(report) == [(3, "W402_MONTH_JUMP"), (4, "W402_MONTH_JUMP")]
    assert report.problems[0].message == (
        "第 3 行「工业总产值(万元)」为 700，上月为 100，变化超过 5 倍，请核实"
    )
    assert "上月为 10，" in report.problems[1].message


REGISTRY = [
    "统一社会信用代码",
    "企业名称",
    "园区代码",
    "行业代码",
    "成立日期",
    "是否规上",
    "企业标签",
    "区划代码",
]


def test_enterprise_registry_codes_dates_bool_and_labels() -> None:
    rows = [
        [
            USCC[0],
            "企业0",
            "S119003",
            "0111",
            "2015-06-18",
            "是",
            "高新技术企业；专精特新",
            "330106",
        ],
        [USCC[1], "企业1", "S999999", "9999", "2015-02-30", "也许", "独角兽", "999999"],
        [USCC[2], "企业2", "S119006", "C3911", "2030-01-01", "否", "", "3301"],
    ]
    frame, report = _check("enterprise_registry", REGISTRY, rows)
    assert _codes(report) == [
        (3, "E204_UNKNOWN_PARK"),
        (3, "E202_UNKNOWN_INDUSTRY"),
        (3, "E104_BAD_DATE"),
        (3, "E111_BAD_BOOL"),
        (3, "E112_BAD_LABEL"),
        (3, "E203_UNKNOWN_REGION"),
        (4, "E109_FUTURE_DATE"),
    ]
    assert frame.height == 1
    first = frame.row(0, named=True)
    assert first["industry_code"] == "0111"
    assert first["founded_on"] == date(2015, 6, 18)
    assert first["above_scale"] is True
    assert first["labels"] == ["高新技术企业", "专精特新"]
    label = next(p for p in report.problems if p.code == "E112_BAD_LABEL")
    assert label.message == (
        "第 3 行「企业标签」含未知标签「独角兽」：可选 高新技术企业、专精特新、小巨人、单项冠军"
    )


def test_section_prefixed_industry_and_short_region_codes_are_normalised() -> None:
    rows = [[USCC[2], "企业2", "S119006", "C3911", "2016-03-01", "否", "", "3301"]]
    frame, report = _check("enterprise_registry", REGISTRY, rows)
    assert report.ok
    assert frame.row(0, named=True)["industry_code"] == "3911"
    assert frame.row(0, named=True)["region_code"] == "330100"


LAND = [
    "地块编码",
    "园区代码",
    "统一社会信用代码",
    "面积(亩)",
    "供地方式",
    "起始日期",
    "年限(年)",
    "状态",
]


def test_land_parcels_allowed_values_bounds_and_holder_reference() -> None:
    stranger = make_uscc("9", "1", "110108", "MA0000099")
    rows = [
        ["P1", "S119003", USCC[0], "35.2", "出让", "2018-05-01", "50", "在用"],
        ["P2", "S119003", stranger, "0", "拍卖", "2018-05-01", "80", "空置"],
        ["P3", "S119003", None, "-3", "划拨", "", "", "闲置"],
    ]
    frame, report = _check("land_parcels", LAND, rows)
    assert _codes(report) == [
        (3, "E303_UNKNOWN_HOLDER"),
        (3, "E107_NOT_POSITIVE"),
        (3, "E110_NOT_ALLOWED"),
        (3, "E108_OUT_OF_RANGE"),
        (3, "E110_NOT_ALLOWED"),
        (4, "E107_NOT_POSITIVE"),
    ]
    supply = next(p for p in report.problems if p.code == "E110_NOT_ALLOWED")
    assert supply.message == (
        "第 3 行「供地方式」取值「拍卖」不在可选范围内："
        "应为 出让、长期租赁、先租后让、弹性年期出让、划拨"
    )
    assert frame.get_column("parcel_code").to_list() == ["P1"]


def test_catalogue_sample_validates_with_codes_and_text_as_published() -> None:
    raw = read_table(DATA / "dev_zones_2018_sample20.csv")
    frame, report = validate(raw, "park_registry", KnownKeys(), CONFIG)
    assert report.ok, report.problems
    assert report.problems == []
    assert frame.height == 20
    assert frame.get_column("code").to_list()[:2] == ["S119003", "S119006"]
    assert frame.get_column("approved_on").to_list()[:3] == ["2006-03", "2006-06", "2000-12"]
    assert frame.get_column("area_ha").to_list()[0] == 241.43
    assert frame.get_column("declared_industries").to_list()[0] == "互联网金融、智能装备、新材料"
    assert frame.get_column("city").to_list()[4] == "马坊"


def test_catalogue_code_form_and_province_digits_are_warnings() -> None:
    header = ["代码", "开发区名称", "省份"]
    rows = [["S119003", "甲", "北京市"], ["X1", "乙", "北京市"], ["S139047", "丙", "天津市"]]
    _, report = _check("park_registry", header, rows, KnownKeys())
    assert report.ok
    assert _codes(report) == [(3, "W205_PARK_CODE_FORMAT"), (4, "W206_PARK_PROVINCE_MISMATCH")]
    assert "河北省（13）" in report.problems[1].message


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    default = workbook.active
    assert default is not None
    workbook.remove(default)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_workbook_sheets_count_as_known_for_each_other() -> None:
    new_park = "S139047"
    data = _workbook(
        {
            "园区名录": [
                ["代码", "开发区名称", "省份"],
                [new_park, "河北石家庄矿区工业园", "河北省"],
            ],
            "企业名录": [REGISTRY[:4], [USCC[0], "新企业", new_park, "3911"]],
            "用地": [[*LAND[:4], "状态"], ["P1", new_park, USCC[0], 10, "在用"]],
            "企业月报": [MONTHLY[:4], [USCC[0], "新企业", "2024-03", 100]],
        }
    )
    raw = read_table(data, "all.xlsx")
    results = validate_all(raw, KnownKeys(), CONFIG)
    assert list(results) == [
        "park_registry",
        "enterprise_registry",
        "land_parcels",
        "monthly_report",
    ]
    for kind, (frame, report) in results.items():
        assert report.ok, (kind, report.problems)
        assert frame.height == 1


def test_missing_sheet_gives_a_report_not_an_exception() -> None:
    raw = read_table(DATA / "dev_zones_2018_sample20.csv")
    frame, report = validate(raw, "monthly_report", KnownKeys(), CONFIG)
    assert frame.is_empty()
    assert frame.columns[0] == "uscc"
    assert [p.code for p in report.problems] == ["E005_UNKNOWN_KIND"]


def test_max_problems_caps_the_list_but_not_the_counts() -> None:
    rows = [[None, "x", "2024-03"] for _ in range(30)]
    raw = _csv(MONTHLY[:3], rows)
    _, report = validate(raw, "monthly_report", _known(), CheckConfig(today=TODAY, max_problems=10))
    assert len(report.problems) == 10
    assert report.problems_omitted == 20
    assert report.counts_by_code == {"E101_MISSING_REQUIRED": 30}
    assert report.to_frame().height == 30


def test_integer_too_large_for_int64_is_not_an_integer() -> None:
    _, report = _check("monthly_report", MONTHLY, [[USCC[0], "企业0", "2024-03", 1, "1e20", 1]])
    assert _codes(report) == [(2, "E103_NOT_AN_INTEGER")]


def test_title_rows_above_the_header_keep_excel_row_numbers() -> None:
    text = (
        f"2024年3月企业月报\n填报单位：某园区\n{','.join(MONTHLY[:3])}\n{USCC[0]},企业0,2024-13\n"
    )
    raw = read_table(text.encode("utf-8"), "m.csv")
    _, report = validate(raw, "monthly_report", _known(), CONFIG)
    assert raw.sheets[0].header_row == 3
    assert _codes(report) == [(4, "E105_BAD_PERIOD")]
