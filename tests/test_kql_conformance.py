"""KQL as Kibana parses it (kbn-es-query grammar) and Elasticsearch answers it, construct by construct."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from elastic_pack import kql
from elastic_pack.kql import KqlSyntaxError, KqlTypeError, evaluate, parse, to_dsl
from elastic_pack.kql.ast import Exists, FreeText, Literal, Match, MatchAll, Nested, Not, Wildcard
from elastic_pack.mapping import Mapping

TYPES = {"path": "keyword", "ip": "ip", "n": "long", "d": "double", "t": "date", "msg": "text",
         "flag": "boolean", "k": "keyword"}


def hit(query: str, document: dict, now: float | None = None) -> bool:
    return evaluate(query, document, TYPES, now=now)


# --- grammar: strings and escapes
def test_backslashes_in_quoted_strings_are_kept_unless_they_escape_a_quote_or_backslash():
    assert parse(r'path: "C:\Windows\System32\cmd.exe"').value.text == r"C:\Windows\System32\cmd.exe"
    assert hit(r'path: "C:\Windows\System32\cmd.exe"', {"path": r"C:\Windows\System32\cmd.exe"})
    assert parse(r'path: "a\\b\"c"').value.text == 'a\\b"c'


def test_escaped_whitespace_and_unicode_are_decoded_in_both_forms():
    assert parse(r'k: "a\tb\nc\r\u0041"').value.text == "a\tb\nc\rA"
    assert parse(r"k: a\tb\u0042").value.text == "a\tbB"


def test_an_escaped_star_is_a_literal_star_and_an_unescaped_one_a_wildcard():
    node = parse(r"k: a\*b")
    assert node.value == Literal("a*b")
    assert hit(r"k: a\*b", {"k": "a*b"}) and not hit(r"k: a\*b", {"k": "axxb"})
    assert parse("k: a*b").value == Wildcard(("a", "b"))
    assert hit("k: a*b", {"k": "axxb"})
    # inside quotes a star is just a character
    assert hit('k: "a*b"', {"k": "a*b"}) and not hit('k: "a*b"', {"k": "axb"})


def test_a_question_mark_is_not_a_kql_wildcard():
    assert hit("k: a?c*", {"k": "a?cd"})
    assert not hit("k: a?c*", {"k": "abcd"})


def test_unquoted_values_may_hold_spaces_and_are_trimmed():
    assert parse("k: foo bar ").value == Literal("foo bar")
    assert hit("k: foo bar", {"k": "foo bar"})


def test_escaped_keywords_and_specials_are_literal():
    assert parse(r"k: \or").value == Literal("or")
    assert parse(r"k: a\:b\(c\)").value == Literal("a:b(c)")


@pytest.mark.parametrize("query", [
    "not(k:a)",            # `not` needs white space after it
    "k:a and(k:b)",        # and/or need white space on both sides
    r"k: \W",              # an escape Kibana does not know
    "not not k:a",         # `not` takes one sub-query
    'k: "open',            # unterminated string
    "k:(a or b",           # unbalanced parenthesis
    "k: a:b",              # a second colon
    "k: not a",            # `not` in a value list only inside parentheses
    "k: *not this*",       # a value ends where `not ` starts, even inside a word
])
def test_what_kibana_rejects_is_a_syntax_error(query):
    with pytest.raises(KqlSyntaxError):
        parse(query)


def test_syntax_errors_carry_line_and_column():
    with pytest.raises(KqlSyntaxError) as caught:
        parse("k: a and\nnot(k:b)")
    assert (caught.value.line, caught.value.column) == (2, 4)
    # an unterminated string is reported where the value starts, as Kibana's grammar reports its named rules
    with pytest.raises(KqlSyntaxError) as caught:
        parse('foo:"ba ')
    assert caught.value.column == 5
    with pytest.raises(KqlSyntaxError) as caught:
        parse('foo:"ba "r"')  # the string ends at the second quote; `r` is then out of place
    assert caught.value.column == 10


def test_not_in_a_value_list_takes_parentheses():
    assert hit("k: (not a)", {"k": "b"}) and not hit("k: (not a)", {"k": "a"})
    assert hit("k: *or", {"k": "xor"}) and hit("k: *and*", {"k": "band1"})  # keywords need white space before


def test_keywords_are_case_insensitive_and_bind_and_before_or():
    node = parse("k:a OR k:b AnD k:c")
    assert hit("k:a OR k:b AnD k:c", {"k": "a"})
    assert not hit("k:a OR k:b AnD k:c", {"k": "b"})
    assert type(node).__name__ == "Or"


# --- fields
def test_wildcard_field_names_expand_where_elasticsearch_expands_them():
    # Elasticsearch 8.19: `match` on "event.*" finds no field; `query_string` and `exists` expand the pattern
    assert isinstance(parse("event.*: x"), Match) and parse("event.*: x").field_glob
    # without a field list (the detection engine's data view is `fields: []`) Kibana sends the pattern as is
    engine = {"event": {"action": "x"}}
    assert not evaluate("event.*: x", engine) and not evaluate("*: x", engine)
    assert evaluate("event.*: x*", engine) and evaluate("event.*: *", engine)
    assert not evaluate("event.*: x*", {"other": {"action": "x"}})
    assert to_dsl("event.*: x") == {"bool": {"should": [{"match": {"event.*": "x"}}], "minimum_should_match": 1}}
    assert parse("*:*") == MatchAll()
    assert hit("*:*", {"anything": 1}) and hit("", {})


def test_wildcard_field_names_expand_over_a_given_mappings_fields_as_a_data_view():
    mapping = {"event.action": "keyword", "event.code": "keyword", "event.count": "long", "user": "keyword"}
    doc = {"event": {"action": "x", "code": "y"}}
    assert evaluate("event.a*: x", doc, mapping) and evaluate("event.cod*: y*", doc, mapping)
    assert not evaluate("event.cod*: x", doc, mapping)
    assert to_dsl("event.a*: x", mapping) == {"bool": {"should": [{"match": {"event.action": "x"}}],
                                                       "minimum_should_match": 1}}
    assert to_dsl("event.*o*: x", mapping)["bool"]["should"] == [{"match": {"event.action": "x"}},
                                                                 {"match": {"event.code": "x"}},
                                                                 {"match": {"event.count": "x"}}]
    with pytest.raises(KqlTypeError):  # match on the long field event.count with "x" fails the search
        evaluate("event.*: x", doc, mapping)
    # a pattern no mapped field matches is sent as it is: nothing has that field
    assert to_dsl("nope*: x", mapping)["bool"]["should"] == [{"match": {"nope*": "x"}}]
    assert not evaluate("nope*: x", {"nope1": "x"}, mapping)


def test_a_lone_wildcard_matches_every_document():
    # Kibana sends query_string "*", which Elasticsearch answers with every document, empty ones too
    assert isinstance(parse("*"), FreeText)
    assert hit("*", {}) and hit("*", {"a": 1})
    assert hit("not k: * or *", {"k": 1})
    assert kql.search("*", [{}, {"a": None}])["hits"]["total"]["value"] == 2


def test_exists_is_any_non_null_value_and_an_empty_string_counts():
    assert parse("k: *") == Exists("k")
    assert hit("k: *", {"k": ""})
    assert not hit("k: *", {"k": None}) and not hit("k: *", {"k": []}) and not hit("k: *", {})
    assert hit("k: *", {"k": [None, "x"]})


def test_not_matches_documents_that_lack_the_field():
    assert hit("not k: a", {})
    assert hit("not k: a", {"k": "b"})
    assert not hit("not k: a", {"k": ["b", "a"]})


def test_free_text_searches_every_field():
    assert isinstance(parse("needle"), FreeText)
    assert hit("needle", {"k": "needle"})
    assert hit("needle", {"msg": "a needle in a haystack"})
    assert not hit("needle", {"k": "needles"})
    assert hit("7", {"n": 7})  # lenient: numbers too
    assert not hit("abc", {"n": 7})  # and a type error is no match, not a failure


def test_nested_queries_hold_within_one_object():
    node = parse("users:{ first: a and last: b }")
    assert isinstance(node, Nested) and node.query.fields() == {"users.first", "users.last"}
    same = {"users": [{"first": "a", "last": "b"}, {"first": "c", "last": "d"}]}
    crossed = {"users": [{"first": "a", "last": "d"}, {"first": "c", "last": "b"}]}
    nested = {"users": "nested"}
    assert evaluate("users:{ first: a and last: b }", same, nested)
    assert not evaluate("users:{ first: a and last: b }", crossed, nested)
    # without nested, arrays of objects are flattened as Elasticsearch flattens them
    assert hit("users.first: a and users.last: b", crossed)
    # and a nested query on a path the mapping does not make nested fails the search (dynamic mapping makes
    # objects, never nested)
    for mapping in ({"users": "object"}, {"users": "keyword"}, Mapping.from_json({"other": "keyword"})):
        with pytest.raises(KqlTypeError, match="failed to find nested object under path \\[users\\]"):
            evaluate("users:{ first: a }", same, mapping)
    # without a mapping the default one is a guess that does not know every integration's nested paths (GCP's
    # policy_delta.binding_deltas): the query's word is taken, within one object as Elasticsearch holds it
    assert evaluate("users:{ first: a and last: b }", same) and not evaluate("users:{ first: a and last: b }", crossed)
    with pytest.raises(KqlTypeError, match="object field, not nested"):  # one the default maps stays an error
        evaluate("host:{ name: a }", {"host": {"name": "a"}})


# --- typed fields
def test_ip_fields_take_cidr_blocks_and_ipv6_spellings():
    assert hit("ip: 10.0.0.0/8", {"ip": "10.255.255.255"})
    assert not hit("ip: 10.0.0.0/8", {"ip": "11.0.0.0"})
    assert hit('ip: "::1"', {"ip": "0:0:0:0:0:0:0:1"})
    assert hit("ip: 1.2.3.4", {"ip": "::ffff:1.2.3.4"})
    assert hit("ip > 10.0.0.9", {"ip": "10.0.0.10"})  # compared as addresses, not as strings
    assert not hit("ip > 10.0.0.9", {"ip": "10.0.0.9"})
    with pytest.raises(KqlTypeError):
        hit("ip: 10.0.0.0/33", {"ip": "10.0.0.1"})


def test_numbers_compare_as_numbers_at_the_edges():
    assert hit("n >= 1024", {"n": 1024}) and not hit("n >= 1024", {"n": 1023})
    assert hit("n > 1024", {"n": 1025}) and not hit("n > 1024", {"n": 1024})
    assert hit("n < 10", {"n": 9}) and not hit("n < 10", {"n": "10"})
    assert hit("n > -1", {"n": 0}) and not hit("n > -1", {"n": -1})
    assert hit("n: 5", {"n": "5"}) and hit("n: 5", {"n": 5.0})
    assert not hit("n: 1.5", {"n": 1})  # a long never equals 1.5
    assert hit("d: 1.5", {"d": 1.5})
    with pytest.raises(KqlTypeError):
        hit("n: abc", {"n": 1})


def test_exists_and_not_on_a_number_field():
    assert parse("n:(* and not 1)") == kql.ast.And((Exists("n"), Not(Match("n", Literal("1")))))
    assert hit("n:(* and not 1)", {"n": 2})
    assert not hit("n:(* and not 1)", {"n": 1})
    assert not hit("n:(* and not 1)", {})


def test_dates_match_the_whole_unit_written_and_date_math_rounds_as_elasticsearch():
    day = {"t": "2024-03-01T23:59:59.999Z"}
    assert hit("t: 2024-03-01", day)
    assert not hit("t: 2024-03-01", {"t": "2024-03-02T00:00:00.000Z"})
    assert hit("t: 2024-03-01", {"t": 1709251200000})  # epoch millis
    assert hit("t <= 2024-03-01", day) and not hit("t < 2024-03-01", day)
    assert hit("t > 2024-02-29", {"t": "2024-03-01T00:00:00Z"})
    assert not hit("t > 2024-02-29", {"t": "2024-02-29T23:59:59.999Z"})
    now = datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc).timestamp()
    assert hit("t >= now-1d", {"t": "2024-03-09T12:00:00Z"}, now=now)
    assert not hit("t >= now-1d", {"t": "2024-03-09T11:59:59.999Z"}, now=now)
    assert hit("t >= now-1d/d", {"t": "2024-03-09T00:00:00Z"}, now=now)
    assert not hit("t >= now-1d/d", {"t": "2024-03-08T23:59:59.999Z"}, now=now)
    assert hit("t <= now/d", {"t": "2024-03-10T23:59:59.999Z"}, now=now)  # lte rounds up
    assert hit('t: "2024-03-01T10:00:00+02:00"', {"t": "2024-03-01T08:00:00Z"})
    # a bound without month or day is not the whole month or year: Elasticsearch fills a rounded-up bound's
    # missing date parts with 01 and only its missing time with 23:59:59.999
    assert hit("t: 2024-03", {"t": "2024-03-01T23:59:59.999Z"}) and not hit("t: 2024-03", {"t": "2024-03-02T00:00:00Z"})
    assert hit("t > 2024-03", {"t": "2024-03-02T00:00:00Z"})
    assert not hit("t > 2024-03", {"t": "2024-03-01T23:59:59.999Z"})
    assert hit("t <= 2024", {"t": "2024-01-01T23:59:59.999Z"}) and not hit("t <= 2024", {"t": "2024-01-02T00:00:00Z"})
    assert hit("t < 2024", {"t": "2023-12-31T23:59:59.999Z"}) and not hit("t < 2024", {"t": "2024-01-01T00:00:00Z"})


def test_text_fields_are_analysed():
    doc = {"msg": "Failed password for root from 10.0.0.1"}
    assert hit("msg: password", doc) and hit("msg: PASSWORD", doc)
    assert hit("msg: root alice", doc)  # match: any word
    assert hit('msg: "password for root"', doc)  # phrase: the words in order
    assert not hit('msg: "root for password"', doc)
    assert not hit("msg: pass", doc)
    assert hit("msg: pass*", doc)


def test_keyword_fields_are_exact_and_case_sensitive():
    assert hit("k: Admin", {"k": "Admin"})
    assert not hit("k: admin", {"k": "Admin"})
    assert not hit("k: Adm", {"k": "Admin"})


def test_booleans():
    assert hit("flag: true", {"flag": True}) and not hit("flag: true", {"flag": False})
    assert hit("flag: false", {"flag": "false"})
    with pytest.raises(KqlTypeError):
        hit("flag: yes", {"flag": True})


def test_wildcards_on_numbers_are_refused_as_elasticsearch_refuses_them():
    with pytest.raises(KqlTypeError):
        hit("n: 1*", {"n": 10})


def test_unknown_fields_are_typed_from_the_value():
    assert evaluate("x: 5", {"x": 5}) and evaluate("x > 4", {"x": 5}) and not evaluate("x > 40", {"x": 5})



# the 8.19 node, an index without a mapping for the field and documents {"lo": 1}, {"lo": 12}, {"k": "x"}:
# dynamic mapping makes lo a long, and `lo: x*` fails ("Can only use prefix queries on keyword, text and
# wildcard fields - not on [lo] which is of type [long]") as on a mapped long; `lo: x` fails (For input
# string: "x"); a field no document has is unmapped and matches nothing
DYNAMIC = [{"lo": 1, "do": 1.5, "bo": True, "st": "xyz", "ob": {"a": 1}}, {"lo": 12, "st": "abc"}, {"k": "x"}]


def ids(query: str, documents: list) -> list[str]:
    return [h["_id"] for h in kql.search(query, documents, mapping={"k": "keyword"})["hits"]["hits"]]


@pytest.mark.parametrize("query", ["lo: x*", "lo: 1*", "lo: *1", "lo: x", 'lo: "x*"', "lo: x?", "do: 1*",
                                   "bo: t*", "bo: x", "ob.a: x*", "not lo: x*", "lo: 1 or lo: x*",
                                   "k: x or lo: x*", "k: nothing and lo: x*"])
def test_a_value_the_dynamically_mapped_type_rejects_fails_the_search(query):
    with pytest.raises(KqlTypeError):
        ids(query, DYNAMIC)


def test_a_dynamically_mapped_field_otherwise_answers_by_its_type():
    assert ids("lo: 1", DYNAMIC) == ["0"] and ids("lo: 12", DYNAMIC) == ["1"] and ids("lo: 1.5", DYNAMIC) == []
    assert ids("lo: *", DYNAMIC) == ["0", "1"] and ids("st: x*", DYNAMIC) == ["0"] and ids("x*", DYNAMIC) == ["0", "2"]
    assert ids("ob: x*", DYNAMIC) == [] and ids("nothere: x*", DYNAMIC) == [] and ids("nothere: x", DYNAMIC) == []
    # one document with the field is enough to map it; none leaves it unmapped
    assert ids("k: x or lo: x*", [{"k": "x"}]) == ["0"]
    with pytest.raises(KqlTypeError):
        ids("k: x or lo: x*", [{"k": "x", "lo": 1}])
    # a value without a field is a lenient multi_match: the long field is skipped, not an error
    assert ids("abc", DYNAMIC) == ["1"]
    with pytest.raises(KqlTypeError):  # one document at a time (evaluate), the value's type still decides
        evaluate("lo: x*", {"lo": 1})

# --- DSL as Kibana builds it
def test_dsl_shapes():
    assert to_dsl("k: a") == {"bool": {"should": [{"match": {"k": "a"}}], "minimum_should_match": 1}}
    assert to_dsl('k: "a b"')["bool"]["should"] == [{"match_phrase": {"k": "a b"}}]
    assert to_dsl("k: a* b")["bool"]["should"] == [{"query_string": {"fields": ["k"], "query": "a* b"}}]
    assert to_dsl("k: a-b*")["bool"]["should"] == [{"query_string": {"fields": ["k"], "query": "a\\-b*"}}]
    assert to_dsl("not k: *") == {"bool": {"must_not": {"bool": {"should": [{"exists": {"field": "k"}}],
                                                                  "minimum_should_match": 1}}}}
    assert to_dsl("needle") == {"multi_match": {"type": "best_fields", "query": "needle", "lenient": True}}
    assert to_dsl("*:*") == {"match_all": {}}
    assert to_dsl("t: 2024-01-01", {"t": "date"})["bool"]["should"] == [
        {"range": {"t": {"gte": "2024-01-01", "lte": "2024-01-01", "time_zone": "UTC"}}}]
    assert to_dsl("u:{ a: b }") == {"nested": {"path": "u", "score_mode": "none", "query": {
        "bool": {"should": [{"match": {"u.a": "b"}}], "minimum_should_match": 1}}}}


def test_the_engine_types_fields_as_the_index_templates_map_them():
    """The local engine reads field types from the catalogue; the Docker tier's index templates map every
    field they define with the same type, so both tiers answer by the same mapping."""
    import json

    from elastic_pack.fields import field_type

    from .conftest import REPO

    def walk(properties, prefix=""):
        for key, spec in properties.items():
            if "properties" in spec:
                yield from walk(spec["properties"], f"{prefix}{key}.")
            if "type" in spec:
                yield f"{prefix}{key}", spec["type"]

    templates = sorted((REPO / "docker" / "index-templates").glob("*.json"))
    assert templates
    for path in templates:
        template = json.loads(path.read_text())
        mapped = dict(walk(template.get("template", template)["mappings"]["properties"]))
        assert mapped and all(field_type(name) == kind for name, kind in mapped.items()), path.name


def test_geo_point_and_flattened_fields_are_objects_in_the_document():
    # a geo_point ({"lat", "lon"}) and a flattened field's keys are spread under `field.` in a flat event:
    # exists holds when one of them has a value; a match on a flattened field tests every leaf value
    types = {"loc": "geo_point", "params": "flattened"}
    event = {"loc.lat": 53.3, "loc.lon": -6.2, "params.maxResults": 50, "params.region": "us-east-1"}
    assert evaluate("loc: *", event, types) and not evaluate("loc: *", {"x": 1}, types)
    assert evaluate("not loc: *", {"x": 1}, types)
    assert evaluate("params: *", event, types)
    assert evaluate("params: 50", event, types) and evaluate("params: us-*", event, types)
    assert not evaluate("params: 51", event, types) and not evaluate("params: 50", {"x": 1}, types)


# --- issue 27: what Elasticsearch 8.19 answers for the DSL Kibana's detection engine sends (checked on a node)
def test_a_wildcard_field_name_is_expanded_only_where_elasticsearch_expands_it():
    # the detection engine's data view has `fields: []`, so Kibana sends the pattern itself as the field name:
    # `match`, `match_phrase` and `range` on "k*" find no field (0 hits); `query_string` fields and `exists`
    # take patterns, and Elasticsearch expands those over the mapping
    event = {"k1": "a", "k2": "b", "n1": 7}
    assert to_dsl("k*: a") == {"bool": {"should": [{"match": {"k*": "a"}}], "minimum_should_match": 1}}
    assert not evaluate("k*: a", event) and not evaluate('k*: "a"', event)
    assert not evaluate("n* > 5", event) and not evaluate("n* >= 7", event)
    assert evaluate("not k*: a", event)
    assert evaluate("k*: a*", event) and not evaluate("k*: c*", event)  # query_string: expanded
    assert evaluate("k*: *", event) and not evaluate("z*: *", event)  # exists: expanded
    assert evaluate("k1: a", event)  # a plain name is untouched


def test_a_nested_query_on_a_field_not_mapped_nested_is_an_error():
    # Elasticsearch: "[nested] failed to find nested object under path [leaf]" for keyword, object alike
    for kind in ("keyword", "object", "long"):
        with pytest.raises(KqlTypeError, match="not nested"):
            evaluate("leaf:{ a: 1 }", {"leaf": "x", "leaf.a": 1}, {"leaf": kind})
    with pytest.raises(KqlTypeError, match="object field, not nested"):  # ECS's `host` is an object
        evaluate("host:{ name: a }", {"host": {"name": "a"}})
    assert evaluate("threat.enrichments:{ indicator.type: ipv4-addr }",  # ECS maps it nested
                    {"threat": {"enrichments": [{"indicator": {"type": "ipv4-addr"}}]}})
    assert evaluate("leaf:{ a: 1 }", {"leaf": [{"a": 1}]}, {"leaf": "nested"})
    assert not evaluate("leaf:{ a: 1 }", {"leaf": [{"a": 2}]}, {"leaf": "nested"})


def test_invalid_date_math_fails_on_a_date_field_and_matches_nothing_elsewhere():
    now = datetime(2024, 3, 10, 12, tzinfo=timezone.utc).timestamp()
    doc = {"t": "2024-03-10T00:00:00Z", "k": "now-1x"}
    for query in ("t > now-1x", "t < now-1x", "t >= now+1x/d", "t: now-1x", "t > now-1d/x"):
        with pytest.raises(KqlTypeError):
            hit(query, doc, now=now)
    assert hit("t > now-1d", doc, now=now) and not hit("t > now-12h", doc, now=now)  # valid: one over, at
    assert not hit("t > now-12h", {"t": "2024-03-10T00:00:00.000Z"}, now=now)
    assert hit("t > now-12h", {"t": "2024-03-10T00:00:00.001Z"}, now=now)
    # a keyword field compares the text; an unmapped one matches nothing: no error from either
    assert not hit("k > now-1x", doc, now=now) and hit("k >= now-1x", doc, now=now)
    assert not evaluate("zz > now-1x", {"x": 1}, {}, now=now)


# --- what the mapping's structure changes (each checked on a real Elasticsearch 8.19 node)
NESTED_MAPPING = {"properties": {
    "n": {"type": "nested", "properties": {"a": {"type": "keyword"}, "c": {"type": "long"}}},
    "labels": {"type": "flattened"},
    "kn": {"type": "keyword", "normalizer": "lowercase"},
    "kc": {"type": "keyword", "normalizer": "my_folding"},
    "o": {"properties": {"a": {"type": "keyword"}}}}}


def _typed(query: str, document: dict) -> bool:
    from elastic_pack.mapping import Mapping

    return evaluate(query, document, Mapping.from_json(NESTED_MAPPING))


def test_a_nested_objects_fields_are_reached_only_by_a_nested_query():
    doc = {"n": [{"a": "x", "c": 1}, {"a": "y", "c": 2}]}
    assert _typed("n:{ a: x and c: 1 }", doc) and not _typed("n:{ a: x and c: 2 }", doc)
    # in a rule (the detection engine's data view lists no fields) the query is sent as written, and outside a
    # nested query Elasticsearch does not search the nested documents: no match, so `not` matches
    from elastic_pack.documents import flatten
    from elastic_pack.kql import compile_kql
    from elastic_pack.mapping import Mapping

    def in_rule(query: str) -> bool:
        return compile_kql(parse(query), Mapping.from_json(NESTED_MAPPING))(flatten(doc))

    assert not in_rule("n.a: x") and not in_rule("n.a: *") and in_rule("not n.a: x")
    assert not _typed("x", doc) and not _typed("x*", doc)  # free text reaches the top-level document only
    # with the mapping as a data view Kibana itself refuses a nested field outside its nested group, a field
    # of another nested object in one, and a plain field in one
    for query, message in [("n.a: x", "is a nested field, but is not in a nested group"),
                           ("o:{ a: x }", 'o.a is not a nested field but is in nested group "o"')]:
        with pytest.raises(KqlTypeError, match=message):
            _typed(query, doc)
        with pytest.raises(KqlTypeError, match=message):
            to_dsl(query, Mapping.from_json(NESTED_MAPPING))
    # a wildcard field name that covers a nested field gets the nested query Kibana adds for it
    assert _typed("n.a*: x", doc) and not _typed("n.a*: z", doc)


def test_a_key_of_a_flattened_field_is_a_leaf_and_takes_no_one_sided_range():
    doc = {"labels": {"team": {"id": "7"}, "env": "prod"}}
    assert _typed("labels: *", doc) and _typed("labels.env: *", doc) and _typed("labels.team.id: *", doc)
    assert not _typed("labels.team: *", doc)  # only labels.team.id has a value
    assert _typed("labels: prod", doc) and _typed("labels.team.id: 7", doc) and not _typed("labels.env: 7", doc)
    with pytest.raises(KqlTypeError, match="both an upper and a lower bound"):
        _typed("labels.env > a", doc)


def test_a_lowercase_normalizer_applies_to_the_values_and_the_query():
    doc = {"kn": "MiXed"}
    assert _typed("kn: mixed", doc) and _typed("kn: MIXED", doc) and _typed("kn: mix*", doc)
    assert not _typed("kn: mixe", doc)
    with pytest.raises(kql.UnsupportedQueryError, match="my_folding"):  # a custom normalizer: refused by name
        _typed("kc: a", {"kc": "A"})


def test_a_nested_query_needs_a_nested_object_and_a_flattened_root_ranges_over_its_keys():
    # `n:{ not a: x }`: some nested object whose a is not x; a document without n has no nested object
    assert _typed("n:{ not a: x }", {"n": [{"a": "x"}, {"a": "y"}]})
    assert not _typed("n:{ not a: x }", {"n": [{"a": "x"}]}) and not _typed("n:{ not a: x }", {"other": 1})
    # a range on the flattened field itself compares every key's value as a keyword
    assert _typed("labels > 5", {"labels": {"a": "1", "b": "6"}}) and not _typed("labels > 5", {"labels": {"a": "1"}})


def test_a_value_longer_than_ignore_above_is_not_indexed_on_the_keyword_field():
    from elastic_pack.mapping import Mapping

    mapping = Mapping.from_json({"properties": {
        "k": {"type": "keyword", "ignore_above": 5, "fields": {"text": {"type": "text"}}}}})
    at, over = "a" * 5, "a" * 6  # at the limit it is indexed, one over it is not
    for query in ("k: *", f"k: {at}", "k: a*", "k > 0", f"k: ({at} or b)"):
        assert evaluate(query, {"k": at}, mapping), query
        assert not evaluate(query, {"k": over}, mapping), query
    assert evaluate("k: *", {"k": [over, "b"]}, mapping)  # the short value of an array still is
    assert evaluate(f"k.text: {over}", {"k": over}, mapping)  # a multi-field has its own limit (none here)
    assert evaluate("k: \U0001F600\U0001F600a", {"k": "\U0001F600\U0001F600a"}, mapping)  # 5 UTF-16 units
    assert not evaluate("k: *", {"k": "\U0001F600\U0001F600\U0001F600"}, mapping)  # 6 units: over


def test_the_value_lookup_on_an_ignore_above_field_answers_as_each_value_tested_in_turn():
    # `k: x` and `k: (x or y ...)` on a keyword with ignore_above are set lookups for one string; a list or a
    # number is left to the general test, so both answer alike on every shape of value
    from elastic_pack.mapping import Mapping

    mapping = Mapping.from_json({"properties": {"k": {"type": "keyword", "ignore_above": 3}}})
    values = ["abc", "abcd", "x", ["abcd", "x"], ["abcd"], 123, 1234, True, [], None, "\U0001F600a", "\U0001F600ab"]
    for query, expected in (("k: abc", ["abc"]), ("k: abcd", []), ("k: 1234", [1234]), ("k: true", [True]),
                            ("k: (abcd or x)", ["x", ["abcd", "x"]]), ("k: (abc or abcd or 123)", ["abc", 123]),
                            ("k: (\U0001F600a or zz)", ["\U0001F600a"]), ("k: (\U0001F600ab or zz)", [])):
        found = [value for value in values if evaluate(query, {"k": value} if value is not None else {}, mapping)]
        assert found == expected, query
    found = [value for value in values if evaluate("k: *", {"k": value} if value is not None else {}, mapping)]
    assert found == ["abc", "x", ["abcd", "x"], 123, 1234, True, "\U0001F600a"]  # `k: *`: a string within the limit
    found = [value for value in values if evaluate("not k: *", {"k": value} if value is not None else {}, mapping)]
    assert found == ["abcd", ["abcd"], [], None, "\U0001F600ab"]


def test_a_value_list_on_a_normalized_keyword_is_normalized_too():
    assert _typed("kn: (mixed or other)", {"kn": "MiXed"}) and not _typed("kn: (mixe or other)", {"kn": "MiXed"})
