"""Fictional names for demo enterprises and parks, built vectorised from the parts in names.yaml.

An enterprise name follows the four parts of a Chinese firm name
(行政区划 + 字号 + 行业 + 组织形式): ``温州恒泰汽车部件有限公司``. Region words are short
names of real divisions (``浙江``, ``温州``, ``瑞安``); the 字号 is a two-character
combination; names are made unique within a dataset.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from parkhq.demo.config import NameParts

__all__ = ["enterprise_names", "short_region_name"]

_SUFFIXES = (
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "特别行政区",
    "林区",
    "地区",
    "省",
    "市",
    "盟",
    "县",
    "区",
    "旗",
)
_ETHNIC = (
    "维吾尔", "哈萨克", "柯尔克孜", "蒙古族", "蒙古", "朝鲜族", "土家族", "布依族",
    "哈尼族", "景颇族", "傈僳族", "达斡尔族", "鄂温克族", "鄂伦春族", "仡佬族", "毛南族",
    "仫佬族", "纳西族", "拉祜族", "普米族", "独龙族", "塔吉克", "锡伯", "撒拉族", "保安族",
    "东乡族", "裕固族", "回族", "藏族", "羌族", "彝族", "苗族", "侗族", "壮族", "瑶族", "白族",
    "傣族", "满族", "畲族", "黎族", "佤族", "怒族", "水族", "土族", "各族",
)  # fmt: skip


def short_region_name(name: str) -> str:
    """The short form of a division name.

    ``浙江省`` → ``浙江``; ``黔东南苗族侗族自治州`` → ``黔东南``.

    Strips the administrative suffix, then trailing ethnic words; keeps the full name when less
    than two characters would remain (``城区`` stays ``城区``).
    """
    text = name
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    stripped = True
    while stripped:
        stripped = False
        for word in _ETHNIC:
            if text.endswith(word) and len(text) - len(word) >= 2:
                text = text[: -len(word)]
                stripped = True
                break
    return text if len(text) >= 2 else name


def _pick(parts: tuple[str, ...], index: npt.NDArray[np.int64]) -> pl.Series:
    return pl.Series(values=list(parts), dtype=pl.String).gather(pl.Series(index))


def _industry_words(parts: NameParts, classes: pl.Series, rng: np.random.Generator) -> pl.Series:
    words = np.empty(len(classes), dtype=object)
    codes = classes.to_numpy()
    for code in np.unique(codes):
        mask = codes == code
        text = str(code)
        choices = next(
            (parts.industry_words[text[:n]] for n in (4, 3, 2) if text[:n] in parts.industry_words),
            parts.default_industry_words,
        )
        picked = rng.integers(0, len(choices), size=int(mask.sum()))
        words[mask] = np.asarray(choices, dtype=object)[picked]
    return pl.Series(values=words.tolist(), dtype=pl.String)


def enterprise_names(
    parts: NameParts,
    *,
    region_words: pl.Series,
    classes: pl.Series,
    large: npt.NDArray[np.bool_],
    rng: np.random.Generator,
) -> pl.Series:
    """One unique fictional name per row.

    ``region_words``: the region word of each firm (short name of its province, city or county);
    ``classes``: its GB/T 4754 class (picks the industry word by longest prefix); ``large``: whether
    it is a large firm (more often a 股份有限公司).
    """
    size = len(region_words)
    first = rng.integers(0, len(parts.trade_first), size=size)
    second = rng.integers(0, len(parts.trade_second), size=size)
    trade = _pick(parts.trade_first, first) + _pick(parts.trade_second, second)
    same = trade.str.slice(0, 1) == trade.str.slice(1, 1)
    if same.any():
        shifted = (second + 1) % len(parts.trade_second)
        trade = pl.select(
            pl.when(pl.lit(same))
            .then(_pick(parts.trade_first, first) + _pick(parts.trade_second, shifted))
            .otherwise(trade)
        ).to_series()
    weights = np.asarray(parts.org_weights, dtype=np.float64)
    forms = rng.choice(len(parts.org_forms), size=size, p=weights / weights.sum())
    joint_stock = parts.org_forms.index("股份有限公司") if "股份有限公司" in parts.org_forms else 0
    forms = np.where(large & (rng.random(size) < 0.45), joint_stock, forms)
    frame = pl.DataFrame(
        {
            "region": region_words,
            "trade": trade,
            "word": _industry_words(parts, classes, rng),
            "form": _pick(parts.org_forms, forms),
        }
    )
    for _ in range(20):
        names = frame.select(pl.concat_str("region", "trade", "word", "form").alias("name"))
        repeat = names.select(pl.col("name").cum_count().over("name") > 1).to_series()
        if not repeat.any():
            return names.to_series()
        extra = _pick(parts.trade_second, rng.integers(0, len(parts.trade_second), size=size))
        frame = frame.with_columns(
            pl.when(pl.lit(repeat))
            .then(pl.col("trade") + pl.lit(extra))
            .otherwise(pl.col("trade"))
            .alias("trade")
        )
    serial = pl.Series(np.arange(size)).cast(pl.String)
    return frame.select(
        pl.concat_str("region", "trade", pl.lit(serial), "word", "form").alias("name")
    ).to_series()
