"""Broken inputs: each gives its own clear error (file, rule, line) and exit code 1."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app

from .conftest import SEQUENCE_FILE, SES_FILE, SNS_FILE, edit_rule

runner = CliRunner()


def _validate(pack_dir):
    result = runner.invoke(app, ["validate", "--content", str(pack_dir), "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_clean_pack_exits_zero(pack_dir):
    code, findings = _validate(pack_dir)
    assert (code, findings) == (0, [])


def _line_of(path, needle):
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    "file_name, old, new, check, needle, message",
    [
        (SES_FILE, 'severity = "medium"', 'severity = "medium', "EP001", 'severity = "medium', "invalid TOML"),
        (SEQUENCE_FILE, '"PutIdentityPolicy",', '"PutIdentityPolicy",,', "EP003", None, "invalid EQL"),
        (SES_FILE, 'event.action: ("SendBulkEmail"', 'event.action: ("SendBulkEmail" or', "EP003", None, "invalid KQL"),
        (SNS_FILE, "event.provider:", "event.providr:", "EP005", "event.providr", "unknown field 'event.providr'"),
        (SEQUENCE_FILE, 'from = "now-370m"', 'from = "now-6h"', "EP006", 'from = "now-6h"', "does not cover maxspan"),
        (SES_FILE, "\nvalue = 101", "\nvalue = 100", "EP007", "value = 100", "value must be 101"),
        (SES_FILE, "risk_score = 47", "risk_score = 80", "EP009", "risk_score = 80", "outside the medium band"),
        (SES_FILE, '"Tactic: Impact",', "", "EP010", "tags = [", "Tactic"),
        (SES_FILE, 'rule_id = "bad04895-cba0-4ebf-bb88-8a083b64d94b"', 'rule_id = "ses-rule"', "EP012",
         'rule_id = "ses-rule"', "not a UUID"),
        (SES_FILE, 'severity = "medium"', 'severity = "urgent"', "EP002", 'severity = "urgent"', "urgent"),
        (SNS_FILE, 'name = "AWS SNS', 'nmae = "AWS SNS', "EP002", None, "name"),
        (SES_FILE, 'id = "T1496.004"', 'id = "T1499.004"', "EP013", None, "does not belong to technique T1496"),
    ],
)
def test_each_broken_input_has_its_own_error(pack_dir, file_name, old, new, check, needle, message):
    path = edit_rule(pack_dir, file_name, old, new)
    code, findings = _validate(pack_dir)
    assert code == 1
    mine = [f for f in findings if f["check"] == check]
    assert mine, findings
    finding = mine[0]
    assert finding["path"].endswith(file_name)
    assert message in finding["message"]
    if check != "EP001":
        assert finding["rule_id"] or finding["rule_name"]
    if needle:
        assert finding["line"] == _line_of(path, needle)


def test_eql_error_points_at_the_line_and_column_in_the_file(pack_dir):
    path = edit_rule(pack_dir, SEQUENCE_FILE, '"SetSMSAttributes", "CreateTopic",', '"SetSMSAttributes" "CreateTopic",')
    _, findings = _validate(pack_dir)
    (finding,) = [f for f in findings if f["check"] == "EP003"]
    line = _line_of(path, '"SetSMSAttributes" "CreateTopic"')
    assert finding["line"] == line
    assert finding["column"] == path.read_text().splitlines()[line - 1].index('"CreateTopic"') + 1


def test_duplicate_rule_id_names_both_files(pack_dir):
    edit_rule(pack_dir, SNS_FILE, 'rule_id = "85a7f6a2-a380-4327-b3ae-5156c9eb9131"',
              'rule_id = "bad04895-cba0-4ebf-bb88-8a083b64d94b"')
    code, findings = _validate(pack_dir)
    dupes = [f for f in findings if f["check"] == "EP008"]
    assert code == 1 and len(dupes) == 1
    assert SES_FILE in dupes[0]["message"] or SNS_FILE in dupes[0]["message"]


def test_changed_rule_without_bump_fails_and_bump_fixes_it(pack_dir):
    rule_id = "bad04895-cba0-4ebf-bb88-8a083b64d94b"
    current = json.loads((pack_dir / "version.lock.json").read_text())[rule_id]["version"]
    edit_rule(pack_dir, SES_FILE, "risk_score = 47", "risk_score = 45")
    code, findings = _validate(pack_dir)
    assert code == 1
    (finding,) = [f for f in findings if f["check"] == "EP011"]
    assert "elastic-pack bump bad04895-cba0-4ebf-bb88-8a083b64d94b" in finding["message"]
    assert f"version {current + 1}" in finding["message"]

    result = runner.invoke(app, ["bump", "--content", str(pack_dir)])
    assert result.exit_code == 0 and f"version {current + 1}" in result.stdout
    assert _validate(pack_dir) == (0, [])
    lock = json.loads((pack_dir / "version.lock.json").read_text())
    assert lock[rule_id]["version"] == current + 1


def test_all_problems_are_reported_at_once(pack_dir):
    edit_rule(pack_dir, SES_FILE, "risk_score = 47", "risk_score = 80")
    edit_rule(pack_dir, SNS_FILE, "event.provider:", "event.providr:")
    edit_rule(pack_dir, SEQUENCE_FILE, 'from = "now-370m"', 'from = "now-6h"')
    _, findings = _validate(pack_dir)
    assert {"EP005", "EP006", "EP009"} <= {f["check"] for f in findings}


def test_build_refuses_an_invalid_pack_and_writes_nothing(pack_dir, tmp_path):
    edit_rule(pack_dir, SES_FILE, "\nvalue = 101", "\nvalue = 100")
    out = tmp_path / "dist"
    result = runner.invoke(app, ["build", "--content", str(pack_dir), "--out", str(out)])
    assert result.exit_code == 1
    assert "EP007" in result.stderr
    assert not out.exists()


def test_build_twice_is_byte_identical(pack_dir, tmp_path):
    outputs = []
    for name in ("a", "b"):
        result = runner.invoke(app, ["build", "--content", str(pack_dir), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / name / "elastic-pack-rules.ndjson").read_bytes())
    objects = len(list((pack_dir / "rules").glob("*.toml"))) + len(list((pack_dir / "exceptions").glob("*.toml")))
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == objects  # rules, then exception lists


def test_validate_against_kibanas_own_openapi_folder(pack_dir, kibana_openapi):
    from .conftest import OPENAPI_DIR

    clean = runner.invoke(app, ["validate", "--content", str(pack_dir), "--kibana-openapi", str(OPENAPI_DIR), "--json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout) == []
    missing = runner.invoke(app, ["validate", "--content", str(pack_dir), "--kibana-openapi", str(pack_dir), "--json"])
    assert missing.exit_code == 1 and json.loads(missing.stdout)[0]["check"] == "EP017"


def test_a_broken_scenario_fails_validation(pack_dir):
    scenario = pack_dir / "scenarios" / "edge_ses_101.toml"
    scenario.write_text(scenario.read_text().replace("aws_ses_high_volume_email_sending = 1", "aws_ses_sending = 1"))
    code, findings = _validate(pack_dir)
    assert code == 1
    (finding,) = [f for f in findings if f["check"] == "EP020"]
    assert finding["path"].endswith("edge_ses_101.toml") and "aws_ses_sending" in finding["message"]
