"""ES|QL expressions at their edges, answered by the real node (`ROW`) and by the engine (`EVAL` over an empty
document): integer division and overflow, nulls in three-valued logic, conversions that fail, multi-value
functions, string positions, date truncation and differences, rounding. Each expression is one case."""

from __future__ import annotations

import pytest
from elasticsearch import ApiError

from elastic_pack.esql import parse_esql
from elastic_pack.esql.evaluate import CompiledEsql

from .. import es_compare as compare
from .agreement import record

NOON = 'TO_DATETIME("2026-01-05T12:34:56.789Z")'

EXPRESSIONS = [
    # arithmetic: integer division truncates, % keeps the dividend's sign, overflow is null (with a warning)
    "7 / 2", "-7 / 2", "7.0 / 2", "7 % 3", "-7 % 3", "7 % -3", "1 / 0", "1.0 / 0", "2147483647 + 1",
    "9223372036854775807 + 1", "-9223372036854775807 - 2", "3 * -0.5",
    # null logic
    "null == 1", "NOT null", "true OR null", "false OR null", "false AND null", "true AND null",
    "COALESCE(null, 2)", "CASE(false, 1, 2)", "CASE(null, 1, 2)", "CASE(false, 1)", "CASE(true, 1, 2.5)",
    "null IN (1, 2)", "1 IN (null, 1)", "2 IN (null, 1)",
    # strings
    'SUBSTRING("hello", 0, 2)', 'SUBSTRING("hello", 1, 2)', 'SUBSTRING("hello", -3)', 'SUBSTRING("hello", 9)',
    'LOCATE("abcabc", "c")', 'LOCATE("abcabc", "c", 4)', 'LOCATE("abc", "z")', 'LENGTH("héllo")',
    'TO_LOWER("ÄBC")', 'TO_UPPER("straße")', 'CONCAT("a", null)', 'TRIM("  a b ")', 'LEFT("abc", 5)',
    'RIGHT("abc", 2)', 'REPLACE("aaa", "a+", "b")', 'REPLACE("a.b", "\\\\.", "-")', 'SPLIT("a,b,,c", ",")',
    # no string over 1 MB (UTF-8 bytes): null past it, at it the value
    'LENGTH(REPEAT("a", 1048576))', 'LENGTH(REPEAT("a", 1048577))', 'LENGTH(REPEAT("é", 524288))',
    'LENGTH(REPEAT("é", 524289))', 'LENGTH(REPEAT("abcdefgh", 2147483647))', "LENGTH(SPACE(1048576))",
    'LENGTH(CONCAT(REPEAT("a", 600000), REPEAT("a", 448576)))', 'LENGTH(REPLACE(REPEAT("a", 600000), "a", "bb"))',
    'LENGTH(REPLACE(REPEAT("a", 500000), "a", "bb"))', 'REPEAT("a", -1)', "LENGTH(SPACE(1048577))",
    'LENGTH(CONCAT(REPEAT("a", 600000), REPEAT("a", 448577)))',
    'STARTS_WITH("abc", "")', 'ENDS_WITH("abc", "bc")', 'REVERSE("abc")', 'REPEAT("ab", 3)',
    # pattern matching: LIKE and RLIKE match the whole value, case-sensitively
    '"abc" LIKE "a*"', '"abc" LIKE "A*"', '"abc" LIKE "?b?"', '"a*c" LIKE "a\\\\*c"', '"abc" RLIKE "b"',
    '"abc" RLIKE ".*b.*"', '"a.c" RLIKE "a\\\\.c"', '"abc" NOT LIKE "*"',
    # conversions
    'TO_INTEGER("1.5")', "TO_INTEGER(2.5)", "TO_INTEGER(-2.5)", 'TO_LONG("x")', 'TO_BOOLEAN("x")',
    'TO_BOOLEAN("TRUE")', "TO_BOOLEAN(0)", "TO_STRING(1.0)", "TO_STRING(true)", 'TO_DOUBLE("1e3")',
    '"5"::integer + 1', '"1.9"::integer', "TO_STRING(123456789.0)", "TO_STRING(0.1)", 'TO_IP("10.0.0.1")',
    'TO_VERSION("1.2.3")',
    # multi-values
    "MV_COUNT([1, 2, 2])", "MV_DEDUPE([1, 2, 2])", 'MV_SORT([3, 1, 2], "DESC")', "MV_FIRST([3, 1])",
    "MV_LAST([3, 1])", "MV_MAX([1, 5])", "MV_MIN([1, 5])", "MV_SUM([1, 2])", "MV_AVG([1, 2])",
    'MV_CONCAT(["a", "b"], "-")', "MV_SLICE([1, 2, 3], 1, 2)", "MV_SLICE([1, 2, 3], -1)", "MV_MEDIAN([1, 2, 3, 4])",
    "MV_MEDIAN([-1, -2])", "MV_MEDIAN([1.0, 2.0])", "MV_MEDIAN([3, 1, 2])", "MV_MEDIAN(5)",
    "[1, 2] == 1", "TO_STRING([10, 9, 8])", "MV_COUNT(null)",
    # math
    "ROUND(2.5)", "ROUND(-2.5)", "ROUND(1.235, 2)", "ROUND(1234, -2)", "FLOOR(-1.5)", "CEIL(1.2)", "ABS(-3)",
    "POW(2, 10)", "POW(2, 0.5)", "SQRT(-1)", "LOG10(0)", "LOG10(100)", "SIGNUM(-2.5)", "GREATEST(1, 3, 2)",
    "LEAST(1, null)", "PI()", "E()",
    # trigonometry and the other double functions: null outside the domain, EXP past a double's range Infinity
    "SIN(0.7)", "COS(2)", "TAN(-3.5)", "ASIN(0.7)", "ACOS(0.7)", "ATAN(-3.5)", "ATAN2(0.7, -3.5)", "ATAN2(0, 0)",
    "SINH(-3.5)", "COSH(0.7)", "TANH(2)", "EXP(0.7)", "HYPOT(0.7, -3.5)", "TO_DEGREES(-3.5)", "TO_RADIANS(2)",
    "LOG(2, 8)", "LOG(10, 1000000000000)", "LOG(1, 2)", "LOG(0)", "LOG(100)", "-2147483648 / -1",
    "2147483647 * 2", "ASIN(2)", "EXP(1000)", "EXP(-1000)", "SINH(-1000)", "COSH(1000)", "HYPOT(1e308, 1e308)",
    # dates
    f"DATE_TRUNC(1 hour, {NOON})", f"DATE_TRUNC(5 minutes, {NOON})", f"DATE_TRUNC(1 week, {NOON})",
    f"DATE_TRUNC(1 month, {NOON})", f"DATE_TRUNC(1 day, {NOON})", f'DATE_EXTRACT("hour_of_day", {NOON})',
    f'DATE_EXTRACT("day_of_week", {NOON})', f'DATE_EXTRACT("year", {NOON})', f'DATE_EXTRACT("DAY_OF_YEAR", {NOON})',
    f'DATE_EXTRACT("milli_of_second", {NOON})', f'DATE_EXTRACT("aligned_week_of_year", {NOON})',
    f'DATE_EXTRACT("epoch_day", {NOON})', f'DATE_EXTRACT("clock_hour_of_ampm", {NOON})',
    f'DATE_EXTRACT("second_of_day", {NOON})', f'DATE_EXTRACT("no_such_part", {NOON})',
    'DATE_DIFF("month", TO_DATETIME("2026-01-31T00:00:00Z"), TO_DATETIME("2026-02-28T00:00:00Z"))',
    'DATE_DIFF("day", TO_DATETIME("2026-01-01T00:00:00Z"), TO_DATETIME("2025-12-31T00:00:01Z"))',
    'DATE_DIFF("hour", TO_DATETIME("2026-01-01T00:00:00Z"), TO_DATETIME("2026-01-01T00:59:59Z"))',
    f"{NOON} + 1 hour", f"{NOON} - 1 day", 'TO_DATETIME("2026-01-05")', 'TO_DATETIME("garbage")',
    f'{NOON} > "2026-01-01"', f"DATE_TRUNC(5m, {NOON})",
    # DATE_FORMAT: java.time patterns, UTC, Locale.ROOT
    f"DATE_FORMAT({NOON})", f'DATE_FORMAT("yyyy-MM-dd HH:mm:ss", {NOON})', f'DATE_FORMAT("EEE, d MMM yy h:mm a", {NOON})',
    f'DATE_FORMAT("EEEE MMMM DDD SS S SSSS", {NOON})', f'DATE_FORMAT("hh K k X xx Z u \'at\' \'\'", {NOON})',
    'DATE_FORMAT("yyyy", null)',
    # ip
    'CIDR_MATCH(TO_IP("10.1.2.3"), "10.0.0.0/8")', 'CIDR_MATCH(TO_IP("10.1.2.3"), "192.168.0.0/16", "10.1.2.3/32")',
    'IP_PREFIX(TO_IP("10.1.2.3"), 8, 0)', 'TO_IP("10.0.0.1") == "10.0.0.1"',
]

# The engine's answers differ from Elasticsearch 8.19's by design, or the node is older than the construct:
# expression -> why (also in docs/testing.md's named differences).
KNOWN: dict[str, str] = {
    "null == 1": "Elasticsearch 8.19 refuses comparing the null literal; the engine answers null, as the "
                 "comparison of a null field does",
    "CASE(true, 1, 2.5)": "Elasticsearch 8.19 refuses branches of integer and double; newer versions widen "
                          "them to double, as the engine does",
    "MV_SLICE([1, 2, 3], -1)": "Elasticsearch 8.19 fails with a null_pointer_exception (500) on MV_SLICE "
                               "without an end; the engine answers the last value, as the docs describe",
    'REPEAT("a", -1)': "Elasticsearch refuses a negative literal count when it plans the query; the engine "
                       "answers null, as Elasticsearch does for a negative count read from a field",
    "LENGTH(SPACE(1048577))": "Elasticsearch refuses the oversized literal when it plans the query; the engine "
                              "answers null, as Elasticsearch does for a size read from a field",
    'LENGTH(CONCAT(REPEAT("a", 600000), REPEAT("a", 448577)))': "Elasticsearch refuses the folded constant when "
                                                                "it plans the query; the engine answers null",
    "DATE_TRUNC(5m, " + NOON + ")": "Elasticsearch 8.19 refuses the unit `m`; Elastic ships a 9.x rule "
                                    "(defense_evasion_audit_policy_disabled_winlog) writing 5m, read as minutes",
}


def _engine(expression: str):
    compiled = CompiledEsql(parse_esql(f"FROM l | EVAL v = {expression}"), clock=lambda: 0.0)
    rows = compiled.rows({})
    return rows[0].get("v") if rows else None


def _comparable(value, kind: str):
    if kind == "double" and isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"  # as _query writes an infinite double
    if kind in ("date", "date_nanos") and isinstance(value, (int, float)):
        return round(value / 1000.0, 3)  # the engine keeps dates as epoch milliseconds
    if isinstance(value, list) and len(value) > 1:
        return tuple(compare._value(v) for v in value)  # multi-value order is part of these answers
    return compare._value(value)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_expression(es, expression):
    try:
        result = es.esql.query(query=f"ROW v = {expression}")
        kind, node = result["columns"][0]["type"], result["values"][0][0]
    except ApiError as refused:
        node_refused = str(refused)[:200]
    else:
        node_refused = None
    try:
        engine = _engine(expression)
    except (ValueError, TypeError, NotImplementedError) as refused:
        engine_refused = str(refused)[:200]
    else:
        engine_refused = None
    if engine_refused and not node_refused and "does not run" in engine_refused:
        # refused by name: the engine says it cannot answer, which is not a wrong answer
        record("ES|QL expressions the engine refuses by name", True)
        return
    if node_refused or engine_refused:
        agreed = bool(node_refused) and bool(engine_refused)
        record("ES|QL expressions at their edges", agreed or expression in KNOWN)
        if expression in KNOWN:
            pytest.xfail(KNOWN[expression])
        assert agreed, f"node: {node_refused or 'answers ' + repr(node)}; engine: {engine_refused or 'answers ' + repr(engine)}"
        return
    same = _comparable(engine, kind) == _comparable(node, kind)
    record("ES|QL expressions at their edges", same or expression in KNOWN)
    if not same and expression in KNOWN:
        pytest.xfail(KNOWN[expression])
    assert same, f"node {node!r} ({kind}), engine {engine!r}"
