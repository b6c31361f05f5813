"""ParkHQ's deterministic synthetic data: a demo province and a national-scale benchmark set.

:func:`generate` returns a :class:`DemoData` of polars frames whose columns are the exchange-format
field names (so they go through the same import path as user files) plus a few extras;
:func:`write_national` streams the national-scale set to Parquet. The same seed always gives the
same frames (one ``numpy.random.Generator`` for parks, firms and land; one per 50,000-firm chunk
for the monthly reports).

Scales:

=========  =====  ==========  ======================================================================
scale      parks  firms       monthly reports
=========  =====  ==========  ======================================================================
province   80     20,000      every above-scale firm plus a 10 % sample of below-scale firms
national   3,000  1,000,000   above-scale firms only (≈ 25 %, ≈ 9.1 M rows for 36 months)
=========  =====  ==========  ======================================================================
"""

from __future__ import annotations

import calendar as calendar_module
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from parkhq.demo.config import DemoConfig, demo_config
from parkhq.demo.firms import FirmTable, make_firms
from parkhq.demo.land import make_parcels
from parkhq.demo.monthly import (
    ANOMALY_SCHEMA,
    MONTHLY_SCHEMA,
    MonthlyInput,
    monthly_chunk,
    period_range,
    seasonal_factors,
)
from parkhq.demo.parks import plan_parks
from parkhq.errors import InvalidInput
from parkhq.reference.regions import region_catalogue

__all__ = [
    "ENTERPRISE_COLUMNS",
    "PARK_COLUMNS",
    "DemoData",
    "NationalFiles",
    "generate",
    "generate_national",
    "write_national",
]

PARK_COLUMNS = (
    "seq", "code", "name", "province", "city", "level", "type", "approved_on", "area_ha",
    "declared_industries", "province_code", "city_code", "region_code", "level_zh",
)  # fmt: skip
ENTERPRISE_COLUMNS = (
    "uscc", "name", "park_code", "industry_code", "founded_on", "above_scale", "labels",
    "products", "region_code", "employees", "revenue_y", "size_class",
)  # fmt: skip
_CHUNK = 50_000
_PROVINCE_PARKS = 80
_PROVINCE_FIRMS = 20_000
_NATIONAL_PARKS = 3_000
_NATIONAL_FIRMS = 1_000_000
_BELOW_SCALE_SAMPLE = {"province": 0.10, "national": 0.0}
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class DemoData:
    """One generated dataset.

    ``parks``, ``enterprises``, ``monthly`` and ``parcels`` carry the exchange-format columns
    (plus extras, see docs/demo-data.md); ``anomalies`` lists the injected anomalies;
    ``park_design`` records what was planted in each park (declared and real profiles, leading
    classes, twin, declaration match) so tests of later analyses can check their findings.
    """

    scale: str
    seed: int
    parks: pl.DataFrame
    enterprises: pl.DataFrame
    monthly: pl.DataFrame
    parcels: pl.DataFrame
    anomalies: pl.DataFrame
    park_design: pl.DataFrame


@dataclass(frozen=True)
class NationalFiles:
    """What :func:`write_national` wrote: file paths and row counts, by table name."""

    paths: dict[str, Path]
    rows: dict[str, int]


@dataclass(frozen=True)
class _Base:
    parks: pl.DataFrame
    design: pl.DataFrame
    firms: FirmTable
    parcels: pl.DataFrame
    reporting: npt.NDArray[np.int64]
    periods: list[str]
    seasonal: npt.NDArray[np.float64]


def _check(months: int, end_period: str, config: DemoConfig) -> list[str]:
    if not _PERIOD.match(end_period):
        raise InvalidInput(
            f"截止报告期「{end_period}」格式不对，应为 YYYY-MM（如 2026-10）",
            detail={"field": "end_period", "value": end_period},
        )
    if not 13 <= months <= 240:
        raise InvalidInput(
            f"月份数 {months} 超出范围，应在 13 到 240 之间",
            detail={"field": "months", "value": months},
        )
    periods = period_range(end_period, months)
    years = {int(period[:4]) for period in periods}
    known = set(config.calendar.spring_festival)
    if not years <= known:
        raise InvalidInput(
            f"报告期应落在 {min(known)}–{max(known)} 年之间（春节日期表的范围），"
            f"实际为 {periods[0]} 至 {periods[-1]}",
            detail={"field": "end_period", "value": end_period},
        )
    return periods


def _base(
    *,
    scale: Literal["province", "national"],
    provinces: list[str],
    n_parks: int,
    n_firms: int,
    seed: int,
    months: int,
    end_period: str,
) -> _Base:
    config = demo_config()
    periods = _check(months, end_period, config)
    if n_parks < 1 or n_firms < 20 * n_parks:
        raise InvalidInput(
            f"园区数 {n_parks}、企业数 {n_firms} 不合理：每个园区至少要有 20 家企业",
            detail={"field": "enterprises", "value": n_firms},
        )
    year, month = (int(part) for part in end_period.split("-"))
    end = date(year, month, calendar_module.monthrange(year, month)[1])
    rng = np.random.default_rng(seed)
    plan = plan_parks(
        config,
        provinces,
        n_parks,
        config.type_mix[scale],
        twin_pairs=3 if scale == "province" else max(2, round(0.01 * n_parks)),
        mismatched=5 if scale == "province" else round(0.05 * n_parks),
        rng=rng,
    )
    firms = make_firms(config, plan, n_firms, end=end, serial_offset=0, rng=rng)
    parcels = make_parcels(firms, plan.frame, end=end, rng=rng)
    used = (
        plan.frame.select("code")
        .join(
            parcels.group_by("park_code").agg(pl.col("area_mu").sum().alias("used_mu")),
            left_on="code",
            right_on="park_code",
            how="left",
            maintain_order="left",
        )
        .get_column("used_mu")
        .fill_null(0.0)
        .to_numpy()
    )
    utilisation = rng.uniform(0.55, 0.85, plan.frame.height)
    area = np.maximum(used / 15.0 / utilisation, 20.0)
    parks = plan.frame.with_columns(pl.Series("area_ha", np.round(area, 2))).select(PARK_COLUMNS)
    above = firms.frame.get_column("above_scale").to_numpy()
    sampled = rng.random(firms.frame.height) < _BELOW_SCALE_SAMPLE[scale]
    return _Base(
        parks=parks,
        design=plan.design,
        firms=firms,
        parcels=parcels,
        reporting=np.flatnonzero(above | sampled).astype(np.int64),
        periods=periods,
        seasonal=seasonal_factors(periods, config.calendar),
    )


def _monthly_chunks(base: _Base, seed: int) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    frame = base.firms.frame
    for chunk, start in enumerate(range(0, len(base.reporting), _CHUNK)):
        rows = base.reporting[start : start + _CHUNK]
        index = pl.Series(rows)
        data = MonthlyInput(
            uscc=frame.get_column("uscc").gather(index),
            name=frame.get_column("name").gather(index),
            park_code=frame.get_column("park_code").gather(index),
            revenue_y=frame.get_column("revenue_y").to_numpy()[rows],
            employees=frame.get_column("employees").to_numpy()[rows].astype(np.float64),
            founded_day=base.firms.params["founded_day"][rows],
            industrial=base.firms.industrial[rows],
            params={name: values[rows] for name, values in base.firms.params.items()},
        )
        rng = np.random.default_rng([seed, 2, chunk])
        yield monthly_chunk(data, base.periods, base.seasonal, rng)


def _assemble(base: _Base, scale: str, seed: int) -> DemoData:
    monthly: list[pl.DataFrame] = []
    anomalies: list[pl.DataFrame] = []
    for rows, found in _monthly_chunks(base, seed):
        monthly.append(rows)
        anomalies.append(found)
    return DemoData(
        scale=scale,
        seed=seed,
        parks=base.parks,
        enterprises=base.firms.frame.select(ENTERPRISE_COLUMNS),
        monthly=pl.concat(monthly) if monthly else pl.DataFrame(schema=MONTHLY_SCHEMA),
        parcels=base.parcels,
        anomalies=pl.concat(anomalies) if anomalies else pl.DataFrame(schema=ANOMALY_SCHEMA),
        park_design=base.design,
    )


def _national_base(seed: int, parks: int, enterprises: int, months: int, end_period: str) -> _Base:
    provinces = [item.code for item in region_catalogue().provinces()]
    return _base(
        scale="national",
        provinces=provinces,
        n_parks=parks,
        n_firms=enterprises,
        seed=seed,
        months=months,
        end_period=end_period,
    )


def generate(
    scale: Literal["province", "national"],
    seed: int,
    *,
    province_code: str = "330000",
    months: int = 36,
    end_period: str = "2026-10",
) -> DemoData:
    """A deterministic demo dataset in memory.

    ``province``: 80 parks over the real prefectures of ``province_code`` (GB/T 2260, 6 digits),
    20,000 firms, ``months`` monthly periods ending at ``end_period`` (``YYYY-MM``).
    ``national``: 3,000 parks over all 31 provinces and 1,000,000 firms (several GB of memory;
    prefer :func:`write_national`, which streams to Parquet).
    """
    if scale == "national":
        return generate_national(seed=seed, months=months, end_period=end_period)
    if scale != "province":
        raise InvalidInput(
            f"规模「{scale}」不存在，应为 province 或 national", detail={"field": "scale"}
        )
    region = region_catalogue().find(province_code)
    if region is None or region.level != "province":
        raise InvalidInput(
            f"省级区划代码「{province_code}」不存在，应为 6 位省级代码（如 330000）",
            detail={"field": "province_code", "value": province_code},
        )
    base = _base(
        scale="province",
        provinces=[region.code],
        n_parks=_PROVINCE_PARKS,
        n_firms=_PROVINCE_FIRMS,
        seed=seed,
        months=months,
        end_period=end_period,
    )
    return _assemble(base, "province", seed)


def generate_national(
    *,
    seed: int = 42,
    parks: int = _NATIONAL_PARKS,
    enterprises: int = _NATIONAL_FIRMS,
    months: int = 36,
    end_period: str = "2026-10",
) -> DemoData:
    """The national-scale dataset in memory (smaller ``parks``/``enterprises`` for tests)."""
    base = _national_base(seed, parks, enterprises, months, end_period)
    return _assemble(base, "national", seed)


def write_national(
    out_dir: Path | str,
    seed: int = 42,
    *,
    parks: int = _NATIONAL_PARKS,
    enterprises: int = _NATIONAL_FIRMS,
    months: int = 36,
    end_period: str = "2026-10",
) -> NationalFiles:
    """Write the national-scale dataset to Parquet in ``out_dir``, monthly reports in chunks.

    Files: ``parks.parquet``, ``enterprises.parquet``, ``parcels.parquet``, ``monthly.parquet``
    (one row group per 50,000 reporting firms), ``anomalies.parquet``, ``park_design.parquet``.
    Peak memory stays near the size of the enterprise table plus one chunk (≈ 1.6 GiB for the
    full million firms; about 30–50 s on two cores).
    """
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    base = _national_base(seed, parks, enterprises, months, end_period)
    paths = {
        name: folder / f"{name}.parquet"
        for name in ("parks", "enterprises", "parcels", "monthly", "anomalies", "park_design")
    }
    rows: dict[str, int] = {}
    tables = {
        "parks": base.parks,
        "enterprises": base.firms.frame.select(ENTERPRISE_COLUMNS),
        "parcels": base.parcels,
        "park_design": base.design,
    }
    for name, table in tables.items():
        table.write_parquet(paths[name])
        rows[name] = table.height
    writer = None
    anomalies: list[pl.DataFrame] = []
    rows["monthly"] = 0
    try:
        for chunk, found in _monthly_chunks(base, seed):
            table = chunk.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(paths["monthly"], table.schema, compression="zstd")
            writer.write_table(table)
            rows["monthly"] += chunk.height
            anomalies.append(found)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        pl.DataFrame(schema=MONTHLY_SCHEMA).write_parquet(paths["monthly"])
    found_all = pl.concat(anomalies) if anomalies else pl.DataFrame(schema=ANOMALY_SCHEMA)
    found_all.write_parquet(paths["anomalies"])
    rows["anomalies"] = found_all.height
    return NationalFiles(paths=paths, rows=rows)
