"""The local engine's answer and the real node's answer to the same question, in forms that compare.

KQL: the multiset of documents a query returns. Threshold: counts per group in a window. ES|QL: the multiset of
result rows (a list where the query sorts). Kept apart from the tests so the Docker tier can ask the same."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import datetime
from typing import Any

from elastic_pack.documents import flatten
from elastic_pack.engine.threshold import ThresholdCounter
from elastic_pack.esql import parse_esql
from elastic_pack.esql.ast import Sort, Stats
from elastic_pack.esql.evaluate import CompiledEsql
from elastic_pack.kql import compile_kql, to_dsl
from elastic_pack.fields import field_type
from elastic_pack.lab import stream_for


def identity(document: dict) -> str:
    """A document as its canonical JSON: what a hit's _source is compared by."""
    return json.dumps(flatten(dict(document)), sort_keys=True, default=str)


def in_indices(document: dict, namespace: str, indices: list[str]) -> bool:
    stream = stream_for(document, namespace)
    return stream in indices


# --- KQL -------------------------------------------------------------------------------------------------

def kql_local(tree, documents: list[dict], now: float | None = None) -> Counter:
    predicate = compile_kql(tree, field_type, (lambda: now) if now is not None else None)
    return Counter(identity(d) for d in documents if predicate(flatten(dict(d))))


def kql_remote(es, indices: list[str], tree) -> Counter:
    result = es.search(index=",".join(indices), query=to_dsl(tree), size=10_000, ignore_unavailable=True,
                       allow_no_indices=True, track_total_hits=True)
    hits = result["hits"]["hits"]
    assert result["hits"]["total"]["value"] == len(hits), "more hits than one page"
    return Counter(identity(h["_source"]) for h in hits)


# --- threshold -------------------------------------------------------------------------------------------

def epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def threshold_local(tree, fields: list[str], documents: list[dict], window_field: str,
                    start: float, end: float) -> dict[tuple, int]:
    """Per group, the events the query lets through in [start, end], grouped as the engine groups them."""
    predicate = compile_kql(tree)
    counter = ThresholdCounter(fields, 1, end - start, 10**9)
    counts: Counter = Counter()
    for document in documents:
        flat = flatten(dict(document))
        stamp = flat.get(window_field) or flat.get("@timestamp")
        if stamp is None or not start <= epoch(stamp) <= end or not predicate(flat):
            continue
        for key in counter.keys_of(flat):
            counts[tuple(str(v) if not isinstance(v, str) else v for v in key)] += 1
    return dict(counts)


def threshold_remote(es, indices: list[str], tree, fields: list[str], window_field: str,
                     start: float, end: float) -> dict[tuple, int]:
    """The counts of the aggregation Kibana's threshold executor sends (a bucket per group, none for a
    missing value), over the window on the rule's time field."""
    def within(field: str) -> dict:
        return {"range": {field: {"gte": int(start * 1000), "lte": int(end * 1000), "format": "epoch_millis"}}}

    # Kibana's time range with a timestamp_override: the override, else @timestamp where a document lacks it
    window = within(window_field) if window_field == "@timestamp" else {"bool": {"minimum_should_match": 1, "should": [
        within(window_field),
        {"bool": {"filter": [within("@timestamp")], "must_not": [{"exists": {"field": window_field}}]}}]}}
    body_query = {"bool": {"filter": [to_dsl(tree), window]}}
    sources = [{f"f{i}": {"terms": {"field": field}}} for i, field in enumerate(fields)]
    counts: dict[tuple, int] = {}
    after = None
    while True:
        composite: dict[str, Any] = {"sources": sources, "size": 1000}
        if after:
            composite["after"] = after
        result = es.search(index=",".join(indices), query=body_query, size=0, ignore_unavailable=True,
                           allow_no_indices=True, aggs={"groups": {"composite": composite}})
        groups = (result.get("aggregations") or {}).get("groups", {"buckets": []})
        for bucket in groups["buckets"]:
            key = tuple(str(bucket["key"][f"f{i}"]) for i in range(len(fields)))
            counts[key] = bucket["doc_count"]
        after = groups.get("after_key")
        if not groups["buckets"] or not after:
            return counts


# --- ES|QL -----------------------------------------------------------------------------------------------

def esql_local(query: str, documents: list[dict], now: float) -> list[dict]:
    """The query's result rows over all the documents, as the engine computes them (one run, no window)."""
    compiled = CompiledEsql(parse_esql(query), clock=lambda: now)
    rows = [row for document in documents for row in compiled.rows(flatten(dict(document)))]
    if compiled.table_mode:
        return compiled.run_table(rows)
    if compiled.stats is None:
        return compiled.after_table(rows)
    return compiled.aggregate([c for row in rows for c in compiled.compact(row)])


def esql_remote(es, query: str) -> tuple[list[str], list[dict]]:
    result = es.esql.query(query=query)
    names = [c["name"] for c in result["columns"]]
    return names, [dict(zip(names, values)) for values in result["values"]]


def _value(value: Any) -> Any:
    if isinstance(value, list):
        # a multi-value's order is not compared: Elasticsearch gives VALUES() in no stated order
        return tuple(sorted((_value(v) for v in value), key=repr)) if len(value) != 1 else _value(value[0])
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 6) if math.isfinite(value) else str(value)
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        try:
            return round(epoch(value), 3)
        except ValueError:
            return value
    return value


def esql_rows(rows: list[dict], names: list[str]) -> list[tuple]:
    """Rows as tuples of comparable values in the node's column order (numbers as floats, dates as epochs)."""
    return [tuple(_value(row.get(name)) for name in names) for row in rows]


def sort_columns(query: str) -> list[str]:
    """The columns the result is ordered by (the last SORT after the last STATS), none when unordered."""
    commands = parse_esql(query).commands
    last_stats = max((i for i, c in enumerate(commands) if isinstance(c, Stats)), default=-1)
    sorts = [c for c in commands[last_stats + 1:] if isinstance(c, Sort)]
    return [key[0] for key in sorts[-1].keys] if sorts else []


def same_rows(local: list[dict], remote: list[dict], names: list[str], ordered_by: list[str]) \
        -> tuple[bool, list[tuple], list[tuple]]:
    """Whether the engine's rows are the node's: the same multiset of rows, and where the query sorts, the
    same sequence of sort-key values (rows that tie on the keys may come in any order, as in Elasticsearch)."""
    local_rows, remote_rows = esql_rows(local, names), esql_rows(remote, names)
    same = sorted(local_rows, key=repr) == sorted(remote_rows, key=repr) and \
        all(set(row) <= set(names) for row in local)
    keys = [names.index(k) for k in ordered_by if k in names]
    if same and keys:
        same = [tuple(r[i] for i in keys) for r in local_rows] == [tuple(r[i] for i in keys) for r in remote_rows]
    return same, local_rows, remote_rows
