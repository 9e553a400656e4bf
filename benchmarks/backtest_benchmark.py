"""Backtest benchmark: generated CloudTrail .json.gz files (S3 layout) read three ways in one run:

  - the decode floor: gzip + stdlib json, gzip + orjson, gzip + msgspec decoding only the fields a rule needs;
  - DuckDB computing the SES threshold rule alone in SQL over the same files (what a user would reach for);
  - `elastic-pack backtest`, the whole pack, with one process and with one per CPU.

    python benchmarks/backtest_benchmark.py [--days 30] [--background 2000] [--data DIR]

--data keeps the generated files in DIR and reuses them on the next run (generating 30 days takes minutes).
Goal (issue 17): the whole-pack backtest no slower than DuckDB's one-rule query; memory bounded by rule state.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import resource
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


def duckdb_ses(root: Path) -> int:
    """The SES rule in SQL: sends per identity per clock hour above 100 (a tumbling hour; Kibana's rule runs
    every 5 minutes over the last hour, which finds at least these)."""
    import duckdb

    columns = ("{'Records': 'STRUCT(eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, "
               "errorCode VARCHAR, userIdentity STRUCT(arn VARCHAR))[]'}")
    query = f"""
        WITH records AS (
            SELECT unnest(Records) AS r
            FROM read_json('{root}/**/*.json.gz', format='unstructured', columns={columns})
        )
        SELECT r.userIdentity.arn AS arn, date_trunc('hour', CAST(r.eventTime AS TIMESTAMP)) AS hour, count(*) AS n
        FROM records
        WHERE r.eventSource = 'ses.amazonaws.com' AND r.eventName IN {SES_SENDS}
          AND (r.errorCode IS NULL OR r.errorCode = '') AND r.userIdentity.arn IS NOT NULL
        GROUP BY ALL HAVING count(*) > 100
    """
    connection = duckdb.connect()
    connection.sql("SET enable_progress_bar = false")
    # 'unstructured' was the fastest format option here (auto and newline_delimited were 15-35% slower)
    return len(connection.sql(query).fetchall())


def _generate(days: int, noise: float, background: int, root: str) -> None:
    gen.write_s3_layout(gen.month(days=days, noise=noise, background=background), Path(root))


def timed(label: str, func, *args):
    start = time.perf_counter()
    value = func(*args)
    seconds = time.perf_counter() - start
    return label, value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--noise", type=float, default=4.0)
    parser.add_argument("--background", type=int, default=2000,
                        help="records per hour from other services (S3, EC2, STS, KMS ...), as in a real trail")
    parser.add_argument("--data", type=Path, help="keep the generated files here and reuse them")
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
    duck = timed("DuckDB: SES rule alone (SQL)", duckdb_ses, root)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    single = timed("backtest, whole pack, 1 process", backtest, [root], None, None, None, None, "event", 1)
    parallel = timed(f"backtest, whole pack, {jobs} processes", backtest, [root], None, None, None, None, "event",
                     jobs)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{records:,} records in {len(files):,} files ({size / 1e6:,.0f} MB gzipped), {jobs} CPUs")
    for label, _, seconds in [*rows, duck]:
        print(f"  {label:42s} {seconds:7.1f}s  {records / seconds:>10,.0f} records/s")
    print(f"    (DuckDB found {duck[1]} identity-hours over 100 sends)")
    for label, result, seconds in (single, parallel):
        print(f"  {label:42s} {seconds:7.1f}s  {records / seconds:>10,.0f} records/s, {len(result.alerts)} alerts")
    assert single[1].to_json()["alerts"] == parallel[1].to_json()["alerts"], "parallel and serial differ"
    print(f"ratio (whole-pack backtest / DuckDB one rule): {parallel[2] / duck[2]:.2f}x  (goal <= 1x)")
    print(f"ratio (whole-pack backtest / orjson decode floor): {parallel[2] / rows[1][2]:.2f}x")
    workers = ("n/a this run (the generator was a child too; run again with --data to see it)" if generated
               else f"{workers_rss:.0f} MB")
    print(f"peak RSS: {rss:.0f} MB in this process ({rss_before:.0f} MB before the backtests, DuckDB included); "
          f"decoding workers at most: {workers}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
