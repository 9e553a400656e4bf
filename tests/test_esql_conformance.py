"""ES|QL as Elasticsearch documents it, on the constructs Elastic's prebuilt rules use: each case is an edge
(anchoring, null, integer division, window of a duration) or a construct refused by name."""

from __future__ import annotations

import pytest

from elastic_pack.esql import EsqlSyntaxError, QueryTypeError, UnsupportedEsql, parse_esql
from elastic_pack.esql.evaluate import CompiledEsql

NOON = 1_767_614_400.0  # 2026-01-05T12:00:00Z


def table(query: str, documents: list[dict], now: float = NOON) -> list[dict]:
    compiled = CompiledEsql(parse_esql(query), clock=lambda: now)
    rows = [row for document in documents for row in compiled.rows(document)]
    if compiled.stats is None:
        return rows
    return compiled.aggregate([pair for row in rows for pair in compiled.compact(row)])


def values(query: str, documents: list[dict], column: str = "v", now: float = NOON) -> list:
    return [row.get(column) for row in table(query, documents, now)]


def test_from_takes_raw_patterns_and_metadata_and_comments_are_skipped():
    query = parse_esql("// hunting\nFROM .alerts-security.*, logs-*:remote METADATA _id, _index\n/* keep */ | LIMIT 5")
    assert query.sources == (".alerts-security.*", "logs-*:remote")


def test_strings_names_and_casts():
    assert values('FROM l | EVAL v = """a\\d"""', [{}]) == ["a\\d"]  # triple quotes keep backslashes
    assert values('FROM l | EVAL v = "a\\\\d"', [{}]) == ["a\\d"]
    assert values("FROM l | EVAL v = source.`as`.name", [{"source.as.name": "x"}]) == ["x"]
    assert values('FROM l | EVAL v = "5"::integer + 1', [{}]) == [6]
    assert values("FROM l | EVAL v = TO_STRING(b)", [{"b": True}]) == ["true"]
    assert values('FROM l | EVAL v = "1.9"::integer', [{}]) == [2]  # parsed as a double, rounded (Math.round)
    assert values('FROM l | EVAL v = "x"::integer', [{}]) == [None]  # does not convert: null


@pytest.mark.parametrize("expr, expected", [("7 / 2", 3), ("-7 / 2", -3), ("7.0 / 2", 3.5), ("7 % 3", 1),
                                            ("-7 % 3", -1), ("1 / 0", None), ("LENGTH(n)", None),
                                            ('CONCAT("a", n)', None), ('COALESCE(n, "d")', "d")])
def test_arithmetic_and_null(expr, expected):
    assert values(f"FROM l | EVAL v = {expr}", [{"n": None}]) == [expected]


@pytest.mark.parametrize("pattern, text, matches", [
    ('"b"', "abc", False),  # anchored: the whole value
    ('".*b.*"', "abc", True),
    ('"a\\\\d+"', "a12", True),  # \d is a class in Lucene 9
    ('"a\\\\.b"', "a.b", True), ('"a\\\\.b"', "axb", False),
    ('"""[a-z]{3}\\.x"""', "abc.x", True),
])
def test_rlike(pattern, text, matches):
    assert len(table(f"FROM l | WHERE f RLIKE {pattern}", [{"f": text}])) == int(matches)


def test_like_wildcards_lists_and_escapes():
    rows = [{"f": "a*c"}, {"f": "abc"}, {"f": "xyz"}]
    assert values('FROM l | WHERE f LIKE "a\\\\*c" | EVAL v = f', rows) == ["a*c"]
    assert values('FROM l | WHERE f LIKE ("a?c", "x*") | EVAL v = f', rows) == ["a*c", "abc", "xyz"]
    assert values('FROM l | WHERE f NOT LIKE "a*" | EVAL v = f', rows) == ["xyz"]


def test_rlike_constructs_lucene_does_not_have_are_refused_by_name():
    for pattern in ('"(?i)abc"', '"a<1-5>"', '"a&b"', '"~a"'):
        with pytest.raises(ValueError, match="RLIKE.*Lucene"):
            table(f"FROM l | WHERE f RLIKE {pattern}", [{"f": "abc"}])


@pytest.mark.parametrize("pattern, text, matches", [
    ('"a@"', "a\nany", True), ('"a@"', "ba", False),  # @: any string, as Elasticsearch's RegExp.ALL has it
    ('"a#|b"', "a", False), ('"a#|b"', "b", True),  # #: the empty language
    ('"a^b\\$"', "a^b$", True),  # no anchors in Lucene: ^ and $ are characters
    ('"\\\\d+"', "\u0661\u0662", False), ('"\\\\d+"', "12", True),  # Lucene's \d: ASCII digits
])
def test_rlike_lucene_specifics(pattern, text, matches):
    assert len(table(f"FROM l | WHERE f RLIKE {pattern}", [{"f": text}])) == int(matches)


def test_rlike_never_backtracks():
    # (a+)+b on a run of a's takes exponential time in a backtracking engine; Lucene's automaton (and RE2)
    # answer at once. A guard turns a regression into a failure instead of a hung suite.
    import signal

    def hung(*_):
        raise AssertionError("a regular expression backtracked")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        rows = [{"f": "a" * 5000}, {"f": "a" * 30 + "b"}]
        assert len(table('FROM l | WHERE f RLIKE "(a+)+b"', rows)) == 1
        # REPLACE's Java regex runs on RE2 too when RE2 reads it (everything but lookaround and the like)
        assert values('FROM l | EVAL v = REPLACE(f, "(a+)+b", "x")', rows) == ["a" * 5000, "x"]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_kql_inside_esql():
    rows = [{"event.action": "Publish", "n": 1}, {"event.action": "GetObject", "n": 2}]
    assert values('FROM l | WHERE KQL("""event.action: Pub*""") | EVAL v = n', rows) == [1]


def test_dates_durations_and_now():
    docs = [{"@timestamp": "2026-01-05T11:00:00Z"}, {"@timestamp": "2026-01-05T10:59:59.999Z"}]
    kept = table("FROM l | WHERE @timestamp >= NOW() - 1 hour", docs)
    assert [d["@timestamp"] for d in kept] == ["2026-01-05T11:00:00Z"]  # exactly an hour back is inside
    trunc = values("FROM l | EVAL v = DATE_TRUNC(1 hour, @timestamp)", [{"@timestamp": "2026-01-05T09:59:59Z"}])
    assert trunc == [1_767_603_600_000]
    bucket = values("FROM l | EVAL v = BUCKET(@timestamp, 5 minutes)", [{"@timestamp": "2026-01-05T09:04:59Z"}])
    assert bucket == [1_767_603_600_000]
    diff = values('FROM l | EVAL v = DATE_DIFF("minutes", a, b)', [{"a": "2026-01-05T09:00:00Z",
                                                                   "b": "2026-01-05T09:02:59Z"}])
    assert diff == [2]  # whole units


def test_keep_drop_rename_and_mv_expand_before_stats():
    docs = [{"host.name": "h", "host.ip": ["10.0.0.1", "10.0.0.2"], "user": "u"}, {"host.name": "g", "user": "v"}]
    rows = table("FROM l | KEEP host.* | RENAME host.name AS h | DROP host.ip", docs)
    assert rows == [{"h": "h"}, {"h": "g"}]
    expanded = table("FROM l | MV_EXPAND host.ip | STATS n = COUNT(*) BY host.ip | SORT host.ip", docs)
    assert expanded == [{"host.ip": "10.0.0.1", "n": 1}, {"host.ip": "10.0.0.2", "n": 1}, {"host.ip": None, "n": 1}]


def test_expressions_over_aggregates_filtered_aggregates_and_chained_stats():
    docs = [{"g": "a", "x": 1, "ok": True}, {"g": "a", "x": 2, "ok": False}, {"g": "b", "x": 4, "ok": True}]
    rows = table("FROM l | STATS avg = ROUND(AVG(x), 1), good = COUNT(*) WHERE ok, n = COUNT(*) BY g | SORT g",
                 docs)
    assert rows == [{"avg": 1.5, "good": 1, "n": 2, "g": "a"}, {"avg": 4.0, "good": 1, "n": 1, "g": "b"}]
    chained = table("FROM l | STATS n = COUNT(*) BY g | STATS groups = COUNT(*), most = MAX(n)", docs)
    assert chained == [{"groups": 2, "most": 2}]


def test_dissect_and_grok():
    dissected = table('FROM l | DISSECT m "%{user} logged in from %{ip}"', [{"m": "bob logged in from 10.1.2.3"}])
    assert dissected[0]["user"] == "bob" and dissected[0]["ip"] == "10.1.2.3"
    # no match: the pattern's columns exist, null (dissect.csv-spec simpleDissectNoMatch)
    unmatched = table('FROM l | DISSECT m "%{user} logged in from %{ip}"', [{"m": "nothing"}])[0]
    assert unmatched == {"m": "nothing", "user": None, "ip": None}
    grokked = table('FROM l | GROK m "%{IP:client} %{NUMBER:bytes:int} modelId=(?<model.id>[^,]+)"',
                    [{"m": "10.0.0.9 512 modelId=claude,x"}])
    assert (grokked[0]["client"], grokked[0]["bytes"], grokked[0]["model.id"]) == ("10.0.0.9", 512, "claude")


def test_multi_value_functions_see_every_value():
    doc = [{"f": ["b", "a", "b"], "n": [3, 1, 3], "message": ["b", "a", "b"]}]
    # as doc values hold them: keyword values sorted once each, numbers sorted with repeats, text as written
    assert values("FROM l | EVAL v = MV_COUNT(f)", doc) == [2]
    assert values('FROM l | EVAL v = MV_CONCAT(f, ",")', doc) == ["a,b"]
    assert values("FROM l | EVAL v = n", doc) == [[1, 3, 3]]
    assert values("FROM l | EVAL v = MV_FIRST(n)", doc) == [1]
    assert values('FROM l | EVAL v = MV_CONCAT(MV_DEDUPE(message), ",")', doc) == ["b,a"]
    assert values("FROM l | EVAL v = LENGTH(f)", doc) == [None]  # a single-value function: null
    # TO_LOWER and TO_UPPER take each value (the docs' `ROW v = TO_LOWER(["Some", "Text"])`)
    assert values("FROM l | EVAL v = TO_UPPER(f)", doc) == [["A", "B"]]


def test_sort_nulls_first_and_last():
    docs = [{"g": 2}, {"g": None}, {"g": 1}]
    assert [r["g"] for r in table("FROM l | STATS n = COUNT(*) BY g | SORT g ASC NULLS FIRST", docs)] == [None, 1, 2]
    assert [r["g"] for r in table("FROM l | STATS n = COUNT(*) BY g | SORT g DESC NULLS LAST", docs)] == [2, 1, None]


@pytest.mark.parametrize("query, named", [
    ("FROM l | LOOKUP JOIN hosts ON host.name", "LOOKUP JOIN"),
    ('FROM l | COMPLETION r = p WITH { "inference_id": "x" }', "COMPLETION"),
    ("FROM l | STATS f = ST_CENTROID_AGG(x)", "ST_CENTROID_AGG()"),
    ('FROM l | WHERE MATCH(message, "x", {"fuzziness": 1})', "MATCH() with options"),
])
def test_what_the_engine_does_not_run_is_refused_by_name(query, named):
    from elastic_pack.esql import QuerySyntaxError, UnsupportedQueryError

    with pytest.raises(UnsupportedQueryError, match=named.replace("(", r"\(").replace(")", r"\)")) as caught:
        parse_esql(query)
    assert not isinstance(caught.value, QuerySyntaxError)  # valid ES|QL: refused, not called wrong
    assert caught.value.line == 1 and caught.value.column > 1


def test_json_extract_on_text_and_on_the_source_document():
    doc = [{"j": '{"a": {"b": [1, {"c": "x"}]}, "n": 401}', "sip.code": 401, "sip.method": "REGISTER"}]
    assert values('FROM l | EVAL v = JSON_EXTRACT(j, "a.b[1].c")', doc) == ["x"]
    assert values('FROM l | EVAL v = JSON_EXTRACT(j, "n")', doc) == ["401"]  # a number comes back as its text
    assert values('FROM l | EVAL v = JSON_EXTRACT(j, "a.missing")', doc) == [None]
    assert values('FROM l METADATA _source | EVAL v = JSON_EXTRACT(_source, "sip.code")', doc) == ["401"]
    assert values('FROM l METADATA _source | EVAL v = JSON_EXTRACT(_source, "sip.method")', doc) == ["REGISTER"]


def test_in_with_a_null_item_is_unknown_unless_it_matches():
    rows = [{"x": 1}, {"x": 2}]
    assert values("FROM l | WHERE x IN (1, null) | EVAL v = x", rows) == [1]
    assert values("FROM l | WHERE NOT x IN (1, null) | EVAL v = x", rows) == []  # NOT unknown is unknown
    assert values("FROM l | WHERE x NOT IN (1, 3) | EVAL v = x", rows) == [2]


def test_inline_stats_adds_each_groups_aggregates_to_its_rows():
    docs = [{"g": "a", "x": 1}, {"g": "a", "x": 3}, {"g": "b", "x": 2}]
    compiled = CompiledEsql(parse_esql("FROM l | INLINE STATS n = COUNT(*), top = MAX(x) BY g | WHERE x == top"))
    rows = compiled.run_table([r for d in docs for r in compiled.rows(d)])
    assert rows == [{"g": "a", "x": 3, "n": 2, "top": 3}, {"g": "b", "x": 2, "n": 1, "top": 2}]
    overall = CompiledEsql(parse_esql("FROM l | INLINE STATS total = SUM(x) | STATS n = COUNT(*) BY total"))
    assert overall.run_table([r for d in docs for r in overall.rows(d)]) == [{"n": 3, "total": 6}]


def test_an_inline_stats_rule_alerts_per_run_window():
    from pathlib import Path

    from elastic_pack.content.model import RuleFile
    from elastic_pack.engine import compile_rule, run_rules
    from elastic_pack.engine.events import Event

    query = ("FROM logs-* | INLINE STATS hosts = COUNT_DISTINCT(host.name) BY user.name "
             "| WHERE hosts >= 3 | STATS n = COUNT(*) BY user.name")
    rule = RuleFile(Path("i.toml"), "", {"rule": {"rule_id": "i", "name": "i", "type": "esql", "language": "esql",
                                                  "query": query, "interval": "5m", "from": "now-10m"}})
    t0 = 1_767_225_600.0
    events = [Event({"user.name": "u", "host.name": f"h{i}"}, t0 + 60 * i, t0 + 60 * i) for i in range(3)]
    events += [Event({"user.name": "v", "host.name": f"h{i}"}, t0 + 900 * i, t0 + 900 * i) for i in range(3)]
    alerts = run_rules([compile_rule(rule)], sorted(events, key=lambda e: e.window_time))
    # u: three hosts within ten minutes; v: three hosts, but never three in one window
    assert {a.group["user.name"] for a in alerts} == {"u"}


def test_mv_slice_and_base64():
    doc = [{"f": ["a", "b", "c", "d"], "e": "aGVsbG8="}]
    assert values("FROM l | EVAL v = MV_SLICE(f, 1, 2)", doc) == [["b", "c"]]
    assert values("FROM l | EVAL v = MV_SLICE(f, -1)", doc) == ["d"]
    assert values("FROM l | EVAL v = MV_SLICE(f, 5, 6)", doc) == [None]
    assert values("FROM l | EVAL v = FROM_BASE64(e)", doc) == ["hello"]
    assert values('FROM l | EVAL v = FROM_BASE64("not base64!")', doc) == [None]
    assert values('FROM l | EVAL v = TO_BASE64("hello")', doc) == ["aGVsbG8="]


def test_first_and_last_take_the_value_at_the_earliest_and_latest_sort():
    docs = [{"u": "a", "lat": 1.0, "@timestamp": "2026-01-05T10:00:00Z"},
            {"u": "a", "lat": 2.0, "@timestamp": "2026-01-05T09:00:00Z"},
            {"u": "a", "lat": None, "@timestamp": "2026-01-05T08:00:00Z"},  # no value: left out
            {"u": "a", "lat": 3.0, "@timestamp": "2026-01-05T11:00:00Z"}]
    rows = table("FROM l | STATS f = FIRST(lat, @timestamp), l = LAST(lat, @timestamp) BY u", docs)
    assert rows == [{"f": 2.0, "l": 3.0, "u": "a"}]


def test_top_keeps_repeats_in_order():
    docs = [{"g": "a", "p": p} for p in (443, 80, 443, 22, 8080)]
    rows = table('FROM l | STATS t = TOP(p, 3, "desc"), s = MV_SLICE(MV_DEDUPE(TOP(p, 3, "asc")), 0, 1) BY g', docs)
    assert rows == [{"t": [8080, 443, 443], "s": [22, 80], "g": "a"}]
    with pytest.raises(EsqlSyntaxError, match="TOP"):
        parse_esql('FROM l | STATS t = TOP(p, 0, "desc")')


def test_stats_without_by_answers_one_row_for_no_input():
    rows = table('FROM l | WHERE f == "none" | STATS c = COUNT(*), n = COUNT(f), s = SUM(x), v = VALUES(f), '
                 'd = COUNT_DISTINCT(f), m = MAX(x)', [{"f": "a", "x": 1}])
    assert rows == [{"c": 0, "n": 0, "s": None, "v": None, "d": 0, "m": None}]
    assert table('FROM l | WHERE f == "none" | STATS c = COUNT(*) BY f', [{"f": "a"}]) == []  # BY: no groups


def test_values_of_one_value_is_that_value():
    # a one-valued field is a single value in ES|QL: comparisons see it, MV_COUNT counts 1
    assert values('FROM l | STATS v = VALUES(f) | WHERE v == "a"', [{"f": "a"}, {"f": "a"}]) == ["a"]
    assert values('FROM l | STATS v = VALUES(f)', [{"f": "b"}, {"f": "a"}]) == [["a", "b"]]


def test_full_text_match_is_a_match_query():
    # `field : "text"` and MATCH(): on text fields any analysed word, on keyword fields the whole value; never
    # null, so NOT holds for a row without the field
    rows = [{"message": "Get-Process; [char]65"}, {"message": "nothing"}, {"other": 1}]
    assert len(table('FROM l | WHERE message : "char"', rows)) == 1  # message is ECS text
    assert len(table('FROM l | WHERE MATCH(message, "nothing else")', rows)) == 1  # any word
    assert len(table('FROM l | WHERE NOT message : "char"', rows)) == 2
    assert len(table('FROM l | WHERE user.name : "bob"', [{"user.name": "bob smith"}])) == 0  # keyword: all of it
    with pytest.raises(UnsupportedEsql, match="options"):
        parse_esql('FROM l | WHERE MATCH(message, "x", {"operator": "AND"})')


def test_mv_contains_and_intersection_take_multi_valued_arguments():
    rows = [{"a": ["x", "y", "z"], "b": ["z", "x"]}, {"a": ["q"], "b": "x"}, {"a": "x"}, {"b": "x"}]
    assert values("FROM l | EVAL v = MV_CONTAINS(a, b)", rows) == [True, False, True, False]  # null: empty set
    assert values("FROM l | EVAL v = MV_INTERSECTION(a, b)", rows) == [["x", "z"], None, None, None]


def test_contains_and_a_cast_field_in_match():
    rows = [{"message": "x refusing y", "x": "ALPNz"}, {"message": "no", "x": "alpn"}, {"message": "refusing"}]
    assert values('FROM l | WHERE MATCH(message::STRING, "refusing to") | EVAL v = CONTAINS(TO_LOWER(x), "alpn")',
                  rows) == [True, None]  # CONTAINS of null is null


def test_is_null_on_a_geo_point_reads_its_keys():
    rows = [{"source.geo.location.lat": 1.0, "source.geo.location.lon": 2.0}, {"x": 1}]
    assert len(table("FROM l | WHERE source.geo.location IS NOT NULL", rows)) == 1
    assert len(table("FROM l | WHERE source.geo.location IS NULL", rows)) == 1


def test_st_x_and_st_y_read_a_geo_point_in_any_document_form():
    rows = [{"source.geo.location.lat": 53.3, "source.geo.location.lon": -6.2},  # {"lat", "lon"} flattened
            {"source.geo.location": "40.7,-74.0"}, {"source.geo.location": [2.35, 48.85]},  # "lat,lon"; [lon, lat]
            {"source.geo.location": "POINT (10.5 -3.25)"}, {"x": 1}]
    query = "FROM l | EVAL v = ST_Y(source.geo.location), w = ST_X(source.geo.location)"
    assert values(query, rows) == [53.3, 40.7, 48.85, -3.25, None]
    assert values(query, rows, "w") == [-6.2, -74.0, 2.35, 10.5, None]


def test_to_geopoint_and_st_distance_on_a_sphere():
    # London to Paris: 343.6 km on Elasticsearch's mean-radius sphere (haversine, as geo_distance)
    query = ('FROM l | EVAL v = ROUND(ST_DISTANCE(TO_GEOPOINT("POINT(-0.1278 51.5074)"), '
             'TO_GEOPOINT(CONCAT("POINT(", TO_STRING(x), " ", TO_STRING(y), ")"))) / 1000.0, 1)')
    assert values(query, [{"x": 2.3522, "y": 48.8566}, {"x": -0.1278, "y": 51.5074}, {"y": 1.0}]) == [343.6, 0.0, None]
    assert values('FROM l | EVAL v = TO_GEOPOINT("not a point")', [{}]) == [None]


# Issue 27: answers that differed from Elasticsearch's (its csv-spec tests and ES|QL docs are the reference)

def test_a_one_element_array_is_one_value():
    # ECS and Elastic Defend write event.category as ["process"]: ES|QL reads a single value
    docs = [{"event.category": ["process"], "n": 1}, {"event.category": ["process", "network"], "n": 2},
            {"event.category": [None, "process"], "n": 3}, {"event.category": [], "n": 4}]
    assert values('FROM l | WHERE event.category == "process" | EVAL v = n', docs) == [1, 3]
    assert values('FROM l | WHERE event.category IN ("process", "x") | EVAL v = n', docs) == [1, 3]
    assert values('FROM l | WHERE event.category LIKE "proc*" | EVAL v = n', docs) == [1, 3]
    assert values("FROM l | EVAL v = LENGTH(event.category)", docs) == [7, None, 7, None]
    assert values("FROM l | EVAL v = event.category", docs) == ["process", ["network", "process"], "process", None]
    assert values("FROM l | EVAL v = MV_COUNT(event.category)", docs) == [1, 2, 1, None]
    assert table('FROM l | STATS v = COUNT(*) BY event.category | SORT event.category',
                 docs) == [{"v": 1, "event.category": "network"}, {"v": 3, "event.category": "process"},
                           {"v": 1, "event.category": None}]


def test_multi_valued_fields_are_kept_where_elasticsearch_keeps_them():
    docs = [{"f": ["a", "b"], "x": [10, 9, 8]}, {"f": None}]
    assert values("FROM l | WHERE f IS NOT NULL | EVAL v = f", docs) == [["a", "b"]]
    assert len(table("FROM l | WHERE f IS NULL", docs)) == 1
    assert values("FROM l | EVAL v = CASE(f IS NOT NULL, f, \"none\")", docs) == [["a", "b"], "none"]
    assert values("FROM l | EVAL v = COALESCE(f, \"none\")", docs) == [["a", "b"], "none"]
    # type conversions convert each value (docs: ROW a=[10, 9, 8] | EVAL j = TO_STRING(a)); an indexed
    # field's values come sorted
    assert values("FROM l | EVAL v = TO_STRING(x)", docs) == [["8", "9", "10"], None]
    assert values('FROM l | EVAL v = x::double', docs) == [[8.0, 9.0, 10.0], None]
    assert values('FROM l | EVAL v = TO_INTEGER(["1", "x", "3"])'.replace('["1", "x", "3"]', "y"),
                  [{"y": ["1", "x", "3"]}]) == [[1, 3]]  # a value that does not convert is left out
    # single-value contexts still read a multi-valued one as null
    assert values("FROM l | EVAL v = x + 1", docs) == [None, None]
    assert values('FROM l | WHERE f == "a" | EVAL v = 1', docs) == []
    assert values('FROM l | EVAL v = CONCAT(f, "!")', docs) == [None, None]
    # aggregates filtered by WHERE see every value
    rows = table('FROM l | STATS v = COUNT(f) WHERE f IS NOT NULL, s = SUM(x) WHERE x IS NOT NULL', docs)
    assert rows == [{"v": 2, "s": 27}]
    # GREATEST and LEAST read a multi-valued argument's largest / smallest value
    assert values("FROM l | EVAL v = GREATEST(x, 1)", docs) == [10, None]


def test_functions_answering_one_value_give_a_single_value():
    assert values('FROM l | STATS v = MV_SORT(VALUES(f))', [{"f": "a"}, {"f": "a"}]) == ["a"]
    assert values('FROM l | EVAL v = SPLIT(f, ",") | WHERE v == "a"', [{"f": "a"}]) == ["a"]


def test_sort_on_a_multi_valued_key_uses_its_smallest_value_ascending_and_largest_descending():
    docs = [{"k": [1, 9], "n": "a"}, {"k": 5, "n": "b"}, {"k": [3], "n": "c"}]
    for order, expected in (("ASC", ["a", "c", "b"]), ("DESC", ["a", "b", "c"])):
        compiled = CompiledEsql(parse_esql(f"FROM l | INLINE STATS c = COUNT(*) BY n | SORT k {order}"))
        assert [r["n"] for r in compiled.run_table([r for d in docs for r in compiled.rows(d)])] == expected


def test_dissect_and_grok_columns_as_elasticsearch_adds_them():
    # no match and null input: every column of the pattern, null; an earlier value of the name is replaced
    docs = [{"m": "foo bar", "b": "old"}, {"m": None, "b": "old"}, {"m": "nothing"}]
    assert table('FROM l | DISSECT m "%{b} %{c}"', docs) == [
        {"m": "foo bar", "b": "foo", "c": "bar"}, {"m": None, "b": None, "c": None},
        {"m": "nothing", "b": None, "c": None}]
    assert table('FROM l | GROK m "%{WORD:b} %{WORD:c}"', docs)[1:] == [
        {"m": None, "b": None, "c": None}, {"m": "nothing", "b": None, "c": None}]
    # the columns come last, in the pattern's order (shadowingSelf)
    assert list(table('FROM l | DISSECT m "%{b} %{?skip} %{a}"', [{"b": 1, "m": "x y z", "q": 2}])[0]) == \
        ["m", "q", "b", "a"]
    # a name repeated in a grok pattern is multi-valued (grok.csv-spec multivalueOutput)
    assert values('FROM l | GROK m "%{WORD:v} %{WORD:v}"', [{"m": "foo bar"}]) == [["foo", "bar"]]
    # conversions (typeConversions)
    row = table('FROM l | GROK m "%{NUMBER:b:int} %{NUMBER:c:float} %{NUMBER:d:double} %{WORD:e:boolean}"',
                [{"m": "12 15.5 15.6 true"}])[0]
    assert (row["b"], row["c"], row["d"], row["e"]) == (12, 15.5, 15.6, True)
    # DISSECT appends in the order a key's /n gives (appendWithOrder), with APPEND_SEPARATOR
    assert values('FROM l | DISSECT m "%{+v/3} %{c} %{+v/2} %{d} %{+v/1}"', [{"m": "foo 1 bar 2 baz"}]) == \
        ["bazbarfoo"]
    assert values('FROM l | DISSECT m "%{+v} %{c} %{+v} %{d} %{+v}" APPEND_SEPARATOR=","',
                  [{"m": "foo 1 bar 2 baz"}]) == ["foo,bar,baz"]
    # each value of a multi-valued input is parsed (multivalueInput)
    assert values('FROM l | GROK m "%{WORD:v} %{WORD:w}"', [{"m": ["Accountant", "Senior Dev", "Tech Lead"]}]) \
        == [["Senior", "Tech"]]
    with pytest.raises(EsqlSyntaxError, match="reference keys"):
        parse_esql('FROM l | DISSECT m "%{*k} %{&k}"')


@pytest.mark.parametrize("expr, expected", [
    ("AVG(x)::LONG", 3), ("TO_INTEGER(2.5)", 3), ("TO_INTEGER(-2.5)", -2), ("TO_LONG(2.4)", 2),  # Math.round
    ('TO_INTEGER("2147483648")', None), ('TO_LONG("1e3")', 1000), ("TO_INTEGER(1e10)", None),  # out of range: null
    ('TO_BOOLEAN("x")', False), ('TO_BOOLEAN("TRUE")', True), ("TO_BOOLEAN(0)", False),  # Boolean.parseBoolean
    ('TO_DOUBLE("1_0")', None), ('TO_DOUBLE("NaN")', None),
    ('SUBSTRING("abcdef", 0, 2)', "ab"), ('SUBSTRING("abcdef", 1, 2)', "ab"), ('SUBSTRING("abcdef", -2)', "ef"),
    ('SUBSTRING("abcdef", -10, 2)', "ab"), ('SUBSTRING("abcdef", 2, -1)', None),
])
def test_conversions_and_substring_as_elasticsearch_computes_them(expr, expected):
    command = "STATS" if "AVG" in expr else "EVAL"  # AVG of 2 and 3 is 2.5
    rows = table(f"FROM l | {command} v = {expr}", [{"x": 2}, {"x": 3}])
    assert rows[0]["v"] == expected


def test_string_literals_take_the_compared_fields_type():
    docs = [{"still_hired": True, "d": "2025-01-01T00:00:00.000Z", "n": 1},
            {"still_hired": False, "d": "2025-01-02T10:00:00Z", "n": 2}]
    assert values('FROM l | WHERE still_hired == "true" | EVAL v = n', docs) == [1]
    assert values('FROM l | WHERE still_hired == "TRUE" | EVAL v = n', docs) == [1]
    assert values('FROM l | WHERE still_hired != "true" | EVAL v = n', docs) == [2]
    assert values('FROM l | WHERE still_hired IN ("false") | EVAL v = n', docs) == [2]
    assert values('FROM l | WHERE d == "2025-01-01" | EVAL v = n', docs) == [1]
    assert values('FROM l | WHERE d > "2025-01-01T23:00:00Z" | EVAL v = n', docs) == [2]
    assert values('FROM l | WHERE "2025-01-02" < d | EVAL v = n', docs) == [2]
    assert values('FROM l | WHERE d == "2025-01-01"::datetime | EVAL v = n', docs) == [1]
    assert values('FROM l | WHERE d IN ("2025-01-01", "x") | EVAL v = n', docs) == [1]


def test_like_a_pattern_matching_everything_is_is_not_null():
    docs = [{"f": "a", "n": 1}, {"n": 2}, {"f": ["a", "b"], "n": 3}]
    assert values('FROM l | WHERE f LIKE "*" | EVAL v = n', docs) == [1, 3]
    assert values('FROM l | WHERE f NOT LIKE "*" | EVAL v = n', docs) == [2]  # notLikeListAllWildcard
    assert values('FROM l | WHERE NOT f LIKE ("x*", "*") | EVAL v = n', docs) == [2]
    assert values('FROM l | WHERE f NOT RLIKE ".*" | EVAL v = n', docs) == [2]
    assert values('FROM l | WHERE f NOT LIKE "b*" | EVAL v = n', docs) == [1]  # otherwise null stays null


def test_a_star_between_names_multiplies_outside_keep_and_drop():
    assert values("FROM l | WHERE y*y == 9 | EVAL v = y*2", [{"y": 3}, {"y": 2}]) == [6]
    assert table("FROM l | KEEP *_id, host.* | DROP host.n*", [{"a_id": 1, "host.name": "h", "host.ip": "i", "z": 0}]) \
        == [{"a_id": 1, "host.ip": "i"}]


def test_stats_columns_aggregates_first_by_last_and_a_repeated_name_is_the_last_ones():
    docs = [{"g": "a", "x": 5}, {"g": "a", "x": 3}, {"g": "b", "x": 1}]
    rows = table("FROM l | STATS a = ROUND(AVG(x), 1), c = COUNT(*) WHERE x > 1, m = MAX(x) BY g", docs)
    assert [list(r) for r in rows] == [["a", "c", "m", "g"]] * 2
    assert rows[0] == {"a": 4.0, "c": 2, "m": 5, "g": "a"}
    rows = table("FROM l | STATS c = SUM(x), c = COUNT(x), s = MIN(x) BY g", docs)
    assert rows == [{"c": 2, "s": 3, "g": "a"}, {"c": 1, "s": 1, "g": "b"}] and list(rows[0]) == ["c", "s", "g"]


def test_stats_aggregates_and_their_filters_see_by_aliases():
    docs = [{"languages": 1}, {"languages": 2}, {"languages": 2}]
    assert table("FROM l | STATS m = MAX(l), c = COUNT(*) WHERE l > 1 BY l = languages | SORT l", docs) == [
        {"m": 1, "c": 0, "l": 1}, {"m": 2, "c": 2, "l": 2}]


def test_sum_of_longs_that_overflows_is_null():
    big = [{"x": 2**62}, {"x": 2**62}]
    assert values("FROM l | STATS v = SUM(x)", big) == [None]
    assert values("FROM l | STATS v = SUM(x)", [{"x": 2**62}, {"x": 2**62 - 1}, {"x": -1}]) == [2**63 - 2]
    assert values("FROM l | STATS v = SUM(x)", [{"x": 2.0**62}, {"x": 2.0**62}]) == [2.0**63]  # doubles do not
    assert values("FROM l | EVAL v = MV_SUM(x)", [{"x": [2**62, 2**62]}]) == [None]
    assert values("FROM l | EVAL v = x * 4", [{"x": 2**62}]) == [None]
    # the sliding window the engine keeps between runs answers the same
    from elastic_pack.esql.window import SlidingStats

    compiled = CompiledEsql(parse_esql("FROM l | STATS v = SUM(x)"))
    window = SlidingStats(compiled.stats.aggregates)
    for row in big:
        for key, aggregated in compiled.compact(row):
            window.add(key, aggregated)
    assert window.row((), [], ["v"]) == {"v": None}


def test_case_and_coalesce_answer_their_values_common_type():
    docs = [{"x": 5}, {"x": 1}]
    # the first value's type decides: whole numbers after a double become doubles (as the 8.19 node answers)
    assert values("FROM l | EVAL v = CASE(x > 4, 2.5, 1)", docs) == [2.5, 1.0]
    assert [type(v) for v in values("FROM l | EVAL v = CASE(x > 4, 2.5, 1)", docs)] == [float, float]
    assert [type(v) for v in values("FROM l | EVAL v = CASE(x > 4, 1, 2)", docs)] == [int, int]
    # a double (or a long) after an integer is rejected, as Elasticsearch's verifier does
    for query in ("CASE(x > 4, 1, 2.5)", "COALESCE(null, 1, 2.5)", "CASE(x > 4, 1, 3000000000)", "GREATEST(1, 2.5)"):
        with pytest.raises(QueryTypeError, match="after one of type"):
            values(f"FROM l | EVAL v = {query}", docs)


def test_top_in_either_case_with_a_filter_and_mv_sort_of_one_value():
    docs = [{"g": "a", "l": 1, "x": 5}, {"g": "a", "l": 2, "x": 3}, {"g": "a", "l": 3, "x": 4}]
    assert values('FROM l | STATS v = TOP(x, 2, "ASC") WHERE l > 1 BY g', docs) == [[3, 4]]
    assert values('FROM l | STATS v = TOP(x, 1, "DESC") WHERE l > 1 BY g', docs) == [4]
    assert values("FROM l | STATS v = MV_SORT(VALUES(g))", docs) == ["a"]


def test_rename_new_equals_old_and_columns_keep_their_place():
    row = {"a": 1, "b": 2, "c": 3}
    assert list(table("FROM l | RENAME x = b", [row])[0].items()) == [("a", 1), ("x", 2), ("c", 3)]
    assert list(table("FROM l | RENAME b AS x", [row])[0].items()) == [("a", 1), ("x", 2), ("c", 3)]
    assert list(table("FROM l | RENAME a AS c", [row])[0].items()) == [("c", 1), ("b", 2)]  # c replaced
    assert list(table("FROM l | EVAL a = 9", [row])[0]) == ["b", "c", "a"]  # assigned again: last


def test_sort_and_limit_before_stats_run_on_the_whole_table():
    docs = [{"u": "a", "t": 3}, {"u": "b", "t": 1}, {"u": "a", "t": 2}, {"u": "c", "t": 4}]
    compiled = CompiledEsql(parse_esql("FROM l | SORT t DESC | LIMIT 3 | STATS n = COUNT(*) BY u | SORT u"))
    assert compiled.table_mode
    assert compiled.run_table([r for d in docs for r in compiled.rows(d)]) == [{"n": 2, "u": "a"},
                                                                            {"n": 1, "u": "c"}]
    plain = CompiledEsql(parse_esql("FROM l | WHERE t > 1 | SORT t | LIMIT 2 | KEEP u"))
    assert plain.run_table([r for d in docs for r in plain.rows(d)]) == [{"u": "a"}, {"u": "a"}]


def test_a_rule_with_sort_and_limit_before_stats_answers_per_run_window():
    from pathlib import Path

    from elastic_pack.content.model import RuleFile
    from elastic_pack.engine import compile_rule, run_rules
    from elastic_pack.engine.events import Event

    query = "FROM logs-* | SORT @timestamp DESC | LIMIT 2 | STATS n = COUNT(*) BY user.name"
    rule = RuleFile(Path("s.toml"), "", {"rule": {"rule_id": "s", "name": "s", "type": "esql", "language": "esql",
                                                  "query": query, "interval": "5m", "from": "now-5m"}})
    t0 = 1_767_225_600.0
    events = [Event({"user.name": name, "@timestamp": t0 + 10 * i}, t0 + 10 * i, t0 + 10 * i)
              for i, name in enumerate(["v", "u", "v", "v"])]
    alerts = run_rules([compile_rule(rule)], events)
    # the first run (at the first event) sees one v; the next sees all four, and its two latest are v's: u is
    # cut by the LIMIT in every run
    assert [a.group["user.name"] for a in alerts] == ["v", "v"]


def test_percentile_median_and_deviations():
    # t-digest while it holds every value: low + weight * (high - low) between the nearest two, a double
    docs = [{"x": v, "w": w} for v, w in ((1, 1), (2, 1), (3, 2), (4, 0), (10, 1))]
    row = table("FROM l | STATS m = MEDIAN(x), p = PERCENTILE(x, 25 * 2), p99 = PERCENTILE(x, 99), "
                "p0 = PERCENTILE(x, 0), bad = PERCENTILE(x, 110), mad = MEDIAN_ABSOLUTE_DEVIATION(x), "
                "sd = STD_DEV(x), var = VARIANCE(x), wa = WEIGHTED_AVG(x, w)", docs)[0]
    assert row == {"m": 3.0, "p": 3.0, "p99": pytest.approx(9.76), "p0": 1.0, "bad": None, "mad": 1.0,
                   "sd": pytest.approx(10 ** 0.5), "var": 10.0, "wa": 3.8}
    assert type(row["m"]) is float
    assert values("FROM l | STATS v = MEDIAN(x)", [{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}]) == [2.5]
    assert values("FROM l | STATS v = STD_DEV(x)", [{"y": 1}]) == [None]
    # the sliding window the engine keeps between runs answers the same
    from elastic_pack.esql.window import SlidingStats

    compiled = CompiledEsql(parse_esql("FROM l | STATS m = MEDIAN(x), p = PERCENTILE(x, 90), v = VARIANCE(x), "
                                       "w = WEIGHTED_AVG(x, w), d = MEDIAN_ABSOLUTE_DEVIATION(x)"))
    window = SlidingStats(compiled.stats.aggregates)
    for document in docs:
        for key, aggregated in compiled.compact(document):
            window.add(key, aggregated)
    names = [name for name, _, _ in compiled.stats.aggregates]
    assert window.row((), [], names) == pytest.approx(compiled.aggregate(
        [pair for d in docs for pair in compiled.compact(d)])[0])


def test_ip_fields_compare_and_sort_as_ips():
    docs = [{"source.ip": "10.0.0.9", "n": 1}, {"source.ip": "10.0.0.10", "n": 2}, {"source.ip": "::1", "n": 3},
            {"source.ip": "not an ip", "n": 4}]
    # by the bytes of the address (IPv4 as ::ffff:a.b.c.d): ::1 comes before every IPv4 address
    assert values('FROM l | WHERE source.ip > "10.0.0.9" | EVAL v = n', docs) == [2]
    assert values('FROM l | WHERE source.ip < "10.0.0.9" | EVAL v = n', docs) == [3]
    assert values('FROM l | WHERE source.ip == "0:0::1" | EVAL v = n', docs) == [3]
    assert values('FROM l | WHERE source.ip IN ("0::1", "10.0.0.9") | EVAL v = n', docs) == [1, 3]
    assert values('FROM l | WHERE TO_IP("10.0.0.10") > source.ip | EVAL v = n', docs) == [1, 3]
    compiled = CompiledEsql(parse_esql("FROM l | INLINE STATS c = COUNT(*) | SORT source.ip DESC | KEEP n"))
    assert [r["n"] for r in compiled.run_table([r for d in docs for r in compiled.rows(d)])] == [4, 2, 1, 3]


def test_a_rule_casting_a_string_literal_is_not_gated_on_the_literals_text():
    from pathlib import Path

    from elastic_pack.content.model import RuleFile
    from elastic_pack.engine import compile_rule, run_rules
    from elastic_pack.engine.events import Event

    t0 = 1_767_225_600.0
    for where in ('still_hired == "true"', 'd == "2025-01-01"', 'source.ip == "0::1"', 'event.category == "process"'):
        rule = RuleFile(Path("g.toml"), "", {"rule": {"rule_id": "g", "name": "g", "type": "esql", "language": "esql",
                                                      "query": f"FROM logs-* | WHERE {where}", "interval": "5m",
                                                      "from": "now-5m"}})
        event = Event({"still_hired": True, "d": "2025-01-01T00:00:00Z", "source.ip": "::1",
                       "event.category": ["process"]}, t0, t0)
        assert len(run_rules([compile_rule(rule)], [event])) == 1, where


def test_stats_by_alone_and_names_given_twice_as_elasticsearch_resolves_them():
    docs = [{"a": 1, "b": 1, "c": 2}, {"a": 5, "b": 2, "c": 2}]
    # RemoveStatsOverride: the last declaration wins, a group over an aggregate
    assert table("FROM l | STATS x = COUNT(*), x = MIN(a) BY x = b + 1, x = c + 10", docs) == [{"x": 12}]
    rows = table("FROM l | STATS x = ROUND(AVG(a)), y = COUNT(*), x = MAX(a) BY c", docs)
    assert rows == [{"y": 2, "x": 5, "c": 2}] and list(rows[0]) == ["y", "x", "c"]
    assert table("FROM l | STATS x = MAX(a), y = COUNT(*), x = ROUND(AVG(a)) BY c", docs) == [{"y": 2, "x": 3.0,
                                                                                           "c": 2}]
    assert table("FROM l | STATS b = COUNT(*) BY b", docs) == [{"b": 1}, {"b": 2}]
    assert table("FROM l | STATS BY c, b", docs) == [{"c": 2, "b": 1}, {"c": 2, "b": 2}]
    with pytest.raises(EsqlSyntaxError):
        parse_esql("FROM l | STATS")


def test_two_date_fields_compare_as_instants_however_written():
    docs = [{"a": "2025-01-01T00:00:00Z", "b": "2025-01-01T00:00:00.000Z"},
            {"a": "2025-01-01T01:00:00+02:00", "b": "2025-01-01T00:00:00Z"}]
    assert values("FROM l | EVAL v = a == b", docs) == [True, False]
    assert values("FROM l | EVAL v = a < b", docs) == [False, True]  # 01:00+02:00 is 23:00 the day before


def test_keep_places_a_column_by_its_most_precise_name():
    row = [{"first_name": "a", "last_name": "b", "emp_no": 1, "height": 2.0}]
    # a whole name before a partial wildcard before `*`; among equals the rightmost
    assert list(table("FROM l | KEEP *, first_name", row)[0]) == ["last_name", "emp_no", "height", "first_name"]
    assert list(table("FROM l | KEEP first_name*, *name, emp_no", row)[0]) == ["first_name", "last_name", "emp_no"]
    assert list(table("FROM l | KEEP h*, emp_no, first_name", row)[0]) == ["height", "emp_no", "first_name"]


def test_floor_ceil_keep_doubles_and_counts_and_calendar_date_diffs():
    assert values("FROM l | EVAL v = FLOOR(7.5) / 2", [{}]) == [3.5]
    assert values("FROM l | EVAL v = CEIL(7) / 2", [{}]) == [3]
    assert values('FROM l | EVAL v = REPEAT("a", -1)', [{}]) == [None]
    assert values("FROM l | EVAL v = SPACE(-1)", [{}]) == [None]
    dates = [{"a": "2024-01-31T10:00:00Z", "b": "2024-03-31T09:00:00Z"}]
    assert values('FROM l | EVAL v = DATE_DIFF("month", a, b)', dates) == [1]  # a day's hour short of two
    assert values('FROM l | EVAL v = DATE_DIFF("months", b, a)', dates) == [-1]
    assert values('FROM l | EVAL v = DATE_DIFF("year", a, "2026-01-31T10:00:00Z")', dates) == [2]
    assert values('FROM l | EVAL v = DATE_DIFF("quarter", a, "2024-07-31T10:00:00Z")', dates) == [2]
    # nanoseconds over two months: past an integer, null (Elasticsearch: out of [integer] range)
    assert values('FROM l | EVAL v = DATE_DIFF("nanoseconds", a, b)', dates) == [None]


def test_numeric_bucket_and_functions_called_with_other_arguments_are_refused():
    assert values("FROM l | EVAL v = BUCKET(x, 5000.)", [{"x": 27315}, {"x": 4999}]) == [25000.0, 0.0]
    with pytest.raises(ValueError, match="BUCKET"):  # the auto form: refused by name, never null
        table('FROM l | EVAL v = BUCKET(@timestamp, 20, "2025-01-01", "2025-02-01")', [{}])
    with pytest.raises(ValueError, match="LENGTH"):
        table("FROM l | EVAL v = LENGTH(a, b)", [{}])


@pytest.mark.parametrize("expr, expected", [
    ('LOCATE("a,b,a", "a")', 1), ('LOCATE("a,b,a", "a", 2)', 5), ('LOCATE("a,b,a", "a", -1)', 5),
    ('LOCATE("a,b,a", "b", -10)', 3), ('LOCATE("a,b,a", "x")', 0), ('LOCATE("a", "", 0)', 1),
])
def test_locate_counts_positions_as_substring_does(expr, expected):
    assert values(f"FROM l | EVAL v = {expr}", [{}]) == [expected]


@pytest.mark.parametrize("value, text", [(1.0, "1.0"), (1e7, "1.0E7"), (12345678.9, "1.23456789E7"),
                                         (1.5e-4, "1.5E-4"), (0.001, "0.001"), (-2.5e20, "-2.5E20"), (2.03, "2.03")])
def test_to_string_of_a_double_is_javas(value, text):
    assert values("FROM l | EVAL v = TO_STRING(x)", [{"x": value}]) == [text]


def test_to_string_of_a_date_is_elasticsearchs_iso_text():
    docs = [{"@timestamp": "2025-01-01T10:00:00Z"}]
    assert values("FROM l | EVAL v = TO_STRING(@timestamp)", docs) == ["2025-01-01T10:00:00.000Z"]
    assert values("FROM l | EVAL v = DATE_TRUNC(1 day, @timestamp)::string", docs) == ["2025-01-01T00:00:00.000Z"]
    assert values('FROM l | EVAL v = TO_STRING(TO_DATETIME("2025-01-01") + 90 minutes)', docs) == [
        "2025-01-01T01:30:00.000Z"]


def _iso(text: str) -> int:
    from elastic_pack.esql.functions import to_millis

    millis = to_millis(text)
    assert millis is not None
    return millis


@pytest.mark.parametrize("span, expected", [
    ("1 week", "2024-12-30T00:00:00Z"), ("7 days", "2024-12-30T00:00:00Z"),  # weeks start on Monday
    ("168 hours", "2024-12-26T00:00:00Z"),  # a fixed interval: multiples from the epoch (a Thursday)
    ("1 day", "2025-01-01T00:00:00Z"), ("2 days", "2024-12-31T00:00:00Z"),
    ("1 month", "2025-01-01T00:00:00Z"), ("1 quarter", "2025-01-01T00:00:00Z"), ("1 year", "2025-01-01T00:00:00Z"),
])
def test_date_trunc_rounds_as_elasticsearch(span, expected):
    docs = [{"@timestamp": "2025-01-01T10:00:00Z"}]
    assert values(f"FROM l | EVAL v = DATE_TRUNC({span}, @timestamp)", docs) == [_iso(expected)]
    assert values(f"FROM l | EVAL v = BUCKET(@timestamp, {span})", docs) == [_iso(expected)]


def test_calendar_spans_move_dates_by_the_calendar():
    docs = [{"d": "2025-01-31T10:00:00Z"}]
    assert values("FROM l | EVAL v = d + 1 month", docs) == [_iso("2025-02-28T10:00:00Z")]  # clamped
    assert values("FROM l | EVAL v = d - 1 year", docs) == [_iso("2024-01-31T10:00:00Z")]
    assert values("FROM l | EVAL v = d + 1 quarter", docs) == [_iso("2025-04-30T10:00:00Z")]
    assert values("FROM l | EVAL v = DATE_TRUNC(1 quarter, d + 3 months)", docs) == [_iso("2025-04-01T00:00:00Z")]
    assert len(table("FROM l | WHERE d > NOW() - 1 year", docs, now=_iso("2025-06-01T00:00:00Z") / 1000)) == 1
    with pytest.raises(ValueError, match="months"):  # Elasticsearch's multi-month rounding is not reproduced
        table("FROM l | EVAL v = DATE_TRUNC(2 months, d)", docs)


def test_functions_rules_can_use_pi_mv_zip_mv_append_ip_prefix():
    docs = [{"a": ["x", "y", "z"], "b": ["1", "2"], "n": 15, "ip": "10.1.2.3", "ip6": "fe80::cae2:65ff:fece:feb9"}]
    assert values('FROM l | EVAL v = MV_ZIP(a, b, "-")', docs) == [["x-1", "y-2", "z"]]  # the docs' example
    assert values("FROM l | EVAL v = MV_ZIP(a, b)", docs) == [["x,1", "y,2", "z"]]
    assert values("FROM l | EVAL v = MV_ZIP(a, missing)", docs) == [["x", "y", "z"]]
    assert values("FROM l | EVAL v = MV_APPEND(b, missing)", docs) == [None]  # a null side: null, not b
    assert values("FROM l | EVAL v = MV_APPEND(missing, n)", docs) == [None]
    assert values("FROM l | EVAL v = MV_APPEND(n, n)", docs) == [[15, 15]]
    assert values("FROM l | EVAL v = MV_APPEND(a, b)", docs) == [["x", "y", "z", "1", "2"]]
    with pytest.raises(ValueError, match=r"Unknown function \[CLAMP\]"):  # not in 8.19 (the node says so)
        values("FROM l | EVAL v = CLAMP(n, 1, 10)", docs)
    assert values("FROM l | EVAL v = ROUND(PI(), 4) + E() * 0 + TAU() * 0", docs) == [3.1416]
    assert values("FROM l | EVAL v = IP_PREFIX(ip, 24, 112)", docs) == ["10.1.2.0"]
    assert values("FROM l | EVAL v = IP_PREFIX(ip6, 24, 112)", docs) == ["fe80::cae2:65ff:fece:0"]
    with pytest.raises(ValueError, match=r"Unknown function \[TO_TEXT\]"):  # not in 8.19 (the node says so)
        values("FROM l | EVAL v = TO_TEXT(n)", docs)


def test_arithmetic_that_overflows_is_null_and_long_division_is_exact():
    assert values("FROM l | EVAL v = x * 10.0", [{"x": 1e308}]) == [None]
    assert values("FROM l | EVAL v = x / 1e-300", [{"x": 1e300}]) == [None]
    assert values("FROM l | EVAL v = x / 3", [{"x": 2**62 + 1}]) == [(2**62 + 1) // 3]  # not through a double
    assert values("FROM l | EVAL v = x / 2", [{"x": -7}]) == [-3]


def test_list_literals_are_multi_valued_constants():
    docs = [{"tags": ["a", "b", "c"]}, {"tags": "a"}]
    assert values('FROM l | EVAL v = MV_CONTAINS(tags, ["a", "b"])', docs) == [True, False]
    assert values("FROM l | EVAL v = MV_COUNT([1, 2, -3])", docs[:1]) == [3]
    assert values('FROM l | EVAL v = ["x"]', docs[:1]) == ["x"]  # one value: a single value
    assert values("FROM l | EVAL v = [1, 2] + 1", docs[:1]) == [None]  # multi-valued in arithmetic: null
    with pytest.raises(EsqlSyntaxError, match="constants"):
        parse_esql("FROM l | EVAL v = [tags, 1]")


def test_a_date_converts_to_a_number_as_its_epoch_milliseconds():
    docs = [{"@timestamp": "2025-01-01T00:00:00.001Z"}]
    assert values("FROM l | EVAL v = TO_LONG(@timestamp)", docs) == [1_735_689_600_001]
    assert values("FROM l | EVAL v = @timestamp::double", docs) == [1_735_689_600_001.0]
    assert values("FROM l | EVAL v = TO_INTEGER(@timestamp)", docs) == [None]  # out of an int's range
    assert values('FROM l | EVAL v = TO_LONG("2025-01-01")', docs) == [None]  # text that is no number


def test_inline_stats_appends_aggregates_then_groups():
    docs = [{"languages": 2, "salary": 10, "emp_no": 1}, {"languages": 2, "salary": 30, "emp_no": 2}]
    compiled = CompiledEsql(parse_esql("FROM l | INLINE STATS max_salary = MAX(salary) BY languages"))
    rows = compiled.run_table([r for d in docs for r in compiled.rows(d)])
    assert [list(r) for r in rows] == [["salary", "emp_no", "max_salary", "languages"]] * 2
    assert rows[0]["max_salary"] == 30


def test_min_max_and_top_of_an_ip_field_order_ips_by_their_bytes():
    docs = [{"source.ip": ip, "g": "a"} for ip in ("10.0.0.9", "10.0.0.10", "::1")]
    rows = table('FROM l | STATS lo = MIN(source.ip), hi = MAX(source.ip), t = TOP(source.ip, 2, "desc") BY g', docs)
    assert rows == [{"lo": "::1", "hi": "10.0.0.10", "t": ["10.0.0.10", "10.0.0.9"], "g": "a"}]
