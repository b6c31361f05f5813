"""Benchmark: the 特色化 analyses at national scale against one raw Polars scan of the firm table.

Data: the national demo set (3,000 parks, 1,000,000 firms, 36 months) written by
``parkhq.demo.write_national`` into a temporary folder (in a child process, so that its memory
is not counted), or the Parquet files already in ``--data DIR``. ``--parks/--firms`` run small.

Steps, each timed:

1. firm table — one row per firm with its park, province, prefecture, GB/T 4754 class and the
   sums of 工业总产值 and 税收 over the latest 12 months (null for a firm without reports: the
   national set has monthly reports for above-scale firms only) (``monthly.parquet`` +
   ``enterprises.parquet`` + ``parks.parquet``), written to ``firms.parquet`` (not part of the
   ratio: it is the loader's job in the application);
2. reference — one raw Polars scan of that firm table: read ``firms.parquet`` and sum every
   numeric column per park and class (the least any analysis of it must do);
3. analyses — structure (parks × divisions: aggregation, 区位熵 against the province and the
   nation, CR3/HHI, Krugman), leading (measured 主导产业 under the shipped rule set, declared
   text normalised and compared), similarity (class-level UNIDO/Krugman within provinces,
   clusters, 低水平同质化 with 亩均税收; declared portfolios), complexity (parks × GB/T 4754
   groups: RCA, proximity, density, PCI/COG, then 延链 suggestions for every park).

The analyses run as the service runs them: the firm table is summed once into an
:class:`~parkhq.analysis.cube.IndustryCube` (park × class totals of every measure; each park's
region read from the park register, ``parks.parquet``) and the cube is handed to every
analysis; building the cube is inside the timed pipeline, and each repetition builds a new one
(nothing is kept between repetitions). ``--firm-rows`` also times the analyses on the firm rows
themselves (each analysis then sums the firms again). Timings are the best of ``--repeat`` runs
(default 5, after one warm-up), the reference scan and the pipeline alternating so that a
slower spell of the machine falls on both. The script prints each step, the ratio (pipeline ÷
reference; goal ≤ 3×) and the peak resident memory of this process (``ru_maxrss``; goal
≤ 4 GB) and of the generator child.

Usage::

    .venv/bin/python bench/bench_industries.py                       # national scale
    .venv/bin/python bench/bench_industries.py --parks 300 --firms 100000
    .venv/bin/python bench/bench_industries.py --data /tmp/national  # reuse generated files
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from parkhq.analysis.cube import IndustryCube
from parkhq.analysis.declared import normalise_frame
from parkhq.analysis.extension import neighbour_pairs, park_complexity, suggest_extensions
from parkhq.analysis.leading import compare_declared, measured_leading
from parkhq.analysis.similarity import park_homogeneity, portfolio_similarity
from parkhq.analysis.structure import FirmData, in_parks, structure_profile
from parkhq.reference.categories import category_catalogue
from parkhq.reference.rules import (
    load_extension_rules,
    load_leading_rules,
    load_similarity_rules,
)

RATIO_GOAL = 3.0
MEMORY_GOAL_GB = 4.0


def _maxrss_gb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024 / 1024


def generate(folder: Path, seed: int, parks: int, firms: int) -> float:
    """Write the national set in a child process; returns its wall time in seconds."""
    code = (
        "from parkhq.demo import write_national; "
        f"write_national({str(folder)!r}, {seed}, parks={parks}, enterprises={firms})"
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def firm_table(folder: Path) -> pl.DataFrame:
    """Firm × (park, province, city, class) with 工业总产值/税收 summed over the last 12 months."""
    monthly = pl.scan_parquet(folder / "monthly.parquet")
    last = monthly.select(pl.col("period").max()).collect().item()
    year, month = int(last[:4]), int(last[5:7])
    first = f"{year - 1}-{month + 1:02d}" if month < 12 else f"{year}-01"
    yearly = (
        monthly.filter(pl.col("period") >= first)
        .group_by("uscc")
        .agg(pl.col("output_value").sum(), pl.col("tax").sum())
    )
    parks = pl.scan_parquet(folder / "parks.parquet").select(
        pl.col("code").alias("park_code"), "province_code", "city_code"
    )
    land = (
        pl.scan_parquet(folder / "parcels.parquet")
        .filter(pl.col("holder_uscc").is_not_null())
        .group_by(pl.col("holder_uscc").alias("uscc"))
        .agg(pl.col("area_mu").sum().alias("land_mu"))
    )
    return (
        pl.scan_parquet(folder / "enterprises.parquet")
        .select("uscc", "park_code", "industry_code")
        .join(parks, on="park_code", how="left")
        .join(yearly, on="uscc", how="left")
        .join(land, on="uscc", how="left")
        .collect()
    )


def reference_scan(path: Path) -> pl.DataFrame:
    """One raw scan: read the firm table and sum its measures per park and class."""
    return (
        pl.scan_parquet(path)
        .group_by("park_code", "industry_code")
        .agg(pl.col("output_value").sum(), pl.col("tax").sum(), pl.col("land_mu").sum())
        .collect()
    )


def structure_step(firms: FirmData) -> Any:
    return structure_profile(firms, level="division")


def declared_rows(parks: pl.DataFrame) -> pl.DataFrame:
    items = normalise_frame(parks, "declared_industries")
    codes = parks.select(pl.col("code").alias("park_code"), "province_code").with_row_index("row")
    return items.join(codes, on="row").drop("row")


def leading_step(firms: FirmData, declared: pl.DataFrame) -> Any:
    rules = load_leading_rules()
    leading = measured_leading(firms, rules)
    return compare_declared(firms, declared, category_catalogue().frame(), leading, rules)


def _park_totals(firms: FirmData) -> pl.DataFrame:
    if isinstance(firms, IndustryCube):
        return firms.in_parks().unit_totals(("park_code", "province_code"), ("tax", "land_mu"))
    return (
        in_parks(firms)
        .group_by("park_code", "province_code")
        .agg(pl.col("tax").sum(), pl.col("land_mu").sum())
    )


def similarity_step(firms: FirmData, declared: pl.DataFrame) -> Any:
    rules = load_similarity_rules()
    per_park = _park_totals(firms).select(
        "park_code",
        "province_code",
        pl.when(pl.col("land_mu") > 0).then(pl.col("tax") / pl.col("land_mu")).alias("tax_per_mu"),
    )
    measured = park_homogeneity(firms, rules, per_mu=per_park)
    portfolios = portfolio_similarity(declared, within=("province_code",), min_similarity=0.8)
    return measured, portfolios


def complexity_step(firms: FirmData, parks: pl.DataFrame) -> Any:
    rules = load_extension_rules()
    result = park_complexity(firms, rules)
    assert result is not None
    frame = parks.select(pl.col("code").alias("park_code"), "city_code", "province_code")
    neighbours = neighbour_pairs(frame, rules.neighbours)
    return suggest_extensions(result, neighbours, rules)


MEASURES = ("output_value", "tax", "land_mu")


def pipeline(
    firms: pl.DataFrame, parks: pl.DataFrame, declared: pl.DataFrame, *, cube: bool
) -> dict[str, float]:
    """One run of every analysis; seconds per step (the cube is built first when ``cube``)."""
    times: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = fn()
        times[name] = time.perf_counter() - start
        return value

    register = parks.select(pl.col("code").alias("park_code"), "province_code", "city_code")
    data: FirmData = (
        timed("cube", lambda: IndustryCube.from_firms(firms, MEASURES, parks=register))
        if cube
        else firms
    )
    timed("structure", lambda: structure_step(data))
    timed("leading", lambda: leading_step(data, declared))
    timed("similarity", lambda: similarity_step(data, declared))
    timed("complexity + 延链", lambda: complexity_step(data, parks))
    return times


def run_pipeline(
    label: str, repeat: int, scan: Callable[[], Any], run: Callable[[], dict[str, float]]
) -> None:
    """Best of ``repeat`` runs of the pipeline against the best of as many reference scans,
    the two alternating (so that a slower spell of the machine falls on both)."""
    scan()
    run()
    reference, best = float("inf"), {}
    for _ in range(repeat):
        start = time.perf_counter()
        scan()
        reference = min(reference, time.perf_counter() - start)
        times = run()
        if not best or sum(times.values()) < sum(best.values()):
            best = times
    print(f"reference (one raw scan of the firm table): {reference * 1000:.0f} ms")
    for name, seconds in best.items():
        print(f"  {name} ({label}): {seconds * 1000:.0f} ms ({seconds / reference:.2f}× the scan)")
    total = sum(best.values())
    ratio = total / reference
    verdict = "met" if ratio <= RATIO_GOAL else "not met"
    print(
        f"{label}: {total * 1000:.0f} ms; ratio {ratio:.2f}× (goal ≤ {RATIO_GOAL:.0f}×: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, help="已生成的全国数据目录（含 *.parquet）")
    parser.add_argument("--parks", type=int, default=3_000)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--firm-rows", action="store_true", help="也计时直接在企业明细上运行的各项分析"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="parkhq-bench-industries-") as tmp:
        folder = args.data
        if folder is None:
            folder = Path(tmp) / "national"
            seconds = generate(folder, args.seed, args.parks, args.firms)
            child = _maxrss_gb(resource.RUSAGE_CHILDREN)
            print(f"generate: {seconds:.1f} s, child peak {child:.2f} GB")
        start = time.perf_counter()
        firms = firm_table(folder)
        path = Path(tmp) / "firms.parquet"
        firms.write_parquet(path)
        parks = pl.read_parquet(folder / "parks.parquet")
        build = time.perf_counter() - start
        print(
            f"firm table: {firms.height:,} firms "
            f"({firms.get_column('output_value').is_not_null().sum():,} reporting), "
            f"{parks.height:,} parks, "
            f"{firms.get_column('industry_code').n_unique()} classes, built in {build:.1f} s"
        )

        declared = declared_rows(parks)
        run_pipeline(
            "cube once + analyses",
            args.repeat,
            lambda: reference_scan(path),
            lambda: pipeline(firms, parks, declared, cube=True),
        )
        if args.firm_rows:
            run_pipeline(
                "analyses on firm rows",
                args.repeat,
                lambda: reference_scan(path),
                lambda: pipeline(firms, parks, declared, cube=False),
            )
        peak = _maxrss_gb()
        print(
            f"peak memory of this process: {peak:.2f} GB (goal ≤ {MEMORY_GOAL_GB:.0f} GB: "
            f"{'met' if peak <= MEMORY_GOAL_GB else 'not met'})"
        )


if __name__ == "__main__":
    main()
