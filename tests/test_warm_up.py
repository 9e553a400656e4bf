"""New terms rules on a fresh input: a stated, settable choice (`--warm-up`) for test, preview and backtest.
Default: one history window is history only (a rule deployed on an index that already holds it); 0: the first
sighting alerts, as Kibana's rule preview over a fresh data stream does (the integration tier's setting)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.exceptions_model import exception_predicates
from elastic_pack.scenario_run import check_scenario, documents_alerts, load_pack_and_scenarios

from .conftest import CONTENT

runner = CliRunner()
SCENARIO = "evasion_low_and_slow_first_seen"
KNOWN_APP = "arn:aws:iam::123456789012:user/known-app"  # seen on day 1, then every few days: history


def _first_seen_groups(alerts) -> list[str]:
    return sorted(str(v) for a in alerts if a.rule_type == "new_terms" for v in a.group.values())


def test_the_warm_up_decides_whether_the_first_sighting_in_a_fresh_input_alerts():
    pack, scenarios = load_pack_and_scenarios(CONTENT)
    scenario = next(s for s in scenarios if s.name == SCENARIO)
    default = check_scenario(pack, scenario)
    assert default.passed and KNOWN_APP not in _first_seen_groups(default.alerts)
    kibana_preview = check_scenario(pack, scenario, warm_up=0.0)
    assert KNOWN_APP in _first_seen_groups(kibana_preview.alerts)
    assert not kibana_preview.passed  # the scenario's expectations assume the default
    same = documents_alerts(pack, scenario.documents(), exception_predicates(pack), warm_up=0.0)
    assert _first_seen_groups(same) == _first_seen_groups(kibana_preview.alerts)


def test_cli_test_takes_warm_up():
    default = runner.invoke(app, ["test", SCENARIO, "--json"])
    assert default.exit_code == 0, default.output
    fresh = runner.invoke(app, ["test", SCENARIO, "--json", "--warm-up", "0"])
    assert fresh.exit_code == 1
    (result,) = json.loads(fresh.stdout)
    assert any(KNOWN_APP in problem for problem in result["problems"])
    assert runner.invoke(app, ["test", SCENARIO, "--warm-up", "soon"]).exit_code == 2


def test_cli_preview_takes_warm_up(tmp_path):
    _, scenarios = load_pack_and_scenarios(CONTENT)
    scenario = next(s for s in scenarios if s.name == SCENARIO)
    events = tmp_path / "events.ndjson"
    events.write_text("".join(json.dumps(d) + "\n" for d in scenario.documents()))

    def first_seen(*extra):
        result = runner.invoke(app, ["preview", "--events", str(events), "--json", "-j", "1", *extra])
        assert result.exit_code == 0, result.output
        return sorted(str(v) for a in json.loads(result.stdout) if a["rule_type"] == "new_terms"
                      for v in a["group"].values())

    assert KNOWN_APP not in first_seen()
    assert KNOWN_APP in first_seen("--warm-up", "0")
    assert runner.invoke(app, ["preview", "--events", str(events), "--warm-up", "soon"]).exit_code == 2
