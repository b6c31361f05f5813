"""Data intake: validate a file, then write all of it or nothing; history and undo.

One file is one transaction. The file is read (:mod:`parkhq.ingest.readers`), every sheet is
validated against what the store holds within the user's scope (:mod:`parkhq.ingest.checks`),
and only when no sheet has an error are the sheets written — parks, then enterprises, land and
monthly reports — each as an :class:`ImportBatch` with its counts. Rows are upserted on their
natural key (USCC + period, USCC, park code, parcel code), so importing the same file twice
changes nothing. A batch records the previous values of the rows it updated, so the latest
batch of a kind can be undone. A crash or kill mid-write leaves nothing behind: the
transaction never commits.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel
from sqlalchemy import Connection, Table, bindparam, func, select, text

from parkhq.errors import Conflict, InvalidInput, NotFound, ValidationFailed
from parkhq.ingest.checks import CheckConfig, KnownKeys, validate
from parkhq.ingest.formats import ALL_SHEETS_ORDER, FORMATS
from parkhq.ingest.readers import RawTable, read_table
from parkhq.ingest.report import Report, file_problem
from parkhq.ingest.templates import error_report_xlsx
from parkhq.services.access import Principal
from parkhq.store.audit import record
from parkhq.store.bulk import (
    UpsertResult,
    delete_by_key,
    read_table_frame,
    schema_of,
    update_by_key,
)
from parkhq.store.db import Database
from parkhq.store.frames import write_frame
from parkhq.store.intake import MONTHLY_VALUES, TABLES, WRITERS, table_of
from parkhq.store.models import (
    Enterprise,
    ImportBatch,
    ImportChange,
    Park,
    PeriodReport,
)
from parkhq.store.scope import Scope, scoped

__all__ = [
    "KIND_PERMISSION",
    "BatchPublic",
    "ImportOutcome",
    "SheetOutcome",
    "error_report_path",
    "get_error_report",
    "import_file",
    "import_frames",
    "list_batches",
    "undo_batch",
]

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

#: The permission each kind of sheet needs.
KIND_PERMISSION = {
    "park_registry": "park:write",
    "enterprise_registry": "enterprise:write",
    "land_parcels": "data:import",
    "monthly_report": "data:import",
}


class SheetOutcome(BaseModel):
    kind: str
    sheet: str | None
    batch_id: int | None
    rows_total: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    report: dict[str, Any]


class ImportOutcome(BaseModel):
    filename: str
    file_hash: str
    status: Literal["committed", "rejected", "dry_run"]
    message: str
    sheets: list[SheetOutcome]
    #: A rejected import's batch whose error workbook (bad cells highlighted) can be downloaded.
    error_report_batch: int | None = None

    @property
    def ok(self) -> bool:
        return self.status != "rejected"


class BatchPublic(BaseModel):
    id: int
    kind: str
    kind_title: str
    filename: str
    sheet: str
    file_hash: str
    username: str
    created_at: datetime
    status: str
    rows_total: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    errors: int
    warnings: int
    summary: str
    undone_at: datetime | None
    undone_by: str | None


@dataclass
class _Sheet:
    kind: str
    frame: pl.DataFrame
    report: Report


def _noop(_msg: str) -> None:
    return None


# --------------------------------------------------------------------------- what the store knows


def _known(db: Database, scope: Scope) -> KnownKeys:
    """Parks and enterprises in the user's scope, and the latest two stored months."""
    with db.transaction() as s:
        parks = frozenset(s.scalars(scoped(select(Park.code), Park, scope)))
        rows = s.execute(
            scoped(
                select(Enterprise.uscc, Enterprise.name, Enterprise.industry_code),
                Enterprise,
                scope,
            )
        ).all()
        periods = list(
            s.scalars(
                select(PeriodReport.period).distinct().order_by(PeriodReport.period.desc()).limit(2)
            )
        )
    enterprises = pl.DataFrame(
        rows, schema={"uscc": pl.Utf8, "name": pl.Utf8, "industry_code": pl.Utf8}, orient="row"
    )
    previous = None
    if periods:
        with db.engine.connect() as conn:
            stored = read_table_frame(
                conn,
                table_of(PeriodReport),
                ["enterprise_id", "period", *MONTHLY_VALUES],
                {"period": periods},
            )
            ids = read_table_frame(conn, table_of(Enterprise), ["id", "uscc"])
        previous = stored.join(ids.rename({"id": "enterprise_id"}), on="enterprise_id").drop(
            "enterprise_id"
        )
    return KnownKeys(park_codes=parks, enterprises=enterprises, previous=previous)


# --------------------------------------------------------------------------- scope of the rows


def _province_of_park_code(code: pl.Expr) -> pl.Expr:
    return code.str.slice(1, 2) + pl.lit("0000")


def _scope_problems(sheet: _Sheet, raw: RawTable, principal: Principal) -> list[Any]:
    """Rows a non-admin user may not write: parks outside a province/city scope."""
    scope = principal.scope
    if scope.is_all or sheet.kind != "park_registry" or sheet.frame.is_empty():
        return []
    raw_sheet = raw.sheet(sheet.kind)
    rows = raw_sheet.data.get_column("row") if raw_sheet is not None else None
    frame = sheet.frame.with_columns(
        _province_of_park_code(pl.col("code")).alias("province_code"),
        pl.Series(
            "row",
            rows
            if rows is not None and rows.len() == sheet.frame.height
            else [None] * sheet.frame.height,
            dtype=pl.Int64,
        ),
    )
    if scope.kind == "province":
        bad = frame.filter(~pl.col("province_code").is_in(sorted(scope.codes)))
    else:
        bad = frame  # city, park, chain and enterprise users do not register parks
    return [
        file_problem(
            "E304_OUT_OF_SCOPE",
            sheet=raw_sheet.name if raw_sheet else None,
            row=r["row"],
            column="代码",
            field="code",
            value=r["code"],
            expected=scope.label(),
        )
        for r in bad.iter_rows(named=True)
    ]


# --------------------------------------------------------------------------- use cases


def _file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_permissions(principal: Principal, kinds: list[str]) -> None:
    for kind in kinds:
        principal.require(KIND_PERMISSION[kind])


def _validate(
    db: Database, principal: Principal, raw: RawTable, kind: str | None, config: CheckConfig | None
) -> list[_Sheet]:
    kinds = [kind] if kind else [k for k in ALL_SHEETS_ORDER if k in raw.kinds]
    if not kinds:
        raise ValidationFailed(
            f"「{raw.filename}」中没有可识别的工作表或表头（应为企业月报、企业名录、园区名录或用地）",
            detail={"filename": raw.filename},
        )
    _check_permissions(principal, kinds)
    known = _known(db, principal.scope)
    sheets = []
    for k in kinds:
        frame, report = validate(raw, k, known, config)
        sheet = _Sheet(k, frame, report)
        extra = _scope_problems(sheet, raw, principal)
        if extra:
            merged = pl.concat([report.to_frame(), pl.DataFrame([p.to_dict() for p in extra])])
            sheet.report = Report.from_frame(
                merged,
                kind=report.kind,
                filename=report.filename,
                sheet=report.sheet,
                encoding=report.encoding,
                rows_total=report.rows_total,
                rows_valid=report.rows_valid - len(extra),
                limit=(config or CheckConfig()).max_problems,
            )
        sheets.append(sheet)
    return sheets


def import_file(
    db: Database,
    principal: Principal,
    data: bytes,
    filename: str,
    *,
    kind: str | None = None,
    dry_run: bool = False,
    config: CheckConfig | None = None,
    progress: Progress = _noop,
    report_dir: Path | None = None,
) -> ImportOutcome:
    """Validate ``data`` (xlsx or csv) and, when every sheet is free of errors, write it all.

    Returns the outcome with one report per sheet. Nothing is written when any sheet has an
    error (``status="rejected"``, a history entry records the attempt) or for a dry run.
    """
    if kind is not None and kind not in FORMATS:
        raise InvalidInput(f"数据类型 '{kind}' 不存在（应为 {'、'.join(FORMATS)} 之一）")
    digest = _file_hash(data)
    progress("读取文件")
    try:
        raw = read_table(data, filename, kind)
    except ValidationFailed as exc:
        report = exc.report
        failed = [
            SheetOutcome(
                kind=kind or "",
                sheet=None,
                batch_id=None,
                rows_total=0,
                rows_inserted=0,
                rows_updated=0,
                rows_unchanged=0,
                report=report.to_dict() if isinstance(report, Report) else {},
            )
        ]
        return ImportOutcome(
            filename=filename,
            file_hash=digest,
            status="rejected",
            message=exc.message,
            sheets=failed,
        )
    progress("校验数据")
    sheets = _validate(db, principal, raw, kind, config)
    errors = sum(s.report.errors for s in sheets)
    if errors or dry_run:
        status: Literal["rejected", "dry_run"] = "rejected" if errors else "dry_run"
        report_batch = None
        if errors:
            batch_ids = _record_rejected(db, principal, filename, digest, sheets)
            report_batch = batch_ids[0]
            if report_dir is not None:
                report_dir.mkdir(parents=True, exist_ok=True)
                error_report_path(report_dir, report_batch).write_bytes(
                    error_report_xlsx(raw, [sh.report for sh in sheets])
                )
        verdict = (
            f"校验未通过：{errors} 个错误，未写入任何数据"
            if errors
            else "试导入：校验通过，未写入数据"
        )
        return ImportOutcome(
            filename=filename,
            file_hash=digest,
            status=status,
            message=verdict,
            sheets=[_outcome(s, None, None) for s in sheets],
            error_report_batch=report_batch if report_dir is not None else None,
        )
    progress("正在写入")
    results = persist(
        db,
        principal,
        [(s.kind, s.frame, s.report) for s in sheets],
        filename=filename,
        file_hash=digest,
        progress=progress,
    )
    outcomes = [_outcome(s, bid, res) for s, (bid, res) in zip(sheets, results, strict=True)]
    written = sum(o.rows_inserted + o.rows_updated for o in outcomes)
    return ImportOutcome(
        filename=filename,
        file_hash=digest,
        status="committed",
        message=f"导入完成：新增 {sum(o.rows_inserted for o in outcomes)} 行，"
        f"更新 {sum(o.rows_updated for o in outcomes)} 行，"
        f"未变 {sum(o.rows_unchanged for o in outcomes)} 行"
        + ("" if written else "（数据已是最新）"),
        sheets=outcomes,
    )


def _outcome(sheet: _Sheet, batch_id: int | None, res: UpsertResult | None) -> SheetOutcome:
    return SheetOutcome(
        kind=sheet.kind,
        sheet=sheet.report.sheet,
        batch_id=batch_id,
        rows_total=sheet.report.rows_total,
        rows_inserted=res.inserted if res else 0,
        rows_updated=res.updated if res else 0,
        rows_unchanged=res.unchanged if res else 0,
        report=sheet.report.to_dict(),
    )


def _record_rejected(
    db: Database, principal: Principal, filename: str, digest: str, sheets: list[_Sheet]
) -> list[int]:
    with db.transaction(principal.actor) as s:
        batches = [
            ImportBatch(
                kind=sheet.kind,
                filename=filename[:256],
                sheet=(sheet.report.sheet or "")[:64],
                file_hash=digest,
                user_id=principal.user_id,
                username=principal.username,
                status="rejected",
                rows_total=sheet.report.rows_total,
                errors=sheet.report.errors,
                warnings=sheet.report.warnings,
                summary=sheet.report.summary(),
            )
            for sheet in sheets
        ]
        s.add_all(batches)
        s.flush()
        return [b.id for b in batches]


def error_report_path(report_dir: Path, batch_id: int) -> Path:
    return report_dir / f"import-{batch_id}-errors.xlsx"


def get_error_report(
    db: Database, principal: Principal, report_dir: Path, batch_id: int
) -> tuple[str, bytes]:
    """The error workbook of a rejected import (the user's data, bad cells highlighted)."""
    principal.require("data:import")
    with db.transaction() as s:
        batch = s.get(ImportBatch, batch_id)
        mine = batch is not None and (principal.scope.is_all or batch.user_id == principal.user_id)
        if batch is None or not mine:
            raise NotFound(f"导入批次 {batch_id} 不存在或不在您的权限范围内")
        stem = Path(batch.filename).stem
    path = error_report_path(report_dir, batch_id)
    if not path.exists():
        raise NotFound(f"导入批次 {batch_id} 没有错误报告（只有未通过校验的导入才有）")
    return f"{stem}-错误报告.xlsx", path.read_bytes()


def persist(
    db: Database,
    principal: Principal,
    sheets: list[tuple[str, pl.DataFrame, Report | None]],
    *,
    filename: str,
    file_hash: str,
    demo: bool = False,
    progress: Progress = _noop,
) -> list[tuple[int, UpsertResult]]:
    """Write validated frames in one transaction (store order), one batch per sheet."""
    order = {k: i for i, k in enumerate(ALL_SHEETS_ORDER)}
    results: dict[int, tuple[int, UpsertResult]] = {}
    with db.engine.begin() as conn:
        for index, (kind, frame, report) in sorted(
            enumerate(sheets), key=lambda item: order[item[1][0]]
        ):
            progress(f"写入{FORMATS[kind].title}（{frame.height} 行）")
            batch_id = _new_batch(conn, principal, kind, filename, file_hash, frame, report)
            result = WRITERS[kind](conn, frame, batch_id, demo)
            _finish_batch(conn, principal, batch_id, kind, result)
            results[index] = (batch_id, result)
    return [results[i] for i in range(len(sheets))]


def _new_batch(
    conn: Connection,
    principal: Principal,
    kind: str,
    filename: str,
    digest: str,
    frame: pl.DataFrame,
    report: Report | None,
) -> int:
    table = table_of(ImportBatch)
    batch_id = conn.execute(
        table.insert()
        .values(
            kind=kind,
            filename=filename[:256],
            sheet=((report.sheet if report else None) or FORMATS[kind].title)[:64],
            file_hash=digest,
            user_id=principal.user_id,
            username=principal.username,
            created_at=datetime.now(UTC),
            status="committed",
            rows_total=frame.height,
            rows_inserted=0,
            rows_updated=0,
            rows_unchanged=0,
            errors=0,
            warnings=report.warnings if report else 0,
            summary=report.summary() if report else "",
        )
        .returning(table.c.id)
    ).scalar_one()
    return int(batch_id)


def _finish_batch(
    conn: Connection, principal: Principal, batch_id: int, kind: str, result: UpsertResult
) -> None:
    table = table_of(ImportBatch)
    conn.execute(
        table.update()
        .where(table.c.id == batch_id)
        .values(
            rows_inserted=result.inserted,
            rows_updated=result.updated,
            rows_unchanged=result.unchanged,
            status="committed" if result.inserted + result.updated else "unchanged",
        )
    )
    if result.before.height:
        changes = result.before.with_columns(
            pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"),
            pl.lit(TABLES[kind][0].name).alias("entity"),
        )
        write_frame(conn, "import_change", changes, ["batch_id", "entity", "row_key", "before"])
    conn.execute(
        text(
            "INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, summary) "
            "VALUES (:at, :uid, :uname, 'import', :entity, :eid, :summary)"
        ),
        {
            "at": datetime.now(UTC),
            "uid": principal.user_id,
            "uname": principal.username,
            "entity": TABLES[kind][0].name,
            "eid": str(batch_id),
            "summary": f"导入{FORMATS[kind].title}：新增 {result.inserted} 行，"
            f"更新 {result.updated} 行，未变 {result.unchanged} 行（批次 {batch_id}）",
        },
    )


def import_frames(
    db: Database,
    principal: Principal,
    frames: dict[str, pl.DataFrame],
    *,
    source: str,
    demo: bool = False,
    progress: Progress = _noop,
) -> list[tuple[int, UpsertResult]]:
    """Write frames that are already clean (generated data) through the same path as files."""
    _check_permissions(principal, list(frames))
    digest = hashlib.sha256(source.encode()).hexdigest()
    return persist(
        db,
        principal,
        [(k, f, None) for k, f in frames.items()],
        filename=source,
        file_hash=digest,
        demo=demo,
        progress=progress,
    )


# --------------------------------------------------------------------------- history and undo


def _batch_public(b: ImportBatch) -> BatchPublic:
    return BatchPublic(
        id=b.id,
        kind=b.kind,
        kind_title=FORMATS[b.kind].title if b.kind in FORMATS else b.kind,
        filename=b.filename,
        sheet=b.sheet,
        file_hash=b.file_hash,
        username=b.username,
        created_at=b.created_at,
        status=b.status,
        rows_total=b.rows_total,
        rows_inserted=b.rows_inserted,
        rows_updated=b.rows_updated,
        rows_unchanged=b.rows_unchanged,
        errors=b.errors,
        warnings=b.warnings,
        summary=b.summary,
        undone_at=b.undone_at,
        undone_by=b.undone_by,
    )


def list_batches(
    db: Database, principal: Principal, *, offset: int = 0, limit: int = 50
) -> tuple[int, list[BatchPublic]]:
    """Import history: every batch for administrators, one's own for everybody else."""
    principal.require("data:import")
    stmt = select(ImportBatch)
    if not principal.scope.is_all:
        stmt = stmt.where(ImportBatch.user_id == principal.user_id)
    with db.transaction() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(ImportBatch.id.desc()).offset(offset).limit(limit)).all()
        return total, [_batch_public(b) for b in rows]


def undo_batch(db: Database, principal: Principal, batch_id: int) -> BatchPublic:
    """Undo the latest committed batch of its kind: delete what it inserted, restore what it
    updated. Earlier batches are undone in reverse order, one at a time."""
    principal.require("data:import")
    with db.transaction(principal.actor) as s:
        batch = s.get(ImportBatch, batch_id)
        if batch is None or (not principal.scope.is_all and batch.user_id != principal.user_id):
            raise NotFound(f"导入批次 {batch_id} 不存在或不在您的权限范围内")
        if batch.status != "committed":
            raise Conflict(f"导入批次 {batch_id} 的状态为「{batch.status}」，只能撤销已提交的批次")
        later = s.scalar(
            select(func.min(ImportBatch.id)).where(
                ImportBatch.kind == batch.kind,
                ImportBatch.id > batch.id,
                ImportBatch.status == "committed",
            )
        )
        if later is not None:
            raise Conflict(f"请先撤销同类数据更晚的导入批次 {later}（撤销须从最近一次开始）")
        kind = batch.kind
    table, key = TABLES[kind]
    with db.engine.begin() as conn:
        changes = read_table_frame(
            conn, table_of(ImportChange), ["row_key", "before", "batch_id"]
        ).filter(pl.col("batch_id") == batch_id)
        _undo_rows(conn, table, key, batch_id, changes)
        conn.execute(
            table_of(ImportBatch)
            .update()
            .where(table_of(ImportBatch).c.id == batch_id)
            .values(status="undone", undone_at=datetime.now(UTC), undone_by=principal.username)
        )
    with db.transaction(principal.actor) as s:
        record(
            s,
            principal.actor,
            "undo",
            "import_batch",
            str(batch_id),
            summary=f"撤销导入批次 {batch_id}（{FORMATS[kind].title}）",
        )
        refreshed = s.get(ImportBatch, batch_id)
        assert refreshed is not None
        return _batch_public(refreshed)


def _undo_rows(
    conn: Connection, table: Table, key: list[str], batch_id: int, changes: pl.DataFrame
) -> None:
    written = read_table_frame(conn, table, [*key, "batch_id"]).filter(
        pl.col("batch_id") == batch_id
    )
    written = written.with_columns(
        pl.concat_str([pl.col(k).cast(pl.Utf8) for k in key], separator="|").alias("row_key")
    )
    inserted = written.join(changes.select("row_key"), on="row_key", how="anti")
    if table.name in ("park", "enterprise") and inserted.height:
        _refuse_if_referenced(conn, table, inserted)
    delete_by_key(conn, table, inserted, key)
    if changes.height:
        befores = [json.loads(b) for b in changes.get_column("before").to_list()]
        keys = [dict(zip(key, rk.split("|"), strict=True)) for rk in changes.get_column("row_key")]
        restored = pl.DataFrame([{**k, **b} for k, b in zip(keys, befores, strict=True)])
        schema = schema_of(table, restored.columns)
        restored = restored.cast(schema, strict=False)  # type: ignore[arg-type]
        update_by_key(conn, table, restored, key)


def _refuse_if_referenced(conn: Connection, table: Table, inserted: pl.DataFrame) -> None:
    ids = read_table_frame(conn, table, ["id", *(["code"] if table.name == "park" else ["uscc"])])
    key = "code" if table.name == "park" else "uscc"
    doomed = ids.join(inserted.select(key), on=key).get_column("id").to_list()
    if not doomed:
        return
    checks = (
        [("enterprise", "park_id"), ("land_parcel", "park_id")]
        if table.name == "park"
        else [("period_report", "enterprise_id"), ("land_parcel", "holder_id")]
    )
    for other, column in checks:
        n = conn.execute(
            text(f"SELECT count(*) FROM {other} WHERE {column} IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": doomed},
        ).scalar_one()
        if n:
            what, users = ("园区", "企业或用地") if table.name == "park" else ("企业", "月报或用地")
            raise Conflict(
                f"无法撤销：本批次新增的{what}已被 {n} 条{users}记录引用，请先撤销那些导入"
            )
