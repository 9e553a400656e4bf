"""elastic_pack.eql's public API: parse() and search() answer as Elasticsearch's _eql/search does."""

import pytest

from elastic_pack import eql


def doc(_id, when, category="process", **fields):
    return {"_id": _id, "@timestamp": when, "event": {"category": category}, **fields}


def ids(response):
    hits = response["hits"]
    if "events" in hits:
        return [e["_id"] for e in hits["events"]]
    return [[e["_id"] for e in s["events"]] for s in hits["sequences"]]


def test_response_has_elasticsearchs_shape():
    response = eql.search("process where true", [doc("a", "2024-01-01T00:00:00Z")])
    assert response["is_partial"] is False and response["is_running"] is False and response["timed_out"] is False
    assert response["hits"]["total"] == {"value": 1, "relation": "eq"}
    assert response["hits"]["events"][0]["_source"]["event"] == {"category": "process"}
    assert "_id" not in response["hits"]["events"][0]["_source"]  # a metadata field, not part of the source


def test_any_date_a_date_field_holds_is_an_event_even_1970():
    # a search has no rule schedule: the engine's "no log is older than 1990" limit does not apply
    docs = [doc("epoch", 0), doc("later", "2017-08-30T20:47:33Z")]
    assert ids(eql.search("process where true", docs)) == ["epoch", "later"]


def test_a_document_without_timestamp_is_no_event():
    assert ids(eql.search("any where true", [{"_id": "x", "a": 1}])) == []


def test_documents_without_id_are_named_by_position():
    response = eql.search("any where true", [{"@timestamp": 1}, {"@timestamp": 2}])
    assert ids(response) == ["[0]", "[1]"]


def test_syntax_error_has_a_position_and_unsupported_pipe_is_refused_by_name():
    with pytest.raises(eql.EqlQueryError) as caught:
        eql.parse("process where (")
    assert (caught.value.line, caught.value.column) == (1, 15)
    with pytest.raises(eql.UnsupportedEql, match="unique"):
        eql.search("process where true | unique a", [doc("a", 1)])


def test_exceptions_are_the_shared_ones():
    from elastic_pack import errors

    assert eql.QueryError is errors.QueryError and eql.QuerySyntaxError is errors.QuerySyntaxError
    assert issubclass(eql.EqlQueryError, errors.QuerySyntaxError)
    assert issubclass(eql.UnsupportedEql, errors.UnsupportedQueryError)
    assert issubclass(eql.EqlTypeError, errors.QueryTypeError)
    assert issubclass(errors.QueryError, errors.ElasticPackError) and issubclass(errors.QueryError, ValueError)


def test_elasticsearch_fails_a_date_field_against_text_that_is_no_date():
    docs = [doc("a", "2024-01-01T00:00:00Z")]
    with pytest.raises(eql.QueryTypeError):
        eql.search('process where @timestamp == "yesterday"', docs, mapping={"@timestamp": "date"})
    with pytest.raises(eql.QueryTypeError):
        eql.search('process where source.ip == "not-an-address"', docs, mapping={"source.ip": "ip"})


def test_join_keys_are_the_value_joined_on_not_the_whole_multi_valued_field():
    # each value of a multi-valued `by` field is a key of its own; the sequence reports the one it matched on
    docs = [doc("r", 1, "web", tags=["tag1", "tag2"]), doc("e", 2, "web", tags="tag2")]
    response = eql.search("sequence by tags [web where true] [web where true]", docs)
    assert [s["join_keys"] for s in response["hits"]["sequences"]] == [["tag2"]]
    assert ids(response) == [["r", "e"]]


def test_an_optional_key_missing_everywhere_joins_on_null_and_reports_it():
    docs = [doc("a", 1), doc("b", 2)]
    response = eql.search("sequence by ?x [process where true] [process where true]", docs)
    assert [s["join_keys"] for s in response["hits"]["sequences"]] == [[None]]


def test_a_sequence_without_by_has_no_join_keys():
    response = eql.search("sequence [process where true] [process where true]", [doc("a", 1), doc("b", 2)])
    assert "join_keys" not in response["hits"]["sequences"][0]


@pytest.mark.parametrize("condition, expected", [
    ('v > "1.5.0"', ["1.11.3", "bad"]),  # numeric parts compare as numbers; no valid version sorts after all
    ('v >= "1.11.3"', ["1.11.3", "bad"]),  # at the bound
    ('v < "1.11.3"', ["1.2.4-SNAPSHOT", "1.2.4", "1.5.0"]),  # one under
    ('v < "1.2.4"', ["1.2.4-SNAPSHOT"]),  # a pre-release sorts before its release
    ('v <= "1.2.4"', ["1.2.4-SNAPSHOT", "1.2.4"]),
    ('"1.5.0" < v', ["1.11.3", "bad"]),  # the constant on the left
    ('v == "1.5.0"', ["1.5.0"]),
])
def test_ranges_on_a_version_field_follow_elasticsearchs_version_order(condition, expected):
    values = ["1.2.4-SNAPSHOT", "1.2.4", "1.5.0", "1.11.3", "bad"]
    docs = [doc(value, index, "file", v=value) for index, value in enumerate(values)]
    assert ids(eql.search(f"file where {condition}", docs, mapping={"v": "version"})) == expected


def test_a_version_range_from_a_bound_that_is_no_version_is_refused():
    with pytest.raises(eql.UnsupportedQueryError, match="version"):
        eql.search('file where v > "bad"', [doc("a", 1, "file", v="1.0")], mapping={"v": "version"})


def test_on_a_keyword_field_the_same_range_compares_text():
    docs = [doc("a", 1, "file", v="1.11.3"), doc("b", 2, "file", v="1.5.1")]
    assert ids(eql.search('file where v > "1.5.0"', docs, mapping={"v": "keyword"})) == ["b"]


def test_a_field_neither_mapped_nor_in_any_document_fails_the_search_unless_optional():
    docs = [doc("a", 1, user="x")]
    with pytest.raises(eql.QueryTypeError, match=r"Unknown column \[nosuch\]"):
        eql.search('process where nosuch == "x"', docs, mapping={"event.category": "keyword"})
    assert ids(eql.search('process where ?nosuch == null', docs, mapping={"event.category": "keyword"})) == ["a"]
    # in a document (a dynamic mapping adds it), or in the mapping without a document holding it: a column
    assert ids(eql.search('process where user == "x"', docs, mapping={"event.category": "keyword"})) == ["a"]
    assert ids(eql.search('process where other == "x"', docs, mapping={"other": "keyword"})) == []
    with pytest.raises(eql.QueryTypeError, match="Unknown column"):
        eql.search('sequence by nosuch [process where true] [process where true]', docs)


def test_an_alias_reads_its_target_and_a_multi_field_its_parent():
    mapping = {"properties": {"event_type": {"type": "keyword"},
                              "event": {"properties": {"category": {"type": "alias", "path": "event_type"}}},
                              "host": {"type": "text", "fields": {"keyword": {"type": "keyword"}}}}}
    docs = [{"_id": "a", "@timestamp": 1, "event_type": "process", "host": "web-1"},
            {"_id": "b", "@timestamp": 2, "event_type": "file", "host": "web-2"}]
    assert ids(eql.search('process where host.keyword == "web-1"', docs, mapping)) == ["a"]
    assert ids(eql.search('sample by host.keyword [process where true] [file where true]', docs, mapping)) == []
    assert ids(eql.search('sequence [process where true] [file where event.category == "file"]', docs, mapping)) \
        == [["a", "b"]]


def test_comparing_two_fields_is_a_syntax_error_unless_an_optional_field_may_make_it_null():
    with pytest.raises(eql.QuerySyntaxError, match="Comparisons against fields"):
        eql.parse("process where a == b")
    # `?x == ?y`: Elasticsearch runs it when the index lacks x or y (null), fails it otherwise
    with pytest.raises(eql.UnsupportedQueryError, match="optional"):
        eql.parse("process where ?x == ?y")


def test_with_dynamic_false_a_field_the_mapping_lacks_is_no_column():
    mapping = {"dynamic": False, "properties": {"event": {"properties": {"category": {"type": "keyword"}}},
                                                 "@timestamp": {"type": "date"}}}
    docs = [doc("a", 1, user="x")]
    with pytest.raises(eql.QueryTypeError, match=r"Unknown column \[user\]"):
        eql.search('process where user == "x"', docs, mapping)
    assert ids(eql.search("process where ?user == null", docs, mapping)) == ["a"]  # in _source only
    assert ids(eql.search("process where ?user == null", docs, {**mapping, "dynamic": True})) == []


def test_a_text_field_compares_through_its_keyword_multi_field_and_fails_without_one():
    docs = [doc("a", 1, msg="Disk full")]
    with_keyword = {"properties": {"msg": {"type": "text", "fields": {"raw": {"type": "keyword"}}}}}
    assert ids(eql.search('process where msg == "Disk full"', docs, with_keyword)) == ["a"]
    for mapping in ({"msg": "text"}, {"msg": "match_only_text"},
                    {"properties": {"msg": {"type": "text", "fields": {"words": {"type": "text"}}}}}):
        with pytest.raises(eql.QueryTypeError, match=r"exact matches for \[msg\]"):
            eql.search('process where msg == "Disk full"', docs, mapping)


def test_missing_stages_before_between_and_after_the_positive_ones():
    # ![x] [n] ![x] [n] ![x]: no x anywhere, so each pair of consecutive n events is a sequence, the three
    # missing stages marked in place; an x between two n events breaks that pair only
    docs = [doc(f"n{i}", i, "test", tag="n") for i in (1, 2, 4)]
    query = ('sequence with maxspan=1h ![test where tag == "x"] [test where tag == "n"] ![test where tag == "x"] '
             '[test where tag == "n"] ![test where tag == "x"]')
    found = eql.search(query, docs)["hits"]["sequences"]
    assert [[e["_id"] or "-" for e in s["events"]] for s in found] == [["-", "n1", "-", "n2", "-"],
                                                                       ["-", "n2", "-", "n4", "-"]]
    assert all(s["events"][0] == {"_index": "", "_id": "", "_source": {}, "missing": True} for s in found)
    docs.append(doc("x3", 3, "test", tag="x"))
    found = eql.search(query, docs)["hits"]["sequences"]
    assert [[e["_id"] or "-" for e in s["events"]] for s in found] == [["-", "n1", "-", "n2", "-"]]


def test_the_requests_category_timestamp_and_tiebreaker_fields():
    docs = [{"_id": "late", "when": 20, "kind": "process", "seq": 1},
            {"_id": "b", "when": 10, "kind": "process", "seq": 3},
            {"_id": "a", "when": 10, "kind": "process", "seq": 2},
            {"_id": "c", "when": 10, "kind": "process"}]
    request = {"event_category_field": "kind", "timestamp_field": "when"}
    assert ids(eql.search("process where true", docs, **request)) == ["b", "a", "c", "late"]  # ties: as given
    # the tiebreaker orders events of one time (a missing one last), then the order given
    assert ids(eql.search("process where true", docs, tiebreaker_field="seq", **request)) == ["a", "b", "c", "late"]
    found = eql.search("sequence [process where true] [process where true] | head 1", docs, tiebreaker_field="seq",
                       **request)
    assert ids(found) == [["a", "b"]]


def test_size_keeps_the_most_recent_results_unless_result_position_is_head():
    docs = [doc(f"e{i}", i) for i in range(5)]
    assert ids(eql.search("process where true", docs, size=2)) == ["e3", "e4"]
    assert ids(eql.search("process where true", docs, size=2, result_position="head")) == ["e0", "e1"]
    assert ids(eql.search("process where true | head 3", docs, size=2)) == ["e0", "e1"]  # the size caps a pipe
    with pytest.raises(ValueError):
        eql.search("process where true", docs, result_position="middle")


# Elasticsearch's Analyzer replaces an optional field the index lacks with a null literal in a condition, then
# its optimizer's ReplaceNullChecks makes `a == null` `a is null` and `a != null` `not a is null` (before any
# constant folding): `?x == ?y` over an index with neither is `null is null`, true for every event (the QA
# specs sequenceOptionalFieldAsQueryKeysOnly and optionalFieldAsQueryKeysOnly); two fields it has fail the query
COMPARED = [doc("a", 1, k="v"), doc("b", 2, p="1"), doc("c", 3)]


@pytest.mark.parametrize("query, expected", [
    ("process where ?x == ?y", ["a", "b", "c"]),   # neither: null == null
    ("process where ?x != ?y", []),                 # not (null is null)
    ("process where ?p == ?y", ["a", "c"]),         # p is in a document: p is null
    ("process where ?y == ?p", ["a", "c"]),         # either side
    ("process where ?p != ?y", ["b"]),              # p is not null
    ("process where p == ?y", ["a", "c"]),          # a mandatory field the index has
    ("process where ?m == ?y", ["a", "b", "c"]),    # mapped, in no document: null in every event
    ("process where ?x == ?y and k == \"v\"", ["a"]),
    ("process where not ?x == ?y", []),
])
def test_an_optional_field_the_index_lacks_compares_as_null(query, expected):
    assert ids(eql.search(query, COMPARED, mapping={"m": "keyword", "event.category": "keyword"})) == expected


def test_comparing_fields_the_index_has_fails_and_what_elasticsearch_does_not_say_is_refused():
    mapping = {"m": "keyword", "event.category": "keyword"}
    with pytest.raises(eql.QuerySyntaxError, match=r"Comparisons against fields .*offender \[p\]"):
        eql.search("process where ?k == ?p", COMPARED, mapping=mapping)
    with pytest.raises(eql.QuerySyntaxError, match="Comparisons against fields"):
        eql.search('process where k == p and ?x == "1"', COMPARED, mapping=mapping)
    with pytest.raises(eql.QueryTypeError, match=r"Unknown column \[nosuch\]"):
        eql.search("process where nosuch == ?x", COMPARED, mapping=mapping)
    with pytest.raises(eql.UnsupportedQueryError, match="order comparison"):
        eql.search("process where ?x < ?y", COMPARED, mapping=mapping)
    with pytest.raises(eql.UnsupportedQueryError, match="function or arithmetic"):
        eql.search("process where length(?x) == ?y", COMPARED, mapping=mapping)
    # with `dynamic: false` a field only in the documents is not the index's: null
    closed = {"dynamic": False, "properties": {"event": {"properties": {"category": {"type": "keyword"}}}}}
    assert ids(eql.search("process where ?p == ?y", COMPARED, closed)) == ["a", "b", "c"]


def test_optional_fields_compared_in_a_sequence_join_on_null():
    docs = [doc("a", 1, "process", t=1), doc("b", 2, "file", t=1)]
    found = eql.search("sequence by t [process where ?x == ?y] by ?x [file where true] by ?y", docs)
    assert ids(found) == [["a", "b"]] and found["hits"]["sequences"][0]["join_keys"] == [1, None]
