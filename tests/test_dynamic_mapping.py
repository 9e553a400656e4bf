"""Dynamic field mapping as Elasticsearch applies it (Mapping.dynamic_field / indexed), and the KQL answers
that follow from it. Each expectation is the documented behaviour ("Dynamic field mapping", "Dynamic
templates") as an 8.19 node answered it (/tmp probes against tools/es-node; see the commit message)."""

import pytest

from elastic_pack import errors, kql
from elastic_pack.mapping import DynamicField, Mapping, dynamic_type

TEXT = DynamicField("text", fields={"keyword": DynamicField("keyword", ignore_above=256)})


def types_of(mapping, value):
    made = mapping.dynamic_field("f", value)
    return None if made is None else made.type


# --- the default rules (no dynamic template)
@pytest.mark.parametrize("value, kind", [
    ("x", "text"), (3, "long"), (1.5, "float"), (True, "boolean"), ({"a": 1}, "object"),
    ([None, 5, "x"], "long"),  # an array: its first non-null value
    ([[], ["s"]], "text"),
])
def test_a_json_value_maps_as_elasticsearch_maps_it(value, kind):
    assert types_of(Mapping(), value) == kind


def test_a_string_is_text_with_a_keyword_multi_field_up_to_256():
    assert Mapping().dynamic_field("f", "x") == TEXT


@pytest.mark.parametrize("value", [None, []])
def test_null_and_an_empty_array_add_no_field(value):
    assert Mapping().dynamic_field("f", value) is None
    assert Mapping().indexed([{"f": value}])("f") is None


# date detection, with the default dynamic_date_formats (strict_date_optional_time, yyyy/MM/dd[ HH:mm:ss])
@pytest.mark.parametrize("text", [
    "2024-03-10", "2024-03", "2024-03-10T10", "2024-03-10T10:00:00Z", "2024-03-10T10:00:00.123456789Z",
    "2024-03-10T10:00:00+01:00", "2024-03-10T10Z", "2024-02-29", "2015/09/02", "2015/09/02 10:00:00",
])
def test_a_string_that_passes_date_detection_is_a_date(text):
    assert types_of(Mapping(), text) == "date"


@pytest.mark.parametrize("text", [
    "2024", "2024-3-10", "2024-03-10Z", "2024-03-10 10:00:00", "2023-02-29", "2024-13-01", "2024-03-10T25:00",
    "2024-03-10T10:00:00.1234567891Z", "2015/09/02 10:00:00 +0100", "2015/9/2", " 2024-03-10",
])
def test_a_string_just_short_of_a_date_format_is_text(text):
    assert types_of(Mapping(), text) == "text"


def test_date_detection_off_and_custom_date_formats():
    off = Mapping.from_json({"mappings": {"date_detection": False}})
    assert types_of(off, "2024-03-10") == "text"
    custom = Mapping.from_json({"mappings": {"dynamic_date_formats": ["MM/dd/yyyy"]}})
    assert types_of(custom, "03/10/2024") == "date"
    assert types_of(custom, "3/10/2024") == "text" and types_of(custom, "2024-03-10") == "text"


def test_numeric_detection():
    numeric = Mapping.from_json({"mappings": {"numeric_detection": True}})
    assert [types_of(numeric, v) for v in ("42", "-3", "+5", "4.5", "1e5", " 7", "0x10", "1_000")] == \
        ["long", "long", "long", "float", "float", "float", "text", "text"]
    assert types_of(Mapping(), "42") == "text"  # off unless the mapping says so


# --- dynamic templates
TEMPLATES = Mapping.from_json({"mappings": {"dynamic_templates": [
    {"by_path": {"path_match": "o.*", "path_unmatch": "o.skip", "mapping": {"type": "keyword"}}},
    {"regex": {"match_pattern": "regex", "match": "^x_\\d+$", "mapping": {"type": "keyword"}}},
    {"first": {"match": "w*", "mapping": {"type": "keyword"}}},
    {"second": {"match": "w*", "mapping": {"type": "long"}}},
    {"same": {"match_mapping_type": "*", "match": "same_*", "mapping": {"type": "{dynamic_type}"}}},
    {"numbers": {"match_mapping_type": ["long", "double"], "mapping": {"type": "integer"}}},
    {"bare": {"match": "bare", "mapping": {"index": False}}},
    {"dates": {"match_mapping_type": "date", "match": "kd", "mapping": {"type": "keyword"}}},
    {"strings": {"match_mapping_type": "string", "unmatch": "no_*", "mapping": {
        "type": "keyword", "ignore_above": 8}}},
]}})


def test_a_template_matched_by_path():
    assert TEMPLATES.dynamic_field("o.k", 1).type == "keyword"
    assert TEMPLATES.dynamic_field("o.skip", 1).type == "integer"  # path_unmatch: the next template


def test_a_template_matched_by_type():
    assert TEMPLATES.dynamic_field("n", 1).type == "integer"
    assert TEMPLATES.dynamic_field("n", 1.5).type == "integer"
    assert TEMPLATES.dynamic_field("s", "x") == DynamicField("keyword", ignore_above=8)
    assert TEMPLATES.dynamic_field("no_s", "x") == TEXT  # unmatch: the default


def test_the_first_template_that_matches_wins():
    assert TEMPLATES.dynamic_field("w1", "5").type == "keyword"


def test_a_regex_template_matches_the_whole_name():
    assert TEMPLATES.dynamic_field("x_12", "a b").type == "keyword"
    assert TEMPLATES.dynamic_field("x_a", 2).type == "integer"


def test_dynamic_type_placeholder_and_a_mapping_without_a_type_are_the_detected_defaults():
    assert [TEMPLATES.dynamic_field("same_" + str(i), v).type for i, v in enumerate(["x", 1.5, 2, True])] == \
        ["text", "float", "long", "boolean"]
    assert TEMPLATES.dynamic_field("bare", "x") == DynamicField("text")  # no .keyword: the template's mapping


def test_a_date_string_is_matched_as_date_not_string():
    # Elasticsearch detects the date first: a `string` template does not apply to it, a `date` one does
    strings = Mapping.from_json({"mappings": {"dynamic_templates": [
        {"s": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}]}})
    assert types_of(strings, "2024-03-10") == "date" and types_of(strings, "x") == "keyword"
    assert TEMPLATES.dynamic_field("kd", "2024-03-10").type == "keyword"


def test_the_default_mapping_keeps_the_integrations_keyword_strings():
    default = Mapping.default()
    assert default.date_detection is False  # logs@mappings, which the integrations' templates compose
    assert default.dynamic_type("unmapped.thing", "2024-03-10") == "keyword"
    assert default.dynamic_type("unmapped.thing", "x") == "keyword"
    assert default.dynamic_type("unmapped.thing", 3) == "long"


def test_a_plain_resolver_types_values_as_before():
    assert dynamic_type(lambda name: None, "f", "x") == "keyword"
    assert dynamic_type(lambda name: None, "f", 1.5) == "double"
    assert Mapping.from_json({"a": "keyword"}).dynamic_type("f", "2024-03-10") == "keyword"  # a flat table


# --- the mapping once documents are indexed
def test_indexed_adds_each_field_from_its_first_value():
    after = Mapping().indexed([{"s": "a b", "o": {"n": 1, "d.e": "2024-03-10"}, "z": None}, {"s": 5, "z": 1.5}])
    assert after("s") == "text" and after("s.keyword") == "keyword"
    assert after.multi_field_parent("s.keyword") == "s" and after.longest("s.keyword") == 256
    assert after("o") == "object" and after("o.n") == "long" and after("o.d") == "object"
    assert after("o.d.e") == "date" and after("z") == "float"


def test_indexed_with_a_template_that_makes_an_object_flattened():
    mapping = Mapping.from_json({"mappings": {"dynamic_templates": [
        {"f": {"path_match": "labels", "mapping": {"type": "flattened"}}}]}})
    after = mapping.indexed([{"labels": {"team": "x"}}])
    assert after("labels") == "flattened" and after("labels.team") == "flattened"


def test_dynamic_false_adds_nothing_and_strict_refuses_the_document():
    assert Mapping.from_json({"mappings": {"dynamic": False}}).indexed([{"a": "x"}])("a") is None
    strict = Mapping.from_json({"mappings": {"dynamic": "strict", "properties": {"k": {"type": "keyword"}}}})
    assert strict.indexed([{"k": "x"}])("k") == "keyword"
    with pytest.raises(errors.UnsupportedQueryError, match="strict"):
        strict.indexed([{"k": "x"}, {"k": "y", "extra": 1}])
    with pytest.raises(errors.UnsupportedQueryError, match=r"document \[1\].*extra"):
        kql.search("k: x", [{"k": "x"}, {"k": "y", "extra": 1}], mapping=strict)


# --- KQL over the index the documents make
PLAIN = {"mappings": {"properties": {"k": {"type": "keyword"}}}}
DOCS = [{"k": "a", "s": "Hello World", "ds": "2024-03-10", "f": 0.1, "lng": "a" * 256},
        {"k": "b", "s": "hello", "ds": "2024-03-11T10:00:00Z", "f": 1.5, "lng": "b" * 257},
        {"k": "c", "s": ["the quick", "brown fox"], "ds": "2024-02-01", "lng": "short"}]


def ids(query, mapping=PLAIN):
    return [hit["_id"] for hit in kql.search(query, DOCS, mapping=mapping, size=100)["hits"]["hits"]]


@pytest.mark.parametrize("query, expected", [
    ("s: hello", ["0", "1"]),  # text: analysed words
    ("s: Hello", ["0", "1"]),
    ('s: "hello world"', ["0"]),
    ("s: quick", ["2"]),
    ("s.keyword: hello", ["1"]),  # the keyword multi-field: the exact value
    ('s.keyword: "Hello World"', ["0"]),
    ("s.keyword: Hel*", ["0"]),
    ("ds: 2024-03-10", ["0"]),  # a detected date: the day
    ("ds > 2024-03-01", ["0", "1"]),
    ("f: 0.1", ["0"]),
    ("lng.keyword: *", ["0", "2"]),  # ignore_above 256: the 257-character value is not indexed
    ("lng.keyword: " + "a" * 256, ["0"]),
    ("lng.keyword: " + "b" * 257, []),
    ("lng: " + "b" * 257, ["1"]),  # the text field indexes it
    ("hello", ["0", "1"]),
])
def test_kql_on_fields_dynamic_mapping_adds(query, expected):
    assert ids(query) == expected


def test_kql_wildcard_on_a_detected_date_fails_as_elasticsearch_does():
    with pytest.raises(kql.KqlTypeError):
        ids("ds: 2024*")


def test_kql_on_the_default_mapping_keeps_keyword_strings():
    assert [h["_id"] for h in kql.search("s: hello", DOCS)["hits"]["hits"]] == ["1"]
    assert [h["_id"] for h in kql.search("ds: 2024*", DOCS)["hits"]["hits"]] == ["0", "1", "2"]


# --- EQL and ES|QL over the index the documents make (EQL is not in the real-node tier: Elastic does not
# publish it to Maven; its answers follow from the mapped types, as for mapped fields)
EVENTS = [dict(d, **{"@timestamp": f"2024-03-10T00:00:0{i}Z", "event": {"category": "process"}}) for i, d in enumerate(DOCS)]


def eql_ids(query, mapping=PLAIN):
    from elastic_pack import eql

    return [hit["_id"] for hit in eql.search(query, EVENTS, mapping=mapping, size=100)["hits"]["events"]]


def test_eql_reads_a_dynamic_text_field_through_its_keyword_multi_field():
    assert eql_ids('any where s == "hello"') == ["[1]"]
    assert eql_ids('any where s.keyword == "Hello World"') == ["[0]"]  # the multi-field dynamic mapping adds


def test_eql_compares_a_detected_date_as_a_date():
    assert eql_ids('any where ds == "2024-03-10"') == ["[0]"]
    assert eql_ids('any where ds > "2024-03-10"') == ["[1]"]


def test_eql_fails_on_a_dynamic_text_field_without_an_exact_multi_field():
    from elastic_pack import eql

    bare = {"mappings": {"dynamic_templates": [{"t": {"match_mapping_type": "string", "mapping": {"type": "text"}}}]}}
    with pytest.raises(eql.EqlTypeError, match="No keyword/multi-field"):
        eql_ids('any where s == "hello"', bare)
