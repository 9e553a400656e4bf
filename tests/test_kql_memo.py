"""A compiled KQL query keeps its answer per combination of the string values it reads (elastic_pack.memo):
document after document, the kept answers equal the query evaluated in full, and queries whose answer depends
on more than their fields' own values (wildcard fields, free text, nested, `now`, objects) are never kept."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elastic_pack.kql import parse_kql
from elastic_pack.kql.evaluate import _Compiler, compile_kql
from elastic_pack.mapping import Mapping

MAPPING = Mapping.from_json({"properties": {
    "action": {"type": "keyword"},
    "provider": {"type": "keyword", "ignore_above": 3},
    "message": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
    "code": {"type": "keyword", "normalizer": "lowercase"},
    "bytes": {"type": "long"},
    "when": {"type": "date"},
}})

QUERIES = [
    'action: (SendEmail or Publish) and not provider: *',
    'message.keyword: "Hello World" or message: hello',
    'code: ABC and bytes >= 10',
    'action: Send* and not (provider: ses or code: x)',
    'when < "2026-03-02T00:00:00Z" or action: Publish',
]

texts = st.sampled_from(["SendEmail", "Publish", "ses", "sesx", "Hello World", "hello", "ABC", "abc", "x", ""])
values = st.one_of(st.none(), texts, st.integers(0, 20), st.booleans(), st.lists(texts, max_size=2),
                   st.sampled_from(["2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z"]))
documents = st.lists(st.dictionaries(st.sampled_from(["action", "provider", "message", "message.keyword", "code",
                                                      "bytes", "when"]), values), min_size=1, max_size=30)


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents)
def test_kept_answers_equal_the_query_evaluated_in_full(docs):
    for text in QUERIES:
        tree = parse_kql(text)
        kept = compile_kql(tree, MAPPING)
        full = _Compiler(MAPPING, lambda: 0.0).compile(tree)
        assert kept is not full and kept.__name__ == "kept", text
        for doc in docs * 2:  # each document twice: the second answer is the kept one
            try:
                expected = full(doc)
            except ValueError:  # a value the field's type rejects fails the search: not kept either
                with pytest.raises(ValueError):
                    kept(doc)
                continue
            assert kept(doc) == expected, (text, doc)


@pytest.mark.parametrize("text", ["a*: x", "SendEmail", "@timestamp > now-1h", "user: { name: x }",
                                  "labels: *", "unmapped: x"])
def test_queries_reading_more_than_their_fields_own_values_are_not_kept(text):
    mapping = Mapping.from_json({"properties": {"@timestamp": {"type": "date"}, "labels": {"type": "object"},
                                                "user": {"type": "nested", "properties": {"name": {"type": "keyword"}}},
                                                "a1": {"type": "keyword"}}})
    assert _Compiler(mapping, lambda: 0.0).keys_read(parse_kql(text)) is None
    assert compile_kql(parse_kql(text), mapping).__name__ != "kept"


def test_a_multi_field_reads_its_parent_key_too():
    assert _Compiler(MAPPING, lambda: 0.0).keys_read(parse_kql("message.keyword: x")) == {"message.keyword", "message"}
