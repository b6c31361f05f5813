"""ParkHQ demo data: a deterministic synthetic province for ``make demo`` and a national-scale set.

Pure generation: :func:`generate` returns polars frames in the exchange formats (plus a few
extras); :func:`write_national` writes the national set to Parquet. Loading into the database is
done elsewhere. See docs/demo-data.md for what the data contains and how it compares with
published national aggregates.
"""

from __future__ import annotations

from parkhq.demo.generator import (
    ENTERPRISE_COLUMNS,
    PARK_COLUMNS,
    DemoData,
    NationalFiles,
    generate,
    generate_national,
    write_national,
)
from parkhq.demo.monthly import MONTHLY_COLUMNS

__all__ = [
    "ENTERPRISE_COLUMNS",
    "MONTHLY_COLUMNS",
    "PARK_COLUMNS",
    "DemoData",
    "NationalFiles",
    "generate",
    "generate_national",
    "write_national",
]
