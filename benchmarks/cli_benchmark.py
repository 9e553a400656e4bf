"""Command start-up benchmark: `elastic-pack --help` and `elastic-pack test` (every scenario of the pack), the
median of N runs each, against baselines measured in the same run: a bare `python -c pass` for --help, and
`test` without the cached EQL grammar (ELASTIC_PACK_NO_CACHE=1, how it ran before) for test.

    python benchmarks/cli_benchmark.py [--runs 7]

Goals (issue 17): --help under 0.2 s, test under 1 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def _environment(extra: dict | None) -> dict:
    """Python's defaults, as a user has them: bytecode caching on even where this shell turned it off."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**environment, **(extra or {})}


def median_seconds(command: list[str], runs: int, env: dict | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env=_environment(env))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    cli = shutil.which("elastic-pack") or sys.exit("elastic-pack is not on PATH: pip install -e . first")
    # warm the grammar cache, the bytecode cache and the disk
    subprocess.run([cli, "test"], stdout=subprocess.DEVNULL, check=False, env=_environment(None))
    python = median_seconds([sys.executable, "-c", "pass"], args.runs)
    help_ = median_seconds([cli, "--help"], args.runs)
    test = median_seconds([cli, "test"], args.runs)
    uncached = median_seconds([cli, "test"], args.runs, {"ELASTIC_PACK_NO_CACHE": "1"})
    print(f"python -c pass:                 {python:.3f}s")
    print(f"elastic-pack --help:            {help_:.3f}s  ({help_ / python:.1f}x bare python; goal < 0.2 s)")
    print(f"elastic-pack test:              {test:.3f}s  (goal < 1 s)")
    print(f"  without the grammar cache:    {uncached:.3f}s  (ratio {uncached / test:.2f}x)")


if __name__ == "__main__":
    main()
