"""The mapping every query language answers by, and the exceptions the three languages share."""

import json

import pytest

from elastic_pack import errors, kql
from elastic_pack.mapping import Mapping, as_mapping
from elastic_pack.query import QueryError as OldQueryError, load_mapping

PROPERTIES = {
    "@timestamp": {"type": "date"},
    "user": {"type": "nested", "properties": {"name": {"type": "keyword"}, "roles": {"type": "keyword"}}},
    "process": {"properties": {"name": {"type": "keyword", "fields": {"text": {"type": "match_only_text"}}}}},
    "source.ip": {"type": "ip"},
    "labels": {"type": "flattened"},
    "client_ip": {"type": "alias", "path": "source.ip"},
}


@pytest.mark.parametrize("shape", [
    {"properties": PROPERTIES},
    {"mappings": {"properties": PROPERTIES}},
    {"my-index": {"mappings": {"properties": PROPERTIES}}},  # GET my-index/_mapping
    {"index_patterns": ["logs-*"], "template": {"mappings": {"properties": PROPERTIES}}},  # composable body
    {"index_templates": [{"name": "t", "index_template": {"template": {"mappings": {"properties": PROPERTIES}}}}]},
    {"component_templates": [{"name": "c", "component_template": {"template": {"mappings": {
        "properties": PROPERTIES}}}}]},
    {"mappings": {"_doc": {"properties": PROPERTIES}}},  # a 6.x typed mapping
])
def test_every_shape_elasticsearch_gives_reads_the_same(shape):
    mapping = Mapping.from_json(shape)
    assert mapping("@timestamp") == "date"
    assert mapping("process.name") == "keyword"
    assert mapping("process.name.text") == "match_only_text"
    assert mapping.multi_field_parent("process.name.text") == "process.name"
    assert mapping.multi_field_parent("process.name") is None
    assert mapping("source.ip") == "ip" and mapping("source") == "object"  # a dotted name spells objects
    assert mapping("user") == "nested" and mapping("process") == "object"
    assert mapping.nested_path("user.name") == "user" and mapping.nested_path("process.name") is None
    assert mapping("labels") == "flattened" and mapping("labels.team.id") == "flattened"
    assert mapping("labelsx") is None and mapping("process.nam") is None
    assert mapping("client_ip") == "ip"  # an alias searches its target
    assert mapping.flat()["client_ip"] == "ip"


def test_a_flat_field_to_type_object_is_a_mapping():
    assert Mapping.from_json({"a": "keyword", "b": "long"})("b") == "long"


def test_several_indices_merge():
    mapping = Mapping.from_json({"i1": {"mappings": {"properties": {"a": {"type": "long"}}}},
                                 "i2": {"mappings": {"properties": {"b": {"type": "ip"}}}}})
    assert (mapping("a"), mapping("b")) == ("long", "ip")


def test_not_a_mapping_is_refused_with_the_file_named(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"settings": {"number_of_shards": 1}}))
    with pytest.raises(ValueError, match="m.json"):
        Mapping.load(bad)
    with pytest.raises(OldQueryError, match="--mapping"):
        load_mapping(bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        Mapping.load(bad)


def test_default_is_the_catalogue_and_the_lab_templates():
    default = Mapping.default()
    assert default("process.name") == "keyword"
    assert default("source.ip") == "ip"
    assert default("aws.cloudtrail.flattened.request_parameters.name") == "flattened"
    assert default("no.such.field") is None
    assert as_mapping(None) is default


def test_as_mapping_takes_a_dict_a_callable_or_a_mapping():
    assert as_mapping({"x": "ip"})("x") == "ip"
    assert as_mapping({"properties": {"x": {"type": "ip"}}})("x") == "ip"
    resolver = {"y": "long"}.get
    assert as_mapping(resolver) is resolver
    with pytest.raises(TypeError):
        as_mapping(42)


def test_the_exceptions_are_shared_and_the_old_names_stay():
    assert issubclass(errors.QueryError, errors.ElasticPackError) and issubclass(errors.QueryError, ValueError)
    assert OldQueryError is errors.QueryError
    assert kql.QueryError is errors.QueryError and kql.QuerySyntaxError is errors.QuerySyntaxError
    assert issubclass(kql.KqlSyntaxError, errors.QuerySyntaxError)
    assert issubclass(kql.KqlTypeError, errors.QueryTypeError)
    with pytest.raises(errors.QuerySyntaxError) as caught:
        kql.parse("a: b and\n(c: ")
    assert (caught.value.line, caught.value.column) == (2, 5)


def test_kql_search_answers_in_search_shape_by_the_given_mapping():
    docs = [{"_id": "a", "v": "10"}, {"_id": "b", "v": "9"}, {"v": "100"}]
    # as keyword "9" > "10" (text order); as long 9 < 10
    as_keyword = kql.search("v > 50", docs, mapping={"v": "keyword"})
    assert [h["_id"] for h in as_keyword["hits"]["hits"]] == ["b"]
    as_long = kql.search("v > 50", docs, mapping={"v": "long"})
    assert as_long == {"hits": {"total": {"value": 1, "relation": "eq"},
                                "hits": [{"_id": "2", "_source": {"v": "100"}}]}}
    assert kql.search("v >= 10", docs, mapping={"v": "long"}, size=1)["hits"]["total"]["value"] == 2
    assert len(kql.search("v >= 10", docs, mapping={"v": "long"}, size=1)["hits"]["hits"]) == 1
    # a field the mapping leaves out is mapped dynamically from its value, unless the mapping says dynamic: false
    assert kql.search("v: *", docs, mapping={"w": "long"})["hits"]["total"]["value"] == 3
    assert kql.search("v > 50", docs, mapping={"w": "long"})["hits"]["total"]["value"] == 1  # "9": strings are keywords
    closed = {"dynamic": False, "properties": {"w": {"type": "long"}}}
    assert kql.search("v: *", docs, mapping=closed)["hits"]["total"]["value"] == 0
    assert Mapping.from_json({"mappings": closed}).dynamic is False and Mapping.default().dynamic
