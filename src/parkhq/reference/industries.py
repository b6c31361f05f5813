"""GB/T 4754-2017 《国民经济行业分类》 (with its 2019 amendment): all four levels and industry tags.

The catalogue ships as ``data/gbt4754_2017.csv`` (columns ``code,name,level,parent,tags,
partial_tags``): 20 sections (门类, ``A``–``T``), 97 divisions (大类, 2 digits), 473 groups (中类,
3 digits) and 1,382 classes (小类, 4 digits). Codes are strings and keep their leading zeros
(``0111`` 稻谷种植).

Tags say which official statistical classification a class (小类) belongs to. They sit on classes
only; a division or group has none of its own (use :meth:`IndustryCatalogue.tagged` or
:meth:`IndustryCatalogue.descendant_classes` to roll them up):

==================  =====================================================================
tag                 statistical classification it stands for
==================  =====================================================================
高技术制造业          高技术产业（制造业）分类（2017）
高技术服务业          高技术产业（服务业）分类（2018）
战略性新兴产业        战略性新兴产业分类（2018）
数字经济核心产业      数字经济及其核心产业统计分类（2021）01–04 大类
数字化效率提升业      数字经济及其核心产业统计分类（2021）05 大类 (not part of the core)
知识产权密集型产业    知识产权（专利）密集型产业统计分类（2019）
文化产业              文化及相关产业分类（2018）
养老产业              养老产业统计分类（2020）
==================  =====================================================================

``partial_tags`` lists the tags that the source classification marks with ``*``: only part of the
class's activities belongs to that classification.

Source: github ``swifthu/industrial_classifi`` ``data/industry_tree_advanced.json`` (MIT), names
stripped of stray trailing spaces, the long 说明 texts dropped to keep the package small.
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

from parkhq.errors import InvalidCode, InvalidInput
from parkhq.reference.tree import CodeTree

__all__ = [
    "LEVELS",
    "LEVEL_NAMES",
    "TAGS",
    "Industry",
    "IndustryCatalogue",
    "IndustryLevel",
    "industry_catalogue",
]

IndustryLevel = Literal["section", "division", "group", "class"]

LEVELS: tuple[IndustryLevel, ...] = ("section", "division", "group", "class")
"""The four levels, from the top (门类) down to the class (小类)."""

LEVEL_NAMES: dict[IndustryLevel, str] = {
    "section": "门类",
    "division": "大类",
    "group": "中类",
    "class": "小类",
}

TAGS: tuple[str, ...] = (
    "高技术制造业",
    "高技术服务业",
    "战略性新兴产业",
    "数字经济核心产业",
    "数字化效率提升业",
    "知识产权密集型产业",
    "文化产业",
    "养老产业",
)
"""Every tag a class may carry, in display order."""

_DATA_FILE = "gbt4754_2017.csv"


@dataclass(frozen=True, slots=True)
class Industry:
    """One GB/T 4754-2017 entry at any level.

    ``parent`` is ``None`` for a section. ``tags`` (classes only) are Chinese tag names from
    :data:`TAGS`; ``partial_tags`` is the subset the source marks as covering only part of the
    class.
    """

    code: str
    name: str
    level: IndustryLevel
    parent: str | None
    tags: tuple[str, ...] = ()
    partial_tags: tuple[str, ...] = ()

    @property
    def level_name(self) -> str:
        """The Chinese name of the level: 门类, 大类, 中类 or 小类."""
        return LEVEL_NAMES[self.level]


def _split_tags(text: str) -> tuple[str, ...]:
    return tuple(text.split("|")) if text else ()


def _read_rows() -> Iterator[Industry]:
    text = (files("parkhq.reference") / "data" / _DATA_FILE).read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        yield Industry(
            code=row["code"],
            name=row["name"],
            level=cast(IndustryLevel, row["level"]),
            parent=row["parent"] or None,
            tags=_split_tags(row["tags"]),
            partial_tags=_split_tags(row["partial_tags"]),
        )


def _normalise(code: object) -> str | None:
    """Strip whitespace and upper-case a section letter; non-strings are never codes."""
    if not isinstance(code, str):
        return None
    return code.strip().upper()


class IndustryCatalogue(CodeTree[Industry]):
    """The GB/T 4754-2017 tree with look-ups by code, ancestry, descendants and tags.

    Build it with :func:`industry_catalogue` (cached); every method is read-only.
    """

    def __init__(self, industries: list[Industry]) -> None:
        super().__init__(industries)
        self._frame = self._build_frame()

    def _key(self, code: object) -> str | None:
        return _normalise(code)

    def _unknown(self, code: object) -> InvalidCode:
        return InvalidCode(
            f"行业代码 '{code}' 不在 GB/T 4754-2017 中（应为门类字母或 2/3/4 位数字代码）",
            detail={"field": "industry_code", "value": str(code)},
        )

    def sections(self) -> list[Industry]:
        """The 20 sections 门类 A–T."""
        return [item for item in self if item.level == "section"]

    def classes(self) -> list[Industry]:
        """All 1,382 classes (小类, 4 digits)."""
        return [item for item in self if item.level == "class"]

    def descendant_classes(self, code: str) -> list[str]:
        """Codes of every class under ``code`` (``code`` itself if it is a class), in order."""
        item = self.get(code)
        if item.level == "class":
            return [item.code]
        found: list[str] = []
        stack = list(reversed(self._children.get(item.code, [])))
        while stack:
            current = self._by_code[stack.pop()]
            if current.level == "class":
                found.append(current.code)
            else:
                stack.extend(reversed(self._children.get(current.code, [])))
        return found

    def level_code(self, code: str, level: IndustryLevel) -> str:
        """The code of ``code``'s ancestor (or itself) at ``level``.

        ``level_code('3911', 'division') == '39'``; ``level_code('3911', 'section') == 'C'``.
        Raises :class:`InvalidInput` if ``level`` lies below the level of ``code``.
        """
        if level not in LEVELS:
            raise InvalidInput(
                f"行业层级 '{level}' 不存在（应为 section、division、group 或 class）",
                detail={"field": "level", "value": str(level)},
            )
        item = self.get(code)
        if LEVELS.index(level) > LEVELS.index(item.level):
            raise InvalidInput(
                f"行业代码 '{item.code}' 是{item.level_name}，没有更细的{LEVEL_NAMES[level]}代码",
                detail={"field": "level", "value": level, "code": item.code},
            )
        path = {entry.level: entry.code for entry in [*self.ancestors(item.code), item]}
        return path[level]

    def tagged(self, tag: str) -> set[str]:
        """Codes of the classes that carry ``tag`` (a Chinese tag name from :data:`TAGS`)."""
        if tag not in TAGS:
            raise InvalidInput(
                f"行业标签 '{tag}' 不存在（应为：{'、'.join(TAGS)}）",
                detail={"field": "tag", "value": tag, "expected": list(TAGS)},
            )
        return {item.code for item in self if tag in item.tags}

    def frame(self) -> pl.DataFrame:
        """The whole catalogue as a frame.

        Columns: ``code``, ``name``, ``level`` (section/division/group/class), ``parent``,
        ``section``, ``division``, ``group`` (the entry's own code at its own level, null below
        it), ``tags`` (list[str], classes only).
        """
        return self._frame.clone()

    def _build_frame(self) -> pl.DataFrame:
        rows: dict[str, list[object]] = {
            name: [] for name in ("code", "name", "level", "parent", "section", "division", "group")
        }
        tags: list[list[str]] = []
        for item in self:
            path = {entry.level: entry.code for entry in [*self.ancestors(item.code), item]}
            rows["code"].append(item.code)
            rows["name"].append(item.name)
            rows["level"].append(item.level)
            rows["parent"].append(item.parent)
            rows["section"].append(path.get("section"))
            rows["division"].append(path.get("division"))
            rows["group"].append(path.get("group"))
            tags.append(list(item.tags))
        schema: dict[str, pl.DataType] = {name: pl.String() for name in rows}
        frame = pl.DataFrame(rows, schema=schema)
        return frame.with_columns(pl.Series("tags", tags, dtype=pl.List(pl.String)))


@lru_cache(maxsize=1)
def industry_catalogue() -> IndustryCatalogue:
    """The GB/T 4754-2017 catalogue shipped with ParkHQ (loaded once, then cached)."""
    return IndustryCatalogue(list(_read_rows()))
