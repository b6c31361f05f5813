"""Readers: encodings, delimiters, merged cells, numbers and dates in Excel, refused file types."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from parkhq.errors import InvalidInput, ValidationFailed
from parkhq.ingest.readers import column_letter, decode_text, number_text, read_table

DATA = Path(__file__).parent.parent / "data"
FIXTURES = DATA / "ingest"


def _xlsx(rows: list[list[object]], title: str = "Sheet1") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_gbk_csv_is_decoded_as_gbk_with_chinese_names_intact() -> None:
    raw = read_table(FIXTURES / "monthly_report_gbk.csv")
    assert raw.encoding == "gbk"
    assert raw.kinds == ("monthly_report",)
    sheet = raw.sheets[0]
    assert sheet.headers[3] == "工业总产值（万元）"
    assert sheet.data.get_column("c1").to_list()[:3] == [
        "杭州西湖精密机械有限公司",
        "杭州西湖精密机械有限公司",
        "浙江钱塘新材料股份有限公司",
    ]


def test_gb18030_csv_keeps_characters_outside_gbk_and_leading_zero_codes() -> None:
    raw = read_table(FIXTURES / "enterprise_registry_gb18030.csv")
    assert raw.encoding == "gb18030"
    assert raw.kinds == ("enterprise_registry",)
    data = raw.sheets[0].data
    assert data.get_column("c1").to_list()[:2] == [
        "杭州𠮷祥精密机械有限公司",
        "浙江刘䶮新材料股份有限公司",
    ]
    assert data.get_column("c3").to_list()[0] == "0111"


def test_utf8_bom_tab_delimited_csv_with_english_headers() -> None:
    raw = read_table(FIXTURES / "land_parcels_utf8_bom_tab.csv")
    assert raw.encoding == "utf-8-sig"
    sheet = raw.sheets[0]
    assert sheet.kind == "land_parcels"
    assert sheet.headers[0] == "parcel_code"  # no BOM left on the first header
    assert sheet.data.get_column("c4").to_list() == ["出让", "先租后让"]


def test_catalogue_sample_reads_as_park_registry_with_codes_intact() -> None:
    raw = read_table(DATA / "dev_zones_2018_sample20.csv")
    sheet = raw.sheets[0]
    assert sheet.kind == "park_registry"
    assert sheet.height == 20
    assert sheet.data.get_column("c1").to_list()[:3] == ["S119003", "S119006", "S119007"]
    assert sheet.data.get_column("c7").to_list()[0] == "2006.03"
    assert sheet.data.get_column("row").to_list()[0] == 2


def test_merged_cells_fill_every_cell_and_title_row_moves_the_header() -> None:
    raw = read_table(FIXTURES / "land_parcels_merged_cells.xlsx")
    sheet = raw.sheets[0]
    assert sheet.header_row == 2
    assert sheet.data.get_column("row").to_list() == [3, 4, 5, 6]
    assert sheet.data.get_column("c1").to_list() == ["S119003"] * 4
    assert sheet.data.get_column("c8").to_list() == ["在用", "在用", "在建", "闲置"]


def test_numbers_stored_as_text_and_float_artefacts_become_plain_text() -> None:
    raw = read_table(FIXTURES / "monthly_report_numbers_as_text.xlsx")
    data = raw.sheets[0].data
    assert data.get_column("c3").to_list() == ["1250.5", "1,180", " 86.40 "]
    assert data.get_column("c4").to_list() == ["0.3", "1180", "666666.6667"]
    assert data.get_column("c6").to_list() == ["3.3", "12", "0"]
    assert data.get_column("c2").to_list() == ["2024-03", "2024年3月", "202403"]


def test_excel_serial_dates_and_numeric_codes_are_noted() -> None:
    raw = read_table(FIXTURES / "enterprise_registry_numeric_cells.xlsx")
    sheet = raw.sheets[0]
    assert sheet.data.get_column("c4").to_list() == ["2015-06-18", "2016-03-01", "2018-05-01"]
    assert sheet.data.get_column("c5").to_list() == ["是", "否", "是"]
    assert sheet.data.get_column("c3").to_list() == ["111", "0111", "3911"]
    noted = {(p.row, p.column_letter) for p in sheet.notes}
    assert noted == {(2, "D"), (2, "G"), (4, "D")}
    assert all(p.code == "W011_CODE_STORED_AS_NUMBER" for p in sheet.notes)


def test_all_four_sheets_are_matched_by_name_and_others_noted() -> None:
    data = io.BytesIO()
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first.append(["本文件为 2024 年 3 月报送数据"])
    for title, header in (
        ("企业月报", ["统一社会信用代码", "报告期"]),
        ("企业名录", ["统一社会信用代码", "企业名称"]),
        ("园区名录", ["代码", "开发区名称"]),
        ("用地", ["地块编码", "园区代码"]),
    ):
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        sheet.append(["x", "y"])
    workbook.save(data)
    raw = read_table(data.getvalue(), "全部.xlsx")
    assert raw.file_type == "xlsx"
    assert set(raw.kinds) == {
        "monthly_report",
        "enterprise_registry",
        "park_registry",
        "land_parcels",
    }
    assert raw.sheet("enterprise_registry") is not None
    assert [p.code for p in raw.notes] == ["W010_IGNORED_SHEET"]


def test_blank_rows_are_skipped_but_row_numbers_stay_as_excel_shows_them() -> None:
    text = "统一社会信用代码,报告期\n\nA,2024-03\n,\nB,2024-04\n"
    raw = read_table(text.encode(), "m.csv")
    data = raw.sheets[0].data
    assert data.get_column("row").to_list() == [3, 5]


def test_semicolon_delimiter_and_quoted_fields() -> None:
    text = '代码;开发区名称;主导产业\nS119003;"北京房山工业园区";"互联网金融;智能装备"\n'
    raw = read_table(text.encode("utf-8"), "p.csv")
    assert raw.sheets[0].data.get_column("c2").to_list() == ["互联网金融;智能装备"]


def test_kind_given_for_a_file_whose_headers_match_nothing_is_kept() -> None:
    raw = read_table("甲,乙\n1,2\n".encode(), "x.csv", kind="企业月报")
    assert raw.kinds == ("monthly_report",)


def test_undetectable_kind_raises_validation_failed_with_report() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_table("甲,乙\n1,2\n".encode(), "x.csv")
    report = caught.value.report
    assert report.problems[0].code == "E005_UNKNOWN_KIND"
    assert "无法判断" in caught.value.message


def test_xls_is_refused_with_a_chinese_message_asking_for_xlsx() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls")
    assert caught.value.report.problems[0].code == "E002_UNSUPPORTED_FILE_TYPE"
    assert ".xlsx" in caught.value.message


def test_undecodable_csv_names_the_accepted_encodings() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_table(b"\xff\xff\xfe\x80\x81\x00\xff" * 10, "bad.csv")
    assert caught.value.report.problems[0].code == "E003_UNKNOWN_ENCODING"
    assert "GB18030" in caught.value.message


def test_truncated_xlsx_is_unreadable() -> None:
    data = _xlsx([["统一社会信用代码", "报告期"], ["a", "2024-03"]])
    with pytest.raises(ValidationFailed) as caught:
        read_table(data[: len(data) // 2], "cut.xlsx")
    assert caught.value.report.problems[0].code == "E001_UNREADABLE_FILE"


def test_empty_file_has_no_data() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_table(b"", "empty.csv")
    assert caught.value.report.problems[0].code == "E004_NO_DATA"


def test_missing_path_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        read_table(Path("/nonexistent/file.csv"))


def test_zip_that_is_not_a_workbook_is_unreadable() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ValidationFailed):
        read_table(buffer.getvalue(), "fake.xlsx")


def test_date_cells_in_period_and_date_columns() -> None:
    data = _xlsx(
        [
            ["统一社会信用代码", "企业名称", "成立日期", "园区代码"],
            ["x", "y", datetime(2015, 6, 18, 0, 0), "S119003"],
            ["x", "y", date(2016, 3, 1), "S119003"],
        ]
    )
    raw = read_table(data, "r.xlsx")
    assert raw.sheets[0].data.get_column("c2").to_list() == ["2015-06-18", "2016-03-01"]


def test_catalogue_approval_typed_as_number_keeps_two_month_digits() -> None:
    data = _xlsx([["代码", "开发区名称", "批准时间"], ["S119007", "园区", 2000.1]])
    raw = read_table(data, "p.xlsx")
    assert raw.sheets[0].data.get_column("c2").to_list() == ["2000.10"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1 + 0.2, "0.3"),
        (1.1 * 3, "3.3"),
        (12.0, "12"),
        (1e-7, "0.0000001"),
        (123456789012, "123456789012"),
    ],
)
def test_number_text_has_no_float_artefacts(value: float, text: str) -> None:
    assert number_text(value) == text


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_decode_text_prefers_utf8_then_gbk() -> None:
    assert decode_text("园区".encode())[1] == "utf-8"
    assert decode_text("园区".encode("gbk"))[1] == "gbk"
    assert decode_text("园区".encode("utf-16"))[1] == "utf-16"
