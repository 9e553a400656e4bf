"""The engine's cost follows the events, not the time they span; impossible times are refused per line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from elastic_pack.content.model import RuleFile
from elastic_pack.engine import compile_rule, run_rules
from elastic_pack.engine.events import Event, ReadReport, event_from_document, read_events
from elastic_pack.engine.kql_rules import ThresholdRule


def Rule() -> RuleFile:  # noqa: N802 - a rule file built in memory
    return RuleFile(Path("r.toml"), "", {"rule": {
        "rule_id": "r", "name": "r", "type": "threshold", "interval": "5m", "from": "now-60m",
        "language": "kuery", "query": 'event.action: "SendEmail"', "threshold": {"field": ["user.name"], "value": 2}}})


def _event(t: float, user="u") -> Event:
    return Event({"event.action": "SendEmail", "user.name": user}, t, t)


def test_a_gap_of_years_between_events_costs_a_handful_of_runs(monkeypatch):
    runs = []
    original = ThresholdRule._run
    monkeypatch.setattr(ThresholdRule, "_run", lambda self, t: runs.append(t) or original(self, t))
    year = 365 * 86400.0
    start = 1.7e9
    alerts = run_rules([compile_rule(Rule())], [_event(start), _event(start + 10), _event(start + 10 * year),
                                                 _event(start + 10 * year + 299)])
    assert len(alerts) == 2  # one burst at each end of the gap
    assert len(runs) < 40  # not the million runs of ten years at 5 minutes


def test_events_at_the_very_first_run_still_alert():
    alerts = run_rules([compile_rule(Rule())], [_event(1.7e9), _event(1.7e9)])
    assert len(alerts) == 1


def test_a_multi_valued_threshold_field_counts_in_each_of_its_buckets():
    events = [Event({"event.action": "SendEmail", "user.name": ["a", "b"]}, 1.7e9, 1.7e9),
              Event({"event.action": "SendEmail", "user.name": "b"}, 1.7e9 + 1, 1.7e9 + 1)]
    alerts = run_rules([compile_rule(Rule())], events)
    assert [a.group for a in alerts] == [{"user.name": "b"}]


@pytest.mark.parametrize("stamp, reason", [
    (1700000000, "epoch seconds"),
    ("9999-01-01T00:00:00Z", "future"),
    (float("nan"), "impossible"),
    (10 ** 400, "not a timestamp"),
    ("1969-07-20T20:17:00Z", "before 1990"),
])
def test_impossible_times_are_refused(stamp, reason):
    with pytest.raises(ValueError, match=reason):
        event_from_document({"@timestamp": stamp})


def test_a_bad_line_names_its_own_line_and_loses_no_other(tmp_path):
    lines = [json.dumps({"@timestamp": "2026-01-01T00:00:00Z", "n": i}) for i in range(101)]
    path = tmp_path / "events.ndjson"
    path.write_bytes(("\n".join(lines[:5]) + "\n").encode() + b"\xff\xfe{bad\n" + ("\n".join(lines[6:]) + "\n").encode())
    report = ReadReport()
    events = list(read_events([path], report))
    assert len(events) == 100
    assert report.skipped and report.skipped[0].startswith(f"{path}:6:")
