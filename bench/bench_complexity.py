"""Benchmark: ``parkhq.analysis.complexity`` against the Growth Lab package ``ecomplexity`` 0.5.3.

World trade 1998–2000 (``tests/data/world_trade_avg_1998_to_2000.csv``: 226 countries × 785
SITC products, 124,336 rows): both implementations compute the full suite (RCA, M, diversity,
ubiquity, ECI, PCI, proximity, density, COI, COG) from the same in-memory table; each timing is
the best of ``--repeat`` runs (4 × as many for ParkHQ) after one warm-up, the two measured in
alternating rounds so that both see the same machine load. ``ecomplexity`` runs with
``check_logsupermodularity=False`` and ``verbose=False`` (that check is not one of the shared
metrics). The script asserts that every shared number agrees
(``|ours − theirs| ≤ max(1e-6·|theirs|, 1e-9)``) and prints the speed ratio (goal: ≥ 20×).

Then a synthetic parks × industries table (``--locations`` × ``--activities``, a share
``--fill`` of the pairs non-zero; default 3,000 × 1,400 at 30 %) is timed for ParkHQ only
(``--reference-synthetic`` also times ``ecomplexity`` on it, which takes minutes).

Peak memory: every (data, implementation) pair also runs once in a fresh child process, which
reports its peak resident set size (``VmHWM``, else ``ru_maxrss``) after loading the data
(baseline) and after the analysis (peak).

Usage::

    .venv/bin/python bench/bench_complexity.py --repeat 5
    .venv/bin/python bench/bench_complexity.py --locations 300 --activities 140   # small

BLAS threads: by default the script re-runs itself with ``OPENBLAS_NUM_THREADS=1`` (and
``OMP_NUM_THREADS=1``), the same for both implementations. On a small shared machine (here 2
vCPUs) multi-threaded OpenBLAS spins between calls and both timings become erratic; ParkHQ also
runs its density product and the Polars edge list in a second Python thread, which pays off with
one BLAS thread. ``--blas-threads 0`` keeps the environment as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from ecomplexity import ecomplexity

from parkhq.analysis.complexity import ComplexityResult, complexity

WORLD = Path(__file__).resolve().parents[1] / "tests" / "data" / "world_trade_avg_1998_to_2000.csv"
COLUMNS = {"location": "location", "activity": "activity", "value": "value"}
SHARED = {
    "rca": "rca",
    "m": "mcp",
    "diversity": "diversity",
    "ubiquity": "ubiquity",
    "eci": "eci",
    "pci": "pci",
    "density": "density",
    "coi": "coi",
    "cog": "cog",
}
GOAL = 20.0


def world_table() -> pl.DataFrame:
    return pl.read_csv(WORLD, schema_overrides={"country": pl.String, "product": pl.String}).rename(
        {"country": "location", "product": "activity"}
    )


def synthetic_table(locations: int, activities: int, fill: float, seed: int = 2024) -> pl.DataFrame:
    """Parks ``P00001…`` × 4-digit industry codes, a share ``fill`` of the pairs non-zero."""
    rng = np.random.default_rng(seed)
    present = rng.random((locations, activities)) < fill
    present[np.arange(locations), rng.integers(0, activities, locations)] = True
    present[rng.integers(0, locations, activities), np.arange(activities)] = True
    rows, cols = np.nonzero(present)
    return pl.DataFrame(
        {
            "location": pl.Series(rows + 1).cast(pl.String).str.zfill(5).str.pad_start(6, "P"),
            "activity": pl.Series(cols * 3 + 111).cast(pl.String).str.zfill(4),
            "value": rng.lognormal(7.0, 2.0, rows.size),
        }
    )


def table_for(dataset: str, args: argparse.Namespace) -> pl.DataFrame:
    if dataset == "world":
        return world_table()
    return synthetic_table(args.locations, args.activities, args.fill)


def pandas_input(df: pl.DataFrame) -> pd.DataFrame:
    frame = df.to_pandas()
    frame["year"] = 2000
    return frame


def run_ours(df: pl.DataFrame) -> ComplexityResult:
    return complexity(df, **COLUMNS)


def run_reference(frame: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result: pd.DataFrame = ecomplexity(
            frame,
            {"time": "year", "loc": "location", "prod": "activity", "val": "value"},
            verbose=False,
            check_logsupermodularity=False,
        )
    return result


def wall(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """Best wall time of ``repeat`` runs, in seconds, after one warm-up run."""
    action()
    return min(wall(action) for _ in range(repeat))


def best_of_interleaved(
    repeat: int, reference: Callable[[], object], ours: Callable[[], object], ours_per_round: int
) -> tuple[float, float]:
    """Best wall times (s) of both, measured in alternating rounds so both see the same load."""
    reference()
    ours()
    reference_times, our_times = [], []
    for _ in range(repeat):
        reference_times.append(wall(reference))
        our_times.extend(wall(ours) for _ in range(ours_per_round))
    return min(reference_times), min(our_times)


def max_error_ratio(result: ComplexityResult, reference: pd.DataFrame) -> dict[str, float]:
    """Per metric: max of |ours − theirs| / max(1e-6·|theirs|, 1e-9) (≤ 1 means agreement)."""
    ours = result.cells.join(result.locations, on="location").join(result.activities, on="activity")
    theirs = pl.from_pandas(reference)
    joined = ours.join(theirs, on=["location", "activity"], how="inner", suffix="_ref")
    assert joined.height == ours.height == theirs.height, "different location × activity sets"
    ratios = {}
    for mine, other in SHARED.items():
        name = other if other != mine else f"{other}_ref"
        a = joined[mine].cast(pl.Float64).to_numpy()
        b = joined[name].cast(pl.Float64).to_numpy()
        allowed = np.maximum(1e-6 * np.abs(b), 1e-9)
        ratios[mine] = float(np.max(np.abs(a - b) / allowed))
    return ratios


def peak_mib() -> float:
    """Peak resident set size of this process image so far, in MiB.

    ``ru_maxrss`` survives ``fork`` + ``exec`` (a child starts from its parent's high-water
    mark), so a child reads its own ``VmHWM`` from ``/proc/self/status`` where there is one.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    """Run one implementation once on one data set; print baseline and peak RSS as JSON."""
    df = table_for(args.dataset, args)
    if args.child == "ecomplexity":
        frame = pandas_input(df)
        baseline = peak_mib()
        run_reference(frame)
    else:
        baseline = peak_mib()
        run_ours(df)
    print(json.dumps({"baseline_mib": baseline, "peak_mib": peak_mib()}))


def measure_memory(args: argparse.Namespace, dataset: str, implementation: str) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        implementation,
        "--dataset",
        dataset,
        "--locations",
        str(args.locations),
        "--activities",
        str(args.activities),
        "--fill",
        str(args.fill),
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def describe_memory(label: str, report: dict[str, Any]) -> None:
    grown = report["peak_mib"] - report["baseline_mib"]
    print(
        f"  {label:<28} peak RSS {report['peak_mib']:8.1f} MiB "
        f"(+{grown:.1f} MiB over the loaded data)"
    )


def bench_world(args: argparse.Namespace) -> None:
    df = world_table()
    frame = pandas_input(df)
    print(
        f"world trade: {df['location'].n_unique()} countries × "
        f"{df['activity'].n_unique()} products, {df.height:,} rows"
    )
    ratios = max_error_ratio(run_ours(df), run_reference(frame))
    worst = max(ratios, key=lambda name: ratios[name])
    assert all(r <= 1.0 for r in ratios.values()), f"metrics disagree: {ratios}"
    print(
        "  agreement: every shared metric within max(1e-6·|x|, 1e-9); "
        f"worst {worst} at {ratios[worst]:.2e} of the tolerance"
    )
    reference, ours = best_of_interleaved(
        args.repeat, lambda: run_reference(frame), lambda: run_ours(df), ours_per_round=4
    )
    ratio = reference / ours
    print(f"  ecomplexity 0.5.3   best of {args.repeat:>3}: {reference * 1000:9.1f} ms")
    print(f"  parkhq              best of {args.repeat * 4:>3}: {ours * 1000:9.1f} ms")
    verdict = "met" if ratio >= GOAL else "NOT met"
    print(f"  speed ratio ecomplexity / parkhq: {ratio:.1f}× (goal ≥ {GOAL:.0f}×: {verdict})")
    describe_memory("parkhq", measure_memory(args, "world", "ours"))
    describe_memory("ecomplexity", measure_memory(args, "world", "ecomplexity"))


def bench_synthetic(args: argparse.Namespace) -> None:
    df = synthetic_table(args.locations, args.activities, args.fill)
    print(
        f"synthetic parks × industries: {args.locations:,} × {args.activities:,}, "
        f"{df.height:,} non-zero rows ({args.fill:.0%})"
    )
    ours = best_of(args.repeat, lambda: run_ours(df))
    print(f"  parkhq              best of {args.repeat:>3}: {ours * 1000:9.1f} ms")
    describe_memory("parkhq", measure_memory(args, "synthetic", "ours"))
    if args.reference_synthetic:
        frame = pandas_input(df)
        ratios = max_error_ratio(run_ours(df), run_reference(frame))
        assert all(r <= 1.0 for r in ratios.values()), f"metrics disagree: {ratios}"
        reference = best_of(1, lambda: run_reference(frame))
        print(f"  ecomplexity 0.5.3   best of   1: {reference * 1000:9.1f} ms")
        print(f"  speed ratio ecomplexity / parkhq: {reference / ours:.1f}×")
        describe_memory("ecomplexity", measure_memory(args, "synthetic", "ecomplexity"))


def pin_blas_threads(threads: int) -> None:
    """Re-run this script with ``threads`` BLAS threads unless the environment already says so."""
    wanted = str(threads)
    if threads <= 0 or os.environ.get("OPENBLAS_NUM_THREADS") == wanted:
        return
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": wanted, "OMP_NUM_THREADS": wanted}
    os.execve(sys.executable, [sys.executable, *sys.argv], environment)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--locations", type=int, default=3000, help="synthetic locations")
    parser.add_argument("--activities", type=int, default=1400, help="synthetic activities")
    parser.add_argument("--fill", type=float, default=0.3, help="share of non-zero pairs")
    parser.add_argument(
        "--reference-synthetic",
        action="store_true",
        help="also time ecomplexity on the synthetic table (slow)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="OpenBLAS threads for both implementations (0 = leave the environment alone)",
    )
    parser.add_argument("--child", choices=["ours", "ecomplexity"], help=argparse.SUPPRESS)
    parser.add_argument("--dataset", choices=["world", "synthetic"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    pin_blas_threads(args.blas_threads)
    print(f"OpenBLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'library default')}")
    bench_world(args)
    bench_synthetic(args)


if __name__ == "__main__":
    main()
