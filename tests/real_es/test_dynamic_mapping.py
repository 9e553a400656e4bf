"""Dynamic field mapping against the real node: documents with fields the index's mapping lacks are indexed
into indices with a plain mapping, with dynamic templates, and with date detection off and numeric detection
on; KQL (the DSL Kibana builds for a data view of the index as it then is) and ES|QL must answer as the engine
does given the same mapping (Mapping.indexed maps the fields as the node did). No EQL: the node has none.
Not here: a string date detection reads with the default's second format (`2015/09/02`): the node maps it
a date of format `yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis`, and the engine reads neither its values nor
query values by a date field's format (it reads strict_date_optional_time and epoch millis)."""

from __future__ import annotations

import pytest

from elastic_pack import esql, kql
from elastic_pack.errors import QueryError
from elastic_pack.mapping import Mapping

BASE = {"@timestamp": {"type": "date"}, "k": {"type": "keyword"}}
INDICES = {
    "dyn-plain": {"properties": BASE},
    "dyn-templates": {"properties": BASE, "dynamic_templates": [
        {"by_path": {"path_match": "o.*", "mapping": {"type": "keyword"}}},
        {"regex": {"match_pattern": "regex", "match": "^x_\\d+$", "mapping": {"type": "keyword"}}},
        {"ip": {"match": "*_ip", "match_mapping_type": "string", "mapping": {"type": "ip"}}},
        {"first": {"match": "w*", "mapping": {"type": "keyword"}}},
        {"second": {"match": "w*", "mapping": {"type": "long"}}},
        {"longs": {"match_mapping_type": "long", "mapping": {"type": "integer"}}},
        {"strings": {"match_mapping_type": "string", "match": "s", "mapping": {"type": "keyword", "ignore_above": 8}}},
    ]},
    "dyn-detection": {"properties": BASE, "date_detection": False, "numeric_detection": True},
}
DOCS = [
    {"@timestamp": "2024-03-10T00:00:00Z", "k": "x", "s": "Hello World", "ds": "2024-03-10", "n": 5, "f": 1.5,
     "b": True, "o": {"x": "Foo Bar", "y": 3}, "lng": "a" * 256, "num": "42", "w1": "5", "x_12": "a b",
     "src_ip": "10.0.0.1"},
    {"@timestamp": "2024-03-10T00:00:01Z", "k": "y", "s": "hello", "ds": "2024-03-11T10:00:00Z", "n": 7, "f": 0.1,
     "b": False, "o": {"x": "foo"}, "lng": "b" * 257, "num": "4.5", "w1": "6", "x_12": "c", "src_ip": "192.168.0.1"},
    {"@timestamp": "2024-03-10T00:00:02Z", "k": "z", "s": ["the quick", "brown fox"], "ds": "2024-02-01",
     "n": [1, 100], "o": {"x": ["x", "y"]}, "lng": "short", "num": "-3", "dd": "2024-3-10"},
    {"@timestamp": "2024-03-10T00:00:03Z", "k": "w", "other": None, "dd": "2023-02-29"},
]
KQL = ["s: hello", "s: Hello", 's: "hello world"', "s.keyword: hello", 's.keyword: "Hello World"', "s: hel*",
       "s.keyword: Hel*", "s: *", "s: quick", "s > h", "s.keyword > h", "ds: 2024-03-10", "ds > 2024-03-01",
       "ds: 2024*", "ds.keyword: 2024-03-10", "ds: *", "n: 5", "n > 6", "n: 5.5", "f: 0.1", "f > 1", "b: true",
       "o.x: foo", "o.x: Foo", "o.x.keyword: foo", "o.y: 3", "o: *", "lng.keyword: *", "lng: *",
       "lng.keyword: " + "a" * 256, "lng.keyword: " + "b" * 257, "lng: " + "b" * 257, "num: 42", "num > 4",
       "num: 4.5", "num.keyword: 42", "w1: 5", "w1 > 5", "x_12: a", 'x_12: "a b"', "src_ip: 10.0.0.0/8",
       "src_ip.keyword: 10.0.0.1", "dd: 2024-3-10", "dd.keyword: 2023-02-29", "hello", "foo", "5", "other: *",
       "not s: *", "s*: hello", "o.*: foo"]
ESQL = ["FROM {i} | KEEP s, s.keyword, ds, n, f, b | SORT n NULLS LAST, s.keyword",
        'FROM {i} | WHERE s == "hello" | KEEP k', 'FROM {i} | WHERE ds > "2024-03-01" | KEEP k, ds | SORT k',
        "FROM {i} | KEEP o.x, o.x.keyword, o.y | SORT o.x.keyword", "FROM {i} | KEEP lng.keyword | SORT lng.keyword",
        "FROM {i} | KEEP num, w1, x_12, src_ip, dd | SORT dd", "FROM {i} | WHERE f < 1 | KEEP f"]


@pytest.fixture(scope="module")
def indices(es):
    for name, mappings in INDICES.items():
        es.options(ignore_status=404).indices.delete(index=name)
        es.indices.create(index=name, mappings=mappings)
        for position, document in enumerate(DOCS):
            es.index(index=name, id=str(position), document=document)
        es.indices.refresh(index=name)
    yield {name: Mapping.from_json(es.indices.get_mapping(index=name).body) for name in INDICES}
    for name in INDICES:
        es.options(ignore_status=404).indices.delete(index=name)


def _node_ids(es, index, dsl):
    try:
        body = es.search(index=index, query=dsl, size=100).body
    except Exception:
        return "error"
    if body["_shards"].get("failed"):
        return "error"
    return sorted(int(hit["_id"]) for hit in body["hits"]["hits"])


def _engine_ids(index, query):
    try:
        hits = kql.search(query, [dict(d, _id=str(i)) for i, d in enumerate(DOCS)],
                          mapping={"mappings": INDICES[index]}, size=100)["hits"]["hits"]
    except QueryError:
        return "error"
    return sorted(int(hit["_id"]) for hit in hits)


@pytest.mark.parametrize("index", sorted(INDICES))
def test_kql_on_dynamically_mapped_fields_answers_as_the_node(es, indices, index):
    differ = [(query, node, ours) for query in KQL
              if (node := _node_ids(es, index, kql.to_dsl(query, indices[index]))) != (ours := _engine_ids(index, query))]
    assert not differ


def test_the_engine_maps_the_fields_as_the_node_did(indices):
    docs = [dict(d) for d in DOCS]
    for index, node in indices.items():
        ours = Mapping.from_json({"mappings": INDICES[index]}).indexed(docs)
        assert ours.flat() == node.flat(), index
        assert ours.ignore_above == node.ignore_above, index


@pytest.mark.parametrize("index", sorted(INDICES))
def test_esql_on_dynamically_mapped_fields_answers_as_the_node(es, indices, index):
    differ = []
    for template in ESQL:
        query = template.format(i=index)
        try:
            node = es.esql.query(query=query).body
            node = {"columns": node["columns"], "values": node["values"]}
        except Exception:
            node = "error"
        try:
            ours = esql.search(query, [dict(d) for d in DOCS], mapping={"mappings": INDICES[index]})
            ours = {"columns": ours["columns"], "values": ours["values"]}
        except QueryError:
            ours = "error"
        if node != ours:
            differ.append((query, node, ours))
    assert not differ
