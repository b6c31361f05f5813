"""Benchmark the demo generator: province in memory, national scale streamed to Parquet.

Each run happens in a child process so its peak memory (``RUSAGE_CHILDREN`` max RSS) is its own.
The reference is writing a frame of random numbers with the same number of monthly rows and
columns to Parquet in the same child setup: the ratio says how much the generator costs over
plain I/O of the same volume.

    .venv/bin/python bench/bench_generate.py                       # province + full national
    .venv/bin/python bench/bench_generate.py --parks 300 --enterprises 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = {
    "province": """
import json, time
from parkhq.demo import generate
t = time.perf_counter()
data = generate("province", {seed})
print(json.dumps({{"seconds": time.perf_counter() - t, "monthly_rows": data.monthly.height}}))
""",
    "national": """
import json, time
from parkhq.demo import write_national
t = time.perf_counter()
files = write_national({out!r}, {seed}, parks={parks}, enterprises={enterprises})
print(json.dumps({{"seconds": time.perf_counter() - t, "monthly_rows": files.rows["monthly"]}}))
""",
    "reference": """
import json, time
import numpy as np, polars as pl
t = time.perf_counter()
rng = np.random.default_rng(0)
rows, chunk = {rows}, 1_800_000
import pyarrow.parquet as pq
writer = None
for start in range(0, rows, chunk):
    n = min(chunk, rows - start)
    frame = pl.DataFrame({{f"c{{i}}": rng.random(n) for i in range(12)}}).with_columns(
        pl.lit("913301001234567890").alias("uscc"), pl.lit("2025-01").alias("period"))
    table = frame.to_arrow()
    writer = writer or pq.ParquetWriter({out!r} + "/reference.parquet", table.schema,
                                        compression="zstd")
    writer.write_table(table)
writer.close()
print(json.dumps({{"seconds": time.perf_counter() - t, "monthly_rows": rows}}))
""",
}


def _run(kind: str, **params: object) -> tuple[dict[str, float], float]:
    code = _CHILD[kind].format(**params)
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    # the largest child so far (KiB on Linux); the runs go from small to large
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return json.loads(output.strip().splitlines()[-1]), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parks", type=int, default=3_000)
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    started = time.perf_counter()
    province, province_peak = _run("province", seed=args.seed)
    print(
        f"province: {province['seconds']:.1f} s, {province['monthly_rows']:,} monthly rows, "
        f"peak RSS ≤ {province_peak:,.0f} MiB"
    )
    with tempfile.TemporaryDirectory() as folder:
        national, national_peak = _run(
            "national", out=folder, seed=args.seed, parks=args.parks, enterprises=args.enterprises
        )
        size = sum(path.stat().st_size for path in Path(folder).glob("*.parquet")) / 2**20
        reference, _ = _run("reference", out=folder, rows=int(national["monthly_rows"]))
    print(
        f"national ({args.parks:,} parks, {args.enterprises:,} firms): "
        f"{national['seconds']:.1f} s, {national['monthly_rows']:,} monthly rows, "
        f"{size:,.0f} MiB Parquet, peak RSS ≤ {national_peak:,.0f} MiB"
    )
    ratio = national["seconds"] / reference["seconds"]
    print(
        f"reference (random frame of the same monthly rows to Parquet): "
        f"{reference['seconds']:.1f} s; generator / reference = {ratio:.1f}×"
    )
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
