"""`elastic-pack query --json` against the real node: the same events indexed with an explicit mapping (the
field catalogue's types, and an integer field of the mapping file's own), the same questions asked of
`_search` (with the DSL Kibana builds from the KQL) and `_query`; the answers must be the same bodies: hits (ids and
sources), ES|QL columns (names and types) and rows. (The node has no EQL: its build carries no x-pack
plugins, so `_eql/search` is compared in tests/test_query_command.py against hand-worked answers.)"""

from __future__ import annotations

import json
import random

import pytest
from elasticsearch.helpers import bulk
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.fields import field_type
from elastic_pack.mapping import Mapping
from elastic_pack.kql import to_dsl

from .generated import NODE_TYPES

INDEX = "query-command"
OWN_TYPES = {"custom.count": "integer"}  # a type the ECS catalogue has no field of
FIELDS = ["@timestamp", "event.category", "event.action", "event.outcome", "host.name", "user.name", "source.ip",
          "source.port", "process.pid", "process.name", "process.command_line", "message", "event.risk_score",
          "tls.established", "custom.count", "aws.cloudtrail.flattened.request_parameters"]
BASE = "2026-01-05T"


def _type(name: str) -> dict:
    """The catalogue's type as this node maps it (no match_only_text or wildcard: text and keyword)."""
    kind = OWN_TYPES.get(name) or field_type(name) or "keyword"
    return dict(NODE_TYPES.get(kind, {"type": kind}))


def _events() -> list[dict]:
    rng = random.Random(24)
    events = []
    for i in range(40):
        minutes = i * 7
        stamp = f"{BASE}{8 + minutes // 60:02d}:{minutes % 60:02d}:{i % 60:02d}" + (".250Z" if i % 3 else "Z")
        event: dict = {"_id": f"e{i:02d}", "@timestamp": stamp,
                       "event": {"category": rng.choice(["process", "network", "authentication"]),
                                 "action": rng.choice(["start", "connect", "logon"]),
                                 "outcome": rng.choice(["success", "failure"]),
                                 "risk_score": rng.choice([47.3, 21.25, 73.0, 99.9])},
                       "host": {"name": f"h{i % 4}"},
                       "process": {"pid": rng.choice([4, 880, 1200, 4242, 65000]),
                                   "name": rng.choice(["cmd.exe", "powershell.exe", "sshd"]),
                                   "command_line": rng.choice(["powershell -enc AAA", "cmd /c whoami", "sshd -D"])},
                       "message": rng.choice(["error while reading", "all good", "Error: denied"]),
                       "tls": {"established": i % 2 == 0},
                       "custom": {"count": i % 5}}
        if i % 5:
            event["user"] = {"name": rng.choice(["alice", "bob", "root"])}
        if i % 4:
            event["source"] = {"ip": f"10.0.{i % 3}.{i}" if i % 7 else f"192.168.1.{i}",
                               "port": 443 if i % 6 else "8443"}  # a number in a string, as logs hold them
        if i % 9 == 0:
            event["event"]["category"] = ["process", "network"]  # a multi-valued field
        if i % 8 == 1:  # a flattened field: one column in ES|QL, its keys searchable in KQL
            event["aws"] = {"cloudtrail": {"flattened": {"request_parameters": {
                "bucketName": f"bucket-{i % 3}", "acl": {"grant": ["read", "write"][i % 2]}}}}}
        events.append(event)
    # values as logs hold them and the node normalises: another time zone, epoch milliseconds, numbers and
    # booleans in strings, a number in a keyword, IPv6 forms, unsorted multi-values with repeats
    events.append({"_id": "x1", "@timestamp": "2026-01-05T15:00:00+02:00", "host": {"name": 42},
                   "source": {"ip": "0:0:0:0:0:0:0:1", "port": [8443, "443", 443]}, "tls": {"established": "false"},
                   "custom": {"count": "3"}, "event": {"risk_score": "47.3", "outcome": "failure"},
                   "message": ["b text", "a text"], "user": {"name": ["root", "alice", "root"]},
                   "process": {"pid": [3, 1, 3], "name": "sshd"}})
    events.append({"_id": "x2", "@timestamp": 1767632400000, "source": {"ip": "::ffff:10.0.0.9"},
                   "event": {"category": "process", "outcome": "success"}, "host": {"name": "h9"}})
    events.append({"_id": "x3", "@timestamp": "2026-01-05T14:00:00Z", "process": {"pid": 7}})  # no text at all
    return events


EVENTS = _events()
MAPPING = {"properties": {name: _type(name) for name in FIELDS}}


@pytest.fixture(scope="module")
def indexed(es, tmp_path_factory):
    if es.indices.exists(index=INDEX):
        es.indices.delete(index=INDEX)
    es.indices.create(index=INDEX, mappings=MAPPING, settings={"number_of_shards": 1, "number_of_replicas": 0})
    bulk(es, ({"_index": INDEX, "_id": e["_id"], "_source": {k: v for k, v in e.items() if k != "_id"}}
              for e in EVENTS), refresh=True)
    folder = tmp_path_factory.mktemp("query")
    events = folder / "events.ndjson"
    events.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    mapping = folder / "mapping.json"
    mapping.write_text(json.dumps({INDEX: {"mappings": MAPPING}}))  # as GET <index>/_mapping answers
    yield events, mapping
    es.indices.delete(index=INDEX)


def _query(indexed, *args: str, mapped: bool = True) -> dict:
    events, mapping = indexed
    given = ["--mapping", str(mapping)] if mapped else []  # without: the field catalogue's types
    result = CliRunner().invoke(app, ["query", *args, "--events", str(events), *given, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _hits(hits: list[dict]) -> set[tuple[str, str]]:
    return {(h["_id"], json.dumps(h["_source"], sort_keys=True)) for h in hits}


KQL = ['event.outcome: failure and host.name: (h1 or h2)', "source.ip: 10.0.0.0/8", "process.pid > 1000 and not "
       "user.name: *", "message: error", "event.risk_score >= 47.3", "process.command_line: *powershell*",
       "tls.established: true", "event.category: network", 'source.port: 8443', "not source.ip: *",
       '@timestamp >= "2026-01-05T10:00:00" and @timestamp < "2026-01-05T11:00:00.250Z"',
       "aws.cloudtrail.flattened.request_parameters.bucketName: bucket-1",
       "aws.cloudtrail.flattened.request_parameters.acl.grant: write", "*", "not message: * or *",
       "event.categ*: net*", "event.*: *"]


@pytest.mark.parametrize("mapped", [True, False], ids=["mapping", "catalogue"])
@pytest.mark.parametrize("kql", KQL)
def test_kql_hits_are_the_nodes(es, indexed, kql, mapped):
    mine = _query(indexed, kql, "--size", "1000", mapped=mapped)
    # with --mapping the query is built as Kibana builds it for a data view of the index (wildcard field
    # names expanded over its fields); without, as the detection engine builds it (no field list)
    view = Mapping.load(indexed[1]) if mapped else None
    theirs = es.search(index=INDEX, query=to_dsl(kql, view), size=1000, track_total_hits=True)
    assert mine["hits"]["total"] == {"value": theirs["hits"]["total"]["value"], "relation": "eq"}
    assert _hits(mine["hits"]["hits"]) == _hits(theirs["hits"]["hits"])
    # (their order is not compared: a filter scores every hit alike, and the node gives ties in segment order)
    assert mine["hits"]["hits"], "a query that matches nothing proves little"


@pytest.mark.parametrize("low, high", [
    ("2026-01-05T08:14", "2026-01-05T08:14"), ("2026-01-05T08:14:02Z", "2026-01-05T09:03:20Z"),
    ("2026-01-05T09", "2026-01-05T10"), ("2026-01-05", "2026-01-05"), ("2026-01-05T10:00:00+02:00", "2026-01-05T11:30"),
])
def test_partial_from_and_to_are_filled_as_the_nodes_range(es, indexed, low, high):
    mine = _query(indexed, "host.name: *", "--from", low, "--to", high, "--size", "1000")
    theirs = es.search(index=INDEX, size=1000, query={"bool": {"filter": [
        to_dsl("host.name: *"), {"range": {"@timestamp": {"gte": low, "lte": high}}}]}})
    assert {h["_id"] for h in mine["hits"]["hits"]} == {h["_id"] for h in theirs["hits"]["hits"]}
    assert theirs["hits"]["hits"]



def test_from_and_to_are_the_nodes_range_gte_lte(es, indexed):
    low, high = EVENTS[3]["@timestamp"], EVENTS[17]["@timestamp"]  # both ends on an event: both kept
    mine = _query(indexed, "host.name: *", "--from", low, "--to", high, "--size", "1000")
    theirs = es.search(index=INDEX, size=1000, query={"bool": {"filter": [
        to_dsl("host.name: *"), {"range": {"@timestamp": {"gte": low, "lte": high}}}]}})
    assert _hits(mine["hits"]["hits"]) == _hits(theirs["hits"]["hits"])
    assert {h["_id"] for h in mine["hits"]["hits"]} == {f"e{i:02d}" for i in range(3, 18)}


ESQL = [
    f"FROM {INDEX} | WHERE event.outcome == \"failure\" | STATS failures = COUNT(*), users = COUNT_DISTINCT(user.name) "
    "BY host.name | SORT host.name",
    f"FROM {INDEX} | WHERE process.pid > 1000 | KEEP @timestamp, host.name, process.pid, source.ip, source.port, "
    "event.risk_score | SORT @timestamp | LIMIT 20",
    f"FROM {INDEX} | EVAL hour = DATE_TRUNC(1 hour, @timestamp) | STATS c = COUNT(*), max_risk = MAX(event.risk_score), "
    "total = SUM(custom.count), avg_pid = AVG(process.pid) BY hour | SORT hour",
    f"FROM {INDEX} | STATS c = COUNT(*) BY event.category | SORT c DESC, event.category",
    f"FROM {INDEX} | SORT @timestamp | LIMIT 5",
    f"FROM {INDEX} | WHERE tls.established == true | EVAL port = TO_STRING(source.port), len = LENGTH(process.name) "
    "| KEEP @timestamp, host.name, port, len, tls.established, custom.count | SORT @timestamp",
    f"FROM {INDEX} | STATS `first` = MIN(@timestamp), `last` = MAX(@timestamp) BY host.name | SORT host.name",
    f"FROM {INDEX} | STATS earliest = MIN(@timestamp), latest = MAX(@timestamp), ports = VALUES(source.port), "
    "n = SUM(custom.count) BY user.name | SORT user.name",
    f"FROM {INDEX} | WHERE message LIKE \"*rror*\" | STATS c = COUNT(*) BY process.name | SORT process.name",
    f"FROM {INDEX} | WHERE source.ip IS NULL OR custom.count >= 3 | EVAL double_risk = event.risk_score * 2, "
    "next = custom.count + 1, big = process.pid * 1000000 | KEEP @timestamp, double_risk, next, big | SORT @timestamp",
    f"FROM {INDEX} | KEEP host.name, event.category, source.*",  # no SORT: compared as a multiset
    f"FROM {INDEX} METADATA _id | WHERE @timestamp >= \"2026-01-05T12:00:00Z\" | SORT _id",
    f"FROM {INDEX} | STATS c = COUNT(*), pids = VALUES(process.pid) BY user.name | SORT user.name",
    f"FROM {INDEX} | MV_EXPAND user.name | STATS c = COUNT(*) BY user.name | SORT user.name",
    f"FROM {INDEX} | SORT source.ip, @timestamp | KEEP source.ip, @timestamp | LIMIT 12",
    'ROW a = 1, b = "x", big = 3000000000, f = 1.5, t = true, n = null | EVAL c = a * 2.5, d = CONCAT(b, "y"), '
    'e = a + big',
    f"FROM {INDEX} | WHERE event.category == \"process\" | STATS c = COUNT(*) BY host.name | SORT host.name DESC",
    f"FROM {INDEX} | DISSECT process.command_line \"%{{exe}} %{{args}}\" | GROK message \"%{{WORD:word}} %{{GREEDYDATA:rest}}\" "
    "| KEEP @timestamp, exe, args, word, rest | SORT @timestamp | LIMIT 12",
    # the types of what functions answer
    f"FROM {INDEX} | EVAL b = DATE_TRUNC(1 hour, @timestamp), y = DATE_EXTRACT(\"year\", @timestamp), "
    "r = ROUND(event.risk_score), lower = TO_LOWER(message), "
    "mc = MV_COUNT(user.name), ip = TO_IP(\"1.2.3.4\"), cs = CASE(custom.count > 2, \"hi\", \"lo\"), "
    "g = GREATEST(process.pid, 5), co = COALESCE(process.name, \"none\"), l = LENGTH(message), "
    "s = SUBSTRING(host.name, 1, 1), half = custom.count / 2, d = TO_DOUBLE(custom.count), "
    "dd = DATE_DIFF(\"minute\", TO_DATETIME(\"2026-01-05T00:00:00Z\"), @timestamp), st = TO_STRING(@timestamp), "
    "sw = STARTS_WITH(host.name, \"h\"), cidr = CIDR_MATCH(source.ip, \"10.0.0.0/8\") "
    "| DROP event.*, process.command_line, tls.*, user.*, source.port | SORT @timestamp | LIMIT 15",
    f"FROM {INDEX} | STATS n = COUNT(process.pid), med = MEDIAN(process.pid), sd = STD_DEV(custom.count), "
    "p = PERCENTILE(event.risk_score, 50), top = TOP(process.pid, 2, \"desc\"), mn = MIN(source.ip), "
    "cd = COUNT_DISTINCT(host.name), s = SUM(event.risk_score) BY b = BUCKET(@timestamp, 2 hours) | SORT b",
]


def _rows(values: list[list], esql: str = "VALUES(") -> list[list]:
    """Rows with multi-values in one order where the query has VALUES(), which gives them in no stated order
    (elsewhere a multi-value's order is compared: doc values' sorted order, text as written)."""
    if "VALUES(" not in esql:
        return values
    return [[sorted(v, key=repr) if isinstance(v, list) else v for v in row] for row in values]


@pytest.mark.parametrize("esql", ESQL)
def test_esql_columns_and_rows_are_the_nodes(es, indexed, esql):
    mine = _query(indexed, esql)
    theirs = es.esql.query(query=esql)
    assert mine["columns"] == theirs["columns"]
    if "SORT" in esql:  # on a unique key
        assert _rows(mine["values"], esql) == _rows(theirs["values"], esql)
    else:
        assert sorted(_rows(mine["values"], esql), key=repr) == sorted(_rows(theirs["values"], esql), key=repr)
    assert mine["values"]


@pytest.mark.parametrize("esql", [q for q in ESQL if "custom." not in q and ("KEEP" in q or "STATS" in q)])
def test_esql_with_the_catalogues_types_is_the_nodes(es, indexed, esql):
    """Without --mapping the fields take the catalogue's types (match_only_text as text, wildcard as keyword,
    float as double): the same columns as the node mapped from the catalogue."""
    mine = _query(indexed, esql, mapped=False)
    theirs = es.esql.query(query=esql)
    assert mine["columns"] == theirs["columns"]
    if "SORT" in esql:
        assert _rows(mine["values"], esql) == _rows(theirs["values"], esql)
    else:
        assert sorted(_rows(mine["values"], esql), key=repr) == sorted(_rows(theirs["values"], esql), key=repr)


@pytest.mark.parametrize("esql", [f"FROM {INDEX} | WHERE no.such.field == 1",
                                  f"FROM {INDEX} | STATS c = COUNT(*) BY host.name | SORT process.pid"])
def test_an_unknown_column_is_refused_as_the_node_refuses_it(es, indexed, esql):
    from elasticsearch import BadRequestError

    events, mapping = indexed
    result = CliRunner().invoke(app, ["query", esql, "--events", str(events), "--mapping", str(mapping), "--json"])
    assert result.exit_code == 2
    with pytest.raises(BadRequestError) as refused:
        es.esql.query(query=esql)
    name = json.loads(result.stdout)["error"].split("[", 1)[1].rstrip("]")
    assert f"Unknown column [{name}]" in str(refused.value)


def test_a_wildcard_field_name_expands_over_the_mappings_fields_as_over_a_data_views(es, indexed):
    # Kibana with a data view: one match per field the pattern covers; the detection engine (no field list)
    # sends the pattern as a field name, which no document has
    with_view = _query(indexed, "event.cat*: network", "--size", "1000")
    theirs = es.search(index=INDEX, query=to_dsl("event.cat*: network", Mapping.load(indexed[1])), size=1000)
    assert _hits(with_view["hits"]["hits"]) == _hits(theirs["hits"]["hits"]) and theirs["hits"]["hits"]
    without = _query(indexed, "event.cat*: network", "--size", "1000", mapped=False)
    assert without["hits"]["total"]["value"] == 0 == \
        es.search(index=INDEX, query=to_dsl("event.cat*: network"))["hits"]["total"]["value"]
