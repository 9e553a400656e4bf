"""ES|QL edges where the engine answered differently from Elasticsearch (issue 27), through the public API, each
written from Elasticsearch's ES|QL reference: RENAME in turn, command names as columns, literal and CASE types,
function aliases, ROW's columns, MV_EXPAND's bound."""

from __future__ import annotations

import re

import pytest

from elastic_pack import esql


def answer(query: str, documents: list[dict] | None = None, mapping=None) -> tuple[list, list]:
    body = esql.search(query, documents or [], mapping=mapping)
    return [(c["name"], c["type"]) for c in body["columns"]], body["values"]


def test_rename_pairs_apply_in_turn():
    # each pair sees the columns as the pairs before it left them
    assert answer("ROW a = 1, b = 2 | RENAME a AS c, c AS d") == ([("d", "integer"), ("b", "integer")], [[1, 2]])
    assert answer("ROW a = 1, b = 2 | RENAME a AS c, c AS a") == ([("a", "integer"), ("b", "integer")], [[1, 2]])
    assert answer('ROW a = "k", b = 5 | RENAME a AS t, b AS a, t AS b') == (
        [("b", "keyword"), ("a", "integer")], [["k", 5]])
    # a name no earlier pair made and no column has is still unknown
    with pytest.raises(esql.QueryError, match=r"Unknown column \[z\]"):
        esql.search("ROW a = 1 | RENAME a AS c, z AS d", [])


def test_a_command_name_is_a_column_name_in_expressions():
    cols, rows = answer('ROW x = 1 | EVAL eval = x + 1, stats = "s" | WHERE eval IS NOT NULL | KEEP eval, stats')
    assert rows == [[2, "s"]] and cols == [("eval", "integer"), ("stats", "keyword")]
    with pytest.raises(esql.QuerySyntaxError):  # an operator is not a name
        esql.parse("ROW x = 1 | WHERE + IS NULL")


@pytest.mark.parametrize("literal, kind", [
    ("2147483647", "integer"), ("2147483648", "long"),                  # int's edge
    ("-2147483648", "integer"), ("- 2147483648", "integer"), ("-(2147483648)", "long"),  # a sign folds
    ("9223372036854775807", "long"), ("9223372036854775808", "unsigned_long"),  # long's edge
    ("18446744073709551615", "unsigned_long"), ("18446744073709551616", "double"),
    ("[1, -2147483649]", "long"), ("[1, 2.5]", "double"), ("[+1, -2]", "integer"),
])
def test_whole_number_literals_take_the_narrowest_type_that_holds_them(literal, kind):
    cols, _ = answer(f"ROW v = {literal}")
    assert cols == [("v", kind)]


def test_case_gives_text_as_keyword():
    mapping = {"t": "text"}
    cols, rows = answer("FROM l | EVAL v = CASE(t IS NOT NULL, t, \"none\") | KEEP v", [{"t": "A b"}, {}], mapping)
    assert cols == [("v", "keyword")] and rows == [["A b"], ["none"]]
    assert answer("FROM l | KEEP t", [{"t": "x"}], mapping)[0] == [("t", "text")]  # the field itself stays text


def test_function_aliases_are_the_functions():
    cols, rows = answer('ROW s = ["1", "2", "three"] | EVAL i = TO_INT(s), b = TO_BOOL("true"), d = TO_DBL(1), '
                        'v = TO_VER("1.2")')
    assert rows == [[["1", "2", "three"], [1, 2], True, 1.0, "1.2"]]
    assert cols[1:] == [("i", "integer"), ("b", "boolean"), ("d", "double"), ("v", "version")]


def test_row_with_two_columns_of_one_name_is_refused_not_collapsed():
    with pytest.raises(esql.UnsupportedQueryError, match="two columns of one name"):
        esql.search("ROW a = 1, null, b = 2, null", [])
    assert answer("ROW a = 1, null, b = 2")[0] == [("a", "integer"), ("null", "null"), ("b", "integer")]


def test_mv_expand_beyond_its_bound_is_refused():
    from elastic_pack.esql.evaluate import MAX_EXPANDED_ROWS

    side = 50  # 50**3 = 125,000 rows of one row: over the bound
    items = ", ".join(str(i) for i in range(side))
    query = f"ROW a = [{items}], b = [{items}], c = [{items}] | MV_EXPAND a | MV_EXPAND b | MV_EXPAND c"
    assert side ** 3 > MAX_EXPANDED_ROWS >= side ** 2
    with pytest.raises(esql.UnsupportedQueryError, match="MV_EXPAND"):
        esql.search(query + " | STATS n = COUNT(*)", [])
    # two expansions (2,500 rows) stay under it and are counted exactly
    assert answer(f"ROW a = [{items}], b = [{items}] | MV_EXPAND a | MV_EXPAND b | STATS n = COUNT(*)")[1] == [[2500]]


IPS = [{"h": "a", "ip": "127.0.0.1"}, {"h": "b", "ip": "::1"}, {"h": "c", "ip": "fe80::1"},
       {"h": "d", "ip": "10.0.0.10"}, {"h": "e", "ip": "10.0.0.9"}, {"h": "f"}]


def test_ips_from_the_mapping_compare_and_sort_by_their_bytes():
    # an IPv4 address is its IPv4-mapped IPv6 form: ::1 sorts before every IPv4 address, fe80:: after them
    mapping = {"h": "keyword", "ip": "ip"}
    _, rows = answer("FROM l | SORT ip | KEEP h", IPS, mapping)
    assert [r[0] for r in rows] == ["b", "e", "d", "a", "c", "f"]  # null last ascending
    _, rows = answer('FROM l | WHERE ip > "10.0.0.9" | SORT h | KEEP h', IPS, mapping)
    assert [r[0] for r in rows] == ["a", "c", "d"]  # 10.0.0.10 is above 10.0.0.9 as an ip, not as text
    _, rows = answer('FROM l | WHERE ip >= to_ip("10.0.0.10") AND ip < to_ip("127.0.0.1") | KEEP h', IPS, mapping)
    assert rows == [["d"]]  # both edges: 10.0.0.10 in, 127.0.0.1 out
    _, rows = answer("FROM l | STATS v = MV_SORT(VALUES(ip))", IPS, mapping)
    assert rows == [[["::1", "10.0.0.9", "10.0.0.10", "127.0.0.1", "fe80::1"]]]
    _, rows = answer("FROM l | STATS lo = MIN(ip), hi = MAX(ip)", IPS, mapping)
    assert rows == [["::1", "fe80::1"]]


def test_the_same_values_as_keywords_compare_as_text():
    _, rows = answer('FROM l | WHERE ip > "10.0.0.9" | SORT h | KEEP h', IPS, {"h": "keyword", "ip": "keyword"})
    assert [r[0] for r in rows] == ["a", "b", "c"]  # as text "10.0.0.10" < "10.0.0.9" < "127..." < "::1"


def test_an_evaluated_ip_column_is_an_ip():
    mapping = {"h": "keyword", "ip": "ip"}
    _, rows = answer("FROM l | EVAL x = CASE(h == \"f\", TO_IP(\"1.2.3.4\"), ip) | SORT x DESC | KEEP h",
                     IPS, mapping)
    assert [r[0] for r in rows] == ["c", "a", "d", "e", "f", "b"]  # 1.2.3.4 (f) above 10.x as an ip


def test_date_format_writes_java_time_patterns_in_utc():
    query = ('ROW d = "2024-03-05T17:08:09.123Z"::datetime | EVAL a = DATE_FORMAT(d), '
             'b = DATE_FORMAT("EEE, d MMM yyyy h:mm a", d), c = DATE_FORMAT("yy DDD SSSS \'T\'\'\'", d), '
             'n = DATE_FORMAT("yyyy", null) | KEEP a, b, c, n')
    cols, rows = answer(query)
    assert cols == [("a", "keyword"), ("b", "keyword"), ("c", "keyword"), ("n", "keyword")]
    assert rows == [["2024-03-05T17:08:09.123Z", "Tue, 5 Mar 2024 5:08 PM", "24 065 1230 T'", None]]
    # midnight and noon on the 12-hour clock
    _, rows = answer('ROW d = ["2024-01-01T00:00:00Z", "2024-01-01T12:00:00Z"]::datetime | MV_EXPAND d '
                     '| EVAL h = DATE_FORMAT("hh a K k", d) | KEEP h')
    assert rows == [["12 AM 0 24"], ["12 PM 0 12"]]


@pytest.mark.parametrize("query, refused", [
    ('ROW d = NOW() | EVAL x = DATE_FORMAT("YYYY-ww", d)', "YYYY"),       # week-based year: locale rules
    ('ROW d = NOW() | EVAL x = DATE_FORMAT("yyyy[-MM]", d)', "[-"),      # optional sections
    ('ROW d = NOW(), p = "yyyy" | EVAL x = DATE_FORMAT(p, d)', "literal pattern"),
])
def test_date_format_refuses_what_it_does_not_write(query, refused):
    with pytest.raises(esql.UnsupportedQueryError, match=re.escape(refused)):
        esql.search(query, [])


def test_double_functions_answer_as_java_math():
    cols, rows = answer("ROW x = 2 | EVAL s = SIN(x), a = ASIN(2), e = EXP(1000), h = SINH(-1000), "
                        "d = TO_DEGREES([1, 2]) | DROP x")
    assert all(kind == "double" for _, kind in cols)
    # outside the domain: null; past a double's range EXP is Infinity (written as text), SINH null
    assert rows == [[0.9092974268256817, None, "Infinity", None, [57.29577951308232, 114.59155902616465]]]


def test_integer_arithmetic_overflows_past_32_bits_and_long_past_64():
    cols, rows = answer("ROW x = -2147483648, i = 2147483647 | EVAL a = -x, b = i + 1, c = i - 1, d = x / -1, "
                        "e = i + 1::long, f = i + 1.0 | DROP x, i")
    assert [k for _, k in cols] == ["integer", "integer", "integer", "integer", "long", "double"]
    # at the edge the value, one past it null; Java's int division wraps instead
    assert rows == [[None, None, 2147483646, -2147483648, 2147483648, 2147483648.0]]
    mapping = {"n": "integer", "m": "long"}
    _, rows = answer("FROM l | EVAL a = n * 2, b = m * 2 | KEEP a, b", [{"n": 1_500_000_000, "m": 1_500_000_000}],
                     mapping)
    assert rows == [[None, 3_000_000_000]]  # the field's mapped type decides


def test_log_and_abs_as_elasticsearch_computes_them():
    _, rows = answer("ROW a = LOG(10, 1000000000000), b = LOG(2, 8), c = LOG(1, 2), d = LOG(0), e = LOG(-2, 4), "
                     "f = ABS(-3), g = ABS([9223372036854775808, 1])")
    assert rows == [[12.0, 3.0, None, None, None, 3, [9223372036854775808, 1]]]


VERSIONS = [{"n": "a", "v": "1.2.3"}, {"n": "b", "v": "1.11.0"}, {"n": "c", "v": "1.2.3-SNAPSHOT"},
            {"n": "d", "v": "bad"}, {"n": "e"}]


def test_versions_compare_and_sort_as_versions_not_text():
    # numeric parts as numbers, a pre-release before its release, an invalid version after every valid one
    mapping = {"n": "keyword", "v": "version"}
    _, rows = answer("FROM l | SORT v | KEEP n", VERSIONS, mapping)
    assert [r[0] for r in rows] == ["c", "a", "b", "d", "e"]
    _, rows = answer('FROM l | WHERE v > "1.10" | SORT n | KEEP n', VERSIONS, mapping)
    assert [r[0] for r in rows] == ["b", "d"]  # as text "1.2.3" > "1.10" would hold
    _, rows = answer('FROM l | WHERE v >= "1.2.3" AND v < TO_VERSION("1.11.0") | KEEP n', VERSIONS, mapping)
    assert rows == [["a"]]  # both edges: 1.2.3 in, 1.11.0 out, the snapshot below
    _, rows = answer("FROM l | STATS hi = MAX(v), lo = MIN(v), s = MV_SORT(VALUES(v), \"DESC\")", VERSIONS, mapping)
    assert rows == [["bad", "1.2.3-SNAPSHOT", ["bad", "1.11.0", "1.2.3", "1.2.3-SNAPSHOT"]]]
    with pytest.raises(esql.QueryError, match="TOP"):  # Elasticsearch 8.19 has no TOP over versions
        esql.search('FROM l | STATS t = TOP(v, 2, "asc")', VERSIONS, mapping=mapping)


def test_sort_by_an_expression_sorts_by_its_value_and_adds_no_column():
    docs = [{"a": 3, "b": 1}, {"a": 1, "b": 5}, {"a": 2, "b": 2}, {"a": 4}]
    cols, rows = answer("FROM l | SORT a * b DESC, a | KEEP a, b", docs, {"a": "integer", "b": "integer"})
    assert cols == [("a", "integer"), ("b", "integer")]
    assert rows == [[4, None], [1, 5], [2, 2], [3, 1]]  # the null product first when descending
    _, rows = answer('ROW s = ["10.0.0.10", "10.0.0.9"] | MV_EXPAND s | SORT TO_IP(s)')
    assert rows == [["10.0.0.9"], ["10.0.0.10"]]  # as ips, not as text


def test_date_nanos_is_answered_at_millisecond_precision_or_refused():
    mapping = {"t": "date_nanos", "n": "integer"}
    docs = [{"t": "2023-01-01T00:00:00Z", "n": 2}, {"t": "2023-01-01T00:00:00.123Z", "n": 3}]
    cols, rows = answer("FROM l | EVAL d = DATE_TRUNC(1 second, t) | SORT n | KEEP t, d", docs, mapping)
    assert cols == [("t", "date_nanos"), ("d", "date_nanos")]
    assert rows == [["2023-01-01T00:00:00.000Z", "2023-01-01T00:00:00.000Z"],
                    ["2023-01-01T00:00:00.123Z", "2023-01-01T00:00:00.000Z"]]
    # Elasticsearch keeps nanoseconds: a finer value, or a conversion to a number (nanoseconds), is refused
    with pytest.raises(esql.UnsupportedQueryError, match="finer than a millisecond"):
        esql.search("FROM l | KEEP t", docs + [{"t": "2023-01-01T00:00:00.123456789Z"}], mapping=mapping)
    with pytest.raises(esql.UnsupportedQueryError, match="date_nanos"):
        esql.search("FROM l | EVAL x = TO_LONG(t)", docs, mapping=mapping)
    assert answer("FROM l | KEEP t", [{"t": "2023-01-01T00:00:00.123000Z"}], mapping)[1] == \
        [["2023-01-01T00:00:00.123Z"]]  # trailing zeros are no finer
