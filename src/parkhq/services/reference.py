"""Reference data: industry and region look-ups, and loading the reference tables into the store."""

from __future__ import annotations

import logging

import polars as pl
from pydantic import BaseModel
from sqlalchemy import select

from parkhq.errors import NotFound
from parkhq.reference.industries import industry_catalogue
from parkhq.reference.regions import region_catalogue
from parkhq.store.db import Database
from parkhq.store.frames import write_frame
from parkhq.store.models import Industry, IndustryCategory, IndustryCategoryCode, Region

__all__ = [
    "CodeName",
    "IndustryInfo",
    "RegionInfo",
    "industry_info",
    "load_reference",
    "region_info",
]

log = logging.getLogger(__name__)


class CodeName(BaseModel):
    code: str
    name: str
    level: str


class IndustryInfo(CodeName):
    ancestors: list[CodeName]
    tags: list[str]
    children: list[CodeName]


class RegionInfo(CodeName):
    full_name: str
    ancestors: list[CodeName]
    children: list[CodeName]


def industry_info(code: str) -> IndustryInfo:
    """A GB/T 4754-2017 industry with its ancestors (section first), children and tags."""
    cat = industry_catalogue()
    ind = cat.find(code.strip())
    if ind is None:
        raise NotFound(
            f"行业代码 '{code}' 不在 GB/T 4754-2017 中（应为门类字母或 2/3/4 位数字代码）"
        )
    return IndustryInfo(
        code=ind.code,
        name=ind.name,
        level=ind.level,
        tags=list(ind.tags),
        ancestors=[
            CodeName(code=a.code, name=a.name, level=a.level) for a in cat.ancestors(ind.code)
        ],
        children=[
            CodeName(code=c.code, name=c.name, level=c.level) for c in cat.children(ind.code)
        ],
    )


def region_info(code: str) -> RegionInfo:
    """A GB/T 2260 region with its ancestors (province first) and children."""
    cat = region_catalogue()
    reg = cat.find(code.strip())
    if reg is None:
        raise NotFound(f"区划代码 '{code}' 不在 GB/T 2260 中（应为 6 位数字代码，如 330102）")
    return RegionInfo(
        code=reg.code,
        name=reg.name,
        level=reg.level,
        full_name=cat.full_name(reg.code),
        ancestors=[
            CodeName(code=a.code, name=a.name, level=a.level) for a in cat.ancestors(reg.code)
        ],
        children=[
            CodeName(code=c.code, name=c.name, level=c.level) for c in cat.children(reg.code)
        ],
    )


def _missing(frame: pl.DataFrame, existing: set[str], key: str = "code") -> pl.DataFrame:
    return frame.filter(~pl.col(key).is_in(sorted(existing)))


def load_reference(db: Database) -> dict[str, int]:
    """Insert the shipped reference tables into the store (only rows not yet there; idempotent)."""
    from parkhq.reference.categories import category_catalogue

    regions = (
        region_catalogue()
        .frame()
        .select("code", "name", "level", pl.col("parent").alias("parent_code"))
    )
    industries = (
        industry_catalogue()
        .frame()
        .select(
            "code",
            "name",
            "level",
            pl.col("parent").alias("parent_code"),
            pl.col("tags").list.join("|").alias("tags"),
        )
    )
    cats = list(category_catalogue())
    version = category_catalogue().version
    category_rows = pl.DataFrame(
        {
            "name": [c.name for c in cats],
            "kind": [c.kind for c in cats],
            "version": [version] * len(cats),
        },
        schema={"name": pl.String, "kind": pl.String, "version": pl.String},
    )
    category_codes = pl.DataFrame(
        [(c.name, code) for c in cats for code in sorted(set(c.codes))],
        schema={"category_name": pl.String, "industry_code": pl.String},
        orient="row",
    )
    counts: dict[str, int] = {}
    with db.engine.begin() as conn:
        have = set(conn.scalars(select(Region.code)))
        counts["region"] = write_frame(
            conn, "region", _missing(regions, have), ["code", "name", "level", "parent_code"]
        )
        have = set(conn.scalars(select(Industry.code)))
        counts["industry"] = write_frame(
            conn,
            "industry",
            _missing(industries, have),
            ["code", "name", "level", "parent_code", "tags"],
        )
        have = set(conn.scalars(select(IndustryCategory.name)))
        counts["industry_category"] = write_frame(
            conn,
            "industry_category",
            _missing(category_rows, have, "name"),
            ["name", "kind", "version"],
        )
        have_pairs = {
            (a, b)
            for a, b in conn.execute(
                select(IndustryCategoryCode.category_name, IndustryCategoryCode.industry_code)
            )
        }
        new_codes = (
            category_codes.filter(
                ~pl.struct("category_name", "industry_code").is_in(
                    [{"category_name": a, "industry_code": b} for a, b in sorted(have_pairs)]
                )
            )
            if have_pairs
            else category_codes
        )
        counts["industry_category_code"] = write_frame(
            conn, "industry_category_code", new_codes, ["category_name", "industry_code"]
        )
    log.info("reference data loaded: %s", counts)
    return counts
