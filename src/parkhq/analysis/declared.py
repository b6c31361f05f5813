"""Declared 主导产业 text → named industry categories (the ≤ 3 leading-industry check).

Parks write their leading industries as free text in the catalogue's 主导产业 column, e.g.
``汽车及零部件、电子信息`` or ``节能环保、新能源、新材料、生物医药``. This module

1. splits the text into the declared items (:func:`split_declared`): on 、 , ， ; ； / ／ | + and
   line breaks, and on spaces between two Chinese characters; never on 及 / 和 / 与, which join
   the words of one name (``汽车及零部件`` is one item); separators inside brackets do not split;
   a trailing 等 / 等产业 is dropped;
2. places each item in a category of :mod:`parkhq.reference.categories`
   (:func:`normalise_declared`), trying in turn

   * ``exact`` — the item is a category name;
   * ``alias`` — the item is a listed alias (``汽车零部件`` → 汽车及零部件);
   * ``rule`` — the item matches after dropping a suffix (产业、行业、工业、基地、业 …) or a
     prefix (现代、新型、高端、先进 …), or it contains a known name, alias or keyword; the
     longest contained word wins, and between equally long words the right-most (the head of a
     Chinese compound: ``食品机械`` → 装备制造);
   * ``fuzzy`` — the Dice coefficient of character bigrams (Dice 1945, *Ecology* 26:297) against
     every name and alias reaches :attr:`MatchConfig.fuzzy_threshold` (catches typing slips);

   an item that none of these places is kept in ``unmapped`` — never dropped;
3. counts the declared items against the ≤ 3 rule: the 《中国开发区审核公告目录》(2018 年版)
   lists at most three 主导产业 per zone, so ``count > 3`` is flagged (``exceeds_three``).

Every threshold and confidence is a field of :class:`MatchConfig` (defaults in
:data:`DEFAULT_MATCH_CONFIG`). Functions are pure: text or Polars frames in, frozen results or
frames out; results for a distinct text are cached.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import polars as pl

from parkhq.reference.categories import CategoryCatalogue, category_catalogue

__all__ = [
    "DEFAULT_MATCH_CONFIG",
    "DeclaredCoverage",
    "DeclaredItem",
    "DeclaredPortfolio",
    "MatchConfig",
    "MatchMethod",
    "declared_coverage",
    "normalise_declared",
    "normalise_frame",
    "portfolio_frame",
    "split_declared",
]

MatchMethod = Literal["exact", "alias", "rule", "fuzzy"]


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """Thresholds and confidences of the normaliser (one place, no scattered literals).

    Confidences lie in 0–1: an exact name is certain; a rule match is less so, and a
    containment match scales with the share of the item the matched word covers.
    """

    max_items: int = 3
    """The most leading industries a zone should declare (目录 2018: 不超过 3 个)."""

    suffixes: tuple[str, ...] = (
        "产业集群",
        "产业基地",
        "产业园区",
        "产业园",
        "产业链",
        "产业",
        "行业",
        "工业",
        "基地",
        "集群",
        "领域",
        "业",
    )
    """Generic endings dropped before matching again (longest first, repeatedly)."""

    prefixes: tuple[str, ...] = (
        "战略性新兴",
        "高新技术",
        "现代",
        "新型",
        "高端",
        "先进",
        "特色",
        "绿色",
        "新兴",
        "传统",
        "优势",
        "高效",
        "精品",
    )
    """Generic qualifiers dropped from the front before matching again."""

    min_stem_chars: int = 2
    """A suffix or prefix is dropped only if at least this many characters remain."""

    weak_words: tuple[str, ...] = ("零部件", "配件", "冶炼")
    """Containment words that yield to any other contained word: in ``自行车零部件`` or
    ``特钢冶炼`` the modifier (自行车, 特钢), not the generic head, names the industry."""

    min_alias_keyword_chars: int = 2
    """Names and aliases at least this long also act as containment keywords (explicit
    ``keywords`` of the category table may be a single character)."""

    fuzzy_threshold: float = 0.6
    """Least Dice coefficient of character bigrams for a fuzzy match."""

    confidence_exact: float = 1.0
    confidence_alias: float = 0.95
    confidence_suffix: float = 0.9
    confidence_prefix: float = 0.85
    contains_base: float = 0.55
    """Containment confidence = ``contains_base + contains_span × (len(word) / len(item))``."""
    contains_span: float = 0.35
    ambiguity_penalty: float = 0.1
    """Subtracted when the item also contains a word of another category."""
    fuzzy_weight: float = 0.8
    """Fuzzy confidence = Dice coefficient × ``fuzzy_weight``."""


DEFAULT_MATCH_CONFIG = MatchConfig()
"""The defaults used when no config is passed."""


@dataclass(frozen=True, slots=True)
class DeclaredItem:
    """One declared leading industry.

    ``raw`` is the item as written (width-normalised); ``name`` the cleaned form that was
    matched (brackets and trailing 等 removed); ``category`` is ``None`` and ``method`` ``None``
    when nothing placed it; ``matched`` is the name, alias or keyword that decided.
    """

    raw: str
    category: str | None
    method: MatchMethod | None
    confidence: float
    name: str = ""
    matched: str | None = None


@dataclass(frozen=True, slots=True)
class DeclaredPortfolio:
    """A zone's declared leading industries, normalised.

    ``count`` is the number of declared items (what the ≤ 3 rule is about); ``categories`` the
    distinct categories in order of first mention (may be fewer than ``count``); ``unmapped``
    the raw items no category took.
    """

    text: str
    items: tuple[DeclaredItem, ...]
    max_items: int = field(default=DEFAULT_MATCH_CONFIG.max_items)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def categories(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for item in self.items:
            if item.category is not None:
                seen.setdefault(item.category, None)
        return tuple(seen)

    @property
    def unmapped(self) -> tuple[str, ...]:
        return tuple(item.raw for item in self.items if item.category is None)

    @property
    def exceeds_three(self) -> bool:
        """More items declared than the rule allows (``count > max_items``; 3 by default)."""
        return self.count > self.max_items


@dataclass(frozen=True, slots=True)
class DeclaredCoverage:
    """How many distinct declared names a set of texts uses and how many were placed."""

    names: int
    names_mapped: int
    unmapped_names: tuple[str, ...]

    @property
    def coverage(self) -> float:
        """Share of distinct names placed, 0–1 (1.0 when there are no names at all)."""
        return 1.0 if self.names == 0 else self.names_mapped / self.names


# --------------------------------------------------------------------------- splitting

_OPENING = "([{【〔〖《"
_CLOSING = ")]}】〕〗》"
_SEPARATORS = frozenset("、,;/|+\n\r\t。")
_BRACKETED = re.compile(r"[(\[{【〔〖《][^()\[\]{}【】〔〕〖〗《》]*[)\]}】〕〗》]")
_TRAILING_ETC = re.compile(r"(?:等|等等)(?:产业|行业|领域|项目|方面)?$")
_EDGE_PUNCTUATION = " .:：-_·'\"“”‘’"


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _split_top_level(text: str) -> list[str]:
    """Split on separators outside brackets; spaces split only between two CJK characters."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for index, char in enumerate(text):
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(depth - 1, 0)
        elif depth == 0 and (char in _SEPARATORS or _is_splitting_space(text, index)):
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _is_splitting_space(text: str, index: int) -> bool:
    if not text[index].isspace():
        return False
    before = text[:index].rstrip()
    after = text[index + 1 :].lstrip()
    return bool(before) and bool(after) and _is_cjk(before[-1]) and _is_cjk(after[0])


def _clean_item(item: str) -> str:
    """Strip edges, trailing 等 and surrounding punctuation; keep brackets (shown as written)."""
    cleaned = item.strip().strip(_EDGE_PUNCTUATION)
    cleaned = _TRAILING_ETC.sub("", cleaned).strip(_EDGE_PUNCTUATION)
    return cleaned


def _matching_name(item: str) -> str:
    """The item without bracketed remarks and inner spaces (``新材料(碳纤维)`` → ``新材料``)."""
    previous = None
    name = item
    while previous != name:
        previous = name
        name = _BRACKETED.sub("", name)
    name = "".join(name.split()).strip(_EDGE_PUNCTUATION)
    if not name:
        inner = "".join(ch for ch in item if ch not in _OPENING + _CLOSING)
        name = "".join(inner.split()).strip(_EDGE_PUNCTUATION)
    return _TRAILING_ETC.sub("", name)


def split_declared(text: str | None) -> list[str]:
    """The declared items of one 主导产业 text, as written (width-normalised, NFKC).

    ``"汽车、电子信息、装备制造"`` → 3 items; ``"汽车及零部件；新能源汽车"`` → 2 items (及 joins);
    ``"电子、机械等"`` → ``["电子", "机械"]``. Empty or missing text gives ``[]``.
    """
    if text is None:
        return []
    normalised = unicodedata.normalize("NFKC", text)
    items = (_clean_item(part) for part in _split_top_level(normalised))
    return [item for item in items if item]


# --------------------------------------------------------------------------- matching


def _bigrams(word: str) -> frozenset[str]:
    if len(word) < 2:
        return frozenset({word})
    return frozenset(word[i : i + 2] for i in range(len(word) - 1))


def _dice(left: frozenset[str], right: frozenset[str]) -> float:
    total = len(left) + len(right)
    return 0.0 if total == 0 else 2.0 * len(left & right) / total


_MAX_REMEMBERED_NAMES = 100_000


@dataclass(frozen=True, slots=True)
class _Match:
    category: str
    method: MatchMethod
    confidence: float
    matched: str


class _Matcher:
    """The vocabulary of one category table, indexed for the four matching steps."""

    def __init__(self, catalogue: CategoryCatalogue, config: MatchConfig) -> None:
        self.config = config
        self.names = {item.name.casefold(): item.name for item in catalogue}
        self.vocabulary = {
            word.casefold(): category for word, category in catalogue.vocabulary().items()
        }
        keywords: dict[str, str] = {}
        for item in catalogue:
            for word in (item.name, *item.aliases):
                if len(word) >= config.min_alias_keyword_chars:
                    keywords.setdefault(word.casefold(), item.name)
            for word in item.keywords:
                keywords.setdefault(word.casefold(), item.name)
        self.keywords = sorted(keywords.items(), key=lambda pair: -len(pair[0]))
        self.profiles = [
            (word, category, _bigrams(word)) for word, category in self.vocabulary.items()
        ]
        self._seen: dict[str, _Match | None] = {}

    def match(self, name: str) -> _Match | None:
        """The category of one cleaned item name (each distinct name is matched once)."""
        if name not in self._seen:
            if len(self._seen) >= _MAX_REMEMBERED_NAMES:
                self._seen.clear()
            self._seen[name] = self._match(name)
        return self._seen[name]

    def _match(self, name: str) -> _Match | None:
        key = unicodedata.normalize("NFKC", name).casefold()
        if not key:
            return None
        config = self.config
        if key in self.names:
            return _Match(self.names[key], "exact", config.confidence_exact, key)
        if key in self.vocabulary:
            return _Match(self.vocabulary[key], "alias", config.confidence_alias, key)
        return self._variant(key) or self._containment(key) or self._fuzzy(key)

    def _strip_suffixes(self, key: str) -> str:
        stem = key
        changed = True
        while changed:
            changed = False
            for suffix in self.config.suffixes:
                if stem.endswith(suffix) and len(stem) - len(suffix) >= self.config.min_stem_chars:
                    stem = stem[: -len(suffix)]
                    changed = True
                    break
        return stem

    def _strip_prefix(self, key: str) -> str:
        for prefix in self.config.prefixes:
            if key.startswith(prefix) and len(key) - len(prefix) >= self.config.min_stem_chars:
                return key[len(prefix) :]
        return key

    def _variant(self, key: str) -> _Match | None:
        config = self.config
        stem = self._strip_suffixes(key)
        if stem != key and stem in self.vocabulary:
            return _Match(self.vocabulary[stem], "rule", config.confidence_suffix, stem)
        for base in dict.fromkeys((key, stem)):
            bare = self._strip_prefix(base)
            if bare == base:
                continue
            for candidate in dict.fromkeys((bare, self._strip_suffixes(bare))):
                if candidate in self.vocabulary:
                    return _Match(
                        self.vocabulary[candidate], "rule", config.confidence_prefix, candidate
                    )
        return None

    def _containment(self, key: str) -> _Match | None:
        config = self.config
        best: tuple[int, int, str, str] | None = None
        categories: set[str] = set()
        for word, category in self.keywords:
            position = key.rfind(word)
            if position < 0:
                continue
            categories.add(category)
            strength = 0 if word in self.config.weak_words else len(word)
            rank = (strength, position + len(word), word, category)
            if best is None or rank[:2] > best[:2]:
                best = rank
        if best is None:
            return None
        _, _, word, category = best
        confidence = config.contains_base + config.contains_span * len(word) / len(key)
        if len(categories) > 1:
            confidence -= config.ambiguity_penalty
        return _Match(category, "rule", round(min(confidence, 1.0), 3), word)

    def _fuzzy(self, key: str) -> _Match | None:
        profile = _bigrams(key)
        best_score = 0.0
        best: tuple[str, str] | None = None
        for word, category, other in self.profiles:
            score = _dice(profile, other)
            if score > best_score:
                best_score, best = score, (word, category)
        if best is None or best_score < self.config.fuzzy_threshold:
            return None
        confidence = round(best_score * self.config.fuzzy_weight, 3)
        return _Match(best[1], "fuzzy", confidence, best[0])


@lru_cache(maxsize=8)
def _matcher(catalogue: CategoryCatalogue, config: MatchConfig) -> _Matcher:
    return _Matcher(catalogue, config)


@lru_cache(maxsize=65536)
def _normalise_cached(
    text: str, config: MatchConfig, catalogue: CategoryCatalogue
) -> DeclaredPortfolio:
    matcher = _matcher(catalogue, config)
    items: list[DeclaredItem] = []
    for raw in split_declared(text):
        name = _matching_name(raw)
        found = matcher.match(name)
        if found is None:
            items.append(
                DeclaredItem(raw=raw, category=None, method=None, confidence=0.0, name=name)
            )
        else:
            items.append(
                DeclaredItem(
                    raw=raw,
                    category=found.category,
                    method=found.method,
                    confidence=found.confidence,
                    name=name,
                    matched=found.matched,
                )
            )
    return DeclaredPortfolio(text=text, items=tuple(items), max_items=config.max_items)


def normalise_declared(
    text: str | None,
    *,
    config: MatchConfig = DEFAULT_MATCH_CONFIG,
    catalogue: CategoryCatalogue | None = None,
) -> DeclaredPortfolio:
    """Split one 主导产业 text and place every item in a category (see the module docstring).

    ``catalogue`` defaults to the packaged table (:func:`category_catalogue`). Results are cached
    per (text, config, catalogue).
    """
    return _normalise_cached(text or "", config, catalogue or category_catalogue())


# --------------------------------------------------------------------------- frames

_ITEM_SCHEMA: dict[str, pl.DataType] = {
    "text": pl.String(),
    "position": pl.Int32(),
    "raw": pl.String(),
    "category": pl.String(),
    "method": pl.String(),
    "confidence": pl.Float64(),
}


def _distinct_portfolios(
    series: pl.Series, config: MatchConfig, catalogue: CategoryCatalogue
) -> dict[str, DeclaredPortfolio]:
    texts = series.drop_nulls().unique().to_list()
    return {
        text: normalise_declared(text, config=config, catalogue=catalogue)
        for text in texts
        if isinstance(text, str)
    }


def normalise_frame(
    df: pl.DataFrame,
    column: str,
    *,
    config: MatchConfig = DEFAULT_MATCH_CONFIG,
    catalogue: CategoryCatalogue | None = None,
) -> pl.DataFrame:
    """One row per (input row, declared item).

    Input: ``df[column]`` — 主导产业 free text (String; nulls allowed, they yield no rows).
    Output columns: ``row`` (UInt32, 0-based position of the input row), ``position`` (Int32,
    1-based item number within the text), ``raw`` (item as written), ``category`` (String, null
    when unplaced), ``method`` (exact/alias/rule/fuzzy, null when unplaced), ``confidence``
    (Float64, 0–1). Each distinct text is normalised once (cached), so 3,000 parks take
    milliseconds. Method: see the module docstring.
    """
    catalogue = catalogue or category_catalogue()
    portfolios = _distinct_portfolios(df.get_column(column), config, catalogue)
    rows: dict[str, list[object]] = {name: [] for name in _ITEM_SCHEMA}
    for text, portfolio in portfolios.items():
        for position, item in enumerate(portfolio.items, start=1):
            rows["text"].append(text)
            rows["position"].append(position)
            rows["raw"].append(item.raw)
            rows["category"].append(item.category)
            rows["method"].append(item.method)
            rows["confidence"].append(item.confidence)
    items = pl.DataFrame(rows, schema=_ITEM_SCHEMA)
    indexed = df.select(pl.col(column).cast(pl.String).alias("text")).with_row_index("row")
    return indexed.join(items, on="text", how="inner").drop("text").sort("row", "position")


def portfolio_frame(
    df: pl.DataFrame,
    column: str,
    *,
    config: MatchConfig = DEFAULT_MATCH_CONFIG,
    catalogue: CategoryCatalogue | None = None,
) -> pl.DataFrame:
    """One row per input row: the normalised portfolio of its 主导产业 text.

    Input: ``df[column]`` — 主导产业 free text (String, nulls allowed).
    Output columns: ``row`` (UInt32), ``count`` (Int32, declared items), ``categories``
    (list[str], distinct, order of first mention), ``unmapped`` (list[str], raw items not
    placed), ``exceeds_three`` (Boolean, ``count > config.max_items``). A null text gives
    count 0, empty lists and ``False``.
    """
    catalogue = catalogue or category_catalogue()
    texts = df.get_column(column).cast(pl.String).to_list()
    portfolios = _distinct_portfolios(pl.Series(texts, dtype=pl.String), config, catalogue)
    empty = DeclaredPortfolio(text="", items=(), max_items=config.max_items)
    chosen = [portfolios.get(text, empty) if text is not None else empty for text in texts]
    return pl.DataFrame(
        {
            "row": list(range(len(chosen))),
            "count": [item.count for item in chosen],
            "categories": [list(item.categories) for item in chosen],
            "unmapped": [list(item.unmapped) for item in chosen],
            "exceeds_three": [item.exceeds_three for item in chosen],
        },
        schema={
            "row": pl.UInt32(),
            "count": pl.Int32(),
            "categories": pl.List(pl.String()),
            "unmapped": pl.List(pl.String()),
            "exceeds_three": pl.Boolean(),
        },
    )


def declared_coverage(
    texts: Iterable[str | None],
    *,
    config: MatchConfig = DEFAULT_MATCH_CONFIG,
    catalogue: CategoryCatalogue | None = None,
) -> DeclaredCoverage:
    """Distinct declared names across ``texts`` and how many of them were placed.

    Names are compared in their cleaned form (``电子等`` and ``电子`` are one name).
    """
    catalogue = catalogue or category_catalogue()
    placed: dict[str, bool] = {}
    for text in texts:
        for item in normalise_declared(text, config=config, catalogue=catalogue).items:
            placed[item.name] = placed.get(item.name, False) or item.category is not None
    unmapped = tuple(name for name, ok in placed.items() if not ok)
    return DeclaredCoverage(
        names=len(placed), names_mapped=len(placed) - len(unmapped), unmapped_names=unmapped
    )
