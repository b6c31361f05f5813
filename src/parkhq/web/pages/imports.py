"""数据管理: upload with a validation report, error workbook, templates, history and undo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from parkhq.errors import ParkHQError
from parkhq.ingest.formats import FORMATS
from parkhq.services import imports
from parkhq.services.access import Principal
from parkhq.web.api.imports import BatchId, read_upload, xlsx_response
from parkhq.web.deps import DatabaseDep, SettingsDep, requires
from parkhq.web.nav import register_nav
from parkhq.web.pages.render import render

router = APIRouter(include_in_schema=False)
register_nav("数据管理", "/data", "data:import", order=80)
Importer = Annotated[Principal, Depends(requires("data:import"))]


def _page(
    request: Request,
    db: DatabaseDep,
    principal: Principal,
    *,
    outcome: imports.ImportOutcome | None = None,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    total, batches = imports.list_batches(db, principal, limit=50)
    return render(
        request,
        "imports.html",
        principal,
        status_code=status,
        formats=FORMATS,
        outcome=outcome,
        batches=batches,
        total=total,
        message=message,
        error=error,
    )


@router.get("/data", response_class=HTMLResponse)
def data_home(request: Request, db: DatabaseDep, principal: Importer) -> HTMLResponse:
    return _page(request, db, principal)


@router.post("/data/upload", response_class=HTMLResponse)
async def data_upload(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: Importer,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=32)] = "",
    dry_run: Annotated[str, Form(max_length=8)] = "",
) -> HTMLResponse:
    try:
        data = await read_upload(file)
        outcome = imports.import_file(
            db,
            principal,
            data,
            file.filename or "upload",
            kind=kind or None,
            dry_run=dry_run == "1",
            report_dir=settings.data_dir / "import-reports",
        )
    except ParkHQError as exc:
        return _page(request, db, principal, error=exc.message, status=exc.status_code)
    status = 422 if outcome.status == "rejected" else 200
    return _page(request, db, principal, outcome=outcome, status=status)


@router.post("/data/batches/{batch_id}/undo")
def data_undo(
    batch_id: BatchId, request: Request, db: DatabaseDep, principal: Importer
) -> Response:
    try:
        batch = imports.undo_batch(db, principal, batch_id)
    except ParkHQError as exc:
        return _page(request, db, principal, error=exc.message, status=exc.status_code)
    return _page(request, db, principal, message=f"已撤销导入批次 {batch.id}（{batch.kind_title}）")


@router.get("/data/batches/{batch_id}/error-report")
def data_error_report(
    batch_id: BatchId, db: DatabaseDep, settings: SettingsDep, principal: Importer
) -> Response:
    name, content = imports.get_error_report(
        db, principal, settings.data_dir / "import-reports", batch_id
    )
    return xlsx_response(name, content)
