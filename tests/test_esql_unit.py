"""esql: the sliding STATS the engine keeps between runs equals STATS computed from scratch over the same rows;
null propagates as ES|QL's documentation says."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elastic_pack.esql import parse_esql
from elastic_pack.esql.evaluate import CompiledEsql
from elastic_pack.esql.window import SlidingStats

QUERY = ("FROM logs-* | STATS n = COUNT(*), c = COUNT(x), s = SUM(x), lo = MIN(x), hi = MAX(x), a = AVG(x), "
         "d = COUNT_DISTINCT(u), v = VALUES(u) BY g")
rows = st.lists(st.fixed_dictionaries({"g": st.sampled_from(["a", "b", None]),
                                       "x": st.one_of(st.none(), st.integers(-5, 5)),
                                       "u": st.one_of(st.none(), st.sampled_from(["p", "q", "r"]))}), max_size=30)


def _same(left: dict, right: dict) -> bool:
    if left.keys() != right.keys():
        return False
    for key, value in left.items():
        other = right[key]
        if isinstance(value, float) or isinstance(other, float):
            if value is None or other is None or not math.isclose(value, other):
                return False
        elif value != other:
            return False
    return True


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows, st.integers(0, 30))
def test_sliding_stats_equal_stats_from_scratch(events, expired):
    compiled = CompiledEsql(parse_esql(QUERY))
    aggregates = compiled.stats.aggregates
    names = [name for name, _, _ in aggregates]
    window = SlidingStats(aggregates)
    compacts = [pair for row in events for pair in compiled.compact(compiled.row(row))]
    for key, values in compacts:
        window.add(key, values)
    for key, values in compacts[:expired]:  # the oldest rows leave the window
        window.remove(key, values)
    kept = compacts[expired:]
    expected = {tuple(row.get(n) for n, _ in compiled.stats.by): row for row in compiled.aggregate(kept)}
    got = {key: window.row(key, [n for n, _ in compiled.stats.by], names) for key in {k for k, _ in kept}}
    assert expected.keys() == got.keys()
    for key in expected:
        assert _same(expected[key], got[key]), (key, expected[key], got[key])


def test_null_propagates_and_where_drops_unknown_rows():
    compiled = CompiledEsql(parse_esql('FROM logs-* | WHERE x > 2 OR y == "k" | EVAL z = x + 1'))
    assert compiled.row({"x": 3}) == {"x": 3, "z": 4}
    assert compiled.row({"x": None, "y": "k"}) == {"x": None, "y": "k", "z": None}  # null + 1 is null
    assert compiled.row({"x": None}) is None  # null OR null is null: WHERE keeps only true
    assert compiled.row({"x": 2, "y": "k"})["z"] == 3


def test_sort_puts_nulls_last_ascending_and_first_descending():
    for order, expected in (("ASC", [1, 2, None]), ("DESC", [None, 2, 1])):
        compiled = CompiledEsql(parse_esql(f"FROM logs-* | STATS n = COUNT(*) BY g | SORT g {order}"))
        result = compiled.aggregate([((g,), (1,)) for g in (2, None, 1)])
        assert [r["g"] for r in result] == expected, order


FRAGMENTS = st.sampled_from(["FROM logs-*", "|", "WHERE", "EVAL", "STATS", "BY", "x", "y.z", "`a b`", "==", "(", ")",
                             ",", '"s"', '"""t"""', "1", "2.5", "1 hour", "::", "integer", "RLIKE", "LIKE", "NOT",
                             "IN", "IS", "NULL", "COUNT(*)", "AVG(x)", "KQL(", "MV_EXPAND", "GROK", "DISSECT",
                             "KEEP", "DROP", "RENAME", "AS", "SORT", "DESC", "NULLS", "FIRST", "LIMIT", "/*", "*/",
                             "//", "\n", "{", "}", "%", "-", "*", "WHERE x >"])


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(FRAGMENTS, max_size=25))
def test_any_text_parses_or_fails_with_a_located_syntax_error(parts):
    from elastic_pack.esql import QuerySyntaxError, UnsupportedQueryError

    text = " ".join(parts)
    try:
        query = parse_esql(text)
    except (QuerySyntaxError, UnsupportedQueryError) as exc:
        assert exc.line >= 1 and exc.column >= 1
        return
    try:
        CompiledEsql(query)
    except ValueError:
        pass  # refused by name: a construct the local engine does not run


CONDITION = ('a == "x" AND (b IS NULL OR b == "") AND ((c IN ("p", "q") AND NOT a LIKE "y*") OR c == "r" '
             'OR (a != "z" AND b < "m"))')
values = st.one_of(st.none(), st.sampled_from(["x", "y", "yy", "z", "", "m", "p", "q", "r"]), st.integers(0, 2),
                   st.booleans(), st.lists(st.sampled_from(["x", "p", None]), max_size=3))


def _pairwise(node, leaf, row):
    """AND and OR pair by pair, as ES|QL's three-valued logic defines them (the reference for the chains)."""
    from elastic_pack.esql.ast import BinOp
    from elastic_pack.esql.operands import _scalar

    if isinstance(node, BinOp) and node.op in ("and", "or"):
        stop = node.op == "or"
        left = _scalar(_pairwise(node.left, leaf, row))
        if left is stop:
            return stop
        right = _scalar(_pairwise(node.right, leaf, row))
        if right is stop:
            return stop
        return None if left is None or right is None else not stop
    return leaf(node)(row)


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.fixed_dictionaries({"a": values, "b": values, "c": values}), min_size=1, max_size=40))
def test_where_chains_and_memo_answer_as_pairwise_logic(rows):
    """A WHERE's AND/OR chains (one loop) and its answers kept per string values give what the nested pairs
    give, row after row (strings and nulls memoized; numbers, booleans and lists evaluated every time)."""
    from elastic_pack.esql.expressions import Compiler

    query = parse_esql(f"FROM logs-* | WHERE {CONDITION}")
    where = CompiledEsql(query).before[0]
    condition = query.commands[0].condition
    compiler = Compiler()
    for row in rows:
        expected = _pairwise(condition, compiler.expr, row)
        assert (where(row) is row) == (expected is True), row


PIPELINE = ('FROM logs-* | WHERE a != "z" OR b IS NULL | EVAL k = COALESCE(a, b), n = LENGTH(c) '
            '| WHERE k IS NOT NULL | STATS calls = COUNT(*), d = COUNT_DISTINCT(c), hi = MAX(n) BY k, b')


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.fixed_dictionaries({"a": values, "b": values, "c": values}), min_size=1, max_size=40))
def test_what_stats_takes_of_an_event_is_the_same_kept_or_computed(events):
    """compacts() keeps its answer per combination of string or null source values (the backtest's hot
    path): event after event it equals the row-local commands and STATS' expressions run in full."""
    kept = CompiledEsql(parse_esql(PIPELINE))
    assert kept._compacts_key == ("a", "b", "c")
    for event in events * 2:  # each combination twice: the second answer comes from what was kept
        assert kept.compacts(event) == [c for row in kept.rows(event) for c in kept.compact(row)], event


def test_what_stats_takes_is_not_kept_where_more_than_source_values_decide_it():
    for query in ("FROM logs-* | EVAL t = NOW() | STATS c = COUNT(*) BY t", 'FROM logs-* | WHERE KQL("a: x") '
                  "| STATS c = COUNT(*) BY b", "FROM logs-* | MV_EXPAND a | STATS c = COUNT(*) BY a",
                  'FROM logs-* | WHERE MATCH(a, "x") | STATS c = COUNT(*) BY b'):
        assert CompiledEsql(parse_esql(query))._compacts_key is None, query
