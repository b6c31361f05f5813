"""The demo generator's settings, read from the YAML files in ``parkhq/demo/data``.

Every number that shapes the demo data (industry profiles, per-division economics, the production
calendar, name parts, park types and regional preferences) lives in a YAML file with ``source``,
``version`` and ``valid_from``; this module parses them into frozen dataclasses, once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib.resources import files
from typing import Any, cast

import yaml

from parkhq.errors import RuleSetError

__all__ = [
    "Calendar",
    "DemoConfig",
    "DivisionEconomics",
    "NameParts",
    "ParkType",
    "Profile",
    "demo_config",
]


@dataclass(frozen=True, slots=True)
class Profile:
    """An industry profile: a declared-industry category with its usual GB/T 4754 classes."""

    name: str
    category: str
    kind: str
    variants: tuple[str, ...]
    classes: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class DivisionEconomics:
    """Per-division parameters (see ``economics.yaml`` for units)."""

    rpw: float
    va: float
    energy: float
    elec: float
    emission: float
    export_p: float
    export: float
    rd: float
    land: float
    far: float
    margin: float
    tax: float
    scale: float


@dataclass(frozen=True, slots=True)
class Calendar:
    """Spring Festival dates and month factors for seasonality."""

    spring_festival: dict[int, date]
    before_days: int
    after_days: int
    shutdown_depth: float
    month_factors: dict[int, float]


@dataclass(frozen=True, slots=True)
class NameParts:
    """Characters and words that enterprise and park names are built from."""

    trade_first: tuple[str, ...]
    trade_second: tuple[str, ...]
    org_forms: tuple[str, ...]
    org_weights: tuple[float, ...]
    industry_words: dict[str, tuple[str, ...]]
    default_industry_words: tuple[str, ...]
    park_places: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParkType:
    """A park type of the development-zone catalogue, with its code digit and name suffixes."""

    key: str
    level: str
    level_zh: str
    prefix: str
    digit: str
    type: str
    suffixes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """Everything the generator reads from ``parkhq/demo/data``."""

    profiles: tuple[Profile, ...]
    bonded_profiles: tuple[str, ...]
    products: dict[str, tuple[str, ...]]
    economics: dict[str, DivisionEconomics]
    default_economics: DivisionEconomics
    calendar: Calendar
    names: NameParts
    park_types: dict[str, ParkType]
    type_mix: dict[str, dict[str, float]]
    border_provinces: tuple[str, ...]
    city_profiles: dict[str, dict[str, float]]

    def profile(self, name: str) -> Profile:
        """The profile called ``name``; raises :class:`RuleSetError` if unknown."""
        for item in self.profiles:
            if item.name == name:
                return item
        raise RuleSetError(
            f"演示数据的产业画像 '{name}' 不存在（见 parkhq/demo/data/profiles.yaml）"
        )

    def division(self, code: str) -> DivisionEconomics:
        """Economics of the GB/T 4754 division ``code`` (2 digits), or the defaults."""
        return self.economics.get(code, self.default_economics)


def _read(name: str) -> dict[str, Any]:
    text = (files("parkhq.demo") / "data" / name).read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise RuleSetError(f"演示数据设定文件 {name} 应为一个映射")
    for field in ("source", "version", "valid_from"):
        if field not in document:
            raise RuleSetError(f"演示数据设定文件 {name} 缺少字段 '{field}'")
    return cast(dict[str, Any], document)


def _profiles(document: dict[str, Any]) -> tuple[Profile, ...]:
    profiles: list[Profile] = []
    for raw in document["profiles"]:
        classes = {str(code): float(weight) for code, weight in raw["classes"].items()}
        profiles.append(
            Profile(
                name=str(raw["name"]),
                category=str(raw["category"]),
                kind=str(raw["kind"]),
                variants=tuple(str(item) for item in raw["variants"]),
                classes=tuple(classes),
                weights=tuple(classes.values()),
            )
        )
    return tuple(profiles)


def _economics(raw: dict[str, Any], default: DivisionEconomics | None) -> DivisionEconomics:
    values: dict[str, float] = {}
    for field in DivisionEconomics.__slots__:
        if field in raw:
            values[field] = float(raw[field])
        elif default is not None:
            values[field] = float(getattr(default, field))
        else:
            raise RuleSetError(f"演示数据的行业经济参数缺少 '{field}'")
    return DivisionEconomics(**values)


def _calendar(document: dict[str, Any]) -> Calendar:
    return Calendar(
        spring_festival={
            int(year): date.fromisoformat(str(day))
            for year, day in document["spring_festival"].items()
        },
        before_days=int(document["before_days"]),
        after_days=int(document["after_days"]),
        shutdown_depth=float(document["shutdown_depth"]),
        month_factors={int(m): float(v) for m, v in document["month_factors"].items()},
    )


def _names(document: dict[str, Any]) -> NameParts:
    forms = document["org_forms"]
    return NameParts(
        trade_first=tuple(str(item) for item in document["trade_first"]),
        trade_second=tuple(str(item) for item in document["trade_second"]),
        org_forms=tuple(str(item["text"]) for item in forms),
        org_weights=tuple(float(item["weight"]) for item in forms),
        industry_words={
            str(code): tuple(str(word) for word in words)
            for code, words in document["industry_words"].items()
        },
        default_industry_words=tuple(str(item) for item in document["default_industry_words"]),
        park_places=tuple(str(item) for item in document["park_places"]),
    )


def _park_types(document: dict[str, Any]) -> dict[str, ParkType]:
    return {
        str(key): ParkType(
            key=str(key),
            level=str(raw["level"]),
            level_zh=str(raw["level_zh"]),
            prefix=str(raw["prefix"]),
            digit=str(raw["digit"]),
            type=str(raw["type"]),
            suffixes=tuple(str(item) for item in raw["suffixes"]),
        )
        for key, raw in document["park_types"].items()
    }


@lru_cache(maxsize=1)
def demo_config() -> DemoConfig:
    """The packaged demo settings (parsed once, then cached)."""
    profiles = _read("profiles.yaml")
    products = _read("products.yaml")
    economics = _read("economics.yaml")
    geography = _read("geography.yaml")
    default = _economics(economics["default"], None)
    return DemoConfig(
        profiles=_profiles(profiles),
        bonded_profiles=tuple(str(item) for item in profiles["bonded_profiles"]),
        products={
            str(code): tuple(str(item) for item in phrases)
            for code, phrases in products["products"].items()
        },
        economics={
            str(code): _economics(raw, default) for code, raw in economics["divisions"].items()
        },
        default_economics=default,
        calendar=_calendar(_read("calendar.yaml")),
        names=_names(_read("names.yaml")),
        park_types=_park_types(geography),
        type_mix={
            str(scale): {str(key): float(share) for key, share in mix.items()}
            for scale, mix in geography["type_mix"].items()
        },
        border_provinces=tuple(str(code) for code in geography["border_provinces"]),
        city_profiles={
            str(code): {str(name): float(weight) for name, weight in prefs.items()}
            for code, prefs in geography["city_profiles"].items()
        },
    )
