"""Every scenario, each its own test: the alerts the local engine gives are exactly the ones expected."""

from __future__ import annotations

import pytest

from elastic_pack.content import load_pack
from elastic_pack.scenario_run import check_scenario, load_pack_and_scenarios

from .conftest import CONTENT, SES_FILE, edit_rule

PACK, SCENARIOS = load_pack_and_scenarios(CONTENT)


def test_there_are_atomic_attack_and_edge_scenarios():
    tags = {t for s in SCENARIOS for t in s.tags}
    assert {"atomic", "attack", "edge"} <= tags
    assert len([s for s in SCENARIOS if "atomic" in s.tags]) == 4


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario):
    result = check_scenario(PACK, scenario)
    assert result.problems == []


def test_every_rule_fires_in_an_attack_evasion_or_edge_scenario():
    fired = set()
    for scenario in SCENARIOS:
        if {"attack", "evasion", "edge"} & set(scenario.tags):
            fired |= {k for k, v in scenario.expect.items() if v > 0}
    assert fired == {r.path.stem for r in PACK.rules}


def test_an_edge_moves_and_its_scenario_fails(pack_dir):
    """With the SES threshold at 100 instead of 101, the 'exactly 100' scenario must fail."""
    edit_rule(pack_dir, SES_FILE, "\nvalue = 101", "\nvalue = 100")
    pack, _ = load_pack(pack_dir)
    (scenario,) = [s for s in SCENARIOS if s.name == "edge_ses_exactly_100"]
    result = check_scenario(pack, scenario)
    assert result.problems == ["aws_ses_high_volume_email_sending: expected 0 alert(s), got 1"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_gates_never_change_the_alerts(scenario, monkeypatch):
    """The engine's per-rule gates only skip events a rule cannot match."""
    from elastic_pack.engine import rules as engine_rules

    gated = check_scenario(PACK, scenario).alerts
    original = engine_rules.compile_rule

    def ungated(*args, **kwargs):
        rule = original(*args, **kwargs)
        rule.gate = None
        return rule

    monkeypatch.setattr("elastic_pack.scenario_run.compile_rule", ungated)
    assert check_scenario(PACK, scenario).alerts == gated
