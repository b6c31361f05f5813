"""统一社会信用代码 checks (GB 32100-2015): each failure kind has its own Chinese message.

Golden check characters come from python-stdnum (``stdnum.cn.uscc``), a reference
implementation independent of ParkHQ's code, and from real published codes.
"""

from __future__ import annotations

import time

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from parkhq.errors import InvalidUSCC
from parkhq.reference.uscc import (
    ALPHABET,
    REGISTRATION_DEPARTMENTS,
    make_uscc,
    normalise_uscc,
    uscc_problem,
    uscc_problems,
    validate_uscc,
)

# Real codes from public business registrations; each one also passes python-stdnum.
REAL_CODES = [
    "91110000600037341L",  # the example in python-stdnum's documentation
    "914403001922038216",
    "91440300708461136T",
    "91110108551385082Q",
    "91330100716105852F",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert stdnum_uscc.is_valid(code)
    assert uscc_problem(code) is None
    assert validate_uscc(code) == code


def test_validate_normalises_spaces_case_and_full_width_characters() -> None:
    assert validate_uscc(" 9111 0000 6000 3734 1l ") == "91110000600037341L"
    assert validate_uscc("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"
    assert normalise_uscc("9111\u30000000\t") == "91110000"


@pytest.mark.parametrize("value", ["", "   ", "\u3000"])
def test_empty_value_is_reported_as_empty(value: str) -> None:
    assert uscc_problem(value) == "统一社会信用代码为空（应为 18 位数字或大写英文字母）"


def test_none_counts_as_empty_for_the_scalar_check() -> None:
    assert uscc_problem(None) == "统一社会信用代码为空（应为 18 位数字或大写英文字母）"


@pytest.mark.parametrize(
    ("value", "length"), [("9111000060003734", 16), ("91110000600037341LL", 19)]
)
def test_wrong_length_names_the_actual_length(value: str, length: int) -> None:
    assert uscc_problem(value) == f"统一社会信用代码应为 18 位，实际 {length} 位"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_i_o_z_s_v_are_illegal_and_named_with_their_position(letter: str) -> None:
    value = "911100006" + letter + "0037341L"
    assert uscc_problem(value) == (
        f"统一社会信用代码第 10 位“{letter}”不是合法字符"
        "（只能是数字或除 I、O、Z、S、V 以外的大写英文字母）"
    )


def test_a_chinese_character_is_illegal_at_its_position() -> None:
    problem = uscc_problem("91110000600037341中")
    assert problem is not None
    assert problem.startswith("统一社会信用代码第 18 位“中”不是合法字符")


def test_unknown_registration_department_is_named() -> None:
    assert uscc_problem("B1110000600037341L") == (
        "统一社会信用代码第 1 位登记管理部门代码“B”不存在（应为 1–9、A、N 或 Y）"
    )


def test_organisation_type_must_belong_to_the_department() -> None:
    assert uscc_problem("94110000600037341L") == (
        "统一社会信用代码第 2 位机构类别代码“4”不适用于登记管理部门“9”"
        "（工商，机构类别代码应为 1、2、3）"
    )


def test_region_part_must_be_six_digits() -> None:
    assert uscc_problem("9111000A600037341L") == (
        "统一社会信用代码第 3–8 位登记管理机关行政区划码“11000A”不合法（应为 6 位数字）"
    )


def test_wrong_check_character_names_expected_and_actual() -> None:
    assert stdnum_uscc.calc_check_digit("91110000600037341") == "L"
    assert uscc_problem("91110000600037341M") == "统一社会信用代码校验码应为 L，实际为 M"


def test_validate_raises_invalid_uscc_with_the_same_message() -> None:
    with pytest.raises(InvalidUSCC) as caught:
        validate_uscc("91110000600037341M")
    assert caught.value.message == "统一社会信用代码校验码应为 L，实际为 M"
    assert caught.value.detail == {"field": "uscc", "value": "91110000600037341M"}


def test_make_uscc_appends_the_stdnum_check_character() -> None:
    code = make_uscc("9", "1", "330102", "MA27XYW01")
    assert code[:17] == "91330102MA27XYW01"
    assert code[17] == stdnum_uscc.calc_check_digit(code[:17])
    assert make_uscc("9", "1", "110000", "600037341") == "91110000600037341L"


def test_make_uscc_accepts_letter_departments_of_the_national_scheme() -> None:
    # N2 = 农业 / 村级集体经济组织; stdnum's own validate() only accepts digits in front.
    code = make_uscc("N", "2", "330102", "MA27XYW01")
    assert uscc_problem(code) is None


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("9", "1", "33010", "MA27XYW01"), "登记管理机关行政区划码应为 6 位，实际 5 位"),
        (("9", "1", "330102", "MA27XYW0"), "主体标识码应为 9 位，实际 8 位"),
        (("91", "1", "330102", "MA27XYW01"), "登记管理部门代码应为 1 位，实际 2 位"),
        (("9", "4", "330102", "MA27XYW01"), "机构类别代码“4”不适用于登记管理部门“9”"),
        (("9", "1", "330102", "MA27XYW0I"), "第 17 位“I”不是合法字符"),
    ],
)
def test_make_uscc_names_the_part_that_does_not_fit(
    parts: tuple[str, str, str, str], message: str
) -> None:
    with pytest.raises(InvalidUSCC, match=message):
        make_uscc(*parts)


def test_department_table_lists_enterprise_types() -> None:
    name, types = REGISTRATION_DEPARTMENTS["9"]
    assert name == "工商"
    assert types == {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}


def test_vectorised_messages_keep_nulls_and_order() -> None:
    values = pl.Series(
        "uscc",
        ["91110000600037341L", None, "", "91110000600037341M", "9111000060003734"],
    )
    assert uscc_problems(values).to_list() == [
        None,
        None,
        "统一社会信用代码为空（应为 18 位数字或大写英文字母）",
        "统一社会信用代码校验码应为 L，实际为 M",
        "统一社会信用代码应为 18 位，实际 16 位",
    ]
    assert uscc_problems(values).name == "uscc_problem"


_BODY = st.text(alphabet=ALPHABET, min_size=9, max_size=9)


@st.composite
def _valid(draw: st.DrawFn) -> str:
    department = draw(st.sampled_from(sorted(REGISTRATION_DEPARTMENTS)))
    kind = draw(st.sampled_from(sorted(REGISTRATION_DEPARTMENTS[department][1])))
    region = draw(st.sampled_from(["110000", "330102", "440300", "100000"]))
    return make_uscc(department, kind, region, draw(_BODY))


_NOISE_ALPHABET = ALPHABET + "abcxyIOZSV -\u3000\t中文９Ｌ"


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    code = draw(st.builds(make_uscc, st.just("9"), st.just("1"), st.just("330102"), _BODY))
    position = draw(st.integers(min_value=0, max_value=17))
    char = draw(st.sampled_from(_NOISE_ALPHABET))
    return code[:position] + char + code[position + 1 :]


_VALUES = st.one_of(
    _valid(),
    _mutated(),
    st.text(alphabet=_NOISE_ALPHABET, max_size=22),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=40))
def test_vectorised_equals_scalar(values: list[str]) -> None:
    expected = [uscc_problem(value) for value in values]
    assert uscc_problems(pl.Series(values, dtype=pl.String)).to_list() == expected


@pytest.mark.slow
def test_one_million_values_are_checked_within_ten_seconds() -> None:
    distinct = [make_uscc("9", "1", "330102", f"MA{serial:07d}") for serial in range(1000)]
    distinct += [code[:17] + "0" for code in distinct[:100]]
    values = pl.Series("uscc", distinct).sample(1_000_000, with_replacement=True, seed=7)
    started = time.perf_counter()
    problems = uscc_problems(values)
    elapsed = time.perf_counter() - started
    assert problems.len() == 1_000_000
    assert problems.null_count() < 1_000_000
    assert elapsed < 10.0
