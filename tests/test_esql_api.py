"""elastic_pack.esql's public API (issue 24): parse, search with a mapping, the shared exceptions."""

from __future__ import annotations

import pytest

from elastic_pack import errors, esql
from elastic_pack.mapping import Mapping

DOCS = [{"_id": "a", "host": {"name": "h1"}, "bytes": 10, "@timestamp": "2025-01-01T00:00:00Z"},
        {"_id": "b", "host": {"name": "h1"}, "bytes": 5, "@timestamp": "2025-01-01T00:00:01Z"},
        {"_id": "c", "host": {"name": "h2"}, "bytes": 7, "extra": "x"}]


def test_the_exceptions_are_the_shared_ones():
    assert esql.QueryError is errors.QueryError
    assert esql.QuerySyntaxError is errors.QuerySyntaxError
    assert esql.UnsupportedQueryError is errors.UnsupportedQueryError
    assert issubclass(esql.EsqlSyntaxError, errors.QuerySyntaxError)
    assert issubclass(esql.UnsupportedEsql, errors.UnsupportedQueryError)
    assert issubclass(errors.QueryError, ValueError) and issubclass(errors.QueryError, errors.ElasticPackError)


def test_parse_gives_a_typed_tree_for_from_and_row():
    from elastic_pack.esql.ast import Eval, Stats, Where

    tree = esql.parse('FROM logs-* | WHERE x > 1 | STATS c = COUNT(*) BY h')
    assert tree.sources == ("logs-*",) and not tree.row
    assert [type(c) for c in tree.commands] == [Where, Stats]
    row = esql.parse("ROW a = 1, b = [1, 2] | EVAL c = a + 1")
    assert row.row and row.sources == () and isinstance(row.commands[0], Eval)


@pytest.mark.parametrize("text, line, column", [
    ("FROM l | WHERE x >", 1, 19),             # ends inside an expression
    ("FROM l\n| EVAL = 1", 2, 8),               # no name before =
    ("FROM l | STATS first = MIN(x)", 1, 16),  # `first` is a keyword unless backquoted
    ("ROW", 1, 4),                              # ROW needs a column
])
def test_syntax_errors_are_located(text, line, column):
    with pytest.raises(esql.QuerySyntaxError) as caught:
        esql.parse(text)
    assert (caught.value.line, caught.value.column) == (line, column)


def test_refused_constructs_are_unsupported_not_syntax_errors():
    with pytest.raises(esql.UnsupportedQueryError, match="ENRICH"):
        esql.parse("FROM l | ENRICH policy ON x")
    with pytest.raises(esql.UnsupportedQueryError, match="FOO_BAR"):
        esql.search("FROM l | EVAL y = FOO_BAR(x)", [{"x": 1}])


def test_search_answers_in_the_query_api_shape():
    body = esql.search("FROM logs | STATS n = COUNT(*), b = SUM(bytes) BY host.name | SORT host.name", DOCS,
                       mapping={"host.name": "keyword", "bytes": "long"})
    assert body == {"columns": [{"name": "n", "type": "long"}, {"name": "b", "type": "long"},
                                {"name": "host.name", "type": "keyword"}],
                    "values": [[2, 15, "h1"], [1, 7, "h2"]]}


def test_a_flat_dict_holds_only_its_fields_and_a_mapping_those_dynamic_mapping_adds():
    query = "FROM logs | KEEP *"
    flat = esql.search(query, DOCS, mapping={"host.name": "keyword", "bytes": "long"})
    assert [c["name"] for c in flat["columns"]] == ["bytes", "host.name"]  # `extra` is not in a flat table
    assert flat["values"][0] == [10, "h1"]
    properties = {"host": {"properties": {"name": {"type": "keyword"}}}, "bytes": {"type": "long"}}
    closed = esql.search(query, DOCS, mapping={"mappings": {"dynamic": False, "properties": properties}})
    assert closed == flat
    # an index with this mapping (dynamic by default) maps the fields the documents add, as Elasticsearch does
    json_body = esql.search(query, DOCS, mapping={"mappings": {"properties": properties}})
    as_object = esql.search(query, DOCS, mapping=Mapping({"host.name": "keyword", "bytes": "long"}))
    assert json_body == as_object
    assert json_body["columns"] == [
        {"name": "@timestamp", "type": "date"}, {"name": "bytes", "type": "long"}, {"name": "extra", "type": "text"},
        {"name": "extra.keyword", "type": "keyword"}, {"name": "host.name", "type": "keyword"}]
    coerced = esql.search(query, [{"bytes": "12"}], mapping={"bytes": "long"})
    assert coerced["values"] == [[12]]  # a long field reads "12" as 12, as the index stores it


def test_dynamic_fields_are_typed_as_elasticsearch_maps_them():
    docs = [{"s": "Hello", "f": 0.1, "ds": "2024-03-10", "lng": "a" * 257}, {"s": "x", "lng": "short"}]
    body = esql.search("FROM l | KEEP s, s.keyword, f, ds, lng.keyword", docs,
                       mapping={"mappings": {"properties": {}}})
    assert body["columns"] == [{"name": "s", "type": "text"}, {"name": "s.keyword", "type": "keyword"},
                               {"name": "f", "type": "double"}, {"name": "ds", "type": "date"},
                               {"name": "lng.keyword", "type": "keyword"}]
    # f is a float field (ES|QL widens its value); the 257-character value is past .keyword's ignore_above
    assert body["values"] == [["Hello", "Hello", 0.10000000149011612, "2024-03-10T00:00:00.000Z", None],
                              ["x", "x", None, None, "short"]]


def test_without_a_mapping_every_field_is_a_column_and_a_callable_types_them():
    body = esql.search("FROM logs | KEEP bytes, extra", DOCS)
    assert body["columns"] == [{"name": "bytes", "type": "long"}, {"name": "extra", "type": "keyword"}]
    typed = esql.search("FROM logs | KEEP bytes", DOCS, mapping=lambda name: "double" if name == "bytes" else None)
    assert typed == {"columns": [{"name": "bytes", "type": "double"}], "values": [[10.0], [5.0], [7.0]]}


def test_multi_fields_index_their_parents_value():
    mapping = {"mappings": {"properties": {"name": {"type": "text", "fields": {"raw": {"type": "keyword"}}}}}}
    body = esql.search('FROM l | WHERE name.raw == "A b" | KEEP name, name.raw', [{"name": "A b"}, {"name": "c"}],
                       mapping=mapping)
    assert body["values"] == [["A b", "A b"]]


def test_metadata_id_is_the_documents_id_and_row_reads_no_documents():
    body = esql.search("FROM logs METADATA _id | WHERE bytes > 5 | KEEP _id | SORT _id", DOCS)
    assert body["values"] == [["a"], ["c"]]  # bytes 10 and 7; 5 is not above 5
    assert esql.search("ROW a = 1", DOCS) == {"columns": [{"name": "a", "type": "integer"}], "values": [[1]]}


def test_an_unknown_column_is_the_error_elasticsearch_gives():
    with pytest.raises(esql.QueryError, match=r"Unknown column \[nope\]"):
        esql.search("FROM logs | KEEP nope", DOCS, mapping={"bytes": "long"})


def test_query_command_library_still_answers_es_ql():
    from elastic_pack.query import QueryError, run_query

    assert run_query("ROW a = 2 | EVAL b = a * 2", [])["values"] == [[2, 4]]
    with pytest.raises(QueryError, match="^ES\\|QL: "):
        run_query("FROM l | WHERE", [])


def test_an_aggregated_ip_or_version_compares_after_stats_as_its_type():
    # checked on the 8.19 node: MAX over an ip column is an ip, and `== "10.0.0.10"` casts the literal to one
    docs = [{"ip": "10.0.0.9", "v": "1.2.0"}, {"ip": "10.0.0.10", "v": "1.11.0"}]
    mapping = {"ip": "ip", "v": "version"}
    assert esql.search('FROM t | STATS top = MAX(ip) | WHERE top == "10.0.0.10"', docs, mapping=mapping)["values"] \
        == [["10.0.0.10"]]
    assert esql.search('FROM t | STATS top = MAX(v) | WHERE top > "1.9"', docs, mapping=mapping)["values"] == [["1.11.0"]]
    assert esql.search('FROM t | STATS low = MIN(ip) | WHERE low == "10.0.0.10"', docs, mapping=mapping)["values"] == []
