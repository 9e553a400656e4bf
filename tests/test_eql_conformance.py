"""EQL rules run with Elasticsearch's semantics, construct by construct (EQL syntax and functions reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

from elastic_pack.engine import compile_rule, run_rules
from elastic_pack.content.model import RuleFile
from elastic_pack.eql.compile import Compiler, compile_event_query
from elastic_pack.engine.events import Event
from elastic_pack.eql.parser import EqlQueryError, parse_eql
from elastic_pack.errors import NotRunnable


def Rule(query: str, **params) -> RuleFile:  # noqa: N802 - a rule file built in memory
    return RuleFile(Path("r.toml"), "", {"rule": {"rule_id": "r", "name": "r", "type": "eql", "interval": "5m",
                                                  "from": "now-2h", "language": "eql", "query": query, **params}})


def alerts(query: str, documents: list[dict], **params):
    events = [Event(dict(d, _id=f"e{i}"), float(d.get("t", i)), float(d.get("t", i)), f"f:{i + 1}")
              for i, d in enumerate(documents)]
    return run_rules([compile_rule(Rule(query, **params))], events)


def where(query: str, fields: dict):
    parsed = parse_eql(query)
    return compile_event_query(parsed, parsed.tree.first)(fields)


# --- sequences
def test_each_stage_joins_on_its_own_fields():
    query = ("sequence [process where true] by process.entity_id "
             "[network where true] by process.parent.entity_id")
    docs = [{"event.category": "process", "process.entity_id": "P1", "t": 0},
            {"event.category": "network", "process.parent.entity_id": "P1", "process.entity_id": "X", "t": 1}]
    assert [a.ancestors for a in alerts(query, docs)] == [("e0", "e1")]
    docs[1]["process.parent.entity_id"] = "P2"
    docs[1]["process.entity_id"] = "P1"  # stage 0's field on stage 1's event must not join
    assert alerts(query, docs) == []


def test_a_multi_valued_join_key_offers_each_value():
    query = "sequence by user.id [process where true] [network where true]"
    docs = [{"event.category": "process", "user.id": ["a", "b"], "t": 0},
            {"event.category": "network", "user.id": "b", "t": 1}]
    assert len(alerts(query, docs)) == 1
    docs[1]["user.id"] = "c"
    assert alerts(query, docs) == []
    # an array of nulls is null: no join on a non-optional key
    docs[0]["user.id"] = [None]
    docs[1]["user.id"] = None
    assert alerts(query, docs) == []


def test_until_cancels_sequences_of_its_key():
    query = ("sequence by k [process where event.type == \"start\"] [network where true] "
             "until [process where event.type == \"end\"]")
    start = {"event.category": "process", "event.type": "start", "k": "a", "t": 0}
    net = {"event.category": "network", "k": "a", "t": 2}
    end_same = {"event.category": "process", "event.type": "end", "k": "a", "t": 1}
    end_other = dict(end_same, k="b")
    assert alerts(query, [start, end_same, net]) == []
    assert len(alerts(query, [start, end_other, net])) == 1


def test_head_and_tail_keep_the_first_and_last_results_of_each_run():
    # every run (5m apart, 2h look-back) sees all five events: head keeps e0 and e1 whatever the run
    docs = [{"event.category": "process", "n": i, "t": i} for i in range(5)]
    head = alerts("process where true | head 2", docs)
    assert sorted(a.ancestors for a in head) == [("e0",), ("e1",)]
    # tail: the first run sees only e0; the next sees all five and keeps e3 and e4
    tail = alerts("process where true | tail 2", docs)
    assert sorted(a.ancestors for a in tail) == [("e0",), ("e3",), ("e4",)]


def test_missing_event_between_two_stages():
    query = "sequence by k with maxspan=1h [process where true] ![file where true] [network where true]"
    p, n = {"event.category": "process", "k": "a", "t": 0}, {"event.category": "network", "k": "a", "t": 10}
    assert len(alerts(query, [p, n])) == 1
    assert alerts(query, [p, {"event.category": "file", "k": "a", "t": 5}, n]) == []
    assert len(alerts(query, [p, {"event.category": "file", "k": "b", "t": 5}, n])) == 1  # another key
    assert len(alerts(query, [p, n, {"event.category": "file", "k": "a", "t": 11}])) == 1  # after: irrelevant


def test_trailing_missing_event_within_maxspan():
    query = "sequence by k with maxspan=100s [process where true] [network where true] ![file where true]"
    p, n = {"event.category": "process", "k": "a", "t": 0}, {"event.category": "network", "k": "a", "t": 10}
    assert len(alerts(query, [p, n, {"event.category": "other", "k": "a", "t": 500}])) == 1
    assert alerts(query, [p, n, {"event.category": "file", "k": "a", "t": 100}]) == []  # inside maxspan
    assert len(alerts(query, [p, n, {"event.category": "file", "k": "a", "t": 101}])) == 1  # just outside


def test_event_category_override_and_timestamp_field():
    docs = [{"kind": "process", "t": 0}, {"event.category": "process", "t": 1}]
    assert [a.ancestors for a in alerts("process where true", docs, event_category_override="kind")] == [("e0",)]
    query = "sequence with maxspan=10s [process where a == 1] [process where a == 2]"
    docs = [{"event.category": "process", "a": 1, "t": 0, "when": "2024-01-01T00:00:00Z"},
            {"event.category": "process", "a": 2, "t": 5, "when": "2024-01-01T00:00:30Z"}]
    assert len(alerts(query, docs)) == 1
    assert alerts(query, docs, timestamp_field="when") == []  # 30 s apart on the rule's own time field


def test_pipes_after_sample_are_refused_by_name():
    with pytest.raises(NotRunnable, match="sample"):
        compile_rule(Rule("sample by host.id [process where true] [network where true] | head 1"))


# --- expressions and functions
@pytest.mark.parametrize("query, fields, expected", [
    ('any where cidrmatch(source.ip, "10.0.0.0/8", "192.168.0.0/16")', {"source.ip": "192.168.1.1"}, True),
    ('any where cidrMatch(source.ip, "10.0.0.0/8")', {"source.ip": "11.0.0.1"}, False),
    ('any where cidrMatch(source.ip, "10.0.0.0/8")', {"source.ip": ["11.0.0.1", "10.0.0.1"]}, True),
    ("any where exit_code > -1", {"exit_code": 0}, True),
    ("any where exit_code > -1", {"exit_code": -1}, False),
    ("any where n + 2 * 3 == 10", {"n": 4}, True),
    ("any where n / 2 == 2", {"n": 5}, True),  # integer division truncates
    ("any where n % 3 == -1", {"n": -7}, True),  # the sign of the dividend, as Java
    ('any where between(p, "\\\\", ".exe") == "cmd"', {"p": "C:\\cmd.exe"}, True),
    ('any where between(p, "a", "z", true) == "bcaz"', {"p": "abcazzq"}, True),
    ('any where between(p, "q", "z") == ""', {"p": "abcazz"}, True),  # left not found: empty
    ('any where between(p, "a", "z") == "bca"', {"p": "abcazz"}, True),
    ('any where length(p) == 3', {"p": "abc"}, True),
    ('any where length(p) == 3', {}, False),
    ('any where substring(p, -3) == "exe"', {"p": "cmd.exe"}, True),
    ('any where substring(p, 0, 3) == "cmd"', {"p": "cmd.exe"}, True),
    ('any where indexOf(p, ".") == 3', {"p": "cmd.exe"}, True),
    ('any where indexOf(p, "c", 1) == null', {"p": "cmd.exe"}, True),
    ('any where concat(a, "-", b) == "x-1"', {"a": "x", "b": 1}, True),
    ('any where concat(a, b) == "x"', {"a": "x"}, False),  # a null argument gives null
    ('any where number(p) == 42', {"p": "42"}, True),
    ('any where number(p, 16) == 255', {"p": "ff"}, True),
    ('any where string(n) == "7"', {"n": 7}, True),
    ('any where p regex "c[a-z]+\\\\.exe"', {"p": "cmd.exe"}, True),
    ('any where p regex "md"', {"p": "cmd.exe"}, False),  # a regex matches the whole value
    ('any where p regex~ "CMD.*"', {"p": "cmd.exe"}, True),
    ('any where startsWith(p, q)', {"p": "cmd.exe", "q": "cmd"}, True),  # a field as an argument
    ('any where endsWith~(p, ".EXE")', {"p": "cmd.exe"}, True),
    ('any where p in (q, "x")', {"p": "y", "q": "y"}, True),
])
def test_functions_and_operators(query, fields, expected):
    assert (where(query, fields) is True) is expected


# Java's long / and %: the exact quotient rounded towards zero, the remainder with the dividend's sign, at
# any size (the engine's modulo went through a float and said 65 for (2**60 + 1) % 3, which is 2)
@pytest.mark.parametrize("x, y", [(2**53 - 1, 3), (2**53, 3), (2**53 + 1, 3), (2**60 + 1, 3), (-(2**60 + 1), 3),
                                  (2**60 + 1, -7), (7, 2), (-7, 2), (7, -2), (-7, -2), (1, 3), (0, 5)])
def test_integer_division_and_remainder_are_javas_at_any_size(x, y):
    quotient = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)
    assert where(f"any where n / {y} == {quotient}", {"n": x}) is True
    assert where(f"any where n % {y} == {x - y * quotient}", {"n": x}) is True


@pytest.mark.parametrize("query, error", [
    ("any where n / 0 == 1", "divided by 0"), ("any where n % 0 == 1", "divided by 0"),
    ("any where n / 0.0 == 1", "Infinity or NaN"), ("any where n % 0.0 == 1", "Infinity or NaN"),
    ("any where n / z == 1", "divided by 0"),
])
def test_a_zero_divisor_fails_the_search_or_is_refused_never_null(query, error):
    # Elasticsearch's Arithmetics: Java's long / and % throw (the search fails), doubles give Infinity or NaN
    with pytest.raises(ValueError, match=error):
        where(query, {"n": 7, "z": 0})
    assert where(query, {"z": 0}) is False  # a null dividend: null (no match), the division is not made


@pytest.mark.parametrize("query", ["any where n / z == null", "any where n % z == null", "any where 7.5 % 2 == 1.5",
                                   "any where -7.5 % 2 == -1.5", "any where n / 2.0 == 3.5"])
def test_division_by_null_is_null_and_decimals_divide_as_doubles(query):
    assert where(query, {"n": 7}) is True


@pytest.mark.parametrize("query, expected", [
    ("any where a == 1 and z == 1", None), ("any where a == 2 and z == 1", False), ("any where a == 1 and a == 1", True),
    ("any where a == 1 or z == 1", True), ("any where a == 2 or z == 1", None), ("any where a == 2 or a == 3", False),
    ("any where not (a == 2 and z == 1)", True), ("any where not (a == 2 or z == 1)", True),
])
def test_and_and_or_are_three_valued(query, expected):
    parsed = parse_eql(query)
    assert Compiler(parsed).expr(parsed.tree.first.query)({"a": 1}) is expected


def test_between_greedy_takes_the_last_right_delimiter():
    assert where('any where between(p, "a", "z", true) == "bcaz"', {"p": "abcazz"}) is True


def test_functions_elasticsearch_lacks_are_rejected():
    with pytest.raises(EqlQueryError, match="Unknown function"):
        parse_eql('any where arrayContains(p, "x")')


# --- issue 27: Elasticsearch's EQL QA specs (x-pack/plugin/eql/qa/common) and its sequence matcher
def test_at_names_are_fields_anywhere_in_a_query():
    parsed = parse_eql('process where @timestamp == "2017-08-30T20:47:33Z" and a == "@x" and ?@y.z != 1')
    assert parsed.fields == {"@timestamp", "a", "@y.z"} and parsed.optional_fields == {"@y.z"}
    assert where('process where a == "@x \\" @b"', {"event.category": "process", "a": '@x " @b'})
    assert parse_eql("sequence by @k [process where true] [file where true]").join_fields == ["@k"]


@pytest.mark.parametrize("query, expected", [
    ('@timestamp == "2017-08-30T20:47:33Z"', True),  # the same instant, written without millis
    ('@timestamp == "2017-08-30T20:47:33.001Z"', False),
    ('@timestamp == "2017-08-30"', True),  # a term query on a date: the whole day the date rounds to
    ('@timestamp == "2017-08-31"', False),
    ('@timestamp != "2017-08-30T20:47:33Z"', False),
    ('@timestamp < "2017-08-30T20:47:33.001Z"', True),  # one over
    ('@timestamp < "2017-08-30T20:47:33Z"', False),  # at
    ('@timestamp <= "2017-08-30T20:47:33Z"', True),
    ('@timestamp > "2017-08-30T20:47:32.999Z"', True),  # one under
    ('@timestamp > "2017-08-30"', False),  # gt rounds the partial date up to the day's last millisecond
    ('@timestamp >= "2017-08-30"', True),
    ('"2017-08-30T20:47:33Z" <= @timestamp', True),
    ('@timestamp == 1504126053000', True),  # epoch millis
])
def test_date_fields_compare_as_dates(query, expected):
    event = {"event.category": "process", "@timestamp": "2017-08-30T20:47:33.000Z"}
    assert where(f"process where {query}", event) is expected


def test_in_on_a_date_field_is_a_terms_query_of_dates():
    event = {"event.category": "process", "@timestamp": "2017-08-30T20:47:33.000Z"}
    assert where('process where @timestamp in ("2017-08-29", "2017-08-30T20:47:33Z")', event) is True
    assert where('process where @timestamp in ("2017-08-29", "2017-08-31")', event) is False
    assert where('process where @timestamp in (1504126053000)', event) is True


def test_a_date_without_milliseconds_covers_its_second():
    # the term query's upper bound is the value rounded up: 33.999 is in "…:33Z", 34.000 is not
    query = 'process where @timestamp == "2017-08-30T20:47:33Z"'
    assert where(query, {"event.category": "process", "@timestamp": "2017-08-30T20:47:33.999Z"}) is True
    assert where(query, {"event.category": "process", "@timestamp": "2017-08-30T20:47:34.000Z"}) is False
    assert where(query, {"event.category": "process", "@timestamp": "2017-08-30T20:47:32.999Z"}) is False


def test_a_date_elasticsearch_cannot_parse_is_refused_by_name():
    for value in ("yesterday", "2017-08-30 20:47:33"):
        with pytest.raises(NotRunnable, match="fails the query"):
            compile_rule(Rule(f'process where @timestamp > "{value}"'))


def test_leading_and_trailing_missing_stages_discard_only_together_within_maxspan():
    # missing-events.data test3: missing 12:00:00.000, normal 12:10:00.001, missing 12:20:00.001, ...
    noon = 1_651_665_600  # 2022-05-04T12:00:00Z
    docs = [{"event.category": "test3", "tag": tag, "t": noon + seconds} for seconds, tag in (
        (0, "missing"), (600.001, "normal"), (1200.001, "missing"), (1260.001, "normal"), (1740.001, "normal"),
        (1860.001, "normal"))]
    query = ('sequence with maxspan={} ![test3 where tag == "missing"] [test3 where tag == "normal"] '
             '![test3 where tag == "missing"]')
    # leadingAndTrailingExcluded1 / 2: the two missing events are 20m0.001s apart
    assert sorted(a.ancestors for a in alerts(query.format("19m"), docs)) == [("e1",), ("e3",), ("e4",), ("e5",)]
    assert sorted(a.ancestors for a in alerts(query.format("21m"), docs)) == [("e3",), ("e4",), ("e5",)]
    # at the edge: exactly maxspan apart is within it (Elasticsearch rejects only what exceeds it)
    assert sorted(a.ancestors for a in alerts(query.format("1200001ms"), docs)) == [("e3",), ("e4",), ("e5",)]
    assert ("e1",) in [a.ancestors for a in alerts(query.format("1200000ms"), docs)]
    # only a leading stage: found within maxspan before, it discards (leadingSimple)
    leading = 'sequence with maxspan=3m ![test3 where tag == "missing"] [test3 where tag == "normal"]'
    assert sorted(a.ancestors for a in alerts(leading, docs)) == [("e1",), ("e4",), ("e5",)]


def test_until_blocks_what_comes_after_it_not_its_own_place():
    # Elasticsearch rejects a step when an until event of the key lies at or after the sequence's last event
    query = 'sequence by k [process where a == 1] [process where a == 2] until [process where u == 1]'
    first, second = {"event.category": "process", "k": "x", "a": 1, "t": 0}, {"event.category": "process", "k": "x",
                                                                               "a": 2, "t": 2}
    assert len(alerts(query, [first, second])) == 1
    assert alerts(query, [first, dict(second, a=0, u=1, t=1), second]) == []  # between: ends it
    assert len(alerts(query, [first, dict(second, u=1)])) == 1  # the last event is an until event: completes
    assert alerts(query, [dict(first, u=1), second]) == []  # the first event is one: nothing after it
    # runs=N: the until event taking a run's place still completes the sequence
    runs = 'sequence by k [process where a == 1] with runs=3 until [process where u == 1]'
    ones = [{"event.category": "process", "k": "x", "a": 1, "t": t} for t in range(3)]
    assert len(alerts(runs, ones)) == 1
    assert len(alerts(runs, ones[:2] + [dict(ones[2], u=1)])) == 1
    assert alerts(runs, ones[:1] + [dict(ones[1], u=1)] + ones[2:]) == []


def test_sequences_are_ordered_by_their_last_event_then_their_first():
    # sequenceWithMoreThan10Results: [16, 60, 66] comes after [59, 61, 65], before [61, 65, 67]
    query = "sequence by k [process where true] [network where true]"
    docs = [{"event.category": "process", "k": "a", "t": 0}, {"event.category": "process", "k": "b", "t": 1},
            {"event.category": "network", "k": "b", "t": 2}, {"event.category": "network", "k": "a", "t": 3}]
    assert [a.ancestors for a in alerts(query + " | head 1", docs)] == [("e1", "e2")]
    assert [a.ancestors for a in alerts(query + " | tail 1", docs)] == [("e0", "e3")]
    from elastic_pack.query import run_query

    body = run_query(query + " | head 1", [dict(d, **{"@timestamp": 1_700_000_000_000 + d["t"]}) for d in docs],
                     "eql")
    assert [[e["_source"]["t"] for e in s["events"]] for s in body["hits"]["sequences"]] == [[1, 2]]


def test_head_and_tail_pipes_apply_in_order():
    # sequencesOnDifferentEventTypes2 (`| head 4 | tail 2`); the first run (at e0's time) sees only e0
    docs = [{"event.category": "process", "t": i} for i in range(6)]
    assert sorted(a.ancestors for a in alerts("process where true | head 4 | tail 2", docs, **{"from": "now-1d"})) \
        == [("e0",), ("e2",), ("e3",)]
    assert sorted(a.ancestors for a in alerts("process where true | tail 3 | head 1", docs, **{"from": "now-1d"})) \
        == [("e0",), ("e3",)]  # the first run sees only e0


def test_head_over_a_long_look_back_alerts_each_result_once_as_the_window_slides():
    # Kibana's EQL rule runs the search over each run's window; an alert's _id is a hash of its event (or a
    # sequence's events), and the persistence wrapper's filterDuplicateAlerts drops an _id already in the alerts
    # index: e0 is the head of every run (5m apart, 2h look-back) until it leaves the window, then e1 is, then
    # e2: three alerts, each once
    docs = [{"event.category": "process", "t": t} for t in (0, 3600, 7200)]
    assert sorted(a.ancestors for a in alerts("process where true | head 1", docs)) == [("e0",), ("e1",), ("e2",)]
    # e1 alerts only if some run's window has left e0 behind and still holds e1: the run at 7500 s searches
    # [300, 7500], so e1 at 300 s (or later) alerts and e1 a millisecond earlier, head of no run, does not
    for gap, expected in ((299.999, [("e0",)]), (300, [("e0",), ("e1",)]), (300.001, [("e0",), ("e1",)])):
        docs = [{"event.category": "process", "t": 0}, {"event.category": "process", "t": gap}]
        assert sorted(a.ancestors for a in alerts("process where true | head 1", docs)) == expected, gap


def test_a_run_window_holds_both_its_ends():
    # Kibana searches [run - look-back, run] inclusive: an event exactly at a later run's lower bound is in
    # that run, and `| head 1` keeps it there (one millisecond earlier it is not)
    def kept(at):
        docs = [{"event.category": "process", "t": 0}, {"event.category": "process", "t": at}]
        return sorted(a.ancestors for a in alerts("process where true | head 1", docs, interval="5m",
                                                   **{"from": "now-5m"}))
    assert kept(300) == [("e0",), ("e1",)]
    assert kept(299.999) == [("e0",)]
    assert kept(300.001) == [("e0",), ("e1",)]


@pytest.mark.parametrize("condition, expected", [
    ('source.ip == "10.0.0.0/8"', True),  # a term query on an ip field takes a CIDR block
    ('source.ip == "10.1.2.3"', True),
    ('source.ip == "10.1.2.4"', False),
    ('source.ip == "11.0.0.0/8"', False),
    ('source.ip != "10.0.0.0/8"', False),
    ('destination.ip == "::1"', True),  # any spelling of the address
    ('destination.ip != "::1"', False),
    ('source.ip in ("11.0.0.0/8", "10.1.2.3/32")', True),
    ('source.ip in ("11.0.0.0/8", "10.1.2.4")', False),
    ('source.ip > "10.1.2.2"', True),  # one under
    ('source.ip > "10.1.2.3"', False),  # at
    ('source.ip >= "10.1.2.3"', True),
    ('source.ip < "10.1.2.4"', True),  # one over
    ('source.ip < "::1"', False),  # IPv4 sorts after ::1 (as ::ffff:a.b.c.d)
])
def test_ip_fields_compare_as_addresses(condition, expected):
    event = {"event.category": "network", "source.ip": "10.1.2.3", "destination.ip": "0:0:0:0:0:0:0:1"}
    assert where(f"network where {condition}", event) is expected


def test_text_functions_and_bad_addresses_on_ip_fields_are_refused_by_name():
    for condition in ('source.ip like "10.*"', 'startsWith(source.ip, "10.")', 'source.ip : "10.*"',
                      'source.ip == "10.1.2"', 'source.ip > "10.0.0.0/8"'):
        with pytest.raises(NotRunnable, match="ip field|not an IP"):
            compile_rule(Rule(f"network where {condition}"))
    assert where('network where cidrMatch(source.ip, "10.0.0.0/8")', {"event.category": "network",
                                                                       "source.ip": "10.1.2.3"}) is True


def test_eql_takes_the_callers_mapping():
    # `elastic-pack query` (and Compiler) read types from the mapping given, else the field catalogue
    from elastic_pack.query import run_query

    docs = [{"_id": "a", "@timestamp": "2024-01-01T00:00:00Z", "event.category": "network", "peer": "10.1.2.3"}]
    query = 'network where peer == "10.0.0.0/8"'
    assert run_query(query, docs, "eql")["hits"]["total"]["value"] == 0  # unmapped: text
    assert run_query(query, docs, "eql", field_types={"peer": "ip"})["hits"]["total"]["value"] == 1
    docs[0]["v"] = "1.11.0"  # a version field compares in version order: 1.11.0 > 1.2.3 (as text it is not)
    assert run_query('network where v > "1.2.3"', docs, "eql", field_types={"v": "version"})["hits"]["total"] \
        == {"value": 1, "relation": "eq"}


def test_sequences_ending_at_the_same_time_are_ordered_by_their_last_events_position_not_their_first():
    # both sequences end at t=2; Elasticsearch orders by the last event's ordinal (time, then tiebreaker/input
    # position): (e1, e2) ends first although (e0, e3) started first
    query = "sequence by k [process where true] [network where true]"
    docs = [{"event.category": "process", "k": "b", "t": 0}, {"event.category": "process", "k": "a", "t": 1},
            {"event.category": "network", "k": "a", "t": 2}, {"event.category": "network", "k": "b", "t": 2}]
    assert [a.ancestors for a in alerts(query + " | head 1", docs)] == [("e1", "e2")]
    assert [a.ancestors for a in alerts(query + " | tail 1", docs)] == [("e0", "e3")]
    from elastic_pack import eql

    body = eql.search(query + " | head 1", [dict(d, **{"@timestamp": 1_700_000_000_000 + d["t"]}) for d in docs])
    assert [[e["_source"]["k"] for e in s["events"]] for s in body["hits"]["sequences"]] == [["a", "a"]]


# --- sample rules (three of Elastic's rules use `sample`)
def test_a_sample_rule_alerts_once_per_sample_in_the_run_whose_window_holds_it():
    query = "sample by host.id [process where true] [network where true]"
    docs = [{"event.category": "network", "host.id": "h1", "t": 0}, {"event.category": "process", "host.id": "h1", "t": 60},
            {"event.category": "process", "host.id": "h2", "t": 61}]
    found = alerts(query, docs, interval="5m", **{"from": "now-6m"})
    assert [(a.ancestors, a.group) for a in found] == [(("e1", "e0"), {"host.id": "h1"})]  # filter order, not time


def test_a_sample_needs_its_events_within_one_runs_window():
    query = "sample by host.id [process where true] [network where true]"
    # runs at 0, 300, 600 s reading the 5 minutes before them, both ends included: the run at 300 holds
    # events at 0 and 300; one at 300.001 falls to the run at 600, whose window starts after 0
    for gap, expected in ((300, 1), (300.001, 0)):
        docs = [{"event.category": "network", "host.id": "h", "t": 0},
                {"event.category": "process", "host.id": "h", "t": gap}]
        assert len(alerts(query, docs, interval="5m", **{"from": "now-5m"})) == expected, gap


def test_excepted_events_take_part_in_no_sample():
    from elastic_pack.engine.events import Event as E

    query = "sample by host.id [process where true] [network where true]"
    rule = compile_rule(Rule(query), exceptions=[lambda f: f.get("user.name") == "svc"])
    events = [E({"event.category": "process", "host.id": "h", "user.name": "svc", "_id": "p"}, 0.0, 0.0, "f:1"),
              E({"event.category": "network", "host.id": "h", "_id": "n"}, 1.0, 1.0, "f:2")]
    assert run_rules([rule], events) == []
