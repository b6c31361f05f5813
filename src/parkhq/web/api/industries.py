"""特色化 API: 园区画像, the province overview (compliance, similarity, clusters) and the zone
catalogue, as JSON and as CSV exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from parkhq.services import industries
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, requires

__all__ = ["catalogue_csv", "compliance_csv", "router"]

router = APIRouter(prefix="/industries", tags=["特色化"])
Analyst = Annotated[Principal, Depends(requires("stats:read"))]
Reader = Annotated[Principal, Depends(requires("park:read"))]
ParkCode = Annotated[str, Path(min_length=1, max_length=16, description="园区代码（如 S337001）")]
Province = Annotated[
    str, Query(pattern=r"^(\d{6})?$", description="省级区划代码（6 位，如 330000）；留空取默认")
]
City = Annotated[
    str, Query(pattern=r"^(\d{6})?$", description="地级市区划代码（6 位），留空为全省")
]
Search = Annotated[str, Query(max_length=64, description="名称或代码包含")]
CSV_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSES: dict[int | str, dict[str, object]] = {200: {"content": {"text/csv": {}}}}


def _joined(items: Iterable[object]) -> str:
    return "；".join(str(i) for i in items)


def _number(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so that Excel and WPS open the Chinese text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_response(filename: str, content: bytes) -> Response:
    return Response(
        content,
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def compliance_csv(overview: industries.ProvinceOverview) -> bytes:
    """The compliance table of a province overview as CSV (one row per park)."""
    header = [
        "园区代码", "园区名称", "所在市", "工业总产值(万元)", "申报主导产业", "申报个数",
        "超过3个", "归入类别", "未归类", "申报类别产值占比", "集中度判断", "实测主导产业",
        "申报但实测不足", "实测但未申报", "最高相似系数", "亩均税收(万元/亩)", "低水平同质化",
    ]  # fmt: skip
    rows = [
        [
            r.code,
            r.name,
            r.city_name,
            _number(r.output_value, 2),
            r.declared_text,
            r.declared_count,
            "是" if r.exceeds_three else "否",
            _joined(r.declared_categories),
            _joined(r.unmapped),
            _number(r.declared_output_share),
            r.verdict_label,
            _joined(r.measured_leading),
            _joined(r.declared_but_not_real),
            _joined(r.real_but_undeclared),
            _number(r.max_similarity),
            _number(r.tax_per_mu, 2),
            "是" if r.low_level_homogeneity else "否",
        ]
        for r in overview.compliance
    ]
    return _csv_bytes(header, rows)


def catalogue_csv(view: industries.CatalogueView) -> bytes:
    """The zones of a catalogue view as CSV (the catalogue's columns plus the ≤ 3 check)."""
    header = [
        "代码", "开发区名称", "省份", "城市/区县", "批准级别", "开发区类型", "批准时间",
        "核准面积_公顷", "主导产业", "申报个数", "超过3个", "归入类别", "未归类",
    ]  # fmt: skip
    rows = [
        [
            z.code,
            z.name,
            z.province_name,
            z.city_name,
            z.level,
            z.type,
            z.approved_on,
            _number(z.area_ha, 2),
            z.declared_text,
            z.count,
            "是" if z.exceeds_three else "否",
            _joined(z.categories),
            _joined(z.unmapped),
        ]
        for z in view.zones
    ]
    return _csv_bytes(header, rows)


@router.get(
    "/parks/{park_code}/profile",
    response_model=industries.ParkProfile,
    summary="园区画像：产业结构、区位熵、主导产业（实测与申报）、延链建议",
)
def park_profile(
    park_code: ParkCode,
    db: DatabaseDep,
    principal: Analyst,
    level: Annotated[
        industries.StructureLevel,
        Query(description="结构层级：division 大类 / group 中类 / class 小类 / category 产业类别"),
    ] = "division",
) -> industries.ParkProfile:
    return industries.park_profile(db, principal, park_code, level=level)


@router.get(
    "/overview",
    response_model=industries.ProvinceOverview,
    summary="省级特色化：合规表、结构相似系数与热力图、同构园区群、低水平同质化",
)
def overview(
    db: DatabaseDep, principal: Analyst, province: Province = "", city: City = ""
) -> industries.ProvinceOverview:
    return industries.province_overview(db, principal, province=province, city=city)


@router.get(
    "/overview/compliance.csv",
    summary="导出省级主导产业合规表（CSV，UTF-8）",
    response_class=Response,
    responses=CSV_RESPONSES,
)
def overview_csv(
    db: DatabaseDep, principal: Analyst, province: Province = "", city: City = ""
) -> Response:
    result = industries.province_overview(db, principal, province=province, city=city)
    name = f"主导产业合规表-{result.province_name}{'-' + city if city else ''}.csv"
    return _csv_response(name, compliance_csv(result))


@router.get(
    "/catalogue",
    response_model=industries.CatalogueView,
    summary="开发区目录：申报主导产业归类、超过 3 个的开发区、各省申报最多的类别",
)
def catalogue(
    db: DatabaseDep,
    principal: Reader,
    province: Province = "",
    q: Search = "",
    exceeding_only: Annotated[bool, Query(description="只列申报超过 3 个的开发区")] = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> industries.CatalogueView:
    return industries.catalogue_view(
        db,
        principal,
        province=province,
        q=q,
        exceeding_only=exceeding_only,
        offset=offset,
        limit=limit,
    )


@router.get(
    "/catalogue.csv",
    summary="导出开发区目录及主导产业检查结果（CSV，UTF-8）",
    response_class=Response,
    responses=CSV_RESPONSES,
)
def catalogue_export(
    db: DatabaseDep,
    principal: Reader,
    province: Province = "",
    q: Search = "",
    exceeding_only: Annotated[bool, Query(description="只列申报超过 3 个的开发区")] = False,
) -> Response:
    view = industries.catalogue_view(
        db,
        principal,
        province=province,
        q=q,
        exceeding_only=exceeding_only,
        limit=1_000_000,
    )
    return _csv_response("开发区目录主导产业检查.csv", catalogue_csv(view))
