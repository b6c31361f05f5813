"""Demo land parcels (用地): who holds how much industrial land, on what terms, in what state.

Most above-scale firms hold one or two parcels, a fifth of the below-scale firms one (the others
rent standard factory space); a firm's total area (亩) is its annual revenue divided by a
firm-specific revenue per 亩 around its division's norm, so area scales with size, with a floor
of 3–15 亩 per firm and no parcel below 3 亩 (the smallest plot 亩均 evaluations usually cover).
Supply modes and terms follow the rules for industrial land: 出让 up to 50 years,
弹性年期出让 and leases up to 20 years, 划拨 without a term. States: 在建 for recent supply,
闲置 for parcels supplied years ago and never built on (plus a few unsupplied plots with no
holder), 低效 for the parcels with the lowest revenue per 亩, 在用 otherwise.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from parkhq.demo.firms import FirmTable

__all__ = ["PARCEL_SCHEMA", "make_parcels"]

PARCEL_SCHEMA: dict[str, pl.DataType] = {
    "parcel_code": pl.String(),
    "park_code": pl.String(),
    "holder_uscc": pl.String(),
    "area_mu": pl.Float64(),
    "supply_mode": pl.String(),
    "start_on": pl.Date(),
    "term_years": pl.Int64(),
    "floor_area_m2": pl.Float64(),
    "status": pl.String(),
}
_MODES = ("出让", "弹性年期出让", "先租后让", "长期租赁", "划拨")
_MODE_SHARES = (0.76, 0.09, 0.06, 0.07, 0.02)
_M2_PER_MU = 10_000 / 15
_MIN_MU = 3.0
_EPOCH = date(1970, 1, 1)


def _terms(modes: npt.NDArray[np.int64], rng: np.random.Generator) -> npt.NDArray[np.float64]:
    n = len(modes)
    transfer = np.where(rng.random(n) < 0.9, 50, rng.choice([30, 40], size=n))
    flexible = rng.choice([10, 15, 20], size=n, p=[0.3, 0.3, 0.4])
    lease = rng.choice([5, 10, 15, 20], size=n)
    terms = np.select(
        [modes == 0, modes == 1, modes == 2, modes == 3],
        [transfer, flexible, np.full(n, 20), lease],
        default=-1,
    ).astype(np.float64)
    return np.where(terms < 0, np.nan, terms)


def make_parcels(
    firms: FirmTable,
    parks: pl.DataFrame,
    *,
    end: date,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Parcels of every park (columns :data:`PARCEL_SCHEMA`), numbered ``<park>-GY-0001`` on."""
    frame = firms.frame
    n = frame.height
    above = frame.get_column("above_scale").to_numpy()
    revenue = frame.get_column("revenue_y").to_numpy()
    software = frame.get_column("industry_code").str.starts_with("65").to_numpy()
    draw = rng.random(n)
    count = np.where(
        above, np.select([draw < 0.05, draw < 0.75], [0, 1], default=2), (draw < 0.2).astype(int)
    )
    count = np.where(software & (rng.random(n) < 0.9), 0, count)
    per_mu = firms.params["land"] * np.exp(rng.normal(0, 0.5, n))
    smallest = rng.uniform(_MIN_MU, 15.0, n) * np.where(count == 2, 2.0, 1.0)
    total = np.clip(np.maximum(revenue / per_mu, smallest), _MIN_MU, 2_000.0)
    holder = np.repeat(np.arange(n), count)
    second = np.zeros(len(holder), dtype=bool)
    second[1:] = holder[1:] == holder[:-1]
    split = rng.uniform(0.5, 0.75, len(holder))
    has_two = count[holder] == 2
    area = np.maximum(
        total[holder] * np.where(has_two, np.where(second, 1 - split, split), 1.0), _MIN_MU
    )

    end_day = (end - _EPOCH).days
    park_index = firms.park_index[holder]
    approved = (
        parks.get_column("approved_on").str.replace(r"\.", "-").str.to_date("%Y-%m").to_numpy()
    )
    approved_day = (approved.astype("datetime64[D]") - np.datetime64(_EPOCH)).astype(np.int64)
    earliest = np.maximum(firms.params["founded_day"][holder], approved_day[park_index])
    earliest = np.maximum(earliest, (date(1995, 1, 1) - _EPOCH).days)
    latest = end_day - 30
    position = np.where(second, rng.uniform(0.5, 1.0, len(holder)), rng.beta(1.2, 2.5, len(holder)))
    start = (earliest + position * np.maximum(latest - earliest, 0)).astype(np.int64)

    modes = rng.choice(len(_MODES), size=len(holder), p=_MODE_SHARES)
    terms = _terms(modes, rng)
    density = revenue[holder] / np.maximum(total[holder], 1e-9)
    low = density < np.quantile(density, 0.08) if len(density) else np.zeros(0, dtype=bool)
    recent = start > end_day - 540
    status = np.full(len(holder), "在用", dtype=object)
    status[low & (rng.random(len(holder)) < 0.8)] = "低效"
    status[recent & (rng.random(len(holder)) < 0.6)] = "在建"
    idle = (start < end_day - 730) & (rng.random(len(holder)) < 0.035)
    status[idle] = "闲置"
    far = firms.params["far"][holder] * np.exp(rng.normal(0, 0.25, len(holder)))
    built = np.select(
        [status == "在建", status == "闲置"],
        [rng.uniform(0.0, 0.5, len(holder)), np.zeros(len(holder))],
        default=1.0,
    )
    floor = area * _M2_PER_MU * far * built

    n_parks = parks.height
    spare = rng.random(n_parks) < 0.6
    spare_park = np.flatnonzero(spare)
    spare_area = np.maximum(np.exp(rng.normal(np.log(40), 0.7, len(spare_park))), _MIN_MU)
    parcels = pl.DataFrame(
        {
            "park_index": np.concatenate([park_index, spare_park]),
            "holder_uscc": pl.concat(
                [
                    frame.get_column("uscc").gather(pl.Series(holder)),
                    pl.Series([None] * len(spare_park), dtype=pl.String),
                ]
            ),
            "area_mu": np.round(np.concatenate([area, spare_area]), 2),
            "supply_mode": np.concatenate(
                [np.asarray(_MODES, dtype=object)[modes], np.full(len(spare_park), None)]
            ).tolist(),
            "start_day": np.concatenate([start, np.full(len(spare_park), -1)]),
            "term_years": np.concatenate([terms, np.full(len(spare_park), np.nan)]),
            "floor_area_m2": np.round(np.concatenate([floor, np.zeros(len(spare_park))]), 1),
            "status": np.concatenate(
                [status, np.full(len(spare_park), "闲置", dtype=object)]
            ).tolist(),
        },
        schema_overrides={"supply_mode": pl.String, "status": pl.String},
    )
    parcels = parcels.sort("park_index", maintain_order=True)
    park_codes = parks.get_column("code").gather(parcels.get_column("park_index"))
    return (
        parcels.with_columns(
            park_codes.alias("park_code"),
            pl.when(pl.col("start_day") >= 0)
            .then(pl.col("start_day").cast(pl.Date))
            .otherwise(None)
            .alias("start_on"),
            pl.col("term_years").fill_nan(None).cast(pl.Int64),
        )
        .with_columns(
            (
                pl.col("park_code")
                + "-GY-"
                + (pl.int_range(pl.len()).over("park_code") + 1).cast(pl.String).str.zfill(4)
            ).alias("parcel_code")
        )
        .select(list(PARCEL_SCHEMA))
        .cast(pl.Schema(PARCEL_SCHEMA))
    )
