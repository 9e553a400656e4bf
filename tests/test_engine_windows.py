"""engine windows: Kibana's schedule (a run every interval, each reading [run - look-back, run]) at its edges."""

from __future__ import annotations

from pathlib import Path

from elastic_pack.content.model import RuleFile
from elastic_pack.engine import compile_rule, run_rules
from elastic_pack.engine.events import Event
from elastic_pack.engine.schedule import Schedule

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def test_runs_fall_every_interval_from_the_first():
    schedule = Schedule(T0, 300, 3600)
    assert schedule.first_run_at_or_after(T0 - 1) == T0
    assert schedule.first_run_at_or_after(T0 + 300) == T0 + 300  # exactly at a run: that run
    assert schedule.first_run_at_or_after(T0 + 300.001) == T0 + 600  # just after: the next


def _threshold(value: int, lookback: str = "now-60m") -> RuleFile:
    return RuleFile(Path("t.toml"), "", {"rule": {
        "rule_id": "t", "name": "t", "type": "threshold", "language": "kuery", "query": "event.action: x",
        "interval": "5m", "from": lookback, "threshold": {"field": ["user.name"], "value": value}}})


def _events(times: list[float]) -> list[Event]:
    return [Event({"event.action": "x", "user.name": "u"}, t, t) for t in times]


def test_a_window_holds_events_exactly_at_its_start_and_end():
    # the first run is at T0; the run at T0 + 3600 reads [T0, T0 + 3600]: both events, inclusive
    alerts = run_rules([compile_rule(_threshold(2))], _events([T0, T0 + 3600]))
    assert [(a.event_count, a.run_time) for a in alerts] == [(2, T0 + 3600)]


def test_an_event_just_outside_the_window_is_not_counted():
    alerts = run_rules([compile_rule(_threshold(2))], _events([T0, T0 + 3600.001]))
    assert alerts == []


def test_at_the_threshold_alerts_and_one_under_does_not():
    assert len(run_rules([compile_rule(_threshold(3))], _events([T0, T0 + 1, T0 + 2]))) == 1
    assert run_rules([compile_rule(_threshold(4))], _events([T0, T0 + 1, T0 + 2])) == []


def test_one_burst_seen_by_overlapping_runs_alerts_once():
    burst = [T0 + i for i in range(10)]  # read by every run of the next hour
    assert len(run_rules([compile_rule(_threshold(10))], _events(burst + [T0 + 7200]))) == 1


def _esql(query: str) -> RuleFile:
    return RuleFile(Path("e.toml"), "", {"rule": {
        "rule_id": "e", "name": "e", "type": "esql", "language": "esql", "query": query,
        "interval": "5m", "from": "now-60m"}})


def test_stats_without_by_answers_runs_whose_window_is_empty():
    # Elasticsearch answers `STATS c = COUNT(*)` with one row (c = 0) when nothing matches: a rule alerting on
    # a quiet source fires in every run whose hour holds fewer events, including none
    rule = _esql('FROM logs-* | WHERE event.action == "x" | STATS c = COUNT(*) | WHERE c < 2')
    events = _events([T0, T0, T0 + 7200])  # two events, then two quiet hours, then one
    runs = [a.run_time for a in run_rules([compile_rule(rule)], events)]
    assert runs[0] == T0 + 3900  # the first run whose window [run - 1h, run] has left both events behind
    assert T0 + 3600 not in runs  # exactly an hour after: the window still holds both (inclusive)
    assert runs[-1] == T0 + 7200 and len(runs) == (7200 - 3900) // 300 + 1  # every run since, to the last event


def test_stats_with_by_has_no_row_for_a_group_without_events():
    rule = _esql('FROM logs-* | WHERE event.action == "x" | STATS c = COUNT(*) BY user.name | WHERE c < 2')
    runs = [a.run_time for a in run_rules([compile_rule(rule)], _events([T0, T0, T0 + 7200]))]
    assert runs == [T0 + 7200]  # only the run that sees the lone event


def _cardinality(value: int, distinct: int) -> RuleFile:
    rule = _threshold(value)
    rule.data["rule"]["threshold"]["cardinality"] = [{"field": "source.ip", "value": distinct}]
    return rule


def _from_ips(ips: list) -> list[Event]:
    return [Event({"event.action": "x", "user.name": "u", "source.ip": ip}, T0 + i, T0 + i) for i, ip in enumerate(ips)]


def test_threshold_cardinality_needs_that_many_distinct_values():
    # Kibana: doc count >= value and the cardinality of the field >= its value, per group in the window
    at = run_rules([compile_rule(_cardinality(3, 3))], _from_ips(["a", "b", "c"]))
    assert [(a.event_count, a.run_time) for a in at] == [(3, T0 + 300)]
    assert run_rules([compile_rule(_cardinality(3, 3))], _from_ips(["a", "b", "b", "a"])) == []  # 2 distinct
    assert len(run_rules([compile_rule(_cardinality(2, 3))], _from_ips([["a", "b"], "c"]))) == 1  # each value
    assert run_rules([compile_rule(_cardinality(2, 2))], _from_ips([None, "a"])) == []  # a missing value is none


def test_a_rule_windows_on_its_timestamp_override_else_on_timestamp():
    # two events an hour and a half apart by @timestamp, ingested together (a delayed shipper): Kibana reads
    # ranges of event.ingested for a rule with timestamp_override = event.ingested, of @timestamp otherwise
    from elastic_pack.engine import event_from_document

    documents = [{"@timestamp": "2026-01-01T00:00:00Z", "event": {"ingested": "2026-01-01T01:30:00Z", "action": "x"},
                  "user": {"name": "u"}},
                 {"@timestamp": "2026-01-01T01:30:00Z", "event": {"ingested": "2026-01-01T01:30:00Z", "action": "x"},
                  "user": {"name": "u"}}]
    plain, overridden = _threshold(2), _threshold(2)
    overridden.data["rule"]["timestamp_override"] = "event.ingested"
    rules = [compile_rule(plain), compile_rule(overridden)]
    assert [r.window_field for r in rules] == ["@timestamp", "event.ingested"]
    for rule in rules:
        events = [event_from_document(d, window_field=rule.window_field) for d in documents]
        alerts = run_rules([rule], events)
        assert len(alerts) == (1 if rule.window_field == "event.ingested" else 0)
    # a document without the override field falls back to @timestamp, as Kibana does
    event = event_from_document({"@timestamp": "2026-01-01T00:00:00Z"}, window_field="event.ingested")
    assert event.window_time == event.timestamp


def test_a_run_raises_at_most_max_signals_and_the_next_run_takes_what_it_still_sees():
    # Kibana stops a run at max_signals new alerts; the next run, whose window still holds the rest, raises
    # them (up to its own max_signals); what no later window holds is never alerted
    rule = RuleFile(Path("q.toml"), "", {"rule": {
        "rule_id": "q", "name": "q", "type": "query", "language": "kuery", "query": "event.action: x",
        "interval": "5m", "from": "now-10m", "max_signals": 2}})
    events = [Event({"event.action": "x"}, T0 + i, T0 + i) for i in (1, 2, 3, 4, 5)]
    first = Event({"event.action": "y"}, T0, T0)  # the schedule starts at T0: runs at T0 + 300k
    alerts = run_rules([compile_rule(rule)], [first, *events])
    assert [(a.run_time - T0, a.first_event - T0) for a in alerts] == [(300, 1), (300, 2), (600, 3), (600, 4)]


def test_a_new_term_is_new_when_the_run_that_reads_it_has_no_earlier_one_in_its_history():
    # Kibana's run R calls a term new when it does not occur in [R - history, R - from); history counts from
    # the run, so an occurrence 3,590 s before the event but 3,800 s before its run is outside a 1 h history
    rule = RuleFile(Path("n.toml"), "", {"rule": {
        "rule_id": "n", "name": "n", "type": "new_terms", "language": "kuery", "query": "event.action: x",
        "interval": "5m", "from": "now-6m", "new_terms_fields": ["user.name"], "history_window_start": "now-1h"}})
    start = Event({"event.action": "y"}, T0, T0)  # the schedule (and the warm-up hour) starts here

    def seen(*offsets: float) -> list[float]:
        events = [start, *(Event({"event.action": "x", "user.name": "u"}, T0 + o, T0 + o) for o in offsets)]
        return [a.first_event - T0 for a in run_rules([compile_rule(rule)], events)]

    assert seen(4000, 4000 + 3590) == [4000, 7590]  # its run at T0 + 7800 is 3,800 s after the first
    assert seen(4000, 4000 + 3290) == [4000]  # its run at T0 + 7500: 3,500 s, inside the history


def test_an_esql_rule_answers_by_the_mapping_it_is_given():
    # MAX over an ip field orders by address (10.0.0.10 after 10.0.0.9); over a keyword, as text ("10.0.0.9")
    rule = _esql('FROM logs-* | STATS top = MAX(source.ip) | WHERE top == "10.0.0.10"')
    events = [Event({"source.ip": ip, "@timestamp": T0}, T0, T0) for ip in ("10.0.0.9", "10.0.0.10")]

    def fired(mapping) -> bool:
        return bool(run_rules([compile_rule(rule, mapping=mapping)], events))

    assert fired({"source.ip": "ip"})
    assert not fired({"source.ip": "keyword"})
