"""ParkHQ reference data: national standards and rule sets shipped with the package.

* :mod:`parkhq.reference.industries` — GB/T 4754-2017 国民经济行业分类 (all four levels, tags);
* :mod:`parkhq.reference.regions` — GB/T 2260 行政区划代码 (province, prefecture, county);
* :mod:`parkhq.reference.uscc` — GB 32100-2015 统一社会信用代码 checks;
* :mod:`parkhq.reference.enterprise_size` — 《中小企业划型标准规定》 (大型/中型/小型/微型).

The data files live in ``parkhq/reference/data/``; third-party files carry their licence beside
them. Nothing here touches the network or the database.
"""

from __future__ import annotations

from parkhq.reference.enterprise_size import classify_size, classify_size_frame
from parkhq.reference.industries import Industry, IndustryCatalogue, industry_catalogue
from parkhq.reference.regions import Region, RegionCatalogue, region_catalogue
from parkhq.reference.uscc import make_uscc, uscc_problem, uscc_problems, validate_uscc

__all__ = [
    "Industry",
    "IndustryCatalogue",
    "Region",
    "RegionCatalogue",
    "classify_size",
    "classify_size_frame",
    "industry_catalogue",
    "make_uscc",
    "region_catalogue",
    "uscc_problem",
    "uscc_problems",
    "validate_uscc",
]
