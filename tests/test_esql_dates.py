"""TO_DATETIME and written dates as Elasticsearch 8.14+ documents them (issue 27): a string is read with
strict_date_optional_time only, a number is epoch milliseconds within the long range, and a date is written with
its milliseconds exactly; what the engine cannot write or read as Elasticsearch would, it refuses by name."""

from __future__ import annotations

import pytest

from elastic_pack import esql


def one(expression: str):
    return esql.search(f"ROW v = {expression}", [])["values"][0][0]


@pytest.mark.parametrize("text, expected", [
    ("2023", "2023-01-01T00:00:00.000Z"),  # a year alone is a date, not 2023 milliseconds
    ("2023-07", "2023-07-01T00:00:00.000Z"),
    ("2023-07-04", "2023-07-04T00:00:00.000Z"),
    ("2023-07-04T10", "2023-07-04T10:00:00.000Z"),
    ("2023-07-04T10:11:12", "2023-07-04T10:11:12.000Z"),  # no zone: UTC
    ("2023-07-04T10:11:12.5Z", "2023-07-04T10:11:12.500Z"),
    ("2023-07-04T10:11:12.123999999Z", "2023-07-04T10:11:12.123Z"),  # past milliseconds: cut, not rounded
    ("2023-07-04T10:11:12+01:30", "2023-07-04T08:41:12.000Z"),
    ("2023-07-04T10:11:12-0100", "2023-07-04T11:11:12.000Z"),
    ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),  # the last millisecond is kept exactly
])
def test_to_datetime_reads_strict_date_optional_time(text, expected):
    assert one(f'TO_DATETIME("{text}")') == expected


@pytest.mark.parametrize("text", [
    "2023-07-04 10:11:12",  # a space for the T: the strict format rejects it (null, with a warning)
    "2023-02-29",  # no such day in 2023 (2024-02-29 exists)
    "2023-13-01", "2023-07-04T24:00:00", "2023-7-4", "yesterday", "",
])
def test_to_datetime_of_a_string_the_format_rejects_is_null(text):
    assert one(f'TO_DATETIME("{text}")') is None


def test_leap_day_is_read_in_a_leap_year():
    assert one('TO_DATETIME("2024-02-29")') == "2024-02-29T00:00:00.000Z"


def test_to_datetime_of_numbers_is_epoch_millis_within_the_long_range():
    assert one("TO_DATETIME(-1)") == "1969-12-31T23:59:59.999Z"
    assert one("TO_DATETIME(501379200000.9)") == "1985-11-21T00:00:00.000Z"  # a double is cut to whole ms
    # 2^63 is past the long range: null for that value, the other value of the list stays
    body = esql.search("ROW ul = [9223372036854775808, 520128000000] | EVAL dt = TO_DATETIME(ul)", [])
    assert body["values"][0][1] == "1986-06-26T00:00:00.000Z"


def test_dates_python_cannot_write_are_refused_by_name():
    with pytest.raises(esql.UnsupportedQueryError, match="does not write the date"):
        esql.search("ROW v = TO_DATETIME(9223372036854775807)", [])
    with pytest.raises(esql.UnsupportedQueryError, match="year past 9999"):
        esql.search('ROW v = TO_DATETIME("12023-01-01")', [])


@pytest.mark.parametrize("expression, expected", [
    # periods added together first, then to the date: months (a year is 12) before days, as Java's Period
    ('4 years + 3 months + 2 weeks + 1 day + TO_DATETIME("1953-04-04")', "1957-07-19T00:00:00.000Z"),
    ('-4 years - 3 months - 2 weeks - 1 day + TO_DATETIME("1957-07-19")', "1953-04-04T00:00:00.000Z"),
    ('TO_DATETIME("1953-04-04") - (-4 years - 3 months - 2 weeks - 1 day)', "1957-07-19T00:00:00.000Z"),
    ('-(-1 year) + TO_DATETIME(0)', "1971-01-01T00:00:00.000Z"),  # a negated span is a span, 0 is no date
    ('-(-1 second) + TO_DATETIME(0)', "1970-01-01T00:00:01.000Z"),
    ('TO_DATETIME(0) - 1 year', "1969-01-01T00:00:00.000Z"),
    # the month's last day clamps before the day is added: 01-31 + 1 month is 02-29 (leap), + 1 day is 03-01
    ('TO_DATETIME("2024-01-31") + (1 month + 1 day)', "2024-03-01T00:00:00.000Z"),
    ('TO_DATETIME("2024-02-29") + 1 year', "2025-02-28T00:00:00.000Z"),
    ('TO_DATETIME(9223372036854775807) + 1 day', None),  # long overflow: null
    ('TO_DATETIME(0) + 2147483647 years', None),  # past Java's years: null
])
def test_date_arithmetic_with_periods(expression, expected):
    assert one(expression) == expected


def test_unary_minus_of_numbers_is_unchanged():
    body = esql.search("ROW x = 5 | EVAL a = -x, b = -(x - 7), c = -(2.5), m = -(-2147483647 - 1)", [])
    assert body["values"] == [[5, -5, 2, -2.5, None]]  # -(MIN_INT) overflows the integer: null


def test_a_period_plus_a_time_duration_is_refused_by_name():
    with pytest.raises(esql.UnsupportedQueryError, match="period and a time duration"):
        esql.search("ROW v = TO_DATETIME(0) + (1 year + 1 hour)", [])


def test_a_date_string_literal_moved_by_a_span_is_a_date():
    body = esql.search('ROW a = 1 day + "2024-01-01", b = "2024-04-01" - (1 year + 1 day), '
                       'c = "2024-01-01" - 3600 seconds, d = -1 year + "2024-04-01" + 1 month', [])
    assert [c["type"] for c in body["columns"]] == ["date"] * 4
    assert body["values"] == [["2024-01-02T00:00:00.000Z", "2023-03-31T00:00:00.000Z",
                               "2023-12-31T23:00:00.000Z", "2023-05-01T00:00:00.000Z"]]


@pytest.mark.parametrize("expression, expected", [
    # a double (or text holding one) must itself lie in the type's range before it is rounded
    ("TO_INTEGER(2147483647.4)", None), ('TO_INTEGER("2147483647.2")', None), ("TO_INTEGER(-2147483648.4)", None),
    ("TO_INTEGER(2147483646.6)", 2147483647), ('TO_INTEGER("2147483646.2")', 2147483646),
    ("TO_INTEGER(-2147483647.6)", -2147483648),
    ("TO_LONG(9.223372036854775807E18)", 9223372036854775807),  # 2^63 is not past Long.MAX_VALUE as a double
    ("TO_UNSIGNED_LONG(1.8446744073709552E19)", None),  # 2^64: past the unsigned long
])
def test_whole_number_conversion_of_doubles_checks_the_range_first(expression, expected):
    assert one(expression) == expected


def test_grok_adds_its_columns_sorted_by_name_dissect_in_pattern_order():
    body = esql.search('ROW a = "1.2.3.4 GET /x 200" | GROK a "%{IP:ip} %{WORD:verb} %{NOTSPACE:Path} %{NUMBER:code:int}"', [])
    assert [c["name"] for c in body["columns"]] == ["a", "Path", "code", "ip", "verb"]  # upper case sorts first
    assert body["values"] == [["1.2.3.4 GET /x 200", "/x", 200, "1.2.3.4", "GET"]]
    body = esql.search('ROW a = "a,b;c" | DISSECT a "%{z},%{y};%{x}"', [])
    assert [c["name"] for c in body["columns"]] == ["a", "z", "y", "x"]


def test_mv_sum_keeps_the_type_and_an_integer_sum_overflows_to_null():
    body = esql.search("ROW a = [1, 2], b = [1.5, 2.5], c = TO_LONG([3, 4]) | EVAL s = MV_SUM(a), t = MV_SUM(b), "
                       "u = MV_SUM(c), o = MV_SUM([2147483647, 1]), k = MV_SUM([2147483646, 1])", [])
    assert [c["type"] for c in body["columns"]][3:] == ["integer", "double", "long", "integer", "integer"]
    assert body["values"][0][3:] == [3, 4.0, 7, None, 2147483647]


def test_reverse_keeps_grapheme_clusters_or_refuses():
    assert one('REVERSE("Ünîcødé")') == "édøcînÜ"  # precomposed letters are one character each
    assert one('REVERSE("😀x")') == "x😀"
    for text in ("❗\ufe0fab", "e\u0301x", "a\r\nb"):  # an emoji with its selector, a combining accent, CRLF
        with pytest.raises(esql.UnsupportedQueryError, match="REVERSE"):
            esql.search(f'ROW v = REVERSE("{text}")', [])


def test_an_ipv4_mapped_address_is_the_ipv4_address():
    body = esql.search('ROW a = TO_IP("::ffff:1.2.3.4") | EVAL s = TO_STRING(a), m = CIDR_MATCH(a, "1.2.3.0/24"), '
                       'n = CIDR_MATCH(a, "1.2.4.0/24"), e = a == TO_IP("1.2.3.4")', [])
    assert body["values"] == [["1.2.3.4", "1.2.3.4", True, False, True]]


def test_split_takes_a_one_byte_delimiter_only():
    assert one('SPLIT("x,,y,", ",")') == ["x", "", "y", ""]
    for delimiter in ("::", "", "é"):  # two bytes, none, a two-byte character: Elasticsearch fails the query
        with pytest.raises(esql.QueryError, match="single byte"):
            esql.search(f'ROW v = SPLIT("a::b", "{delimiter}")', [])



def test_date_diff_in_months_counts_as_java_either_way():
    march, leap_day = 'TO_DATETIME("2024-03-31T10:00:00Z")', 'TO_DATETIME("2024-02-29T11:00:00Z")'
    # backwards, the end's later time of day moves it a day on (03-01): no whole month back (the 8.19 node's 0)
    assert one(f'DATE_DIFF("month", {march}, {leap_day})') == 0
    assert one(f'DATE_DIFF("month", {leap_day}, {march})') == 1
    assert one(f'DATE_DIFF("day", {march}, {leap_day})') == -30
    assert one(f'DATE_DIFF("hour", {march}, {leap_day})') == -743
    assert one('DATE_DIFF("year", TO_DATETIME("2020-02-29"), TO_DATETIME("2021-02-28"))') == 0
    assert one('DATE_DIFF("year", TO_DATETIME("2020-02-29"), TO_DATETIME("2021-03-01"))') == 1
    assert one('DATE_DIFF("month", TO_DATETIME("2024-01-31T00:00:00Z"), TO_DATETIME("2024-02-29T23:59:59.999Z"))') == 0
    assert one('DATE_DIFF("quarter", TO_DATETIME("2024-05-15"), TO_DATETIME("2024-02-15"))') == -1
