"""documents: the field lookup the engine routes on answers exactly what flattening the document would."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elastic_pack.documents import AMBIGUOUS, MISSING, flatten, lookup
from elastic_pack.engine.events import event_from_document

SEGMENTS = st.sampled_from(["a", "b", "c", "a.b", "b.c", "a.b.c"])
leaves = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2), st.just({}))
documents = st.recursive(
    st.dictionaries(SEGMENTS, leaves, max_size=3),
    lambda children: st.dictionaries(SEGMENTS, st.one_of(leaves, children, st.lists(children, max_size=2)),
                                     max_size=3),
    max_leaves=8)


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents, st.sampled_from(["a", "a.b", "a.b.c", "b.c", "c"]))
def test_lookup_agrees_with_flatten(document, name):
    expected = flatten(document).get(name, MISSING)
    found = lookup(document, name)
    if found is not AMBIGUOUS:  # AMBIGUOUS only sends the caller to flatten
        assert found == expected or (found is MISSING and expected is MISSING)


def test_usual_spellings_answer_without_flattening():
    assert lookup({"event": {"action": "Publish"}}, "event.action") == "Publish"
    assert lookup({"event.action": "Publish"}, "event.action") == "Publish"
    assert lookup({"event": {"action": {"x": 1}}}, "event.action") is MISSING  # an object is not a value
    assert lookup({"event.action": "A", "event": {"action": "B"}}, "event.action") is AMBIGUOUS
    assert lookup({"event": [{"action": "A"}]}, "event.action") is AMBIGUOUS


def test_event_flattens_only_when_a_rule_reads_it():
    event = event_from_document({"@timestamp": "2026-01-05T10:00:00Z", "event": {"action": "Publish"}})
    assert event.get("event.action") == "Publish"
    assert event._fields is None
    assert event.fields == {"@timestamp": "2026-01-05T10:00:00Z", "event.action": "Publish"}
    assert event.get("event.action") == "Publish"


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents)
def test_the_field_extractor_answers_as_flatten_or_steps_aside(document):
    import json

    from elastic_pack.engine.field_extract import FieldExtractor

    names = ["a", "a.b", "b.c", "c"]
    try:
        extractor = FieldExtractor(names)
    except ValueError:  # `a` is both a field and an object here: the extractor refuses such sets
        extractor = FieldExtractor(["a.b", "b.c", "c"])
        names = ["a.b", "b.c", "c"]
    found = extractor.values(json.dumps(document).encode())
    assert found == FieldExtractor.values(extractor, json.dumps(document).encode())  # compiled = the loop
    if found is None:
        return  # the caller decodes the whole document
    flat = flatten(document)
    for name in names:
        expected = flat.get(name)
        assert found.get(name) == expected, name  # an absent field is left out
