"""Vectorised code makers for demo data: unique, valid 统一社会信用代码 for a million firms at once.

A code (GB 32100-2015) is ``9`` (工商) + ``1`` (企业) + the 6-digit region code + a 9-character
主体标识码 + the check character. The 主体标识码 is an organisation code (GB 11714-1997): eight
body characters and its own check character. Firms founded before 2016 get a legacy all-digit
body; later firms get the ``MA…`` bodies issued since the unified code was introduced. Bodies are
distinct by construction (an affine bijection of the firm's serial number), so every code is unique.

Check characters, both computed with integer arrays:

* GB 11714: ``C9 = 11 − (Σ wᵢ·cᵢ mod 11)`` with ``w = 3 7 9 10 5 8 4 2``, digits count as
  themselves and letters as A = 10 … Z = 35; 10 is written ``X`` and 11 ``0``.
* GB 32100: ``C18 = (31 − Σ wᵢ·vᵢ mod 31) mod 31`` with
  ``w = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28`` over the alphabet
  ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (the same rule as ``stdnum.cn.uscc.calc_check_digit``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from parkhq.errors import InvalidInput

__all__ = ["USCC_ALPHABET", "make_uscc_codes"]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
_LEGACY_SPACE = 10**8
_LEGACY_STEP = 48_271_913  # odd and not a multiple of 5: a bijection modulo 10^8
_NEW_SPACE = 31**6
_NEW_STEP = 2_654_435  # not a multiple of 31: a bijection modulo 31^6


def _char_array(strings: pl.Series, width: int) -> npt.NDArray[np.uint8]:
    """The strings (all ASCII, all ``width`` long) as an (n, width) array of byte values."""
    distinct = strings.unique(maintain_order=True)
    raw = "".join(distinct.to_list()).encode("ascii")
    table = np.frombuffer(raw, dtype=np.uint8).reshape(len(distinct), width)
    position = strings.to_frame("value").join(
        distinct.to_frame("value").with_row_index("row"),
        on="value",
        how="left",
        maintain_order="left",
    )
    rows: npt.NDArray[np.uint8] = table[position.get_column("row").to_numpy()]
    return rows


def _uscc_values(chars: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    lookup = np.full(128, -1, dtype=np.int64)
    for index, char in enumerate(USCC_ALPHABET):
        lookup[ord(char)] = index
    return lookup[chars]


def _org_check(body: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """GB 11714 check characters (as bytes) of 8-character organisation-code bodies."""
    values = np.where(body >= ord("A"), body.astype(np.int64) - ord("A") + 10, body - ord("0"))
    check = 11 - (values @ _ORG_WEIGHTS) % 11
    return np.where(
        check == 10, ord("X"), np.where(check == 11, ord("0"), check + ord("0"))
    ).astype(np.uint8)


def _legacy_bodies(serials: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    numbers = (serials * _LEGACY_STEP + 10_000_019) % _LEGACY_SPACE
    digits = np.zeros((len(serials), 8), dtype=np.uint8)
    for position in range(7, -1, -1):
        digits[:, position] = numbers % 10 + ord("0")
        numbers //= 10
    return digits


def _new_bodies(serials: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    numbers = (serials * _NEW_STEP + 7_777) % _NEW_SPACE
    alphabet = np.frombuffer(USCC_ALPHABET.encode("ascii"), dtype=np.uint8)
    chars = np.zeros((len(serials), 8), dtype=np.uint8)
    chars[:, 0] = ord("M")
    chars[:, 1] = ord("A")
    for position in range(7, 1, -1):
        chars[:, position] = alphabet[numbers % 31]
        numbers //= 31
    return chars


def make_uscc_codes(
    region_codes: pl.Series,
    serials: npt.NDArray[np.int64],
    new_style: npt.NDArray[np.bool_],
) -> pl.Series:
    """Valid, unique enterprise codes: one per row.

    ``region_codes``: 6-digit GB/T 2260 codes of the registering office; ``serials``: distinct
    non-negative integers (below 10^8), one per firm; ``new_style``: whether the firm gets an
    ``MA…`` body (registered after the unified code was introduced) rather than a legacy one.
    """
    if len(serials) and (serials.min() < 0 or serials.max() >= _LEGACY_SPACE):
        raise InvalidInput("演示企业序号应在 0 到 10^8 之间", detail={"field": "serials"})
    bodies = np.where(new_style[:, None], _new_bodies(serials), _legacy_bodies(serials))
    organisation = np.concatenate([bodies, _org_check(bodies)[:, None]], axis=1)
    stems = np.concatenate(
        [
            np.tile(np.frombuffer(b"91", dtype=np.uint8), (len(serials), 1)),
            _char_array(region_codes, 6),
            organisation,
        ],
        axis=1,
    )
    alphabet = np.frombuffer(USCC_ALPHABET.encode("ascii"), dtype=np.uint8)
    check = (31 - (_uscc_values(stems) @ _USCC_WEIGHTS) % 31) % 31
    codes = np.concatenate([stems, alphabet[check][:, None]], axis=1)
    text = np.ascontiguousarray(codes).view("S18").ravel().astype("U18")
    return pl.Series("uscc", text, dtype=pl.String)
