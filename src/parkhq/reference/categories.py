"""Named industry categories of park plans (电子信息, 装备制造, 新材料 …) mapped to GB/T 4754-2017.

A park's 主导产业 are written as category names, not as GB/T 4754 codes. This module loads the
category table ``data/industry_categories.yaml`` (header ``source``, ``version``, ``valid_from``,
``classification``; then ``categories``) and answers:

* which 4-digit classes (小类) a category covers (:meth:`CategoryCatalogue.classes_of`);
* which categories a class belongs to (:meth:`CategoryCatalogue.category_of_class`; categories
  overlap — 新能源汽车 lies inside 汽车及零部件's neighbourhood, 钢铁 inside 冶金);
* the (category, class_code) pairs as a frame for joins (:meth:`CategoryCatalogue.frame`);
* the name / alias / keyword vocabulary the declared-industry normaliser matches against.

Codes in the file may be divisions (2 digits), groups (3) or classes (4); they are expanded to
classes through :meth:`parkhq.reference.industries.IndustryCatalogue.descendant_classes`. A local
government may ship its own table: :func:`load_categories` reads any file of the same shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, cast

import polars as pl
import yaml

from parkhq.errors import InvalidCode, InvalidInput, RuleSetError
from parkhq.reference.industries import IndustryCatalogue, industry_catalogue

__all__ = [
    "KINDS",
    "Category",
    "CategoryCatalogue",
    "CategoryKind",
    "category_catalogue",
    "load_categories",
    "parse_categories",
]

CategoryKind = Literal["manufacturing", "service", "mixed"]

KINDS: tuple[CategoryKind, ...] = ("manufacturing", "service", "mixed")
"""``manufacturing``: every class in section C; ``service``: every class in sections F–T;
``mixed``: anything else (several sections, or agriculture A, mining B, utilities D …)."""

_DATA_FILE = "industry_categories.yaml"
_CODE_PATTERN = re.compile(r"^\d{2,4}$")
_CLASS_PATTERN = re.compile(r"^\d{4}$")
_FOLDED_SPACE = re.compile(
    r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])|(?<=[、，；：。（）])\s+|\s+(?=[、，；：。（）])"
)


@dataclass(frozen=True, slots=True)
class Category:
    """One named category.

    ``codes`` are the GB/T 4754 codes as written in the table (divisions, groups or classes);
    ``aliases`` are whole-name variants parks write; ``keywords`` are short words used only by
    the normaliser's containment rule; ``basis`` says why the codes were chosen.
    """

    name: str
    aliases: tuple[str, ...]
    codes: tuple[str, ...]
    kind: CategoryKind
    basis: str
    keywords: tuple[str, ...] = ()


class CategoryCatalogue:
    """The category table with look-ups by name and by GB/T 4754 class.

    Build it with :func:`category_catalogue` (the packaged table, cached) or
    :func:`load_categories` (a table of your own). Every method is read-only.
    """

    def __init__(
        self,
        categories: list[Category],
        *,
        source: str,
        version: str,
        valid_from: date,
        industries: IndustryCatalogue | None = None,
    ) -> None:
        self.source = source
        self.version = version
        self.valid_from = valid_from
        self._categories: dict[str, Category] = {item.name: item for item in categories}
        self._industries = industries
        self._classes: dict[str, frozenset[str]] = {}
        self._by_class: dict[str, list[str]] | None = None

    def __len__(self) -> int:
        return len(self._categories)

    def __iter__(self) -> Iterator[Category]:
        return iter(self._categories.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._categories

    def names(self) -> list[str]:
        """Category names in table order."""
        return list(self._categories)

    def find(self, name: str) -> Category | None:
        """The category called ``name`` (exact category name, not an alias), or ``None``."""
        return self._categories.get(name.strip())

    def get(self, name: str) -> Category:
        """The category called ``name``; raises :class:`InvalidInput` (Chinese) if unknown."""
        found = self.find(name)
        if found is None:
            raise InvalidInput(
                f"产业类别 '{name}' 不在类别表中（应为：{'、'.join(self._categories)}）",
                detail={"field": "category", "value": name, "expected": self.names()},
            )
        return found

    def vocabulary(self) -> Mapping[str, str]:
        """Every category name and alias → its category name (used for whole-name matching)."""
        table: dict[str, str] = {}
        for item in self:
            table[item.name] = item.name
            for alias in item.aliases:
                table[alias] = item.name
        return table

    def classes_of(self, name: str) -> set[str]:
        """The 4-digit GB/T 4754 classes the category covers (codes expanded to classes)."""
        category = self.get(name)
        cached = self._classes.get(category.name)
        if cached is None:
            industries = self._industry_catalogue()
            found: set[str] = set()
            for code in category.codes:
                found.update(industries.descendant_classes(code))
            cached = frozenset(found)
            self._classes[category.name] = cached
        return set(cached)

    def category_of_class(self, class_code: str) -> list[str]:
        """Names of the categories covering the 4-digit class ``class_code`` (table order).

        Raises :class:`InvalidCode` if ``class_code`` is not a GB/T 4754 class.
        """
        code = class_code.strip() if isinstance(class_code, str) else ""
        if not _CLASS_PATTERN.match(code) or self._industry_catalogue().find(code) is None:
            raise InvalidCode(
                f"'{class_code}' 不是 GB/T 4754-2017 的小类代码（应为 4 位数字，如 3670）",
                detail={"field": "class_code", "value": str(class_code)},
            )
        return list(self._class_index().get(code, []))

    def frame(self) -> pl.DataFrame:
        """One row per (category, class_code) pair, for joins with enterprise industry codes.

        Columns: ``category`` (str), ``class_code`` (str, 4 digits); sorted by table order, then
        class code. A class may appear under several categories.
        """
        categories: list[str] = []
        classes: list[str] = []
        for name in self._categories:
            for code in sorted(self.classes_of(name)):
                categories.append(name)
                classes.append(code)
        return pl.DataFrame(
            {"category": categories, "class_code": classes},
            schema={"category": pl.String(), "class_code": pl.String()},
        )

    def _industry_catalogue(self) -> IndustryCatalogue:
        if self._industries is None:
            self._industries = industry_catalogue()
        return self._industries

    def _class_index(self) -> dict[str, list[str]]:
        if self._by_class is None:
            index: dict[str, list[str]] = {}
            for name in self._categories:
                for code in sorted(self.classes_of(name)):
                    index.setdefault(code, []).append(name)
            self._by_class = index
        return self._by_class


def _text(value: object, field: str, where: str) -> str:
    if (
        not isinstance(value, str | int | float)
        or isinstance(value, bool)
        or not str(value).strip()
    ):
        raise RuleSetError(
            f"产业类别表{where}的 {field} 缺失或不是文字",
            detail={"field": field, "where": where},
        )
    return str(value).strip()


def _prose(value: object, field: str, where: str) -> str:
    """A long text: YAML folds line breaks into spaces, which Chinese does not use."""
    return _FOLDED_SPACE.sub("", " ".join(_text(value, field, where).split()))


def _texts(value: object, field: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RuleSetError(
            f"产业类别表{where}的 {field} 应为列表",
            detail={"field": field, "where": where},
        )
    return tuple(_text(item, field, where) for item in value)


def _parse_date(value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RuleSetError(
            f"产业类别表的 valid_from '{value}' 不是日期（应为 YYYY-MM-DD）",
            detail={"field": "valid_from", "value": str(value)},
        ) from exc


def _parse_category(raw: object, position: int, industries: IndustryCatalogue) -> Category:
    where = f"第 {position} 个类别"
    if not isinstance(raw, dict):
        raise RuleSetError(f"产业类别表{where}应为映射（name、kind、codes…）")
    name = _text(raw.get("name"), "name", where)
    where = f"类别“{name}”"
    kind = _text(raw.get("kind"), "kind", where)
    if kind not in KINDS:
        raise RuleSetError(
            f"产业类别表{where}的 kind '{kind}' 不合法（应为 {'、'.join(KINDS)}）",
            detail={"field": "kind", "value": kind, "expected": list(KINDS)},
        )
    codes = _texts(raw.get("codes"), "codes", where)
    if not codes:
        raise RuleSetError(f"产业类别表{where}没有 GB/T 4754 代码", detail={"category": name})
    for code in codes:
        if not _CODE_PATTERN.match(code) or industries.find(code) is None:
            raise RuleSetError(
                f"产业类别表{where}的代码 '{code}' 不在 GB/T 4754-2017 中（应为 2–4 位数字代码）",
                detail={"category": name, "code": code},
            )
    if len(set(codes)) != len(codes):
        raise RuleSetError(f"产业类别表{where}的代码有重复", detail={"category": name})
    return Category(
        name=name,
        aliases=_texts(raw.get("aliases"), "aliases", where),
        codes=codes,
        kind=kind,
        basis=_prose(raw.get("basis"), "basis", where),
        keywords=_texts(raw.get("keywords"), "keywords", where),
    )


def _check_unique_words(categories: list[Category]) -> None:
    names = [item.name for item in categories]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RuleSetError(
            f"产业类别表中的类别名称重复：{'、'.join(repeated)}（每个类别只能出现一次）",
            detail={"categories": repeated},
        )
    owner: dict[str, str] = {}
    for item in categories:
        for word in dict.fromkeys((item.name, *item.aliases)):
            previous = owner.setdefault(word, item.name)
            if previous != item.name:
                raise RuleSetError(
                    f"产业类别表中的名称或别名 '{word}' 同时属于“{previous}”和“{item.name}”"
                    "（每个写法只能对应一个类别）",
                    detail={"word": word, "categories": [previous, item.name]},
                )
    for item in categories:
        for word in item.keywords:
            previous = owner.setdefault(word, item.name)
            if previous != item.name:
                raise RuleSetError(
                    f"产业类别表中类别“{item.name}”的关键词 '{word}' "
                    f"已是“{previous}”的名称、别名或关键词",
                    detail={"word": word, "categories": [previous, item.name]},
                )


def parse_categories(
    document: Mapping[str, Any], *, industries: IndustryCatalogue | None = None
) -> CategoryCatalogue:
    """Build a catalogue from an already-parsed category document (see the module docstring).

    Raises :class:`RuleSetError` with a Chinese message when a header field is missing, a kind
    is unknown, a code is not in GB/T 4754-2017, or a name/alias belongs to two categories.
    """
    if industries is None:
        industries = industry_catalogue()
    source = _prose(document.get("source"), "source", "表头")
    version = _text(document.get("version"), "version", "表头")
    valid_from = _parse_date(document.get("valid_from"))
    raw_categories = document.get("categories")
    if not isinstance(raw_categories, list) or not raw_categories:
        raise RuleSetError("产业类别表缺少 categories 列表", detail={"field": "categories"})
    categories = [
        _parse_category(raw, position, industries)
        for position, raw in enumerate(raw_categories, start=1)
    ]
    _check_unique_words(categories)
    return CategoryCatalogue(
        categories, source=source, version=version, valid_from=valid_from, industries=industries
    )


def load_categories(path: Path | str) -> CategoryCatalogue:
    """Read a category table (YAML, same shape as the packaged one) from ``path``."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleSetError(f"无法读取产业类别表 {path}：{exc}", detail={"path": str(path)}) from exc
    if not isinstance(document, dict):
        raise RuleSetError(f"产业类别表 {path} 应为 YAML 映射", detail={"path": str(path)})
    return parse_categories(document)


@lru_cache(maxsize=1)
def category_catalogue() -> CategoryCatalogue:
    """The category table shipped with ParkHQ (loaded once, then cached)."""
    text = (files("parkhq.reference") / "data" / _DATA_FILE).read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    return parse_categories(cast(dict[str, Any], document))
