"""Write a :class:`~parkhq.demo.generator.DemoData` to files: Parquet, CSV or an import workbook.

The workbook has one sheet per exchange format, named by its Chinese title (园区名录, 企业名录,
用地, 企业月报) with the Chinese headers of :mod:`parkhq.ingest.formats`, and only the
exchange-format columns, so it imports through the same path as a user's file (是/否 for
``above_scale``; codes stay text). Parquet and CSV files keep every column, extras included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl

from parkhq.demo.generator import DemoData
from parkhq.ingest.formats import ALL_SHEETS_ORDER, get_format

__all__ = ["WORKBOOK_NAME", "FileFormat", "workbook_frames", "write_frames", "write_workbook"]

FileFormat = Literal["parquet", "csv", "xlsx"]
WORKBOOK_NAME = "演示数据.xlsx"


def _tables(data: DemoData) -> dict[str, pl.DataFrame]:
    return {
        "parks": data.parks,
        "enterprises": data.enterprises,
        "monthly": data.monthly,
        "parcels": data.parcels,
        "anomalies": data.anomalies,
        "park_design": data.park_design,
    }


def workbook_frames(data: DemoData) -> dict[str, pl.DataFrame]:
    """Sheet title → frame with the Chinese headers of its exchange format, in import order."""
    sources = {
        "park_registry": data.parks,
        "enterprise_registry": data.enterprises.with_columns(
            pl.when(pl.col("above_scale"))
            .then(pl.lit("是"))
            .otherwise(pl.lit("否"))
            .alias("above_scale")
        ),
        "land_parcels": data.parcels,
        "monthly_report": data.monthly,
    }
    sheets: dict[str, pl.DataFrame] = {}
    for kind in ALL_SHEETS_ORDER:
        fmt = get_format(kind)
        frame = sources[kind].select(fmt.names)
        sheets[fmt.title] = frame.rename({spec.name: spec.header for spec in fmt.fields})
    return sheets


def write_workbook(data: DemoData, path: Path, *, months: int | None = 12) -> Path:
    """Write the import workbook (four sheets, Chinese headers) to ``path``.

    ``months`` keeps only the latest so many periods in the 企业月报 sheet (``None``: all of
    them); Excel writing runs at roughly 100,000 monthly rows per 10 seconds, and the complete
    series is in the Parquet/CSV files. Dates are written as ``YYYY-MM-DD`` text and codes as
    text, both of which the importer reads.
    """
    from xlsxwriter import Workbook

    sheets = workbook_frames(data)
    monthly_title = get_format("monthly_report").title
    period = get_format("monthly_report").field("period").header
    if months is not None:
        latest = sheets[monthly_title].get_column(period).unique().sort().tail(months)
        sheets[monthly_title] = sheets[monthly_title].filter(pl.col(period).is_in(latest.implode()))
    with Workbook(str(path), {"constant_memory": True}) as workbook:
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        for title, frame in sheets.items():
            sheet = workbook.add_worksheet(title)
            sheet.freeze_panes(1, 0)
            sheet.set_column(0, frame.width - 1, 18)
            sheet.write_row(0, 0, frame.columns, header)
            text = frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
            numeric = [dtype.is_numeric() for dtype in text.dtypes]
            for row_index, row in enumerate(text.iter_rows(), start=1):
                for column, value in enumerate(row):
                    if value is None:
                        continue
                    if numeric[column]:
                        sheet.write_number(row_index, column, value)
                    else:
                        sheet.write_string(row_index, column, value)
    return path


def _nested_to_text(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV cannot hold lists: join list columns with 、 (only ``park_design`` has them)."""
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(pl.col(name).list.join("、") for name in lists)


def write_frames(data: DemoData, out_dir: Path, file_format: FileFormat) -> list[Path]:
    """Write every table of ``data`` to ``out_dir`` as ``<table>.parquet`` or ``<table>.csv``;
    ``xlsx`` writes the import workbook only. Returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if file_format == "xlsx":
        return [write_workbook(data, out_dir / WORKBOOK_NAME)]
    written: list[Path] = []
    for name, frame in _tables(data).items():
        path = out_dir / f"{name}.{file_format}"
        if file_format == "parquet":
            frame.write_parquet(path)
        else:
            _nested_to_text(frame).write_csv(path, include_bom=True)
        written.append(path)
    return written
