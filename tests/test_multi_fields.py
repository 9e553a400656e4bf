"""A query on a multi-field reads its parent's values, as Elasticsearch indexes them: found on the real node
(tests/real_es) with Elastic's rules on `process.name.caseless`, which no document holds itself."""

from __future__ import annotations

import pytest

from elastic_pack import kql
from elastic_pack.fields import multi_field_parent

DOC = {"process": {"name": "PathPing.EXE", "command_line": "pathping -n 8.8.8.8"}}


def test_which_names_are_multi_fields():
    assert multi_field_parent("process.name.caseless") == ("process.name", True)
    assert multi_field_parent("process.name.text") == ("process.name", False)  # ECS: match_only_text of a keyword
    assert multi_field_parent("process.name") is None
    assert multi_field_parent("process.parent.name") is None  # an object's field, not a multi-field


@pytest.mark.parametrize("query, expected", [
    ('process.name.caseless: "pathping.exe"', True),   # the normalizer lowercases the document's value
    ('process.name.caseless: "PATHPING.exe"', True),   # ... and the query's
    ('process.name.caseless: ("ping.exe" or "pathping.exe")', True),
    ('process.name.caseless: "pathping.ex"', False),   # one character short: no match
    ("process.name.caseless: path*", True),
    ("process.name.caseless: PATH*", True),
    ("process.name.caseless: *", True),
    ('not process.name.caseless: "pathping.exe"', False),
    ('process.name: "pathping.exe"', False),           # the keyword itself keeps its case
    ("process.name.text: pathping.exe", True),         # the text multi-field is analysed
    ("process.command_line.text: pathping", True),
])
def test_queries_on_multi_fields_read_the_parent(query, expected):
    assert kql.evaluate(query, DOC) is expected


def test_a_document_without_the_parent_has_no_multi_field():
    assert kql.evaluate("process.name.caseless: *", {"process": {"pid": 4}}) is False
    assert kql.evaluate('not process.name.caseless: "x"', {"process": {"pid": 4}}) is True
