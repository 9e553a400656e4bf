"""glob: wildcard matching that agrees with a regular expression and never backtracks."""

from __future__ import annotations

import re
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elastic_pack.glob import glob


def _regex(pattern: str, insensitive: bool) -> re.Pattern:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if insensitive else 0))


@settings(max_examples=500, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet="ab*?\n", max_size=8), st.text(alphabet="abAB\n", max_size=12), st.booleans())
def test_glob_agrees_with_the_regular_expression(pattern, text, insensitive):
    expected = _regex(pattern, insensitive).fullmatch(text) is not None
    assert (glob(pattern, insensitive).fullmatch(text) is not None) is expected


def test_escapes_and_edges():
    assert glob(r"a\*b", escapes=True).fullmatch("a*b") and not glob(r"a\*b", escapes=True).fullmatch("axb")
    assert glob("*").fullmatch("") and glob("a*").fullmatch("a") and not glob("a*a").fullmatch("a")
    assert glob("*ab*ab").fullmatch("abab") and not glob("*ab*ab").fullmatch("ab")


def test_a_pathological_pattern_on_a_long_command_line_is_linear():
    line = "a" * 20_000  # `.*a.*a.*a.*b` as a regular expression backtracks for minutes on this
    start = time.perf_counter()
    assert glob("*a*a*a*b").fullmatch(line) is None
    assert time.perf_counter() - start < 10  # a hang guard, not a speed goal: the regex takes minutes
