"""The local engine follows Elasticsearch's EQL where the eql package's PythonEngine does not."""

from __future__ import annotations

from pathlib import Path

import eql
import pytest
from eql.parser import allow_runs, elasticsearch_syntax, ignore_missing_fields

from elastic_pack.eql.compile import compile_event_query
from elastic_pack.engine.events import Event
from elastic_pack.eql.sequence import SequenceMatcher, Stage
from elastic_pack.eql.parser import parse_eql


def ours(query: str, fields: dict) -> bool:
    parsed = parse_eql(query)
    return compile_event_query(parsed, parsed.tree.first)(fields)


def python_engine(query: str, fields: dict) -> bool:
    with elasticsearch_syntax, allow_runs, ignore_missing_fields:
        tree = eql.parse_query(query)
    hits = []
    engine = eql.PythonEngine()
    engine.add_query(tree)
    engine.add_output_hook(hits.append)
    engine.stream_events([eql.Event("any", 0, fields)])
    return bool(hits)


@pytest.mark.parametrize(
    "query, fields, elasticsearch, python_engine_says",
    [
        ('any where a == "SendEmail"', {"a": "sendemail"}, False, True),  # == is case-sensitive in ES
        ('any where a in ("SendEmail")', {"a": "SENDEMAIL"}, False, True),  # so is in
    ],
)
def test_pinned_differences_from_python_engine(query, fields, elasticsearch, python_engine_says):
    assert ours(query, fields) is elasticsearch
    assert python_engine(query, fields) is python_engine_says


@pytest.mark.parametrize(
    "query, fields, expected",
    [
        ('any where a == "SendEmail"', {"a": "SendEmail"}, True),
        ('any where a : "sendemail"', {"a": "SendEmail"}, True),  # : is case-insensitive
        ('any where a : "send*"', {"a": "SendEmail"}, True),  # and takes wildcards
        ('any where a == "Send*"', {"a": "SendEmail"}, False),  # == does not
        ('any where a in~ ("sendemail", "x")', {"a": "SendEmail"}, True),
        ('any where a in ("sendemail", "x")', {"a": "SendEmail"}, False),
        ('any where a not in~ ("sendemail")', {"a": "SendEmail"}, False),
        ('any where a like~ "SEND*"', {"a": "SendEmail"}, True),
        ('any where a like "SEND*"', {"a": "SendEmail"}, False),
        ('any where startsWith~(a, "send")', {"a": "SendEmail"}, True),
        ('any where startsWith(a, "send")', {"a": "SendEmail"}, False),
        ("any where b == null", {"a": "x"}, True),  # a missing field is null
        ("any where b == null", {"a": "x", "b": None}, True),
        ("any where b != null", {"a": "x"}, False),
        ('any where ?b == "x"', {"a": "x"}, False),  # an optional field compares as null
        ('any where b == ""', {"b": ""}, True),
        ('any where b == "" or b == null', {"b": "AccessDenied"}, False),
        ('any where a == "x"', {"a": ["y", "x"]}, True),  # multi-valued: any value
        # Elasticsearch runs `!=` and `not` as must_not around the term query: what did not match, missing included
        ('any where b != "x"', {"a": "x"}, True),
        ('any where b != "x"', {"b": "y"}, True), ('any where b != "x"', {"b": "x"}, False),
        ('any where b != "x"', {"b": ["x", "y"]}, False),  # one value holds "x": the term query matched
        ('any where "x" != b', {"a": "x"}, True),  # the constant on the left is the same query
        ("any where n != 5", {"a": "x"}, True), ("any where n != 5", {"n": 5}, False),
        ('any where not b == "x"', {"a": "x"}, True),
        ('any where b not in ("x", "y")', {"a": "x"}, True), ('any where b not in ("x", "y")', {"b": "y"}, False),
        ('any where not b : "x*"', {"a": "x"}, True),
        ('any where not startsWith(b, "x")', {"a": "x"}, True),
        ('any where not (b == "x" and c == "y")', {"b": "x"}, True),  # c missing: the and did not match
        ('any where a == "x" and not b == "x"', {"a": "x", "b": "x"}, False),
        ("any where n > 5", {"a": "x"}, False), ("any where not n > 5", {"a": "x"}, True),  # range: must_not
        ('any where length(b) != 3', {"a": "x"}, False),  # a function of the field is a script: null, no match
        # a geo_point is an object in the document: `!= null` is an exists query, which its keys satisfy
        ("any where source.geo.location != null", {"source.geo.location.lat": 1.0, "source.geo.location.lon": 2.0},
         True),
        ("any where source.geo.location == null", {"source.geo.location.lat": 1.0}, False),
        ("any where source.geo.location == null", {"a": "x"}, True),
    ],
)
def test_elasticsearch_semantics(query, fields, expected):
    assert ours(query, fields) is expected


def _events(spec):
    return [Event({"k": key, "s": stage}, float(t), float(t)) for t, key, stage in spec]


def _matcher(runs=1, stages=2, maxspan=None):
    first = lambda f: f["s"] == 0  # noqa: E731
    later = lambda f: f["s"] == 1  # noqa: E731
    first_stage, later_stage = Stage(first, ["k"]), Stage(later, ["k"])
    return SequenceMatcher([first_stage] + [later_stage] * (runs * (stages - 1)), maxspan)


def _feed(matcher, spec):
    found = []
    for event in _events(spec):
        found += matcher.feed(event)
    return found


def test_sequence_by_key_keeps_identities_apart():
    found = _feed(_matcher(), [(0, "a", 0), (1, "b", 1), (2, "b", 0), (3, "a", 1)])
    assert [[e.fields["k"] for e in seq] for seq in found] == [["a", "a"]]


def test_runs_needs_every_repetition():
    spec = [(0, "a", 0)] + [(i, "a", 1) for i in range(1, 10)]
    assert _feed(_matcher(runs=10), spec) == []
    assert len(_feed(_matcher(runs=10), spec + [(10, "a", 1)])) == 1


def test_maxspan_is_inclusive():
    assert len(_feed(_matcher(maxspan=60), [(0, "a", 0), (60, "a", 1)])) == 1
    assert _feed(_matcher(maxspan=60), [(0, "a", 0), (61, "a", 1)]) == []


def test_newest_start_wins_and_older_ones_are_dropped():
    (seq,) = _feed(_matcher(), [(0, "a", 0), (5, "a", 0), (6, "a", 1), (7, "a", 1)])
    assert [e.timestamp for e in seq] == [5.0, 6.0]


def test_only_optional_join_keys_join_on_null():
    """Elasticsearch (since 7.16): `by ?field` may join on null, `by field` needs a value."""
    from elastic_pack.engine.eql_rules import EqlSequenceRule

    from elastic_pack.content.model import RuleFile

    def Rule() -> RuleFile:  # noqa: N802
        return RuleFile(Path("r.toml"), "", {"rule": {"rule_id": "r", "name": "r", "type": "eql", "interval": "5m",
                                                      "from": "now-1h"}})

    events = [Event({"a": 1}, 0.0, 0.0), Event({"b": 1}, 1.0, 1.0)]
    for by, expected in (("k", 0), ("?k", 1)):
        query = parse_eql(f"sequence by {by} [any where a == 1] [any where b == 1]")
        rule = EqlSequenceRule(Rule(), query)
        rule.start(0.0)
        assert sum(len(rule.feed(e)) for e in events) == expected, by
