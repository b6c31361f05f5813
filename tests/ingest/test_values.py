"""Value parsers: tolerant on what users type, null on what they cannot mean."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from parkhq.ingest.formats import get_format
from parkhq.ingest.values import dtype_of, parse_column

REGISTRY = get_format("enterprise_registry")
MONTHLY = get_format("monthly_report")


def _parse(kind_field: tuple[str, str], values: list[str | None]) -> list[object]:
    spec = get_format(kind_field[0]).field(kind_field[1])
    return parse_column(pl.Series("x", values, dtype=pl.Utf8), spec).to_list()


def test_numbers_accept_thousands_separators_and_full_width_digits() -> None:
    values = ["1250.5", "1,250.5", "１２３", "-12.5", "1e3", "inf", "nan", "1,25", "一千", None]
    parsed = _parse(("monthly_report", "output_value"), values)
    assert parsed == [1250.5, 1250.5, 123.0, -12.5, 1000.0, None, None, None, None, None]


def test_integers_must_be_whole_and_exact() -> None:
    parsed = _parse(("monthly_report", "employees"), ["230", "230.0", "12.5", "1e20", "-3"])
    assert parsed == [230, 230, None, None, -3]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2015-06-18", date(2015, 6, 18)),
        ("2015/6/18", date(2015, 6, 18)),
        ("2015.6.18", date(2015, 6, 18)),
        ("2015年6月18日", date(2015, 6, 18)),
        ("20150618", date(2015, 6, 18)),
        ("2015-06-18 00:00:00", date(2015, 6, 18)),
        ("42173", date(2015, 6, 18)),  # Excel serial number: days since 1899-12-30
        ("2015-02-30", None),
        ("昨天", None),
    ],
)
def test_dates(text: str, day: date | None) -> None:
    assert _parse(("enterprise_registry", "founded_on"), [text]) == [day]


def test_bool_and_labels() -> None:
    assert _parse(("enterprise_registry", "above_scale"), ["是", "否", "Y", "规下", "也许"]) == [
        True,
        False,
        True,
        False,
        None,
    ]
    labels = _parse(("enterprise_registry", "labels"), ["高新技术企业；专精特新、高新技术企业"])
    assert labels == [["高新技术企业", "专精特新"]]


def test_codes_are_normalised_as_text() -> None:
    assert _parse(("enterprise_registry", "uscc"), [" 91330106ma2h00001e "]) == [
        "91330106MA2H00001E"
    ]
    assert _parse(("enterprise_registry", "industry_code"), ["0111", "C3911", " 39 "]) == [
        "0111",
        "3911",
        "39",
    ]
    assert _parse(("enterprise_registry", "region_code"), ["33", "3301", "330106000000"]) == [
        "330000",
        "330100",
        "330106",
    ]


def test_every_field_type_has_a_dtype() -> None:
    for fmt in (REGISTRY, MONTHLY):
        for spec in fmt.fields:
            assert isinstance(dtype_of(spec), pl.DataType)
