"""`elastic-pack query`: one KQL, EQL or ES|QL query over local events, with --json the body Elasticsearch's
search APIs give (tests/real_es/test_query_command.py compares those bodies with a real node's)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.query import infer_language, run_query

runner = CliRunner()


def _event(i: int, **extra) -> dict:
    return {"@timestamp": f"2026-01-05T09:{i:02d}:00.000Z", "host": {"name": f"h{i % 2}"},
            "event": {"category": "process", "outcome": "failure" if i % 3 == 0 else "success"},
            "process": {"pid": 100 + i}, **extra}


def _write(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def _run(*args: str):
    return runner.invoke(app, ["query", *args])


def _json(*args: str) -> dict:
    result = _run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def events(tmp_path: Path) -> Path:
    return _write(tmp_path / "events.ndjson", [_event(i, **({"_id": f"id-{i}"} if i < 2 else {})) for i in range(12)])


# --- the language --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, language", [
    ("FROM logs-* | LIMIT 1", "esql"), ("  from x", "esql"), ("row a = 1", "esql"),
    ("process where true", "eql"), ("sequence by host.name [any where true] [any where true]", "eql"),
    ("any where process.pid > 1", "eql"), ('process.name: "cmd.exe"', "kql"), ("where: 1", "kql"),
    ("message: from and message: where", "kql"), ("", "kql"),
])
def test_the_language_is_inferred_when_unambiguous(text, language):
    assert infer_language(text) == language


# --- KQL: _search ----------------------------------------------------------------------------------------

def test_kql_is_the_search_response_with_ids_from_the_event_or_its_line(events):
    body = _json("event.outcome: failure", "--events", str(events))
    assert set(body) == {"hits"}
    assert body["hits"]["total"] == {"value": 4, "relation": "eq"}
    assert [h["_id"] for h in body["hits"]["hits"]] == ["id-0", f"{events}:4", f"{events}:7", f"{events}:10"]
    first = body["hits"]["hits"][0]
    assert set(first) == {"_id", "_source"} and "_id" not in first["_source"]  # _id is metadata, not source
    assert first["_source"] == {k: v for k, v in _event(0).items()}


def test_kql_returns_size_hits_and_counts_all(events):
    body = _json("host.name: *", "--events", str(events))
    assert body["hits"]["total"]["value"] == 12 and len(body["hits"]["hits"]) == 10  # _search's default size
    assert len(_json("host.name: *", "--events", str(events), "--size", "3")["hits"]["hits"]) == 3
    assert len(_json("host.name: *", "--events", str(events), "--size", "100")["hits"]["hits"]) == 12


def test_events_from_arrays_search_responses_and_gzip_are_named_by_where_they_are(tmp_path):
    array = tmp_path / "array.json"
    array.write_text(json.dumps([_event(1), _event(2)], indent=2))
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"hits": {"hits": [{"_id": "abc", "_index": "logs", "_source": _event(3)}]}}))
    packed = tmp_path / "more.ndjson.gz"
    packed.write_bytes(gzip.compress((json.dumps(_event(4)) + "\n").encode()))
    body = _json("process.pid >= 101", "--events", str(array), "--events", str(saved), "--events", str(packed))
    assert [h["_id"] for h in body["hits"]["hits"]] == [f"{array}[0]", f"{array}[1]", "abc", f"{packed}:1"]
    assert body["hits"]["hits"][2]["_source"] == _event(3)


def test_from_and_to_are_inclusive_as_a_range_query_gte_and_lte(events, tmp_path):
    body = _json("host.name: *", "--events", str(events), "--from", "2026-01-05T09:03:00Z",
                 "--to", "2026-01-05T09:05:00.000Z")
    assert [h["_source"]["process"]["pid"] for h in body["hits"]["hits"]] == [103, 104, 105]
    # a millisecond past an event leaves it out
    body = _json("host.name: *", "--events", str(events), "--from", "2026-01-05T09:03:00.001Z",
                 "--to", "2026-01-05T09:04:59.999Z")
    assert [h["_source"]["process"]["pid"] for h in body["hits"]["hits"]] == [104]
    # without a @timestamp an event is in no time range, but a query without one finds it
    timeless = _write(tmp_path / "timeless.ndjson", [{"host": {"name": "x"}}])
    assert _json("host.name: x", "--events", str(timeless))["hits"]["total"]["value"] == 1
    assert _json("host.name: x", "--events", str(timeless), "--from", "2000-01-01")["hits"]["total"]["value"] == 0


@pytest.mark.parametrize("low, high, kept", [
    ("2026-01-05T09:04", "2026-01-05T09:04", ["a", "b"]),  # lte: to the minute's last millisecond
    ("2026-01-05T09:04:30Z", "2026-01-05T09:04:30Z", ["b"]),  # lte: to the second's last millisecond
    ("2026-01-05T09:04:30.000Z", "2026-01-05T09:04:30.000Z", []),
    ("2026-01-05", "2026-01-05", ["a", "b", "c"]),  # the whole day
    ("2026-01-05T10:04:30+01:00", "2026-01-05T10:04:59.999+01:00", ["b"]),
])
def test_from_and_to_fill_what_they_leave_out_as_a_range_query_does(tmp_path, low, high, kept):
    path = _write(tmp_path / "e.ndjson", [
        {"_id": "a", "@timestamp": "2026-01-05T09:04:00.000Z"}, {"_id": "b", "@timestamp": "2026-01-05T09:04:30.500Z"},
        {"_id": "c", "@timestamp": "2026-01-05T23:59:59.999Z"}, {"_id": "d", "@timestamp": "2026-01-06T00:00:00Z"}])
    body = _json("@timestamp: *", "--events", str(path), "--from", low, "--to", high)
    assert [h["_id"] for h in body["hits"]["hits"]] == kept


def test_from_after_to_is_one_line_and_exit_2(events):
    result = _run("host.name: *", "--events", str(events), "--from", "2026-01-06", "--to", "2026-01-05")
    assert result.exit_code == 2 and result.stderr.strip().count("\n") == 0 and "--from" in result.stderr


# --- ES|QL: _query ---------------------------------------------------------------------------------------

def test_esql_is_the_query_response_with_columns_in_order_and_typed(events):
    body = _json("FROM logs-* | STATS failures = COUNT(*), top = MAX(process.pid) BY host.name | SORT host.name",
                 "--events", str(events), "--language", "esql")
    assert body == {"columns": [{"name": "failures", "type": "long"}, {"name": "top", "type": "long"},
                                {"name": "host.name", "type": "keyword"}],
                    "values": [[6, 110, "h0"], [6, 111, "h1"]]}


def test_esql_from_alone_lists_the_fields_by_name_and_prints_dates_as_elasticsearch(tmp_path):
    path = _write(tmp_path / "e.ndjson", [{"@timestamp": "2026-01-05T09:00:00Z", "source": {"ip": "10.0.0.1",
                                                                                       "port": "443"},
                                           "message": "hello", "custom": {"n": 1.5}}])
    body = _json("FROM x", "--events", str(path))
    assert body["columns"] == [{"name": "@timestamp", "type": "date"}, {"name": "custom.n", "type": "double"},
                               {"name": "message", "type": "text"}, {"name": "source.ip", "type": "ip"},
                               {"name": "source.port", "type": "long"}]
    assert body["values"] == [["2026-01-05T09:00:00.000Z", 1.5, "hello", "10.0.0.1", 443]]


def test_a_mapping_file_types_the_fields(tmp_path):
    path = _write(tmp_path / "e.ndjson", [{"@timestamp": "2026-01-05T09:00:00Z", "custom": {"n": 7, "f": 0.1}}])
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"mappings": {"properties": {"@timestamp": {"type": "date"}, "custom": {
        "properties": {"n": {"type": "integer"}, "f": {"type": "float"}}}}}}))
    body = _json("FROM x | EVAL m = custom.n + 1", "--events", str(path), "--mapping", str(mapping))
    assert body["columns"] == [{"name": "@timestamp", "type": "date"}, {"name": "custom.f", "type": "double"},
                               {"name": "custom.n", "type": "integer"}, {"name": "m", "type": "integer"}]
    assert body["values"] == [["2026-01-05T09:00:00.000Z", 0.10000000149011612, 7, 8]]  # a float's doc value
    # the index has the mapping's fields only (as dynamic: false): others are neither columns nor searchable
    assert _json("custom.n: 7", "--events", str(path), "--mapping", str(mapping))["hits"]["total"]["value"] == 1
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"@timestamp": "date"}))
    # KQL: a field the mapping leaves out is mapped dynamically (Elasticsearch's default), unless it says
    # dynamic: false
    assert _json("custom.n: 7", "--events", str(path), "--mapping", str(other))["hits"]["total"]["value"] == 1
    closed = tmp_path / "closed.json"
    closed.write_text(json.dumps({"mappings": {"dynamic": False, "properties": {"@timestamp": {"type": "date"}}}}))
    assert _json("custom.n: 7", "--events", str(path), "--mapping", str(closed))["hits"]["total"]["value"] == 0
    assert _json("FROM x", "--events", str(path), "--mapping", str(other))["columns"] == \
        [{"name": "@timestamp", "type": "date"}]
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"custom.n": "keyword"}))
    assert _json("FROM x | KEEP custom.n", "--events", str(path), "--mapping", str(flat))["columns"] == \
        [{"name": "custom.n", "type": "keyword"}]


def test_a_flattened_field_is_one_unsupported_column(tmp_path):
    path = _write(tmp_path / "e.ndjson", [{"@timestamp": "2026-01-05T09:00:00Z", "aws": {"cloudtrail": {"flattened": {
        "request_parameters": {"bucketName": "b", "acl": {"grant": "read"}}}}}}])
    body = _json("FROM x", "--events", str(path))
    assert body["columns"][1] == {"name": "aws.cloudtrail.flattened.request_parameters", "type": "unsupported",
                                  "original_types": ["flattened"]}
    assert body["values"] == [["2026-01-05T09:00:00.000Z", None]]
    kql = _json("aws.cloudtrail.flattened.request_parameters.acl.grant: read", "--events", str(path))
    assert kql["hits"]["total"]["value"] == 1


def test_esql_returns_1000_rows_unless_the_query_limits(tmp_path):
    path = _write(tmp_path / "many.ndjson", [{"n": i} for i in range(1005)])
    assert len(_json("FROM x | KEEP n", "--events", str(path))["values"]) == 1000
    assert len(_json("FROM x | KEEP n | LIMIT 1003", "--events", str(path))["values"]) == 1003


@pytest.mark.parametrize("query", [
    "FROM x | KEEP no.such.field", "FROM x | WHERE no.such.field == 1", "FROM x | SORT no.such.field",
    "FROM x | STATS c = COUNT(*) BY no.such.field", "FROM x | EVAL a = no.such.field + 1",
    "FROM x | STATS c = COUNT(*) BY host.name | SORT process.pid | LIMIT 1",
])
def test_esql_unknown_column_is_one_line_and_exit_2(events, query):
    result = _run(query, "--events", str(events), "--json")
    assert result.exit_code == 2
    name = "process.pid" if "SORT process.pid" in query else "no.such.field"
    assert json.loads(result.stdout) == {"error": f"ES|QL: Unknown column [{name}]"}


def test_a_catalogue_field_no_event_has_is_a_null_column(events):
    """Without --mapping the index is typed by the ECS templates: user.email is mapped, though no event has it."""
    body = _json("FROM x | WHERE user.email IS NULL | STATS c = COUNT(*) BY user.email", "--events", str(events))
    assert body == {"columns": [{"name": "c", "type": "long"}, {"name": "user.email", "type": "keyword"}],
                    "values": [[12, None]]}


# --- EQL: _eql/search ------------------------------------------------------------------------------------

def test_eql_event_query_is_the_eql_response_in_time_order(tmp_path):
    shuffled = [_event(i) for i in (5, 1, 3, 0, 4, 2)]
    path = _write(tmp_path / "e.ndjson", shuffled)
    body = _json("process where process.pid >= 101", "--events", str(path))
    assert [e["_source"]["process"]["pid"] for e in body["hits"]["events"]] == [101, 102, 103, 104, 105]
    assert body["hits"]["total"] == {"value": 5, "relation": "eq"}
    tail = _json("process where process.pid >= 101 | tail 2", "--events", str(path))
    assert [e["_source"]["process"]["pid"] for e in tail["hits"]["events"]] == [104, 105]
    many = _write(tmp_path / "m.ndjson", [_event(i) for i in range(30)])
    recent = _json("any where true", "--events", str(many))["hits"]["events"]  # the 10 most recent, ascending
    assert [e["_source"]["process"]["pid"] for e in recent] == list(range(120, 130))
    first = _json("any where true | head 3", "--events", str(many))["hits"]["events"]
    assert [e["_source"]["process"]["pid"] for e in first] == [100, 101, 102]


def test_eql_sequences_carry_join_keys_and_missing_events(tmp_path):
    path = _write(tmp_path / "e.ndjson", [
        _event(0, _id="a"), _event(1, _id="b"), _event(2, _id="c"), _event(3, _id="d")])
    body = _json("sequence by host.name [process where process.pid == 100] [process where process.pid == 102]",
                 "--events", str(path))
    assert body["hits"]["sequences"] == [{"join_keys": ["h0"], "events": [
        {"_id": "a", "_source": _event(0)}, {"_id": "c", "_source": _event(2)}]}]
    missing = _json("sequence by host.name with maxspan=1h [process where process.pid == 101] "
                    "![process where process.pid == 999] "
                    "[process where process.pid == 103]", "--events", str(path))
    assert [[e["_id"] for e in s["events"]] for s in missing["hits"]["sequences"]] == [["b", "", "d"]]
    assert missing["hits"]["sequences"][0]["events"][1] == {"_index": "", "_id": "", "_source": {}, "missing": True}


# --- errors and the table --------------------------------------------------------------------------------

@pytest.mark.parametrize("query, language, named", [
    ("host.name: (", None, "KQL"),
    ("FROM x | STATS c = COUNT(*) BY", None, "ES|QL"),
    ("process where", "eql", "EQL"),
    ("process where true | unique host.name", None, "unique"),
    ("FROM x | EVAL b = BUCKET(@timestamp, 1 hour)", None, "outside of a STATS"),  # as Elasticsearch 8.19
    ("FROM x | STATS first = MIN(@timestamp)", None, "mismatched input 'first'"),
])
def test_a_bad_or_refused_query_is_one_line_and_exit_2(events, query, language, named):
    args = [query, "--events", str(events)] + (["--language", language] if language else [])
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.strip().count("\n") == 0
    assert named in result.stderr and "Traceback" not in result.output


def test_an_unknown_events_file_or_language_is_one_line(tmp_path, events):
    result = _run("x: 1", "--events", str(tmp_path / "nope.ndjson"))
    assert result.exit_code == 1 and "no such file" in result.stderr and "nope.ndjson" in result.stderr
    result = _run("x: 1", "--events", str(events), "--language", "sql")
    assert result.exit_code == 2 and "--language" in result.stderr


def test_without_json_a_table_shows_values_as_they_are(tmp_path):
    path = _write(tmp_path / "e.ndjson", [_event(0, user={"name": "[b]root[/b]"})])
    path.write_text(path.read_text() + "not json\n")
    result = _run("user.name: *", "--events", str(path))
    assert result.exit_code == 0, result.output
    assert "[b]root[/b]" in result.stdout and "1 hits (KQL) from 1 events" in result.stdout
    assert f"{path}:2: not JSON" in result.stderr
    table = _run("FROM x | KEEP user.name, process.pid", "--events", str(path))
    assert "[b]root[/b]" in table.stdout and "keyword" in table.stdout and "100" in table.stdout


def test_a_keyword_backquoted_is_a_column_name(events):
    body = _json("FROM x | STATS `first` = MIN(process.pid), `last` = MAX(process.pid)", "--events", str(events))
    assert body == {"columns": [{"name": "first", "type": "long"}, {"name": "last", "type": "long"}],
                    "values": [[100, 111]]}


def test_the_library_answers_without_files():
    body = run_query("FROM x | STATS c = COUNT(*)", [{"_id": "1", "a": 1}, {"a": 2}])
    assert body == {"columns": [{"name": "c", "type": "long"}], "values": [[2]]}
    hits = run_query("a: 2", [{"_id": "1", "a": 1}, {"a": 2}])["hits"]["hits"]
    assert hits == [{"_id": "[1]", "_source": {"a": 2}}]
