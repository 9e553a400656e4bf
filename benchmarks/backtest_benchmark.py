"""Backtest benchmark: generated CloudTrail .json.gz files end to end (decompress, parse, map, evaluate
every rule of the pack) against plain gzip + json parsing of the same files in the same run.

    python benchmarks/backtest_benchmark.py [--days 30] [--noise 4] [--background 2000]

Prints records per second for both, the ratio (goal: within 3x of the parse-only floor) and peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import cloudtrail_gen as gen  # noqa: E402

from elastic_pack.backtest import backtest  # noqa: E402
from elastic_pack.cloudtrail import find_files  # noqa: E402


def parse_only(paths) -> int:
    records = 0
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records += len(json.load(handle)["Records"])
    return records


def _generate(days: int, noise: float, background: int, root: str) -> None:
    gen.write_s3_layout(gen.month(days=days, noise=noise, background=background), Path(root))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--noise", type=float, default=4.0)
    parser.add_argument("--background", type=int, default=2000,
                        help="records per hour from other services (S3, EC2, STS, KMS ...), as in a real trail")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # generated in a child process, so the peak RSS below is the backtest's own
        child = multiprocessing.Process(target=_generate, args=(args.days, args.noise, args.background, tmp))
        child.start()
        child.join()
        files = find_files([Path(tmp)])
        start = time.perf_counter()
        floor = parse_only(files)
        parse_seconds = time.perf_counter() - start
        start = time.perf_counter()
        result = backtest([Path(tmp)])
        full_seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{floor:,} records in {len(files):,} files ({args.days} days, {args.background}/h from other services)")
    print(f"parse only (gzip + json):   {floor / parse_seconds:,.0f} records/s ({parse_seconds:.1f}s)")
    print(f"backtest (whole pack):      {result.events / full_seconds:,.0f} records/s ({full_seconds:.1f}s), "
          f"{len(result.alerts)} alerts")
    print(f"ratio (backtest time / parse-only time): {full_seconds / parse_seconds:.2f}x  (goal <= 3x)")
    print(f"peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
