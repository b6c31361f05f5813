"""Validate a read sheet against its exchange format: typed clean frame + :class:`Report`.

Every check is a Polars expression over whole columns (look-ups against the catalogues run over
unique values only), so a 1,000,000-row monthly report validates in seconds. Checks, in order:

1. header: required columns present, no column twice, units as specified (``E006``–``E009``);
2. per cell: required (``E101``), type (number, integer, date, period, 是/否, labels:
   ``E102``–``E105``, ``E111``, ``E112``), bounds (negative, ≤ 0, out of range, in the future:
   ``E106``–``E109``), allowed values (``E110``);
3. codes: 统一社会信用代码 per GB 32100 (``E201``), GB/T 4754 (``E202``), GB/T 2260 (``E203``),
   park known to the store or in the same workbook (``E204``), catalogue code form (``W205``,
   ``W206``);
4. keys and references: duplicate natural keys (``E301``), monthly reports of enterprises not
   registered (``E302``), land holders not registered (``E303``);
5. plausibility warnings: over ``median_ratio``× the industry median of the same period
   (``W401``), month-on-month change over ``jump_ratio``× (``W402``), a name that differs from
   the registered one (``W403``).

The clean frame holds the rows without errors, English column names in format order, with
dtypes: codes, text and periods ``Utf8`` (period ``YYYY-MM``), amounts ``Float64``, counts
``Int64``, dates ``Date``, 是/否 ``Boolean``, labels ``List(Utf8)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import polars as pl

from parkhq.ingest.formats import (
    ALL_SHEETS_ORDER,
    ExchangeFormat,
    FieldSpec,
    get_format,
    match_columns,
)
from parkhq.ingest.readers import RawSheet, RawTable, column_letter
from parkhq.ingest.report import (
    PROBLEM_CODES,
    PROBLEM_SCHEMA,
    Problem,
    Report,
    file_problem,
    render_messages,
)
from parkhq.ingest.values import (
    blank_to_null,
    dtype_of,
    nfkc_compact,
    parse_column,
    parse_number,
)
from parkhq.reference.industries import industry_catalogue
from parkhq.reference.regions import region_catalogue
from parkhq.reference.uscc import uscc_problems

__all__ = [
    "ENTERPRISE_COLUMNS",
    "CheckConfig",
    "KnownKeys",
    "validate",
    "validate_all",
]

ENTERPRISE_COLUMNS: tuple[str, ...] = ("uscc", "name", "industry_code")
"""Columns of ``KnownKeys.enterprises`` (``name`` and ``industry_code`` may be null)."""

_EXPECT_DATE = "YYYY-MM-DD（如 2024-03-01，也接受 2024/3/1、20240301、2024年3月1日）"
_EXPECT_PERIOD = "YYYY-MM（如 2024-03，也接受 2024/03、202403、2024年3月）"
_EXPECT_CATALOGUE = "首字母 G（国家级）或 S（省级），第 2–3 位为省级区划代码，共 7 位，如 S119003"


@dataclass(frozen=True)
class CheckConfig:
    """Thresholds of the plausibility warnings and limits of a report (defaults documented).

    ``peer_level`` groups enterprises for the industry median: ``division`` (GB/T 4754 大类, the
    first two digits) or ``class`` (the code as registered). ``today`` fixes "now" for the
    future-date check (tests); ``max_problems`` caps ``Report.problems`` (counts stay complete).
    """

    median_ratio: float = 10.0
    jump_ratio: float = 5.0
    min_peers: int = 5
    peer_level: Literal["division", "class"] = "division"
    plausibility_fields: tuple[str, ...] = (
        "output_value",
        "revenue",
        "tax",
        "energy_tce",
        "electricity",
        "emission_t",
        "employees",
        "rd_expense",
        "export_value",
        "investment",
    )
    max_problems: int = 20_000
    today: date | None = None


def _empty_enterprises() -> pl.DataFrame:
    return pl.DataFrame(schema=dict.fromkeys(ENTERPRISE_COLUMNS, pl.Utf8))


@dataclass(frozen=True)
class KnownKeys:
    """What the store already holds, for reference checks (all optional).

    * ``park_codes``: park codes in the store.
    * ``enterprises``: columns ``uscc``, ``name``, ``industry_code`` (Utf8) of stored enterprises.
    * ``previous``: stored monthly reports (``uscc``, ``period`` ``YYYY-MM`` and any numeric
      monthly field) for the months before the file's, for the month-on-month check.
    """

    park_codes: frozenset[str] = frozenset()
    enterprises: pl.DataFrame = field(default_factory=_empty_enterprises)
    previous: pl.DataFrame | None = None


def _show_number(expr: pl.Expr) -> pl.Expr:
    text = expr.round_sig_figs(6).cast(pl.Utf8)
    return text.str.replace(r"\.0$", "")


# ---------------------------------------------------------------- the validation run


@dataclass
class _Run:
    """State of one validation: the format, the working frame and the problems found."""

    fmt: ExchangeFormat
    sheet: RawSheet
    raw: RawTable
    known: KnownKeys
    config: CheckConfig
    today: date
    present: dict[str, int]
    work: pl.DataFrame = field(default_factory=pl.DataFrame)
    found: list[pl.DataFrame] = field(default_factory=list)
    bad_uscc: dict[str, pl.Series] = field(default_factory=dict)

    def add(
        self,
        mask: pl.Expr,
        code: str,
        name: str,
        *,
        value: pl.Expr | None = None,
        expected: str | pl.Expr | None = None,
        detail: pl.Expr | None = None,
        frame: pl.DataFrame | None = None,
    ) -> None:
        source = self.work if frame is None else frame
        expected_expr = pl.lit(expected) if isinstance(expected, str | None) else expected
        hits = source.filter(mask).select(
            pl.lit(code).alias("code"),
            pl.col("row"),
            pl.lit(name).alias("field"),
            (pl.col(f"{name}__raw") if value is None else value).cast(pl.Utf8).alias("value"),
            expected_expr.cast(pl.Utf8).alias("expected"),
            (pl.lit(None) if detail is None else detail).cast(pl.Utf8).alias("detail"),
        )
        if hits.height:
            self.found.append(hits)

    def has(self, name: str) -> bool:
        return name in self.present


def _other_sheet(raw: RawTable, kind: str, names: Iterable[str]) -> pl.DataFrame | None:
    """Normalised columns ``names`` of the workbook's ``kind`` sheet (missing ones null)."""
    sheet = next((s for s in raw.sheets if s.kind == kind), None)
    if sheet is None:
        return None
    fmt = get_format(kind)
    columns = match_columns(sheet.headers, kind).columns
    result: list[pl.Series] = []
    for name in names:
        if name in columns:
            text = sheet.data.select(blank_to_null(pl.col(f"c{columns[name]}"))).to_series()
            result.append(parse_column(text, fmt.field(name)))
        else:
            result.append(pl.Series(name, [None] * sheet.height, dtype=pl.Utf8))
    return pl.DataFrame(result)


def _build_work(run: _Run) -> None:
    texts: list[pl.Expr] = [pl.col("row")]
    for spec in run.fmt.fields:
        if spec.name in run.present:
            raw = blank_to_null(pl.col(f"c{run.present[spec.name]}"))
        else:
            raw = pl.lit(None, dtype=pl.Utf8)
        texts.append(raw.alias(f"{spec.name}__raw"))
    work = run.sheet.data.lazy().select(texts).collect()
    typed = [
        parse_column(work.get_column(f"{spec.name}__raw"), spec)
        if spec.name in run.present
        else pl.Series(spec.name, [None] * work.height, dtype=dtype_of(spec))
        for spec in run.fmt.fields
    ]
    run.work = work.with_columns(typed)


def _check_cell(run: _Run, spec: FieldSpec) -> None:
    name = spec.name
    raw, value = pl.col(f"{name}__raw"), pl.col(name)
    if spec.required:
        run.add(raw.is_null(), "E101_MISSING_REQUIRED", name)
    failed = raw.is_not_null() & value.is_null()
    if spec.type == "float":
        run.add(failed, "E102_NOT_A_NUMBER", name, expected="数字")
    elif spec.type == "int":
        bad = run.work.filter(failed).with_columns(parse_number(raw).is_not_null().alias("__num"))
        run.add(~pl.col("__num"), "E102_NOT_A_NUMBER", name, expected="整数", frame=bad)
        run.add(pl.col("__num"), "E103_NOT_AN_INTEGER", name, expected="整数", frame=bad)
    elif spec.type == "date":
        run.add(failed, "E104_BAD_DATE", name, expected=_EXPECT_DATE)
    elif spec.type == "period":
        run.add(failed, "E105_BAD_PERIOD", name, expected=_EXPECT_PERIOD)
    elif spec.type == "bool":
        run.add(failed, "E111_BAD_BOOL", name, expected="是、否")
    if spec.type in ("float", "int"):
        _check_bounds(run, spec)
    if spec.type in ("date", "period"):
        _check_dates(run, spec)
    if spec.allowed and spec.type == "str":
        allowed = "、".join(spec.allowed)
        run.add(
            value.is_not_null() & ~value.is_in(spec.allowed),
            "E110_NOT_ALLOWED",
            name,
            expected=allowed,
        )
    if spec.type == "labels":
        unknown = value.list.eval(pl.element().filter(~pl.element().is_in(spec.allowed)))
        run.add(
            value.is_not_null() & (unknown.list.len() > 0),
            "E112_BAD_LABEL",
            name,
            expected="、".join(spec.allowed),
            detail=unknown.list.join("、"),
        )


def _check_bounds(run: _Run, spec: FieldSpec) -> None:
    value = pl.col(spec.name)
    if spec.positive:
        run.add(value <= (spec.minimum or 0.0), "E107_NOT_POSITIVE", spec.name, expected="大于 0")
    elif spec.minimum is not None:
        minimum = f"不小于 {spec.minimum:g}"
        run.add(value < spec.minimum, "E106_NEGATIVE_VALUE", spec.name, expected=minimum)
    if spec.maximum is not None:
        limit = f"不超过 {spec.maximum:g}{spec.unit or ''}"
        run.add(value > spec.maximum, "E108_OUT_OF_RANGE", spec.name, expected=limit)


def _check_dates(run: _Run, spec: FieldSpec) -> None:
    value = pl.col(spec.name)
    if spec.type == "date":
        run.add(value.dt.year() < 1900, "E108_OUT_OF_RANGE", spec.name, expected="1900 年以后")
        if spec.not_future:
            run.add(
                value > pl.lit(run.today),
                "E109_FUTURE_DATE",
                spec.name,
                expected=run.today.isoformat(),
            )
    elif spec.not_future:
        month = f"{run.today.year:04d}-{run.today.month:02d}"
        run.add(value > month, "E109_FUTURE_DATE", spec.name, expected=month)


def _unique_lookup(run: _Run, name: str, valid: pl.Series) -> pl.Expr:
    """Whether the (non-null) values of column ``name`` are in ``valid``, via unique values."""
    values = run.work.get_column(name).drop_nulls().unique()
    bad = values.filter(~values.is_in(valid.implode()))
    return pl.col(name).is_in(bad.implode())


def _check_codes(run: _Run, spec: FieldSpec) -> None:
    name = spec.name
    if spec.code == "uscc":
        values = run.work.get_column(name).drop_nulls().unique()
        messages = pl.DataFrame({name: values, "__msg": uscc_problems(values)}).drop_nulls()
        run.bad_uscc[name] = messages.get_column(name)
        if messages.height:
            joined = run.work.join(messages, on=name, how="inner")
            detail = pl.col("__msg").str.strip_prefix("统一社会信用代码")
            run.add(pl.lit(True), "E201_INVALID_USCC", name, detail=detail, frame=joined)
    elif spec.code == "industry":
        codes = industry_catalogue().frame().get_column("code")
        run.add(_unique_lookup(run, name, codes), "E202_UNKNOWN_INDUSTRY", name)
    elif spec.code == "region":
        codes = region_catalogue().frame().get_column("code")
        run.add(_unique_lookup(run, name, codes), "E203_UNKNOWN_REGION", name)
    elif spec.code == "park":
        run.add(_unique_lookup(run, name, _park_codes(run)), "E204_UNKNOWN_PARK", name)
    elif spec.code == "park_catalogue":
        _check_catalogue_codes(run, name)


def _park_codes(run: _Run) -> pl.Series:
    codes = pl.Series(sorted(run.known.park_codes), dtype=pl.Utf8)
    parks = _other_sheet(run.raw, "park_registry", ["code"])
    if parks is not None:
        codes = pl.concat([codes, parks.get_column("code").drop_nulls()])
    return codes


def _check_catalogue_codes(run: _Run, name: str) -> None:
    provinces = region_catalogue().frame().filter(pl.col("level") == "province")
    prefix = dict(zip(provinces["code"].str.slice(0, 2), provinces["name"], strict=True))
    code = pl.col(name)
    digits = code.str.slice(1, 2)
    form_ok = code.str.contains(r"^[GS]\d{6}$") & digits.is_in(list(prefix))
    run.add(
        code.is_not_null() & ~form_ok, "W205_PARK_CODE_FORMAT", name, expected=_EXPECT_CATALOGUE
    )
    if not run.has("province"):
        return
    named = digits.replace_strict(prefix, default=None, return_dtype=pl.Utf8)
    province = pl.col("province").str.replace_all(r"\s+", "")
    mismatch = (
        form_ok & province.is_not_null() & (named.str.slice(0, 2) != province.str.slice(0, 2))
    )
    run.add(
        mismatch,
        "W206_PARK_PROVINCE_MISMATCH",
        name,
        detail=pl.concat_str([named, pl.lit("（"), digits, pl.lit("）")]),
    )


def _check_duplicates(run: _Run) -> None:
    keys = list(run.fmt.key)
    if not all(run.has(k) for k in keys):
        return
    complete = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    frame = run.work.filter(complete & pl.struct(keys).is_duplicated())
    if frame.is_empty():
        return
    first = pl.col("row").min().over(keys)
    shown = pl.concat_str([pl.col(k).cast(pl.Utf8) for k in keys], separator=" / ")
    headers = "+".join(run.sheet.headers[run.present[k]] for k in keys)
    hits = frame.with_columns(first.alias("__first")).filter(pl.col("row") != pl.col("__first"))
    run.found.append(
        hits.select(
            pl.lit("E301_DUPLICATE_KEY").alias("code"),
            pl.col("row"),
            pl.lit(keys[0]).alias("field"),
            shown.alias("value"),
            pl.lit(None, dtype=pl.Utf8).alias("expected"),
            pl.col("__first").cast(pl.Utf8).alias("detail"),
            pl.lit(headers).alias("column"),
        )
    )


def _stored_enterprises(known: KnownKeys) -> pl.DataFrame:
    columns = known.enterprises.columns
    return known.enterprises.select(
        (pl.col(c) if c in columns else pl.lit(None)).cast(pl.Utf8).alias(c)
        for c in ENTERPRISE_COLUMNS
    )


def _registry(run: _Run) -> pl.DataFrame:
    """uscc → name, industry_code from the workbook's registry, then from the store."""
    own = _other_sheet(run.raw, "enterprise_registry", ENTERPRISE_COLUMNS)
    stored = _stored_enterprises(run.known)
    frames = [f for f in (own, stored) if f is not None]
    return pl.concat(frames).drop_nulls("uscc").unique("uscc", keep="first", maintain_order=True)


def _valid_uscc(run: _Run, name: str) -> pl.Expr:
    # invalid codes were reported as E201; do not pile a reference error on top
    bad = run.bad_uscc.get(name, pl.Series([], dtype=pl.Utf8))
    return pl.col(name).is_not_null() & ~pl.col(name).is_in(bad.implode())


def _check_references(run: _Run, registry: pl.DataFrame) -> None:
    known = registry.get_column("uscc")
    if run.fmt.kind == "monthly_report":
        missing = _unique_lookup(run, "uscc", known)
        run.add(_valid_uscc(run, "uscc") & missing, "E302_UNKNOWN_ENTERPRISE", "uscc")
    if run.fmt.kind == "land_parcels" and run.has("holder_uscc"):
        missing = _unique_lookup(run, "holder_uscc", known)
        run.add(_valid_uscc(run, "holder_uscc") & missing, "E303_UNKNOWN_HOLDER", "holder_uscc")


def _check_names(run: _Run, registry: pl.DataFrame) -> None:
    if not run.has("name") or not run.has("uscc"):
        return
    if run.fmt.kind == "enterprise_registry":
        registry = _stored_enterprises(run.known)
    names = registry.select(pl.col("uscc"), pl.col("name").alias("__known")).drop_nulls()
    pairs = run.work.select("uscc", "name").drop_nulls().unique().join(names, on="uscc")
    compact = [nfkc_compact(pl.col(c)) for c in ("name", "__known")]
    differ = pairs.filter(compact[0] != compact[1])
    if differ.is_empty():
        return
    joined = run.work.join(differ, on=["uscc", "name"], how="inner")
    run.add(pl.lit(True), "W403_NAME_MISMATCH", "name", detail=pl.col("__known"), frame=joined)


def _numeric_fields(run: _Run) -> list[str]:
    return [
        n
        for n in run.config.plausibility_fields
        if run.has(n) and run.fmt.field(n).type in ("float", "int")
    ]


def _check_industry_medians(run: _Run, registry: pl.DataFrame, error_rows: pl.Series) -> None:
    names = _numeric_fields(run)
    industry = pl.col("industry_code")
    if run.config.peer_level == "division":
        industry = pl.when(industry.str.contains(r"^\d{2}")).then(industry.str.slice(0, 2))
    peers = registry.select(pl.col("uscc"), industry.alias("__industry")).drop_nulls()
    keep = ["row", "uscc", "period", *names, *(f"{n}__raw" for n in names)]
    base = (
        run.work.filter(~pl.col("row").is_in(error_rows.implode()))
        .select(keep)
        .join(peers, on="uscc", how="inner")
    )
    if base.is_empty() or not names:
        return
    stats = base.group_by("__industry", "period").agg(
        *[pl.col(n).filter(pl.col(n) > 0).median().alias(f"{n}__median") for n in names],
        *[(pl.col(n) > 0).sum().alias(f"{n}__n") for n in names],
    )
    frame = base.join(stats, on=["__industry", "period"], how="inner")
    ratio = run.config.median_ratio
    for name in names:
        median = pl.col(f"{name}__median")
        over = (pl.col(f"{name}__n") >= run.config.min_peers) & (pl.col(name) > median * ratio)
        run.add(
            over,
            "W401_OVER_INDUSTRY_MEDIAN",
            name,
            expected=f"{ratio:g}",
            detail=_show_number(median),
            frame=frame,
        )


def _month_index(period: pl.Expr) -> pl.Expr:
    return period.str.slice(0, 4).cast(pl.Int32) * 12 + period.str.slice(5, 2).cast(pl.Int32)


def _history(run: _Run, names: list[str], error_rows: pl.Series) -> pl.DataFrame:
    """The file's error-free rows and the store's previous months, sorted by uscc and month."""
    raws = [f"{n}__raw" for n in names]
    own = run.work.filter(
        ~pl.col("row").is_in(error_rows.implode()) & pl.col("uscc").is_not_null()
    ).select("row", "uscc", "period", *[pl.col(n).cast(pl.Float64) for n in names], *raws)
    history = [own]
    previous = run.known.previous
    if previous is not None and {"uscc", "period"} <= set(previous.columns):
        history.append(
            previous.select(
                pl.lit(None, dtype=pl.Int64).alias("row"),
                pl.col("uscc").cast(pl.Utf8),
                pl.col("period").cast(pl.Utf8),
                *[
                    (pl.col(n) if n in previous.columns else pl.lit(None)).cast(pl.Float64).alias(n)
                    for n in names
                ],
                *[pl.lit(None, dtype=pl.Utf8).alias(r) for r in raws],
            )
        )
    return (
        pl.concat(history)
        .with_columns(_month_index(pl.col("period")).alias("__month"))
        .unique(["uscc", "__month"], keep="first", maintain_order=True)
        .sort("uscc", "__month")
    )


def _check_month_jumps(run: _Run, error_rows: pl.Series) -> None:
    names = _numeric_fields(run)
    if not names:
        return
    frame = _history(run, names, error_rows)
    follows = (
        pl.col("row").is_not_null()
        & (pl.col("uscc") == pl.col("uscc").shift(1))
        & (pl.col("__month") - pl.col("__month").shift(1) == 1)
    )
    frame = frame.with_columns(
        follows.alias("__follows"), *[pl.col(n).shift(1).alias(f"{n}__prev") for n in names]
    ).filter(pl.col("__follows"))
    jump = run.config.jump_ratio
    for name in names:
        prev = pl.col(f"{name}__prev")
        change = pl.col(name) / prev
        hit = (prev > 0) & (pl.col(name) > 0) & ((change > jump) | (change < 1 / jump))
        run.add(
            hit,
            "W402_MONTH_JUMP",
            name,
            expected=f"{jump:g}",
            detail=_show_number(prev),
            frame=frame,
        )


# ---------------------------------------------------------------- assembling the report


def _header_problems(run: _Run) -> list[Problem]:
    sheet, match = run.sheet, match_columns(run.sheet.headers, run.fmt.kind)
    problems: list[Problem] = []
    for spec in run.fmt.required:
        if spec.name not in match.columns:
            problems.append(
                file_problem(
                    "E006_MISSING_COLUMN",
                    sheet=sheet.name,
                    column=spec.header,
                    field=spec.name,
                    expected=spec.header,
                    detail=f"也可写作 {spec.name}",
                )
            )
    for code, items in (
        ("E007_DUPLICATE_COLUMN", match.duplicates),
        ("E009_UNIT_MISMATCH", match.unit_mismatch),
    ):
        for index, name in items:
            problems.append(
                file_problem(
                    code,
                    sheet=sheet.name,
                    column=sheet.headers[index],
                    column_letter=column_letter(index),
                    field=name,
                    expected=run.fmt.field(name).header,
                )
            )
    for index in match.unknown:
        problems.append(
            file_problem(
                "W008_UNKNOWN_COLUMN",
                sheet=sheet.name,
                column=sheet.headers[index],
                column_letter=column_letter(index),
                detail=run.fmt.title,
            )
        )
    if sheet.height == 0:
        problems.append(
            file_problem(
                "E004_NO_DATA",
                sheet=sheet.name,
                detail=f"表头在第 {sheet.header_row} 行，其下没有数据",
            )
        )
    return problems


def _locate(run: _Run, found: pl.DataFrame) -> pl.DataFrame:
    headers = {n: run.sheet.headers[i] for n, i in run.present.items()}
    letters = {n: column_letter(i) for n, i in run.present.items()}
    if "column" not in found.columns:
        found = found.with_columns(pl.lit(None, dtype=pl.Utf8).alias("column"))
    return found.with_columns(
        pl.lit(run.sheet.name).alias("sheet"),
        pl.coalesce(pl.col("column"), pl.col("field").replace_strict(headers, default=None)).alias(
            "column"
        ),
        pl.col("field").replace_strict(letters, default=None).alias("column_letter"),
    )


def _problems_frame(run: _Run, extra: list[Problem]) -> pl.DataFrame:
    frames = [f.cast({"row": pl.Int64}) for f in run.found]
    rendered = pl.DataFrame(schema=PROBLEM_SCHEMA)
    if frames:
        found = pl.concat(frames, how="diagonal_relaxed")
        rendered = render_messages(
            _locate(run, found).with_columns(
                pl.lit(None, dtype=pl.Utf8).alias("severity"),
                pl.lit(None, dtype=pl.Utf8).alias("message"),
            )
        )
    listed = pl.DataFrame([p.to_dict() for p in extra], schema=PROBLEM_SCHEMA)
    order = {column_letter(i): i for i in range(len(run.sheet.headers))}
    combined = pl.concat([listed, rendered])
    return (
        combined.with_columns(
            pl.col("column_letter")
            .replace_strict(order, default=-1, return_dtype=pl.Int64)
            .alias("__col")
        )
        .sort(["row", "__col", "code"], nulls_last=False, maintain_order=True)
        .drop("__col")
    )


def _no_sheet_report(raw: RawTable, fmt: ExchangeFormat) -> Report:
    problem = file_problem(
        "E005_UNKNOWN_KIND",
        sheet=raw.filename,
        detail=f"文件中没有「{fmt.title}」工作表",
        expected=f"名为「{fmt.sheet_name}」的工作表",
    )
    return Report(kind=fmt.kind, filename=raw.filename, encoding=raw.encoding, problems=[problem])


def _clean_frame(fmt: ExchangeFormat, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select([pl.col(s.name).cast(dtype_of(s)) for s in fmt.fields])


def validate(
    raw: RawTable, kind: str, known: KnownKeys | None = None, config: CheckConfig | None = None
) -> tuple[pl.DataFrame, Report]:
    """Check the ``kind`` sheet of ``raw``; return the clean typed frame and the report.

    The frame holds only rows without errors (all of them when ``report.ok``). Other sheets of
    the same workbook count as known: parks in its 园区名录, enterprises in its 企业名录.
    """
    fmt = get_format(kind)
    known = known or KnownKeys()
    config = config or CheckConfig()
    sheet = raw.sheet(fmt.kind)
    if sheet is None:
        return _clean_frame(
            fmt, pl.DataFrame(schema={s.name: dtype_of(s) for s in fmt.fields})
        ), _no_sheet_report(raw, fmt)
    match = match_columns(sheet.headers, fmt.kind)
    run = _Run(
        fmt=fmt,
        sheet=sheet,
        raw=raw,
        known=known,
        config=config,
        today=config.today or date.today(),
        present=dict(match.columns),
    )
    _build_work(run)
    for spec in fmt.fields:
        if run.has(spec.name):
            _check_cell(run, spec)
            if spec.type == "code":
                _check_codes(run, spec)
    _check_duplicates(run)
    registry = _registry(run)
    _check_references(run, registry)
    _check_names(run, registry)
    header = _header_problems(run)
    if fmt.kind == "monthly_report" and run.has("uscc") and run.has("period"):
        errors = _error_rows(run.found)
        _check_industry_medians(run, registry, errors)
        _check_month_jumps(run, errors)
    notes = list(sheet.notes) + (list(raw.notes) if sheet is raw.sheets[0] else [])
    problems = _problems_frame(run, header + notes)
    blocked = any(p.severity == "error" for p in header)
    errors = _error_rows(run.found)
    good = run.work.filter(pl.lit(not blocked) & ~pl.col("row").is_in(errors.implode()))
    report = Report.from_frame(
        problems,
        kind=fmt.kind,
        filename=raw.filename,
        sheet=sheet.name,
        encoding=raw.encoding,
        rows_total=sheet.height,
        rows_valid=good.height,
        limit=config.max_problems,
    )
    return _clean_frame(fmt, good), report


def _error_rows(found: list[pl.DataFrame]) -> pl.Series:
    codes = [c for c, entry in PROBLEM_CODES.items() if entry.severity == "error"]
    rows = [f.filter(pl.col("code").is_in(codes)).get_column("row") for f in found]
    if not rows:
        return pl.Series("row", [], dtype=pl.Int64)
    return pl.concat([r.cast(pl.Int64) for r in rows]).unique()


def validate_all(
    raw: RawTable, known: KnownKeys | None = None, config: CheckConfig | None = None
) -> dict[str, tuple[pl.DataFrame, Report]]:
    """:func:`validate` every sheet of ``raw`` in store order (parks, enterprises, land, months)."""
    return {
        kind: validate(raw, kind, known, config) for kind in ALL_SHEETS_ORDER if kind in raw.kinds
    }
