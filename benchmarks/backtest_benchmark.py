"""Backtest benchmark: generated CloudTrail .json.gz files (S3 layout) read three ways in one run:

  - the decode floor: gzip + stdlib json, gzip + orjson, gzip + msgspec decoding only the fields a rule needs;
  - DuckDB computing the SES threshold rule alone in SQL over the same files (what a user would reach for),
    each way DuckDB reads them (JSON objects and paths, detected or declared schemas), against the fastest;
  - `elastic-pack backtest`, the whole pack, with one process and with one per CPU.

    python benchmarks/backtest_benchmark.py [--days 30] [--background 2000] [--data DIR] [--duckdb all] [--repeat 1]

--data keeps the generated files in DIR and reuses them on the next run (generating 30 days takes minutes).
--repeat N times the DuckDB readings and the whole command N times, interleaved (on a shared machine one
timing says little), and compares their medians; every timing and the spread are printed.
Goal (issues 17, 26): the whole-pack backtest no slower than DuckDB's one-rule query; memory bounded by rule state.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import cloudtrail_gen as gen  # noqa: E402
import msgspec  # noqa: E402
import orjson  # noqa: E402

from elastic_pack.backtest import backtest  # noqa: E402
from elastic_pack.cloudtrail import find_files  # noqa: E402
from elastic_pack.parallel import default_jobs  # noqa: E402

SES_SENDS = ("SendEmail", "SendRawEmail", "SendBulkTemplatedEmail", "SendBulkEmail", "SendTemplatedEmail")


def decode_whole(paths, loads) -> int:
    """Records in the files, each file decoded whole by `loads` (the decode floor of a JSON library)."""
    records = 0
    for path in paths:
        with gzip.open(path, "rb") as handle:
            records += len(loads(handle.read())["Records"])
    return records


class Identity(msgspec.Struct):
    arn: str | None = None


class Record(msgspec.Struct):
    eventTime: str
    eventSource: str
    eventName: str
    errorCode: str | None = None
    userIdentity: Identity | None = None


class Trail(msgspec.Struct):
    Records: list[Record]


def decode_msgspec_fields(paths) -> int:
    """The lower bound of any decoder: typed decoding of the five fields the SES rule reads, skipping the rest."""
    decoder = msgspec.json.Decoder(Trail)
    records = 0
    for path in paths:
        with gzip.open(path, "rb") as handle:
            records += len(decoder.decode(handle.read()).Records)
    return records


_SES_WHERE = (f"source = 'ses.amazonaws.com' AND action IN {SES_SENDS} AND coalesce(error, '') = '' "
              "AND arn IS NOT NULL")
_SES_SELECT = "SELECT arn, date_trunc('hour', CAST(time AS TIMESTAMP)) AS hour, count(*) AS n"
_SES_GROUP = "GROUP BY ALL HAVING count(*) > 100"
_DECLARED = ("{'Records': 'STRUCT(eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, "
             "errorCode VARCHAR, userIdentity STRUCT(arn VARCHAR))[]'}")


def _ses_over_objects(reader: str, root: Path, one_call: bool) -> str:
    """The SES rule over JSON text: each record's fields by JSON path (`->>` per field, or one
    json_extract_string with a list of paths)."""
    records = f"SELECT unnest(json_extract(json, '$.Records[*]')) AS r FROM {reader}('{root}/**/*.json.gz')"
    if one_call:
        fields = ("SELECT v[1] AS source, v[2] AS action, v[3] AS error, v[4] AS arn, v[5] AS time FROM "
                  "(SELECT json_extract_string(r, ['$.eventSource', '$.eventName', '$.errorCode', "
                  "'$.userIdentity.arn', '$.eventTime']) AS v FROM records)")
    else:
        fields = ("SELECT r->>'$.eventSource' AS source, r->>'$.eventName' AS action, r->>'$.errorCode' AS error, "
                  "r->>'$.userIdentity.arn' AS arn, r->>'$.eventTime' AS time FROM records")
    return f"WITH records AS ({records}), f AS ({fields}) {_SES_SELECT} FROM f WHERE {_SES_WHERE} {_SES_GROUP}"


def _ses_over_structs(source: str, error: bool = True) -> str:
    """The SES rule over typed Records (a schema DuckDB detected or one declared)."""
    fields = ("SELECT r.eventSource AS source, r.eventName AS action, "
              f"{'r.errorCode' if error else 'NULL'} AS error, r.userIdentity.arn AS arn, r.eventTime AS time "
              f"FROM (SELECT unnest(Records) AS r FROM {source})")
    return f"WITH f AS ({fields}) {_SES_SELECT} FROM f WHERE {_SES_WHERE} {_SES_GROUP}"


DUCKDB_READINGS = {  # name -> the SES rule's SQL over the files under root
    "read_ndjson_objects, one json_extract_string": lambda root: _ses_over_objects("read_ndjson_objects", root, True),
    "read_ndjson_objects, ->> per field": lambda root: _ses_over_objects("read_ndjson_objects", root, False),
    "read_json_objects, one json_extract_string": lambda root: _ses_over_objects("read_json_objects", root, True),
    "read_json_objects, ->> per field": lambda root: _ses_over_objects("read_json_objects", root, False),
    "read_json_auto, union_by_name": lambda root: _ses_over_structs(
        f"read_json_auto('{root}/**/*.json.gz', union_by_name=true)"),
    "read_json, declared columns (unstructured)": lambda root: _ses_over_structs(
        f"read_json('{root}/**/*.json.gz', format='unstructured', columns={_DECLARED})"),
    "read_json, declared columns (newline_delimited)": lambda root: _ses_over_structs(
        f"read_json('{root}/**/*.json.gz', format='newline_delimited', columns={_DECLARED})"),
}


def duckdb_ses(reading: str, root: Path) -> int:
    """The SES rule in SQL: sends per identity per clock hour above 100 (a tumbling hour; Kibana's rule runs
    every 5 minutes over the last hour, which finds at least these). Identity-hours found."""
    import duckdb

    connection = duckdb.connect()
    connection.sql("SET enable_progress_bar = false")
    try:
        return len(connection.sql(DUCKDB_READINGS[reading](root)).fetchall())
    except duckdb.BinderException as exc:
        # the detected schema has no errorCode when no record in the files has one: nothing to exclude
        if "errorCode" not in str(exc) or "auto" not in reading:
            raise
        source = f"read_json_auto('{root}/**/*.json.gz', union_by_name=true)"
        return len(connection.sql(_ses_over_structs(source, error=False)).fetchall())


def run_command(root: Path, jobs: int) -> list[dict]:
    """`elastic-pack backtest ROOT --json` as a user runs it (start-up included); its alerts."""
    command = [str(Path(sys.executable).with_name("elastic-pack")), "backtest", str(root), "--json", "-j", str(jobs)]
    done = subprocess.run(command, check=True, capture_output=True)
    return json.loads(done.stdout)["alerts"]


def _generate(days: int, noise: float, background: int, root: str) -> None:
    gen.write_s3_layout(gen.month(days=days, noise=noise, background=background), Path(root))


CPU: dict[str, float] = {}  # label -> CPU seconds of this process's threads and of the child processes it waited for


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(label: str, func, *args):
    start, cpu = time.perf_counter(), _cpu()
    value = func(*args)
    seconds = time.perf_counter() - start
    CPU[label] = _cpu() - cpu
    return label, value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--noise", type=float, default=4.0)
    parser.add_argument("--background", type=int, default=2000,
                        help="records per hour from other services (S3, EC2, STS, KMS ...), as in a real trail")
    parser.add_argument("--data", type=Path, help="keep the generated files here and reuse them")
    parser.add_argument("--duckdb", default="all", help="DuckDB readings to time: 'all' or comma-separated parts "
                        "of their names (e.g. 'ndjson,objects'; the declared and auto readings take minutes)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the DuckDB readings and the whole command, "
                        "interleaved; medians compared")
    args = parser.parse_args()
    tmp = None
    root = args.data
    if root is None:
        tmp = tempfile.TemporaryDirectory()
        root = Path(tmp.name)
    root.mkdir(parents=True, exist_ok=True)
    generated = not find_files([root])
    if generated:
        print(f"generating {args.days} days of CloudTrail in {root} ...", flush=True)
        # in a child process, so the peak RSS below is the backtest's own
        child = multiprocessing.Process(target=_generate, args=(args.days, args.noise, args.background, str(root)))
        child.start()
        child.join()
    files = find_files([root])
    size = sum(os.path.getsize(p) for p in files)
    jobs = default_jobs()
    rows = [timed("decode floor: gzip + json (stdlib)", decode_whole, files, json.loads),
            timed("decode floor: gzip + orjson", decode_whole, files, orjson.loads),
            timed("decode floor: gzip + msgspec, 5 fields", decode_msgspec_fields, files)]
    records = rows[0][1]
    readings = list(DUCKDB_READINGS) if args.duckdb == "all" else [
        name for name in DUCKDB_READINGS if any(part in name for part in args.duckdb.split(","))]
    rounds: dict[str, list[float]] = {}  # label -> seconds of each round (the DuckDB readings, the command)
    ducks = []
    for name in readings:
        ducks.append(timed(f"DuckDB, SES rule alone: {name}", duckdb_ses, name, root))
        rounds[ducks[-1][0]] = [ducks[-1][2]]
    duck = min(ducks, key=lambda row: row[2])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    single = timed("backtest, whole pack, 1 process", backtest, [root], None, None, None, None, "event", 1)
    parallel = timed(f"backtest, whole pack, {jobs} processes", backtest, [root], None, None, None, None, "event",
                     jobs)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    command = timed(f"elastic-pack backtest --json -j {jobs} (whole command)", run_command, root, jobs)
    rounds[command[0]] = [command[2]]
    for _ in range(args.repeat - 1):  # interleaved: each round sees about the same load on a shared machine
        for name in readings:
            label, _, seconds = timed(f"DuckDB, SES rule alone: {name}", duckdb_ses, name, root)
            rounds[label].append(seconds)
        label, again, seconds = timed(command[0], run_command, root, jobs)
        assert again == command[1], "the command's alerts changed between rounds"
        rounds[label].append(seconds)
    workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{records:,} records in {len(files):,} files ({size / 1e6:,.0f} MB gzipped), {jobs} CPUs")
    def line(label: str, seconds: float) -> str:
        return f"  {label:70s} {seconds:7.1f}s {CPU[label]:6.1f}s CPU {records / seconds:>10,.0f} records/s"

    for label, _, seconds in rows:
        print(line(label, seconds))
    for label, found, seconds in ducks:
        print(f"{line(label, seconds)}, {found} identity-hours over 100 sends, {seconds / duck[2]:.2f}x the fastest")
    assert len({found for _, found, _ in ducks}) == 1, "DuckDB's readings disagree"
    for label, result, seconds in (single, parallel):
        print(f"{line(label, seconds)}, {len(result.alerts)} alerts")
    print(f"{line(command[0], command[2])}, {len(command[1])} alerts")
    expected = single[1].to_json()["alerts"]
    assert expected == parallel[1].to_json()["alerts"], "parallel and serial differ"
    assert expected == command[1], "the command and the serial run differ"
    fastest = duck[0].split(": ", 1)[1]
    for label, seconds in ((f"in process, {jobs} processes", parallel[2]), ("whole command", command[2])):
        print(f"ratio (whole-pack backtest, {label} / DuckDB's fastest reading, one rule): "
              f"{seconds / duck[2]:.2f}x  (goal <= 1x; fastest: {fastest})")
    print(f"ratio (whole-pack backtest / orjson decode floor): {parallel[2] / rows[1][2]:.2f}x")
    if args.repeat > 1:
        medians = {label: statistics.median(times) for label, times in rounds.items()}
        for label, times in rounds.items():
            print(f"  {label:70s} median {medians[label]:6.1f}s over {len(times)} rounds "
                  f"({min(times):.1f}-{max(times):.1f}s: {', '.join(f'{t:.1f}' for t in times)})")
        fastest_label = min((label for label in medians if label.startswith("DuckDB")), key=medians.__getitem__)
        print(f"ratio of the medians (whole command / DuckDB's fastest reading by median, "
              f"{fastest_label.split(': ', 1)[1]}): {medians[command[0]] / medians[fastest_label]:.2f}x  (goal <= 1x)")
    workers = ("n/a this run (the generator was a child too; run again with --data to see it)" if generated
               else f"{workers_rss:.0f} MB")
    print(f"peak RSS: {rss:.0f} MB in this process ({rss_before:.0f} MB before the backtests, DuckDB included); "
          f"decoding workers at most: {workers}")
    print(f"load average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
