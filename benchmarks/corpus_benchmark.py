"""Elastic's prebuilt rule corpus through elastic-pack: the share that loads, validates without errors and
compiles for the local engine, and the time `validate` takes against reading the TOML files alone.

    python benchmarks/corpus_benchmark.py [--corpus ../shared/reference/detection-rules]

Goal: every non-ML, non-indicator rule runs locally; validate of the whole corpus under 30 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

from elastic_pack.checks import validate_pack
from elastic_pack.engine.rules import refusals

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "reference" / "detection-rules"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    corpus = parser.parse_args().corpus
    if not (corpus / "rules").is_dir():
        raise SystemExit(f"no rule corpus at {corpus}")
    files = sorted(corpus.glob("rules*/**/*.toml"))
    started = time.perf_counter()
    for path in files:
        tomllib.loads(path.read_text(encoding="utf-8"))
    baseline = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name in ("rules", "rules_building_block"):
            (root / name).symlink_to(corpus / name)
        started = time.perf_counter()
        pack, findings = validate_pack(root)
        validating = time.perf_counter() - started
        with_errors = {str(f.path) for f in findings if f.severity.value == "error"}
        ran, refusals_ = refusals(pack.rules)
        refused = Counter(rule.type for rule, _ in refusals_)
        reasons = Counter(exc.reason.split(":")[0][:70] for _, exc in refusals_)
    total = len(files)
    print(f"rule files: {total:,}")
    print(f"load: {len(pack.rules):,} ({len(pack.rules) / total:.1%})")
    print(f"validate without errors: {total - len(with_errors):,} ({(total - len(with_errors)) / total:.1%})")
    runnable = sum(n for t, n in (ran + refused).items() if t not in ("machine_learning", "threat_match"))
    runs = sum(n for t, n in ran.items() if t not in ("machine_learning", "threat_match"))
    print(f"compile for the local engine: {sum(ran.values()):,} of {total:,}; of the non-ML, non-indicator "
          f"rules {runs:,} of {runnable:,} ({runs / max(runnable, 1):.1%})")
    for kind in sorted(ran + refused):
        print(f"  {kind}: {ran[kind]} run, {refused[kind]} refused")
    for reason, count in reasons.most_common(8):
        print(f"  refused {count}x: {reason}")
    print(f"validate: {validating:.1f} s; TOML reading alone: {baseline:.1f} s; ratio {validating / baseline:.1f}x "
          f"(goal: validate under 30 s)")


if __name__ == "__main__":
    main()
