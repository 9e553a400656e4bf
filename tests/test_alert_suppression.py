"""Kibana's alert suppression on the local engine: per rule execution, per time period, missing fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from elastic_pack.content.model import RuleFile
from elastic_pack.content.spec import SpecError, spec_of
from elastic_pack.engine import compile_rule, run_rules
from elastic_pack.engine.events import Event

T0 = 1_767_225_600.0


def _rule(suppression: dict, kind: str = "query", **extra) -> RuleFile:
    return RuleFile(Path("s.toml"), "", {"rule": {
        "rule_id": "s", "name": "s", "type": kind, "language": "kuery", "query": "event.action: x",
        "interval": "5m", "from": "now-6m", "alert_suppression": suppression, **extra}})


def _events(*items: tuple[float, str | None]) -> list[Event]:
    return [Event({"event.action": "x", **({"user.name": user} if user else {})}, T0 + t, T0 + t) for t, user in items]


def _count(rule: RuleFile, events: list[Event]) -> int:
    return len(run_rules([compile_rule(rule)], events))


def test_per_rule_execution_one_alert_per_group_and_run():
    rule = _rule({"group_by": ["user.name"]})
    # runs every 5 minutes from the first event (T0): 60 s, 120 s and 130 s fall in the run at T0 + 300
    assert _count(rule, _events((0, "z"), (60, "a"), (120, "a"), (130, "b"))) == 3
    assert _count(rule, _events((0, "z"), (60, "a"), (400, "a"))) == 3  # 400 s: the next run


def test_per_time_period_up_to_the_edge():
    rule = _rule({"group_by": ["user.name"], "duration": {"value": 1, "unit": "h"}})
    # the first alert for "a" is in the run at T0 + 300; the period covers runs before T0 + 3900
    assert _count(rule, _events((0, "z"), (60, "a"), (1800, "a"), (3600, "a"))) == 2
    assert _count(rule, _events((0, "z"), (60, "a"), (3600.5, "a"))) == 3  # its run, T0 + 3900, is past it


def test_missing_fields_suppress_together_unless_told_not_to():
    assert _count(_rule({"group_by": ["user.name"]}), _events((0, "z"), (60, None), (70, None))) == 2
    strategy = {"group_by": ["user.name"], "missing_fields_strategy": "doNotSuppress"}
    assert _count(_rule(strategy), _events((0, "z"), (60, None), (70, None))) == 3


def test_threshold_rules_suppress_per_threshold_group_for_the_duration():
    rule = _rule({"duration": {"value": 30, "unit": "m"}}, "threshold",
                 threshold={"field": ["user.name"], "value": 2})
    burst = [(t, "a") for t in (10, 20)] + [(t, "a") for t in (700, 710)] + [(t, "a") for t in (2400, 2410)]
    assert _count(rule, _events(*burst)) == 2  # the second burst is inside the first alert's 30 minutes
    assert _count(_rule({}, "threshold", threshold={"field": ["user.name"], "value": 2}), _events(*burst)) == 3


def test_a_bad_duration_is_named():
    with pytest.raises(SpecError) as caught:
        spec_of({"type": "query", "alert_suppression": {"group_by": ["a"], "duration": {"value": 0, "unit": "h"}}})
    assert caught.value.key == "alert_suppression"


def test_eql_sequences_suppress_on_the_fields_their_events_share():
    # Kibana 8.18+: a sequence alert holds the fields all its events share, and suppresses on them
    def rule(group_by: list[str] | None) -> RuleFile:
        settings = {"alert_suppression": {"group_by": group_by}} if group_by else {}
        return RuleFile(Path("q.toml"), "", {"rule": {
            "rule_id": "q", "name": "q", "type": "eql", "language": "eql", "interval": "5m", "from": "now-6m",
            "query": 'sequence by user.name [any where event.action == "a"] [any where event.action == "b"]',
            **settings}})

    def pair(t: float, user: str, hosts: str = "hh") -> list[Event]:
        return [Event({"event.action": step, "user.name": user, "host.name": host}, T0 + t + i, T0 + t + i)
                for i, (step, host) in enumerate(zip("ab", hosts))]

    sequences = pair(0, "u") + pair(10, "u") + pair(20, "v")  # all three complete before the run at T0 + 300
    assert _count(rule(None), sequences) == 3
    assert _count(rule(["user.name"]), sequences) == 2  # u's two sequences: one alert in that run
    # a field the events of a sequence do not share is missing for it: missing ones suppress together
    split = pair(0, "u", "xy") + pair(10, "v", "zw") + pair(20, "w", "kk")
    assert _count(rule(["host.name"]), split) == 2
