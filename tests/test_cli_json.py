"""Commands that report give JSON on stdout with --json, and the same exit code as without."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from elastic_pack.cli import app

from .conftest import CONTENT, SES_FILE, edit_rule

runner = CliRunner()


def test_test_json_lists_every_scenario_with_its_alerts(pack_dir):
    result = runner.invoke(app, ["test", "--json", "--content", str(CONTENT)])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and len(data) == len(list((CONTENT / "scenarios").glob("*.toml")))
    attack = next(r for r in data if r["scenario"] == "attack_ses_dangerdev")
    sequences = [a for a in attack["alerts"] if a["rule_type"] == "eql"]
    assert attack["passed"] and sequences and all(len(a["ancestors"]) == a["event_count"] for a in sequences)
    edit_rule(pack_dir, SES_FILE, "\nvalue = 101\n", "\nvalue = 99\n")
    runner.invoke(app, ["bump", "--content", str(pack_dir)])
    failing = runner.invoke(app, ["test", "--json", "--content", str(pack_dir)])
    assert failing.exit_code == 1 and not all(r["passed"] for r in json.loads(failing.stdout))


def test_doctor_json(kibana):
    result = runner.invoke(app, ["doctor", "--space", "soc", "--json"])
    checks = json.loads(result.stdout)
    assert result.exit_code == 0 and checks and all(c["ok"] for c in checks)
