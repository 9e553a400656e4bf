"""ES|QL as Elasticsearch 8.19 verifies and answers it, for what the held-out csv-spec suite found (each checked
on the real 8.19 node): functions and syntax of later versions are errors, STATS expressions over the groups
alone, aggregates reading BY's aliases, WEIGHTED_AVG's constant forms, COUNT_DISTINCT's precision."""

from __future__ import annotations

import pytest

from elastic_pack.errors import QueryError, UnsupportedQueryError
from elastic_pack.esql import search

EMPLOYEES = [{"emp_no": 10001 + i, "languages": i % 3 + 1, "salary": 40000 + 1000 * (i % 4),
              "first_name": name} for i, name in enumerate(["Ann", "Bo", "Cy", "Di", "Eve", "Flo"])]
MAPPING = {"emp_no": "integer", "languages": "integer", "salary": "integer", "first_name": "keyword"}


def run(query: str, documents: list | None = None) -> dict:
    return search(query, EMPLOYEES if documents is None else documents, mapping=MAPPING)


def test_to_text_is_an_unknown_function_in_8_19():
    with pytest.raises(QueryError, match=r"Unknown function \[TO_TEXT\]"):
        run('ROW x = "a" | EVAL y = TO_TEXT(x)')
    assert run('ROW x = 1 | EVAL y = TO_STRING(x)')["values"] == [[1, "1"]]  # the 8.19 name


def test_rlike_takes_one_pattern_like_takes_a_list():
    with pytest.raises(QueryError, match="expecting QUOTED_STRING"):
        run('ROW x = "abc" | WHERE x RLIKE ("a.*", "b.*")')
    assert run('ROW x = "abc" | WHERE x RLIKE "a.*"')["values"] == [["abc"]]
    assert run('ROW x = "abc" | WHERE x LIKE ("a*", "b*")')["values"] == [["abc"]]
    assert run('ROW x = "abc" | WHERE x NOT LIKE ("a*", "b*")')["values"] == []


@pytest.mark.parametrize("query", ["ROW x = 1 | EVAL y = null IN (1)", "ROW x = 1 | EVAL y = x IN (null)",
                                   "FROM e | WHERE emp_no IN (null)"])
def test_in_with_one_value_null_on_one_side_is_a_verification_error(query):
    with pytest.raises(QueryError, match="IN with one value"):
        run(query)


@pytest.mark.parametrize("query, expected", [
    ("ROW x = 1 | EVAL y = x IN (null, 1)", True),  # two values: no longer an equality, null is unknown
    ("ROW x = 1 | EVAL y = x IN (null, null)", None),
    ("ROW x = 1 | EVAL y = null IN (null, 1)", None),
    ("ROW x = null | EVAL y = x IN (null)", None),  # null on both sides
    ("ROW x = 1 | EVAL y = x IN (1)", True),
])
def test_in_answers_as_the_node(query, expected):
    assert run(query)["values"][0][-1] is expected


def test_stats_expression_over_the_groups_alone():
    body = run("FROM e | STATS e = LENGTH(f) + 1 BY f = first_name | SORT f | LIMIT 2")
    assert body["values"] == [[4, "Ann"], [3, "Bo"]]
    assert [c["type"] for c in body["columns"]] == ["integer", "keyword"]
    with pytest.raises(QueryError, match=r"column \[languages\] must appear in the STATS BY clause"):
        run("FROM e | STATS e = languages BY f = first_name")
    with pytest.raises(QueryError, match="needs an aggregate"):
        run("ROW a = 1 | STATS x = 1")  # the node: expected an aggregate function but found [1]


def test_aggregates_over_a_by_alias_take_its_type():
    body = run("FROM e | STATS m = MAX(a), c = COUNT(a) BY a = languages + emp_no | SORT a | LIMIT 1")
    assert [c["type"] for c in body["columns"]] == ["integer", "long", "integer"]
    assert body["values"] == [[10002, 1, 10002]]


def test_weighted_avg_constant_forms_and_a_zero_weight():
    rows = [{"v": [1, 2, 3]}]
    body = search("FROM e | STATS a = WEIGHTED_AVG(v, 2), b = WEIGHTED_AVG([1, 2, 3], v)", rows,
                  mapping={"v": "integer"})
    assert body["values"] == [[2.0, 2.0]]  # a constant weight: AVG; a constant value: MV_AVG of it
    # over no rows: the constant value still answers (the node: 3.0), the average is null
    assert run("FROM e | WHERE emp_no < 0 | STATS a = WEIGHTED_AVG(3, salary), b = WEIGHTED_AVG(salary, 2)"
               )["values"] == [[3.0, None]]
    for weight in ("0", "null"):
        with pytest.raises(QueryError, match="cannot be null or 0"):
            run(f"FROM e | STATS w = WEIGHTED_AVG(salary, {weight})")


def test_count_distinct_precision_exact_up_to_the_threshold_refused_past_it():
    assert run("FROM e | STATS c = COUNT_DISTINCT(salary, 4)")["values"] == [[4]]  # at the threshold
    assert run("FROM e | STATS c = COUNT_DISTINCT(salary, 5)")["values"] == [[4]]  # one over
    with pytest.raises(UnsupportedQueryError, match="precision threshold 3"):
        run("FROM e | STATS c = COUNT_DISTINCT(salary, 3)")  # one under: Elasticsearch estimates


def test_sum_of_null_is_refused_by_name():
    with pytest.raises(UnsupportedQueryError, match="SUM of null"):
        run("ROW x = 1 | STATS s = SUM(null) | EVAL r = s + 1")
    assert run("FROM e | STATS s = SUM(1 + null)")["values"] == [[None]]


@pytest.mark.parametrize("expr, expected", [
    ("ROUND(12345, -2)", 12300), ("ROUND(-12355, -1)", -12360), ("ROUND(TO_LONG(-15), -1)", -20),
    ("ROUND(12344, -1)", 12340), ("ROUND(12345, -1)", 12350),  # one under the half, at the half
    ("ROUND(2147483647, -1)", -2147483646),  # an integer's result is cast back to 32 bits, as Java (the node)
    ("ROUND(12345, -20)", 0), ("ROUND(12345, 2)", 12345),
    ("ROUND(TO_UL(9223372036854775804), -1)", 9223372036854775800),  # exact, not through a double
    ("ROUND(18446744073709551615)", 18446744073709551615),
    ("ROUND(18446744073709551614, -1)", 18446744073709551610),
    ("ROUND(18446744073709551615, -19::long)", None),  # past 2^64 - 1: null
    ("ROUND(18446744073709551615, -20::long)", 0),
    ("ROUND(1.5)", 2.0), ("ROUND(-2.5, 0)", -3.0), ("ROUND(1234.5678, 2)", 1234.57),
])
def test_round_whole_numbers_exactly(expr, expected):
    assert run(f"ROW x = 1 | EVAL v = {expr}")["values"][0][-1] == expected


def test_round_of_a_long_past_its_range_fails_the_query():
    with pytest.raises(QueryError, match="long overflow"):
        run("ROW x = 9223372036854775807 | EVAL a = ROUND(x, -1)")


@pytest.mark.parametrize("expr, expected", [
    ("TO_UL(9223372036854775807) + TO_UL(1)", 9223372036854775808),
    ("18446744073709551614 + TO_UL(1)", 18446744073709551615),  # at the edge
    ("18446744073709551615 + TO_UL(1)", None),  # one over
    ("TO_UL(0) - TO_UL(1)", None),  # under 0
    ("TO_UL(9223372036854775807) * TO_UL(2)", 18446744073709551614),
    ("18446744073709551615 / TO_UL(2)", 9223372036854775807), ("TO_UL(5) % TO_UL(0)", None),
    ("MV_SUM([1, 9223372036854775806, 9223372036854775808])", 18446744073709551615),
    ("MV_SUM([0, 1, 18446744073709551615])", None),
])
def test_unsigned_long_arithmetic(expr, expected):
    assert run(f"ROW x = 1 | EVAL v = {expr}")["values"][0][-1] == expected


def test_unsigned_long_with_another_type_is_a_type_error():
    with pytest.raises(QueryError, match=r"incompatible types \[unsigned_long\] and \[integer\]"):
        run("ROW x = TO_UL(1) + 1")


def test_round_to_and_cbrt():
    body = run("ROW v = 1 | EVAL a = ROUND_TO(v, 2, -1, 9, 0, 100), b = ROUND_TO(v, 2, 3), "
               "c = ROUND_TO(v, 0, 1.1, 2.2), d = ROUND_TO(null, 1, 2), e = ROUND_TO(v, 1, 2)")
    assert body["values"] == [[1, 0, 2, 0.0, None, 1]]  # at a point: that point; below them all: the smallest
    assert [c["type"] for c in body["columns"]][1:] == ["integer", "integer", "double", "integer", "integer"]
    dated = run('ROW v = "2025-02-02T01:00:00Z"::DATE | EVAL r = ROUND_TO(v, "2025-01-01T00:00:00Z"::DATE, '
                '"2025-02-01T00:00:00Z"::DATE)')
    assert dated["values"][0][1] == "2025-02-01T00:00:00.000Z"
    with pytest.raises(QueryError, match="must be constants"):
        run("ROW v = 1 | EVAL r = ROUND_TO(v, v, 3)")
    # Java's Math.cbrt (fdlibm), as the 8.19 node answers: exact for cubes, 1.2599210498948732 for 2
    assert run("ROW a = CBRT(27.0), b = CBRT(2.0), c = CBRT(-8), d = CBRT(1e-310)")["values"] == [
        [3.0, 1.2599210498948732, -2.0, 4.641588833612774e-104]]


def test_a_string_literal_given_to_a_number_function_is_a_double():
    assert run('ROW x = 1 | EVAL a = ABS("10"), b = SQRT("4"), c = ROUND("1.5")')["values"] == [[1, 10.0, 2.0, 2.0]]
    with pytest.raises(QueryError, match=r"Cannot convert string \[x\] to \[DOUBLE\]"):
        run('ROW x = 1 | EVAL a = ABS("x")')


@pytest.mark.parametrize("pattern, text, expected", [
    ("yyyy-MM-dd", "2023-02-01", "2023-02-01T00:00:00.000Z"),
    ("yyyy-MM-dd HH:mm:ss.SSS", "2023-02-01 12:15:55.123", "2023-02-01T12:15:55.123Z"),
    ("dd/MM/yyyy", "01/02/2023", "2023-02-01T00:00:00.000Z"),
    ("yyyy", "2023", "2023-01-01T00:00:00.000Z"), ("HH:mm", "10:20", "1970-01-01T10:20:00.000Z"),
    ("yyyy-MM-dd'T'HH:mm", "2023-02-01T10:20", "2023-02-01T10:20:00.000Z"),
    ("yyyy-MM-dd", "2023-2-01", None),  # MM: two digits exactly
    ("yyyy-M-d", "2023-012-001", "2023-12-01T00:00:00.000Z"),  # one letter: any digits, then the range
    ("yyyy-MM-dd", "02023-02-01", None), ("yyyy-MM-dd", "+2023-02-01", None),  # a longer year needs a sign
    ("yyyy-MM-dd", " 2023-02-01", None), ("yyyy-MM", "2023-02-01", None),  # the whole string
    ("yyyy-MM-dd", "2024-02-29", "2024-02-29T00:00:00.000Z"),  # a leap day
    ("yyyy-MM-dd HH:mm:ss", "2023-02-01 24:00:00", None),  # an hour out of its range: no parse
    (None, "2023-02-01", None),
])
def test_date_parse_with_a_pattern(pattern, text, expected):
    literal = "null" if pattern is None else f'"{pattern}"'
    assert run(f'ROW x = DATE_PARSE({literal}, "{text}")')["values"] == [[expected]]


def test_date_parse_an_impossible_day_fails_the_query_and_the_default_format():
    for text in ("2023-02-29", "2023-02-30"):  # the node: 500 Invalid date 'February 29' as '2023' is not a leap year
        with pytest.raises(QueryError, match="Invalid date"):
            run(f'ROW x = DATE_PARSE("yyyy-MM-dd", "{text}")')
    assert run('ROW a = DATE_PARSE("2023-02-01"), b = DATE_PARSE("2023-02-01T10:00:00+01:00"), '
               'c = DATE_PARSE("2023-02-01 10:00:00")')["values"] == [
        ["2023-02-01T00:00:00.000Z", "2023-02-01T09:00:00.000Z", None]]
    with pytest.raises(UnsupportedQueryError, match="pattern letter"):
        run('ROW x = DATE_PARSE("yy-MM-dd", "23-02-01")')


@pytest.mark.parametrize("unit, end, expected", [
    ("microseconds", "2023-01-01T00:35:47.483Z", 2147483000),  # under 2^31
    ("microseconds", "2023-01-01T00:35:47.484Z", None),  # past it: null (the node: out of [integer] range)
    ("nanoseconds", "2023-01-01T00:00:00.001Z", 1000000), ("mcs", "2023-01-01T00:00:00.001Z", 1000),
    ("milliseconds", "2023-01-25T20:31:23.647Z", 2147483647),  # at the edge
    ("milliseconds", "2023-01-25T20:31:23.648Z", None),  # one over
])
def test_date_diff_is_an_integer(unit, end, expected):
    query = f'ROW x = DATE_DIFF("{unit}", TO_DATETIME("2023-01-01T00:00:00Z"), TO_DATETIME("{end}"))'
    assert run(query)["values"] == [[expected]]


@pytest.mark.parametrize("expr, expected", [
    ('"3 DAYS"::date_period', "2024-01-04T00:00:00.000Z"), ('TO_DATEPERIOD("3 days")', "2024-01-04T00:00:00.000Z"),
    ('" 3 weeks "::date_period', "2024-01-22T00:00:00.000Z"), ('"3 d"::date_period', "2024-01-04T00:00:00.000Z"),
    ('"1 month"::date_period', "2024-02-01T00:00:00.000Z"), ('3 days::date_period', "2024-01-04T00:00:00.000Z"),
    ('"3 hours"::time_duration', "2024-01-01T03:00:00.000Z"), ('TO_TIMEDURATION("3 hours")', "2024-01-01T03:00:00.000Z"),
    ('null::date_period', None),
])
def test_casts_to_date_period_and_time_duration(expr, expected):
    assert run(f'ROW x = "2024-01-01"::datetime + {expr}')["values"] == [[expected]]


@pytest.mark.parametrize("expr", ['"3days"::date_period', '"1 hour"::date_period', '3 days::time_duration'])
def test_casts_to_a_temporal_amount_that_8_19_rejects(expr):
    with pytest.raises(QueryError):
        run(f'ROW x = "2024-01-01"::datetime + {expr}')


@pytest.mark.parametrize("v4, v6, expected", [
    (32, 128, "1.2.3.4"), (0, 0, "0.0.0.0"), (25, 0, "1.2.3.0"),  # at the edges
    (33, 0, None), (-1, 128, None),  # the IPv4 length one over, one under
    (32, 129, None), (32, -1, None),  # the IPv6 length out of range nulls an IPv4 address's prefix too
])
def test_ip_prefix_checks_both_lengths(v4, v6, expected):
    assert run(f'ROW x = IP_PREFIX(TO_IP("1.2.3.4"), {v4}, {v6})')["values"] == [[expected]]


@pytest.mark.parametrize("query, message", [
    ("FROM e | EVAL b = AUTO_BUCKET(salary, 20, 25324, 74999)", r"Unknown function \[AUTO_BUCKET\]"),
    ("ROW v = 5 | EVAL c = CLAMP(v, 1, 3)", r"Unknown function \[CLAMP\]"),
    ("FROM e | WHERE IS_NULL(salary)", "is_null function is not supported anymore"),
])
def test_functions_8_19_does_not_have(query, message):
    with pytest.raises(QueryError, match=message):
        run(query)
