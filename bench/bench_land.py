"""Benchmark: 亩均效益 scoring and grading against one raw Polars scan of the same table.

Generates N synthetic firms (default 1,000,000) as Parquet in a temporary directory, then times

- reference: ``pl.read_parquet`` + a simple aggregate (sum of tax per scale);
- score: ``pl.read_parquet`` + ``score(..., explain=False)`` (values, scores, totals, ranks and
  grades under the huangyan-2023 preset);
- score+explain: the same with the per-firm Chinese explanation sentence.

Reference and score runs alternate for ``--repeat`` rounds, so both see the same machine load;
the target is the median over rounds of (score wall time / reference wall time) ≤ 3. The best
wall and CPU (all threads) times and their ratios are printed too, with the peak resident memory
(``ru_maxrss``) after each phase.

Usage: ``.venv/bin/python bench/bench_land.py --rows 1000000``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from parkhq.analysis.land import score
from parkhq.reference.land_rules import load_preset


def synthetic_firms(rows: int, seed: int = 7) -> pl.DataFrame:
    """``rows`` synthetic firms with the columns the huangyan presets read."""
    rng = np.random.default_rng(seed)
    land = rng.lognormal(3.0, 1.0, rows)
    value_added = land * rng.lognormal(4.5, 0.8, rows)
    emission = rng.lognormal(-1.0, 1.0, rows)
    emission[rng.random(rows) < 0.1] = np.nan
    return pl.DataFrame(
        {
            "uscc": [f"91330000{i:010d}" for i in range(rows)],
            "name": [f"企业{i}" for i in range(rows)],
            "scale": np.where(rng.random(rows) < 0.7, "规上", "规下"),
            "land_mu": land,
            "tax": value_added * rng.uniform(-0.02, 0.3, rows),
            "value_added": value_added,
            "revenue": value_added * rng.uniform(2.0, 6.0, rows),
            "energy_tce": value_added / rng.lognormal(1.0, 0.6, rows),
            "emission_t": emission,
            "employees": np.maximum(1, (value_added / rng.lognormal(2.8, 0.5, rows))).round(),
            "rd_expense": value_added * rng.uniform(0.0, 0.1, rows),
            "electricity": value_added * rng.uniform(0.5, 3.0, rows),
            "status": np.where(rng.random(rows) < 0.02, "不定等级", "参评"),
        }
    ).with_columns(pl.col("emission_t").fill_nan(None))


def peak_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Timing = tuple[float, float]


def timed(run: Callable[[], object]) -> Timing:
    """Wall-clock and CPU (all threads of this process) seconds of one ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def interleaved(repeat: int, runs: dict[str, Callable[[], object]]) -> dict[str, list[Timing]]:
    """Run every candidate once per round, ``repeat`` rounds; (wall, CPU) seconds per run.

    Interleaving exposes the candidates of one round to the same machine load, so the ratio of
    a round stays meaningful on a shared host.
    """
    times: dict[str, list[Timing]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            times[name].append(timed(run))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="number of firms")
    parser.add_argument("--repeat", type=int, default=11, help="rounds of reference + score")
    args = parser.parse_args()
    rules = load_preset("huangyan-2023")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "firms.parquet"
        synthetic_firms(args.rows).write_parquet(path)
        print(f"rows: {args.rows:,}  parquet: {path.stat().st_size / 2**20:.1f} MiB")
        print(f"peak RSS after generating data: {peak_mib():.0f} MiB")

        def reference() -> object:
            df = pl.read_parquet(path)
            return df.group_by("scale").agg(pl.col("tax").sum())

        def scoring() -> object:
            return score(pl.read_parquet(path), rules, explain=False)

        def scoring_explained() -> object:
            return score(pl.read_parquet(path), rules, explain=True)

        times = interleaved(args.repeat, {"reference": reference, "score": scoring})
        ref, scored = times["reference"], times["score"]
        ref_wall, score_wall = min(t[0] for t in ref), min(t[0] for t in scored)
        ref_cpu, score_cpu = min(t[1] for t in ref), min(t[1] for t in scored)
        print(
            f"reference (read_parquet + aggregate): best wall {ref_wall:.3f} s, cpu {ref_cpu:.3f} s"
        )
        print(
            f"score + grade (read_parquet + score): best wall {score_wall:.3f} s, "
            f"cpu {score_cpu:.3f} s"
        )
        paired = statistics.median(s[0] / r[0] for r, s in zip(ref, scored, strict=True))
        print(
            f"ratio score/reference: median of paired rounds {paired:.2f}; "
            f"best/best wall {score_wall / ref_wall:.2f}; best/best cpu {score_cpu / ref_cpu:.2f}"
        )
        print(f"peak RSS after reference and score: {peak_mib():.0f} MiB")
        explained = interleaved(max(1, args.repeat // 4), {"explain": scoring_explained})
        explain_wall = min(t[0] for t in explained["explain"])
        print(
            f"score + grade + explanation: best wall {explain_wall:.3f} s; "
            f"ratio {explain_wall / ref_wall:.2f}; peak RSS {peak_mib():.0f} MiB"
        )
        print(f"target: median paired ratio <= 3: {'PASS' if paired <= 3 else 'FAIL'}")


if __name__ == "__main__":
    main()
