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


def test_build_json_names_the_bundle_and_what_is_in_it(pack_dir, tmp_path):
    result = runner.invoke(app, ["build", "--json", "--content", str(pack_dir), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    bundle = tmp_path / "dist" / data["bundle"].rsplit("/", 1)[-1]
    assert bundle.is_file() and len(data["rules"]) == len(list((pack_dir / "rules").glob("*.toml")))
    assert len(data["exception_lists"]) == len(list((pack_dir / "exceptions").glob("*.toml")))
    edit_rule(pack_dir, SES_FILE, "value = 101", 'value = "many"')
    refused = runner.invoke(app, ["build", "--json", "--content", str(pack_dir), "--out", str(tmp_path / "d2")])
    findings = json.loads(refused.stdout)
    assert refused.exit_code == 1 and any(f["check"] == "EP002" for f in findings)


def test_bump_json_lists_what_it_bumped(pack_dir):
    assert json.loads(runner.invoke(app, ["bump", "--json", "--content", str(pack_dir)]).stdout) == []
    edit_rule(pack_dir, SES_FILE, "value = 101", "value = 150")
    result = runner.invoke(app, ["bump", "--json", "--content", str(pack_dir)])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    assert entry["name"] == "AWS SES High-Volume Email Sending by a Single Identity" and entry["version"] >= 2


def test_docs_json_lists_written_and_stale_playbooks(tmp_path):
    out = tmp_path / "playbooks"
    written = runner.invoke(app, ["docs", "--json", "--content", str(CONTENT), "--out", str(out)])
    names = json.loads(written.stdout)["written"]
    assert written.exit_code == 0 and names and all((out / n.rsplit("/", 1)[-1]).is_file() for n in names)
    assert json.loads(runner.invoke(app, ["docs", "--check", "--json", "--content", str(CONTENT),
                                          "--out", str(out)]).stdout) == {"stale": []}
    (out / names[0].rsplit("/", 1)[-1]).write_text("edited by hand\n")
    stale = runner.invoke(app, ["docs", "--check", "--json", "--content", str(CONTENT), "--out", str(out)])
    assert stale.exit_code == 1 and json.loads(stale.stdout) == {"stale": [names[0]]}
