"""特色化 pages: 园区画像, 省级特色化 overview and 全国开发区目录."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from parkhq.services import industries
from parkhq.services.access import Principal
from parkhq.web.deps import DatabaseDep, requires
from parkhq.web.nav import register_nav
from parkhq.web.pages.render import chart_json, render

__all__ = [
    "category_chart",
    "heatmap_chart",
    "lq_chart",
    "router",
    "treemap_chart",
]

router = APIRouter(include_in_schema=False)
register_nav("特色化", "/industries", "stats:read", order=30)
register_nav("开发区目录", "/catalogue", "park:read", order=32)
Analyst = Annotated[Principal, Depends(requires("stats:read"))]
Reader = Annotated[Principal, Depends(requires("park:read"))]
RegionCode = Annotated[str, Query(pattern=r"^(\d{6})?$")]
PAGE_SIZE = 200
LQ_BARS = 15


def treemap_chart(profile: industries.ParkProfile) -> dict[str, Any]:
    """Treemap of the park's output: divisions (大类) split into groups (中类), 万元."""

    def node(item: industries.TreeNode) -> dict[str, Any]:
        out: dict[str, Any] = {"name": item.name, "value": round(item.value, 2)}
        if item.children:
            out["children"] = [node(child) for child in item.children]
        return out

    return {
        "title": {"text": "产业结构（工业总产值，万元）", "left": "center"},
        "tooltip": {"formatter": "{b}：{c} 万元"},
        "series": [
            {
                "type": "treemap",
                "name": "全部",
                "top": 40,
                "roam": False,
                "leafDepth": 1,
                "breadcrumb": {"show": True, "bottom": 0},
                "upperLabel": {"show": True, "height": 22},
                "data": [node(item) for item in profile.treemap],
            }
        ],
    }


def lq_chart(profile: industries.ParkProfile) -> dict[str, Any]:
    """区位熵 of the largest industries against the province and the nation (reference 1, 1.25)."""
    rows = [r for r in profile.structure if r.share is not None][:LQ_BARS]
    rows.reverse()
    names = [r.name for r in rows]

    def values(attr: str) -> list[float | None]:
        return [None if getattr(r, attr) is None else round(getattr(r, attr), 3) for r in rows]

    return {
        "title": {"text": "区位熵（前 15 个行业，按产值）", "left": "center"},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 34},
        "grid": {"top": 70, "left": 10, "right": 30, "bottom": 20, "containLabel": True},
        "xAxis": {"type": "value", "name": "LQ"},
        "yAxis": {
            "type": "category",
            "data": names,
            "axisLabel": {"width": 180, "overflow": "truncate"},
        },
        "series": [
            {
                "name": "相对全省",
                "type": "bar",
                "data": values("lq_province"),
                "markLine": {
                    "symbol": "none",
                    "label": {"formatter": "{c}", "position": "start"},
                    "data": [{"xAxis": 1}, {"xAxis": 1.25}],
                },
            },
            {"name": "相对全国（库内全部企业）", "type": "bar", "data": values("lq_nation")},
        ],
    }


def heatmap_chart(block: industries.SimilarityBlock, title: str) -> dict[str, Any]:
    """Pairwise similarity of the principal's parks (UNIDO S, 0–1)."""
    labels = [p.name for p in block.heatmap.parks]
    data = [
        [x, y, value] for y, row in enumerate(block.heatmap.values) for x, value in enumerate(row)
    ]
    small = len(labels) > 30
    return {
        "title": {"text": title, "left": "center"},
        "tooltip": {"position": "top"},
        "grid": {"top": 40, "left": 10, "right": 20, "bottom": 70, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": labels,
            "axisLabel": {"show": not small, "rotate": 60, "fontSize": 10},
        },
        "yAxis": {
            "type": "category",
            "data": labels,
            "axisLabel": {"show": not small, "fontSize": 10},
        },
        "visualMap": {
            "min": 0,
            "max": 1,
            "calculable": True,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "inRange": {"color": ["#f5f7fa", "#9ec5ef", "#1f5fa8", "#b42318"]},
        },
        "series": [{"name": "相似系数", "type": "heatmap", "data": data, "progressive": 2000}],
    }


def category_chart(view: industries.CatalogueView) -> dict[str, Any]:
    """Most-declared industry categories (number of zones declaring each)."""
    rows = list(reversed(view.top_categories))
    return {
        "title": {"text": "申报最多的主导产业类别（开发区数）", "left": "center"},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"top": 40, "left": 10, "right": 30, "bottom": 20, "containLabel": True},
        "xAxis": {"type": "value", "name": "个", "minInterval": 1},
        "yAxis": {"type": "category", "data": [r.category for r in rows]},
        "series": [{"name": "开发区数", "type": "bar", "data": [r.parks for r in rows]}],
    }


@router.get("/industries", response_class=HTMLResponse)
def overview_page(
    request: Request,
    db: DatabaseDep,
    principal: Analyst,
    province: RegionCode = "",
    city: RegionCode = "",
) -> HTMLResponse:
    result = industries.province_overview(db, principal, province=province, city=city)
    query = urlencode(
        {k: v for k, v in {"province": result.province_code, "city": city}.items() if v}
    )
    return render(
        request,
        "industries_overview.html",
        principal,
        ov=result,
        export_url=f"/api/v1/industries/overview/compliance.csv?{query}",
        measured_option=chart_json(heatmap_chart(result.measured, "实测产业结构相似系数")),
        declared_option=chart_json(heatmap_chart(result.declared, "申报主导产业相似系数")),
    )


@router.get("/industries/parks/{park_code}", response_class=HTMLResponse)
def profile_page(
    request: Request,
    db: DatabaseDep,
    principal: Analyst,
    park_code: Annotated[str, Path(max_length=16)],
    level: Annotated[industries.StructureLevel, Query()] = "division",
) -> HTMLResponse:
    profile = industries.park_profile(db, principal, park_code, level=level)
    return render(
        request,
        "industries_profile.html",
        principal,
        p=profile,
        levels={"division": "大类", "group": "中类", "class": "小类", "category": "产业类别"},
        treemap_option=chart_json(treemap_chart(profile)),
        lq_option=chart_json(lq_chart(profile)),
    )


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue_page(
    request: Request,
    db: DatabaseDep,
    principal: Reader,
    province: RegionCode = "",
    q: Annotated[str, Query(max_length=64)] = "",
    exceeding_only: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    view = industries.catalogue_view(
        db,
        principal,
        province=province,
        q=q,
        exceeding_only=exceeding_only,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    given = {"province": province, "q": q, "exceeding_only": "true" if exceeding_only else ""}
    filters = {k: v for k, v in given.items() if v}
    return render(
        request,
        "industries_catalogue.html",
        principal,
        view=view,
        q=q,
        exceeding_only=exceeding_only,
        page=page,
        pages=max(1, -(-view.total // PAGE_SIZE)),
        query=urlencode(filters),
        export_url=f"/api/v1/industries/catalogue.csv?{urlencode(filters)}",
        chart_option=chart_json(category_chart(view)),
    )
