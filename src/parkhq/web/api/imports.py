"""Data intake: upload a file (validated, then written all-or-nothing), history, undo,
templates and error workbooks."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from parkhq.errors import InvalidInput
from parkhq.ingest.formats import FORMATS
from parkhq.ingest.templates import template_filename, template_xlsx
from parkhq.services import imports
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, PrincipalDep, SettingsDep, requires

router = APIRouter(prefix="/imports", tags=["数据管理"])
Importer = Annotated[Principal, Depends(requires("data:import"))]
BatchId = Annotated[int, Path(ge=1, le=2_147_483_647, description="导入批次编号")]
TemplateKind = Literal[
    "all", "monthly_report", "enterprise_registry", "park_registry", "land_parcels"
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


class BatchPage(BaseModel):
    total: int
    items: list[imports.BatchPublic]


def xlsx_response(filename: str, content: bytes) -> Response:
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


async def read_upload(file: UploadFile) -> bytes:
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请拆分后导入")
    return data


@router.post("", response_model=imports.ImportOutcome, summary="上传并导入文件（全部通过才写入）")
async def upload(
    db: DatabaseDep,
    settings: SettingsDep,
    principal: Importer,
    file: Annotated[UploadFile, File(description="xlsx 或 csv（UTF-8 / GBK / GB18030）")],
    kind: Annotated[str, Form(max_length=32, description="数据类型，留空则按表头识别")] = "",
    dry_run: Annotated[bool, Form(description="只校验，不写入")] = False,
) -> imports.ImportOutcome:
    data = await read_upload(file)
    return imports.import_file(
        db,
        principal,
        data,
        file.filename or "upload",
        kind=kind or None,
        dry_run=dry_run,
        report_dir=settings.data_dir / "import-reports",
    )


@router.get("", response_model=BatchPage, summary="导入历史")
def history(
    db: DatabaseDep,
    principal: Importer,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> BatchPage:
    total, items = imports.list_batches(db, principal, offset=offset, limit=limit)
    return BatchPage(total=total, items=items)


@router.post("/{batch_id}/undo", response_model=imports.BatchPublic, summary="撤销一次导入")
def undo(batch_id: BatchId, db: DatabaseDep, principal: Importer) -> imports.BatchPublic:
    return imports.undo_batch(db, principal, batch_id)


@router.get(
    "/{batch_id}/error-report",
    summary="未通过校验的文件的错误报告（xlsx，问题单元格标色）",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def error_report(
    batch_id: BatchId, db: DatabaseDep, settings: SettingsDep, principal: Importer
) -> Response:
    name, content = imports.get_error_report(
        db, principal, settings.data_dir / "import-reports", batch_id
    )
    return xlsx_response(name, content)


@router.get(
    "/templates/{template_kind}",
    summary="下载导入模板（all = 含全部工作表的模板）",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def template(template_kind: TemplateKind, principal: PrincipalDep) -> Response:
    kind = None if template_kind == "all" else template_kind
    assert kind is None or kind in FORMATS
    return xlsx_response(template_filename(kind), template_xlsx(kind))
