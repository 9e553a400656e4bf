"""explain: why a rule alerted or did not, checked at the edges each rule type turns on.

Every case runs the same events through the engine (`run_rules`) too: the explanation's alerts must be the
engine's, and its counts must say why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.content.model import RuleFile
from elastic_pack.engine import compile_rule, run_rules
from elastic_pack.engine.events import Event
from elastic_pack.explain import explain, explain_events, render_text
from elastic_pack.scenario_run import with_warm_up

from .conftest import REPO

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
SAMPLE = REPO / "examples" / "sample-events.ndjson"
runner = CliRunner()


def _rule(kind: str, query: str, language: str = "kuery", **extra) -> RuleFile:
    return RuleFile(Path("r.toml"), "", {"rule": {
        "rule_id": "r", "name": "r", "type": kind, "language": language, "query": query,
        "interval": "5m", "from": "now-60m", **extra}})


def _events(*items: tuple[float, dict]) -> list[Event]:
    return [Event(dict(fields), t, t) for t, fields in items]


def _explained(rule: RuleFile, events: list[Event], **options) -> dict:
    result = explain_events(rule, events, **options)
    engine = run_rules(with_warm_up([compile_rule(rule, options.get("exceptions"))], options.get("warm_up")), events)
    if options.get("at") is None:
        assert [a["run_time"] for a in result["alerts"]] == [a.to_json()["run_time"] for a in engine]
    render_text(result)  # every explanation renders
    return result


def _threshold(value: int, **extra) -> RuleFile:
    return _rule("threshold", "event.action: x", threshold={"field": ["user.name"], "value": value, **extra})


def _burst(n: int, user: str = "u", **more) -> list[Event]:
    return _events(*[(T0 + i, {"event.action": "x", "user.name": user, **more}) for i in range(n)])


@pytest.mark.parametrize("count,alerts", [(2, 0), (3, 1), (4, 1)])
def test_threshold_shows_the_groups_count_against_the_value(count, alerts):
    result = _explained(_threshold(3), _burst(count))
    assert len(result["alerts"]) == alerts
    best = result["threshold"]["runs"][0]["groups"][0]
    assert (best["group"], best["count"], best["alerted"]) == ({"user.name": "u"}, count, bool(alerts))
    if not alerts:
        assert result["verdict"] == "no alert: the highest count, 2 for user.name=u, is under the threshold 3"


def test_threshold_names_the_group_that_came_closest_beside_the_one_that_alerted():
    events = sorted(_burst(3, "loud") + _burst(2, "quiet"), key=lambda e: e.window_time)
    section = _explained(_threshold(3), events)["threshold"]
    assert section["closest_miss"]["group"] == {"user.name": "quiet"} and section["closest_miss"]["count"] == 2


def test_threshold_cardinality_under_its_value_is_the_reason():
    rule = _threshold(2, cardinality=[{"field": "host.name", "value": 2}])
    same_host = _explained(rule, _burst(3, **{"host.name": "h1"}))
    assert same_host["alerts"] == []
    assert same_host["threshold"]["runs"][0]["groups"][0]["distinct"] == 1
    assert "1 distinct host.name (needs 2)" in same_host["verdict"]
    two_hosts = _events((T0, {"event.action": "x", "user.name": "u", "host.name": "h1"}),
                        (T0 + 1, {"event.action": "x", "user.name": "u", "host.name": "h2"}))
    assert len(_explained(rule, two_hosts)["alerts"]) == 1


def test_threshold_at_a_chosen_run_counts_only_that_runs_window():
    events = _burst(3) + _burst(0)
    late = _events((T0 + 7200, {"event.action": "x", "user.name": "u"}))
    result = _explained(_threshold(3), events + late, at="2026-01-01T02:00:00Z")
    assert result["at"]["run_time"] == "2026-01-01T02:00:00.000Z"
    assert result["alerts"] == []  # the burst alerted in an earlier run
    assert result["threshold"]["runs"][0]["groups"][0]["count"] == 1


SEQUENCE = 'sequence by user.name with maxspan=1h [any where event.action == "a"] [any where event.action == "b"]'


@pytest.mark.parametrize("gap,alerts", [(3600.0, 1), (3600.001, 0)])
def test_sequence_just_inside_and_just_outside_maxspan(gap, alerts):
    rule = _rule("eql", SEQUENCE, language="eql", **{"from": "now-70m"})
    result = _explained(rule, _events((T0, {"event.action": "a", "user.name": "u"}),
                                      (T0 + gap, {"event.action": "b", "user.name": "u"})))
    assert len(result["alerts"]) == alerts
    key = result["sequence"]["keys"][0]
    assert key["key"] == {"user.name": "u"}
    if alerts:
        assert (key["furthest"], key["completed"], key["ended"]) == (2, 1, [])
    else:
        assert key["furthest"] == 1 and key["ended"][0]["why"] == "maxspan" and key["ended"][0]["stage"] == 2
        assert "past maxspan" in result["verdict"]


def test_sequence_says_which_stage_it_waits_for():
    rule = _rule("eql", SEQUENCE, language="eql")
    result = _explained(rule, _events((T0, {"event.action": "a", "user.name": "u"}),
                                      (T0 + 5, {"event.action": "b", "user.name": "other"})))
    keys = {k["key"]["user.name"]: k for k in result["sequence"]["keys"]}
    assert keys["u"]["waiting_for"] == 2 and keys["u"]["open"]["deadline"] == "2026-01-01T01:00:00.000Z"
    assert "other" not in keys  # its b had no a before it: it never started a sequence
    assert [s["matched"] for s in result["sequence"]["stages"]] == [1, 1]


def test_sequence_ended_by_until():
    rule = _rule("eql", SEQUENCE + ' until [any where event.action == "stop"]', language="eql")
    result = _explained(rule, _events((T0, {"event.action": "a", "user.name": "u"}),
                                      (T0 + 1, {"event.action": "stop", "user.name": "u"}),
                                      (T0 + 2, {"event.action": "b", "user.name": "u"})))
    assert result["alerts"] == []
    assert result["sequence"]["keys"][0]["ended"][0]["why"] == "until"
    assert "until event" in result["verdict"]


@pytest.mark.parametrize("found,alerts", [(True, 0), (False, 1)])
def test_sequence_discarded_by_a_trailing_missing_event(found, alerts):
    rule = _rule("eql", 'sequence by user.name with maxspan=1h [any where event.action == "a"] '
                 '![any where event.action == "c"]', language="eql", **{"from": "now-70m"})
    events = [(T0, {"event.action": "a", "user.name": "u"})]
    events += [(T0 + 10, {"event.action": "c" if found else "other", "user.name": "u"})]
    result = _explained(rule, _events(*events))
    key = result["sequence"]["keys"][0]
    assert (len(result["alerts"]), key["completed"]) == (alerts, alerts)
    assert [e["why"] for e in key["ended"]] == (["missing"] if found else [])


def _new_terms(history: str = "now-1d") -> RuleFile:
    return _rule("new_terms", "event.action: x", new_terms_fields=["user.name"], history_window_start=history)


@pytest.mark.parametrize("later,verdict", [(86400.0 - 300, "seen"), (86400.0 + 300, "new")])
def test_new_terms_says_whether_the_term_was_in_the_history_window(later, verdict):
    events = _events((T0, {"event.action": "x", "user.name": "u"}),
                     (T0 + later, {"event.action": "x", "user.name": "u"}))
    result = _explained(_new_terms(), events, warm_up=0)
    term = result["new_terms"]["terms"][0]
    assert term["term"] == {"user.name": "u"}
    assert term["verdicts"] == ({"new": 1, "seen": 1} if verdict == "seen" else {"new": 2})


def test_new_terms_in_the_warm_up_do_not_alert():
    result = _explained(_new_terms(), _events((T0, {"event.action": "x", "user.name": "u"})))
    assert result["alerts"] == [] and result["new_terms"]["terms"][0]["first_verdict"] == "warm-up"
    assert result["verdict"] == ("no alert: no term was new: 1 event came in the warm-up (until "
                                 "2026-01-02T00:00:00.000Z)")


def test_esql_rows_before_and_after_each_where():
    rule = _rule("esql", 'FROM logs-* | WHERE event.action == "x" | STATS c = COUNT(*) BY user.name | WHERE c >= 3',
                 language="esql")
    events = _burst(2) + _events((T0 + 3, {"event.action": "y", "user.name": "u"}))
    result = _explained(rule, events)
    steps = [(s["command"], s["rows"]) for s in result["esql"]["runs"][0]["steps"]]
    assert steps == [("FROM logs-*", 3), ('WHERE event.action == "x"', 2), ("STATS c = COUNT(*) BY user.name", 1),
                     ("WHERE c >= 3", 0)]
    assert result["esql"]["runs"][0]["stats_rows"] == [{"c": 2, "user.name": "u"}]
    assert result["verdict"] == "no alert: no row left after `WHERE c >= 3`"
    assert len(_explained(rule, _burst(3))["alerts"]) == 1


def test_exceptions_that_removed_alerts_are_the_reason():
    result = _explained(_threshold(1), _burst(2), exceptions=[lambda fields: fields.get("user.name") == "u"])
    assert result["query"] == {"matched": 2, "excepted": 2}
    assert [a["group"] for a in result["removed_by_exceptions"]] == [{"user.name": "u"}, {"user.name": "u"}]
    assert result["verdict"] == ("no alert: the exceptions removed 2 of the 2 events the query matched, and with "
                                 "them 2 alerts (user.name=u)")


@pytest.mark.parametrize("excepted,verdict", [
    (1, "no alert: the exceptions removed 1 of the 3 events the query matched, and with them 1 alert (user.name=u)"),
    (0, "1 alert"),
])
def test_one_excepted_event_under_the_threshold_is_named(excepted, verdict):
    events = _events(*[(T0 + i, {"event.action": "x", "user.name": "u", "n": i}) for i in range(3)])
    result = _explained(_threshold(3), events, exceptions=[lambda fields: fields.get("n", 9) < excepted])
    assert result["verdict"] == verdict


def test_suppression_folds_alerts_and_says_so():
    # the first run is at the first event: it holds one event, the next run the other two (one alert, one folded)
    per_run = _explained(_rule("query", "event.action: x", alert_suppression={"group_by": ["user.name"]}), _burst(3))
    assert len(per_run["alerts"]) == 2 and per_run["suppressed"] == [{"run_time": "2026-01-01T00:05:00.000Z",
                                                                       "group": ["u"]}]
    hour = {"group_by": ["user.name"], "duration": {"value": 1, "unit": "h"}}
    result = _explained(_rule("query", "event.action: x", alert_suppression=hour), _burst(3))
    assert len(result["alerts"]) == 1 and len(result["suppressed"]) == 2
    assert result["verdict"] == "1 alert; 2 more folded by alert suppression"


def test_no_match_says_the_query_matched_nothing():
    result = _explained(_threshold(1), _events((T0, {"event.action": "other", "user.name": "u"})))
    assert result["verdict"] == "no alert: the query matched none of the events"


def test_every_rule_explained_on_the_sample_gives_previews_alerts():
    from elastic_pack.preview import preview

    alerts, _ = preview([SAMPLE], jobs=1)
    from elastic_pack.content import load_pack

    pack, _ = load_pack(None)
    for rule in pack.rules:
        explained = explain(rule.rule_id, [SAMPLE])
        assert explained["alerts"] == [a.to_json() for a in alerts if a.rule_id == rule.rule_id], rule.name


def test_cli_explain_prints_text_and_json():
    text = runner.invoke(app, ["explain", "aws_ses_high_volume_email_sending", "--events", str(SAMPLE)])
    assert text.exit_code == 0, text.output
    assert "100/101" in text.output and "newsletter-sender" in text.output
    as_json = runner.invoke(app, ["explain", "aws_ses_high_volume_email_sending", "--events", str(SAMPLE),
                                  "--at", "2026-01-05T12:10:00Z", "--json"])
    data = json.loads(as_json.stdout)
    assert data["threshold"]["runs"][0]["groups"][0]["count"] == 100 and data["alerts"] == []


@pytest.mark.parametrize("args,code", [(["nope"], 2), (["aws_ses_high_volume_email_sending", "--at", "soon"], 2)])
def test_cli_explain_refuses_an_unknown_rule_or_time(args, code):
    result = runner.invoke(app, ["explain", *args, "--events", str(SAMPLE), "--json"])
    assert result.exit_code == code and "error" in json.loads(result.stdout)


def test_a_failing_expectation_is_explained_under_the_test_table(tmp_path):
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(REPO / "content", pack)
    scenario = pack / "scenarios" / "edge_ses_exactly_100.toml"
    scenario.write_text(scenario.read_text().replace("[expect]", "[expect]\naws_ses_high_volume_email_sending = 1"))
    result = runner.invoke(app, ["test", "edge_ses_exactly_100", "--content", str(pack)])
    assert result.exit_code == 1
    assert "edge_ses_exactly_100: aws_ses_high_volume_email_sending, explained:" in result.output
    assert "100/101 under" in result.output and "is under the threshold 101" in result.output
    as_json = json.loads(runner.invoke(app, ["test", "edge_ses_exactly_100", "--content", str(pack), "--json"]).stdout)
    why = as_json[0]["explanations"]["aws_ses_high_volume_email_sending"]
    assert why["threshold"]["runs"][0]["groups"][0]["count"] == 100
    passing = runner.invoke(app, ["test", "edge_ses_101", "--content", str(pack)])
    assert passing.exit_code == 0 and "explained" not in passing.output


@pytest.mark.parametrize("kind,query,language", [
    ("eql", 'sample by user.name [process where true] [process where host.name == "h1"]', "eql"),
    ("eql", 'process where event.action == "x" | head 2', "eql"),
    ("esql", 'FROM logs-* | WHERE event.action == "x" | KEEP user.name', "esql"),
    ("esql", "FROM logs-* | INLINE STATS c = COUNT(*) BY user.name | WHERE c > 3", "esql"),
    ("esql", "FROM logs-* | SORT @timestamp | LIMIT 2 | STATS c = COUNT(*)", "esql"),
])
def test_every_rule_shape_is_explained_with_the_engines_alerts(kind, query, language):
    events = _events(*[(T0 + i, {"event.action": "x", "user.name": "u", "host.name": f"h{i % 2}",
                                 "event.category": "process"}) for i in range(5)])
    result = _explained(_rule(kind, query, language=language), events)
    assert result["query"]["matched"] == 5 and result["alerts"]


def test_a_sequence_without_a_key_is_named_so():
    rule = _rule("eql", 'sequence [any where event.action == "a"] [any where event.action == "b"]', language="eql")
    result = _explained(rule, _events((T0, {"event.action": "a"})))
    assert result["sequence"]["keys"][0]["key"] == {} and result["sequence"]["keys"][0]["waiting_for"] == 2
    assert any("(no key): furthest stage 1 of 2" in line for line in render_text(result))


@pytest.mark.parametrize("at,run,start", [
    ("2026-01-01T00:05:00Z", "2026-01-01T00:05:00.000Z", "2025-12-31T23:05:00.000Z"),  # exactly a run: that run
    ("2026-01-01T00:05:00.001Z", "2026-01-01T00:10:00.000Z", "2025-12-31T23:10:00.000Z"),  # just after: the next
    ("2025-12-31T00:00:00Z", "2026-01-01T00:00:00.000Z", "2025-12-31T23:00:00.000Z"),  # before the first: the first
])
def test_at_names_the_first_run_at_or_after_the_time(at, run, start):
    result = _explained(_threshold(3), _burst(3), at=at)  # runs every 5 minutes from the first event, 1 h back
    assert result["at"]["run_time"] == run and result["at"]["window"] == [start, run]


def test_an_event_matching_two_stages_counts_once_for_the_query():
    rule = _rule("eql", 'sequence by user.name [any where event.action == "a"] [any where user.name == "u"]',
                 language="eql")
    result = _explained(rule, _events((T0, {"event.action": "a", "user.name": "u"})))
    assert [s["matched"] for s in result["sequence"]["stages"]] == [1, 1] and result["query"]["matched"] == 1


def test_at_shows_only_that_runs_alerts_and_folds():
    rule = _rule("query", "event.action: x", alert_suppression={"group_by": ["user.name"]})
    events = _burst(3)  # the run at T0 alerts on the first event; the run at T0+5m on the second, folding the third
    first = _explained(rule, events, at="2026-01-01T00:00:00Z")
    assert len(first["alerts"]) == 1 and first["suppressed"] == []
    second = _explained(rule, events, at="2026-01-01T00:05:00Z")
    assert len(second["alerts"]) == 1 and len(second["suppressed"]) == 1


def test_every_rule_explained_on_every_scenario_gives_the_scenarios_alerts():
    from elastic_pack.explain import explain_scenario
    from elastic_pack.scenario_run import check_scenario, load_pack_and_scenarios

    pack, scenarios = load_pack_and_scenarios(None)
    for scenario in scenarios:
        alerts = check_scenario(pack, scenario).alerts
        for rule in pack.rules:
            explained = explain_scenario(pack, scenario, rule.rule_id)["alerts"]
            assert explained == [a.to_json() for a in alerts if a.rule_id == rule.rule_id], (scenario.name, rule.name)


def test_at_a_run_without_events_says_so():
    late = _events((T0 + 7200, {"event.action": "x", "user.name": "u"}))
    result = _explained(_threshold(1), _burst(1) + late, at="2026-01-01T01:00:00Z")  # between the two
    assert result["events"]["in_run"] == 1  # the first event is at the window's start: inside
    quiet = _explained(_threshold(1), _burst(1) + late, at="2026-01-01T01:05:00Z")
    assert quiet["verdict"] == ("no alert: the query matched none of the 0 events in the window of the run at "
                                "2026-01-01T01:05:00.000Z")


@pytest.mark.parametrize("kind,query,language", [("query", "event.action: x", "kuery"),
                                                 ("esql", 'FROM logs-aws* | WHERE event.action == "x"', "esql")])
def test_events_named_outside_the_rules_indices_are_counted(kind, query, language):
    rule = _rule(kind, query, language=language, **({"index": ["logs-aws*"]} if kind == "query" else {}))
    events = _events((T0, {"event.action": "x", "_index": ".ds-logs-aws.cloudtrail-default-2026.01.01-000001"}),
                     (T0 + 1, {"event.action": "x", "_index": "other-index"}),
                     (T0 + 2, {"event.action": "x", "data_stream.type": "logs", "data_stream.dataset": "endpoint",
                               "data_stream.namespace": "default"}),
                     (T0 + 3, {"event.action": "x"}))
    result = _explained(rule, events)
    assert result["rule"]["index"] == ["logs-aws*"] and result["events"]["outside_index"] == 2


def test_threshold_groups_are_marked_by_what_held_them_back():
    rule = _threshold(2, cardinality=[{"field": "host.name", "value": 2}])
    text = render_text(_explained(rule, _burst(3, **{"host.name": "h1"})))
    assert any(line.strip() == "3/2, 1 distinct too few distinct host.name: user.name=u" for line in text)
    rule = _rule("threshold", "event.action: x", threshold={"field": ["user.name"], "value": 1},
                 alert_suppression={"duration": {"value": 1, "unit": "h"}})
    folded = render_text(_explained(rule, _burst(3), at="2026-01-01T00:05:00Z"))  # the run after the alert's
    assert "    2/1 met, not alerted (suppressed, or past max_signals): user.name=u" in folded


@pytest.mark.parametrize("gap,best", [(3600.0, 2), (3600.001, 1)])
def test_threshold_window_holds_an_event_at_its_start_not_one_before(gap, best):
    events = _events((T0, {"event.action": "x", "user.name": "u"}), (T0 + gap, {"event.action": "x", "user.name": "u"}))
    result = _explained(_threshold(2), events)
    assert result["threshold"]["runs"][0]["groups"][0]["count"] == best
    assert len(result["alerts"]) == (1 if best == 2 else 0)
