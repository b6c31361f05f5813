"""Demo monthly reports (企业月报) with seasonality, firm trends and injected anomalies.

Each reporting firm's month ``t`` is its annual revenue / 12, grown at its own annual trend, times
a province-wide calendar factor (Spring Festival shutdown, quarter- and year-end pushes; see
``calendar.yaml``) and an AR(1) firm shock. The other measures follow from it with firm-level
ratios: value added 15–45 % of output (division norm ± noise), tax 2–8 % of revenue, energy by the
division's intensity, electricity and emissions from energy, stable employees, R&D and exports for
the firms that have them, lumpy investment.

Anomalies are injected and listed (kind, uscc, park_code, period, measure, magnitude):

* ``missing_report``: 1–3 consecutive months of a firm have no row;
* ``sharp_drop``: a month where output (revenue for non-industrial firms) falls to at most 45 % of
  the month before (magnitude = the fall, 0.55–0.85); half of them stay low for 1–3 more months.
"""

from __future__ import annotations

import calendar as calendar_module
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from parkhq.demo.config import Calendar

__all__ = [
    "ANOMALY_SCHEMA",
    "MONTHLY_COLUMNS",
    "MONTHLY_SCHEMA",
    "MonthlyInput",
    "monthly_chunk",
    "period_range",
    "seasonal_factors",
]

MONTHLY_COLUMNS = (
    "uscc", "name", "period", "output_value", "revenue", "value_added", "tax", "profit",
    "energy_tce", "electricity", "emission_t", "employees", "rd_expense", "export_value",
    "investment",
)  # fmt: skip
MONTHLY_SCHEMA: dict[str, pl.DataType] = {
    name: pl.String()
    if name in ("uscc", "name", "period")
    else pl.Int64()
    if name == "employees"
    else pl.Float64()
    for name in MONTHLY_COLUMNS
}
ANOMALY_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "uscc": pl.String(),
    "park_code": pl.String(),
    "period": pl.String(),
    "measure": pl.String(),
    "magnitude": pl.Float64(),
}
_TCE_PER_10K_KWH = 1.229
_MISSING_SHARE = 0.02
_DROP_SHARE = 0.015


@dataclass(frozen=True)
class MonthlyInput:
    """The reporting firms of one chunk: identity, size, division ratios and flags."""

    uscc: pl.Series
    name: pl.Series
    park_code: pl.Series
    revenue_y: npt.NDArray[np.float64]
    employees: npt.NDArray[np.float64]
    founded_day: npt.NDArray[np.float64]
    industrial: npt.NDArray[np.bool_]
    params: dict[str, npt.NDArray[np.float64]]


def period_range(end_period: str, months: int) -> list[str]:
    """``months`` periods ``YYYY-MM`` ending at ``end_period``, oldest first."""
    year, month = (int(part) for part in end_period.split("-"))
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def seasonal_factors(periods: list[str], cal: Calendar) -> npt.NDArray[np.float64]:
    """The calendar factor of each period, scaled so the last 12 months average 1."""
    factors = np.empty(len(periods))
    for index, period in enumerate(periods):
        year, month = (int(part) for part in period.split("-"))
        days = calendar_module.monthrange(year, month)[1]
        first, last = date(year, month, 1).toordinal(), date(year, month, days).toordinal()
        shutdown = 0
        festival = cal.spring_festival.get(year)
        if festival is not None:
            start = festival.toordinal() - cal.before_days
            stop = festival.toordinal() + cal.after_days
            shutdown = max(0, min(stop, last) - max(start, first) + 1)
        factors[index] = cal.month_factors[month] * (1.0 - cal.shutdown_depth * shutdown / days)
    scaled: npt.NDArray[np.float64] = factors / factors[-12:].mean()
    return scaled


def _period_ends(periods: list[str]) -> npt.NDArray[np.float64]:
    ends = []
    for period in periods:
        year, month = (int(part) for part in period.split("-"))
        last = date(year, month, calendar_module.monthrange(year, month)[1])
        ends.append((last - date(1970, 1, 1)).days)
    return np.asarray(ends, dtype=np.float64)


def _firm_effects(
    data: MonthlyInput, rng: np.random.Generator
) -> dict[str, npt.NDArray[np.float64]]:
    n = len(data.revenue_y)
    p = data.params
    growth = np.where(rng.random(n) < 0.12, rng.normal(-0.15, 0.08, n), rng.normal(0.06, 0.1, n))
    exporter = rng.random(n) < p["export_p"]
    rd_rate = p["rd"] * np.where(p["gaoqi"] > 0, 2.0, 1.0) * np.exp(rng.normal(0, 0.4, n))
    rd_rate = np.where((p["gaoqi"] == 0) & (rng.random(n) < 0.35), 0.0, rd_rate)
    return {
        "growth": growth,
        "out_ratio": rng.uniform(0.95, 1.05, n),
        "va": np.clip(p["va"] * np.exp(rng.normal(0, 0.12, n)), 0.1, 0.45),
        "tax": p["tax"] * np.exp(rng.normal(0, 0.25, n)),
        "margin": p["margin"] + rng.normal(0, 0.035, n),
        "energy": p["energy"] * np.exp(rng.normal(0, 0.35, n)),
        "elec": np.clip(p["elec"] * rng.uniform(0.85, 1.15, n), 0.02, 1.0) / _TCE_PER_10K_KWH,
        "emission": p["emission"] * np.exp(rng.normal(0, 0.5, n)),
        "export": np.where(
            exporter, np.clip(p["export"] * np.exp(rng.normal(0, 0.5, n)), 0, 0.95), 0
        ),
        "rd": rd_rate,
        "investment": 0.05 * np.exp(rng.normal(0, 0.8, n)),
    }


def _measures(
    data: MonthlyInput, seasonal: npt.NDArray[np.float64], rng: np.random.Generator
) -> dict[str, npt.NDArray[np.float64]]:
    n, months = len(data.revenue_y), len(seasonal)
    f = _firm_effects(data, rng)
    t = np.arange(months, dtype=np.float64)[None, :]
    trend = np.exp(f["growth"][:, None] * (t - (months - 6.5)) / 12.0)
    shock = np.empty((n, months))
    shock[:, 0] = rng.normal(0, 0.08, n)
    for month in range(1, months):
        shock[:, month] = 0.5 * shock[:, month - 1] + rng.normal(0, 0.07, n)
    base = data.revenue_y[:, None] / 12.0 * trend * seasonal[None, :] * np.exp(shock)
    revenue = base * np.exp(rng.normal(0, 0.03, (n, months)))
    output = base * f["out_ratio"][:, None]
    industrial = data.industrial[:, None]
    activity = np.where(industrial, output, revenue)
    energy = activity * f["energy"][:, None] * np.exp(rng.normal(0, 0.05, (n, months)))
    invest_draw = np.where(
        rng.random((n, months)) < 0.3, 0.0, rng.gamma(4.0, 0.25, (n, months)) / 0.7
    )
    return {
        "output_value": np.where(industrial, output, np.nan),
        "revenue": revenue,
        "value_added": np.where(
            industrial, output * f["va"][:, None] * np.exp(rng.normal(0, 0.03, (n, months))), np.nan
        ),
        "tax": revenue * f["tax"][:, None] * np.exp(rng.normal(0, 0.1, (n, months))),
        "profit": revenue * (f["margin"][:, None] + rng.normal(0, 0.015, (n, months))),
        "energy_tce": energy,
        "electricity": energy * f["elec"][:, None],
        "emission_t": energy * f["emission"][:, None],
        "employees": np.maximum(
            1.0,
            np.round(
                data.employees[:, None]
                * np.exp(
                    0.3 * f["growth"][:, None] * (t - months + 1) / 12.0
                    + rng.normal(0, 0.01, (n, months))
                )
            ),
        ),
        "rd_expense": revenue * f["rd"][:, None] * np.exp(rng.normal(0, 0.15, (n, months))),
        "export_value": np.where(
            industrial,
            np.minimum(
                output, output * f["export"][:, None] * np.exp(rng.normal(0, 0.1, (n, months)))
            ),
            np.nan,
        ),
        "investment": data.revenue_y[:, None] / 12.0 * f["investment"][:, None] * invest_draw,
    }


_FLOWS = ("output_value", "revenue", "value_added", "tax", "profit", "energy_tce", "electricity",
          "emission_t", "rd_expense", "export_value", "investment")  # fmt: skip


def _inject(
    data: MonthlyInput,
    values: dict[str, npt.NDArray[np.float64]],
    present: npt.NDArray[np.bool_],
    periods: list[str],
    rng: np.random.Generator,
) -> pl.DataFrame:
    n, months = present.shape
    full = np.flatnonzero(present.all(axis=1))
    order = rng.permutation(full)
    n_missing = round(_MISSING_SHARE * n)
    n_drop = round(_DROP_SHARE * n)
    missing_firms, drop_firms = order[:n_missing], order[n_missing : n_missing + n_drop]
    rows: list[tuple[str, int, str, float | None]] = []
    for firm in missing_firms:
        start = int(rng.integers(1, months))
        for month in range(start, min(months, start + int(rng.integers(1, 4)))):
            present[firm, month] = False
            rows.append(("missing_report", int(firm), periods[month], None))
    for firm in drop_firms:
        month = int(rng.integers(2, months))
        factor = rng.uniform(0.15, 0.45)
        measure = "output_value" if data.industrial[firm] else "revenue"
        ratios = [values["revenue"][firm, month - 1] / values["revenue"][firm, month]]
        if data.industrial[firm]:
            ratios.append(
                values["output_value"][firm, month - 1] / values["output_value"][firm, month]
            )
        scale = min(1.0, factor * min(ratios))
        stop = month + 1 + (int(rng.integers(1, 4)) if rng.random() < 0.5 else 0)
        for name in _FLOWS:
            values[name][firm, month:stop] *= scale
        after = values[measure][firm, month] / values[measure][firm, month - 1]
        rows.append(("sharp_drop", int(firm), periods[month], float(1.0 - after)))
    firms = np.array([row[1] for row in rows], dtype=np.int64)
    return pl.DataFrame(
        {
            "kind": [row[0] for row in rows],
            "uscc": data.uscc.gather(pl.Series(firms)) if rows else pl.Series([], dtype=pl.String),
            "park_code": data.park_code.gather(pl.Series(firms))
            if rows
            else pl.Series([], dtype=pl.String),
            "period": [row[2] for row in rows],
            "measure": [
                None
                if row[0] == "missing_report"
                else ("output_value" if data.industrial[row[1]] else "revenue")
                for row in rows
            ],
            "magnitude": [row[3] for row in rows],
        },
        schema=ANOMALY_SCHEMA,
    )


def monthly_chunk(
    data: MonthlyInput,
    periods: list[str],
    seasonal: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Monthly rows (columns :data:`MONTHLY_COLUMNS`, sorted by firm then period) and anomalies."""
    values = _measures(data, seasonal, rng)
    present = _period_ends(periods)[None, :] >= data.founded_day[:, None]
    anomalies = _inject(data, values, present, periods, rng)
    n, months = present.shape
    keep = present.ravel()
    firm = np.repeat(np.arange(n), months)[keep]
    month = np.tile(np.arange(months), n)[keep]
    columns: dict[str, pl.Series] = {
        "uscc": data.uscc.gather(pl.Series(firm)),
        "name": data.name.gather(pl.Series(firm)),
        "period": pl.Series(periods, dtype=pl.String).gather(pl.Series(month)),
    }
    for column in MONTHLY_COLUMNS[3:]:
        raw = values[column].ravel()[keep]
        if column == "employees":
            columns[column] = pl.Series(column, raw.astype(np.int64))
            continue
        digits = 3 if column == "emission_t" else 2
        columns[column] = pl.Series(column, np.round(raw, digits)).fill_nan(None)
    return pl.DataFrame(columns), anomalies
