"""Small typed frames for the analysis tests: rows of tuples, columns by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from parkhq.reference.categories import category_catalogue
from parkhq.reference.industries import industry_catalogue

DTYPES: dict[str, pl.DataType] = {
    "park_code": pl.String(),
    "province_code": pl.String(),
    "city_code": pl.String(),
    "industry_code": pl.String(),
    "industry": pl.String(),
    "raw": pl.String(),
    "category": pl.String(),
    "output_value": pl.Float64(),
    "tax": pl.Float64(),
    "land_mu": pl.Float64(),
    "employees": pl.Int64(),
}
"""The dtype of each column name the analyses read."""


def rows_frame(rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> pl.DataFrame:
    """A frame of ``rows`` (tuples in the order of ``columns``) with the analyses' dtypes."""
    return pl.DataFrame(list(rows), schema={c: DTYPES[c] for c in columns}, orient="row")


def class_map_for(level: str) -> pl.DataFrame | None:
    """The ``class_map`` an aggregation at ``level`` needs (category or section), else None."""
    if level == "category":
        return category_catalogue().frame()
    if level == "section":
        return industry_catalogue().frame().select(pl.col("code").alias("class_code"), "section")
    return None
