"""Demo enterprises: industry, size, labels, products, names and 统一社会信用代码, all vectorised.

Firms are spread over the parks in proportion to each park's size weight. A park's *leading*
firms (its ``leading_share``) take one of the park's leading classes and are larger (revenue ×2.6
on average), so the leading industries hold roughly 60–80 % of the park's output; the other firms
form a long tail drawn from the park's city preferences. Annual revenue is lognormal; employees
follow from revenue and the division's revenue per worker, so the size classes come out in
realistic proportions under the 《中小企业划型标准规定》 thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from parkhq.demo.codes import make_uscc_codes
from parkhq.demo.config import DemoConfig
from parkhq.demo.names import enterprise_names, short_region_name
from parkhq.demo.parks import ParkPlan
from parkhq.reference.enterprise_size import classify_size_frame
from parkhq.reference.industries import industry_catalogue
from parkhq.reference.regions import region_catalogue

__all__ = ["FirmTable", "make_firms"]

_CAPITAL_HEAVY = {"25": 0.5, "26": 0.35, "28": 0.5, "31": 0.6, "32": 0.5, "36": 0.25, "51": 0.2}
_SERVICE_SHIFT = -0.3
_LEADING_BOOST = 0.7
_MEDIAN_REVENUE = 520.0
_TAIL_SHARE = 0.05
_TAIL_FROM = 20_000.0
_TAIL_ALPHA = 1.1
_BIG_PARK_BOOST = {"national_etdz": 0.2, "national_hitech": 0.15}
_PARAMS = ("rpw", "va", "energy", "elec", "emission", "export_p", "export", "rd", "land", "far",
           "margin", "tax", "scale")  # fmt: skip


@dataclass(frozen=True)
class FirmTable:
    """The enterprise frame plus per-firm arrays the monthly and land generators use.

    ``params`` holds the division economics of each firm (keys as in ``economics.yaml``);
    ``industrial`` marks firms in manufacturing (they report output and value added).
    """

    frame: pl.DataFrame
    park_index: npt.NDArray[np.int64]
    industrial: npt.NDArray[np.bool_]
    params: dict[str, npt.NDArray[np.float64]]


def _allocate(weights: npt.NDArray[np.float64], total: int, minimum: int) -> npt.NDArray[np.int64]:
    floor = min(minimum, total // max(len(weights), 1))
    raw = weights / weights.sum() * (total - floor * len(weights))
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: total - floor * len(weights) - int(counts.sum())]] += 1
    allocated: npt.NDArray[np.int64] = counts + floor
    return allocated


def _sample_rows(
    cumulative: npt.NDArray[np.float64], rows: npt.NDArray[np.int64], rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """For each firm, a column index drawn from the cumulative weights of its row."""
    draws = rng.random(len(rows))
    picked = (cumulative[rows] < draws[:, None]).sum(axis=1)
    chosen: npt.NDArray[np.int64] = np.minimum(picked, cumulative.shape[1] - 1).astype(np.int64)
    return chosen


def _padded_cumulative(weights: list[list[float]]) -> npt.NDArray[np.float64]:
    width = max(len(row) for row in weights)
    table = np.zeros((len(weights), width))
    for index, row in enumerate(weights):
        values = np.asarray(row, dtype=np.float64)
        table[index, : len(row)] = np.cumsum(values / values.sum())
        table[index, len(row) :] = 1.0
    return table


def _industries(
    config: DemoConfig, plan: ParkPlan, park_index: npt.NDArray[np.int64], rng: np.random.Generator
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.bool_]]:
    leading = rng.random(len(park_index)) < plan.leading_share[park_index]
    lead_cum = _padded_cumulative(plan.leading_weights)
    lead_pick = _sample_rows(lead_cum, park_index, rng)
    width = lead_cum.shape[1]
    lead_codes = np.array([row + [row[-1]] * (width - len(row)) for row in plan.leading_classes])
    tail_cum = np.cumsum(plan.tail_weights / plan.tail_weights.sum(axis=1, keepdims=True), axis=1)
    profile = _sample_rows(tail_cum, park_index, rng)
    class_cum = _padded_cumulative([list(p.weights) for p in config.profiles])
    class_width = class_cum.shape[1]
    class_codes = np.array(
        [
            list(p.classes) + [p.classes[-1]] * (class_width - len(p.classes))
            for p in config.profiles
        ]
    )
    tail_pick = _sample_rows(class_cum, profile, rng)
    codes = np.where(
        leading, lead_codes[park_index, lead_pick], class_codes[profile, tail_pick]
    ).astype(np.str_)
    return codes, leading


def _params(
    config: DemoConfig, divisions: npt.NDArray[np.str_]
) -> dict[str, npt.NDArray[np.float64]]:
    unique, inverse = np.unique(divisions, return_inverse=True)
    table = {
        name: np.array([getattr(config.division(str(d)), name) for d in unique]) for name in _PARAMS
    }
    return {name: values[inverse] for name, values in table.items()}


def _labels(
    above: npt.NDArray[np.bool_],
    strategic: npt.NDArray[np.bool_],
    high_tech: npt.NDArray[np.bool_],
    revenue: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> tuple[pl.Series, npt.NDArray[np.bool_]]:
    size = len(above)
    p_gaoqi = 0.05 + 0.28 * above + 0.12 * strategic + 0.15 * high_tech
    gaoqi = rng.random(size) < np.minimum(p_gaoqi, 0.85)
    sme = revenue < 40_000
    p_special = np.where(above, 0.10, 0.015) * np.where(strategic | high_tech, 1.6, 1.0)
    special = sme & (rng.random(size) < p_special)
    giant = special & (rng.random(size) < np.where(above, 0.22, 0.03))
    champion = above & (revenue >= 20_000) & (rng.random(size) < 0.025)
    flags = pl.DataFrame({"a": gaoqi, "b": special, "c": giant, "d": champion})
    parts = [
        pl.when(pl.col(column)).then(pl.lit(text)).otherwise(None)
        for column, text in zip(
            "abcd", ("高新技术企业", "专精特新", "小巨人", "单项冠军"), strict=True
        )
    ]
    joined = flags.select(
        pl.concat_str(parts, separator="；", ignore_nulls=True).alias("labels")
    ).to_series()
    return joined.replace("", None), gaoqi


def _products(
    config: DemoConfig, codes: npt.NDArray[np.str_], rng: np.random.Generator
) -> pl.Series:
    catalogue = industry_catalogue()
    result = np.empty(len(codes), dtype=object)
    for code in np.unique(codes):
        mask = codes == code
        count = int(mask.sum())
        phrases = config.products.get(str(code))
        if not phrases:
            name = catalogue.get(str(code)).name
            result[mask] = name.removesuffix("制造").removesuffix("加工") or name
            continue
        width = min(3, len(phrases))
        keys = rng.random((count, len(phrases))).argsort(axis=1)[:, :width]
        wanted = np.minimum(rng.choice([1, 2, 3], size=count, p=[0.3, 0.45, 0.25]), width)
        table = np.asarray(phrases, dtype=object)[keys]
        table[np.arange(width)[None, :] >= wanted[:, None]] = None
        parts = pl.DataFrame(
            {str(i): table[:, i].tolist() for i in range(width)},
            schema={str(i): pl.String for i in range(width)},
        )
        joined = parts.select(pl.concat_str(parts.columns, separator="、", ignore_nulls=True))
        result[mask] = np.asarray(joined.to_series().to_list(), dtype=object)
    return pl.Series("products", result.tolist(), dtype=pl.String)


def _region_words(
    plan: ParkPlan,
    park_index: npt.NDArray[np.int64],
    region_codes: npt.NDArray[np.str_],
    big: npt.NDArray[np.bool_],
    rng: np.random.Generator,
) -> pl.Series:
    catalogue = region_catalogue()
    province = plan.frame.get_column("province_code").to_numpy()[park_index]
    city = plan.frame.get_column("city_code").to_numpy()[park_index]
    draw = rng.random(len(park_index))
    chosen = np.where(
        draw < np.where(big, 0.35, 0.05), province, np.where(draw > 0.7, region_codes, city)
    )
    unique, inverse = np.unique(chosen, return_inverse=True)
    words = np.array([short_region_name(catalogue.get(str(code)).name) for code in unique])
    return pl.Series(words[inverse].tolist(), dtype=pl.String)


def make_firms(
    config: DemoConfig,
    plan: ParkPlan,
    n_firms: int,
    *,
    end: date,
    serial_offset: int,
    rng: np.random.Generator,
) -> FirmTable:
    """``n_firms`` enterprises spread over the parks of ``plan`` (registry columns + extras)."""
    catalogue = industry_catalogue()
    parks = plan.frame
    counts = _allocate(plan.size_weight, n_firms, minimum=20)
    paired = {index for pair in plan.twins for index in pair}
    spare = max((i for i in range(len(counts)) if i not in paired), key=lambda i: counts[i])
    for first, second in plan.twins:
        counts[spare] += int(counts[second] - counts[first])
        counts[second] = counts[first]
    park_index = np.repeat(np.arange(parks.height), counts).astype(np.int64)
    codes, leading = _industries(config, plan, park_index, rng)
    starts = np.concatenate([[0], np.cumsum(counts)])
    mirrors = [
        (slice(int(starts[a]), int(starts[a + 1])), slice(int(starts[b]), int(starts[b + 1])))
        for a, b in plan.twins
    ]
    for source, target in mirrors:
        codes[target] = codes[source]
        leading[target] = leading[source]
    divisions = codes.astype("U2")
    params = _params(config, divisions)
    industrial = (divisions >= "13") & (divisions <= "43")
    strategic_set = catalogue.tagged("战略性新兴产业")
    high_set = catalogue.tagged("高技术制造业") | catalogue.tagged("高技术服务业")
    unique, inverse = np.unique(codes, return_inverse=True)
    strategic = np.array([code in strategic_set for code in unique])[inverse]
    high_tech = np.array([code in high_set for code in unique])[inverse]

    park_boost = np.array([_BIG_PARK_BOOST.get(str(t), 0.0) for t in parks.get_column("type_key")])
    shift = np.array([_CAPITAL_HEAVY.get(str(d), 0.0) for d in np.unique(divisions)])[
        np.unique(divisions, return_inverse=True)[1]
    ]
    shift = shift + np.where(industrial, 0.0, _SERVICE_SHIFT)
    shift = shift + park_boost[park_index]
    body = np.exp(
        np.log(_MEDIAN_REVENUE) + rng.normal(0.0, 1.0, n_firms) + _LEADING_BOOST * leading + shift
    )
    in_tail = rng.random(n_firms) < _TAIL_SHARE * np.where(leading, 1.4, 0.6)
    pareto = _TAIL_FROM * rng.random(n_firms) ** (-1.0 / _TAIL_ALPHA) * np.exp(shift)
    revenue = np.clip(np.where(in_tail, pareto, body), 20.0, 1_500_000.0)
    for source, target in mirrors:
        revenue[target] = revenue[source] * np.exp(rng.normal(0.0, 0.1, target.stop - target.start))
    revenue = revenue.round(1)
    productivity = (
        params["rpw"] * (revenue / 20_000.0) ** 0.25 * np.exp(rng.normal(0.0, 0.3, n_firms))
    )
    employees = np.clip(np.round(revenue / productivity), 3, 80_000).astype(np.int64)
    above = revenue >= params["scale"]

    age_years = rng.gamma(2.0, 4.2, n_firms) + 2.5 * np.clip(np.log10(revenue) - 2.8, 0.0, None)
    age_days = np.clip(age_years * 365.25, 120, 40 * 365.25).astype(np.int64)
    founded = np.datetime64(end) - age_days.astype("timedelta64[D]")

    home = parks.get_column("region_code").to_numpy()[park_index]
    city = parks.get_column("city_code").to_numpy()[park_index]
    region = home.astype(object)
    elsewhere = rng.random(n_firms) > 0.85
    for code, options in plan.counties.items():
        mask = elsewhere & (city == code)
        if mask.any():
            region[mask] = np.asarray(options, dtype=object)[
                rng.integers(0, len(options), int(mask.sum()))
            ]
    region = region.astype(np.str_)

    labels, gaoqi = _labels(above, strategic, high_tech, revenue, rng)
    big = revenue >= 50_000
    names = enterprise_names(
        config.names,
        region_words=_region_words(plan, park_index, region, big, rng),
        classes=pl.Series(codes.tolist(), dtype=pl.String),
        large=big,
        rng=rng,
    )
    new_style = founded >= np.datetime64(date(2016, 1, 1))
    uscc = make_uscc_codes(
        pl.Series(region.tolist(), dtype=pl.String),
        np.arange(serial_offset, serial_offset + n_firms, dtype=np.int64),
        new_style,
    )
    frame = pl.DataFrame(
        {
            "uscc": uscc,
            "name": names,
            "park_code": parks.get_column("code").to_numpy()[park_index].tolist(),
            "industry_code": codes.tolist(),
            "founded_on": founded.astype("datetime64[D]"),
            "above_scale": above,
            "labels": labels,
            "products": _products(config, codes, rng),
            "region_code": region.tolist(),
            "employees": employees,
            "revenue_y": revenue,
        },
        schema_overrides={
            "founded_on": pl.Date,
            "park_code": pl.String,
            "industry_code": pl.String,
            "region_code": pl.String,
        },
    )
    size = classify_size_frame(
        frame.select("industry_code", "employees", pl.col("revenue_y").alias("revenue"))
    )
    frame = frame.with_columns(size.alias("size_class"))
    params["gaoqi"] = gaoqi.astype(np.float64)
    params["founded_day"] = (founded - np.datetime64(date(1970, 1, 1))).astype(np.float64)
    return FirmTable(
        frame=frame,
        park_index=park_index,
        industrial=industrial,
        params=params,
    )
