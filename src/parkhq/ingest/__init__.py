"""Data intake: read users' .xlsx/.csv files, check them against the exchange formats, report.

The pure part of imports: :func:`read_table` turns a file into text cells, :func:`validate`
casts and checks one sheet (→ clean Polars frame + :class:`Report`), :func:`template_xlsx` and
:func:`error_report_xlsx` write the Excel files users fill in and get back. Persisting the clean
frames is the import service's job (``parkhq.services``).
"""

from __future__ import annotations

from parkhq.ingest.checks import CheckConfig, KnownKeys, validate, validate_all
from parkhq.ingest.formats import FORMATS, ExchangeFormat, FieldSpec, detect_kind, get_format
from parkhq.ingest.readers import RawSheet, RawTable, read_table
from parkhq.ingest.report import PROBLEM_CODES, Problem, Report
from parkhq.ingest.templates import error_report_xlsx, template_xlsx

__all__ = [
    "FORMATS",
    "PROBLEM_CODES",
    "CheckConfig",
    "ExchangeFormat",
    "FieldSpec",
    "KnownKeys",
    "Problem",
    "RawSheet",
    "RawTable",
    "Report",
    "detect_kind",
    "error_report_xlsx",
    "get_format",
    "read_table",
    "template_xlsx",
    "validate",
    "validate_all",
]
