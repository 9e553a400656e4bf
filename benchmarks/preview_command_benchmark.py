"""Preview as a whole command against eql's PythonEngine: `elastic-pack preview --rule <the seed's sequence rule>`
on N generated CloudTrail events (ECS ndjson), start-up, pack loading and output included, against the eql
package's PythonEngine running the same query over the same events, already parsed in memory (its most
favourable case: neither reading nor parsing the file is counted for it).

    python benchmarks/preview_command_benchmark.py [--events 100000] [--repeat 3]

Runs both --repeat times, interleaved, after one untimed run of the command (bytecode and page caches warm, as
for a user's second command), and prints every run, the spread, the load average and the ratio of the medians
(goal, issue 26: at least 10x).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import eql
import orjson
from eql.parser import allow_runs, elasticsearch_syntax, ignore_missing_fields

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_benchmark import flat_events, nested  # noqa: E402

from elastic_pack.content import load_pack  # noqa: E402
from elastic_pack.engine.events import format_time, parse_time  # noqa: E402


def write_events(path: Path, count: int) -> None:
    """The engine benchmark's events as documents Elasticsearch would hold (nested objects, ISO @timestamp)."""
    with path.open("wb") as out:
        for event in flat_events(count):
            fields = dict(event.fields, **{"@timestamp": format_time(event.timestamp)})
            out.write(orjson.dumps(nested(fields)) + b"\n")


def python_engine_events(path: Path) -> list:
    """The file's documents as eql.Events (time in the 100-ns units the PythonEngine compares maxspan in)."""
    with path.open("rb") as handle:
        documents = [orjson.loads(line) for line in handle]
    return [eql.Event("any", int(parse_time(doc["@timestamp"]) * 10_000_000), doc) for doc in documents]


def run_python_engine(query: str, events: list) -> tuple[float, int]:
    with elasticsearch_syntax, allow_runs, ignore_missing_fields:
        tree = eql.parse_query(query)
    start, cpu = time.perf_counter(), time.process_time()
    engine = eql.PythonEngine()
    engine.add_query(tree)
    found: list = []
    engine.add_output_hook(found.append)
    engine.stream_events(events)
    return time.perf_counter() - start, time.process_time() - cpu, len(found)


def run_preview(rule_id: str, path: Path) -> tuple[float, int]:
    command = [str(Path(sys.executable).with_name("elastic-pack")), "preview", "--rule", rule_id,
               "--events", str(path), "--json"]
    # with bytecode caching on, as an installed package has its modules compiled (pip does it on install)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, env=environment)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and its worker processes
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, len(json.loads(done.stdout))  # the alerts


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f}s, {min(values):.2f}-{max(values):.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pack, _ = load_pack()
    rule = next(r for r in pack.rules if r.metadata.get("seed_branch") == "A")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.ndjson"
        write_events(path, args.events)
        size = path.stat().st_size
        events = python_engine_events(path)
        run_preview(rule.rule_id, path)  # a warm-up, not timed: the bytecode cache and the file in memory
        ours: list[float] = []
        theirs: list[float] = []
        cpu_ratios: list[float] = []
        for run in range(args.repeat):
            seconds, cpu, alerts = run_preview(rule.rule_id, path)
            ours.append(seconds)
            baseline, baseline_cpu, outputs = run_python_engine(rule.query, events)
            theirs.append(baseline)
            cpu_ratios.append(baseline_cpu / cpu)
            print(f"run {run + 1}: preview command {seconds:.2f}s, {cpu:.2f}s CPU ({alerts} alerts); PythonEngine "
                  f"{baseline:.2f}s, {baseline_cpu:.2f}s CPU ({outputs} sequences); {baseline / seconds:.1f}x "
                  f"elapsed, {baseline_cpu / cpu:.1f}x CPU", flush=True)
    print(f"{args.events:,} events, {size / 1e6:.1f} MB of ndjson; rule: {rule.name}")
    print(f"elastic-pack preview --rule (whole command): {spread(ours)}")
    print(f"eql PythonEngine, events in memory:          {spread(theirs)}")
    print(f"ratio of the medians (PythonEngine / preview command): "
          f"{statistics.median(theirs) / statistics.median(ours):.1f}x  (goal >= 10x)")
    print(f"ratio of CPU time (all of the command's processes against the PythonEngine's): median "
          f"{statistics.median(cpu_ratios):.1f}x, {min(cpu_ratios):.1f}-{max(cpu_ratios):.1f}x")
    print(f"load average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
