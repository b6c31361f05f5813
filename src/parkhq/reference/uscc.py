"""统一社会信用代码 (Unified Social Credit Code) checks per GB 32100-2015.

A code has 18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V):

=========  =========================================================================
position   meaning
=========  =========================================================================
1          登记管理部门代码 (registration department: 1–9, A, N, Y)
2          机构类别代码 (organisation type, allowed values depend on position 1)
3–8        登记管理机关行政区划码 (GB/T 2260 code of the registering office, 6 digits)
9–17       主体标识码 (organisation code, GB 11714)
18         校验码 (check character, GB/T 17710 / ISO 7064 MOD 31-3 with the weights of
           GB 32100-2015; computed with python-stdnum's ``stdnum.cn.uscc.calc_check_digit``)
=========  =========================================================================

The department and type tables follow the code allocation published with the national
统一社会信用代码 scheme (国发〔2015〕33号 and later additions for 外交, 司法行政, 文化, 旅游, 宗教,
工会, 中央军委改革和编制办公室 and 农业). The region part is checked for form only (6 digits):
registering offices keep codes of divisions that have since been renamed or merged.

Input is normalised before checking: Unicode NFKC (full-width ``９１`` becomes ``91``), all
whitespace removed, letters upper-cased. Each check reports the first problem in this order:
empty → length → illegal character → department → type → region → check character.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import polars as pl
from stdnum.cn import uscc as stdnum_uscc

from parkhq.errors import InvalidUSCC

__all__ = [
    "ALPHABET",
    "REGISTRATION_DEPARTMENTS",
    "make_uscc",
    "normalise_uscc",
    "uscc_problem",
    "uscc_problems",
    "validate_uscc",
]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters a code may use; a character's index is its value in the check sum."""

_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_LENGTH = 18

REGISTRATION_DEPARTMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "1": (
        "机构编制",
        {"1": "机关", "2": "事业单位", "3": "编办直接管理机构编制的群众团体", "9": "其他"},
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {
            "1": "外国旅游部门常驻代表机构",
            "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
            "9": "其他",
        },
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}
"""登记管理部门代码 → (department name, {机构类别代码: type name})."""

# Message templates use positional ``{}`` so that str.format and polars' pl.format share them.
_EMPTY = "统一社会信用代码为空（应为 18 位数字或大写英文字母）"
_WRONG_LENGTH = "统一社会信用代码应为 18 位，实际 {} 位"
_ILLEGAL_CHAR = (
    "统一社会信用代码第 {} 位“{}”不是合法字符（只能是数字或除 I、O、Z、S、V 以外的大写英文字母）"
)
_BAD_DEPARTMENT = "统一社会信用代码第 1 位登记管理部门代码“{}”不存在（应为 1–9、A、N 或 Y）"
_BAD_TYPE = "统一社会信用代码第 2 位机构类别代码“{}”不适用于登记管理部门“{}”{}"
_BAD_REGION = "统一社会信用代码第 3–8 位登记管理机关行政区划码“{}”不合法（应为 6 位数字）"
_BAD_CHECK = "统一社会信用代码校验码应为 {}，实际为 {}"

_WHITESPACE = " \t\n\r\f\v\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_WHITESPACE_RE = re.compile(f"[{_WHITESPACE}]")
_VALID_PREFIX = "^([0-9A-HJ-NP-RTUWXY]*)"


def _type_hint(department: str) -> str:
    """The tail of the bad-type message: the department's name and its allowed type codes."""
    name, types = REGISTRATION_DEPARTMENTS[department]
    allowed = "、".join(types)
    return f"（{name}，机构类别代码应为 {allowed}）"


_TYPE_HINTS = {department: _type_hint(department) for department in REGISTRATION_DEPARTMENTS}
_VALID_PAIRS = [
    department + kind
    for department, (_, types) in REGISTRATION_DEPARTMENTS.items()
    for kind in types
]


def normalise_uscc(value: str) -> str:
    """NFKC-normalise, drop whitespace and upper-case (``' 9111 0000…l '`` → ``'91110000…L'``)."""
    return _WHITESPACE_RE.sub("", unicodedata.normalize("NFKC", value)).upper()


def _problem_of_normalised(code: str) -> str | None:
    if not code:
        return _EMPTY
    if len(code) != _LENGTH:
        return _WRONG_LENGTH.format(len(code))
    for position, char in enumerate(code, start=1):
        if char not in ALPHABET:
            return _ILLEGAL_CHAR.format(position, char)
    department, kind, region = code[0], code[1], code[2:8]
    if department not in REGISTRATION_DEPARTMENTS:
        return _BAD_DEPARTMENT.format(department)
    if kind not in REGISTRATION_DEPARTMENTS[department][1]:
        return _BAD_TYPE.format(kind, department, _TYPE_HINTS[department])
    if not (region.isascii() and region.isdigit()):
        return _BAD_REGION.format(region)
    expected = str(stdnum_uscc.calc_check_digit(code[:17]))
    if code[17] != expected:
        return _BAD_CHECK.format(expected, code[17])
    return None


def uscc_problem(value: str | None) -> str | None:
    """The Chinese message naming what is wrong with ``value``, or ``None`` if it is valid.

    ``None`` counts as empty.
    """
    if value is None:
        return _EMPTY
    return _problem_of_normalised(normalise_uscc(value))


def validate_uscc(value: str) -> str:
    """The normalised code (18 characters, upper case); raises :class:`InvalidUSCC` if invalid."""
    code = normalise_uscc(value) if isinstance(value, str) else ""
    problem = _problem_of_normalised(code)
    if problem is not None:
        raise InvalidUSCC(problem, detail={"field": "uscc", "value": value})
    return code


def make_uscc(registration_dept: str, org_type: str, region_code: str, body: str) -> str:
    """Assemble a valid code from its parts and append the check character.

    ``registration_dept`` (1 character, e.g. ``'9'`` 工商), ``org_type`` (1 character, e.g.
    ``'1'`` 企业), ``region_code`` (6 digits, GB/T 2260), ``body`` (the 9-character 主体标识码).
    Raises :class:`InvalidUSCC` naming the part that does not fit.
    """
    parts = [
        ("登记管理部门代码", registration_dept, 1),
        ("机构类别代码", org_type, 1),
        ("登记管理机关行政区划码", region_code, 6),
        ("主体标识码", body, 9),
    ]
    cleaned: list[str] = []
    for label, part, length in parts:
        text = normalise_uscc(part)
        if len(text) != length:
            raise InvalidUSCC(
                f"{label}应为 {length} 位，实际 {len(text)} 位",
                detail={"field": label, "value": part},
            )
        cleaned.append(text)
    stem = "".join(cleaned)
    for position, char in enumerate(stem, start=1):
        if char not in ALPHABET:
            raise InvalidUSCC(_ILLEGAL_CHAR.format(position, char), detail={"value": stem})
    return validate_uscc(stem + str(stdnum_uscc.calc_check_digit(stem)))


def _byte_values() -> np.ndarray[tuple[int], np.dtype[np.int64]]:
    """A 256-entry table: byte → its value in :data:`ALPHABET` (0 for bytes outside it)."""
    table = np.zeros(256, dtype=np.int64)
    for index, char in enumerate(ALPHABET):
        table[ord(char)] = index
    return table


_CHAR_VALUES = _byte_values()


def _expected_check_characters(codes: pl.Series) -> pl.Series:
    """The check character each 18-byte code calls for (null for codes of any other size).

    The codes' bytes are viewed as an (n, 18) uint8 matrix; each byte maps to its value in
    :data:`ALPHABET` (bytes outside it map to 0: such codes fail an earlier check), and the
    weighted sum of GB 32100-2015 (weights 3^i mod 31) gives the check value
    ``(31 - sum % 31) % 31``, the same arithmetic as ``stdnum.cn.uscc.calc_check_digit``.
    """
    sized = codes.str.len_bytes() == _LENGTH
    matrix = (
        pl.select(
            pl.when(sized)
            .then(codes)
            .otherwise(pl.lit("0" * _LENGTH))
            .cast(pl.Binary)
            .bin.reinterpret(dtype=pl.Array(pl.UInt8, _LENGTH))
        )
        .to_series()
        .to_numpy()
    )
    total = _CHAR_VALUES[matrix[:, : _LENGTH - 1]] @ np.asarray(_WEIGHTS, dtype=np.int64)
    check = pl.Series((31 - total % 31) % 31)
    characters = check.replace_strict(dict(enumerate(ALPHABET)), return_dtype=pl.String)
    return pl.select(pl.when(sized).then(characters)).to_series().alias("expected")


def _normalise_series(values: pl.Series) -> pl.Series:
    """Vectorised :func:`normalise_uscc`; NFKC runs only on the values that need it (non-ASCII)."""
    raw = values.cast(pl.String).clone()
    non_ascii = raw.str.contains(r"[^\x00-\x7F]").fill_null(False)
    if non_ascii.any():
        rows = non_ascii.arg_true()
        raw.scatter(rows, raw.gather(rows).str.normalize("NFKC"))
    return raw.str.replace_all(f"[{_WHITESPACE}]", "").str.to_uppercase().alias("code")


def uscc_problems(values: pl.Series) -> pl.Series:
    """Vectorised :func:`uscc_problem`: one Chinese message (or null when valid) per value.

    Input: a string series of codes. Output: a ``String`` series of the same length and name
    ``uscc_problem``. Null inputs stay null (a missing value is the required-field check's
    business); empty strings get the "为空" message. The messages are exactly those of
    :func:`uscc_problem`. It runs on polars expressions and one numpy matrix product (no Python
    loop over values): about 0.7 s for 1,000,000 values on a 2-core machine.
    """
    codes = _normalise_series(values)
    code = pl.col("code")
    length = code.str.len_chars()
    valid_prefix = code.str.extract(_VALID_PREFIX, 1).str.len_chars()
    department = code.str.slice(0, 1)
    kind = code.str.slice(1, 1)
    region = code.str.slice(2, 6)
    last = code.str.slice(17, 1)
    expected = pl.col("expected")
    message = (
        pl.when(code.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(length == 0)
        .then(pl.lit(_EMPTY))
        .when(length != _LENGTH)
        .then(pl.format(_WRONG_LENGTH, length))
        .when(valid_prefix < _LENGTH)
        .then(pl.format(_ILLEGAL_CHAR, valid_prefix + 1, code.str.slice(valid_prefix, 1)))
        .when(~department.is_in(list(REGISTRATION_DEPARTMENTS)))
        .then(pl.format(_BAD_DEPARTMENT, department))
        .when(~code.str.slice(0, 2).is_in(_VALID_PAIRS))
        .then(
            pl.format(
                _BAD_TYPE,
                kind,
                department,
                department.replace_strict(_TYPE_HINTS, default="", return_dtype=pl.String),
            )
        )
        .when(~region.str.contains("^[0-9]{6}$"))
        .then(pl.format(_BAD_REGION, region))
        .when(last != expected)
        .then(pl.format(_BAD_CHECK, expected, last))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    frame = pl.DataFrame([codes, _expected_check_characters(codes)])
    return frame.select(message.alias("uscc_problem")).to_series()
