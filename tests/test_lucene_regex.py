"""Lucene regular expressions on RE2: the operators Lucene shares with Python's re answer as re does; any
text either compiles or is refused with a ValueError (never another error, never a hang); EQL's regex uses
the same translation."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elastic_pack.lucene_regex import LuceneRegex, translate

ATOMS = st.sampled_from(["a", "b", ".", "[ab]", "[^a]", '"a.b"', "\\.", "\\d"])
PYTHON_OF = {'"a.b"': "a\\.b"}  # the same language in Python's syntax


@st.composite
def shared_patterns(draw, depth=2):
    """(Lucene pattern, the same pattern in Python's syntax) from operators both have."""
    if depth == 0 or draw(st.booleans()):
        atom = draw(ATOMS)
        return atom, PYTHON_OF.get(atom, atom)
    kind = draw(st.sampled_from(["concat", "or", "star", "plus", "optional", "repeat"]))
    left = draw(shared_patterns(depth - 1))
    if kind in ("concat", "or"):
        right = draw(shared_patterns(depth - 1))
        joiner = "" if kind == "concat" else "|"
        return f"({left[0]}{joiner}{right[0]})", f"({left[1]}{joiner}{right[1]})"
    suffix = {"star": "*", "plus": "+", "optional": "?", "repeat": "{1,2}"}[kind]
    return f"({left[0]}){suffix}", f"({left[1]}){suffix}"


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(shared_patterns(), st.text(alphabet="ab.\n1", max_size=6))
def test_shared_operators_answer_as_python_re(patterns, text):
    lucene, python = patterns
    assert LuceneRegex([lucene]).fullmatch(text) == bool(re.fullmatch(python, text, re.DOTALL | re.ASCII))


@settings(max_examples=500, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet='ab.*+?|()[]{}^$"\\@#&~<>-,1 \n', max_size=12))
def test_any_text_compiles_or_is_refused_by_name(pattern):
    try:
        LuceneRegex([pattern]).fullmatch("ab")
    except ValueError as exc:
        assert pattern in str(exc) or repr(pattern) in str(exc)


def test_case_insensitive_and_literals():
    assert LuceneRegex(["abc"], insensitive=True).fullmatch("ABC")
    assert not LuceneRegex(["abc"]).fullmatch("ABC")
    assert translate('"a b"') == "(?:a\\x{20}b)"  # one literal string: a repeat after it repeats all of it
    assert LuceneRegex(['"(x)"']).fullmatch("(x)")


def test_eql_regex_runs_on_the_same_engine():
    from elastic_pack.eql.compile import UnsupportedEql, _string_test

    test = _string_test("match", ["(a+)+b"], False)
    assert test("a" * 30 + "b") and not test("a" * 5000)  # at once: an automaton, no backtracking
    assert _string_test("match", ["ab@"], True)("ABxyz")
    with pytest.raises(UnsupportedEql, match="regex"):
        _string_test("match", ["a&b"], False)


@pytest.mark.parametrize("pattern, text, matches", [
    ("*sh.{1,2}-c*", "*shxx-cc", True), ("*sh.{1,2}-c*", "bash -c", False),  # a leading * is a character
    ("x|*y", "*y", True), ("(*a)", "*a", True),  # so after | and (
    ("a**", "aaa", True), ("a+*", "", True), ("a{2}{3}", "a" * 6, True), ("a{2}{3}", "a" * 4, False),
    ('"ab"*', "ababab", True), ('"ab"*', "abb", False),  # a quoted string repeats whole
])
def test_repeat_operators_as_lucene_reads_them(pattern, text, matches):
    assert LuceneRegex([pattern]).fullmatch(text) is matches
